//! Template compile, render and compose on arbitrary input: the first byte picks MJML or HTML, the
//! kind and the language; the rest is split into subject, body and a JSON data document at NUL
//! bytes. Errors are fine; panics, hangs (fuel) and runaway memory are not.
#![no_main]

use chrono::{TimeZone, Utc};
use kurier_core::{EmailAddress, Language, MessageKey, MessageKind};
use kurier_mail::template::{CompileOptions, CompiledTemplate, Format, TemplateSource, Value};
use kurier_mail::{Composer, Envelope, ListInfo, MessageOptions, Recipient, SenderIdentity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    silence_contained_panics();
    let Some((&first, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\0');
    let subject = parts.next().unwrap_or_default().to_string();
    let body = parts.next().unwrap_or_default().to_string();
    let json = parts.next().unwrap_or("{}");
    let format = if first & 1 == 0 { Format::Html } else { Format::Mjml };
    let kind = if first & 2 == 0 { MessageKind::Transactional } else { MessageKind::Marketing };
    let language = if first & 4 == 0 { Language::De } else { Language::En };
    let source = TemplateSource { format, subject, preheader: "Vorschau {{ x }}".into(), body, text: None };
    let Ok(template) = CompiledTemplate::compile(&source, CompileOptions { kind, language }) else { return };
    let data: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let value = Value::from_serialize(&data);
    let _ = template.render(&value);

    // The whole message, through the pre-encoded HTML.
    let (Ok(address), Ok(recipient)) = (EmailAddress::parse("news@shop.example.com"), EmailAddress::parse("a@b.de"))
    else {
        return;
    };
    let sender = SenderIdentity { name: "Shop".into(), address, postal_address: "Weg 1, 04109 Leipzig".into(), reply_to: None };
    let key = MessageKey::from_bytes([7; 16]);
    let Some(date) = Utc.timestamp_opt(1_790_000_000, 0).single() else { return };
    let env = Envelope {
        sender: &sender,
        list: ListInfo { name: "news", title: "News", language },
        recipient: Recipient { address: &recipient, name: None },
        key: &key,
        return_path: "b-x@bounces.shop.example.com",
        message_id_domain: "shop.example.com",
        date,
    };
    let options = MessageOptions {
        kind,
        campaign: "fuzz",
        unsubscribe_url: Some("https://shop.example.com/u/x"),
        footer_reason: None,
        in_reply_to: None,
        attachments: &[],
    };
    let _ = Composer::global().compose_template(&template, &env, &options, &value);
});

/// libfuzzer-sys aborts in its panic hook, before any `catch_unwind` runs, so a panic that the
/// crate contains (third-party parser bugs turned into errors) would count as a crash. With a quiet
/// hook a contained panic is just an error, and one that escapes still aborts in libfuzzer-sys's own
/// `catch_unwind` around the target.
fn silence_contained_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
