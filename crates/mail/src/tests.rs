//! Composes real messages and reads them back with mail-parser, as a receiving client would.

use chrono::TimeZone as _;
use mail_parser::{Message, MessageParser, MimeHeaders};

use super::*;

const CONFIRM: &str = "https://kurier.example.com/confirm/AbC-123_x";
const UNSUB: &str = "https://kurier.example.com/unsubscribe/XyZ-987_q";
const RETURN_PATH: &str = "b-abcdefghijklmnopqrstuvwxyz-0123456789abcdef@bounces.example.com";

struct Fixture {
    sender: SenderIdentity,
    recipient: EmailAddress,
    key: MessageKey,
}

fn fixture(reply_to: bool) -> Fixture {
    Fixture {
        sender: SenderIdentity {
            name: "Kurier Team".into(),
            address: EmailAddress::parse("news@example.com").unwrap(),
            postal_address: "Beispiel GmbH\nHauptstr. 1\n10115 Berlin".into(),
            reply_to: reply_to.then(|| EmailAddress::parse("support@example.com").unwrap()),
        },
        recipient: EmailAddress::parse("anna@example.de").unwrap(),
        key: MessageKey::from_bytes([7; 16]),
    }
}

fn envelope<'a>(f: &'a Fixture, language: Language, name: Option<&'a str>) -> Envelope<'a> {
    Envelope {
        sender: &f.sender,
        list: ListInfo { name: "kurier-news", title: "Kurier News", language },
        recipient: Recipient { address: &f.recipient, name },
        key: &f.key,
        return_path: RETURN_PATH,
        message_id_domain: "mail.example.com",
        date: Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap(),
    }
}

fn expires() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap()
}

fn subscribed() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 59, 0).unwrap()
}

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default().parse(raw).expect("composed message parses")
}

/// A header's raw value, unfolded and trimmed.
fn header(msg: &Message, name: &str) -> Option<String> {
    msg.header_raw(name).map(|v| v.replace("\r\n\t", " ").replace("\r\n ", " ").trim().to_string())
}

/// The text and HTML part, with the wire's CRLF line ends read back as LF.
fn bodies(msg: &Message) -> (String, String) {
    let part = |s: Option<std::borrow::Cow<str>>| s.unwrap().replace("\r\n", "\n");
    (part(msg.body_text(0)), part(msg.body_html(0)))
}

/// The header section of a raw message.
fn head(raw: &[u8]) -> &str {
    let s = std::str::from_utf8(raw).unwrap();
    s.split_once("\r\n\r\n").unwrap().0
}

const LIST_HEADERS: [&str; 5] = ["List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "Feedback-ID"];

#[test]
fn confirmation_in_english_has_transactional_headers_and_text() {
    let f = fixture(true);
    let env = envelope(&f, Language::En, Some("Anna Müller"));
    let c = compose_confirmation(&env, CONFIRM, expires()).unwrap();
    assert_eq!(c.kind, MessageKind::Transactional);
    assert_eq!(c.envelope_from, RETURN_PATH);
    assert_eq!(c.message_id, format!("{}@mail.example.com", f.key));
    assert_eq!(c.subject, "Please confirm your subscription to Kurier News");

    let msg = parse(&c.raw);
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!((from.name(), from.address()), (Some("Kurier Team"), Some("news@example.com")));
    let to = msg.to().unwrap().first().unwrap();
    assert_eq!((to.name(), to.address()), (Some("Anna Müller"), Some("anna@example.de")));
    assert_eq!(msg.reply_to().unwrap().first().unwrap().address(), Some("support@example.com"));
    assert_eq!(msg.subject(), Some(c.subject.as_str()));
    assert_eq!(msg.date().unwrap().to_timestamp(), env.date.timestamp());
    assert_eq!(msg.message_id(), Some(c.message_id.as_str()));
    assert_eq!(header(&msg, "MIME-Version").as_deref(), Some("1.0"));
    assert_eq!(header(&msg, "Auto-Submitted").as_deref(), Some("auto-generated"));
    for name in LIST_HEADERS.iter().chain(&["Return-Path"]) {
        assert_eq!(header(&msg, name), None, "{name} in a transactional mail");
    }
    assert!(!head(&c.raw).to_ascii_lowercase().contains("return-path"));

    let ct = msg.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("alternative")));
    for (i, sub) in [(1, "plain"), (2, "html")] {
        let ct = msg.part(i).unwrap().content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype(), ct.attribute("charset")), ("text", Some(sub), Some("utf-8")));
    }

    let (text, html) = bodies(&msg);
    assert!(text.starts_with("Hello Anna Müller,\n"), "{text}");
    assert!(text.contains("Someone, hopefully you, asked to subscribe anna@example.de to \"Kurier News\""));
    assert!(text.contains(&format!("\n{CONFIRM}\n")), "{text}");
    assert!(text.contains("The link is valid until 22 November 2026 at 14:30 UTC."));
    assert!(text.contains("If you did not ask for this, you can simply ignore this email."));
    assert!(text.contains("will not receive any further emails"));
    assert!(text.contains("Beispiel GmbH, Hauptstr. 1, 10115 Berlin"));
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(&format!("<a href=\"{CONFIRM}\"")), "{html}");
    assert!(html.contains(">Yes, subscribe me</a>"));
    assert!(html.contains("22 November 2026 at 14:30 UTC"));
    assert!(html.contains("Anna Müller"));
    assert!(!html.contains("src=") && !html.contains("<link"), "no external resources");
}

#[test]
fn confirmation_in_german_uses_sie_and_german_dates() {
    let f = fixture(false);
    let c = compose_confirmation(&envelope(&f, Language::De, Some("Anna Müller")), CONFIRM, expires()).unwrap();
    assert_eq!(c.subject, "Bitte bestätigen Sie Ihre Anmeldung: Kurier News");
    let msg = parse(&c.raw);
    assert_eq!(msg.subject(), Some(c.subject.as_str()));
    assert_eq!(msg.reply_to(), None);
    let (text, html) = bodies(&msg);
    assert!(text.starts_with("Guten Tag Anna Müller,\n"), "{text}");
    assert!(text.contains("jemand – hoffentlich Sie selbst – hat die Adresse anna@example.de für „Kurier News“"));
    assert!(text.contains("Bitte bestätigen Sie Ihre Anmeldung"));
    assert!(text.contains(CONFIRM));
    assert!(text.contains("Der Link ist bis zum 22.11.2026 um 14:30 Uhr (UTC) gültig."));
    assert!(text.contains("können Sie diese E-Mail einfach ignorieren"));
    assert!(text.contains("erhalten keine weiteren E-Mails"));
    assert!(!text.contains("Please") && !text.contains("November"));
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains(&format!("<a href=\"{CONFIRM}\"")));
    assert!(html.contains(">Anmeldung bestätigen</a>"));
    assert!(html.contains("22.11.2026 um 14:30 Uhr (UTC)"));
}

#[test]
fn welcome_in_german_has_list_headers_and_footer() {
    let f = fixture(false);
    let c = compose_welcome(&envelope(&f, Language::De, Some("Anna Müller")), UNSUB, subscribed()).unwrap();
    assert_eq!(c.kind, MessageKind::Marketing);
    assert_eq!(c.subject, "Willkommen bei Kurier News");
    assert_eq!(c.envelope_from, RETURN_PATH);
    let msg = parse(&c.raw);
    assert_eq!(msg.subject(), Some("Willkommen bei Kurier News"));
    assert_eq!(msg.message_id(), Some(c.message_id.as_str()));
    assert_eq!(header(&msg, "List-Unsubscribe"), Some(format!("<{UNSUB}>")));
    assert_eq!(header(&msg, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert_eq!(header(&msg, "List-Id").as_deref(), Some("<kurier-news.mail.example.com>"));
    assert_eq!(header(&msg, "Precedence").as_deref(), Some("bulk"));
    assert_eq!(header(&msg, "Feedback-ID").as_deref(), Some("kurier-news:welcome:kurier"));
    assert_eq!(header(&msg, "Auto-Submitted"), None);
    assert_eq!(header(&msg, "Return-Path"), None);
    assert_eq!(msg.reply_to(), None);

    let (text, html) = bodies(&msg);
    assert!(text.starts_with("Guten Tag Anna Müller,\n\nvielen Dank für Ihre Bestätigung!"), "{text}");
    let (_, footer) = text.split_once("\n---\n").expect("text footer after a separator");
    assert!(footer.contains(
        "Sie erhalten diese E-Mail, weil Sie sich mit anna@example.de für „Kurier News“ angemeldet \
         und Ihre Anmeldung am 20.11.2026 bestätigt haben."
    ));
    assert!(footer.contains("Absender: Kurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin"));
    assert!(footer.contains(&format!("Mit einem Klick abmelden: {UNSUB}")));
    assert!(html.contains("Ihre Anmeldung am 20.11.2026 bestätigt haben"));
    assert!(html.contains("Absender: Kurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin"));
    assert!(html.contains(&format!("<a href=\"{UNSUB}\"")), "{html}");
    assert!(html.contains(">Mit einem Klick abmelden</a>"));
}

#[test]
fn welcome_in_english_has_english_footer() {
    let f = fixture(true);
    let c = compose_welcome(&envelope(&f, Language::En, None), UNSUB, subscribed()).unwrap();
    assert_eq!(c.subject, "Welcome to Kurier News");
    let msg = parse(&c.raw);
    assert_eq!(msg.reply_to().unwrap().first().unwrap().address(), Some("support@example.com"));
    let to = msg.to().unwrap().first().unwrap();
    assert_eq!((to.name(), to.address()), (None, Some("anna@example.de")));
    let (text, html) = bodies(&msg);
    assert!(text.starts_with("Hello,\n\nThank you for confirming your subscription."), "{text}");
    let (_, footer) = text.split_once("\n---\n").unwrap();
    assert!(footer.contains(
        "You are receiving this email because you subscribed to \"Kurier News\" with anna@example.de \
         and confirmed your subscription on 20 November 2026."
    ));
    assert!(footer.contains("Sender: Kurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin"));
    assert!(footer.contains(UNSUB));
    assert!(html.contains("confirmed your subscription on 20 November 2026"));
    assert!(html.contains("Beispiel GmbH, Hauptstr. 1, 10115 Berlin"));
    assert!(html.contains(&format!("<a href=\"{UNSUB}\"")));
    assert!(!text.contains("Sie ") && !html.contains("Absender"));
}

#[test]
fn recipient_name_is_escaped_in_html_only() {
    let f = fixture(false);
    let name = "<script>alert(\"x\")</script> & Co";
    for compose in [
        |e: &Envelope| compose_confirmation(e, CONFIRM, expires()),
        |e: &Envelope| compose_welcome(e, UNSUB, subscribed()),
    ] {
        let c = compose(&envelope(&f, Language::En, Some(name))).unwrap();
        let msg = parse(&c.raw);
        assert_eq!(msg.to().unwrap().first().unwrap().name(), Some(name));
        let (text, html) = bodies(&msg);
        assert!(text.contains(&format!("Hello {name},")));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,"), "{html}");
    }
}

#[test]
fn ampersands_in_links_are_escaped_in_html_and_kept_elsewhere() {
    let f = fixture(false);
    let url = "https://kurier.example.com/u?t=abc&l=1";
    let c = compose_welcome(&envelope(&f, Language::En, None), url, subscribed()).unwrap();
    let msg = parse(&c.raw);
    assert_eq!(header(&msg, "List-Unsubscribe"), Some(format!("<{url}>")));
    let (text, html) = bodies(&msg);
    assert!(text.contains(url));
    assert!(html.contains("href=\"https://kurier.example.com/u?t=abc&amp;l=1\""), "{html}");
    assert!(!html.contains("abc&l=1"), "{html}");
}

#[test]
fn line_breaks_in_header_values_are_refused_naming_the_field() {
    let f = fixture(false);
    let base = envelope(&f, Language::En, Some("Anna"));
    let mut evil_sender = f.sender.clone();
    evil_sender.name = "Kurier\r\nBcc: all@example.org".into();
    let mut cases: Vec<(&str, Envelope)> = Vec::new();
    let mut e = base;
    e.recipient.name = Some("Anna\r\nBcc: all@example.org");
    cases.push(("recipient.name", e));
    let mut e = base;
    e.sender = &evil_sender;
    cases.push(("sender.name", e));
    let mut e = base;
    e.list.title = "News\nBcc: all@example.org";
    cases.push(("list.title", e));
    let mut e = base;
    e.list.name = "news\r\nX: y";
    cases.push(("list.name", e));
    let mut e = base;
    e.message_id_domain = "example.com>\r\nBcc: all@example.org";
    cases.push(("message_id_domain", e));
    let mut e = base;
    e.return_path = "b-x@example.com\r\nBcc: all@example.org";
    cases.push(("return_path", e));

    for (field, env) in cases {
        for result in [compose_confirmation(&env, CONFIRM, expires()), compose_welcome(&env, UNSUB, subscribed())] {
            let err = result.unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
            assert!(err.to_string().starts_with(&format!("{field}: ")), "{err}");
            assert!(err.is_permanent() && !err.is_transient());
        }
    }
    let err = compose_confirmation(&base, CONFIRM, expires()).map(|_| ()).err();
    assert!(err.is_none(), "the base envelope is fine: {err:?}");
}

#[test]
fn only_plain_http_links_are_accepted() {
    let f = fixture(false);
    let env = envelope(&f, Language::De, None);
    let err = compose_confirmation(&env, "javascript:alert(1)", expires()).unwrap_err();
    assert_eq!(err.to_string(), "confirm_url: must start with http:// or https://");
    let err = compose_welcome(&env, &format!("{UNSUB}\r\nBcc: all@example.org"), subscribed()).unwrap_err();
    assert_eq!(err.field(), Some("unsubscribe_url"));
    let err = compose_welcome(&env, "https://example.com/u>x", subscribed()).unwrap_err();
    assert_eq!(err.field(), Some("unsubscribe_url"));
    assert!(compose_confirmation(&env, "http://localhost:8080/confirm/x", expires()).is_ok());
}

#[test]
fn marketing_mail_needs_a_postal_address() {
    let mut f = fixture(false);
    f.sender.postal_address = " \n".into();
    let env = envelope(&f, Language::En, None);
    let err = compose_welcome(&env, UNSUB, subscribed()).unwrap_err();
    assert_eq!(err.field(), Some("sender.postal_address"));
    let c = compose_confirmation(&env, CONFIRM, expires()).unwrap();
    let (text, _) = bodies(&parse(&c.raw));
    assert!(text.ends_with("Kind regards\nKurier Team\n"), "{text:?}");
}

#[test]
fn non_ascii_subjects_are_encoded_and_round_trip() {
    let f = fixture(false);
    let mut env = envelope(&f, Language::De, Some("Jürgen Groß"));
    env.list.title = "Grüße aus Köln – Ausgabe №1 🎉";
    for c in
        [compose_confirmation(&env, CONFIRM, expires()).unwrap(), compose_welcome(&env, UNSUB, subscribed()).unwrap()]
    {
        let head = head(&c.raw);
        assert!(head.is_ascii(), "headers must be 7-bit: {head}");
        assert!(head.contains("Subject: =?utf-8?"), "{head}");
        let msg = parse(&c.raw);
        assert!(c.subject.ends_with(env.list.title));
        assert_eq!(msg.subject(), Some(c.subject.as_str()));
        assert_eq!(msg.to().unwrap().first().unwrap().name(), Some("Jürgen Groß"));
        assert!(bodies(&msg).0.contains("„Grüße aus Köln – Ausgabe №1 🎉“"));
    }
}

#[test]
fn sender_without_name_is_shown_by_address_and_lines_stay_short() {
    let mut f = fixture(false);
    f.sender.name = String::new();
    let title = "A".repeat(check::MAX_TEXT);
    let long_url = format!("https://kurier.example.com/u/{}", "x".repeat(800));
    let mut env = envelope(&f, Language::En, Some("Anna"));
    env.list.title = &title;
    let c = compose_welcome(&env, &long_url, subscribed()).unwrap();
    for line in c.raw.split(|b| *b == b'\n') {
        assert!(line.len() <= 998, "line of {} octets", line.len());
    }
    assert!(c.raw.windows(2).filter(|w| w[1] == b'\n').all(|w| w[0] == b'\r'), "bare LF");
    let msg = parse(&c.raw);
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!((from.name(), from.address()), (None, Some("news@example.com")));
    assert_eq!(msg.subject(), Some(format!("Welcome to {title}").as_str()));
    assert_eq!(header(&msg, "List-Unsubscribe"), Some(format!("<{long_url}>")));
    assert!(bodies(&msg).0.contains("Sender: news@example.com, Beispiel GmbH"));
}

#[test]
fn composer_instances_agree_with_the_global_one() {
    let f = fixture(false);
    let env = envelope(&f, Language::En, None);
    let mine = Composer::new().confirmation(&env, CONFIRM, expires()).unwrap();
    let global = compose_confirmation(&env, CONFIRM, expires()).unwrap();
    assert_eq!(bodies(&parse(&mine.raw)), bodies(&parse(&global.raw)));
    assert!(std::ptr::eq(Composer::global(), Composer::global()));
}

mod builtin;
mod template_messages;
