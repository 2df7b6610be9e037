//! Bytes that are not a (good) message: `lint_message` must return, never panic, and stay linear.

use std::time::{Duration, Instant};

use super::*;

fn lint_raw(raw: &[u8]) -> Vec<Finding> {
    lint_message(raw, &LintOptions { kind: MessageKind::Marketing, today: today() })
}

#[test]
fn no_message_at_all() {
    let inputs = [&b""[..], b"\r\n\r\n", b"\x00\x01\x02\xff\xfe", b"hello world", b"just text\nmore lines\n"];
    for raw in inputs {
        let findings = lint_raw(raw);
        assert_eq!(findings.len(), 1, "{raw:?}: {findings:#?}");
        let f = &findings[0];
        assert_eq!((f.rule, f.severity, f.location.as_str()), ("message-unreadable", Severity::Error, "message"));
    }
    // One header line is enough to be read as a message (and to be told what else is missing).
    let findings = lint_raw(b"Subject: Hallo\r\n\r\nText");
    expect_none(&findings, "message-unreadable");
    expect_one(&findings, "from-invalid", Severity::Error, "header From");
}

#[test]
fn garbage_truncated_and_huge_input_returns() {
    let mut garbage = Vec::new();
    let mut rng = Rng(0x5eed);
    for _ in 0..100_000 {
        garbage.push(rng.byte());
    }
    let clean = Mail::german().attach("katalog.pdf", "application/pdf").raw();
    let inputs: Vec<Vec<u8>> = vec![
        garbage,
        // Cut in the middle of the MIME structure, of a header, of a base64 attachment.
        clean[..clean.len() / 2].to_vec(),
        clean[..40].to_vec(),
        clean[..clean.len() - 30].to_vec(),
        // A header of a megabyte, folded and not.
        format!("Subject: {}\r\nFrom: a@b.de\r\n\r\nx", "Sale ".repeat(200_000)).into_bytes(),
        format!("Subject: x\r\nTo: {}\r\n\r\nx", "a@b.de,\r\n ".repeat(50_000)).into_bytes(),
        // A boundary that never comes, nested multiparts, invalid UTF-8 in a text part.
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\n\xff\xfe".to_vec(),
        "Content-Type: multipart/mixed; boundary=a\r\n\r\n".repeat(500).into_bytes(),
        b"Subject: \xc3\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href=\"\xff\">\xe2\x82</a><img".to_vec(),
    ];
    for raw in inputs {
        let findings = lint_raw(&raw);
        assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity), "sorted by severity");
    }
}

/// Every cut and many random changes of the clean messages: nothing panics.
#[test]
fn mutated_messages_never_panic() {
    let mut rng = Rng(42);
    for mail in [Mail::german().attach("a.pdf", "application/pdf"), Mail::english()] {
        let raw = mail.raw();
        for cut in (0..raw.len()).step_by(7) {
            lint_raw(&raw[..cut]);
        }
        for _ in 0..600 {
            let mut m = raw.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] = rng.byte(),
                    1 => {
                        m.remove(at);
                    }
                    2 => m.insert(at, b"{[%<>*|$#\"=:;\r\n\xc3\xa4\xff"[rng.below(18)]),
                    _ => {
                        let len = rng.below(200).min(m.len() - at);
                        let piece = m[at..at + len].to_vec();
                        m.splice(at..at, piece);
                    }
                }
            }
            lint_raw(&m);
        }
    }
}

/// Lines made to hurt a careless scanner (every position starting a tag, a date or a phrase)
/// still take linear time: a quadratic scan of these would run for minutes.
#[test]
fn long_lines_take_linear_time() {
    let size = 200_000;
    let lines = [
        "{{".repeat(size / 2),
        "[".repeat(size),
        "%".repeat(size),
        "$a".repeat(size / 2),
        "bis 1st ".repeat(size / 8),
        "attached ".repeat(size / 9),
        "Hallo ".repeat(size / 6),
        "http".repeat(size / 4),
        "10115 Berlin ".repeat(size / 13),
    ];
    let started = Instant::now();
    for line in &lines {
        let mail = Mail::german().say(line);
        lint_raw(&mail.raw());
    }
    let html = format!("<html><body>{}</body></html>", "<a href=\"http://x\"><img src=x>".repeat(20_000));
    lint_raw(&Mail::german().html(&html).raw());
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
}

/// A small deterministic generator (xorshift), so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}
