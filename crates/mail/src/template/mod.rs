//! User templates: compiled once per version, rendered cheaply per recipient.
//!
//! [`CompiledTemplate::compile`] does the expensive work a single time: MJML to HTML (mrml), CSS
//! inlining (css-inline), the preheader, the marketing footer, and the plain-text alternative. The
//! Jinja merge tags survive these steps untouched (see `protect`), so the result is three small
//! minijinja templates (subject, HTML, text). [`CompiledTemplate::render`] then only fills them in.
//!
//! Rendering is strict: printing a variable that is not defined is an error, not an empty string,
//! and every render runs on a fuel budget, so a user template cannot loop forever.

mod filters;
mod protect;
mod text;

/// Template data: what [`CompiledTemplate::render`] takes (build it with `Value::from_serialize`).
pub use minijinja::Value;

use std::sync::{Arc, LazyLock};

use kurier_core::{Language, MessageKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

/// Template instructions one recipient's render may use: generous for loops over an order's items,
/// small enough that an endless loop fails within milliseconds.
pub const RENDER_FUEL: u64 = 200_000;

/// The markup a template body is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mjml,
    Html,
}

/// A template as the user wrote it.
#[derive(Clone, Debug)]
pub struct TemplateSource {
    pub format: Format,
    /// The subject line, with merge tags.
    pub subject: String,
    /// The preview text shown after the subject in the inbox; may be empty.
    pub preheader: String,
    pub body: String,
    /// A hand-written text alternative; derived from the HTML when `None`.
    pub text: Option<String>,
}

impl TemplateSource {
    /// Reads a template file: an optional front matter of `subject:` and `preheader:` lines ended by
    /// a `---` line, then the body. Without front matter the subject comes from `<mj-title>` or
    /// `<title>`. The format follows the file name (`.mjml`, else HTML) or an `<mjml>` root.
    pub fn from_file_text(name: &str, content: &str) -> Result<Self, TemplateError> {
        let mut subject = None;
        let mut preheader = String::new();
        let mut body = content;
        if let Some((head, rest)) = content.split_once("\n---\n").or_else(|| content.split_once("\r\n---\r\n")) {
            let fields: Vec<_> = head.lines().map(|l| l.split_once(':')).collect();
            if !head.trim().is_empty()
                && fields.iter().all(|f| f.is_some_and(|(k, _)| k.trim().chars().all(|c| c.is_ascii_alphabetic())))
            {
                for (key, value) in fields.into_iter().flatten() {
                    match key.trim().to_ascii_lowercase().as_str() {
                        "subject" => subject = Some(value.trim().to_string()),
                        "preheader" => preheader = value.trim().to_string(),
                        other => {
                            return Err(TemplateError::Source(format!(
                                "{name}: unknown front matter field {other:?} (use subject and preheader)"
                            )));
                        }
                    }
                }
                body = rest;
            }
        }
        let format =
            if name.ends_with(".mjml") || body.trim_start().starts_with("<mjml") { Format::Mjml } else { Format::Html };
        let subject = match subject {
            Some(s) => s,
            None => element_text(body, if format == Format::Mjml { "mj-title" } else { "title" }).ok_or_else(|| {
                TemplateError::Source(format!(
                    "{name}: no subject: start the file with a `subject: ...` line and a `---` line"
                ))
            })?,
        };
        Ok(Self { format, subject, preheader, body: body.to_string(), text: None })
    }
}

fn element_text(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}"))?;
    let after = &body[start..];
    let open_end = after.find('>')? + 1;
    let close = after.find(&format!("</{tag}>"))?;
    let t = after.get(open_end..close)?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// How the compiled template is used: marketing mail gets the footer (why the reader gets it, the
/// sender's name and postal address, the unsubscribe link) in its language.
#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    pub kind: MessageKind,
    pub language: Language,
}

/// Why a template does not compile. The message names the part and the place.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{0}")]
    Source(String),
    #[error("{part}: the merge tag starting with {opener} at line {line} is never closed")]
    Unclosed { part: &'static str, line: usize, opener: &'static str },
    #[error("MJML: {0}")]
    Mjml(String),
    #[error("CSS inlining: {0}")]
    Css(String),
    #[error("{part}: {source:#}")]
    Syntax {
        part: &'static str,
        #[source]
        source: minijinja::Error,
    },
}

/// Why a recipient's message could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template uses a variable the data does not have at all (a typo, or a field that does not
    /// exist): lint rule `merge-tag-unresolved`.
    #[error("{part}: `{expression}` is not defined (line {line})")]
    Undefined { part: &'static str, expression: String, line: usize },
    /// The field exists but is empty for this recipient and the template gives no default, so the
    /// reader would see "Hallo ,": lint rule `merge-tag-fallback`.
    #[error(
        "{part}: `{expression}` is empty for this recipient and has no default (line {line}); write `{{{{ {expression} | default(\"...\") }}}}`"
    )]
    EmptyWithoutDefault { part: &'static str, expression: String, line: usize },
    /// Any other failure: a filter given bad data, fuel used up, a type error. `line` is in the
    /// user's template where the failing expression can be found there.
    #[error("{part}: {} (line {line})", failure(.source))]
    Failed {
        part: &'static str,
        line: usize,
        #[source]
        source: minijinja::Error,
    },
}

/// What went wrong, without minijinja's place in the compiled template (which the user never saw).
fn failure(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// One recipient's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A template ready to render: three minijinja templates and nothing else to do per recipient.
#[derive(Clone, Debug)]
pub struct CompiledTemplate {
    env: Arc<Environment<'static>>,
    /// The HTML and text bodies already quoted-printable encoded, for sending (see
    /// [`encoded_template`]); `None` if they could not be encoded ahead.
    mime: Option<Arc<Environment<'static>>>,
    /// The compiled HTML and text sources.
    sources: Arc<(String, String)>,
    /// What the user wrote: the body and the hand-written text, if any (for error lines).
    written: Arc<(String, Option<String>)>,
}

const SUBJECT: &str = "subject.txt";
const HTML: &str = "body.html";
const TEXT: &str = "body.txt";
/// The HTML and the text already quoted-printable encoded, in their own environment.
const HTML_QP: &str = "body.qp.html";
const TEXT_QP: &str = "body.qp.txt";

impl CompiledTemplate {
    pub fn compile(source: &TemplateSource, options: CompileOptions) -> Result<Self, TemplateError> {
        let mut env = environment();
        let add = |env: &mut Environment<'static>, name: &'static str, src: String| {
            env.add_template_owned(name, src).map_err(|source| TemplateError::Syntax { part: name, source })
        };
        add(&mut env, SUBJECT, source.subject.clone())?;

        let protected = protect::protect(&source.body).map_err(|u| TemplateError::Unclosed {
            part: "body",
            line: source.body[..u.offset].matches('\n').count() + 1,
            opener: u.opener,
        })?;
        let html = match source.format {
            Format::Mjml => mjml_to_html(&protected.text)?,
            Format::Html => protected.text.clone(),
        };
        let html = inline_css(&html)?;
        let preheader = protect::protect(&source.preheader).map_err(|u| TemplateError::Unclosed {
            part: "preheader",
            line: 1,
            opener: u.opener,
        })?;
        let text = match &source.text {
            Some(t) => t.clone(),
            None => protected.restore(&text::html_to_text(&html, Some(&protected))),
        };
        let mut html = protected.restore(&html);
        if !preheader.text.trim().is_empty() {
            let escaped = preheader.restore(&escape_text(&preheader.text));
            insert_after_body_open(&mut html, &preheader_html(&escaped));
        }
        let mut text = text;
        if options.kind == MessageKind::Marketing {
            insert_before_body_close(&mut html, footer_html(options.language));
            text.push_str(footer_text(options.language));
        } else {
            // Business mail names its sender too (in Germany § 5 DDG, § 37a HGB): name and postal
            // address when the composer knows them; no unsubscribe link.
            insert_before_body_close(&mut html, TRANSACTIONAL_FOOTER_HTML);
            text.push_str(TRANSACTIONAL_FOOTER_TEXT);
        }
        add(&mut env, HTML, html.clone())?;
        add(&mut env, TEXT, text.clone())?;
        let mime = mime_environment(&html, &text).map(Arc::new);
        Ok(Self {
            env: Arc::new(env),
            mime,
            sources: Arc::new((html, text)),
            written: Arc::new((source.body.clone(), source.text.clone())),
        })
    }

    /// The compiled HTML or text template source (for inspection and tests).
    pub fn source(&self, html: bool) -> &str {
        if html { &self.sources.0 } else { &self.sources.1 }
    }

    /// Renders one recipient's subject, HTML and text. Empty strings and nulls in the data count as
    /// missing, so `default(...)` applies to them; a missing value printed without a default fails.
    pub fn render(&self, data: &Value) -> Result<Rendered, RenderError> {
        self.render_as(data, &self.env, HTML, TEXT)
    }

    /// Like [`CompiledTemplate::render`], but the HTML and the text come quoted-printable encoded
    /// when the template allows it (`true`), ready to be MIME bodies: encoding once per template
    /// version instead of once per recipient is most of what sending costs. The subject is plain.
    pub(crate) fn render_for_mime(&self, data: &Value) -> Result<(Rendered, bool), RenderError> {
        let Some(mime) = &self.mime else { return self.render(data).map(|r| (r, false)) };
        match self.render_as(data, mime, HTML_QP, TEXT_QP) {
            Ok(mut r) => {
                if let Some(tidy) = tidy_encoded_text(&r.text) {
                    r.text = tidy;
                }
                Ok((r, true))
            }
            // The encoded templates' line numbers are not the user's: report the plain render's
            // error (the same one, as both templates do the same).
            Err(e) => match self.render(data) {
                Err(plain) => Err(plain),
                Ok(_) => Err(e),
            },
        }
    }

    fn render_as(
        &self,
        data: &Value,
        env: &Environment<'static>,
        html: &'static str,
        text: &'static str,
    ) -> Result<Rendered, RenderError> {
        let stripped = strip_empty(data);
        match self.render_with(&stripped, env, html, text) {
            Ok(r) => Ok(r),
            Err(RenderError::Undefined { part, expression, line }) => {
                // Was the value there but empty? Then the reader would see a gap, not a typo.
                match self.render_with(data, env, html, text) {
                    Ok(_) | Err(RenderError::Failed { .. }) => {
                        Err(RenderError::EmptyWithoutDefault { part, expression, line })
                    }
                    Err(_) => Err(RenderError::Undefined { part, expression, line }),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn render_with(
        &self,
        data: &Value,
        env: &Environment<'static>,
        html: &'static str,
        text_template: &'static str,
    ) -> Result<Rendered, RenderError> {
        let one = |env: &Environment<'static>, name: &'static str| -> Result<String, RenderError> {
            let part = part_name(name);
            let template = env.get_template(name).map_err(|source| RenderError::Failed { part, line: 0, source })?;
            // `render` sizes its buffer from the template (no reallocations, no UTF-8 check).
            template.render(data).map_err(|source| {
                let src = template.source();
                let expression = source
                    .range()
                    .and_then(|r| src.get(with_filtered_value(src, r.start)..r.end))
                    .map(|s| s.trim().to_string());
                let line =
                    expression.as_deref().and_then(|e| self.written_line(part, e)).or(source.line()).unwrap_or(0);
                match source.kind() {
                    ErrorKind::UndefinedError => {
                        let expression = expression.unwrap_or_else(|| "a variable".into());
                        RenderError::Undefined { part, expression, line }
                    }
                    _ => RenderError::Failed { part, line, source },
                }
            })
        };
        let subject = one(&self.env, SUBJECT)?.split_whitespace().collect::<Vec<_>>().join(" ");
        let html = one(env, html)?;
        let mut text = one(env, text_template)?;
        if text_template == TEXT_QP {
            // Tidied by the caller, on the encoded lines.
            return Ok(Rendered { subject, html, text });
        }
        // Conditions that were false leave empty lines behind: at most one blank line in a row.
        let mut from = 0;
        while let Some(i) = memchr::memmem::find(&text.as_bytes()[from..], b"\n\n\n").map(|i| i + from) {
            let run = text[i..].bytes().take_while(|&b| b == b'\n').count();
            text.replace_range(i..i + run, "\n\n");
            from = i + 2;
        }
        // ... and none at the start (a block tag on the first line of the body).
        let leading = text.len() - text.trim_start_matches('\n').len();
        text.replace_range(..leading, "");
        Ok(Rendered { subject, html, text })
    }
}

impl CompiledTemplate {
    /// The line of the user's template where `expression` is first printed: the compiled HTML (from
    /// MJML, with inlined CSS) has lines of its own, which the user never saw. `None` when the user
    /// did not write it (the subject is one line; a derived text follows the body).
    fn written_line(&self, part: &str, expression: &str) -> Option<usize> {
        let (body, text) = &*self.written;
        let written = match part {
            "html" => body,
            "text" => text.as_ref().unwrap_or(body),
            _ => return None,
        };
        protect::segments(written).ok()?.into_iter().find_map(|segment| match segment {
            protect::Segment::Tag(tag) if tag.starts_with("{{") && tag.contains(expression) => {
                let offset = tag.as_ptr() as usize - written.as_ptr() as usize;
                Some(written[..offset].matches('\n').count() + 1)
            }
            _ => None,
        })
    }
}

/// The plain text's tidying (at most one blank line in a row, none at the start; see
/// `render_with`) done on its quoted-printable form, where a line break is a CRLF and a line that
/// ends in `=` continues on the next. `None` when nothing needs to change (the usual case).
fn tidy_encoded_text(text: &str) -> Option<String> {
    // Only an empty line at the start (after lone `=` lines) or a third line break in a row (with
    // lone `=` lines between) is dropped, and neither can be there without one of these.
    static BLANK_RUN: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n\r\n\r\n"));
    static LONE_SOFT_BREAK: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n=\r\n"));
    let bytes = text.as_bytes();
    // Two blank lines after a soft break (`=`) are only two line breaks: a printed value ends in
    // one, and prices and links followed by a blank line would otherwise send every message
    // through the line-by-line walk.
    let third_break = |p: usize| p == 0 || bytes[p - 1] != b'=' || bytes[p + 6..].starts_with(b"\r\n");
    if !bytes.starts_with(b"\r\n")
        && !bytes.starts_with(b"=\r\n")
        && !BLANK_RUN.find_iter(bytes).any(third_break)
        && LONE_SOFT_BREAK.find(bytes).is_none()
    {
        return None;
    }
    let mut out: Option<String> = None;
    // Line breaks in a row in the decoded text; `None` at the start, where all are dropped.
    let mut run: Option<usize> = None;
    let mut at = 0;
    while at < text.len() {
        // Quoted-printable has no bare LF: every line ends in CRLF.
        let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i + 1);
        let line = &text[at..end];
        let content = line.strip_suffix("\r\n").unwrap_or(line);
        let keep = if content.is_empty() {
            // An empty line: one more line break in the decoded text.
            let more = run.map(|r| r + 1);
            run = more;
            more.is_some_and(|r| r <= 2)
        } else {
            // A lone `=` decodes to nothing and changes nothing.
            if content != "=" {
                run = Some(usize::from(!content.ends_with('=') && end - at != content.len()));
            }
            true
        };
        match (&mut out, keep) {
            (Some(o), true) => o.push_str(line),
            (None, false) => {
                let mut o = String::with_capacity(text.len());
                o.push_str(&text[..at]);
                out = Some(o);
            }
            _ => {}
        }
        at = end;
    }
    out
}
/// A filter's error points at the filter (`date`), but the reader needs to know what it was given
/// (`order.date | date`): the start of the merge tag when `start` follows a `|`.
fn with_filtered_value(src: &str, start: usize) -> usize {
    let Some(before) = src.get(..start).map(str::trim_end) else { return start };
    match before.strip_suffix('|').and_then(|b| b.rfind("{{")) {
        Some(open) if !src[open..start].contains("}}") => open + 2,
        _ => start,
    }
}

fn part_name(template: &str) -> &'static str {
    match template {
        SUBJECT => "subject",
        HTML | HTML_QP => "html",
        _ => "text",
    }
}

/// The environment every user template runs in: strict, fuelled, with the locale filters.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(formatter);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env.set_fuel(Some(RENDER_FUEL));
    env.set_recursion_limit(50);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    filters::register(&mut env);
    env
}

/// HTML-escapes values in HTML templates; in the pre-encoded templates it also encodes each value
/// as quoted-printable on lines of its own (see [`encoded_template`]).
fn formatter(out: &mut minijinja::Output, state: &minijinja::State, value: &Value) -> Result<(), minijinja::Error> {
    let name = state.name();
    if (name != HTML_QP && name != TEXT_QP) || value.is_undefined() {
        return crate::render::html_formatter(out, state, value);
    }
    // Called for every printed value of every recipient: reuse two buffers per thread.
    thread_local! {
        static BUFFERS: std::cell::RefCell<(String, Vec<u8>)> = const { std::cell::RefCell::new((String::new(), Vec::new())) };
    }
    BUFFERS.with_borrow_mut(|(plain, encoded)| {
        plain.clear();
        encoded.clear();
        let html = name == HTML_QP;
        match value.as_str() {
            Some(s) if value.is_safe() || !html => plain.push_str(s),
            Some(s) => crate::render::escape_html(s, plain),
            None if html => crate::render::escape_html(&value.to_string(), plain),
            None => {
                use std::fmt::Write as _;
                let _ = write!(plain, "{value}");
            }
        }
        if plain.is_empty() {
            return Ok(());
        }
        crate::qp::encode(plain.as_bytes(), encoded);
        if !encoded.ends_with(b"\r\n") {
            encoded.extend_from_slice(b"=\r\n");
        }
        out.write_str(std::str::from_utf8(encoded).unwrap_or_default()).map_err(minijinja::Error::from)
    })
}

/// The environment of the pre-encoded HTML and text (see [`encoded_template`]): like
/// [`environment`], but without whitespace control, which was applied while encoding.
fn mime_environment(html: &str, text: &str) -> Option<Environment<'static>> {
    let mut env = environment();
    env.set_trim_blocks(false);
    env.set_lstrip_blocks(false);
    env.add_template_owned(HTML_QP, encoded_template(html)?).ok()?;
    env.add_template_owned(TEXT_QP, encoded_template(text)?).ok()?;
    Some(env)
}

/// A template with its template data quoted-printable encoded once, so that rendering it gives the
/// finished MIME body. Every piece of template data and every printed value starts on a line of its
/// own (soft line breaks, `=` CRLF, which decode to nothing), so the line lengths stay within 76
/// whatever the values are. The pieces are what minijinja's own lexer makes of the source with the
/// environment's whitespace rules (`trim_blocks`, `lstrip_blocks`, `{%-`, `-%}`, `{% raw %}`), so the
/// encoded template, rendered without those rules, decodes to exactly what the plain one renders.
fn encoded_template(source: &str) -> Option<String> {
    use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
    let ws = WhitespaceConfig { keep_trailing_newline: true, lstrip_blocks: true, trim_blocks: true };
    let mut out = Vec::with_capacity(source.len() * 5 / 4);
    let mut tag_start = None;
    for token in tokenize(source, false, Default::default(), ws) {
        let (token, span) = token.ok()?;
        match token {
            Token::TemplateData(data) => {
                if data.is_empty() {
                    continue;
                }
                let from = out.len();
                crate::qp::encode(data.as_bytes(), &mut out);
                if !out.ends_with(b"\r\n") {
                    out.extend_from_slice(b"=\r\n");
                }
                // The content of a `{% raw %}` block may look like tags: it stays data.
                let encoded = &out[from..];
                if [b"{{", b"{%", b"{#"].iter().any(|m| memchr::memmem::find(encoded, *m).is_some()) {
                    out.splice(from..from, b"{% raw %}".iter().copied());
                    out.extend_from_slice(b"{% endraw %}");
                }
            }
            Token::VariableStart | Token::BlockStart => tag_start = Some(span.start_offset as usize),
            Token::VariableEnd | Token::BlockEnd => {
                let tag = source.get(tag_start.take()?..span.end_offset as usize)?;
                // The tag without its whitespace markers (`-`, `+`), which have done their work.
                let (open, rest) = (tag.get(..2)?, tag.get(2..tag.len().checked_sub(2)?)?);
                let inner = rest.strip_prefix(['-', '+']).unwrap_or(rest);
                let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
                out.extend_from_slice(open.as_bytes());
                out.extend_from_slice(inner.as_bytes());
                out.extend_from_slice(tag.get(tag.len() - 2..)?.as_bytes());
            }
            _ => {}
        }
    }
    String::from_utf8(out).ok()
}

/// Removes empty strings and nulls from maps (recursively), so they are undefined in the template.
fn strip_empty(v: &Value) -> Value {
    if has_empty(v) { stripped(v) } else { v.clone() }
}

/// Whether a map anywhere in `v` holds an empty string or null (most data has none, and then
/// nothing needs copying).
fn has_empty(v: &Value) -> bool {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Map => {
            let empty = |item: &Value| {
                item.is_none()
                    || item.is_undefined()
                    || item.as_str().is_some_and(|s| s.trim().is_empty())
                    || has_empty(item)
            };
            v.try_iter().is_ok_and(|mut keys| keys.any(|k| v.get_item(&k).is_ok_and(|item| empty(&item))))
        }
        ValueKind::Seq => v.try_iter().is_ok_and(|mut items| items.any(|x| has_empty(&x))),
        _ => false,
    }
}

fn stripped(v: &Value) -> Value {
    use minijinja::value::ValueKind;
    match v.kind() {
        ValueKind::Map => {
            let mut out = std::collections::BTreeMap::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    let Ok(item) = v.get_item(&k) else { continue };
                    let empty =
                        item.is_none() || item.is_undefined() || item.as_str().is_some_and(|s| s.trim().is_empty());
                    if !empty {
                        out.insert(k, stripped(&item));
                    }
                }
            }
            Value::from(out)
        }
        ValueKind::Seq => v
            .try_iter()
            .map(|it| Value::from(it.map(|x| stripped(&x)).collect::<Vec<_>>()))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

/// Outlook conditional comments the MJML parser (htmlparser 0.2) would panic on instead of
/// reporting: `<!--[if`, `<![if`, `<![endif`, `<!--<![endif` not followed by `]` and one of
/// `>-->`, `><!-->`, `-->`, `>`. Refused here with the line, like any other syntax error.
fn check_conditional_comments(mjml: &str) -> Result<(), TemplateError> {
    const OPENERS: [(&str, usize); 4] = [("<!--[if", 5), ("<![if", 3), ("<![endif", 3), ("<!--<![endif", 7)];
    let bytes = mjml.as_bytes();
    for (at, _) in mjml.match_indices("<!") {
        for (opener, skip) in OPENERS {
            if !bytes[at..].starts_with(opener.as_bytes()) {
                continue;
            }
            let after = &bytes[at + skip..];
            let ok = after.iter().position(|&b| b == b']').is_some_and(|close| {
                let rest = &after[close + 1..];
                let endif_ok = opener != "<![endif" || after.starts_with(b"endif]");
                endif_ok && [&b">-->"[..], b"><!-->", b"-->", b">"].iter().any(|end| rest.starts_with(end))
            });
            if !ok {
                let line = mjml[..at].matches('\n').count() + 1;
                return Err(TemplateError::Mjml(format!(
                    "line {line}: the Outlook conditional comment starting with {opener:?} is not closed as `]>` or `]-->`"
                )));
            }
        }
    }
    Ok(())
}

fn mjml_to_html(mjml: &str) -> Result<String, TemplateError> {
    check_conditional_comments(mjml)?;
    // mrml's tokenizer (htmlparser 0.2) panics on some malformed input instead of returning an error
    // (found by the render fuzz target): contain it and report the template as broken.
    std::panic::catch_unwind(|| mjml_to_html_unchecked(mjml)).unwrap_or_else(|_| {
        Err(TemplateError::Mjml(
            "the MJML parser failed on this template: check its markup (tags, quotes, comments)".into(),
        ))
    })
}

fn mjml_to_html_unchecked(mjml: &str) -> Result<String, TemplateError> {
    let parsed = mrml::parse(mjml).map_err(|e| TemplateError::Mjml(e.to_string()))?;
    let mut options = mrml::prelude::render::RenderOptions::default();
    // No web fonts: loading Google Fonts from a mail leaks the reader's address (a GDPR matter in
    // Germany since LG München I, 3 O 17493/20).
    options.fonts.clear();
    parsed.element.render(&options).map_err(|e| TemplateError::Mjml(e.to_string()))
}

fn inline_css(html: &str) -> Result<String, TemplateError> {
    let inliner = css_inline::CSSInliner::options()
        .load_remote_stylesheets(false)
        .keep_style_tags(true)
        .keep_link_tags(true)
        .build();
    inliner.inline(html).map_err(|e| TemplateError::Css(e.to_string()))
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn preheader_html(text: &str) -> String {
    // The padding of zero-width joiners keeps clients from filling the preview with body text.
    format!(
        "<div style=\"display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;\">{text}{}</div>",
        "&#847;&zwnj;&nbsp;".repeat(40)
    )
}

fn insert_after_body_open(html: &mut String, insert: &str) {
    let at = html.find("<body").and_then(|b| html[b..].find('>').map(|e| b + e + 1)).unwrap_or(0);
    html.insert_str(at, insert);
}

fn insert_before_body_close(html: &mut String, insert: &str) {
    let at = html.rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, insert);
}

/// The marketing footer: variables `footer_reason`, `sender_name`, `sender_postal_address`,
/// `unsubscribe_url`, which the composer sets for every recipient.
fn footer_html(language: Language) -> &'static str {
    match language {
        Language::De => concat!(
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>",
            "<td style=\"padding:16px 24px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:1.5;color:#6b7280;text-align:center;\">",
            "{{ footer_reason }}<br>{{ sender_name }} · {{ sender_postal_address }}<br>",
            "<a href=\"{{ unsubscribe_url }}\" style=\"color:#6b7280;\">Vom Newsletter abmelden</a>",
            "</td></tr></table>\n"
        ),
        Language::En => concat!(
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>",
            "<td style=\"padding:16px 24px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:1.5;color:#6b7280;text-align:center;\">",
            "{{ footer_reason }}<br>{{ sender_name }} · {{ sender_postal_address }}<br>",
            "<a href=\"{{ unsubscribe_url }}\" style=\"color:#6b7280;\">Unsubscribe</a>",
            "</td></tr></table>\n"
        ),
    }
}

const TRANSACTIONAL_FOOTER_HTML: &str = concat!(
    "{% if sender_postal_address %}",
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>",
    "<td style=\"padding:16px 24px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:1.5;color:#6b7280;text-align:center;\">",
    "{{ sender_name }} · {{ sender_postal_address }}",
    "</td></tr></table>\n",
    "{% endif %}"
);
const TRANSACTIONAL_FOOTER_TEXT: &str =
    "{% if sender_postal_address %}\n--\n{{ sender_name }}, {{ sender_postal_address }}\n{% endif %}";

fn footer_text(language: Language) -> &'static str {
    match language {
        Language::De => {
            "\n--\n{{ footer_reason }}\n{{ sender_name }}, {{ sender_postal_address }}\nAbmelden: {{ unsubscribe_url }}\n"
        }
        Language::En => {
            "\n--\n{{ footer_reason }}\n{{ sender_name }}, {{ sender_postal_address }}\nUnsubscribe: {{ unsubscribe_url }}\n"
        }
    }
}

#[cfg(test)]
mod tests;
