//! The parts of a parsed message the rules look at: subject, text bodies, HTML bodies, attachments.
//!
//! We walk mail-parser's parts ourselves instead of using `body_text`/`body_html`: those convert
//! HTML to text (and back) when an alternative is missing, and the linter must know what is really
//! in the message.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::html::Html;

pub(crate) struct Mail {
    /// The decoded subject; `None` without a `Subject` header.
    pub subject: Option<String>,
    /// `text/plain` bodies, in message order.
    pub texts: Vec<String>,
    /// `text/html` bodies, read.
    pub htmls: Vec<Html>,
    pub has_attachment: bool,
}

impl Mail {
    pub fn read(msg: &Message) -> Self {
        let mut mail = Self {
            subject: msg.subject().map(str::to_string),
            texts: Vec::new(),
            htmls: Vec::new(),
            has_attachment: false,
        };
        for part in &msg.parts {
            if is_attachment(part) {
                mail.has_attachment = true;
                continue;
            }
            match &part.body {
                PartType::Text(text) if is_plain(part) => mail.texts.push(text.to_string()),
                PartType::Html(html) => mail.htmls.push(Html::parse(html)),
                _ => {}
            }
        }
        mail
    }

    /// Every text body's lines, numbered from 1, with the part's index.
    pub fn text_lines(&self) -> impl Iterator<Item = (usize, usize, &str)> {
        self.texts.iter().enumerate().flat_map(|(part, text)| {
            text.split('\n').enumerate().map(move |(i, line)| (part, i + 1, line.trim_end_matches('\r')))
        })
    }

    /// Every HTML body's visible lines, with the part's index and the source line.
    pub fn html_lines(&self) -> impl Iterator<Item = (usize, usize, &str)> {
        self.htmls.iter().enumerate().flat_map(|(part, html)| html.lines().map(move |(line, s)| (part, line, s)))
    }
}

/// `text/plain`, or a text part without a type (which defaults to it).
fn is_plain(part: &MessagePart) -> bool {
    part.content_type().is_none_or(|ct| {
        ct.ctype().eq_ignore_ascii_case("text") && ct.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
    })
}

/// A part the reader sees as an attached file. Generous on purpose: when in doubt it counts as an
/// attachment, because the only rule that asks (`attachment-missing`) must not cry wolf. Images
/// with a `Content-ID` and no `attachment` disposition are taken as pictures inside the HTML.
fn is_attachment(part: &MessagePart) -> bool {
    let disposition = part.content_disposition();
    if disposition.is_some_and(|d| d.is_attachment()) {
        return true;
    }
    match &part.body {
        PartType::Message(_) => true,
        PartType::Multipart(_) => false,
        PartType::Text(_) | PartType::Html(_) => part.attachment_name().is_some(),
        PartType::Binary(_) | PartType::InlineBinary(_) => {
            let image = part.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"));
            !(image && part.content_id().is_some())
        }
    }
}
