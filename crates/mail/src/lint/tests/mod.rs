//! Whole messages through [`lint_message`]: for every rule, messages that must trigger it and
//! look-alikes that must not (German and English), clean messages without findings, and bytes
//! that are no message at all.
//!
//! The messages are written out as RFC 5322 text by [`Mail`], starting from a clean marketing
//! message ([`Mail::german`], [`Mail::english`]) and changing one thing.

mod content;
mod headers;
mod html;
mod robustness;

use chrono::NaiveDate;
use kurier_core::MessageKind;

use super::*;

/// The day the test messages "go out".
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 15).unwrap()
}

/// A message under test: headers, an optional text and HTML body, optional attachments.
#[derive(Clone, Debug)]
struct Mail {
    headers: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
    /// File name and content type.
    attachments: Vec<(String, String)>,
}

const GERMAN_TEXT: &str = "Hallo Anna,

unsere neue Herbstkollektion ist da: warme Jacken, weiche Pullover und Stiefel für nasse Tage.
Bis zum 31.10.2026 erhalten Sie 20 % Rabatt auf alle Jacken, auch auf die im Sale.

Zur Kollektion: https://www.beispiel-shop.de/herbst?utm_source=newsletter

Viele Grüße
Ihr Team von Beispiel Shop

--
Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin
Sie erhalten diesen Newsletter, weil Sie ihn auf beispiel-shop.de bestellt haben.
Newsletter abbestellen: https://www.beispiel-shop.de/u/abc123
";

const GERMAN_HTML: &str = r#"<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Herbstkollektion</title>
<style>p { color: #333; } a { color: #0a58ca; } .x{{color:red}}</style>
</head>
<body>
<div style="display:none">Warme Jacken, 20 % Rabatt bis Ende Oktober.</div>
<table width="600">
<tr><td><img src="https://cdn.beispiel-shop.de/logo.png" alt="Beispiel Shop" width="160" height="40"></td></tr>
<tr><td><img src="https://cdn.beispiel-shop.de/herbst.jpg" alt="Frau in roter Jacke im Herbstwald" width="600"></td></tr>
<tr><td>
<p>Hallo Anna,</p>
<p>unsere neue Herbstkollektion ist da: warme Jacken, weiche Pullover und Stiefel für nasse Tage.
Bis zum 31.10.2026 erhalten Sie 20&nbsp;% Rabatt auf alle Jacken, auch auf die im Sale.</p>
<p><a href="https://www.beispiel-shop.de/herbst?utm_source=newsletter">Zur Kollektion</a></p>
<p>Viele Grüße<br>Ihr Team von Beispiel Shop</p>
</td></tr>
<tr><td style="font-size:12px">
<p>Beispiel Shop GmbH · Hauptstraße 1 · 10115 Berlin</p>
<p>Sie erhalten diesen Newsletter, weil Sie ihn auf <a href="https://www.beispiel-shop.de/">beispiel-shop.de</a> bestellt haben.
<a href="https://www.beispiel-shop.de/u/abc123">Newsletter abbestellen</a></p>
</td></tr>
</table>
<img src="https://t.beispiel-shop.de/o/abc123.gif" width="1" height="1">
</body>
</html>
"#;

const ENGLISH_TEXT: &str = "Hi Anna,

our new autumn collection has arrived: warm jackets, soft jumpers and boots for rainy days.
Until 31 October 2026 you get 20% off all jackets, including the ones already on sale.

See the collection: https://www.example-shop.co.uk/autumn?utm_source=newsletter

Best wishes
The Example Shop team

--
Example Shop Ltd, 10 Market Street, Manchester M1 1AE
You receive this newsletter because you signed up at example-shop.co.uk.
Unsubscribe: https://www.example-shop.co.uk/u/abc123
";

const ENGLISH_HTML: &str = r#"<html><head><style>p{margin:0}</style></head>
<body>
<img src="https://cdn.example-shop.co.uk/hero.jpg" alt="A woman in a red jacket in an autumn forest" width="600">
<p>Hi Anna,</p>
<p>our new autumn collection has arrived: warm jackets, soft jumpers and boots for rainy days.
Until 31 October 2026 you get 20% off all jackets, including the ones already on sale.</p>
<p><a href="https://www.example-shop.co.uk/autumn?utm_source=newsletter">See the collection</a></p>
<p>Best wishes,<br>The Example Shop team</p>
<p>Example Shop Ltd, 10 Market Street, Manchester M1 1AE</p>
<p>You receive this newsletter because you signed up at
<a href="https://shop.example-shop.co.uk/">www.example-shop.co.uk</a>.
To unsubscribe, <a href="https://www.example-shop.co.uk/u/abc123">click here</a>.</p>
</body></html>
"#;

impl Mail {
    fn new(from: &str, subject: &str, unsubscribe: &str) -> Self {
        let headers = [
            ("From", from),
            ("To", "Anna Muster <anna.muster@gmail.com>"),
            ("Subject", subject),
            ("Date", "Thu, 15 Oct 2026 08:00:00 +0000"),
            ("Message-ID", "<01HZX8K2Q4@mail.beispiel-shop.de>"),
            ("MIME-Version", "1.0"),
            ("List-Unsubscribe", unsubscribe),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ];
        Self {
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            text: None,
            html: None,
            attachments: Vec::new(),
        }
    }

    /// A clean German marketing message: no errors, no warnings.
    fn german() -> Self {
        Self::new(
            "Beispiel Shop <news@beispiel-shop.de>",
            "Neue Herbstkollektion: 20 % auf Jacken",
            "<https://www.beispiel-shop.de/u/abc123>, <mailto:unsubscribe@beispiel-shop.de?subject=abc123>",
        )
        .text(GERMAN_TEXT)
        .html(GERMAN_HTML)
    }

    /// A clean English marketing message: no errors, no warnings.
    fn english() -> Self {
        Self::new(
            "Example Shop <news@example-shop.co.uk>",
            "Our autumn collection: 20% off jackets",
            "<https://www.example-shop.co.uk/u/abc123>",
        )
        .text(ENGLISH_TEXT)
        .html(ENGLISH_HTML)
    }

    /// Sets a header (replacing one of that name) or, with `None`, removes it.
    fn header(mut self, name: &str, value: Option<&str>) -> Self {
        let pos = self.headers.iter().position(|(k, _)| k.eq_ignore_ascii_case(name));
        match (pos, value) {
            (Some(i), Some(v)) => self.headers[i].1 = v.to_string(),
            (None, Some(v)) => self.headers.push((name.to_string(), v.to_string())),
            (Some(i), None) => {
                self.headers.remove(i);
            }
            (None, None) => {}
        }
        self
    }

    fn subject(self, subject: &str) -> Self {
        self.header("Subject", Some(subject))
    }

    fn text(mut self, text: &str) -> Self {
        self.text = Some(text.to_string());
        self
    }

    fn html(mut self, html: &str) -> Self {
        self.html = Some(html.to_string());
        self
    }

    fn no_text(mut self) -> Self {
        self.text = None;
        self
    }

    fn no_html(mut self) -> Self {
        self.html = None;
        self
    }

    /// Replaces `from` with `to` in the text and the HTML body (in those that contain it).
    fn replace(mut self, from: &str, to: &str) -> Self {
        let mut found = false;
        for body in [&mut self.text, &mut self.html].into_iter().flatten() {
            found |= body.contains(from);
            *body = body.replace(from, to);
        }
        assert!(found, "{from:?} is in no body");
        self
    }

    /// Adds `line` to the text body and as a paragraph to the HTML body.
    fn say(mut self, line: &str) -> Self {
        if let Some(text) = &mut self.text {
            text.insert_str(0, &format!("{line}\n\n"));
        }
        if let Some(html) = &mut self.html {
            let at = html.find("<p>").unwrap_or(html.len());
            html.insert_str(at, &format!("<p>{line}</p>\n"));
        }
        self
    }

    fn attach(mut self, name: &str, content_type: &str) -> Self {
        self.attachments.push((name.to_string(), content_type.to_string()));
        self
    }

    fn raw(&self) -> Vec<u8> {
        let mut out = String::new();
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = self.body();
        if self.attachments.is_empty() {
            out.push_str(&body);
        } else {
            out.push_str("Content-Type: multipart/mixed; boundary=\"mixed-b\"\r\n\r\n--mixed-b\r\n");
            out.push_str(&body);
            for (name, ct) in &self.attachments {
                out.push_str(&format!(
                    "\r\n--mixed-b\r\nContent-Type: {ct}; name=\"{name}\"\r\nContent-Disposition: attachment; \
                     filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
                ));
            }
            out.push_str("\r\n--mixed-b--\r\n");
        }
        out.into_bytes()
    }

    /// The body with its content headers: one part, or multipart/alternative.
    fn body(&self) -> String {
        let part = |ct: &str, body: &str| {
            format!(
                "Content-Type: {ct}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                body.replace('\n', "\r\n")
            )
        };
        match (&self.text, &self.html) {
            (Some(t), Some(h)) => format!(
                "Content-Type: multipart/alternative; boundary=\"alt-b\"\r\n\r\n--alt-b\r\n{}--alt-b\r\n{}--alt-b--\r\n",
                part("text/plain", t),
                part("text/html", h)
            ),
            (Some(t), None) => part("text/plain", t),
            (None, Some(h)) => part("text/html", h),
            (None, None) => part("text/plain", ""),
        }
    }

    fn lint(&self) -> Vec<Finding> {
        self.lint_as(MessageKind::Marketing)
    }

    fn lint_as(&self, kind: MessageKind) -> Vec<Finding> {
        lint_message(&self.raw(), &LintOptions { kind, today: today() })
    }
}

/// The findings of `rule`.
fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// Exactly one finding of `rule`, with this severity, at a location starting with `location`.
#[track_caller]
fn expect_one(findings: &[Finding], rule: &str, severity: Severity, location: &str) -> Finding {
    let found = of(findings, rule);
    assert_eq!(found.len(), 1, "want one {rule}, got: {findings:#?}");
    let f = found[0];
    assert_eq!(f.severity, severity, "{f:?}");
    assert!(f.location.starts_with(location), "want location {location:?}, got {f:?}");
    assert!(f.message.ends_with('.') || f.message.ends_with(".)"), "a sentence: {f:?}");
    f.clone()
}

/// No finding of `rule`.
#[track_caller]
fn expect_none(findings: &[Finding], rule: &str) {
    let found = of(findings, rule);
    assert!(found.is_empty(), "want no {rule}, got: {found:#?}");
}

/// No finding but info.
#[track_caller]
fn expect_clean(findings: &[Finding]) {
    let bad: Vec<_> = findings.iter().filter(|f| f.severity > Severity::Info).collect();
    assert!(bad.is_empty(), "want no errors or warnings, got: {bad:#?}");
}

#[test]
fn clean_messages_have_no_errors_or_warnings() {
    for mail in [Mail::german(), Mail::english()] {
        let findings = mail.lint();
        expect_clean(&findings);
        assert!(!has_errors(&findings));
        expect_clean(&mail.lint_as(MessageKind::Transactional));
        // Each body alone is also fine (a text-only message; HTML alone only lacks its alternative).
        expect_clean(&mail.clone().no_html().lint());
        let html_only = mail.no_text().lint();
        assert_eq!(html_only.iter().map(|f| f.rule).collect::<Vec<_>>(), ["text-part-missing"]);
    }
}

/// The mails Kurier composes itself pass its linter, with and without the recipient's name.
#[test]
fn kurier_own_mails_are_clean() {
    use crate::{Envelope, ListInfo, Recipient, SenderIdentity, compose_confirmation, compose_welcome};
    use chrono::TimeZone as _;
    use kurier_core::{EmailAddress, Language, MessageKey};

    let sender = SenderIdentity {
        name: "Beispiel Shop".into(),
        address: EmailAddress::parse("news@beispiel-shop.de").unwrap(),
        postal_address: "Beispiel GmbH\nHauptstr. 1\n10115 Berlin".into(),
        reply_to: None,
    };
    let address = EmailAddress::parse("anna@gmail.com").unwrap();
    let key = MessageKey::from_bytes([7; 16]);
    let date = chrono::Utc.with_ymd_and_hms(2026, 10, 15, 8, 0, 0).unwrap();
    for language in [Language::De, Language::En] {
        for name in [Some("Anna Müller"), None] {
            let env = Envelope {
                sender: &sender,
                list: ListInfo { name: "news", title: "Beispiel News", language },
                recipient: Recipient { address: &address, name },
                key: &key,
                return_path: "b-abc-def@bounces.beispiel-shop.de",
                message_id_domain: "mail.beispiel-shop.de",
                date,
            };
            let welcome = compose_welcome(&env, "https://www.beispiel-shop.de/u/abc", date).unwrap();
            let opts = LintOptions { kind: MessageKind::Marketing, today: today() };
            expect_clean(&lint_message(&welcome.raw, &opts));
            let expires = date + chrono::Duration::hours(48);
            let confirm = compose_confirmation(&env, "https://www.beispiel-shop.de/c/abc", expires).unwrap();
            let opts = LintOptions { kind: MessageKind::Transactional, today: today() };
            expect_clean(&lint_message(&confirm.raw, &opts));
            // Sent late, the confirmation's deadline has passed: that is worth a warning.
            let late = LintOptions { today: today() + chrono::Duration::days(3), ..opts };
            let findings = lint_message(&confirm.raw, &late);
            assert_eq!(of(&findings, "date-in-past").len(), 1, "{findings:#?}");
        }
    }
}

#[test]
fn findings_are_sorted_by_severity_then_message_order() {
    let findings = Mail::german()
        .subject("Re: JETZT ZUGREIFEN UND SPAREN")
        .header("Reply-To", Some("noreply@beispiel-shop.de"))
        .header("List-Unsubscribe-Post", None)
        .replace("Hallo Anna,", "Hallo {{ vorname }},")
        .lint();
    let got: Vec<(&str, Severity, &str)> = findings.iter().map(|f| (f.rule, f.severity, f.location.as_str())).collect();
    assert_eq!(
        got,
        [
            ("subject-deceptive", Severity::Error, "header Subject"),
            ("unsubscribe-missing", Severity::Error, "header List-Unsubscribe-Post"),
            ("merge-tag-unresolved", Severity::Error, "text part line 1"),
            ("reply-to-noreply", Severity::Warning, "header Reply-To"),
            ("subject-shouting", Severity::Warning, "header Subject"),
        ]
    );
    // The same tag in the HTML part is counted on the first finding, not repeated.
    assert!(findings[2].message.contains("\"{{ vorname }}\""), "{:?}", findings[2]);
    assert!(findings[2].message.ends_with("(It appears in 1 more place.)"), "{:?}", findings[2]);
}

#[test]
fn findings_serialize_with_where() {
    let f = Finding {
        rule: "subject-empty",
        severity: Severity::Error,
        message: "The subject is empty.".into(),
        location: "header Subject".into(),
    };
    assert_eq!(
        serde_json::to_string(&f).unwrap(),
        r#"{"rule":"subject-empty","severity":"error","message":"The subject is empty.","where":"header Subject"}"#
    );
    assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    assert!(has_errors(std::slice::from_ref(&f)));
    assert!(!has_errors(&[Finding { severity: Severity::Warning, ..f }]));
}

#[test]
fn public_url_problems() {
    use super::public_url_problem;
    for (url, says) in [
        ("http://127.0.0.1:8080/", "a private or local IP address"),
        ("https://localhost:8443", "localhost"),
        ("https://news.staging.shop.de", "staging"),
        ("http://news.shop.de", "not https"),
        ("news.shop.de", "not a URL"),
    ] {
        let problem = public_url_problem(url).unwrap_or_else(|| panic!("{url} passed"));
        assert!(problem.contains(says), "{url}: {problem}");
    }
    assert_eq!(public_url_problem("https://news.shop.de"), None);
    assert_eq!(public_url_problem("https://news.shop.de/kurier/"), None);
}
