//! A light walk over a message: its header block, and its MIME parts split
//! at their boundaries and decoded only when they are read. A full MIME
//! parse would also parse every `Received` field, decode attachments and
//! the body of the attached original message, none of which a bounce parser
//! reads. The few header fields it does read are parsed by mail-parser.

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderName, MessageParser};

/// The parser of encoded Subject fields (see [`unstructured`]).
static PARSER: LazyLock<MessageParser> =
    LazyLock::new(|| MessageParser::new().header_text(HeaderName::Subject).default_header_ignore());

/// Builds the Subject parser.
pub(crate) fn warm_up() {
    LazyLock::force(&PARSER);
}

/// Header fields whose values are parsed (Content-Type and
/// Content-Transfer-Encoding always are); the others are only kept raw.
pub(crate) const MESSAGE: &[&str] = &["subject", "from", "to"];
/// What is read of an attached original message.
pub(crate) const ORIGINAL: &[&str] = &["to", "message-id"];

/// Fields of delivery-status and feedback reports (RFC 3464, RFC 5965), lower case.
const REPORT_FIELDS: &[&[u8]] = &[
    b"reporting-mta",
    b"final-recipient",
    b"original-recipient",
    b"action",
    b"status",
    b"diagnostic-code",
    b"remote-mta",
    b"arrival-date",
    b"feedback-type",
    b"user-agent",
];

/// `line` begins with a field of a report (`Final-Recipient: ...`): a delivery-status part with no
/// such line is text.
pub(crate) fn begins_with_report_field(line: &str) -> bool {
    let b = line.as_bytes();
    REPORT_FIELDS.iter().any(|f| b.len() > f.len() && b[f.len()] == b':' && b[..f.len()].eq_ignore_ascii_case(f))
}

/// Multipart nesting deeper than this is read as text.
const MAX_DEPTH: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    None,
    Base64,
    QuotedPrintable,
}

/// The header block of a message or of a part.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    /// Every field: its name and its raw value (folded lines included).
    fields: Fields<'a>,
    /// `text`, `multipart`, ... in lower case (`None`: no Content-Type).
    pub ctype: Option<String>,
    /// `plain`, `report`, ... in lower case.
    pub subtype: String,
    boundary: Option<String>,
    charset: Option<String>,
    /// The `report-type` of a `multipart/report`, lower case.
    pub report_type: Option<String>,
    encoding: Encoding,
    /// The Subject, decoded.
    pub subject: Option<String>,
    /// The first address of From and of To.
    pub from: Option<String>,
    pub to: Option<String>,
    pub message_id: Option<String>,
    /// Lines of words that are not fields came before or among the fields ("The following
    /// recipient(s) could not be reached:", "The recipient name is not recognized"): the block is
    /// text with a `Subject:` line in it or a quoted header block further on, or a header block
    /// that runs into its body without an empty line.
    pub prose: bool,
}

impl<'a> Head<'a> {
    /// The header block at the start of `raw` and the offset of the body;
    /// `None` when `raw` does not start with a header field. Of the
    /// fields in `wanted` ([`MESSAGE`], [`ORIGINAL`] or none) the values
    /// are parsed.
    pub(crate) fn parse(raw: &'a [u8], wanted: &[&str]) -> Option<(Head<'a>, usize)> {
        let (fields, body, prose) = scan(raw);
        if fields.is_empty() {
            return None;
        }
        let mut head = Head { fields, prose, ..Head::empty() };
        if let Some(value) = head.raw_bytes("content-type") {
            let ct = ContentType::parse(value);
            head.ctype = Some(ct.ctype);
            head.subtype = ct.subtype;
            head.boundary = ct.params.iter().find(|(n, _)| n == "boundary").map(|(_, v)| v.clone());
            head.charset = ct.params.iter().find(|(n, _)| n == "charset").map(|(_, v)| v.clone());
            head.report_type = ct.params.iter().find(|(n, _)| n == "report-type").map(|(_, v)| v.to_ascii_lowercase());
        }
        head.encoding = match head.raw_bytes("content-transfer-encoding").map(|v| v.trim_ascii()) {
            Some(e) if e.eq_ignore_ascii_case(b"base64") => Encoding::Base64,
            Some(e) if e.eq_ignore_ascii_case(b"quoted-printable") => Encoding::QuotedPrintable,
            _ => Encoding::None,
        };
        let wants = |name: &str| wanted.contains(&name);
        if wants("subject") {
            head.subject = head.raw_bytes("subject").and_then(unstructured);
        }
        if wants("from") {
            head.from = head.raw_bytes("from").and_then(first_address);
        }
        if wants("to") {
            head.to = head.raw_bytes("to").and_then(first_address);
        }
        if wants("message-id") {
            head.message_id = head.raw_bytes("message-id").and_then(message_id);
        }
        Some((head, body))
    }

    /// A head without fields: what text pasted without its header block is read with (a plain text
    /// body in US-ASCII or UTF-8).
    pub(crate) fn empty() -> Head<'a> {
        Head {
            fields: Vec::new(),
            ctype: None,
            subtype: String::new(),
            boundary: None,
            charset: None,
            report_type: None,
            encoding: Encoding::None,
            subject: None,
            from: None,
            to: None,
            message_id: None,
            prose: false,
        }
    }

    /// The block has a field of a delivery-status or feedback report (a report's part pasted or
    /// saved alone: "Reporting-MTA: dns; ...", "Final-Recipient: ...", "Feedback-Type: abuse").
    pub(crate) fn names_report_fields(&self) -> bool {
        self.names_any(REPORT_FIELDS)
    }

    /// The block has a field that messages have and pasted text does not start with, with a value
    /// (Microsoft 365's details as text have "Subject:" with its value on the next line).
    pub(crate) fn names_message_fields(&self) -> bool {
        self.names_any_with_value(MESSAGE_FIELDS) || self.names_any_with_value(&[b"content-type"])
    }

    /// The block has a field of one of these names (lower case).
    fn names_any(&self, names: &[&[u8]]) -> bool {
        self.fields.iter().any(|(name, _)| names.iter().any(|n| name.eq_ignore_ascii_case(n)))
    }

    /// The block has a field of one of these names (lower case) whose value is not empty.
    fn names_any_with_value(&self, names: &[&[u8]]) -> bool {
        self.fields
            .iter()
            .any(|(name, value)| !value.trim_ascii().is_empty() && names.iter().any(|n| name.eq_ignore_ascii_case(n)))
    }

    /// The raw value of the first field called `name` (not decoded, folded
    /// lines included); `None` when there is none or it is not UTF-8.
    pub(crate) fn raw(&self, name: &str) -> Option<&'a str> {
        self.raw_bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    fn raw_bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| *v)
    }
}

/// An unstructured field value (Subject): its lines trimmed and joined by
/// single spaces; encoded words (RFC 2047) decoded by mail-parser.
fn unstructured(value: &[u8]) -> Option<String> {
    if memchr::memmem::find(value, b"=?").is_some() {
        let mut field = b"Subject:".to_vec();
        field.extend_from_slice(value);
        field.extend_from_slice(b"\n\n");
        return PARSER.parse_headers(&field).and_then(|m| m.subject().map(str::to_string));
    }
    let text = crate::text::lossy(value);
    let mut out = String::new();
    for line in text.split('\n') {
        let line = line.trim_matches([' ', '\t', '\r']);
        if !line.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(line);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The first address of an address list (`"Name" <a@b>, c@d`,
/// `a@b (comment)`): the first bracketed address with an `@`, else the first
/// word with one.
fn first_address(value: &[u8]) -> Option<String> {
    let text = crate::text::lossy(value);
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let inner = after[..close].trim();
        if inner.contains('@') && !inner.contains(char::is_whitespace) {
            return Some(inner.to_string());
        }
        rest = &after[close + 1..];
    }
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '<' | '>'))
        .map(|w| w.trim_matches(['"', '\'']))
        .find(|w| w.contains('@') && !w.starts_with('@') && !w.ends_with('@'))
        .map(str::to_string)
}

/// The first message id of a field (`<id@host>`), without brackets.
fn message_id(value: &[u8]) -> Option<String> {
    let text = crate::text::lossy(value);
    let text = text.trim();
    let id = match text.strip_prefix('<') {
        Some(rest) => rest.split('>').next().unwrap_or(rest),
        None => text.split_whitespace().next().unwrap_or(""),
    };
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// A Content-Type value: type and subtype in lower case, parameters with
/// lower-case names (RFC 2231 continuations joined, charset prefixes
/// dropped).
struct ContentType {
    ctype: String,
    subtype: String,
    params: Vec<(String, String)>,
}

impl ContentType {
    fn parse(value: &[u8]) -> ContentType {
        let text = crate::text::lossy(value);
        let mut rest = text.as_ref();
        let (kind, tail) = match rest.find(';') {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, ""),
        };
        rest = tail;
        let kind = kind.trim().to_ascii_lowercase();
        let (ctype, subtype) = match kind.split_once('/') {
            Some((t, s)) => (t.trim().to_string(), s.trim().to_string()),
            None => (kind, String::new()),
        };
        // name (lower case), section number for continuations, value
        let mut pieces: Vec<(String, usize, String)> = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
            let Some(eq) = rest.find('=') else { break };
            let name = rest[..eq].trim().to_ascii_lowercase();
            rest = rest[eq + 1..].trim_start();
            let value = if let Some(quoted) = rest.strip_prefix('"') {
                let mut v = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => v.push(c),
                    }
                }
                rest = &quoted[end..];
                v
            } else {
                let end = rest.find([';', ' ', '\t', '\r', '\n']).unwrap_or(rest.len());
                let v = rest[..end].to_string();
                rest = &rest[end..];
                v
            };
            // RFC 2231: name*=utf-8''value, name*0=..., name*1*=...
            let (base, section, extended) = match name.split_once('*') {
                Some((b, s)) => {
                    let s = s.trim_end_matches('*');
                    (b.to_string(), s.parse().unwrap_or(0), name.ends_with('*'))
                }
                None => (name, 0, false),
            };
            let value = if extended && section == 0 {
                value.splitn(3, '\'').nth(2).map(str::to_string).unwrap_or(value)
            } else {
                value
            };
            pieces.push((base, section, value));
        }
        pieces.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, section, value) in pieces {
            match params.last_mut() {
                Some((n, v)) if *n == name => {
                    if section > 0 {
                        v.push_str(&value);
                    }
                }
                _ => params.push((name, value)),
            }
        }
        ContentType { ctype, subtype, params }
    }
}

type Fields<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Give the field being read its value, from `open` (start, end) in `raw`.
fn close<'a>(raw: &'a [u8], fields: &mut Fields<'a>, open: &mut Option<(usize, usize)>) {
    if let Some((s, e)) = open.take()
        && let Some(last) = fields.last_mut()
    {
        last.1 = &raw[s..e];
    }
}

/// `raw` begins with a header field (`Name: value`) or an mbox `From ` line, as messages do; text
/// pasted from a report (its body, or a line of it) does not. The name must look like
/// the names mail uses (a letter, then letters, digits, `-` and `_`), so that a first line such as
/// `<a@example.org>: host ...`, `2021-04-21T17:16:28 ...` or `https://...` is not taken for one.
pub(crate) fn starts_with_field(raw: &[u8]) -> bool {
    let line = &raw[..memchr::memchr(b'\n', raw).unwrap_or(raw.len())];
    if line.starts_with(b"From ") {
        return true;
    }
    let Some(colon) = memchr::memchr(b':', line) else { return false };
    let name = line[..colon].trim_ascii_end();
    name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !line[colon + 1..].starts_with(b"//")
}

/// The fields of the header block at the start of `raw`, the offset of the body, and whether two
/// lines of words that are not fields came among the fields, or a sentence before them and one
/// among them when they are only a Subject (Exchange's delay report as Outlook shows it: "Delivery
/// is delayed to these recipients or groups: / a@b / Subject: Test / This message hasn't been
/// delivered yet. ..."). The block ends at an empty line; lines that are
/// not fields are skipped, as lenient parsers do (a folded line that lost its indent:
/// `charset="utf-8"`), except where a header block runs into its text without the empty line (pasted
/// or forwarded: "Subject: Mail delivery failed" followed at once by the report's lines): after
/// the last field, the end of the text comes first, or two lines of words, and the body begins there.
fn scan(raw: &[u8]) -> (Fields<'_>, usize, bool) {
    let mut fields: Fields<'_> = Vec::new();
    // Start and end of the value of the field being read.
    let mut open: Option<(usize, usize)> = None;
    // Where the lines that are not fields, since the last field, begin, and how many of them are
    // lines of words.
    let mut stray: Option<usize> = None;
    let mut stray_words = 0;
    // Of those, the ones that read as the start of a text, not as a folded line of a field.
    let mut stray_text = 0;
    // Lines of words that are not fields, after the first field, and those of them that are
    // sentences.
    let mut prose = 0;
    let mut prose_text = 0;
    // Whether an empty line follows (asked once, and only of a block with lines of words).
    let mut has_empty_line: Option<bool> = None;
    // Sentences before the first field, and whether a report's line that the original follows
    // comes after them.
    let mut lead_words = 0;
    let mut quotes_below = false;
    // Where the body begins, when an empty line ends the block.
    let mut body_at = None;
    let mut i = 0;
    while i < raw.len() {
        let end = memchr::memchr(b'\n', &raw[i..]).map_or(raw.len(), |p| i + p + 1);
        let line = &raw[i..end];
        if line == b"\n" || line == b"\r\n" {
            body_at = Some(if stray_words >= 2 { stray.unwrap_or(end) } else { end });
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            // A folded line continues the field before it.
            if let Some((_, e)) = open.as_mut() {
                *e = end;
            }
        } else {
            close(raw, &mut fields, &mut open);
            let colon = memchr::memchr(b':', line);
            let name = colon.map(|c| line[..c].trim_ascii_end()).unwrap_or_default();
            let valid = !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic() && *b != b':');
            if let (true, Some(c)) = (valid, colon) {
                if fields.is_empty() {
                    // Sentences, then a line that says the original message follows, then its
                    // fields: a report pasted without its own header block ("Sorry, we were unable
                    // to deliver your message ... / --- Below this line is a copy of the message.
                    // / Received: ..."), text with a quoted header block, not a header block.
                    quotes_below = lead_words >= 2 && {
                        let lead = String::from_utf8_lossy(&raw[..i]);
                        crate::text::REPORT_QUOTES.iter().any(|m| crate::text::contains_ci(&lead, m))
                    };
                }
                fields.push((name, &[]));
                open = Some((i + c + 1, end));
                stray = None;
                stray_words = 0;
                stray_text = 0;
            } else if !fields.is_empty() {
                stray.get_or_insert(i);
                if line.split(|&b| b == b' ').filter(|w| !w.trim_ascii().is_empty()).count() >= 3 {
                    stray_words += 1;
                    prose += 1;
                    let sentence = usize::from(is_sentence(line));
                    stray_text += sentence;
                    prose_text += sentence;
                    if stray_text == 2
                        && !*has_empty_line.get_or_insert_with(|| has_empty_line_in(&raw[end..]))
                        && !message_field_follows(&raw[end..])
                    {
                        // In a text without an empty line (a paste that lost them), two sentences
                        // after the fields begin the text when no field of a message follows
                        // them: a report's "<a@b>: host ..." further on is its text, not a field.
                        // (Where an empty line follows, lines of words among the fields are more
                        // often folded lines that lost their indent, as they may be here too: a
                        // To: list of names, a long Subject.)
                        close(raw, &mut fields, &mut open);
                        return (fields, stray.unwrap_or(end), true);
                    }
                }
            } else {
                lead_words += usize::from(is_sentence(line));
            }
        }
        i = end;
    }
    close(raw, &mut fields, &mut open);
    let prose = prose >= 2 || lead_words >= 1 && prose_text >= 1 && only_subject(&fields) || quotes_below;
    (fields, body_at.unwrap_or_else(|| stray.unwrap_or(raw.len())), prose)
}

/// The block's only fields are `Subject:` lines: what Outlook shows of a report between its
/// sentences (a message's header block, or headers forwarded below a note, have more).
fn only_subject(fields: &Fields<'_>) -> bool {
    !fields.is_empty() && fields.iter().all(|(name, _)| name.eq_ignore_ascii_case(b"subject"))
}

/// A line of text that reads as a sentence of a report ("This is the mail system at host
/// mx.example.net.", "I'm sorry to have to inform you that your message could not"): three words or
/// more, most of them words of letters, no address, no `name=value` (a folded Authentication-Results
/// or DKIM-Signature line that lost its indent), and not the start of a folded Received line ("by
/// mx.example.org with ESMTP id ...", "for <a@b>; ...", "(envelope-from ...)", its date).
fn is_sentence(line: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[b"by ", b"for ", b"with ", b"id ", b"from ", b"via ", b"("];
    const DAYS: &[&[u8]] = &[b"mon, ", b"tue, ", b"wed, ", b"thu, ", b"fri, ", b"sat, ", b"sun, "];
    let starts = |p: &&[u8]| line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p);
    if line.first().is_some_and(u8::is_ascii_digit)
        || WORDS.iter().any(starts)
        || DAYS.iter().any(starts)
        || line.iter().any(|&b| matches!(b, b'=' | b'@' | b'<'))
    {
        return false;
    }
    let (mut words, mut lettered) = (0usize, 0usize);
    for w in line.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()) {
        words += 1;
        let letters = w.iter().filter(|b| b.is_ascii_alphabetic() || **b >= 0x80).count();
        lettered += usize::from(
            letters > 0 && w.iter().all(|&b| b.is_ascii_alphabetic() || b >= 0x80 || b"'.,;:!()-".contains(&b)),
        );
    }
    words >= 3 && 3 * lettered >= 2 * words
}

/// A field of a message (From, To, Subject, Received, ...) among the next lines that look like
/// fields, before a line that says the original message follows ("--- Below this line is a copy of
/// the message.", Mutt's "[-- Type: message/rfc822 --]"): the block goes on there.
fn message_field_follows(rest: &[u8]) -> bool {
    const MORE: &[&[u8]] = &[b"cc", b"reply-to", b"dkim-signature", b"authentication-results"];
    const ORIGINAL_FOLLOWS: &[&str] =
        &["copy of the message", "original message", "message/rfc822", "rfc822-headers", "original headers"];
    rest.split(|&b| b == b'\n')
        .take(40)
        .take_while(|line| {
            // Up to the original message, a recipient's line ("<a@b>: host ...") or the
            // delivery-status fields: what comes after them is the report's and the original's.
            let text = std::str::from_utf8(line).unwrap_or("");
            let stop = ORIGINAL_FOLLOWS.iter().any(|m| crate::text::contains_ci(text, m))
                || line.starts_with(b"<") && line.contains(&b'@')
                || begins_with_report_field(text);
            !stop
        })
        .filter_map(|line| {
            let colon = memchr::memchr(b':', line)?;
            let name = line[..colon].trim_ascii_end();
            (!line.starts_with(b" ")
                && !line.starts_with(b"\t")
                && !name.is_empty()
                && name.iter().all(|b| b.is_ascii_graphic()))
            .then_some(name)
        })
        .take(8)
        .any(|name| MESSAGE_FIELDS.iter().chain(MORE).any(|m| name.eq_ignore_ascii_case(m)))
}

/// Whether `raw` holds an empty line (LF or CRLF).
pub(crate) fn has_empty_line_in(raw: &[u8]) -> bool {
    memchr::memmem::find(raw, b"\n\n").is_some() || memchr::memmem::find(raw, b"\n\r\n").is_some()
}

/// Fields that a message's header block has and text does not (a part's header has only Content-*).
const MESSAGE_FIELDS: &[&[u8]] =
    &[b"from", b"to", b"subject", b"date", b"received", b"return-path", b"message-id", b"mime-version"];

/// One leaf part of a message.
pub(crate) struct Part<'a> {
    /// `text`, `message`, ... in lower case.
    pub ctype: String,
    /// `plain`, `delivery-status`, ... in lower case.
    pub subtype: String,
    charset: Option<String>,
    encoding: Encoding,
    /// The body as it stands in the message, transfer-encoded.
    raw: &'a [u8],
}

impl<'a> Part<'a> {
    /// The body with its transfer encoding undone (as it stands when it
    /// cannot be decoded).
    pub(crate) fn bytes(&self) -> Cow<'a, [u8]> {
        let decoded = match self.encoding {
            Encoding::None => None,
            Encoding::Base64 => base64_decode(self.raw),
            Encoding::QuotedPrintable => quoted_printable(self.raw),
        };
        decoded.map_or(Cow::Borrowed(self.raw), Cow::Owned)
    }

    /// The body as text: transfer encoding and charset undone.
    pub(crate) fn text(&self) -> String {
        let bytes = self.bytes();
        // ASCII reads the same in the charsets that extend it; the others
        // (UTF-16, UTF-7, ISO-2022 with its escapes) are decoded.
        let extends_ascii = |c: &str| {
            let c = c.to_ascii_lowercase();
            ["us-ascii", "ascii", "utf-8", "utf8", "iso-8859-", "iso8859-", "windows-125", "cp125", "latin"]
                .iter()
                .any(|p| c.starts_with(p))
        };
        if let Some(charset) = self.charset.as_deref()
            && !(bytes.is_ascii() && extends_ascii(charset))
            && let Some(decode) = charset_decoder(charset.as_bytes())
        {
            return decode(&bytes);
        }
        match bytes {
            Cow::Owned(v) => {
                String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
            Cow::Borrowed(b) => crate::text::lossy(b).into_owned(),
        }
    }
}

/// Undo quoted-printable encoding; `None` for an invalid escape. The same
/// rules as mail-parser's decoder (soft line breaks, trailing white space
/// of a line dropped, line breaks kept as the text writes them), but runs
/// of plain text are copied whole.
fn quoted_printable(bytes: &[u8]) -> Option<Vec<u8>> {
    #[derive(PartialEq)]
    enum State {
        Text,
        Escape,
        FirstDigit(u8),
    }
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut state = State::Text;
    let mut crlf: &[u8] = b"\n";
    // Trailing white space of the line so far, dropped at its end.
    let mut blanks = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if state == State::Text {
            let end = memchr::memchr3(b'=', b'\n', b'\r', &bytes[i..]).map_or(bytes.len(), |p| i + p);
            let run = &bytes[i..end];
            let trailing = run.iter().rev().take_while(|c| c.is_ascii_whitespace()).count();
            blanks = if trailing == run.len() { blanks + trailing } else { trailing };
            out.extend_from_slice(run);
            i = end;
            if i == bytes.len() {
                break;
            }
        }
        let c = bytes[i];
        i += 1;
        match c {
            b'=' if state == State::Text => state = State::Escape,
            b'=' => return None,
            b'\n' => {
                if state == State::Escape {
                    state = State::Text;
                } else {
                    out.truncate(out.len() - blanks);
                    out.extend_from_slice(crlf);
                }
                blanks = 0;
            }
            b'\r' => crlf = b"\r\n",
            _ => match state {
                // (Plain text is copied in runs above; kept for clarity.)
                State::Text => {
                    blanks = if c.is_ascii_whitespace() { blanks + 1 } else { 0 };
                    out.push(c);
                }
                State::Escape => match hex(c) {
                    Some(d) => state = State::FirstDigit(d),
                    None if c.is_ascii_whitespace() => {}
                    None => return None,
                },
                State::FirstDigit(d) => {
                    state = State::Text;
                    out.push((d << 4) | hex(c)?);
                    blanks = 0;
                }
            },
        }
    }
    Some(out)
}

/// The leaf parts of a message with header block `head` and body `body`,
/// in order. Attached messages are leaves.
pub(crate) fn parts<'a>(head: &Head<'_>, body: &'a [u8]) -> Vec<Part<'a>> {
    let mut out = Vec::new();
    walk(Some(head), body, false, 0, &mut out);
    out
}

/// `head` is the header block of the part (`None`: it has none).
fn walk<'a>(head: Option<&Head<'_>>, body: &'a [u8], in_digest: bool, depth: usize, out: &mut Vec<Part<'a>>) {
    let (ctype, subtype) = match head.and_then(|h| h.ctype.clone()) {
        Some(t) => (t, head.map(|h| h.subtype.clone()).unwrap_or_default()),
        // A part of a digest without a type is a message, elsewhere text.
        None if in_digest => ("message".to_string(), "rfc822".to_string()),
        None => ("text".to_string(), "plain".to_string()),
    };
    if ctype == "multipart"
        && depth < MAX_DEPTH
        && let Some(boundary) = head.and_then(|h| h.boundary.as_deref()).filter(|b| !b.is_empty())
        && let Some(children) = split(body, boundary.as_bytes())
    {
        let digest = subtype == "digest";
        for child in children {
            // A part without fields begins with its empty line; one whose first line is text lost
            // that line (a paste that dropped every empty line: "--b\nHi. This is the qmail-send
            // program ..."): all of it is its body, "<a@b>:" lines included.
            let first_line = &child[..memchr::memchr(b'\n', child).unwrap_or(child.len())];
            let parsed = if child.starts_with(b"\n")
                || child.starts_with(b"\r\n")
                || !starts_with_field(child) && is_sentence(first_line)
            {
                None
            } else {
                Head::parse(child, &[])
            };
            match parsed {
                Some((h, at)) => walk(Some(&h), &child[at..], digest, depth + 1, out),
                None => {
                    let body = child.strip_prefix(b"\r\n").or(child.strip_prefix(b"\n")).unwrap_or(child);
                    walk(None, body, digest, depth + 1, out);
                }
            }
        }
        return;
    }
    // A multipart without a boundary to split at stays one part.
    out.push(Part {
        ctype,
        subtype,
        charset: head.and_then(|h| h.charset.clone()),
        encoding: head.map_or(Encoding::None, |h| h.encoding),
        raw: body,
    });
}

/// The parts of a multipart body between `--boundary` delimiters (found
/// anywhere, as lenient parsers do); `None` when there is no delimiter.
fn split<'a>(body: &'a [u8], boundary: &[u8]) -> Option<Vec<&'a [u8]>> {
    let mut delimiter = Vec::with_capacity(boundary.len() + 2);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary);
    let finder = memchr::memmem::Finder::new(&delimiter);
    let mut at = finder.find(body)?;
    let mut out = Vec::new();
    loop {
        let mut start = at + delimiter.len();
        if body[start..].starts_with(b"--") {
            break;
        }
        // Skip transport padding to the end of the delimiter line.
        while let Some(&c) = body.get(start) {
            if c == b'\n' {
                start += 1;
                break;
            }
            if !c.is_ascii_whitespace() {
                break;
            }
            start += 1;
        }
        let Some(next) = finder.find(&body[start..]).map(|p| start + p) else {
            // No closing delimiter: the rest is the last part.
            out.push(&body[start..]);
            break;
        };
        // The line break before a delimiter belongs to the delimiter.
        let mut end = next;
        if end > start && body[end - 1] == b'\n' {
            end -= 1;
            if end > start && body[end - 1] == b'\r' {
                end -= 1;
            }
        }
        out.push(&body[start..end]);
        at = next;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_all(raw: &[u8]) -> Vec<(String, String)> {
        let (head, at) = Head::parse(raw, MESSAGE).unwrap();
        parts(&head, &raw[at..]).iter().map(|p| (format!("{}/{}", p.ctype, p.subtype), p.text())).collect()
    }

    #[test]
    fn header_block() {
        let raw = b"From ignored mbox line\r\nFrom: \"A\" <a@b.example>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n \
folded\r\nX-Failed-Recipients: c@d.example\r\n\r\nbody";
        let (head, at) = Head::parse(raw, MESSAGE).unwrap();
        assert_eq!(&raw[at..], b"body");
        assert_eq!(head.from.as_deref(), Some("a@b.example"));
        assert_eq!(head.subject.as_deref(), Some("café folded"));
        assert_eq!(head.raw("x-failed-recipients").map(str::trim), Some("c@d.example"));
        assert_eq!(head.raw("To"), None);
        assert!(Head::parse(b"no header here\n\nbody", MESSAGE).is_none());
        assert!(Head::parse(b"", MESSAGE).is_none());
    }

    #[test]
    fn quoted_printable_as_mail_parser_decodes_it() {
        use mail_parser::decoders::quoted_printable::quoted_printable_decode;
        let fixed: [&[u8]; 8] = [
            b"caf=C3=A9 \r\nsoft=\r\nbreak  \nend",
            b"a=\n b=3d=3D c",
            b"bad=ZZ",
            b"x= \t\ny",
            b"==",
            b"tail=",
            b"=4",
            b"trailing   \n\n  lead",
        ];
        for input in fixed {
            assert_eq!(quoted_printable(input), quoted_printable_decode(input), "{:?}", String::from_utf8_lossy(input));
        }
        // Random strings over the bytes that matter.
        let alphabet = b"=\r\n \tAa3fFz\xc3";
        let mut seed: u32 = 7;
        for _ in 0..20_000 {
            let len = (seed % 24) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    alphabet[(seed % alphabet.len() as u32) as usize]
                })
                .collect();
            assert_eq!(quoted_printable(&input), quoted_printable_decode(&input), "{input:?}");
        }
    }

    #[test]
    fn content_type_values() {
        let ct = ContentType::parse(b" Multipart/Report; report-type=delivery-status;\r\n\tboundary=\"a;b \\\"c\"");
        assert_eq!((ct.ctype.as_str(), ct.subtype.as_str()), ("multipart", "report"));
        let get = |n: &str| ct.params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("report-type"), Some("delivery-status"));
        assert_eq!(get("boundary"), Some("a;b \"c"));
        let ct = ContentType::parse(b"text/plain; charset*=utf-8''iso-8859-1; name*0=\"a\"; name*1=b");
        let get = |n: &str| ct.params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("charset"), Some("iso-8859-1"));
        assert_eq!(get("name"), Some("ab"));
        let ct = ContentType::parse(b"garbage");
        assert_eq!((ct.ctype.as_str(), ct.subtype.as_str(), ct.params.len()), ("garbage", "", 0));
    }

    #[test]
    fn nested_multiparts_and_encodings() {
        let raw = b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"X\"\r\n\r\npreamble\r\n--X\r\n\
Content-Type: multipart/alternative; boundary=Y\r\n\r\n--Y\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--Y\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--Y--\r\n\
--X\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--X\r\nContent-Type: image/png\r\n\
Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--X--\r\nepilogue\r\n";
        let got = walk_all(raw);
        let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, ["text/plain", "text/html", "message/delivery-status", "image/png"]);
        assert_eq!(got[0].1, "café");
        assert_eq!(got[2].1, "Status: 5.1.1");
    }

    #[test]
    fn single_part_and_missing_pieces() {
        assert_eq!(walk_all(b"Subject: x\n\nhello\n"), [("text/plain".to_string(), "hello\n".to_string())]);
        // No closing delimiter, a part without header fields.
        let raw = b"Content-Type: multipart/mixed; boundary=Z\n\n--Z\n\nfirst\n--Z\nContent-Type: text/plain\n\nsecond";
        let got = walk_all(raw);
        assert_eq!(got, [("text/plain".into(), "first".into()), ("text/plain".into(), "second".into())]);
        // No delimiter at all.
        let raw = b"Content-Type: multipart/mixed; boundary=Q\n\nno parts here\n";
        assert_eq!(walk_all(raw)[0].0, "multipart/mixed");
    }
}
