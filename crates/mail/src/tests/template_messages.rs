//! Messages from user templates, read back with mail-parser.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use minijinja::Value;

use super::{RETURN_PATH, UNSUB, envelope, fixture, head, header};
use crate::template::{CompileOptions, CompiledTemplate, Format, RenderError, TemplateSource};
use crate::*;

const BODY: &str = r#"<mjml><mj-body><mj-section><mj-column>
<mj-image src="cid:logo@kurier" alt="Beispiel Shop"></mj-image>
<mj-text>Hallo {{ contact.first_name | default("Kundin, Kunde") }}, Ihre Bestellung vom {{ order.date | date }} über {{ order.total | money }} ist unterwegs.</mj-text>
</mj-column></mj-section></mj-body></mjml>"#;

fn template(kind: MessageKind, subject: &str) -> CompiledTemplate {
    let source = TemplateSource {
        format: Format::Mjml,
        subject: subject.into(),
        preheader: "Ihre Rechnung liegt bei".into(),
        body: BODY.into(),
        text: None,
    };
    CompiledTemplate::compile(&source, CompileOptions { kind, language: Language::De }).unwrap()
}

fn data(first_name: &str) -> Value {
    Value::from_serialize(serde_json::json!({
        "contact": { "first_name": first_name },
        "order": { "date": "2026-11-20", "total": "1234.5" },
        "unsubscribe_url": "https://evil.example/steal",
    }))
}

fn options<'a>(kind: MessageKind, attachments: &'a [Attachment]) -> MessageOptions<'a> {
    MessageOptions {
        kind,
        campaign: "herbst-2026",
        unsubscribe_url: Some(UNSUB),
        footer_reason: None,
        in_reply_to: None,
        attachments,
    }
}

#[test]
fn a_marketing_template_becomes_a_complete_message() {
    let f = fixture(false);
    let env = envelope(&f, Language::De, Some("Anna Müller"));
    let files = [
        Attachment {
            filename: "Rechnung 2026-17.pdf".into(),
            content_type: "application/pdf".into(),
            content: b"%PDF-1.4 test".to_vec(),
            content_id: None,
        },
        Attachment {
            filename: "logo.png".into(),
            content_type: "image/png".into(),
            content: vec![0x89, b'P', b'N', b'G'],
            content_id: Some("logo@kurier".into()),
        },
    ];
    let t = template(MessageKind::Marketing, "Ihre Bestellung, {{ contact.first_name }} – Grüße");
    let c = Composer::global()
        .compose_template(&t, &env, &options(MessageKind::Marketing, &files), &data("Jürgen"))
        .unwrap();
    assert_eq!(c.kind, MessageKind::Marketing);
    assert_eq!(c.envelope_from, RETURN_PATH);
    assert_eq!(c.subject, "Ihre Bestellung, Jürgen – Grüße");

    // Non-ASCII header values are RFC 2047 encoded on the wire and decode back.
    assert!(head(&c.raw).contains("Subject: =?utf-8?"), "{}", head(&c.raw));
    let msg = MessageParser::default().parse(&c.raw).unwrap();
    assert_eq!(msg.subject(), Some("Ihre Bestellung, Jürgen – Grüße"));
    assert_eq!(msg.message_id(), Some(c.message_id.as_str()));
    assert_eq!(header(&msg, "List-Unsubscribe").as_deref(), Some(format!("<{UNSUB}>").as_str()));
    assert_eq!(header(&msg, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert_eq!(header(&msg, "List-Id").as_deref(), Some("<kurier-news.mail.example.com>"));
    assert_eq!(header(&msg, "Feedback-ID").as_deref(), Some("herbst-2026:kurier-news:marketing:kurier"));
    assert_eq!(header(&msg, "Precedence").as_deref(), Some("bulk"));

    // mixed > related > alternative (text, html) + inline logo, then the PDF.
    let ct = msg.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("mixed")));
    assert_eq!(msg.attachment_count(), 2);
    let pdf = msg.attachments().find(|a| a.attachment_name() == Some("Rechnung 2026-17.pdf")).unwrap();
    assert_eq!(pdf.contents(), b"%PDF-1.4 test");
    let logo = msg.attachments().find(|a| a.content_id() == Some("logo@kurier")).unwrap();
    assert!(matches!(logo.body, PartType::InlineBinary(_) | PartType::Binary(_)));

    let text = msg.body_text(0).unwrap().replace("\r\n", "\n");
    let html = msg.body_html(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with(
            "Beispiel Shop\n\nHallo Jürgen, Ihre Bestellung vom 20. November 2026 über 1.234,50 € ist unterwegs."
        ),
        "{text}"
    );
    assert!(text.contains("Sie erhalten diese E-Mail, weil Sie „Kurier News“ abonniert haben.\nKurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin\n"), "{text}");
    // The data cannot replace the composer's unsubscribe link.
    assert!(text.contains(&format!("Abmelden: {UNSUB}")) && !text.contains("evil"), "{text}");
    assert!(html.contains("src=\"cid:logo@kurier\"") && html.contains(&format!("href=\"{UNSUB}\"")));
    assert!(html.contains("Ihre Rechnung liegt bei"), "preheader");
}

#[test]
fn transactional_corrections_refer_to_the_original_and_have_no_list_headers() {
    let f = fixture(true);
    let env = envelope(&f, Language::De, None);
    let t = template(MessageKind::Transactional, "Korrektur: Ihre Bestellung");
    let mut o = options(MessageKind::Transactional, &[]);
    o.unsubscribe_url = None;
    o.in_reply_to = Some("<orig-123@mail.example.com>");
    let c = Composer::global().compose_template(&t, &env, &o, &data("")).unwrap();
    let msg = MessageParser::default().parse(&c.raw).unwrap();
    assert_eq!(msg.in_reply_to().as_text(), Some("orig-123@mail.example.com"));
    assert_eq!(msg.references().as_text(), Some("orig-123@mail.example.com"));
    for name in ["List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence"] {
        assert_eq!(header(&msg, name), None, "{name}");
    }
    assert_eq!(header(&msg, "Feedback-ID").as_deref(), Some("herbst-2026:kurier-news:transactional:kurier"));
    let text = msg.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.contains("Hallo Kundin, Kunde,"), "an empty name gets the default");
    // The sender is named, but there is no unsubscribe link in a transactional mail.
    assert!(text.ends_with("--\nKurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin\n"), "{text}");
    assert!(!text.contains("Abmelden") && !msg.body_html(0).unwrap().contains("Abmelden"));
}

#[test]
fn nothing_from_the_data_can_break_out_of_a_header() {
    let f = fixture(false);
    let env = envelope(&f, Language::En, None);
    let t = template(MessageKind::Marketing, "Hi {{ contact.first_name }}");
    // Line breaks from the data become spaces in the subject: no header can be added.
    let c = Composer::global()
        .compose_template(&t, &env, &options(MessageKind::Marketing, &[]), &data("Eve\r\nBcc: all@example.com"))
        .unwrap();
    assert_eq!(c.subject, "Hi Eve Bcc: all@example.com");
    assert!(!head(&c.raw).contains("\nBcc:"), "{}", head(&c.raw));
    let msg = MessageParser::default().parse(&c.raw).unwrap();
    assert_eq!(msg.bcc(), None);
    assert_eq!(msg.subject(), Some("Hi Eve Bcc: all@example.com"));

    let mut o = options(MessageKind::Marketing, &[]);
    o.unsubscribe_url = None;
    let e = Composer::global().compose_template(&t, &env, &o, &data("Eve")).unwrap_err();
    assert_eq!(e.to_string(), "unsubscribe_url: is required for marketing mail");

    let bad = [Attachment {
        filename: "x".into(),
        content_type: "text/html\r\nBcc: x".into(),
        content: vec![],
        content_id: None,
    }];
    let e = Composer::global()
        .compose_template(&t, &env, &options(MessageKind::Marketing, &bad), &data("Eve"))
        .unwrap_err();
    assert!(e.to_string().starts_with("attachment.content_type:"), "{e}");

    let t = template(MessageKind::Marketing, "Hi {{ contact.last_name }}");
    let e =
        Composer::global().compose_template(&t, &env, &options(MessageKind::Marketing, &[]), &data("Eve")).unwrap_err();
    assert!(matches!(e, TemplateComposeError::Render(RenderError::Undefined { part: "subject", .. })), "{e}");
}
