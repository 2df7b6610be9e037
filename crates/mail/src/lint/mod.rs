//! Preflight checks for a finished message, before it goes to thousands of people: what would make
//! it look broken (unresolved merge tags, a greeting without the name, a past offer date, a missing
//! attachment), what mailbox providers hold against bulk mail (no one-click unsubscribe, image-only
//! mail, deceptive `Re:` subjects, mismatched link texts) and what the law asks of marketing mail
//! (an unsubscribe link, the sender's name and postal address).
//!
//! [`lint_message`] takes the raw RFC 5322 bytes, so it checks exactly what would be sent, whoever
//! composed it. It never fails and never panics: a message it cannot read at all gives one
//! `message-unreadable` finding.
//!
//! Rules and their severities (German and English texts are understood alike):
//!
//! | rule | severity | when |
//! |---|---|---|
//! | `message-unreadable` | error | the bytes are not a message |
//! | `unsubscribe-missing` | error | marketing: no unsubscribe link in the body, no `List-Unsubscribe`, or an https one without `List-Unsubscribe-Post` |
//! | `merge-tag-unresolved` | error | `{{ x }}`, `{% x %}`, `*\|FNAME\|*`, `%%x%%`, `[FirstName]`, `{first_name}`, `<%= x %>`, ... left in subject, text or links |
//! | `merge-tag-fallback` | warning | a greeting whose name came out empty: `Hallo ,`, `Dear ,`, `Sehr geehrte Frau ,` |
//! | `attachment-missing` | error | the text mentions an attachment, there is none |
//! | `subject-empty` | error | no subject |
//! | `subject-too-long` | info over 60, warning over 78 characters | clients cut it |
//! | `subject-shouting` | warning | mostly capitals, `!!`, `???` or more than one `!` |
//! | `subject-deceptive` | error | `Re:`/`AW:`/`Fwd:`/`WG:` without `In-Reply-To` or `References` |
//! | `sender-identity-missing` | error | marketing: no display name in `From`, or no postal address in the body |
//! | `recipients-exposed` | error | more than one address in `To` and `Cc` (copies to the sender's own domain aside, unless it is a mailbox provider) |
//! | `from-invalid` | error | no `From`, several, an address that does not parse, or one at localhost, a reserved or an example domain |
//! | `reply-to-noreply` | warning | replies go to `noreply@` or the like |
//! | `link-invalid` | error | empty, relative, `javascript:`, unknown scheme, no host |
//! | `link-insecure` | warning | `http://` links and images |
//! | `link-local` | error | links to localhost, private networks, reserved or staging hosts |
//! | `link-text-mismatch` | error | the link text is a URL or domain of another site than the link |
//! | `image-alt-missing` | warning | `<img>` without `alt` (tracking pixels exempt) |
//! | `image-only` | warning | images with little text beside them |
//! | `html-too-large` | warning | HTML over 102 KB: Gmail clips it |
//! | `text-part-missing` | warning | HTML without a text alternative |
//! | `date-in-past` | warning | "gültig bis 01.10.2026", "offer ends 1 Oct 2026" and the date has passed |

mod address;
mod body;
mod dates;
mod headers;
mod html;
mod links;
mod merge;
mod parts;
mod text;
mod unsubscribe;

use std::collections::HashMap;

use chrono::NaiveDate;
use kurier_core::MessageKind;
use mail_parser::MessageParser;
use serde::Serialize;

/// How bad a finding is. An error should stop the send; a warning is worth a look; info is advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One problem: which rule, how bad, what to do about it, and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// A sentence saying what is wrong and what to do.
    pub message: String,
    /// `header Subject`, `text part line 12`, `html line 40`, `html <a href="..."> #3`,
    /// `html <img src="..."> #2`, `html part` or `message`.
    #[serde(rename = "where")]
    pub location: String,
}

#[derive(Clone, Debug)]
pub struct LintOptions {
    /// Marketing mail must carry an unsubscribe link and the sender's identity; transactional need not.
    pub kind: MessageKind,
    /// The day the message goes out, for `date-in-past`.
    pub today: NaiveDate,
}

/// All findings for a message, errors first, then warnings, then info; in message order within each.
pub fn lint_message(raw: &[u8], opts: &LintOptions) -> Vec<Finding> {
    // mail-parser 0.11 panics on some broken MIME structures ("Invalid part ID", found by the lint
    // fuzz target); such a message is unreadable, not a reason to crash the caller.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lint_parsed(raw, opts))).unwrap_or_else(|_| {
        let mut out = Collector::default();
        out.add(
            "message-unreadable",
            Severity::Error,
            Place::message(),
            "The MIME structure of the message is broken and cannot be read: export it again as .eml.".into(),
        );
        out.finish()
    })
}

fn lint_parsed(raw: &[u8], opts: &LintOptions) -> Vec<Finding> {
    let mut out = Collector::default();
    let parsed = MessageParser::default().parse(raw).filter(has_a_field);
    let Some(msg) = parsed else {
        out.add(
            "message-unreadable",
            Severity::Error,
            Place::message(),
            "The file is not an email message (no header lines were found): export the message as .eml, \
             with its headers."
                .into(),
        );
        return out.finish();
    };
    let mail = parts::Mail::read(&msg);
    headers::check(&msg, &mail, opts, &mut out);
    body::check(&msg, &mail, opts, &mut out);
    out.finish()
}

/// mail-parser reads any bytes as some message, taking lines without a colon for header names; a
/// message needs at least one real `Name: value` field.
fn has_a_field(msg: &mail_parser::Message) -> bool {
    let raw = msg.raw_message();
    msg.headers().iter().any(|h| {
        let name = h.name.as_str();
        let valid = !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
        let offset = |o: u32| usize::try_from(o).unwrap_or(usize::MAX);
        let field = raw.get(offset(h.offset_field)..offset(h.offset_start)).unwrap_or_default();
        valid && field.contains(&b':')
    })
}

/// True when any finding is an error, i.e. the message should not be sent as it is.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Why links under `base`, the address the sending server's own pages are reached at (the
/// unsubscribe link of every marketing mail starts with it), would not work for readers; `None`
/// when they would. One-click unsubscribing (RFC 8058) needs an https address.
pub fn public_url_problem(base: &str) -> Option<String> {
    let url = match url::Url::parse(base.trim()) {
        Ok(url) if url.host().is_some() => url,
        Ok(_) => return Some("has no host name".into()),
        Err(e) => return Some(format!("is not a URL ({e})")),
    };
    if let Some(reason) = links::local_reason(&url) {
        return Some(format!("points to {}, {reason}", url.host_str().unwrap_or_default()));
    }
    (url.scheme() != "https").then(|| "is not https, which one-click unsubscribing (RFC 8058) requires".into())
}

/// Where a finding is: its location text and its position for sorting in message order.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    order: (u8, usize, usize),
    location: String,
}

/// Longest URL quoted in a location; longer ones are cut with an ellipsis.
const LOCATION_URL: usize = 60;

impl Place {
    /// Headers sort in this order, whatever their order in the message.
    const HEADERS: [&'static str; 7] =
        ["From", "Reply-To", "To", "Cc", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"];

    pub fn header(name: &'static str) -> Self {
        let pos = Self::HEADERS.iter().position(|h| *h == name).unwrap_or(Self::HEADERS.len());
        Self { order: (0, 0, pos), location: format!("header {name}") }
    }

    /// The message as a whole.
    pub fn message() -> Self {
        Self { order: (1, 0, 0), location: "message".into() }
    }

    /// A line of the `part`-th text body (from 0).
    pub fn text(part: usize, line: usize) -> Self {
        let location = match part {
            0 => format!("text part line {line}"),
            n => format!("text part {} line {line}", n + 1),
        };
        Self { order: (2, part, line), location }
    }

    /// A source line of the `part`-th HTML body.
    pub fn html(part: usize, line: usize) -> Self {
        let location = match part {
            0 => format!("html line {line}"),
            n => format!("html part {} line {line}", n + 1),
        };
        Self { order: (3, part, line), location }
    }

    /// The HTML body as a whole.
    pub fn html_part(part: usize) -> Self {
        let location = match part {
            0 => "html part".to_string(),
            n => format!("html part {}", n + 1),
        };
        Self { order: (3, part, 0), location }
    }

    pub fn link(part: usize, link: &html::Link) -> Self {
        Self::tag(part, link.line, "a", "href", &link.href, link.index)
    }

    pub fn image(part: usize, image: &html::Image) -> Self {
        Self::tag(part, image.line, "img", "src", image.src.as_deref().unwrap_or_default(), image.index)
    }

    fn tag(part: usize, line: usize, tag: &str, attr: &str, value: &str, index: usize) -> Self {
        let prefix = match part {
            0 => "html".to_string(),
            n => format!("html part {}", n + 1),
        };
        let value = shorten(value, LOCATION_URL);
        Self { order: (3, part, line), location: format!("{prefix} <{tag} {attr}=\"{value}\"> #{index}") }
    }
}

/// `s`, cut to `max` characters with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", &s[..i]),
        _ => s.to_string(),
    }
}

struct Item {
    order: (u8, usize, usize),
    seq: usize,
    finding: Finding,
    /// Further places with the same problem (see [`Collector::add_once`]).
    also: usize,
}

/// Gathers findings, merges repeats of the same problem, and sorts them at the end.
#[derive(Default)]
pub(crate) struct Collector {
    items: Vec<Item>,
    seen: HashMap<(&'static str, String), usize>,
}

impl Collector {
    pub fn add(&mut self, rule: &'static str, severity: Severity, place: Place, message: String) {
        let finding = Finding { rule, severity, message, location: place.location };
        self.items.push(Item { order: place.order, seq: self.items.len(), finding, also: 0 });
    }

    /// Like [`Collector::add`], but the same `rule` and `key` again (the same merge tag in the text
    /// and the HTML part, the same bad link in ten places) only counts on the first finding.
    pub fn add_once(&mut self, rule: &'static str, severity: Severity, key: &str, place: Place, message: String) {
        if let Some(&i) = self.seen.get(&(rule, key.to_string())) {
            if let Some(item) = self.items.get_mut(i) {
                item.also += 1;
                // Keep the first place in message order.
                if place.order < item.order {
                    item.order = place.order;
                    item.finding.location = place.location;
                }
            }
            return;
        }
        self.seen.insert((rule, key.to_string()), self.items.len());
        self.add(rule, severity, place, message);
    }

    pub fn finish(mut self) -> Vec<Finding> {
        self.items.sort_by(|a, b| {
            b.finding.severity.cmp(&a.finding.severity).then(a.order.cmp(&b.order)).then(a.seq.cmp(&b.seq))
        });
        self.items
            .into_iter()
            .map(|mut item| {
                match item.also {
                    0 => {}
                    1 => item.finding.message.push_str(" (It appears in 1 more place.)"),
                    n => item.finding.message.push_str(&format!(" (It appears in {n} more places.)")),
                }
                item.finding
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
