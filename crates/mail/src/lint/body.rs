//! Rules on what the message says and shows: merge tags, greetings, attachments, dates, the sender's
//! postal address, images, size and the text alternative. Links are checked in `links.rs`.

use kurier_core::MessageKind;
use mail_parser::Message;

use super::html::{Html, Image};
use super::parts::Mail;
use super::{Collector, LintOptions, Place, Severity, address, dates, links, merge, text, unsubscribe};

/// Gmail clips a message's HTML beyond this size and hides the rest (with the unsubscribe link)
/// behind "View entire message".
pub(crate) const HTML_CLIP_BYTES: usize = 102 * 1024;
/// `image-only` below this many words of text, whatever the number of images...
pub(crate) const IMAGE_ONLY_MIN_WORDS: usize = 50;
/// ...or below this many words per content image.
pub(crate) const IMAGE_ONLY_WORDS_PER_IMAGE: usize = 20;
/// Images no larger than this (both attributes given) are logos or icons, not content.
const SMALL_WIDTH: u32 = 200;
const SMALL_HEIGHT: u32 = 100;

pub(crate) fn check(msg: &Message, mail: &Mail, opts: &LintOptions, out: &mut Collector) {
    let lines = lines(mail);
    merge_tags(mail, &lines, out);
    greetings(mail, &lines, out);
    attachment(mail, &lines, out);
    for (place, line) in &lines {
        if let Some(deadline) = dates::past_deadline(line, opts.today) {
            let message = format!(
                "\"{deadline}\" has passed (today is {}): update the date or remove the offer.",
                opts.today.format("%Y-%m-%d")
            );
            out.add_once("date-in-past", Severity::Warning, deadline, place.clone(), message);
        }
    }
    for (part, line, s) in mail.text_lines() {
        for url in links::urls_in(s) {
            if merge::leftovers(url).is_empty() {
                links::check_text_url(part, line, url, out);
            }
        }
    }
    for (part, html) in mail.htmls.iter().enumerate() {
        links::check_html(part, html, out);
        images(part, html, out);
        if html.size > HTML_CLIP_BYTES {
            out.add(
                "html-too-large",
                Severity::Warning,
                Place::html_part(part),
                format!(
                    "The HTML is {} KB; Gmail clips HTML over 102 KB and hides the rest, the unsubscribe link \
                     included. Remove unused CSS and markup, or shorten the message.",
                    html.size / 1024
                ),
            );
        }
    }
    if !mail.htmls.is_empty() && mail.texts.is_empty() {
        out.add(
            "text-part-missing",
            Severity::Warning,
            Place::message(),
            "The message has HTML but no text/plain alternative: some readers and clients show text only, and \
             spam filters prefer both. Add a text part."
                .into(),
        );
    }
    if opts.kind == MessageKind::Marketing {
        unsubscribe::check(msg, mail, out);
        postal_address(mail, out);
    }
}

/// What readers read, line by line: the subject, the text parts, the HTML's visible text.
fn lines(mail: &Mail) -> Vec<(Place, &str)> {
    let subject = mail.subject.as_deref().map(|s| (Place::header("Subject"), s));
    let texts = mail.text_lines().map(|(part, line, s)| (Place::text(part, line), s));
    let htmls = mail.html_lines().map(|(part, line, s)| (Place::html(part, line), s));
    subject.into_iter().chain(texts).chain(htmls).collect()
}

fn merge_tags(mail: &Mail, lines: &[(Place, &str)], out: &mut Collector) {
    let mut report = |place: Place, s: &str| {
        for tag in merge::leftovers(s) {
            let message = format!(
                "Unresolved merge tag \"{tag}\": the placeholder was not replaced with the contact's data. Check \
                 the field's name and the template syntax, and give the field a fallback for contacts without a \
                 value."
            );
            out.add_once("merge-tag-unresolved", Severity::Error, tag, place.clone(), message);
        }
    };
    for (place, line) in lines {
        report(place.clone(), line);
    }
    for (part, html) in mail.htmls.iter().enumerate() {
        for link in &html.links {
            report(Place::link(part, link), &links::percent_decode(&link.href));
            report(Place::link(part, link), link.title.as_deref().unwrap_or_default());
        }
        for image in &html.images {
            let attributes = [image.src.as_deref().map(links::percent_decode), image.alt.clone(), image.title.clone()];
            for value in attributes.iter().flatten() {
                report(Place::image(part, image), value);
            }
        }
    }
}

fn greetings(mail: &Mail, lines: &[(Place, &str)], out: &mut Collector) {
    const RULE: &str = "merge-tag-fallback";
    if let Some(subject) = &mail.subject
        && subject.trim_start().starts_with(',')
    {
        out.add(
            RULE,
            Severity::Warning,
            Place::header("Subject"),
            "The subject starts with a comma: the name before it came out empty. Give the name a fallback or \
             write the subject without it."
                .into(),
        );
    }
    for (place, line) in lines {
        if let Some(greeting) = text::empty_greeting(line) {
            let message = format!(
                "The greeting \"{greeting}\" has no name: the contact's name field was empty. Give the merge tag \
                 a fallback (\"Hallo,\", \"Hello there,\") or greet without the name."
            );
            let key = greeting.split_whitespace().collect::<Vec<_>>().join(" ");
            out.add_once(RULE, Severity::Warning, &key, place.clone(), message);
        }
    }
}

fn attachment(mail: &Mail, lines: &[(Place, &str)], out: &mut Collector) {
    if mail.has_attachment {
        return;
    }
    let mention = lines.iter().find_map(|(place, line)| text::attachment_mention(line).map(|m| (place, m)));
    if let Some((place, phrase)) = mention {
        out.add(
            "attachment-missing",
            Severity::Error,
            place.clone(),
            format!(
                "The text says \"{phrase}\" but the message has no attachment: attach the file or change the text."
            ),
        );
    }
}

fn postal_address(mail: &Mail, out: &mut Collector) {
    let found = mail.texts.iter().any(|t| address::has_postal_address(t))
        || mail.htmls.iter().any(|h| address::has_postal_address(&h.text));
    if !found {
        out.add(
            "sender-identity-missing",
            Severity::Error,
            Place::message(),
            "No postal address found in the text or HTML: marketing mail must name the sender's postal address. \
             Add it to the footer, e.g. \"Beispiel GmbH, Hauptstraße 1, 10115 Berlin\"."
                .into(),
        );
    }
}

fn images(part: usize, html: &Html, out: &mut Collector) {
    let mut content = 0;
    for image in &html.images {
        if is_pixel(image) {
            continue;
        }
        if !is_small(image) {
            content += 1;
        }
        if image.alt.is_none() {
            out.add(
                "image-alt-missing",
                Severity::Warning,
                Place::image(part, image),
                "The image has no alt attribute: with images off (the default in many clients) and for screen \
                 readers it shows as nothing or as its file name. Describe it in alt=\"...\", or write alt=\"\" \
                 if it is decoration."
                    .into(),
            );
        }
    }
    let words = html.text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
    if content > 0 && words < IMAGE_ONLY_MIN_WORDS.max(IMAGE_ONLY_WORDS_PER_IMAGE * content) {
        out.add(
            "image-only",
            Severity::Warning,
            Place::html_part(part),
            format!(
                "The HTML shows {content} image(s) but only {words} words of text: spam filters distrust mail that \
                 is mostly pictures, and with images off readers see nothing. Write the message as text and use \
                 images beside it."
            ),
        );
    }
}

/// A tracking pixel or a hidden image: 1×1 or smaller, or `display:none`.
fn is_pixel(image: &Image) -> bool {
    let style = image.style.as_deref().unwrap_or_default().to_ascii_lowercase().replace(char::is_whitespace, "");
    let hidden = style.contains("display:none") || style.contains("visibility:hidden");
    let tiny = |v: Option<u32>| v.is_some_and(|n| n <= 1);
    let (w, h) = (pixels(image.width.as_deref()), pixels(image.height.as_deref()));
    let styled_tiny = style.contains("width:1px") && style.contains("height:1px");
    hidden || (tiny(w) && tiny(h)) || w == Some(0) || h == Some(0) || styled_tiny
}

/// Both dimensions given and small: a logo or an icon.
fn is_small(image: &Image) -> bool {
    let (w, h) = (pixels(image.width.as_deref()), pixels(image.height.as_deref()));
    w.is_some_and(|w| w <= SMALL_WIDTH) && h.is_some_and(|h| h <= SMALL_HEIGHT)
}

/// `1`, `1px`, ` 600 ` as a number of pixels; `100%` and `auto` are not.
fn pixels(value: Option<&str>) -> Option<u32> {
    let v = value?.trim();
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let unit = v.get(digits..)?.trim();
    if digits == 0 || !(unit.is_empty() || unit.eq_ignore_ascii_case("px")) {
        return None;
    }
    v.get(..digits)?.parse().ok()
}
