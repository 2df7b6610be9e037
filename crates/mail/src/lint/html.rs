//! Reads an HTML part with html5ever's tokenizer, without building a tree: the text a reader sees,
//! the links and the images. A tokenizer is enough for that, never fails, and takes linear time on
//! any input, however broken.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

/// An `<a>` with an `href` attribute. `index` counts such links from 1, in document order.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub index: usize,
    /// Source line of the tag.
    pub line: usize,
    /// The attribute value as written (entities decoded).
    pub href: String,
    pub title: Option<String>,
    /// The link's visible text is `Html::text[text_start..text_end]`.
    pub text_start: usize,
    pub text_end: usize,
}

/// An `<img>`. `index` counts images from 1, in document order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Image {
    pub index: usize,
    pub line: usize,
    pub src: Option<String>,
    pub alt: Option<String>,
    pub title: Option<String>,
    pub width: Option<String>,
    pub height: Option<String>,
    pub style: Option<String>,
}

/// What a reader sees of an HTML part.
#[derive(Debug, Default)]
pub(crate) struct Html {
    /// Visible text: white space collapsed, one line per block (paragraph, cell, `<br>`, ...).
    /// Alt texts are not part of it.
    pub text: String,
    /// Where each visible line starts in `text`, and its source line.
    lines: Vec<(usize, usize)>,
    pub links: Vec<Link>,
    pub images: Vec<Image>,
    /// Size of the decoded part in bytes.
    pub size: usize,
}

impl Html {
    pub fn parse(source: &str) -> Self {
        let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(source));
        // The sink never asks to run scripts, so one call consumes the whole input.
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        let mut state = tokenizer.sink.state.take();
        state.close_link();
        let mut html = state.html;
        html.size = source.len();
        html
    }

    /// The visible lines with their source line numbers.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.lines.iter().enumerate().map(|(i, &(start, line))| {
            let end = self.lines.get(i + 1).map_or(self.text.len(), |&(next, _)| next);
            (line, self.text.get(start..end).unwrap_or_default().trim_end_matches('\n'))
        })
    }

    /// A link's visible text, trimmed.
    pub fn link_text(&self, link: &Link) -> &str {
        self.text.get(link.text_start..link.text_end).unwrap_or_default().trim()
    }

    /// Up to `chars` characters of visible text before and after a link.
    pub fn around(&self, link: &Link, chars: usize) -> (&str, &str) {
        let before = self.text.get(..link.text_start).unwrap_or_default();
        let after = self.text.get(link.text_end..).unwrap_or_default();
        let cut = before.char_indices().rev().nth(chars).map_or(0, |(i, _)| i);
        let end = after.char_indices().nth(chars).map_or(after.len(), |(i, _)| i);
        (&before[cut..], &after[..end])
    }
}

/// Elements whose content is never shown.
const HIDDEN: &[&str] = &["style", "script", "title", "template", "noscript", "xml", "head"];

/// Elements that belong in `<head>`; any other start tag there begins the body.
const IN_HEAD: &[&str] = &["base", "link", "meta", "noscript", "script", "style", "template", "title", "xml"];

/// Elements that start a new line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

#[derive(Default)]
struct Sink {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    html: Html,
    /// The hidden element we are inside of, if any.
    hidden: Option<String>,
    open_link: Option<usize>,
    pending_space: bool,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<()> {
        let line = usize::try_from(line_number).unwrap_or(usize::MAX);
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => state.tag(&tag, line),
            Token::CharacterTokens(text) if state.hidden.is_none() => {
                state.push_text(&text, line);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

impl State {
    fn tag(&mut self, tag: &Tag, line: usize) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if let Some(hidden) = self.hidden.as_deref() {
            let closes = tag.kind == TagKind::EndTag && hidden == name;
            // A missing `</head>` ends where the body's content begins, as in a browser.
            let body_starts = hidden == "head" && tag.kind == TagKind::StartTag && !IN_HEAD.contains(&name);
            if closes || body_starts {
                self.hidden = None;
            }
            if !body_starts {
                // `<head>` is not raw text: its `<style>` must still switch the tokenizer.
                return raw_kind(tag).map_or(TokenSinkResult::Continue, TokenSinkResult::RawData);
            }
        }
        if tag.kind == TagKind::StartTag && HIDDEN.contains(&name) && !tag.self_closing {
            self.hidden = Some(name.to_string());
            return raw_kind(tag).map_or(TokenSinkResult::Continue, TokenSinkResult::RawData);
        }
        if BLOCKS.contains(&name) {
            self.new_line();
        }
        match (tag.kind, name) {
            (TagKind::StartTag, "a") => self.open_link(tag, line),
            (TagKind::EndTag, "a") => self.close_link(),
            (TagKind::StartTag, "img") => {
                let image = Image {
                    index: self.html.images.len() + 1,
                    line,
                    src: attr(tag, "src"),
                    alt: attr(tag, "alt"),
                    title: attr(tag, "title"),
                    width: attr(tag, "width"),
                    height: attr(tag, "height"),
                    style: attr(tag, "style"),
                };
                self.html.images.push(image);
            }
            _ => {}
        }
        raw_kind(tag).map_or(TokenSinkResult::Continue, TokenSinkResult::RawData)
    }

    fn open_link(&mut self, tag: &Tag, line: usize) {
        self.close_link();
        let Some(href) = attr(tag, "href") else { return };
        self.flush_space();
        let start = self.html.text.len();
        self.html.links.push(Link {
            index: self.html.links.len() + 1,
            line,
            href,
            title: attr(tag, "title"),
            text_start: start,
            // Set when the link closes; an unclosed link runs to the next link or the end.
            text_end: start,
        });
        self.open_link = Some(self.html.links.len() - 1);
    }

    fn close_link(&mut self) {
        if let Some(i) = self.open_link.take()
            && let Some(link) = self.html.links.get_mut(i)
        {
            link.text_end = self.html.text.len().max(link.text_start);
        }
    }

    fn flush_space(&mut self) {
        let text = &mut self.html.text;
        if self.pending_space && !text.is_empty() && !text.ends_with('\n') {
            text.push(' ');
        }
        self.pending_space = false;
    }

    fn new_line(&mut self) {
        if !self.html.text.is_empty() && !self.html.text.ends_with('\n') {
            self.html.text.push('\n');
        }
        self.pending_space = false;
    }

    fn push_text(&mut self, text: &str, line: usize) {
        for c in text.chars() {
            if c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}' {
                self.pending_space = true;
                continue;
            }
            self.flush_space();
            if self.html.text.is_empty() || self.html.text.ends_with('\n') {
                self.html.lines.push((self.html.text.len(), line));
            }
            self.html.text.push(c);
        }
    }
}

/// The tokenizer state the content of this start tag needs (CSS and scripts are not markup).
fn raw_kind(tag: &Tag) -> Option<RawKind> {
    if tag.kind != TagKind::StartTag || tag.self_closing {
        return None;
    }
    match &*tag.name {
        "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
        "script" => Some(RawKind::ScriptData),
        "title" | "textarea" => Some(RawKind::Rcdata),
        _ => None,
    }
}

fn attr(tag: &Tag, name: &str) -> Option<String> {
    tag.attrs.iter().find(|a| &*a.name.local == name).map(|a| a.value.to_string())
}
