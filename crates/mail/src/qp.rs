//! Quoted-printable body encoding (RFC 2045 6.7), fast enough to run for every recipient.
//!
//! Mail bodies are mostly plain ASCII, so runs of bytes that need no encoding are copied whole, a
//! line at a time; only `=`, bytes outside printable ASCII, and white space before a line break are
//! escaped. Line breaks (LF or CRLF) become CRLF; lines are at most 76 characters, split with soft
//! breaks (`=` at the line end).

/// Longest line before a soft break: 75 characters and the `=`.
const MAX: usize = 75;
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Bytes that stand for themselves: printable ASCII except `=`, plus space and tab (which are
/// escaped separately when they end a line).
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = b' ';
    while b <= b'~' {
        t[b as usize] = b != b'=';
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

/// How many bytes at the start of `chunk` stand for themselves. Eight at a time while no byte in
/// the word is a control character, `=`, DEL or non-ASCII (SWAR tests on a u64), then byte by byte.
fn plain_run(chunk: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = chunk.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes);
        let below_space = x.wrapping_sub(ONES * 0x20) & !x;
        // Adding 1 to each byte sets the high bit for DEL (0x7f); bytes already above have it.
        let above_tilde = x.wrapping_add(ONES) | x;
        let eq = x ^ (ONES * u64::from(b'='));
        let is_eq = eq.wrapping_sub(ONES) & !eq;
        if (below_space | above_tilde | is_eq) & HIGH != 0 {
            break;
        }
        i += 8;
    }
    i + chunk[i..].iter().position(|&b| !PLAIN[usize::from(b)]).unwrap_or(chunk.len() - i)
}

/// Appends `input` quoted-printable encoded to `out`.
pub(crate) fn encode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() + input.len() / 25 + 8);
    let mut line = 0usize;
    let mut i = 0;
    while i < input.len() {
        // Copy the run of plain bytes that still fits on this line.
        let room = MAX - line;
        let end = (i + room).min(input.len());
        let run = plain_run(&input[i..end]);
        if run > 0 {
            out.extend_from_slice(&input[i..i + run]);
            line += run;
            i += run;
        }
        let Some(&b) = input.get(i) else { break };
        let at_break = b == b'\n' || (b == b'\r' && input.get(i + 1) == Some(&b'\n'));
        if at_break {
            escape_trailing_space(out, &mut line);
            out.extend_from_slice(b"\r\n");
            line = 0;
            i += if b == b'\r' { 2 } else { 1 };
            continue;
        }
        if PLAIN[usize::from(b)] {
            // The line is full and more plain text follows.
            out.extend_from_slice(b"=\r\n");
            line = 0;
            continue;
        }
        if line + 3 > MAX {
            out.extend_from_slice(b"=\r\n");
            line = 0;
        }
        out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        line += 3;
        i += 1;
    }
    escape_trailing_space(out, &mut line);
}

/// White space that ends a line would be removed by transports: write it as `=20`/`=09`.
fn escape_trailing_space(out: &mut Vec<u8>, line: &mut usize) {
    if let Some(&last @ (b' ' | b'\t')) = out.last()
        && *line > 0
    {
        out.pop();
        *line -= 1;
        if *line + 3 > MAX {
            out.extend_from_slice(b"=\r\n");
            *line = 0;
        }
        out.extend_from_slice(if last == b' ' { b"=20" } else { b"=09" });
        *line += 3;
    }
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::*;

    fn qp(s: &str) -> String {
        let mut out = Vec::new();
        encode(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    /// What a receiving client decodes.
    fn decoded(encoded: &str) -> String {
        let raw = format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{encoded}"
        );
        MessageParser::default().parse(raw.as_bytes()).unwrap().body_text(0).unwrap().into_owned()
    }

    #[test]
    fn known_answers() {
        assert_eq!(qp("Hallo Welt"), "Hallo Welt");
        assert_eq!(qp("a=b"), "a=3Db");
        assert_eq!(qp("Grüße"), "Gr=C3=BC=C3=9Fe");
        assert_eq!(qp("end \nnext\t\r\nx "), "end=20\r\nnext=09\r\nx=20");
        assert_eq!(qp("a\rb"), "a=0Db");
        let long = "x".repeat(160);
        assert_eq!(qp(&long), format!("{}=\r\n{}=\r\n{}", "x".repeat(75), "x".repeat(75), "x".repeat(10)));
        // An escape is never split by a soft break.
        let s = format!("{}ü", "x".repeat(73));
        assert_eq!(qp(&s), format!("{}=\r\n=C3=BC", "x".repeat(73)));
    }

    #[test]
    fn plain_runs_match_the_table() {
        let mut bytes: Vec<u8> = (0..=255u8).collect();
        bytes.extend(b"Hallo Welt, dies ist ein langer Satz ohne Sonderzeichen.".repeat(3));
        for start in 0..bytes.len() {
            for end in start..(start + 40).min(bytes.len()) {
                let chunk = &bytes[start..end];
                let want = chunk.iter().position(|&b| !PLAIN[usize::from(b)]).unwrap_or(chunk.len());
                assert_eq!(plain_run(chunk), want, "{chunk:?}");
            }
        }
    }

    #[test]
    fn lines_are_short_and_decode_back() {
        let samples = [
            "<p style=\"color: #333;\">Grüße aus Köln – 1.234,50 € = günstig</p>".repeat(20),
            format!("{}\n\n{} \n\t\n", "Lorem ipsum dolor sit amet, ".repeat(30), "Ende"),
            "=".repeat(100),
            "ß".repeat(100),
            " ".repeat(200),
            "a\r\nb\nc\r\n".repeat(10),
        ];
        for s in &samples {
            let e = qp(s);
            for line in e.split("\r\n") {
                assert!(line.len() <= 76, "{line:?}");
                assert!(!line.ends_with([' ', '\t']), "{line:?}");
                assert!(line.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{line:?}");
            }
            // Line breaks arrive as CRLF, whatever they were.
            assert_eq!(decoded(&e), s.replace("\r\n", "\n").replace('\n', "\r\n"), "{s:?}");
        }
    }
}
