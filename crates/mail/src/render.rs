//! The embedded templates, their context, and dates as each language writes them.

use chrono::{DateTime, Utc};
use kurier_core::Language;
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value, escape_formatter};
use serde::Serialize;

/// Every template, embedded at compile time. Names ending in `.html` are HTML-escaped.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("confirmation.de.txt", include_str!("../templates/confirmation.de.txt")),
    ("confirmation.de.html", include_str!("../templates/confirmation.de.html")),
    ("confirmation.en.txt", include_str!("../templates/confirmation.en.txt")),
    ("confirmation.en.html", include_str!("../templates/confirmation.en.html")),
    ("welcome.de.txt", include_str!("../templates/welcome.de.txt")),
    ("welcome.de.html", include_str!("../templates/welcome.de.html")),
    ("welcome.en.txt", include_str!("../templates/welcome.en.txt")),
    ("welcome.en.html", include_str!("../templates/welcome.en.html")),
];

pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env.set_formatter(html_formatter);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            panic!("embedded template {name} does not parse: {e}");
        }
    }
    env
}

/// Like minijinja's own escaping, but leaves `/` alone so URLs in `href` stay readable to every
/// mail client and link scanner. Every value lands in text or a double-quoted attribute, where
/// `& < > " '` are all that need escaping.
pub(crate) fn html_formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(s) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            let mut escaped = String::with_capacity(s.len() + 16);
            escape_html(s, &mut escaped);
            out.write_str(&escaped).map_err(Error::from)
        }
        _ => escape_formatter(out, state, value),
    }
}

/// Escapes `& < > " '`; see [`html_formatter`].
pub(crate) fn escape_html(s: &str, escaped: &mut String) {
    for c in s.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
}

/// The text and HTML template of a message kind in a language.
pub(crate) fn template_names(kind: &str, lang: Language) -> (&'static str, &'static str) {
    match (kind, lang) {
        ("confirmation", Language::De) => ("confirmation.de.txt", "confirmation.de.html"),
        ("confirmation", Language::En) => ("confirmation.en.txt", "confirmation.en.html"),
        ("welcome", Language::De) => ("welcome.de.txt", "welcome.de.html"),
        ("welcome", Language::En) => ("welcome.en.txt", "welcome.en.html"),
        _ => unreachable!("no templates for message kind {kind:?}"),
    }
}

/// Variables every template gets.
#[derive(Serialize)]
pub(crate) struct Common<'a> {
    pub lang: &'static str,
    pub subject: &'a str,
    pub recipient_name: Option<&'a str>,
    pub recipient_address: &'a str,
    pub list_title: &'a str,
    /// The sender's display name, or its address when it has none.
    pub sender_name: &'a str,
    /// Lines joined with ", "; may be empty in transactional mail.
    pub postal_address: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Confirmation<'a> {
    #[serde(flatten)]
    pub common: Common<'a>,
    pub confirm_url: &'a str,
    pub expires: String,
}

#[derive(Serialize)]
pub(crate) struct Welcome<'a> {
    #[serde(flatten)]
    pub common: Common<'a>,
    pub unsubscribe_url: &'a str,
    pub subscribed: String,
}

/// A day as the language writes it: `22.11.2026`, `22 November 2026`.
pub fn format_date(lang: Language, at: DateTime<Utc>) -> String {
    match lang {
        Language::De => at.format("%d.%m.%Y").to_string(),
        Language::En => at.format("%-d %B %Y").to_string(),
    }
}

/// A moment in UTC as the language writes it: `22.11.2026 um 14:30 Uhr (UTC)`,
/// `22 November 2026 at 14:30 UTC`.
pub fn format_date_time(lang: Language, at: DateTime<Utc>) -> String {
    match lang {
        Language::De => at.format("%d.%m.%Y um %H:%M Uhr (UTC)").to_string(),
        Language::En => at.format("%-d %B %Y at %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use minijinja::context;

    use super::*;

    #[test]
    fn dates_per_language() {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 5, 0).unwrap();
        assert_eq!(format_date(Language::De, at), "02.11.2026");
        assert_eq!(format_date(Language::En, at), "2 November 2026");
        assert_eq!(format_date_time(Language::De, at), "02.11.2026 um 09:05 Uhr (UTC)");
        assert_eq!(format_date_time(Language::En, at), "2 November 2026 at 09:05 UTC");
    }

    #[test]
    fn templates_are_strict_and_escape_only_html() {
        let env = environment();
        for (name, _) in TEMPLATES.iter().filter(|(n, _)| *n != "macros.html") {
            let err = env.get_template(name).unwrap().render(context! {}).unwrap_err();
            assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError, "{name}");
        }
        let t = env.template_from_named_str("x.html", "{{ v }}").unwrap();
        let v = "<b a='1'>&\"/";
        assert_eq!(t.render(context! { v }).unwrap(), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;/");
        assert_eq!(t.render(context! { v => Value::from_safe_string("<b>".into()) }).unwrap(), "<b>");
        assert_eq!(t.render(context! { v => 42 }).unwrap(), "42");
        let t = env.template_from_named_str("x.txt", "{{ v }}").unwrap();
        assert_eq!(t.render(context! { v => "<b>&" }).unwrap(), "<b>&");
    }
}
