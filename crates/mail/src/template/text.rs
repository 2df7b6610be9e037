//! The plain-text alternative of an HTML mail, derived once per template version.
//!
//! Works on html5ever's token stream rather than a DOM tree, so the comment markers that stand for
//! Jinja block tags stay exactly where they were (a tree builder would move a `{% for %}` between
//! table rows out of the table). Rules, as mail clients show text mail:
//! - paragraphs, headings, tables and lists are separated by a blank line, rows and `<div>`s and
//!   `<br>` by a line break, cells by two spaces; list items start with `- `;
//! - a link shows its text and then the URL in angle brackets (`Jetzt ansehen <https://...>`), or
//!   just the URL when the text is the URL; `mailto:` and `tel:` links show their text;
//! - an image shows its `alt` text; `<head>`, `<style>`, `<script>`, Outlook conditional comments and
//!   hidden elements (`display:none`, the preheader) show nothing;
//! - runs of white space become one space; no line has leading or trailing spaces.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

use super::protect::Protected;

/// The text version of `html`; block-tag markers become the Jinja tags in `tags`, each on its own line.
pub(crate) fn html_to_text(html: &str, tags: Option<&Protected>) -> String {
    let sink = Sink { state: RefCell::new(State::new(tags)) };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.state.into_inner().finish()
}

struct Sink<'t> {
    state: RefCell<State<'t>>,
}

impl TokenSink for Sink<'_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        self.state.borrow_mut().token(token)
    }
}

/// An open `<a>`: its href and where its text starts in the output.
struct OpenLink {
    href: String,
    text_start: usize,
}

struct State<'t> {
    tags: Option<&'t Protected>,
    out: String,
    /// Line breaks owed before the next text (1 = new line, 2 = blank line).
    pending_breaks: usize,
    /// A space owed before the next text.
    pending_space: bool,
    /// Nesting depth inside elements whose content is not shown (head, style, hidden, ...).
    hidden: Vec<String>,
    link: Option<OpenLink>,
    /// Depth of `<ol>`/`<ul>`.
    list_depth: usize,
    /// Whether the current table row holds paragraphs (a layout row, as MJML makes them) rather
    /// than data cells: such rows are separated by a blank line.
    row_has_blocks: bool,
}

/// Elements that start and end a paragraph-like block (a blank line around them).
const PARAGRAPHS: &[&str] = &["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"];
/// Elements that start on a new line.
const LINES: &[&str] = &["div", "tr", "li", "section", "article", "header", "footer", "center", "dt", "dd"];
/// Elements whose content is never shown.
const INVISIBLE: &[&str] = &["head", "style", "script", "title", "template", "noscript"];
/// Elements without an end tag, which must not open a hidden region.
const VOID: &[&str] = &["br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"];

impl<'t> State<'t> {
    fn new(tags: Option<&'t Protected>) -> Self {
        Self {
            tags,
            out: String::new(),
            pending_breaks: 0,
            pending_space: false,
            hidden: Vec::new(),
            link: None,
            list_depth: 0,
            row_has_blocks: false,
        }
    }

    fn token(&mut self, token: Token) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let attr = |n: &str| tag.attrs.iter().find(|a| &*a.name.local == n).map(|a| a.value.to_string());
                if let Some(open) = self.hidden.last() {
                    // Inside a hidden element: only track nesting of the same element name.
                    if open == name && !VOID.contains(&name) {
                        match tag.kind {
                            TagKind::StartTag if !tag.self_closing => self.hidden.push(name.to_string()),
                            TagKind::EndTag => {
                                self.hidden.pop();
                            }
                            TagKind::StartTag => {}
                        }
                    }
                    return raw_kind(name, &tag.kind);
                }
                match tag.kind {
                    TagKind::StartTag => {
                        let hidden_style = attr("style").is_some_and(|s| is_hidden_style(&s));
                        if INVISIBLE.contains(&name) || (hidden_style && !VOID.contains(&name)) {
                            if !tag.self_closing {
                                self.hidden.push(name.to_string());
                            }
                            return raw_kind(name, &tag.kind);
                        }
                        self.start(name, &attr);
                    }
                    TagKind::EndTag => self.end(name),
                }
            }
            Token::CharacterTokens(text) if self.hidden.is_empty() => self.text(&text),
            Token::CommentToken(comment) => {
                if let Some(tag) = self.tags.and_then(|p| p.comment_tag(&comment)) {
                    // A block tag on a line of its own: the text template trims such lines.
                    self.line_break(1);
                    self.flush_breaks();
                    self.out.push_str(tag);
                    self.pending_breaks = self.pending_breaks.max(1);
                    self.pending_space = false;
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn start(&mut self, name: &str, attr: &dyn Fn(&str) -> Option<String>) {
        match name {
            "br" => {
                self.flush_breaks();
                self.out.push('\n');
                self.pending_space = false;
            }
            "a" => {
                self.space_if_pending();
                self.link = attr("href").map(|href| OpenLink { href, text_start: self.out.len() });
            }
            "img" => {
                if let Some(alt) = attr("alt").filter(|a| !a.trim().is_empty()) {
                    self.text(&alt);
                }
            }
            "li" => {
                self.line_break(1);
                self.flush_breaks();
                self.out.push_str(&"  ".repeat(self.list_depth.saturating_sub(1)));
                self.out.push_str("- ");
                self.pending_space = false;
            }
            "ul" | "ol" => {
                self.list_depth += 1;
                self.line_break(if self.list_depth == 1 { 2 } else { 1 });
            }
            "td" | "th" => self.pending_space = true,
            "tr" => {
                self.row_has_blocks = false;
                self.line_break(1);
            }
            "div" | "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" => {
                self.row_has_blocks = true;
                self.line_break(if name == "div" { 1 } else { 2 });
            }
            "hr" => {
                self.line_break(2);
                self.flush_breaks();
                self.out.push_str("----------");
                self.line_break(2);
            }
            _ if PARAGRAPHS.contains(&name) => self.line_break(2),
            _ if LINES.contains(&name) => self.line_break(1),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "a" => {
                if let Some(link) = self.link.take() {
                    self.finish_link(link);
                }
            }
            "ul" | "ol" => {
                self.list_depth = self.list_depth.saturating_sub(1);
                self.line_break(if self.list_depth == 0 { 2 } else { 1 });
            }
            "td" | "th" => self.pending_space = true,
            "tr" => self.line_break(if self.row_has_blocks { 2 } else { 1 }),
            _ if PARAGRAPHS.contains(&name) => self.line_break(2),
            _ if LINES.contains(&name) => self.line_break(1),
            _ => {}
        }
    }

    /// `text <href>`, or the bare URL when the text is (or is empty, or is the URL without scheme).
    fn finish_link(&mut self, link: OpenLink) {
        let href = link.href.trim();
        let lower = href.to_ascii_lowercase();
        if href.is_empty() || href.starts_with('#') || lower.starts_with("mailto:") || lower.starts_with("tel:") {
            return;
        }
        let text = self.out[link.text_start..].trim().to_string();
        let bare = href.split_once("://").map_or(href, |(_, rest)| rest).trim_end_matches('/');
        // `<a href="{{ url }}">{{ url }}</a>`: two markers for the same merge tag are the same text.
        let same_tag = self.tags.is_some_and(|t| t.restore(&text) == t.restore(href));
        if text.is_empty() || text == href || text.trim_end_matches('/') == bare || same_tag {
            self.out.truncate(link.text_start);
            self.space_if_pending();
            self.out.push_str(href);
        } else {
            self.out.push_str(" <");
            self.out.push_str(href);
            self.out.push('>');
        }
    }

    fn text(&mut self, text: &str) {
        let mut words = text.split(|c: char| c.is_whitespace() && c != '\u{a0}').peekable();
        if text.starts_with(|c: char| c.is_whitespace() && c != '\u{a0}') {
            self.pending_space = true;
        }
        while let Some(word) = words.next() {
            if word.is_empty() {
                continue;
            }
            self.flush_breaks();
            self.space_if_pending();
            self.out.push_str(&word.replace('\u{a0}', " ").replace(['\u{200c}', '\u{ad}'], ""));
            self.pending_space = words.peek().is_some();
        }
        if text.ends_with(|c: char| c.is_whitespace() && c != '\u{a0}') {
            self.pending_space = true;
        }
    }

    fn space_if_pending(&mut self) {
        if self.pending_space && !self.out.is_empty() && !self.out.ends_with(['\n', ' ']) {
            self.out.push(' ');
        }
        self.pending_space = false;
    }

    fn line_break(&mut self, n: usize) {
        self.pending_breaks = self.pending_breaks.max(n);
        self.pending_space = false;
    }

    fn flush_breaks(&mut self) {
        if self.pending_breaks == 0 || self.out.is_empty() {
            self.pending_breaks = 0;
            return;
        }
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        let have = self.out.chars().rev().take_while(|&c| c == '\n').count();
        for _ in have..self.pending_breaks {
            self.out.push('\n');
        }
        self.pending_breaks = 0;
    }

    fn finish(self) -> String {
        let mut out: String = self.out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
        // At most one blank line in a row.
        while out.contains("\n\n\n") {
            out = out.replace("\n\n\n", "\n\n");
        }
        let mut out = out.trim().to_string();
        out.push('\n');
        out
    }
}

/// `<style>` and `<script>` content is raw text, not markup.
fn raw_kind(name: &str, kind: &TagKind) -> TokenSinkResult<()> {
    match (name, kind) {
        ("style" | "script" | "noscript", TagKind::StartTag) => TokenSinkResult::RawData(RawKind::Rawtext),
        ("title", TagKind::StartTag) => TokenSinkResult::RawData(RawKind::Rcdata),
        _ => TokenSinkResult::Continue,
    }
}

/// `display:none`, `visibility:hidden`, `max-height:0` with `overflow:hidden` (the preheader idiom).
fn is_hidden_style(style: &str) -> bool {
    let s: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    s.contains("display:none")
        || s.contains("visibility:hidden")
        || (s.contains("overflow:hidden")
            && (s.contains("max-height:0;") || s.ends_with("max-height:0") || s.contains("max-height:0px")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        html_to_text(html, None)
    }

    #[test]
    fn blocks_links_images_and_lists() {
        let html = r#"<html><head><title>T</title><style>p { color: red }</style></head><body>
<div style="display:none;max-height:0;overflow:hidden">Preheader text</div>
<h1>Hallo   Anna,</h1><p>schön,
dass Sie da sind.<br>Neue Zeile &amp; mehr&nbsp;Text.</p>
<p><a href="https://shop.example.com/a">Jetzt ansehen</a> oder <a href="https://shop.example.com/b">https://shop.example.com/b</a>
<a href="mailto:hilfe@shop.de">hilfe@shop.de</a></p>
<img src="x.png" alt="Unser Logo"><img src="pixel.gif" alt="">
<ul><li>Eins</li><li>Zwei<ul><li>Zwei a</li></ul></li></ul>
<table><tr><td>Tasse</td><td>9,99 €</td></tr><tr><td>Kanne</td><td>29,00 €</td></tr></table>
<!--[if mso]><p>Outlook only</p><![endif]-->
</body></html>"#;
        assert_eq!(
            text(html),
            "Hallo Anna,\n\nschön, dass Sie da sind.\nNeue Zeile & mehr Text.\n\n\
             Jetzt ansehen <https://shop.example.com/a> oder https://shop.example.com/b hilfe@shop.de\n\n\
             Unser Logo\n\n- Eins\n- Zwei\n  - Zwei a\n\nTasse 9,99 €\nKanne 29,00 €\n"
        );
    }

    #[test]
    fn block_tags_keep_their_place_inside_tables() {
        let p = super::super::protect::protect(
            "<table>{% for i in items %}<tr><td>{{ i.name }}</td><td>{{ i.price }}</td></tr>{% endfor %}</table>",
        )
        .unwrap();
        let t = p.restore(&html_to_text(&p.text, Some(&p)));
        assert_eq!(t, "{% for i in items %}\n{{ i.name }} {{ i.price }}\n{% endfor %}\n");
    }

    #[test]
    fn a_link_whose_text_is_its_own_merge_tag_shows_the_url_once() {
        let p = super::super::protect::protect(
            r#"<p><a href="{{ links.confirm }}">{{ links.confirm }}</a> <a href="{{ a }}">{{ b }}</a></p>"#,
        )
        .unwrap();
        let t = p.restore(&html_to_text(&p.text, Some(&p)));
        assert_eq!(t, "{{ links.confirm }} {{ b }} <{{ a }}>\n");
    }
}
