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

use std::sync::Arc;

use kurier_core::{Language, MessageKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

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
    /// Any other failure: a filter given bad data, fuel used up, a type error.
    #[error("{part}: {source:#}")]
    Failed {
        part: &'static str,
        #[source]
        source: minijinja::Error,
    },
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
    /// The compiled HTML and text sources.
    sources: Arc<(String, String)>,
}

const SUBJECT: &str = "subject.txt";
const HTML: &str = "body.html";
const TEXT: &str = "body.txt";

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
        }
        add(&mut env, HTML, html.clone())?;
        add(&mut env, TEXT, text.clone())?;
        Ok(Self { env: Arc::new(env), sources: Arc::new((html, text)) })
    }

    /// The compiled HTML or text template source (for inspection and tests).
    pub fn source(&self, html: bool) -> &str {
        if html { &self.sources.0 } else { &self.sources.1 }
    }

    /// Renders one recipient's subject, HTML and text. Empty strings and nulls in the data count as
    /// missing, so `default(...)` applies to them; a missing value printed without a default fails.
    pub fn render(&self, data: &Value) -> Result<Rendered, RenderError> {
        let stripped = strip_empty(data);
        match self.render_with(&stripped) {
            Ok(r) => Ok(r),
            Err(RenderError::Undefined { part, expression, line }) => {
                // Was the value there but empty? Then the reader would see a gap, not a typo.
                match self.render_with(data) {
                    Ok(_) | Err(RenderError::Failed { .. }) => {
                        Err(RenderError::EmptyWithoutDefault { part, expression, line })
                    }
                    Err(_) => Err(RenderError::Undefined { part, expression, line }),
                }
            }
            Err(e) => Err(e),
        }
    }

    fn render_with(&self, data: &Value) -> Result<Rendered, RenderError> {
        let one = |name: &'static str| -> Result<String, RenderError> {
            let template = self.env.get_template(name).map_err(|source| RenderError::Failed { part: name, source })?;
            template.render(data).map_err(|source| match source.kind() {
                ErrorKind::UndefinedError => {
                    let src = template.source();
                    let expression = source
                        .range()
                        .and_then(|r| src.get(with_filtered_value(src, r.start)..r.end))
                        .map(|s| s.trim().to_string())
                        .unwrap_or_else(|| "a variable".into());
                    RenderError::Undefined { part: part_name(name), expression, line: source.line().unwrap_or(0) }
                }
                _ => RenderError::Failed { part: part_name(name), source },
            })
        };
        let subject = one(SUBJECT)?.split_whitespace().collect::<Vec<_>>().join(" ");
        let html = one(HTML)?;
        let mut text = one(TEXT)?;
        // Conditions that were false leave empty lines behind: at most one blank line in a row.
        while let Some(i) = text.find("\n\n\n") {
            let run = text[i..].bytes().take_while(|&b| b == b'\n').count();
            text.replace_range(i..i + run, "\n\n");
        }
        // ... and none at the start (a block tag on the first line of the body).
        let leading = text.len() - text.trim_start_matches('\n').len();
        text.replace_range(..leading, "");
        Ok(Rendered { subject, html, text })
    }
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
        HTML => "html",
        _ => "text",
    }
}

/// The environment every user template runs in: strict, fuelled, with the locale filters.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_formatter(crate::render::html_formatter);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env.set_fuel(Some(RENDER_FUEL));
    env.set_recursion_limit(50);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    filters::register(&mut env);
    env
}

/// Removes empty strings and nulls from maps (recursively), so they are undefined in the template.
fn strip_empty(v: &Value) -> Value {
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
                        out.insert(k, strip_empty(&item));
                    }
                }
            }
            Value::from(out)
        }
        ValueKind::Seq => v
            .try_iter()
            .map(|it| Value::from(it.map(|x| strip_empty(&x)).collect::<Vec<_>>()))
            .unwrap_or_else(|_| v.clone()),
        _ => v.clone(),
    }
}

fn mjml_to_html(mjml: &str) -> Result<String, TemplateError> {
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
