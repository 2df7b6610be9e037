//! Keeps Jinja merge tags intact through the compile steps (MJML, CSS inlining, HTML to text).
//!
//! Those steps parse HTML: a `{% for %}` between two table rows would be moved out of the table by an
//! HTML parser (foster parenting), and quotes inside `{{ x | default("a") }}` would be escaped in an
//! attribute. So before compiling, every tag is swapped for a marker the parsers leave alone, and
//! swapped back afterwards:
//! - a block tag (`{% ... %}`, `{# ... #}`) in text becomes a comment `<!--KJ0Q_N_-->`, which
//!   parsers keep in place, even inside tables;
//! - an expression (`{{ ... }}`), or any tag inside a markup tag (an attribute value), becomes
//!   `KJ0Q_N_`: letters, digits and underscores, which no parser escapes or moves.

/// A source with its merge tags replaced by markers, and the tags to put back.
#[derive(Debug)]
pub(crate) struct Protected {
    pub text: String,
    pub tags: Vec<String>,
    /// The text marker for tag N is `{prefix}N_`, the comment marker `<!--{prefix}N_-->`; the prefix
    /// is chosen so that it does not occur in the source.
    prefix: String,
}

/// A merge tag that is opened but never closed, with its byte offset.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unclosed {
    pub offset: usize,
    pub opener: &'static str,
}

/// Replaces every Jinja tag in `source` by a marker. Markers are plain ASCII letters, digits and
/// underscores: MJML renderers escape other characters in attributes.
pub(crate) fn protect(source: &str) -> Result<Protected, Unclosed> {
    let prefix = (0u32..).map(|salt| format!("KJ{salt}Q_")).find(|p| !source.contains(p.as_str())).unwrap_or_default();
    let mut text = String::with_capacity(source.len());
    let mut tags = Vec::new();
    let mut in_markup = false;
    for segment in segments(source)? {
        match segment {
            Segment::Text(t) => {
                in_markup = markup_state(t, in_markup);
                text.push_str(t);
            }
            Segment::Tag(tag) => {
                let n = tags.len();
                if tag.starts_with("{{") || in_markup {
                    text.push_str(&format!("{prefix}{n}_"));
                } else {
                    text.push_str(&format!("<!--{prefix}{n}_-->"));
                }
                tags.push(tag.to_string());
            }
        }
    }
    Ok(Protected { text, tags, prefix })
}

/// A piece of a Jinja source: template data or a tag.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    Text(&'a str),
    Tag(&'a str),
}

/// Splits a Jinja source into template data and tags (`{{ }}`, `{% %}`, `{# #}`).
pub(crate) fn segments(source: &str) -> Result<Vec<Segment<'_>>, Unclosed> {
    let mut out = Vec::new();
    let mut rest = source;
    let mut text_start = 0;
    let mut pos = 0;
    while let Some(i) = rest.find('{') {
        let at = pos + i;
        let (opener, close) = match source.as_bytes().get(at + 1) {
            Some(b'{') => ("{{", "}}"),
            Some(b'%') => ("{%", "%}"),
            Some(b'#') => ("{#", "#}"),
            _ => {
                pos = at + 1;
                rest = &source[pos..];
                continue;
            }
        };
        let len = tag_len(&source[at..], close).ok_or(Unclosed { offset: at, opener })?;
        if at > text_start {
            out.push(Segment::Text(&source[text_start..at]));
        }
        out.push(Segment::Tag(&source[at..at + len]));
        pos = at + len;
        text_start = pos;
        rest = &source[pos..];
    }
    if text_start < source.len() {
        out.push(Segment::Text(&source[text_start..]));
    }
    Ok(out)
}

/// Whether the text after `chunk` is inside a markup tag (`<a href="...`), given the state before.
fn markup_state(chunk: &str, before: bool) -> bool {
    let lt = chunk.rfind('<');
    let gt = chunk.rfind('>');
    match (lt, gt) {
        (Some(l), Some(g)) => l > g && is_tag_start(&chunk[l..]),
        (Some(l), None) => is_tag_start(&chunk[l..]) || before,
        (None, Some(_)) => false,
        (None, None) => before,
    }
}

/// `<a`, `</a`, `<mj-text`: a `<` that opens markup (not `a < b` in text).
fn is_tag_start(s: &str) -> bool {
    s[1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
}

/// The length of the tag at the start of `s` up to and including `close`, skipping string
/// literals (a `}}` inside `"..."` does not close an expression).
fn tag_len(s: &str, close: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 2;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if close != "#}" && (b == b'"' || b == b'\'') => quote = Some(b),
            None if bytes[i..].starts_with(close.as_bytes()) => return Some(i + close.len()),
            None => {}
        }
        i += 1;
    }
    None
}

impl Protected {
    /// Puts the tags back into `text` (this source's text, or what the compile steps made of it):
    /// comment markers become the tag they stand in for, text markers too.
    pub(crate) fn restore(&self, text: &str) -> String {
        let comment_open = format!("<!--{}", self.prefix);
        let without_comments = self.replace(text, &comment_open, "_-->");
        self.replace(&without_comments, &self.prefix, "_")
    }

    fn replace(&self, text: &str, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(text.len() + 64);
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            let after = &rest[i + open.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let tag = after[..digits].parse::<usize>().ok().and_then(|n| self.tags.get(n));
            match tag {
                Some(tag) if after[digits..].starts_with(close) => {
                    out.push_str(tag);
                    rest = &after[digits + close.len()..];
                }
                _ => {
                    out.push_str(open);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The tag a comment marker stands for (the comment's content is `{prefix}N_`), if it is one.
    pub(crate) fn comment_tag(&self, comment: &str) -> Option<&str> {
        let n: usize = comment.strip_prefix(self.prefix.as_str())?.strip_suffix('_')?.parse().ok()?;
        self.tags.get(n).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_markers_and_come_back() {
        let src = r#"<table>{% for i in items %}<tr><td title="{{ i.name | default("x}}") }}">{{ i.name }}</td></tr>{% endfor %}</table>{# note #}<a href="{% if a %}x{% endif %}">a</a> {b} a < b"#;
        let p = protect(src).unwrap();
        assert_eq!(p.tags.len(), 7);
        assert!(!p.text.contains("{{") && !p.text.contains("{%") && !p.text.contains("{#"));
        assert!(p.text.starts_with("<table><!--KJ0Q_0_--><tr><td title=\"KJ0Q_1_\">"), "{}", p.text);
        // Block tags inside an attribute are text markers, not comments.
        assert!(p.text.contains("href=\"KJ0Q_5_xKJ0Q_6_\""));
        assert!(p.text.ends_with("{b} a < b"));
        assert_eq!(p.restore(&p.text), src);
        assert_eq!(p.comment_tag("KJ0Q_3_"), Some("{% endfor %}"));
        assert_eq!(p.comment_tag("plain"), None);
    }

    #[test]
    fn multibyte_text_inside_tags() {
        // Found by the fuzzer: a byte index inside "¹" must not be used to slice the source.
        let src = "<p>{{ t | datetime(\"Europe/Berlin\") \u{b9}\u{b9}\\\u{b9}}}</p>";
        let p = protect(src).unwrap();
        assert_eq!(p.tags.len(), 1);
        assert_eq!(p.restore(&p.text), src);
        assert_eq!(segments("{{ \"\\é\" }}ü").unwrap().len(), 2);
    }

    #[test]
    fn unclosed_tags_are_reported() {
        assert_eq!(protect("Hallo {{ name ").unwrap_err(), Unclosed { offset: 6, opener: "{{" });
        assert_eq!(protect("x {% if a %} y {% endif").unwrap_err().opener, "{%");
        assert_eq!(protect("{# comment").unwrap_err().opener, "{#");
    }

    #[test]
    fn marker_look_alikes_in_the_source_stay() {
        let src = "KJ0Q_0_ <!--KJ1Q_0_--> {{ x }}";
        let p = protect(src).unwrap();
        assert_eq!(p.text, "KJ0Q_0_ <!--KJ1Q_0_--> KJ2Q_0_");
        assert_eq!(p.restore(&p.text), src);
    }
}
