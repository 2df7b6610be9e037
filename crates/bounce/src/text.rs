//! Helpers for human-readable bounces: status and reply codes in free text,
//! e-mail addresses, and the recipient/diagnostic pairs that Postfix, Exim,
//! Sendmail, qmail, Exchange and others write in their plain-text part.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Find an RFC 3463 status (`5.1.1`, `4.7.26`) in text, preferring one
/// that directly follows an SMTP reply code (`550 5.7.1`, `550-'5.7.1`).
pub(crate) fn find_status(text: &str) -> Option<String> {
    let mut all = all_statuses(text);
    if all.iter().any(|(_, s)| !s.starts_with('2')) {
        all.retain(|(_, s)| !s.starts_with('2'));
    }
    remote_status(text, &all).or(all.first()).map(|(_, s)| s.clone())
}

/// The remote server's own status: the first that directly follows an SMTP reply code
/// (`550 5.7.1`), or one that Exchange relays in angle brackets.
pub(crate) fn replied_status(text: &str) -> Option<String> {
    let all: Vec<_> = all_statuses(text).into_iter().filter(|(_, s)| !s.starts_with('2')).collect();
    remote_status(text, &all).map(|(_, s)| s.clone())
}

/// Of the statuses found in `text`, the remote server's: one Exchange relays, else the first after
/// a reply code.
fn remote_status<'s>(text: &str, all: &'s [(usize, String)]) -> Option<&'s (usize, String)> {
    all.iter().find(|(pos, _)| relayed(text, *pos)).or_else(|| all.iter().find(|(pos, _)| after_reply_code(text, *pos)))
}

/// Exchange relays the remote reply as "554 5.7.0 < #5.7.133 smtp;550 5.7.133 ...>" or "550 5.7.514
/// ... -> 554 5.7.1 ...": the status after "<#" or after "-> NNN" is the remote server's, the one
/// before it Exchange's summary.
fn relayed(text: &str, pos: usize) -> bool {
    let before = text[..pos].trim_end_matches(' ');
    if before.strip_suffix('#').is_some_and(|b| b.trim_end_matches(' ').ends_with('<')) {
        return true;
    }
    let b = before.as_bytes();
    b.len() > 3 && b[b.len() - 3..].iter().all(u8::is_ascii_digit) && before[..b.len() - 3].trim_end().ends_with("->")
}

fn after_reply_code(text: &str, pos: usize) -> bool {
    let before = text[..pos].trim_end_matches([' ', '-', '\'', '"', '#', '(']);
    let b = before.as_bytes();
    b.len() >= 3 && b[b.len() - 3..].iter().all(u8::is_ascii_digit)
}

pub(crate) fn all_statuses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'2' | b'4' | b'5')
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
            && b.get(i + 1) == Some(&b'.')
        {
            let mut j = i + 2;
            let s1 = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > s1 && j - s1 <= 3 && b.get(j) == Some(&b'.') {
                let s2 = j + 1;
                let mut k = s2;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                let ends = k >= b.len()
                    || !(b[k].is_ascii_alphanumeric() || b[k] == b'.' && b.get(k + 1).is_some_and(u8::is_ascii_digit));
                if k > s2 && k - s2 <= 3 && ends {
                    out.push((i, text[i..k].to_string()));
                }
            }
        }
        i += 1;
    }
    out
}

/// `w` is a status and nothing else (`5.1.1`).
pub(crate) fn is_status_word(w: &str) -> bool {
    let mut it = w.split('.');
    let class = it.next().unwrap_or("");
    let digits =
        |p: Option<&str>| p.is_some_and(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    matches!(class, "2" | "4" | "5") && digits(it.next()) && digits(it.next()) && it.next().is_none()
}

/// The text of `bytes`, borrowed when it is valid UTF-8 (the common case,
/// checked fast), with replacement characters otherwise.
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Collapse whitespace and drop the `550-5.1.1 ` prefixes that multi-line
/// SMTP replies repeat on every line (keeping the first one).
pub(crate) fn clean_diagnostic(d: &str) -> String {
    let mut out = String::with_capacity(d.len());
    let mut words = d.split_whitespace().peekable();
    let mut seen = false;
    while let Some(w) = words.next() {
        let b = w.as_bytes();
        let code3 = b.len() >= 3
            && b[..3].iter().all(u8::is_ascii_digit)
            && matches!(b[0], b'2' | b'4' | b'5')
            && (b.len() == 3 || b[3] == b'-');
        if code3 && !seen {
            seen = true;
        } else if code3 {
            // "550-5.2.1", "550-", "550 5.2.1" repeated on continuation lines
            if b.len() > 4 && b[3] == b'-' && is_status_word(&w[4..]) {
                continue;
            }
            if (b.len() == 4 && b[3] == b'-' || b.len() == 3) && words.peek().is_some_and(|n| is_status_word(n)) {
                words.next();
                continue;
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// A line that only draws a rule: four or more of `-`, `_`, `=` or `*` ("----------").
fn is_rule(line: &str) -> bool {
    line.len() >= 4 && line.bytes().all(|b| matches!(b, b'-' | b'_' | b'=' | b'*'))
}

/// `text` with runs of white space collapsed to single spaces, trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for w in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The remote MTA named in prose: "host mx.example.org[192.0.2.9] said",
/// "host: mx.example.org (192.0.2.9)", "while talking to mx.example.org.:".
pub(crate) fn find_remote_host(text: &str) -> Option<String> {
    // Every marker, in order of preference; each at every place it occurs.
    let mut hits: Vec<(usize, usize)> =
        HOST_MATCHER.find_overlapping_iter(text).map(|m| (m.pattern().as_usize(), m.end())).collect();
    hits.sort_unstable();
    hits.into_iter().find_map(|(_, start)| {
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .map_or(text.len(), |p| start + p);
        let token = text[start..end].trim_end_matches('.').to_ascii_lowercase();
        let ip = token.split('.').count() == 4
            && token.split('.').all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        let name = token.contains('.') && token.chars().any(|c| c.is_ascii_alphabetic()) && !token.contains("..");
        (name || ip).then_some(token)
    })
}

/// The words before a remote host's name, most telling first.
const HOST_MARKERS: [&str; 6] =
    ["while talking to ", "connect to ", "connected to ", "remote host ", "host: ", "host "];

/// Builds this module's automata.
pub(crate) fn warm_up() {
    LazyLock::force(&HOST_MATCHER);
    LazyLock::force(&COMMAND_MATCHER);
    LazyLock::force(&ORIGINAL_MATCHER);
    LazyLock::force(&LOG_PROGRAMS);
}

static HOST_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .ascii_case_insensitive(true)
        .build(HOST_MARKERS)
        .expect("the host markers build an automaton")
});

/// The SMTP command the remote server refused, when the text says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// The greeting, HELO or EHLO: the sending host was refused.
    Connect,
    MailFrom,
    RcptTo,
    Data,
}

/// Phrases that name the SMTP command a remote server refused.
const COMMANDS: &[(&str, Command)] = &[
    ("end of data", Command::Data),
    (">>> data", Command::Data),
    ("after data", Command::Data),
    ("in reply to data", Command::Data),
    ("smtp command data", Command::Data),
    ("after initial connection", Command::Connect),
    ("after ehlo", Command::Connect),
    ("after helo", Command::Connect),
    ("in reply to ehlo", Command::Connect),
    ("in reply to helo", Command::Connect),
    (">>> ehlo", Command::Connect),
    (">>> helo", Command::Connect),
    // Gmail names the SMTP state its peer was in when it refused.
    ("(state 13)", Command::Connect),
    ("(state 14)", Command::RcptTo),
    ("(state 15)", Command::Data),
    ("(state 17)", Command::Data),
    ("(state 18)", Command::Data),
    ("in reply to mail from", Command::MailFrom),
    ("after mail from", Command::MailFrom),
    (">>> mail from", Command::MailFrom),
    ("in reply to rcpt to", Command::RcptTo),
    ("after rcpt command", Command::RcptTo),
    ("rcpt to response", Command::RcptTo),
    ("smtp:rcpt", Command::RcptTo),
    ("[rcpt_to]", Command::RcptTo),
    ("after rcpt to", Command::RcptTo),
    (">>> rcpt to", Command::RcptTo),
    // An MTA at datainfosys.net: "[550 Receipient Not Found] / In Response of [RCPT TO: <a@b>]".
    ("in response of [rcpt to", Command::RcptTo),
    // Postfix, Microsoft 365 and others give this answer to RCPT TO only.
    ("recipient address rejected", Command::RcptTo),
    ("did not like our rcpt to", Command::RcptTo),
    // qmail-remote: "192.0.2.9 does not like recipient. Remote host said: 550 ...".
    ("does not like recipient", Command::RcptTo),
];

static COMMAND_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(MatchKind::LeftmostFirst)
        .build(COMMANDS.iter().map(|(p, _)| p))
        .expect("the command phrases build an automaton")
});

/// The SMTP command a (normalised) text names first.
pub(crate) fn command_in(normalised: &str) -> Option<Command> {
    COMMAND_MATCHER.find(normalised).map(|m| COMMANDS[m.pattern().as_usize()].1)
}

/// Punctuation of Chinese and Japanese text, after which a reply code may follow at once.
const FULL_WIDTH_MARKS: &[&str] = &["：", "（", "，", "。", "、", "\u{3000}", "「", "【"];

/// Find an SMTP reply code (`550`, `421`) at the start of the text or of a
/// line, or after "said:"/"error:".
pub(crate) fn find_reply_code(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        if matches!(b[i], b'4' | b'5')
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && (i == 0
                || matches!(b[i - 1], b' ' | b'\n' | b'\t' | b'(' | b'<' | b'#' | b':' | b'"' | b'\'')
                // A DSN's diagnostic type before it, unspaced: "smtp;550 ...".
                || b[i - 1] == b';' && ends_with_ci(&text[..i - 1], "smtp")
                // After full-width punctuation ("原因：450 ..."), or after a letter of another
                // script with a status ("邮件投递失败550 5.7.25 ..."): "价格500 元", "€500" are prices.
                || FULL_WIDTH_MARKS.iter().any(|m| b[..i].ends_with(m.as_bytes()))
                || b[i - 1] >= 0x80
                    && text[i + 3..].strip_prefix(' ').and_then(|r| r.split(' ').next()).is_some_and(is_status_word))
            && (i + 3 >= b.len() || matches!(b[i + 3], b' ' | b'-' | b'\r' | b'\n' | b')' | b'>' | b','))
        {
            let code: u16 = text[i..i + 3].parse().ok()?;
            if (b[i + 1] - b'0') <= 5 {
                return Some(code);
            }
        }
    }
    None
}

fn is_addr_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b".!#$%&'*+-/=?^_`{|}~".contains(&c)
}

/// Every e-mail address in text, with its byte offset.
pub(crate) fn addresses(text: &str) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'@', &b[i..]) {
        i += p;
        {
            let mut s = i;
            while s > 0 && is_addr_char(b[s - 1]) {
                s -= 1;
            }
            // A quoted local part (RFC 5321): "<\"user 1234 with space\"@icloud.com>", as Postfix
            // logs and reports it, quotes kept. Only a whole one: it opens after a bracket, a space
            // or a line's start, on the same line, and holds no quotation mark or bracket.
            if s == i && i > 0 && b[i - 1] == b'"' {
                // (The nearest quotation mark or line end before it: a line of many such addresses
                // is read once.)
                let open = memchr::memrchr2(b'"', b'\n', &b[..i - 1]).filter(|&o| b[o] == b'"');
                if let Some(open) = open {
                    let inside = &b[open + 1..i - 1];
                    let opens_alone = open == 0 || b" \t<:;,(".contains(&b[open - 1]);
                    if opens_alone && !inside.is_empty() && !inside.iter().any(|c| b"<>\\".contains(c)) {
                        s = open;
                    }
                }
            }
            let mut e = i + 1;
            while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'.' || b[e] == b'-') {
                e += 1;
            }
            // (Leading '*' is legal but in practice Markdown bold around a pasted address, and a
            // leading '{' a dictionary's brace: Python's "{'a@b': (550, ...)}".)
            let mut local = text[s..i].trim_start_matches(['.', '\'', '`', '*', '{']);
            // An X.400 address's domain-defined attribute names the Internet address
            // (Exchange 5.5: "c=US;a= ;p=ORG;o=Site;dda:SMTP=ann@example.com;").
            // So does a key before its value: policyd-spf's "envelope-from=a@b; receiver=a@b",
            // an authentication result's "smtp.mailfrom=a@b", an LDAP name's "CN=a@b", an
            // application's log in key=value form ("rcpt=a@b", "to=a@b").
            for key in [
                "smtp=",
                "rfc-822=",
                "rfc822=",
                "envelope-from=",
                "receiver=",
                "smtp.mailfrom=",
                "smtp.rcptto=",
                "cn=",
                "rcpt=",
                "recipient=",
                "to=",
                "email=",
            ] {
                if starts_with_ci(local, key) {
                    local = &local[key.len()..];
                }
            }
            let domain = text[i + 1..e].trim_end_matches(['.', '-']);
            // (Not a tag of a DKIM signature or an authentication result: "header.i=@example.org";
            // not a link's path: "https://news.example/u/88/ann@example.net".)
            if !local.is_empty() && !local.ends_with('=') && !local.contains("//") && domain.contains('.') {
                out.push((i - local.len(), format!("{local}@{domain}")));
            }
            i = e.max(i + 1);
        }
    }
    out
}

/// `text` starts with `prefix`, whatever the ASCII case of either.
fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.as_bytes().get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// `text` ends with `suffix`, whatever the ASCII case of either.
fn ends_with_ci(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len() && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// `needle` (lower case ASCII) occurs in `haystack`, whatever its case.
pub(crate) fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return true };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), h)
        .any(|at| h.get(at..at + n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n)))
}

/// How a mail system's own report says that the original message follows (not a person's
/// forward, whose "----- Original Message -----" is in `ORIGINAL_MARKERS` only).
pub(crate) const REPORT_QUOTES: &[&str] = &[
    "------ this is a copy of the message",
    // Exim's notices that are no DSN ("Mail failure - message too big"): "------ This is a copy of
    // your message, including all the headers."
    "------ this is a copy of your message",
    "--- below this line is a copy of the message",
    "--- enclosed is a copy of the message",
    "--- enclosed are the original headers of the message",
    "----- unsent message below -----",
    "----- unsent message follows -----",
];

/// Lines of a report's own wording that end the part about a recipient (OpenSMTPD's, after its
/// list of recipients).
const REPORT_FOOTERS: &[&str] =
    &["please note that this is only a temporary failure report.", "below is a copy of the original message:"];

/// Markers after which a plain-text bounce quotes the original message (besides `REPORT_QUOTES`).
const ORIGINAL_MARKERS: &[&str] = &[
    "----- original message -----",
    "original message follows",
    // Exchange's report above the original's header: "Original message headers:", in French
    // "En-têtes de message d'origine :", in German "Ursprüngliche Nachrichtenkopfzeilen:", in
    // Spanish "Encabezados del mensaje original:".
    "original message headers:",
    "en-têtes de message d'origine",
    "ursprüngliche nachrichtenkopfzeilen",
    "encabezados del mensaje original",
    // An MTA at datainfosys.net: "Original Message Here ..........." above the returned message.
    "original message here",
    "original mail as follows",
    "--- the header of the original message is following. ---",
    "------ original message header",
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
    "\nreceived: from",
    "\nreturn-path:",
];

// An NFA over a lower-cased copy of the text: it builds in a fraction of
// the time of a case-insensitive DFA and, with a prefilter that a
// case-insensitive search cannot use, searches as fast.
static ORIGINAL_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(MatchKind::LeftmostFirst)
        .build(REPORT_QUOTES.iter().chain(ORIGINAL_MARKERS))
        .expect("the markers build an automaton")
});

/// The part of a plain-text bounce before the quoted original message.
pub(crate) fn cut_original(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    let end = ORIGINAL_MATCHER.find_iter(&lower).map(|m| m.start()).find(|p| *p > 0).unwrap_or(text.len());
    &text[..end]
}

fn is_system_address(a: &str) -> bool {
    let local = a.split('@').next().unwrap_or("");
    ["mailer-daemon", "mailerdaemon", "mail-daemon", "noreply", "no-reply", "root"]
        .iter()
        .any(|n| local.eq_ignore_ascii_case(n))
        || is_bounce_address(local)
        || starts_with_ci(local, "mailer-daemon")
}

/// A return path for bounces: "bounce", "bounces", or either followed by a separator and a tag
/// ("bounce-123", "bounces+list=example.org"); "bouncer" or "bounceduser" is somebody's name.
fn is_bounce_address(local: &str) -> bool {
    ["bounces", "bounce"].iter().any(|word| {
        starts_with_ci(local, word) && local.as_bytes().get(word.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// A recipient found in a plain-text bounce, with the text that explains it.
#[derive(Debug)]
pub(crate) struct TextRecipient {
    pub address: String,
    pub diagnostic: String,
    /// Listed the way MTAs list failed recipients (at the start of its line), not named in prose.
    pub listed: bool,
}

/// A host given as an IP address ("192.0.2.7", "[2001:db8::7]"), not by name.
pub(crate) fn is_ip_literal(host: &str) -> bool {
    let host = host.split_whitespace().next().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.strip_prefix("IPv6:").or_else(|| host.strip_prefix("ipv6:")).unwrap_or(host);
    host.parse::<std::net::IpAddr>().is_ok()
}

/// The first paragraph of a report that quotes an SMTP reply ("said: 550 5.1.1 ..."), from the
/// line with the reply code to the next blank line (at most ten lines), whitespace collapsed.
pub(crate) fn quoted_reply(report: &str) -> Option<String> {
    let lines: Vec<&str> = report.lines().collect();
    let first = lines.iter().position(|l| find_reply_code(l).is_some() && find_status(l).is_some())?;
    let paragraph: Vec<&str> =
        lines[first..].iter().take(10).take_while(|l| !l.trim().is_empty()).map(|l| l.trim()).collect();
    Some(collapse_whitespace(&paragraph.join(" ")))
}

/// qmail's reason, with a status of its own at the end: "... (#5.1.1)".
pub(crate) fn is_qmail_reason(line: &str) -> bool {
    line.trim_end()
        .strip_suffix(')')
        .and_then(|l| l.rsplit_once("(#"))
        .is_some_and(|(_, status)| is_status_word(status))
}

/// How mail libraries report the server's refusal of a message they were sending, with the reply
/// after them: JavaMail ("SMTPAddressFailedException: 550 ..."), Python ("SMTPRecipientsRefused:
/// {'a@b': (550, b'5.1.1 ...')}"), Ruby ("Net::SMTPFatalError: 550 ..."), .NET ("Mailbox
/// unavailable. The server response was: 5.1.1 ...", MailKit's "SmtpCommandException: 5.1.1 ..."),
/// Symfony ("Expected response code 250 but got code \"550\", with message ..."), Nodemailer
/// ("Can't send mail - all recipients were rejected: 550 ..."), PHPMailer ("The following
/// recipients failed: a@b: ..."), lettre ("permanent error (550): ..."), gomail ("gomail: could
/// not send email 1: 550 ..."), go-smtp ("SMTP error 421: ..."). Lower case, as in the normalised
/// text.
pub(crate) const CLIENT_ERRORS: &[&str] = &[
    "smtpaddressfailedexception: ",
    "smtpsendfailedexception: ",
    "smtprecipientsrefused: ",
    "smtpdataerror: (",
    "net::smtpfatalerror: ",
    "net::smtpserverbusy: ",
    "smtpcommandexception: ",
    "expected response code 250 but got code ",
    "all recipients were rejected: ",
    "the following recipients failed: ",
    "gomail: could not send email ",
    "the server response was: ",
    "smtp error ",
    "permanent error (",
    "transient error (",
];

/// The text after a mail library's marker (`CLIENT_ERRORS`) begins with the server's reply, as
/// the library writes it: its code or status (JavaMail: "SMTPAddressFailedException: 550 ...";
/// .NET: "The server response was: 5.1.1 ..."; Python: "SMTPDataError: (550, b'...')"), Python's
/// refused recipients ("{'a@b': (550,
/// b'...')}"), PHPMailer's recipient ("a@b: ..."), gomail's message number and command ("1: Rcpt:
/// 550 ..."), a code and a colon (go-smtp: "SMTP error 421: ...", lettre: "permanent error (550):
/// ..."). Not a number in prose after the marker ("... SMTPFatalError: raised when the server
/// answered 550") or a comment ("except SMTPRecipientsRefused: # 550").
pub(crate) fn begins_with_client_reply(marker: &str, after: &str) -> bool {
    let code_then =
        |after: &str, close: &str| starts_with_failure_code(after.as_bytes()) && after[3..].starts_with(close);
    let reply_first = |after: &str| {
        let after = after.trim_start_matches(['"', '\'', '(', ' ']);
        begins_with_reply(after)
            || code_then(after, "\"")
            || code_then(after, ",")
            || after.split(' ').next().is_some_and(is_status_word)
    };
    match marker {
        "the server response was: " => after.split(' ').next().is_some_and(is_status_word),
        "smtp error " => code_then(after, ":"),
        "permanent error (" | "transient error (" => code_then(after, "):"),
        "smtprecipientsrefused: " => {
            after.starts_with('{')
                && ["': (", "\": ("].iter().any(|k| after.find(k).is_some_and(|at| code_then(&after[at + 4..], ",")))
        }
        "the following recipients failed: " => after.split(' ').next().is_some_and(|w| w.contains('@')),
        "gomail: could not send email " => {
            let rest = after.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(": ");
            // (After the command where the library names it: "Rcpt: 550 ...".)
            let rest = rest.split_once(": ").filter(|(command, _)| command.len() <= 6).map_or(rest, |(_, r)| r);
            reply_first(rest)
        }
        _ => reply_first(after),
    }
}

/// The text (lower case) has a mail library's report of the server's reply (`CLIENT_ERRORS`).
pub(crate) fn has_client_error(lower: &str) -> bool {
    CLIENT_ERRORS.iter().any(|m| {
        lower.match_indices(m).any(|(at, _)| {
            // (lettre's wording is HTTP clients' too: "transient error (503): Service Unavailable";
            // it counts on a line that names SMTP: "SMTP 5xx error: permanent error (550): ...".)
            let line = &lower[lower[..at].rfind('\n').map_or(0, |n| n + 1)..at];
            let smtp_named = line.contains("smtp");
            (smtp_named || !m.ends_with("error (")) && begins_with_client_reply(m, &lower[at + m.len()..])
        })
    })
}

/// The one status `report` gives as a server's reply gives it, when every such status is the same:
/// at a line's start ("5.1.1 szn; User hasn't got ...", "550 5.1.1 ..."), or after "said: 550 ",
/// "Reason: " or "Status: ", on a line that names no address but `recipient`. Not a number in
/// prose, a subject, a footer's version or a date ("Release 5.1.2", "seit dem 4.3.24").
pub(crate) fn lone_reply_status(report: &str, recipient: &str) -> Option<String> {
    let b = report.as_bytes();
    let mut found: Option<&str> = None;
    // (Each status's first dot, found fast: most text has few statuses and many lines.)
    for dot in memchr::memchr_iter(b'.', b) {
        let Some(start) = dot.checked_sub(1) else { continue };
        if !matches!(b[start], b'4' | b'5')
            || start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'.')
        {
            continue;
        }
        let end = report[start..].find([' ', ';', ',', '\n', '\r', ')']).map_or(report.len(), |n| start + n);
        let status = &report[start..end];
        if !is_status_word(status) {
            continue;
        }
        let line_start = report[..start].rfind('\n').map_or(0, |n| n + 1);
        let before = report[line_start..start].trim_start().as_bytes();
        // Without the reply code right before it ("550 5.1.1", "550-5.1.1", "said: 550 5.1.1").
        let n = before.len();
        let before = if n >= 4
            && matches!(before[n - 1], b' ' | b'-')
            && starts_with_failure_code(&before[n - 4..])
            && (n == 4 || before[n - 5] == b' ')
        {
            &before[..n - 4]
        } else {
            before
        };
        let before = before.trim_ascii_end();
        let stands = before.is_empty()
            || [&b"said:"[..], b"reason:", b"status:"]
                .iter()
                .any(|l| before.len() >= l.len() && before[before.len() - l.len()..].eq_ignore_ascii_case(l));
        if !stands {
            continue;
        }
        let line_end = report[start..].find('\n').map_or(report.len(), |n| start + n);
        if addresses(&report[line_start..line_end]).iter().any(|(_, a)| !a.eq_ignore_ascii_case(recipient)) {
            return None;
        }
        match found {
            Some(f) if f != status => return None,
            _ => found = Some(status),
        }
    }
    found.map(str::to_string)
}

/// The line that gives the reason where a report's address line is missing (cut or masked where
/// it was pasted), trimmed: qmail's, with a status of its own ("CNAME lookup failed temporarily.
/// (#4.4.3)"), a reply as providers' logs give it, status first ("5.7.1 Unfortunately, messages
/// from [192.0.2.9] weren't sent ..."), or a reply alone or after "said:" ("Remote host said:
/// 554-Transaction failed") or Gmail's "The error that the other server returned was:", or a mail
/// library's report of the reply ("SMTPAddressFailedException: 550 ...").
pub(crate) fn reason_line(report: &str) -> Option<&str> {
    report.lines().map(|l| l.trim().trim_matches(['"', '\'', '`'])).find(|l| {
        let qmail = is_qmail_reason(l);
        let status_first = l.split_once(' ').is_some_and(|(first, rest)| is_status_word(first) && has_letters(rest));
        // A reply, alone or after "said:" ("Remote host said: 554-Transaction failed").
        let reply: &str =
            l.rsplit_once("said: ").or_else(|| l.rsplit_once("server returned was: ")).map_or(l, |(_, r)| r);
        let reply = after_diagnostic_type(reply).unwrap_or(reply.trim_start());
        let reply_first = begins_with_reply(reply) && has_letters(&reply[4..]);
        qmail || status_first || reply_first || has_client_error(&l.to_ascii_lowercase())
    })
}

/// The reply after the diagnostic type a DSN's Diagnostic-Code puts before it ("smtp;550 5.1.1
/// ...", "SMTP; 550 ..."); `None` without one.
pub(crate) fn after_diagnostic_type(reply: &str) -> Option<&str> {
    let reply = reply.trim_start();
    reply.get(..5).filter(|p| p.eq_ignore_ascii_case("smtp;")).map(|_| reply[5..].trim_start())
}

/// `b` begins with a failure's reply code: three digits, the first 4 or 5 (`550`, `451`).
pub(crate) fn starts_with_failure_code(b: &[u8]) -> bool {
    b.len() >= 3 && matches!(b[0], b'4' | b'5') && b[1..3].iter().all(u8::is_ascii_digit)
}

/// `line` begins with a failure's reply code and what follows it (`550 ...`, `451-...`).
pub(crate) fn begins_with_reply(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 4 && starts_with_failure_code(b) && matches!(b[3], b' ' | b'-')
}

fn has_letters(text: &str) -> bool {
    text.bytes().filter(u8::is_ascii_alphabetic).count() >= 3
}

/// The text before an address in prose ends in "from" ("mail from", "sent from <").
fn names_the_sender(before: &str) -> bool {
    let b = before.trim_end_matches(['<', '"', '\'', ' ', '\t']).as_bytes();
    // "... from <sender>", and the greeting of a report written to its sender ("Hello
    // sender@example.com, We're writing to let you know that the group you tried to contact ...").
    ["from", "hello", "hi", "dear"].iter().any(|w| {
        let w = w.as_bytes();
        b.len() >= w.len()
            && b[b.len() - w.len()..].eq_ignore_ascii_case(w)
            && (b.len() == w.len() || !b[b.len() - w.len() - 1].is_ascii_alphanumeric())
    })
}

/// Sendmail's line for a recipient, read by [`sendmail_line`]: "550 5.1.1 <a@b>... User unknown".
struct SendmailLine<'a> {
    /// The reply code's first digit.
    class: u8,
    /// A status follows the reply code.
    status: bool,
    /// The address is in angle brackets.
    bracketed: bool,
    address: &'a str,
    /// What follows the three dots.
    reason: &'a str,
}

/// The reply code, perhaps a status, the address (perhaps in angle brackets) and three dots, as
/// sendmail lists a recipient; `None` for any other line. (`line` without its indent.)
fn sendmail_line(line: &str) -> Option<SendmailLine<'_>> {
    let b = line.as_bytes();
    if b.len() < 5 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b' ' {
        return None;
    }
    let mut words = line[4..].split(' ').filter(|w| !w.is_empty());
    let mut word = words.next()?;
    let status = is_status_word(word);
    if status {
        word = words.next()?;
    }
    let listed = word.strip_suffix("...")?;
    let address = listed.trim_start_matches('<').trim_end_matches('>');
    // (The first `word` in the line: the code and the status end in no dots.)
    let reason = line.find(word).map_or("", |at| &line[at + word.len()..]);
    (address.contains('@') && !address.contains(['<', '>', '(', ')'])).then(|| SendmailLine {
        class: b[0],
        status,
        bracketed: listed.starts_with('<'),
        address,
        reason,
    })
}

/// Sendmail's per-recipient line for `address`: `550 <a@b>... reason`, `550 a@b... reason` (a
/// refusal: 4xx or 5xx; not about the sender: "250 a@b... Sender ok", "553 <a@b>... Domain of
/// sender address does not exist"). A line with a status after the code is a remote server's reply
/// quoted, which may name an alias ("550 5.1.1 <alias@b>... User unknown"), not one of these; so
/// is an indented one without brackets (a reply wrapped or quoted under its recipient).
fn is_sendmail_line(line: &str, address: &str) -> bool {
    let indented = line.starts_with([' ', '\t']);
    sendmail_line(line.trim()).is_some_and(|l| {
        matches!(l.class, b'4' | b'5')
            && !l.status
            && (l.bracketed || !indented)
            && l.address.eq_ignore_ascii_case(address)
            && !starts_with_ci(l.reason.trim_start(), "sender")
            && !contains_ci(l.reason, "domain of sender address")
    })
}

/// The last non-empty line of `before` ends with "sent by" (Exim) or is a label of the sender's
/// address ("Sender Address:" in Microsoft 365's "Original Message Details" as text, "Envelope
/// sender address:"; the value on the next line): the next address is the sender's. (Not a
/// sentence that ends so, nor a table's column header.)
fn follows_sender_label(before: &[&str]) -> bool {
    before.iter().rev().find(|l| !l.trim().is_empty()).is_some_and(|l| {
        let t = l.trim();
        let label = t.trim_end_matches(':').trim_end();
        t.ends_with(':') && label.split_whitespace().count() <= 3 && ends_with_ci(label, "sender address")
            || ends_with_ci(label, "sent by")
    })
}

/// The line labels its address as the failed recipient ("Failed Recipient: a@b", as SmarterMail
/// and others write it): what follows the label.
fn after_recipient_label(line: &str) -> Option<&str> {
    ["failed recipient:", "recipient address:"].iter().find_map(|label| {
        line.get(..label.len()).filter(|l| l.eq_ignore_ascii_case(label)).map(|_| line[label.len()..].trim_start())
    })
}

/// Sendmail's own line for a recipient it could not deliver to: "550 5.1.1 <a@b>... User unknown" or
/// "550 a@b... User unknown", the reply code, perhaps a status, the address and three dots. It is
/// how sendmail reports the answer to RCPT TO (an answer to DATA comes with its transcript).
pub(crate) fn is_sendmail_recipient_line(line: &str) -> bool {
    sendmail_line(line.trim_start()).is_some()
}

/// A recipient's line as Postfix writes it, "<a@b>: rest" (a quoted local part may hold spaces:
/// "<\"ann lee\"@example.org>: ..."): the address and the rest.
pub(crate) fn bracketed_recipient(line: &str) -> Option<(&str, &str)> {
    let (address, rest) = line.strip_prefix('<')?.split_once(">:")?;
    let (local, domain) = address.rsplit_once('@')?;
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    let plain = |s: &str| !s.is_empty() && !s.contains([' ', '\t', '<', '"']);
    ((quoted || plain(local)) && plain(domain) && domain.contains('.')).then_some((address, rest))
}

/// A line that lists a recipient as Postfix and qmail do: "<a@b>: host ... said: ...", "<a@b>:".
pub(crate) fn is_bracketed_recipient_line(line: &str) -> bool {
    line.starts_with('<') && line.contains(">:") && line.contains('@')
}

/// The last of `lines` is indented and folds a Postfix recipient's line ("<a@b>: host ... said:"),
/// directly or after other indented lines.
fn continues_a_postfix_recipient(lines: &[&str]) -> bool {
    let Some((last, before)) = lines.split_last() else { return false };
    if !last.starts_with([' ', '\t']) {
        return false;
    }
    before
        .iter()
        .rev()
        .find(|l| !l.starts_with([' ', '\t']) || l.trim().is_empty())
        .is_some_and(|l| is_bracketed_recipient_line(l))
}

/// Sendmail's recipient line at the start of `text` or after a space in it (a diagnostic that
/// begins with the recipient as the report lists it and goes on to the transcript's "550 a@b...
/// User unknown").
pub(crate) fn quotes_sendmail_recipient_line(text: &str) -> bool {
    is_sendmail_recipient_line(text)
        || memchr::memmem::find(text.as_bytes(), b"...").is_some()
            && text.match_indices(' ').any(|(at, _)| {
                text.as_bytes().get(at + 1).is_some_and(|b| matches!(b, b'4' | b'5'))
                    && is_sendmail_recipient_line(&text[at + 1..])
            })
}

/// The line holds nothing but the address (`a@b`, `<a@b>`, `a@b:`), or lists it as Postfix lists
/// a failed recipient (`<a@b>: host ... said: ...`, `<a@b> (expanded from <root>): ...`).
fn is_alone(line: &str, address: &str) -> bool {
    if line.trim_matches(['<', '>', ':', '"', ' ']).eq_ignore_ascii_case(address) {
        return true;
    }
    line.strip_prefix('<')
        .and_then(|rest| {
            let listed = rest.get(..address.len())?;
            listed.eq_ignore_ascii_case(address).then(|| &rest[address.len()..])
        })
        .is_some_and(|rest| rest.starts_with(">:") || rest.starts_with("> (expanded from"))
}

struct Found {
    line: usize,
    address: String,
    /// Listed the way MTAs list failed recipients, not mentioned in prose.
    listed: bool,
    sendmail: bool,
    /// The lines where the report lists the address again (Exchange: for the administrators).
    again: Vec<usize>,
    /// From a line of Postfix's log: its diagnostic, and whether the message was deferred.
    log: Option<(String, bool)>,
}

/// A line of an MTA's log, as people paste it: Postfix's delivery attempt ("postfix/smtp[4870]:
/// B3660EDA82: to=<pcn@example.net.au>, relay=..., dsn=5.0.0, status=bounced (host ... said: 553
/// ... (in reply to MAIL FROM command))"), sendmail's ("sm-mta[20114]: 4B79CX1a020112:
/// to=<bob@example.net>, ..., dsn=5.1.1, stat=User unknown"), Exim's ("1rg2Xa-0004Zs-9C **
/// jan@example.pl R=dnslookup ...: SMTP error from remote mail server after RCPT TO:<...>: 550 ..."),
/// or another of their lines (Postfix's "message-id=<...>", "from=<...>", Exim's arrival "<=
/// sender@example.com"), whose addresses are no recipients.
enum LogLine<'a> {
    /// The message was returned (`bounced`, `undeliverable`; sendmail's status other than "Sent";
    /// Exim's "**") or is still being tried (`deferred`, Exim's "=="): the recipients, the reply
    /// (after the MTA's own status where the reply has none), and whether it was deferred.
    Failed {
        addresses: Vec<&'a str>,
        diagnostic: String,
        deferred: bool,
    },
    /// Delivered to these addresses.
    Sent(Vec<&'a str>),
    Other,
}

/// The programs' names in Postfix's and sendmail's log lines, as the logs write them.
static LOG_PROGRAMS: LazyLock<[memchr::memmem::Finder<'static>; 3]> =
    LazyLock::new(|| ["postfix", "sendmail", "sm-mta"].map(memchr::memmem::Finder::new));

/// Whether `text` may hold a log line `log_line` reads: it names Postfix or sendmail, or has one of
/// Exim's delivery flags between spaces (" ** ", " == ", " <= ", " => "; its lines name no
/// program). Most reports have none of them.
fn may_hold_log_lines(text: &str) -> bool {
    let b = text.as_bytes();
    LOG_PROGRAMS.iter().any(|f| f.find(b).is_some())
        || memchr::memchr2_iter(b'*', b'=', b).any(|at| {
            let flag = |start: usize, f: &[u8]| {
                start >= 1
                    && b.get(start - 1) == Some(&b' ')
                    && b.get(start..start + 3).is_some_and(|w| w[..2] == *f && w[2] == b' ')
            };
            // (At the flag's first or second character.)
            [b"**", b"==", b"<=", b"=>"].iter().any(|f| flag(at, *f) || at >= 1 && flag(at - 1, *f))
        })
}

/// Whether `text` has a log line of a message that was returned, or of one being retried that no
/// later line delivered.
pub(crate) fn has_failed_log_line(text: &str) -> bool {
    if !may_hold_log_lines(text) {
        return false;
    }
    let mut deferred: Vec<&str> = Vec::new();
    for line in text.lines() {
        match log_line(line) {
            Some(LogLine::Failed { deferred: false, .. }) => return true,
            Some(LogLine::Failed { addresses, .. }) => deferred.extend(addresses),
            Some(LogLine::Sent(addresses)) => {
                deferred.retain(|d| !addresses.iter().any(|a| a.eq_ignore_ascii_case(d)));
            }
            _ => {}
        }
    }
    !deferred.is_empty()
}

/// `line` as a line of an MTA's log (see `LogLine`); `None` for any other line (an application's
/// log that says "to=<a@b>, status=bounced (" too).
fn log_line(line: &str) -> Option<LogLine<'_>> {
    postfix_or_sendmail_log_line(line).or_else(|| exim_log_line(line))
}

/// Postfix's and sendmail's lines: the program's name ("postfix/smtp", "sm-mta", "sendmail"), then
/// the queue ID and a colon before the fields.
fn postfix_or_sendmail_log_line(line: &str) -> Option<LogLine<'_>> {
    let fields_at = [": to=", ": message-id=<", ": from=<", ": orig_to=<"].iter().filter_map(|f| line.find(f)).min()?;
    let head = &line[..fields_at];
    let program = head.rsplit_once(": ").map_or(head, |(program, _queue_id)| program);
    if contains_ci(program, "postfix") {
        return postfix_fields(&line[fields_at + 2..]);
    }
    if contains_ci(program, "sendmail") || contains_ci(program, "sm-mta") {
        return Some(sendmail_fields(&line[fields_at + 2..]));
    }
    None
}

/// The fields of a line of Postfix's log ("to=<a@b>, relay=..., dsn=5.0.0, status=bounced (...)");
/// `None` for a delivery attempt with a status it does not know ("status=SOFTBOUNCE"), whose address
/// is read as any other line's.
fn postfix_fields(fields: &str) -> Option<LogLine<'_>> {
    let Some(to) = fields.strip_prefix("to=<") else { return Some(LogLine::Other) };
    let (address, rest) = to.split_once('>')?;
    let address = address.trim();
    if rest.contains(", status=sent ") {
        return Some(LogLine::Sent(vec![address]));
    }
    let (why, deferred) =
        [(", status=bounced (", false), (", status=undeliverable (", false), (", status=deferred (", true)]
            .iter()
            .find_map(|(s, deferred)| rest.find(s).map(|at| (&rest[at + s.len()..], *deferred)))?;
    let reply = why.strip_suffix(')').unwrap_or(why).trim();
    Some(LogLine::Failed { addresses: vec![address], diagnostic: with_log_status(reply, rest), deferred })
}

/// The fields of a line of sendmail's log: "to=<a@b>,<c@d>, ctladdr=..., delay=..., mailer=esmtp,
/// relay=..., dsn=5.1.1, stat=User unknown" (or "stat=Deferred: Connection timed out with ...",
/// "stat=Sent (...)", "stat=queued").
fn sendmail_fields(fields: &str) -> LogLine<'_> {
    let Some(to) = fields.strip_prefix("to=") else { return LogLine::Other };
    // The recipients end where the next field begins (", ctladdr=", ", delay=").
    let list = to.split_once(", ").map_or(to, |(list, _)| list);
    let addresses: Vec<&str> = list
        .split(',')
        .map(|a| a.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|a| a.contains('@'))
        .collect();
    let Some((_, stat)) = to.split_once(", stat=") else { return LogLine::Other };
    if addresses.is_empty() {
        return LogLine::Other;
    }
    if starts_with_ci(stat, "sent") {
        return LogLine::Sent(addresses);
    }
    // Queued for a later run (sendmail's queue-only mode, or under load): nothing failed yet.
    if starts_with_ci(stat, "queued") {
        return LogLine::Other;
    }
    let (reply, deferred) = match stat.strip_prefix("Deferred") {
        Some(why) => (why.trim_start_matches([':', ' ']), true),
        None => (stat.trim(), false),
    };
    LogLine::Failed { addresses, diagnostic: with_log_status(reply, to), deferred }
}

/// `reply` after the MTA's own status ("dsn=5.1.1") where the reply gives none, first as reports
/// give it.
fn with_log_status(reply: &str, fields: &str) -> String {
    let dsn = fields.split_once(" dsn=").and_then(|(_, d)| d.split(',').next()).filter(|d| is_status_word(d));
    match dsn {
        Some(dsn) if find_status(reply).is_none() => format!("{dsn} {reply}"),
        _ => reply.to_string(),
    }
}

/// A line of Exim's main log: "[date time] [pid] ID FLAG address ...", where ID is Exim's message
/// ID ("1rg2Xa-0004Zs-9C", or since Exim 4.97 "1rg2Xa-000000004Zs-9Cab") and FLAG says what
/// happened: "<=" arrival (the sender's address), "=>", "->", "*>" delivery, "**" failure,
/// "==" deferral.
fn exim_log_line(line: &str) -> Option<LogLine<'_>> {
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    // (The ID comes after at most the date, the time and the process's "[pid]", behind syslog's
    // "Mar  1 10:15:03 host exim[812]: " where the log goes there.)
    words.by_ref().take(9).find(|w| is_exim_message_id(w))?;
    let flag = words.next()?;
    let rest = line[line.find(flag)? + flag.len()..].trim_start();
    let address_word = rest.split(' ').next().unwrap_or("");
    let address = address_word.trim_end_matches(':').trim_start_matches('<').trim_end_matches('>');
    match flag {
        "<=" => Some(LogLine::Other),
        "=>" | "->" | "*>" => Some(LogLine::Sent(vec![address])),
        "**" | "==" => {
            // The reason follows the first ": " after the address (its router, transport and host
            // come before: "R=dnslookup T=remote_smtp H=mx.example.pl [192.0.2.7]: SMTP error ...").
            let after = &rest[address_word.len()..];
            let reply =
                if address_word.ends_with(':') { after } else { after.split_once(": ").map_or("", |(_, why)| why) };
            Some(LogLine::Failed {
                addresses: vec![address],
                diagnostic: reply.trim().to_string(),
                deferred: flag == "==",
            })
        }
        _ => None,
    }
}

/// The last of `lines` is a recipient of Postfix's queue listing (an address alone, indented) whose
/// entry gives no reason why it waits: the message is being sent, or was not tried yet, and has not
/// failed.
fn in_a_queue_entry_being_sent(lines: &[&str]) -> bool {
    let Some((last, above)) = lines.split_last() else { return false };
    let lone_address = |l: &str| l.starts_with([' ', '\t']) && !l.trim().is_empty() && !l.trim().contains(' ');
    if !lone_address(last) {
        return false;
    }
    above.iter().rev().find(|l| !lone_address(l)).is_some_and(|l| is_postfix_queue_line(l.trim_start()))
}

/// The recipients Python's smtplib reports as refused, each with the server's reply, as its
/// exception gives them: "{'a@b': (550, b'5.1.1 <a@b>: Recipient address rejected'), 'c@d': (452,
/// b'4.2.2 Mailbox full')}" gives ("a@b", "550 5.1.1 <a@b>: Recipient address rejected") and ("c@d",
/// "452 4.2.2 Mailbox full").
pub(crate) fn python_refused(line: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    // (A key in double quotes where the address has an apostrophe: "\"o'brien@example.org\": (".)
    while let Some((at, quote)) = [("': (", '\''), ("\": (", '"')]
        .iter()
        .filter_map(|(key_end, quote)| rest.find(key_end).map(|at| (at, *quote)))
        .min_by_key(|(at, _)| *at)
    {
        let before = &rest[..at];
        let address = before.rfind(quote).map_or(before, |open| &before[open + 1..]);
        let address = address.trim_start_matches('<').trim_end_matches('>');
        let after = &rest[at + 4..];
        let code = after.len() > 4 && starts_with_failure_code(after.as_bytes());
        // The reply's text: "b'...'", "b\"...\"" or "'...'".
        let text = after.get(3..).and_then(|t| t.strip_prefix(", ")).map(|t| t.strip_prefix('b').unwrap_or(t));
        let quoted = text.and_then(|t| {
            let quote = t.chars().next().filter(|q| *q == '\'' || *q == '"')?;
            let inner = &t[1..];
            inner.find(quote).map(|end| &inner[..end])
        });
        match quoted {
            Some(reply) if code && address.contains('@') && !address.contains(' ') => {
                out.push((address, format!("{} {reply}", &after[..3])));
            }
            _ => {}
        }
        rest = after;
    }
    out
}

/// A line of Postfix's queue listing: the queue ID (hexadecimal, or letters and digits with
/// `enable_long_queue_ids`; with '*' when the message is being sent and '!' when it is held), the
/// size, the weekday and date it arrived, and the sender ("A8A161E4F9F77      590 Tue Jun 18
/// 06:36:01  root@example.tv").
pub(crate) fn is_postfix_queue_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let (Some(id), Some(size), Some(day)) = (words.next(), words.next(), words.next()) else { return false };
    let id = id.trim_end_matches(['*', '!']);
    id.len() >= 8
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && size.bytes().all(|b| b.is_ascii_digit())
        && ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&day)
}

/// Exim's message ID: three parts of base-62 letters and digits, 6-6-2 long, or 6-11-4 since Exim 4.97.
fn is_exim_message_id(word: &str) -> bool {
    let mut parts = word.split('-');
    let lengths = [parts.next(), parts.next(), parts.next(), parts.next()].map(|p| p.map(str::len));
    matches!(lengths, [Some(6), Some(6), Some(2), None] | [Some(6), Some(11), Some(4), None])
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Recover failed recipients and their diagnostics from a human-readable
/// bounce body (already cut before the quoted original message).
/// Addresses in `exclude` are never recipients; `sender` (the address the
/// bounce goes to) counts only where a line lists nothing else.
pub(crate) fn recipients(body: &str, exclude: &[String], sender: Option<&str>) -> Vec<TextRecipient> {
    // (Log lines are looked for only in a text that may have one: most have none.)
    let has_log = may_hold_log_lines(body);
    let mut delivered: Vec<&str> = Vec::new();
    // The lines (as `str::lines` gives them), and the ones with an '@'
    // (found in one pass over the text): only those can list a recipient.
    let b = body.as_bytes();
    let mut starts: Vec<usize> = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |p| start + p);
        let line = &body[start..end];
        starts.push(start);
        lines.push(line.strip_suffix('\r').unwrap_or(line));
        start = end + 1;
    }
    let mut candidates: Vec<usize> = Vec::new();
    let mut n = 0usize;
    for at in memchr::memchr_iter(b'@', b) {
        while n + 1 < starts.len() && starts[n + 1] <= at {
            n += 1;
        }
        if candidates.last() != Some(&n) && n < lines.len() {
            candidates.push(n);
        }
    }
    let mut found: Vec<Found> = Vec::new();
    // Where each address (lower-cased) is in `found`: a report may list thousands.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for &n in &candidates {
        let line = lines[n];
        if is_postfix_queue_line(line.trim_start()) || in_a_queue_entry_being_sent(&lines[..=n]) {
            // The sender of a message in Postfix's queue listing, and the recipients of one that is
            // not waiting for a retry (no reason in parentheses above them).
            continue;
        }
        // Each recipient a log line or Python's refused recipients name, with its reply, and
        // whether the message was deferred.
        let listed: Vec<(&str, String, bool)> = match has_log.then(|| log_line(line)).flatten() {
            Some(LogLine::Other) => continue,
            Some(LogLine::Sent(addresses)) => {
                delivered.extend(addresses);
                continue;
            }
            Some(LogLine::Failed { addresses, diagnostic, deferred }) => {
                addresses.into_iter().map(|a| (a, diagnostic.clone(), deferred)).collect()
            }
            // (Only where the exception is named, on the line or on the one before: Django's page
            // heads its "Exception Value:" so; or where a log says the dictionary `sendmail()`
            // returned was refused: "some recipients refused: {...}". A dictionary in a test or a
            // setting is none.)
            None if (line.contains("': (") || line.contains("\": ("))
                && (line.contains("SMTPRecipientsRefused")
                    || contains_ci(line, "refused: {")
                    || n > 0 && lines[n - 1].contains("SMTPRecipientsRefused")) =>
            {
                python_refused(line).into_iter().map(|(a, diagnostic)| (a, diagnostic, false)).collect()
            }
            None => Vec::new(),
        };
        if !listed.is_empty() {
            for (address, diagnostic, deferred) in listed {
                let key = address.to_ascii_lowercase();
                match seen.get(&key).map(|&i| &mut found[i]) {
                    // A later line that returned the message after deferring it says why.
                    Some(f) if f.log.as_ref().is_some_and(|(_, was_deferred)| *was_deferred) && !deferred => {
                        f.log = Some((diagnostic, false));
                    }
                    Some(_) => {}
                    None if address.contains('@') => {
                        seen.insert(key, found.len());
                        let log = Some((diagnostic, deferred));
                        let a = address.to_string();
                        found.push(Found {
                            line: n,
                            address: a,
                            listed: true,
                            sendmail: false,
                            again: Vec::new(),
                            log,
                        });
                    }
                    None => {}
                }
            }
            continue;
        }
        let t = line.trim();
        // (Also in a report quoted by a reply or a forward: "> Message-Id: <...>".)
        let unquoted = t.trim_start_matches(['>', ' ']);
        if ["from:", "reporting-mta", "received", "message-id", "return-path"]
            .iter()
            .any(|p| starts_with_ci(unquoted, p))
            || ["please contact", "contact:", "assistance", "send mail to"].iter().any(|p| contains_ci(t, p))
        {
            continue;
        }
        // Postfix folds "<a@b> (expanded from\n    <alias@example.org>): host ...": the alias on the
        // folded line is where the mail was sent, not one more failed recipient.
        if n > 0 && t.starts_with('<') && ends_with_ci(lines[n - 1].trim_end(), "(expanded from") {
            continue;
        }
        // Exim: "A message sent by\n\n  <sender@example.com>\n\ncould not be delivered ...". Asked
        // once per line (a line may repeat an address many times).
        let after_sent_by = std::cell::LazyCell::new(|| follows_sender_label(&lines[..n]));
        let labelled = after_recipient_label(t);
        // A folded line of Postfix's "<a@b>: host ... said: 550\n    <alias@b>... User unknown":
        // the remote server's reply, whose address is no recipient of its own.
        let folded_reply = std::cell::LazyCell::new(|| continues_a_postfix_recipient(&lines[..=n]));
        for (at, a) in addresses(t) {
            // An address that opens the line ("<a@b>: ...", "a@b", "a@b on ...")
            // is how MTAs list failed recipients; one inside prose is weaker.
            let opens = starts_with_ci(t.trim_start_matches(['<', '"', '\'', ' ', '[', '`', '(', '*']), &a)
                || labelled.is_some_and(|rest| starts_with_ci(rest.trim_start_matches('<'), &a))
                // An X.400 address that opens the line and names the Internet one (Exchange 5.5:
                // "c=US;a= ;p=ORG;o=Site;dda:SMTP=ann@example.com; on Fri, 4 Oct 2002").
                || starts_with_ci(t, "c=") && at >= 5 && t.as_bytes()[at - 5..at].eq_ignore_ascii_case(b"smtp=");
            // A server's own mailboxes are not recipients, except root's when the report lists it
            // (mail to root forwarded out, and refused).
            let system = is_system_address(&a)
                && !(opens && a.split('@').next().is_some_and(|l| l.eq_ignore_ascii_case("root")));
            if system || exclude.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                continue;
            }
            if sender.is_some_and(|s| s.eq_ignore_ascii_case(&a)) && !is_alone(t, &a) {
                continue;
            }
            let sendmail = is_sendmail_line(line, &a);
            let listed = (opens || sendmail) && !*folded_reply;
            // "... please reply to <a@b>": where to write, not a recipient. (Only the words just
            // before the address are looked at: a line may hold thousands of addresses.)
            let before = t[..at].trim_end_matches(['<', '"', '\'', ' ', '\t']).as_bytes();
            let reply_to = before.len() >= 15 && before[before.len() - 15..].eq_ignore_ascii_case(b"please reply to");
            if !listed && (names_the_sender(&t[..at]) || reply_to) {
                // "... not accepting mail from a@b": the sender, not a recipient.
                continue;
            }
            if opens && *after_sent_by {
                continue;
            }
            let key = a.to_ascii_lowercase();
            if let Some(f) = seen.get(&key).map(|&i| &mut found[i]) {
                // Named in a transcript first, listed later: the listing counts.
                if listed && !f.listed {
                    *f = Found { line: n, address: a, listed, sendmail, again: Vec::new(), log: None };
                    break;
                }
                if listed && opens {
                    f.again.push(n);
                }
                continue;
            }
            seen.insert(key, found.len());
            found.push(Found { line: n, address: a, listed, sendmail, again: Vec::new(), log: None });
            break;
        }
    }
    if found.iter().any(|f| f.listed) {
        found.retain(|f| f.listed);
    }
    // A deferred log line names no failed recipient when a later line delivered to the address,
    // nor in a report that names its own and quotes its log.
    let deferred_only = |f: &Found| f.log.as_ref().is_some_and(|(_, deferred)| *deferred);
    found.retain(|f| !deferred_only(f) || !delivered.iter().any(|d| d.eq_ignore_ascii_case(&f.address)));
    if found.iter().any(|f| f.log.is_none()) {
        found.retain(|f| !deferred_only(f));
    }
    found.sort_by_key(|f| f.line);
    let kept: std::collections::HashSet<String> = found.iter().map(|g| g.address.to_ascii_lowercase()).collect();
    // The line names a recipient other than `address`.
    let others_in = |l: &str, address: &str| {
        addresses(l).iter().any(|(_, a)| !a.eq_ignore_ascii_case(address) && kept.contains(&a.to_ascii_lowercase()))
    };
    // The paragraph from line `m` (at most eight lines, to a blank line), stopping before a line that
    // names another recipient than `address` (the first line may: it is the one asked for).
    let paragraph = |m: usize, address: &str| {
        let mut b = String::new();
        for (i, l) in lines[m..].iter().take(8).take_while(|l| !l.trim().is_empty()).enumerate() {
            if i > 0 && others_in(l, address) {
                break;
            }
            b.push(' ');
            b.push_str(l.trim());
        }
        b
    };
    let mut out = Vec::new();
    for (idx, f) in found.iter().enumerate() {
        let n = f.line;
        let mut diag = String::new();
        if let Some((log, _)) = &f.log {
            diag.push_str(log);
        } else if f.sendmail {
            // Sendmail lists each recipient after the transcript of its
            // session: "While talking to host:", ">>> RCPT To:<a@b>", "<<< 550 ...".
            diag.push_str(lines[n].trim());
            let first = if idx == 0 { 0 } else { found[idx - 1].line + 1 };
            let mut start = n;
            while start > first && !lines[start - 1].trim().is_empty() {
                start -= 1;
                if lines[start].trim_start().starts_with("While talking to") {
                    break;
                }
            }
            for l in &lines[start..n] {
                diag.push(' ');
                diag.push_str(l.trim());
            }
        } else {
            let stop = found.get(idx + 1).map_or(lines.len(), |g| g.line).min(n + 8);
            for (i, l) in lines[n..stop.max(n + 1)].iter().enumerate() {
                let l = l.trim();
                if i > 0 && l.contains('@') && others_in(l, &f.address) {
                    // Another recipient's lines (a later section listing them again).
                    break;
                }
                // Once the recipient's part has given the remote server's reply, two blank lines in
                // a row or a rule ("----------") end it: what follows is the report's footer (a
                // scanner's "This email has been scanned for spam and viruses by ..."), not the
                // server's words. (Before the reply they only separate a list of recipients from its
                // "Technical details".)
                if i > 0
                    && (l.is_empty() && lines[n + i - 1].trim().is_empty() || is_rule(l))
                    && (find_reply_code(&diag).is_some() || find_status(&diag).is_some())
                {
                    break;
                }
                // OpenSMTPD's paragraphs after its list of recipients: "Please note that this is
                // only a temporary failure report. ..." and "Below is a copy of the original message:".
                if i > 0 && REPORT_FOOTERS.iter().any(|f| l.eq_ignore_ascii_case(f)) {
                    break;
                }
                if l.is_empty() && !diag.is_empty() && n + 1 < stop {
                    // keep going across a single blank line, diagnostics often follow
                    diag.push(' ');
                    continue;
                }
                diag.push_str(l);
                diag.push(' ');
            }
            // Gmail's older reports end the recipient's paragraphs with "The error that the other
            // server returned was:" and give the reply in the next paragraph, beyond the lines
            // read so far: read it too.
            if diag.trim_end().ends_with("returned was:")
                && let Some(m) = (stop.max(n + 1)..lines.len()).find(|&m| !lines[m].trim().is_empty())
            {
                diag.push_str(&paragraph(m, &f.address));
            }
        }
        let explained = |d: &str| find_reply_code(d).is_some() || find_status(d).is_some();
        if !f.again.is_empty() && !explained(&diag) {
            // Listed again further on with the remote server's reply (Exchange's section for the
            // administrators): that explains it.
            // The first later listing that explains, else the first one.
            if let Some(b) = f
                .again
                .iter()
                .map(|&m| paragraph(m, &f.address))
                .find(|b| explained(b))
                .or_else(|| f.again.first().map(|&m| paragraph(m, &f.address)))
            {
                diag.push_str(&b);
            }
        }
        out.push(TextRecipient {
            address: f.address.clone(),
            diagnostic: collapse_whitespace(&diag),
            listed: f.listed,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_code() {
        assert_eq!(find_status("550 5.1.1 <a@b.c> unknown").as_deref(), Some("5.1.1"));
        assert_eq!(find_status("smtp; 5.7.26 dmarc").as_deref(), Some("5.7.26"));
        assert_eq!(find_status("version 1.5.2.3"), None);
        assert!(
            is_status_word("5.1.1") && is_status_word("4.7.650") && !is_status_word("5.1") && !is_status_word("1.2.3")
        );
        assert!(!is_status_word("5.1.1.") && !is_status_word("5.1.1x") && !is_status_word("5.1234.1"));
        assert_eq!(find_reply_code("550 5.1.1 unknown"), Some(550));
        assert_eq!(find_reply_code("said: 452 4.2.2 full"), Some(452));
        assert_eq!(find_reply_code("port 5500x"), None);
    }

    #[test]
    fn statuses_of_the_remote_server() {
        assert_eq!(replied_status("550 5.7.1 blacklisted, see 5.1.1").as_deref(), Some("5.7.1"));
        assert_eq!(replied_status("see 5.1.1"), None);
    }

    fn smtp_command(text: &str) -> Option<Command> {
        command_in(&crate::reason::normalise(text))
    }

    #[test]
    fn commands() {
        assert_eq!(smtp_command("SMTP error from remote mail server after EHLO a.example:"), Some(Command::Connect));
        assert_eq!(smtp_command("550 Unknown user (state 14)."), Some(Command::RcptTo));
        assert_eq!(smtp_command("554 Header error (state 18)."), Some(Command::Data));
        assert_eq!(smtp_command("SMTP error from remote server after RCPT command:"), Some(Command::RcptTo));
        assert_eq!(smtp_command("550 User unknown"), None);
    }

    #[test]
    fn sendmail_recipient_lines() {
        assert!(is_sendmail_line("554 <a@b.example>... Remote protocol error", "a@b.example"));
        assert!(!is_sendmail_line("<<< 554 <a@b.example>... Remote protocol error", "a@b.example"));
        assert!(!is_sendmail_line("554 <a@b.example.org>... x", "a@b.example"));
        assert!(is_sendmail_recipient_line("550 5.1.1 <a@b.example>... User unknown"));
        assert!(is_sendmail_recipient_line("550 a@b.example... User unknown"));
        assert!(!is_sendmail_recipient_line("<<< 550 a@b.example... User unknown"));
        assert!(!is_sendmail_recipient_line("550 Requested action not taken... mailbox unavailable"));
        assert!(!is_sendmail_recipient_line("550 (<a@b.example>... Mail from 192.0.2.9 refused)"));
        assert!(is_alone("<a@b.example>:", "a@b.example"));
        assert!(!is_alone("sent by a@b.example", "a@b.example"));
    }

    #[test]
    fn remote_host() {
        assert_eq!(find_remote_host("host mx.example.org[192.0.2.9] said: 550").as_deref(), Some("mx.example.org"));
        assert_eq!(find_remote_host("... while talking to mx.example.jp.:").as_deref(), Some("mx.example.jp"));
        assert_eq!(find_remote_host("host unknown"), None);
        assert_eq!(find_remote_host("Connected to 192.0.2.225 but").as_deref(), Some("192.0.2.225"));
    }

    #[test]
    fn addresses_found() {
        let a = addresses("<kijitora@example.jp>: host mx said: 550");
        assert_eq!(a[0].1, "kijitora@example.jp");
        let keyed = addresses(
            "helo=mx.example.org; envelope-from=ann@example.org; receiver=bob@example.net; CN=ops@example.com",
        );
        let keyed: Vec<_> = keyed.iter().map(|(_, a)| a.as_str()).collect();
        assert_eq!(keyed, ["ann@example.org", "bob@example.net", "ops@example.com"]);
        assert!(addresses("unsubscribe: https://news.example/u/88/ann@example.net").is_empty());
    }
}
