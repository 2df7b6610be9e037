//! The message as DKIM sees it: CRLF line ends, header fields, and the relaxed canonicalizations of
//! RFC 6376 3.4.2 (headers) and 3.4.4 (body).
//!
//! Everything here works on byte slices of the message and writes canonical bytes to a buffer or a
//! hash, so a message is read once and copied only when its line ends must be repaired.

use std::borrow::Cow;

use memchr::memchr;
use memchr::memmem::Finder;

/// Space or horizontal tab, the `WSP` of RFC 5234.
fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The message with CRLF line ends and a final CRLF, borrowed when it already has them (our
/// composer's output always does, so the common case copies nothing).
///
/// A bare LF becomes CRLF: messages stored or written by tools with Unix line ends are signed as
/// SMTP will carry them. A missing final CRLF is added because SMTP `DATA` adds it too, and the
/// signature must cover the body the receiver sees. A bare CR is content and stays.
pub(super) fn to_crlf(message: &[u8]) -> Cow<'_, [u8]> {
    let bare_lf = memchr::memchr_iter(b'\n', message).any(|i| i == 0 || message[i - 1] != b'\r');
    let ends_with_crlf = message.is_empty() || message.ends_with(b"\r\n");
    if !bare_lf && ends_with_crlf {
        return Cow::Borrowed(message);
    }
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', message) {
        if i == 0 || message[i - 1] != b'\r' {
            out.extend_from_slice(&message[start..i]);
            out.extend_from_slice(b"\r\n");
            start = i + 1;
        }
    }
    out.extend_from_slice(&message[start..]);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    Cow::Owned(out)
}

/// One header field: its name (without the whitespace some writers put before the colon) and its
/// raw value (everything after the colon, folds included, without the final CRLF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Field<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
}

/// Splits a CRLF message (see [`to_crlf`]) into its header fields and the offset where its body
/// starts (after the empty line; the message's length when there is no body).
///
/// A line in the header section that is not a field (no colon, or a name with spaces or control
/// characters) is refused rather than guessed at: such a message is broken, and a verifier might
/// read its headers differently than we sign them.
pub(super) fn split_header(message: &[u8]) -> Result<(Vec<Field<'_>>, usize), String> {
    let mut fields = Vec::with_capacity(24);
    let mut pos = 0;
    let mut line_no = 1;
    while pos < message.len() {
        let rest = &message[pos..];
        if rest.starts_with(b"\r\n") {
            return Ok((fields, pos + 2));
        }
        if is_wsp(rest[0]) {
            return Err(format!("header line {line_no} starts with a space, but no header field precedes it"));
        }
        // The field ends at the first CRLF that is not followed by a space or tab (a fold).
        let mut end = 0;
        loop {
            let Some(lf) = memchr(b'\n', &rest[end..]) else {
                end = rest.len();
                break;
            };
            end += lf + 1;
            line_no += 1;
            if end >= rest.len() || !is_wsp(rest[end]) {
                break;
            }
        }
        let field = rest[..end].strip_suffix(b"\r\n").unwrap_or(&rest[..end]);
        let colon = memchr(b':', field).ok_or_else(|| {
            format!("header line {} is not a header field (it has no colon): {}", line_no - 1, excerpt(field))
        })?;
        let name = trim_end_wsp(&field[..colon]);
        if name.is_empty() || !name.iter().all(|b| (33..=126).contains(b)) {
            return Err(format!("header field name {} is not a valid name", excerpt(&field[..colon])));
        }
        fields.push(Field { name, value: &field[colon + 1..] });
        pos += end;
    }
    Ok((fields, message.len()))
}

/// The start of a refused line, for error messages.
fn excerpt(line: &[u8]) -> String {
    let s = String::from_utf8_lossy(&line[..line.len().min(60)]);
    format!("{s:?}")
}

fn trim_end_wsp(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|b| !is_wsp(*b)).map_or(0, |i| i + 1);
    &s[..end]
}

/// Appends the relaxed form of one header field (RFC 6376 3.4.2), without a line end: the name in
/// lower case, a colon, and the value unfolded, with each run of spaces and tabs made one space and
/// none at either end.
pub(super) fn relaxed_header(name: &[u8], value: &[u8], out: &mut Vec<u8>) {
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let mut space = false;
    let mut started = false;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b == b'\r' && value.get(i + 1) == Some(&b'\n') {
            // Unfolding removes the CRLF; the space or tab after it is handled as any other.
            i += 2;
            continue;
        }
        if is_wsp(b) {
            space = started;
        } else {
            if space {
                out.push(b' ');
                space = false;
            }
            started = true;
            out.push(b);
        }
        i += 1;
    }
}

/// Feeds the relaxed form of a CRLF body (RFC 6376 3.4.4) to `put`, in pieces: spaces and tabs
/// at line ends dropped, runs of them inside a line made one space, empty lines at the end
/// dropped (so an empty body and one of only empty lines both give nothing).
///
/// Inside a line only a tab or two whitespace characters in a row need a change. Those are searched
/// for across the body with SIMD (`memchr`, `memmem`) and the text between them is passed on as
/// slices of the body, so a typical body is hashed in a few pieces per line and never copied. (Going
/// byte by byte, with a branch on every space, was several times slower than the hashing itself.)
pub(super) fn relaxed_body(body: &[u8], mut put: impl FnMut(&[u8])) {
    let doubles = Finder::new(b"  ");
    let mut tabs = Next::new(body, |hay| memchr(b'\t', hay));
    let mut double_spaces = Next::new(body, |hay| doubles.find(hay));
    let mut empty_lines = 0usize;
    let mut start = 0;
    while start < body.len() {
        let (line_end, next) = match memchr(b'\n', &body[start..]) {
            Some(i) => {
                let lf = start + i;
                (if lf > start && body[lf - 1] == b'\r' { lf - 1 } else { lf }, lf + 1)
            }
            None => (body.len(), body.len()),
        };
        let end = start + trim_end_wsp(&body[start..line_end]).len();
        let line_start = start;
        start = next;
        if end == line_start {
            // Kept back until a line with content follows: trailing empty lines are not signed.
            empty_lines += 1;
            continue;
        }
        for _ in 0..empty_lines {
            put(b"\r\n");
        }
        empty_lines = 0;
        let mut clean = line_start; // start of the part of the line not yet passed on
        loop {
            let special = tabs.at_or_after(clean).min(double_spaces.at_or_after(clean));
            if special >= end {
                break;
            }
            // The whole run of whitespace around it (a tab may follow a space). It ends before
            // `end`, since the line ends with something else.
            let mut run_start = special;
            while run_start > clean && is_wsp(body[run_start - 1]) {
                run_start -= 1;
            }
            let mut run_end = special + 1;
            while run_end < end && is_wsp(body[run_end]) {
                run_end += 1;
            }
            put(&body[clean..run_start]);
            put(b" ");
            clean = run_end;
        }
        put(&body[clean..end]);
        put(b"\r\n");
    }
}

/// The next match of a search in the body, searched again only once the reader has passed it.
struct Next<'a, F> {
    body: &'a [u8],
    find: F,
    /// The match at or after the last position asked for; `usize::MAX` for none.
    pos: usize,
}

impl<'a, F: Fn(&[u8]) -> Option<usize>> Next<'a, F> {
    fn new(body: &'a [u8], find: F) -> Self {
        let pos = find(body).unwrap_or(usize::MAX);
        Self { body, find, pos }
    }

    fn at_or_after(&mut self, from: usize) -> usize {
        if self.pos < from {
            self.pos = (self.find)(&self.body[from..]).map_or(usize::MAX, |i| from + i);
        }
        self.pos
    }
}
