//! `kurier lint --template FILE --data CONTACTS.json`: renders the template for every sample contact,
//! composes each message exactly as the server would send it (the configured sender, domains and
//! public URL), and lints every result. Problems that only rendering finds (a variable the data does
//! not have, an empty field without a default) become findings too. The same finding for many
//! contacts is printed once, naming the contacts.
//!
//! CONTACTS.json is an array of contacts, `{"sender": {...}, "contacts": [...]}` (the sender replaces
//! the configured one: `name`, `address`, `postal_address`, `reply_to`), or one contact's data. A contact with a
//! `contact` key is the whole template data (`{"contact": {...}, "cart": {...}}`); any other object is
//! the contact itself and becomes `{"contact": ...}`. Its `email` is the recipient.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use kurier_core::{EmailAddress, Language, MessageKey, MessageKind};
use kurier_mail::lint::{Finding, LintOptions, Severity, lint_message};
use kurier_mail::template::{CompileOptions, CompiledTemplate, RenderError, TemplateSource};
use kurier_mail::{
    ComposeError, Composer, Envelope, ListInfo, MessageOptions, Recipient, SenderIdentity, TemplateComposeError,
};
use serde_json::Value;

/// What the messages are sent as: the configured sender and domains.
pub struct SendSettings {
    pub sender: SenderIdentity,
    pub message_id_domain: String,
    pub bounce_domain: String,
    /// Base of the unsubscribe link.
    pub public_url: String,
}

/// Lints a template for each contact. Returns the findings, each once, with the contacts it concerns.
pub fn lint_template(
    template_path: &Path,
    data_path: &Path,
    kind: MessageKind,
    language: Language,
    today: NaiveDate,
    settings: SendSettings,
) -> anyhow::Result<Vec<Finding>> {
    let text = std::fs::read_to_string(template_path)
        .with_context(|| format!("{}: cannot read the template", template_path.display()))?;
    let data_text = std::fs::read_to_string(data_path)
        .with_context(|| format!("{}: cannot read the contacts", data_path.display()))?;
    let (sender, contacts) =
        parse_data(&data_text, settings.sender).map_err(|e| anyhow::anyhow!("{}: {e}", data_path.display()))?;
    let name = template_path.file_name().and_then(|n| n.to_str()).unwrap_or("template");
    let source = match TemplateSource::from_file_text(name, &text) {
        Ok(s) => s,
        Err(e) => return Ok(vec![error("template-invalid", e.to_string(), "template")]),
    };
    let template = match CompiledTemplate::compile(&source, CompileOptions { kind, language }) {
        Ok(t) => t,
        Err(e) => return Ok(vec![error("template-invalid", e.to_string(), "template")]),
    };

    // Kurier's own unsubscribe link goes where `public_url` says. When readers could not reach it, that
    // is one finding about the configuration, not a broken link in every message; the messages are
    // then checked with a stand-in address, so the findings left are the template's own.
    let public_problem = match kind {
        MessageKind::Marketing => kurier_mail::lint::public_url_problem(&settings.public_url),
        MessageKind::Transactional => None,
    };
    let public_url = if public_problem.is_some() { STAND_IN_PUBLIC_URL } else { settings.public_url.as_str() };

    // (rule, severity, message, where) -> the contacts (1-based) it was found for.
    let mut seen: BTreeMap<(Severity, &'static str, String, String), Vec<usize>> = BTreeMap::new();
    let mut order = Vec::new();
    let date = Utc::now();
    for (i, data) in contacts.iter().enumerate() {
        let n = i + 1;
        let email =
            data["contact"]["email"].as_str().map(str::to_string).unwrap_or_else(|| format!("contact-{n}@example.org"));
        let address = EmailAddress::parse(&email)
            .map_err(|e| anyhow::anyhow!("{}: contact #{n}: email {email:?}: {e}", data_path.display()))?;
        let key = MessageKey::from_bytes((n as u128).to_be_bytes());
        let return_path = format!("b-{key}@{}", settings.bounce_domain);
        let unsubscribe = format!("{}/u/{key}", public_url.trim_end_matches('/'));
        let env = Envelope {
            sender: &sender,
            list: ListInfo { name: "lint", title: "Lint", language },
            recipient: Recipient { address: &address, name: None },
            key: &key,
            return_path: &return_path,
            message_id_domain: &settings.message_id_domain,
            date,
        };
        let options = MessageOptions {
            kind,
            campaign: "lint",
            unsubscribe_url: (kind == MessageKind::Marketing).then_some(unsubscribe.as_str()),
            footer_reason: None,
            in_reply_to: None,
            attachments: &[],
        };
        let value = kurier_mail::template::Value::from_serialize(data);
        let findings = match Composer::global().compose_template(&template, &env, &options, &value) {
            Ok(m) => lint_message(&m.raw, &LintOptions { kind, today }),
            Err(e) => vec![compose_finding(e)],
        };
        for f in findings {
            let k = (f.severity, f.rule, f.message, f.location);
            let contacts = seen.entry(k.clone()).or_default();
            if contacts.is_empty() {
                order.push(k);
            }
            contacts.push(n);
        }
    }
    let mut out: Vec<Finding> = order
        .into_iter()
        .map(|k| {
            let who = contacts_label(&seen[&k], contacts.len());
            let (severity, rule, message, location) = k;
            Finding { rule, severity, message, location: format!("{who}: {location}") }
        })
        .collect();
    if let Some(problem) = public_problem {
        let message = format!(
            "The unsubscribe link in every marketing mail starts with the public_url {:?}, which {problem}: readers \
             could not unsubscribe. Set public_url (KURIER_PUBLIC_URL) to the https address this server is reached \
             at from the internet.",
            settings.public_url
        );
        out.insert(0, error("public-url-unreachable", message, "configuration: public_url"));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(out)
}

/// The unsubscribe address the messages are checked with while `public_url` is unusable (reported
/// on its own): public and https, so it adds no findings.
const STAND_IN_PUBLIC_URL: &str = "https://kurier.public-url.net";

fn error(rule: &'static str, message: String, location: &str) -> Finding {
    Finding { rule, severity: Severity::Error, message, location: location.into() }
}

/// A message that could not be made is itself a finding, under the rule that names the cause.
fn compose_finding(e: TemplateComposeError) -> Finding {
    match e {
        TemplateComposeError::Render(RenderError::Undefined { part, expression, line }) => error(
            "merge-tag-unresolved",
            format!(
                "`{expression}` is not in the data: the merge tag cannot be filled in. Check its spelling or add the field."
            ),
            &format!("{part} line {line}"),
        ),
        TemplateComposeError::Render(RenderError::EmptyWithoutDefault { part, expression, line }) => error(
            "merge-tag-fallback",
            format!(
                "`{expression}` is empty and has no default, so the reader would see a gap (\"Hallo ,\"). Write `{{{{ {expression} | default(\"...\") }}}}`."
            ),
            &format!("{part} line {line}"),
        ),
        TemplateComposeError::Render(e @ RenderError::Failed { part, line, .. }) => {
            error("template-error", e.to_string(), &format!("{part} line {line}"))
        }
        TemplateComposeError::Compose(ComposeError::Field(f)) if f.field == "sender.postal_address" => error(
            "sender-identity-missing",
            format!("{f}. Set sender_postal_address in the configuration or `sender.postal_address` in the data file."),
            "sender",
        ),
        TemplateComposeError::Compose(e) => error("compose-error", e.to_string(), "message"),
    }
}

/// `contact #3`, `contacts #1, #2, #5`, `all 40 contacts`.
fn contacts_label(which: &[usize], total: usize) -> String {
    match which {
        [one] => format!("contact #{one}"),
        _ if which.len() == total && total > 2 => format!("all {total} contacts"),
        _ if which.len() > 6 => format!(
            "{} contacts (#{}, …)",
            which.len(),
            which.iter().take(5).map(usize::to_string).collect::<Vec<_>>().join(", #")
        ),
        _ => format!("contacts #{}", which.iter().map(usize::to_string).collect::<Vec<_>>().join(", #")),
    }
}

/// The sender and the contacts' template data, from the data file.
fn parse_data(text: &str, configured: SenderIdentity) -> Result<(SenderIdentity, Vec<Value>), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let (sender, contacts) = match doc {
        Value::Array(items) => (configured, items),
        Value::Object(mut map) if map.contains_key("contacts") => {
            let sender = match map.remove("sender") {
                Some(s) => serde_json::from_value(s).map_err(|e| format!("\"sender\": {e}"))?,
                None => configured,
            };
            match map.remove("contacts") {
                Some(Value::Array(items)) => (sender, items),
                _ => return Err("\"contacts\" must be an array of contacts".into()),
            }
        }
        // One contact's data on its own, like the built-in templates' samples.
        Value::Object(map) => (configured, vec![Value::Object(map)]),
        _ => return Err("expected an array of contacts or an object with a \"contacts\" array".into()),
    };
    if contacts.is_empty() {
        return Err("no contacts: add at least one sample contact".into());
    }
    let contacts = contacts
        .into_iter()
        .enumerate()
        .map(|(i, c)| match c {
            Value::Object(map) if map.contains_key("contact") => Ok(Value::Object(map)),
            Value::Object(map) => Ok(serde_json::json!({ "contact": map })),
            _ => Err(format!("contact #{}: expected an object", i + 1)),
        })
        .collect::<Result<_, _>>()?;
    Ok((sender, contacts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> SenderIdentity {
        SenderIdentity {
            name: "Shop".into(),
            address: EmailAddress::parse("news@shop.example.com").unwrap(),
            postal_address: "Hauptstr. 1\n10115 Berlin".into(),
            reply_to: None,
        }
    }

    #[test]
    fn data_files() {
        let (s, c) = parse_data(
            r#"[{"first_name": "A", "email": "a@b.de"}, {"contact": {"first_name": "B"}, "cart": {}}]"#,
            configured(),
        )
        .unwrap();
        assert_eq!(s.name, "Shop");
        assert_eq!(c[0], serde_json::json!({ "contact": { "first_name": "A", "email": "a@b.de" } }));
        assert_eq!(c[1]["cart"], serde_json::json!({}));
        let (s, _) = parse_data(
            r#"{"sender": {"name": "Laden", "address": "hallo@laden.de", "postal_address": "Weg 2, 04109 Leipzig"}, "contacts": [{}]}"#,
            configured(),
        )
        .unwrap();
        assert_eq!(s.address.as_str(), "hallo@laden.de");
        assert!(parse_data("[]", configured()).unwrap_err().contains("no contacts"));
        assert!(parse_data("[1]", configured()).unwrap_err().contains("contact #1: expected an object"));
        assert!(parse_data("{\"contacts\": 1}", configured()).unwrap_err().contains("\"contacts\" must be an array"));
        let (_, one) = parse_data(r#"{"contact": {"first_name": "C"}, "cart": {"total": 1}}"#, configured()).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0]["cart"]["total"], 1);
        assert!(parse_data("[{", configured()).unwrap_err().starts_with("not valid JSON"));
        assert!(
            parse_data(r#"{"sender": {"name": 1}, "contacts": [{}]}"#, configured())
                .unwrap_err()
                .starts_with("\"sender\"")
        );
    }

    #[test]
    fn contact_labels() {
        assert_eq!(contacts_label(&[3], 5), "contact #3");
        assert_eq!(contacts_label(&[1, 2], 5), "contacts #1, #2");
        assert_eq!(contacts_label(&[1, 2, 3], 3), "all 3 contacts");
        assert_eq!(contacts_label(&[1, 2, 3, 4, 5, 6, 7], 9), "7 contacts (#1, #2, #3, #4, #5, …)");
    }
}
