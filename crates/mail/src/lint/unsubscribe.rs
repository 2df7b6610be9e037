//! `unsubscribe-missing`: marketing mail needs a way out that readers see (a link in the body, as
//! the law asks) and one that mailbox providers offer beside the sender's name (`List-Unsubscribe`
//! with RFC 8058 one-click, which Gmail and Yahoo require of bulk senders since 2024).

use mail_parser::Message;

use super::html::Html;
use super::parts::Mail;
use super::text::{is_unsubscribe_url, says_unsubscribe};
use super::{Collector, Place, Severity, links};

const RULE: &str = "unsubscribe-missing";

/// How much text around a link may say what it does ("Um sich abzumelden, klicken Sie <a>hier</a>").
const NEARBY_CHARS: usize = 120;

pub(crate) fn check(msg: &Message, mail: &Mail, out: &mut Collector) {
    if !body_has_link(mail) {
        out.add(
            RULE,
            Severity::Error,
            Place::message(),
            "The body has no unsubscribe link: add a visible link (\"Newsletter abbestellen\" / \"Unsubscribe\") \
             that ends the subscription without a login."
                .into(),
        );
    }
    let Some(value) = header(msg, "List-Unsubscribe") else {
        out.add(
            RULE,
            Severity::Error,
            Place::header("List-Unsubscribe"),
            "There is no List-Unsubscribe header: add one with an https:// unsubscribe URL (and \
             List-Unsubscribe-Post: List-Unsubscribe=One-Click), so mail clients can show their own unsubscribe \
             button."
                .into(),
        );
        return;
    };
    let uris = bracketed(&value);
    let https = uris.iter().any(|u| u.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")));
    let mailto = uris.iter().any(|u| u.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("mailto:")));
    if !https && !mailto {
        out.add(
            RULE,
            Severity::Error,
            Place::header("List-Unsubscribe"),
            "List-Unsubscribe has no <https://...> or <mailto:...> address in angle brackets: write it as \
             List-Unsubscribe: <https://...>."
                .into(),
        );
        return;
    }
    let one_click = header(msg, "List-Unsubscribe-Post")
        .is_some_and(|v| v.split_whitespace().collect::<String>().eq_ignore_ascii_case("List-Unsubscribe=One-Click"));
    if https && !one_click {
        out.add(
            RULE,
            Severity::Error,
            Place::header("List-Unsubscribe-Post"),
            "List-Unsubscribe has an https:// URL but there is no \"List-Unsubscribe-Post: \
             List-Unsubscribe=One-Click\" header (RFC 8058): Gmail and Yahoo require one-click unsubscribe of \
             bulk senders. Add the header, and let the URL unsubscribe on POST."
                .into(),
        );
    }
}

/// A header's raw value, unfolded; `None` when missing or empty.
fn header(msg: &Message, name: &str) -> Option<String> {
    let raw = msg.header_raw(name)?;
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(value)
}

/// The `<...>` entries of a `List-Unsubscribe` value.
fn bracketed(value: &str) -> Vec<&str> {
    value.split('<').skip(1).filter_map(|s| s.split_once('>').map(|(uri, _)| uri.trim())).collect()
}

fn body_has_link(mail: &Mail) -> bool {
    mail.htmls.iter().any(html_has_link) || mail.texts.iter().any(|t| text_has_link(t))
}

/// A link that says unsubscribe, goes to an unsubscribe URL, or stands next to such words.
fn html_has_link(html: &Html) -> bool {
    html.links.iter().any(|link| {
        let (before, after) = html.around(link, NEARBY_CHARS);
        is_unsubscribe_url(&links::percent_decode(&link.href))
            || says_unsubscribe(html.link_text(link))
            || link.title.as_deref().is_some_and(says_unsubscribe)
            || says_unsubscribe(before)
            || says_unsubscribe(after)
    })
}

/// A URL in plain text that is an unsubscribe URL, or follows unsubscribe words within a few lines.
fn text_has_link(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        let urls = links::urls_in(line);
        let mailto = line.to_ascii_lowercase().contains("mailto:");
        if urls.is_empty() && !mailto {
            return false;
        }
        let context = lines.get(i.saturating_sub(2)..=i).unwrap_or_default().join(" ");
        urls.iter().any(|u| is_unsubscribe_url(u)) || says_unsubscribe(&context)
    })
}
