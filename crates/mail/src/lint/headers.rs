//! Rules on the header fields: who sends, who receives, where replies go, and the subject.

use kurier_core::{EmailAddress, MessageKind};
use mail_parser::{Addr, HeaderName, Message};

use super::parts::Mail;
use super::{Collector, LintOptions, Place, Severity, shorten};

/// Subjects longer than this are cut in most inboxes on phones (info).
pub(crate) const SUBJECT_INFO_CHARS: usize = 60;
/// Subjects longer than this are cut on desktops too, and no longer fit a header line (warning).
pub(crate) const SUBJECT_WARN_CHARS: usize = 78;
/// `subject-shouting` looks at subjects with at least this many letters.
const SHOUTING_MIN_LETTERS: usize = 8;
/// Share of capitals (in percent) that reads as shouting.
const SHOUTING_PERCENT: usize = 60;
/// All-capital words up to this length are acronyms (`EU`, `XXL`, `USB`), not shouting.
const ACRONYM_LETTERS: usize = 3;

/// Reply and forward prefixes of the common mail clients (English, German, Dutch, Swedish, Italian).
const REPLY_PREFIXES: &[&str] = &["re", "aw", "fwd", "fw", "wg", "wtr", "antw", "sv", "rif"];

/// Local parts (without `-`, `_`, `.`) that say nobody reads the replies.
const NOREPLY: &[&str] =
    &["noreply", "donotreply", "dontreply", "nichtantworten", "bittenichtantworten", "keineantwort"];

pub(crate) fn check(msg: &Message, mail: &Mail, opts: &LintOptions, out: &mut Collector) {
    let from = from(msg, opts, out);
    reply_to(msg, from.as_ref(), out);
    recipients(msg, from.as_ref(), out);
    subject(msg, mail, out);
}

/// `from-invalid` and the display-name half of `sender-identity-missing`; the sender's address if valid.
fn from(msg: &Message, opts: &LintOptions, out: &mut Collector) -> Option<EmailAddress> {
    let place = || Place::header("From");
    let mut invalid = |message: String| out.add("from-invalid", Severity::Error, place(), message);
    let headers = msg.headers().iter().filter(|h| h.name == HeaderName::From).count();
    let addrs: Vec<&Addr> = msg.from().map(|a| a.iter().collect()).unwrap_or_default();
    if headers > 1 || addrs.len() > 1 {
        invalid("The message has more than one From address: name exactly one sender.".into());
        return None;
    }
    let Some(addr) = addrs.first() else {
        invalid("The message has no From address: every message needs one sender, such as news@your-domain.de.".into());
        return None;
    };
    let Some(written) = addr.address.as_deref() else {
        invalid(format!(
            "From has no address (\"{}\"): write it as \"Name <news@your-domain.de>\".",
            shorten(addr.name.as_deref().unwrap_or_default(), 60)
        ));
        return None;
    };
    let address = match EmailAddress::parse(written) {
        Ok(a) => a,
        Err(e) => {
            invalid(format!("The From address \"{}\" is not valid: {e}.", shorten(written, 80)));
            return None;
        }
    };
    // (The parsed domain is lower case without a final dot; IP addresses do not parse.)
    if let Some(reason) = super::links::reserved_domain(address.domain()) {
        invalid(format!(
            "The From address {address} is at {reason}: receiving servers refuse mail from it and replies cannot \
             reach it. Send from an address at your own domain (in Kurier: sender_address)."
        ));
    }
    let name = addr.name.as_deref().map(str::trim).unwrap_or_default();
    if opts.kind == MessageKind::Marketing && (name.is_empty() || name.contains('@')) {
        out.add(
            "sender-identity-missing",
            Severity::Error,
            place(),
            format!(
                "From has no display name, only {address}: marketing mail must say who sends it. Write it as \
                 \"Your Company <{address}>\"."
            ),
        );
    }
    Some(address)
}

/// `reply-to-noreply`: replies go to Reply-To, else From.
fn reply_to(msg: &Message, from: Option<&EmailAddress>, out: &mut Collector) {
    let reply_to = msg.reply_to().and_then(|a| a.first()).and_then(|a| a.address.as_deref());
    let (header, address) = match reply_to {
        Some(a) => ("Reply-To", a.to_string()),
        None => match from {
            Some(a) => ("From", a.as_str().to_string()),
            None => return,
        },
    };
    let local = address.rsplit_once('@').map_or(address.as_str(), |(l, _)| l);
    let local = local.split('+').next().unwrap_or_default().to_lowercase().replace(['-', '_', '.'], "");
    if NOREPLY.iter().any(|n| local.starts_with(n)) {
        out.add(
            "reply-to-noreply",
            Severity::Warning,
            Place::header(header),
            format!(
                "Replies go to {address}, which says nobody reads them: readers who answer get a bounce or \
                 silence, and replies are a good sign to mailbox providers. Use an address someone reads."
            ),
        );
    }
}

/// `recipients-exposed`: everyone in To and Cc sees everyone else.
fn recipients(msg: &Message, from: Option<&EmailAddress>, out: &mut Collector) {
    // A copy to the sender's own domain (the order desk in Cc) shows no customer's address; at a
    // mailbox provider the domain says nothing about whose an address is.
    let own = from.filter(|f| !f.is_at_mailbox_provider()).map(|f| super::links::registrable(f.domain()).to_string());
    let outside = |address: &str| {
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d.trim_end_matches('.'));
        own.as_deref().is_none_or(|own| !super::links::registrable(domain).eq_ignore_ascii_case(own))
    };
    let count = |a: Option<&mail_parser::Address>| {
        a.map_or(0, |a| a.iter().filter(|x| x.address.as_deref().is_some_and(outside)).count())
    };
    let (to, cc) = (count(msg.to()), count(msg.cc()));
    if to + cc > 1 {
        let header = if to > 1 || cc == 0 { "To" } else { "Cc" };
        out.add(
            "recipients-exposed",
            Severity::Error,
            Place::header(header),
            format!(
                "{} addresses are visible in To and Cc: every recipient sees the others' addresses. Send one \
                 message per recipient.",
                to + cc
            ),
        );
    }
}

fn subject(msg: &Message, mail: &Mail, out: &mut Collector) {
    let place = || Place::header("Subject");
    let subject = mail.subject.as_deref().map(str::trim).unwrap_or_default();
    if subject.is_empty() {
        out.add(
            "subject-empty",
            Severity::Error,
            place(),
            "The subject is empty: it is the first thing readers see, and spam filters hold an empty one against \
             the message. Write a subject."
                .into(),
        );
        return;
    }
    let chars = subject.chars().count();
    if chars > SUBJECT_INFO_CHARS {
        let (severity, clients) =
            if chars > SUBJECT_WARN_CHARS { (Severity::Warning, "most inboxes") } else { (Severity::Info, "phones") };
        out.add(
            "subject-too-long",
            severity,
            place(),
            format!("The subject has {chars} characters; {clients} cut it. Put the point in the first 40 characters."),
        );
    }
    if let Some(why) = shouting(subject) {
        out.add(
            "subject-shouting",
            Severity::Warning,
            place(),
            format!("The subject {why}: it reads as shouting and spam filters count it against the message."),
        );
    }
    if let Some(prefix) = reply_prefix(subject)
        && !has_header(msg, "In-Reply-To")
        && !has_header(msg, "References")
    {
        out.add(
            "subject-deceptive",
            Severity::Error,
            place(),
            format!(
                "The subject starts with \"{prefix}\" but the message answers or forwards nothing (no \
                 In-Reply-To or References): a fake reply misleads readers and is against the law on \
                 advertising mail in the EU and the US. Remove the prefix."
            ),
        );
    }
}

fn has_header(msg: &Message, name: &str) -> bool {
    msg.header_raw(name).is_some_and(|v| !v.trim().is_empty())
}

/// Why the subject shouts, if it does.
fn shouting(subject: &str) -> Option<String> {
    if subject.contains("!!") || subject.contains('‼') {
        return Some("has \"!!\"".into());
    }
    if subject.contains("???") {
        return Some("has \"???\"".into());
    }
    let bangs = subject.matches('!').count();
    if bangs > 1 {
        return Some(format!("has {bangs} exclamation marks"));
    }
    let (mut upper, mut letters) = (0, 0);
    for word in subject.split(|c: char| !c.is_alphabetic()) {
        let n = word.chars().count();
        if n <= ACRONYM_LETTERS && word.chars().all(char::is_uppercase) {
            continue;
        }
        letters += n;
        upper += word.chars().filter(|c| c.is_uppercase()).count();
    }
    (letters >= SHOUTING_MIN_LETTERS && upper * 100 >= letters * SHOUTING_PERCENT)
        .then(|| format!("is {}% capital letters", upper * 100 / letters.max(1)))
}

/// `Re:`, `AW:`, `Fwd:`, `WG: `, `Re[2]:`, `RE :` at the start of the subject, as written.
fn reply_prefix(subject: &str) -> Option<&str> {
    let word_len = subject.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let word = subject.get(..word_len)?.to_ascii_lowercase();
    if !REPLY_PREFIXES.contains(&word.as_str()) {
        return None;
    }
    let rest = &subject[word_len..];
    let counter = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map_or(rest, |(n, after)| if n.bytes().all(|b| b.is_ascii_digit()) { after } else { rest });
    let after = counter.trim_start_matches(' ').strip_prefix(':')?;
    subject.get(..subject.len() - after.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shouting_subjects() {
        for s in ["JETZT ZUGREIFEN: NUR HEUTE", "Sale!!", "Was???", "Jetzt! Nur heute!", "GROSSER SALE bei uns"] {
            assert!(shouting(s).is_some(), "{s:?}");
        }
        let calm = [
            "Neu bei XXL: die EU-Kollektion",
            "Ihre Bestellung bei der Beispiel GmbH",
            "Große Sommer Aktion Jetzt Sparen",
            "Sale!",
            "Was gibt es Neues?",
            "USA, UK, EU: Versand ab heute",
            "OK",
        ];
        for s in calm {
            assert_eq!(shouting(s), None, "{s:?}");
        }
    }

    #[test]
    fn reply_prefixes() {
        for (s, want) in [("Re: Angebot", "Re:"), ("AW: Frage", "AW:"), ("Fwd: x", "Fwd:"), ("WG: x", "WG:")] {
            assert_eq!(reply_prefix(s), Some(want), "{s:?}");
        }
        assert_eq!(reply_prefix("RE : Angebot"), Some("RE :"));
        assert_eq!(reply_prefix("Re[2]: Angebot"), Some("Re[2]:"));
        for s in ["Rezepte: Sommer", "Aw, shucks", "Reminder: Termin", "Wgt: x", "Fwd Newsletter"] {
            assert_eq!(reply_prefix(s), None, "{s:?}");
        }
    }
}
