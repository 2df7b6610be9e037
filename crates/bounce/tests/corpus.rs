//! Golden test on the labelled corpus in `../shared/corpora/bounces/`
//! (outside the repository; see its README). Run with `--nocapture` to see
//! the agreement figures and the misses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpora/bounces");

// Ratchet: the lowest agreement (percent) accepted, set a little below what
// was measured. These figures only ever go up: raise them when the parser
// improves, never lower them. Issue 3's goals: recipient and hard >= 97,
// reason and status >= 90 (for LF and CRLF alike; bare CR is held to the
// same floors).
// `recipient` is judged only where the label establishes one: the corpus
// README says an empty recipient means "not established", not "none" (the
// messages behind those 12 labels do name an address, and Sisimai finds it).
// Of the rest, 2 are Sisimai's placeholder for undisclosed recipients and 1
// is truncated, so those stay misses for a correct parser.
const MIN_RECIPIENT: f64 = 98.0;
const MIN_HARD: f64 = 97.5;
const MIN_REASON: f64 = 96.5;
const MIN_STATUS: f64 = 97.0;

struct Label {
    file: String,
    index: usize,
    kind: String,
    recipient: String,
    status: String,
    reason: String,
    hard: bool,
}

fn corpus_dir() -> PathBuf {
    let dir = Path::new(CORPUS);
    assert!(
        dir.join("labels.tsv").is_file() && dir.join("eml").is_dir(),
        "bounce corpus not found at {} (expected labels.tsv and eml/; \
         the shared/ folder must sit beside the repository clone)",
        dir.display()
    );
    dir.to_path_buf()
}

fn labels(dir: &Path) -> Vec<Label> {
    let text = std::fs::read_to_string(dir.join("labels.tsv")).expect("read labels.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").trim().to_string();
            Label {
                file: get(0),
                index: get(1).parse().expect("index"),
                kind: get(2),
                recipient: get(3),
                status: get(4),
                reason: get(6),
                hard: get(7) == "true",
            }
        })
        .collect()
}

fn to_lf(raw: &[u8]) -> Vec<u8> {
    raw.iter().copied().filter(|&b| b != b'\r').collect()
}

fn to_cr(raw: &[u8]) -> Vec<u8> {
    to_lf(raw).into_iter().map(|b| if b == b'\n' { b'\r' } else { b }).collect()
}

fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for b in to_lf(raw) {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn pct(n: usize, total: usize) -> f64 {
    100.0 * n as f64 / total.max(1) as f64
}

fn run(name: &str, convert: fn(&[u8]) -> Vec<u8>) -> [f64; 4] {
    let dir = corpus_dir();
    let labels = labels(&dir);
    assert!(!labels.is_empty(), "labels.tsv is empty");
    let mut cache: BTreeMap<String, kurier_bounce::Report> = BTreeMap::new();
    let mut ok = [0usize; 4];
    let mut judged = [0usize; 4];
    // Recipient agreement counting the empty labels too (as before they were read as "no recipient").
    let mut all_labels_recipient = 0usize;
    let mut misses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in &labels {
        let report = cache.entry(l.file.clone()).or_insert_with(|| {
            let raw = std::fs::read(dir.join("eml").join(&l.file)).unwrap_or_else(|e| panic!("read {}: {e}", l.file));
            kurier_bounce::parse(&convert(&raw))
        });
        let got = report.recipients.get(l.index - 1);
        let address = got.and_then(|r| r.address.clone()).unwrap_or_default();
        let reason = got.map_or("-", |r| r.reason.as_str());
        let status = got.and_then(|r| r.status.clone()).unwrap_or_default();
        let hard = got.is_some_and(|r| r.hard);
        let checks = [
            ("recipient", address.eq_ignore_ascii_case(&l.recipient), l.recipient.clone(), address.clone()),
            ("hard", hard == l.hard, l.hard.to_string(), hard.to_string()),
            ("reason", reason == l.reason, l.reason.clone(), reason.to_string()),
            ("status", status == l.status, l.status.clone(), status.clone()),
        ];
        for (i, (what, good, want, have)) in checks.into_iter().enumerate() {
            if what == "recipient" {
                all_labels_recipient += usize::from(good);
                if l.recipient.is_empty() {
                    continue;
                }
            }
            judged[i] += 1;
            if good {
                ok[i] += 1;
            } else {
                misses.entry(what).or_default().push(format!(
                    "{}#{} ({}, {}): want {want:?} got {have:?}",
                    l.file,
                    l.index,
                    l.kind,
                    report.kind.as_str()
                ));
            }
        }
    }
    let total = labels.len();
    let figures = [0, 1, 2, 3].map(|i| pct(ok[i], judged[i]));
    for (what, list) in &misses {
        eprintln!("--- {name}: {what} misses ({})", list.len());
        for m in list {
            eprintln!("  {m}");
        }
    }
    eprintln!(
        "{name}: {total} recipients: recipient {:.1}% (of {} labels that name one; {:.1}% of all)  hard {:.1}%  \
         reason {:.1}%  status {:.1}%",
        figures[0],
        judged[0],
        pct(all_labels_recipient, total),
        figures[1],
        figures[2],
        figures[3]
    );
    figures
}

fn check(figures: [f64; 4]) {
    let mins = [MIN_RECIPIENT, MIN_HARD, MIN_REASON, MIN_STATUS];
    for ((what, got), min) in ["recipient", "hard", "reason", "status"].iter().zip(figures).zip(mins) {
        assert!(got >= min, "{what} agreement {got:.1}% fell below {min}%");
    }
}

#[test]
fn corpus_lf() {
    check(run("LF", to_lf));
}

#[test]
fn corpus_crlf() {
    check(run("CRLF", to_crlf));
}

/// Lines ending in a bare CR (old Mac clients): read like the others.
#[test]
fn corpus_cr() {
    check(run("CR", to_cr));
}

/// Truncated and bit-flipped corpus messages must never make the parser panic.
#[test]
fn corpus_mutations_never_panic() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("eml"))
        .expect("read eml/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .eml files in the corpus");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for path in files {
        let raw = std::fs::read(&path).expect("read eml");
        for cut in [raw.len() / 7, raw.len() / 3, raw.len() / 2, raw.len().saturating_sub(1)] {
            let _ = kurier_bounce::parse(&raw[..cut]);
        }
        let mut flipped = raw.clone();
        for _ in 0..16 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if !flipped.is_empty() {
                let i = (seed as usize) % flipped.len();
                flipped[i] = (seed >> 32) as u8;
            }
        }
        let _ = kurier_bounce::parse(&flipped);
    }
}
