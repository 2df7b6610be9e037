//! IMAP4rev1 (RFC 3501) responses and command arguments, without I/O.
//!
//! [`literal_len`] tells the reader when a line announces a literal (`{n}` before its CRLF), so it
//! can read exactly `n` more bytes and go on with the line after them; [`parse_response`] then takes
//! the whole response, literals included, apart.

use std::fmt;

use base64::Engine as _;

/// A value inside a response: an atom (numbers, `NIL`, flags, `BODY[]`), a string (quoted or a
/// literal, as bytes), or a parenthesised list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Atom(String),
    String(Vec<u8>),
    List(Vec<Value>),
}

impl Value {
    pub(crate) fn atom(&self) -> Option<&str> {
        match self {
            Value::Atom(a) => Some(a),
            _ => None,
        }
    }

    pub(crate) fn number(&self) -> Option<u64> {
        self.atom().filter(|a| a.bytes().all(|b| b.is_ascii_digit())).and_then(|a| a.parse().ok())
    }
}

/// The status of a status response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

/// One server response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Response {
    /// `tag OK|NO|BAD [code] text`: the end of a command.
    Tagged { tag: String, status: Status, code: Option<String>, text: String },
    /// `* OK|NO|BAD|BYE|PREAUTH [code] text`.
    Status { status: Status, code: Option<String>, text: String },
    /// `* NAME values` (CAPABILITY, SEARCH, FLAGS, LIST...).
    Data { name: String, values: Vec<Value> },
    /// `* n NAME values` (EXISTS, RECENT, EXPUNGE, FETCH).
    Numbered { number: u64, name: String, values: Vec<Value> },
    /// `+ text`: go on with the command.
    Continuation(String),
}

/// A response that does not follow RFC 3501's grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) what: &'static str,
    pub(crate) at: usize,
    /// The start of the response, for the log (a message's bytes are cut short).
    pub(crate) excerpt: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {} of {:?}", self.what, self.at, self.excerpt)
    }
}

/// When `line` (which ends with LF) announces a literal, its length: `{n}` or `{n+}` before CRLF.
pub(crate) fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_suffix(b"}")?;
    let open = memchr::memrchr(b'{', line)?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Parses one complete response (literals inline, as they came).
pub(crate) fn parse_response(input: &[u8]) -> Result<Response, ParseError> {
    let mut p = Parser { input, pos: 0 };
    if p.eat(b"+") {
        p.eat(b" ");
        return Ok(Response::Continuation(p.rest_of_line()));
    }
    let tag = p.word("a tag")?;
    p.expect_space()?;
    if tag == "*" {
        let word = p.word("a response name")?;
        if let Ok(number) = word.parse::<u64>() {
            p.expect_space()?;
            let name = p.word("a response name")?.to_ascii_uppercase();
            let values = p.values_to_end()?;
            return Ok(Response::Numbered { number, name, values });
        }
        let name = word.to_ascii_uppercase();
        if let Some(status) = status(&name) {
            let (code, text) = p.resp_text();
            return Ok(Response::Status { status, code, text });
        }
        let values = p.values_to_end()?;
        return Ok(Response::Data { name, values });
    }
    let word = p.word("a status")?.to_ascii_uppercase();
    match status(&word) {
        Some(status @ (Status::Ok | Status::No | Status::Bad)) => {
            let (code, text) = p.resp_text();
            Ok(Response::Tagged { tag, status, code, text })
        }
        _ => Err(p.error("OK, NO or BAD after the tag")),
    }
}

fn status(word: &str) -> Option<Status> {
    Some(match word {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        "BYE" => Status::Bye,
        "PREAUTH" => Status::Preauth,
        _ => return None,
    })
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> ParseError {
        let end = self.input.len().min(120);
        ParseError { what, at: self.pos, excerpt: String::from_utf8_lossy(&self.input[..end]).into_owned() }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn eat(&mut self, s: &[u8]) -> bool {
        let ok = self.input[self.pos..].starts_with(s);
        if ok {
            self.pos += s.len();
        }
        ok
    }

    fn expect_space(&mut self) -> Result<(), ParseError> {
        if self.eat(b" ") { Ok(()) } else { Err(self.error("a space")) }
    }

    /// Up to the next space or line end.
    fn word(&mut self, what: &'static str) -> Result<String, ParseError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == b' ' || b == b'\r' || b == b'\n' {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(what));
        }
        Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    /// `[code] text` to the end of the line; the text is free-form.
    fn resp_text(&mut self) -> (Option<String>, String) {
        self.eat(b" ");
        let mut code = None;
        if self.peek() == Some(b'[') {
            let rest = &self.input[self.pos + 1..];
            let line_end = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
            if let Some(close) = memchr::memchr(b']', &rest[..line_end]) {
                code = Some(String::from_utf8_lossy(&rest[..close]).into_owned());
                self.pos += close + 2;
                self.eat(b" ");
            }
        }
        (code, self.rest_of_line())
    }

    fn rest_of_line(&mut self) -> String {
        let rest = &self.input[self.pos..];
        let end = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
        self.pos += end;
        String::from_utf8_lossy(&rest[..end]).into_owned()
    }

    /// Values separated by spaces up to the end of the response.
    fn values_to_end(&mut self) -> Result<Vec<Value>, ParseError> {
        let values = self.values(false)?;
        self.eat(b"\r");
        if self.eat(b"\n") || self.pos == self.input.len() {
            Ok(values)
        } else {
            Err(self.error("the end of the line"))
        }
    }

    /// Values up to `)` (inside a list) or the line end.
    fn values(&mut self, in_list: bool) -> Result<Vec<Value>, ParseError> {
        let mut values = Vec::new();
        loop {
            while self.eat(b" ") {}
            match self.peek() {
                Some(b')') if in_list => return Ok(values),
                Some(b')') => return Err(self.error("no ')' without '('")),
                None | Some(b'\r' | b'\n') if in_list => return Err(self.error("a ')' before the line end")),
                None | Some(b'\r' | b'\n') => return Ok(values),
                Some(_) => values.push(self.value()?),
            }
        }
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                let list = self.values(true)?;
                self.pos += 1; // the ')'
                Ok(Value::List(list))
            }
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => self.atom(),
        }
    }

    fn quoted(&mut self) -> Result<Value, ParseError> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r' | b'\n') => return Err(self.error("a closing '\"'")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Value::String(out));
                }
                Some(b'\\') => {
                    let Some(escaped) = self.input.get(self.pos + 1).copied() else {
                        return Err(self.error("a character after '\\'"));
                    };
                    out.push(escaped);
                    self.pos += 2;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Value, ParseError> {
        let rest = &self.input[self.pos..];
        let close = memchr::memchr(b'}', rest).ok_or_else(|| self.error("a '}' closing the literal's length"))?;
        let digits = rest[1..close].strip_suffix(b"+").unwrap_or(&rest[1..close]);
        let n: usize = std::str::from_utf8(digits)
            .ok()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| self.error("a number in '{}'"))?;
        self.pos += close + 1;
        if !self.eat(b"\r\n") && !self.eat(b"\n") {
            return Err(self.error("a line end after the literal's length"));
        }
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| self.error("the literal's bytes"))?;
        let bytes = self.input[self.pos..end].to_vec();
        self.pos = end;
        Ok(Value::String(bytes))
    }

    /// An atom; `[...]` inside it may hold spaces and parentheses (`BODY[HEADER.FIELDS (TO)]`).
    fn atom(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' if depth > 0 => depth -= 1,
                b'\r' | b'\n' => break,
                b' ' | b'(' | b')' | b'"' | b'{' if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("a value"));
        }
        Ok(Value::Atom(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned()))
    }
}

/// A command argument as IMAP wants it: a quoted string when it can be one, else a literal. Returns
/// the text to put in the command; for a literal, the bytes to send after the server's `+`.
pub(crate) fn string_arg(s: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    let quotable = s.len() < 1000 && s.iter().all(|&b| b.is_ascii() && b != 0 && b != b'\r' && b != b'\n');
    if quotable {
        let mut out = Vec::with_capacity(s.len() + 2);
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
        (out, None)
    } else {
        (format!("{{{}}}", s.len()).into_bytes(), Some(s.to_vec()))
    }
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 section 5.1.3): `&` becomes `&-`, other
/// characters outside printable ASCII are UTF-16 in base64 with `,` for `/`.
pub(crate) fn mailbox_name(name: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let Ok(alphabet) = base64::alphabet::Alphabet::new(ALPHABET) else { return name.to_string() };
    let engine = base64::engine::GeneralPurpose::new(&alphabet, base64::engine::general_purpose::NO_PAD);
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u8> = Vec::new();
    let flush = |pending: &mut Vec<u8>, out: &mut String| {
        if !pending.is_empty() {
            out.push('&');
            out.push_str(&engine.encode(&pending));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                pending.extend_from_slice(&unit.to_be_bytes());
            }
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// UIDs as a sequence set: `1:3,7,9:10`.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if sorted[i] == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{}", sorted[i]));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Response {
        parse_response(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn status_responses() {
        assert_eq!(
            parse(b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.\r\n"),
            Response::Status {
                status: Status::Ok,
                code: Some("CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN".into()),
                text: "Dovecot ready.".into()
            }
        );
        assert_eq!(
            parse(b"K3 NO [TRYCREATE] Mailbox doesn't exist: Done\r\n"),
            Response::Tagged {
                tag: "K3".into(),
                status: Status::No,
                code: Some("TRYCREATE".into()),
                text: "Mailbox doesn't exist: Done".into()
            }
        );
        assert_eq!(
            parse(b"K1 bad Error in IMAP command: (unbalanced\r\n"),
            Response::Tagged {
                tag: "K1".into(),
                status: Status::Bad,
                code: None,
                text: "Error in IMAP command: (unbalanced".into()
            }
        );
        assert_eq!(
            parse(b"* BYE going away\r\n"),
            Response::Status { status: Status::Bye, code: None, text: "going away".into() }
        );
        assert_eq!(parse(b"+ \r\n"), Response::Continuation(String::new()));
        assert_eq!(parse(b"+\r\n"), Response::Continuation(String::new()));
        assert_eq!(parse(b"+ go ahead\r\n"), Response::Continuation("go ahead".into()));
    }

    #[test]
    fn data_and_fetch_with_literals() {
        assert_eq!(
            parse(b"* SEARCH 3 17 42\r\n"),
            Response::Data { name: "SEARCH".into(), values: ["3", "17", "42"].map(|a| Value::Atom(a.into())).to_vec() }
        );
        assert_eq!(parse(b"* SEARCH\r\n"), Response::Data { name: "SEARCH".into(), values: vec![] });
        assert_eq!(parse(b"* 4 EXISTS\r\n"), Response::Numbered { number: 4, name: "EXISTS".into(), values: vec![] });
        let body = b"Subject: a ) \"tricky\" {5}\r\n\r\nline\r\n";
        let mut input =
            format!("* 2 FETCH (UID 71 RFC822.SIZE {} BODY[] {{{}}}\r\n", body.len(), body.len()).into_bytes();
        input.extend_from_slice(body);
        input.extend_from_slice(b" FLAGS (\\Seen NonJunk) X \"q\\\"uo\\\\te\" BODY[HEADER.FIELDS (TO FROM)] NIL)\r\n");
        let Response::Numbered { number: 2, name, values } = parse(&input) else { panic!() };
        assert_eq!(name, "FETCH");
        let [Value::List(items)] = values.as_slice() else { panic!("{values:?}") };
        assert_eq!(items[1].number(), Some(71));
        assert_eq!(items[3].number(), Some(body.len() as u64));
        assert_eq!(items[4], Value::Atom("BODY[]".into()));
        assert_eq!(items[5], Value::String(body.to_vec()));
        assert_eq!(items[7], Value::List(vec![Value::Atom("\\Seen".into()), Value::Atom("NonJunk".into())]));
        assert_eq!(items[9], Value::String(b"q\"uo\\te".to_vec()));
        assert_eq!(items[10], Value::Atom("BODY[HEADER.FIELDS (TO FROM)]".into()));
        assert_eq!(items[11], Value::Atom("NIL".into()));
        // An empty literal, and a literal at the very end.
        let Response::Numbered { values, .. } = parse(b"* 1 FETCH (BODY[] {0}\r\n)\r\n") else { panic!() };
        assert_eq!(values, vec![Value::List(vec![Value::Atom("BODY[]".into()), Value::String(vec![])])]);
    }

    #[test]
    fn literal_announcements() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {123}\r\n"), Some(123));
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {7+}\r\n"), Some(7));
        assert_eq!(literal_len(b"{0}\n"), Some(0));
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(literal_len(b"* OK {}\r\n"), None);
        assert_eq!(literal_len(b"* OK done\r\n"), None);
        assert_eq!(literal_len(b"{99999999999999}\r\n"), None);
    }

    #[test]
    fn broken_responses_are_errors_not_panics() {
        let cases: [&[u8]; 12] = [
            b"",
            b"*",
            b"* ",
            b"K1 MAYBE\r\n",
            b"* 1 FETCH (UID 1\r\n",
            b"* 1 FETCH UID 1)\r\n",
            b"* 1 FETCH (BODY[] {10}\r\nshort)\r\n",
            b"* 1 FETCH (BODY[] {1x}\r\n",
            b"* 1 FETCH (X \"open\r\n",
            b"* 1 FETCH (X \"\\",
            b"* 1 FETCH (X {5}",
            b"* 1 FETCH (X {18446744073709551615}\r\n)",
        ];
        for case in cases {
            assert!(parse_response(case).is_err(), "{:?}", String::from_utf8_lossy(case));
        }
        // Every prefix of a valid response parses or fails cleanly.
        let good = b"* 2 FETCH (UID 7 BODY[] {3}\r\nabc FLAGS (\\Seen))\r\n";
        for cut in 0..good.len() {
            let _ = parse_response(&good[..cut]);
        }
    }

    #[test]
    fn arguments_are_quoted_or_literal() {
        assert_eq!(string_arg(b"bounces"), (b"\"bounces\"".to_vec(), None));
        assert_eq!(string_arg(br#"pa"ss\word"#), (br#""pa\"ss\\word""#.to_vec(), None));
        assert_eq!(string_arg("pässwort".as_bytes()), (b"{9}".to_vec(), Some("pässwort".as_bytes().to_vec())));
        assert_eq!(string_arg(b"a\r\nb").1, Some(b"a\r\nb".to_vec()));
    }

    #[test]
    fn mailbox_names_in_modified_utf7() {
        assert_eq!(mailbox_name("INBOX"), "INBOX");
        assert_eq!(mailbox_name("Bounces & Replies"), "Bounces &- Replies");
        // RFC 3501's own example.
        assert_eq!(mailbox_name("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(mailbox_name("Rückläufer"), "R&APw-ckl&AOQ-ufer");
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5, 4, 4]), "4:5");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[]), "");
    }
}
