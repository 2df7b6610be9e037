//! The built-in templates: every occasion in both languages becomes a complete message with its
//! sample data, read back with mail-parser.

use mail_parser::MessageParser;
use minijinja::Value;
use serde_json::Value as Json;

use super::{UNSUB, envelope, fixture, header};
use crate::builtin::{self, Occasion};
use crate::template::{CompiledTemplate, Format, RenderError};
use crate::*;

const LANGUAGES: [Language; 2] = [Language::De, Language::En];
const ORIGINAL_ID: &str = "orig-42@mail.example.com";

/// The subject and what the text part says, with the sample data.
fn expected(occasion: Occasion, language: Language) -> (&'static str, &'static [&'static str]) {
    use Language::{De, En};
    use Occasion::*;
    match (occasion, language) {
        (DoubleOptIn, De) => (
            "Bitte bestätigen Sie Ihre Anmeldung zu „Morgenrot-Post“",
            &[
                "Hallo Anna,\n\nvielen Dank für Ihr Interesse an „Morgenrot-Post“ von Kaffeerösterei Morgenrot.",
                "Anmeldung bestätigen <https://shop.example.com/newsletter/confirm/AbC-123_x>",
                "Der Link ist bis zum 22. November 2026, 14:30 Uhr gültig.",
                "Das erhalten Sie: Einmal im Monat neue Röstungen",
                "Ignorieren Sie diese E-Mail einfach",
                // The fallback link is shown once, not as `url <url>`.
                "Adresszeile Ihres Browsers:\nhttps://shop.example.com/newsletter/confirm/AbC-123_x\n",
            ],
        ),
        (DoubleOptIn, En) => (
            "Please confirm your subscription to “Daybreak Post”",
            &[
                "Hello Oliver,\n\nThank you for your interest in “Daybreak Post” from Daybreak Coffee Roasters.",
                "Confirm my subscription <https://shop.example.com/newsletter/confirm/AbC-123_x>",
                // The sample's time zone is Europe/London.
                "The link is valid until 22 November 2026, 13:30.",
                "What you will receive: Once a month: new roasts",
                "Simply ignore this email",
            ],
        ),
        (Welcome, De) => (
            "Willkommen bei Kaffeerösterei Morgenrot!",
            &[
                "Hallo Anna,\n\nvielen Dank für Ihre Bestätigung.",
                "Ihr Willkommensgeschenk: 5,00 € Rabatt auf Ihre erste Bestellung mit dem Code WILLKOMMEN5 – gültig bis zum 31. Dezember 2026.",
                "Zum Shop <https://shop.example.com/>",
            ],
        ),
        (Welcome, En) => (
            "Welcome to Daybreak Coffee Roasters!",
            &[
                "Hello Oliver,\n\nThank you for confirming your subscription.",
                "Your welcome gift: €5.00 off your first order with the code WELCOME5 – valid until 31 December 2026.",
                "Visit the shop <https://shop.example.com/>",
            ],
        ),
        (AbandonedCart, De) => (
            "Ihr Warenkorb bei Kaffeerösterei Morgenrot wartet auf Sie",
            &[
                "Hallo Anna,",
                "Siebträgermaschine „Classic“\n1 × 1.149,00 € 1.149,00 €\n",
                "Espressobohnen „Morgenrot“, 1 kg\n2 × 42,75 € 85,50 €\n",
                "Summe 1.234,50 €\n",
                "Ihr Gutscheincode für diese Bestellung: KAFFEE10",
                "Zum Warenkorb <https://shop.example.com/cart/restore/8f3a2c>",
            ],
        ),
        (AbandonedCart, En) => (
            "Your basket at Daybreak Coffee Roasters is waiting for you",
            &[
                "Hello Oliver,",
                "Classic espresso machine\n1 × €1,149.00 €1,149.00\n",
                "Daybreak espresso beans, 1 kg\n2 × €42.75 €85.50\n",
                "Total €1,234.50\n",
                "Your discount code for this order: COFFEE10",
                "Return to your basket <https://shop.example.com/basket/restore/8f3a2c>",
            ],
        ),
        (ThankYou, De) => (
            "Vielen Dank für Ihre Bestellung MR-10234",
            &[
                "Bestellnummer: MR-10234\nBestelldatum: 20. November 2026\n",
                "2 × 42,75 € 85,50 €\n",
                "Versand kostenlos\nGesamtsumme 1.234,50 €\ndarin enthaltene MwSt. 197,10 €\n",
                "Lieferadresse\nAnna Beispiel\nMusterstraße 12\n10115 Berlin\nDeutschland\n",
                "Bestellstatus ansehen <https://shop.example.com/account/orders/MR-10234>",
                "Schreiben Sie uns an hilfe@shop.example.com.",
            ],
        ),
        (ThankYou, En) => (
            "Thank you for your order DB-10234",
            &[
                "Order number: DB-10234\nOrder date: 20 November 2026\n",
                "2 × €42.75 €85.50\n",
                "Delivery Free\nTotal €1,234.50\nof which VAT €205.75\n",
                "Delivery address\nOliver Smith\n12 High Street\nBristol BS1 4DJ\nUnited Kingdom\n",
                "View order status <https://shop.example.com/account/orders/DB-10234>",
                "Email us at help@shop.example.com.",
            ],
        ),
        (FeedbackRequest, De) => (
            "Wie zufrieden sind Sie mit Ihrer Bestellung?",
            &[
                "Ihre Bestellung MR-10234 wurde am 24. November 2026 zugestellt.",
                "★★★★★ 5 – Sehr zufrieden <https://shop.example.com/feedback/MR-10234/k7Hq2?rating=5>\n",
                "★☆☆☆☆ 1 – Sehr unzufrieden <https://shop.example.com/feedback/MR-10234/k7Hq2?rating=1>\n",
                "Bewertung schreiben <https://shop.example.com/reviews/new?order=MR-10234>",
            ],
        ),
        (FeedbackRequest, En) => (
            "How satisfied are you with your order?",
            &[
                "Your order DB-10234 was delivered on 24 November 2026.",
                "★★★★★ 5 – Very satisfied <https://shop.example.com/feedback/DB-10234/k7Hq2?rating=5>\n",
                "★☆☆☆☆ 1 – Very dissatisfied <https://shop.example.com/feedback/DB-10234/k7Hq2?rating=1>\n",
                "Write a review <https://shop.example.com/reviews/new?order=DB-10234>",
            ],
        ),
        (WinBack, De) => (
            "Wir vermissen Sie bei Kaffeerösterei Morgenrot",
            &[
                "Wir vermissen Sie!",
                "15\u{a0}% Rabatt auf Ihre nächste Bestellung mit dem Code WIEDERDA15 – gültig bis zum 31. Dezember 2026.",
                "Zum Shop <https://shop.example.com/>",
            ],
        ),
        (WinBack, En) => (
            "We miss you at Daybreak Coffee Roasters",
            &[
                "We miss you!",
                "15% off your next order with the code WELCOMEBACK15 – valid until 31 December 2026.",
                "Visit the shop <https://shop.example.com/>",
            ],
        ),
        (RePermission, De) => (
            "Möchten Sie weiterhin von uns hören?",
            &[
                "Sie erhalten seit dem 14. März 2023 „Morgenrot-Post“ von Kaffeerösterei Morgenrot.",
                "Ja, ich möchte angemeldet bleiben <https://shop.example.com/newsletter/keep/Zt5-q9>",
                "Nein, bitte melden Sie mich ab <https://kurier.example.com/unsubscribe/XyZ-987_q>",
                "Ohne Ihre Bestätigung tragen wir Sie nach dem 15. Dezember 2026 aus unserem Verteiler aus.",
            ],
        ),
        (RePermission, En) => (
            "Do you still want to hear from us?",
            &[
                "You have been receiving “Daybreak Post” from Daybreak Coffee Roasters since 14 March 2023.",
                "Yes, keep me subscribed <https://shop.example.com/newsletter/keep/Zt5-q9>",
                "No, unsubscribe me <https://kurier.example.com/unsubscribe/XyZ-987_q>",
                "we will remove you from our list after 15 December 2026.",
            ],
        ),
        (Correction, De) => (
            "Korrektur zu unserer E-Mail „Adventsangebote: 20 % auf alle Espressobohnen“",
            &[
                "in unserer E-Mail vom 26. November 2026 mit dem Betreff „Adventsangebote: 20 % auf alle Espressobohnen“ ist uns leider ein Fehler unterlaufen:",
                "Der Link zu den Angeboten führte auf eine leere Seite.",
                "Korrigierten Link öffnen <https://shop.example.com/advent>",
                "Bitte entschuldigen Sie das Versehen.",
            ],
        ),
        (Correction, En) => (
            "Correction to our email “Advent offers: 20% off all espresso beans”",
            &[
                "we made a mistake in our email of 26 November 2026 with the subject “Advent offers: 20% off all espresso beans”:",
                "The link to the offers led to an empty page.",
                "Open the corrected link <https://shop.example.com/advent>",
                "We apologise for the error.",
            ],
        ),
    }
}

fn compiled(occasion: Occasion, language: Language) -> CompiledTemplate {
    builtin::compile(occasion, language).unwrap_or_else(|e| panic!("{occasion}.{}: {e}", language.as_str()))
}

/// Composes the occasion's message for the fixture's recipient, as a flow step would.
fn compose(
    template: &CompiledTemplate,
    occasion: Occasion,
    language: Language,
    data: &Json,
) -> Result<Composed, TemplateComposeError> {
    let f = fixture(false);
    let env = envelope(&f, language, Some("Anna Beispiel"));
    let marketing = occasion.kind() == MessageKind::Marketing;
    let options = MessageOptions {
        kind: occasion.kind(),
        campaign: occasion.as_str(),
        unsubscribe_url: marketing.then_some(UNSUB),
        footer_reason: None,
        in_reply_to: (occasion == Occasion::Correction).then_some(ORIGINAL_ID),
        attachments: &[],
    };
    Composer::global().compose_template(template, &env, &options, &Value::from_serialize(data))
}

/// The text and HTML part of a composed message, with LF line ends.
fn parts(c: &Composed) -> (String, String) {
    let msg = MessageParser::default().parse(&c.raw).unwrap();
    (msg.body_text(0).unwrap().replace("\r\n", "\n"), msg.body_html(0).unwrap().replace("\r\n", "\n"))
}

/// Removes `path` (`a.b`, `a.items[].c`; alternatives joined by ` or `) from `data`; whether
/// anything was there.
fn remove(data: &mut Json, path: &str) -> bool {
    path.split(" or ").fold(false, |found, alt| remove_one(data, &alt.split('.').collect::<Vec<_>>()) | found)
}

fn remove_one(data: &mut Json, segments: &[&str]) -> bool {
    let (Some((first, rest)), Some(map)) = (segments.split_first(), data.as_object_mut()) else { return false };
    if rest.is_empty() {
        return map.remove(*first).is_some();
    }
    match first.strip_suffix("[]") {
        Some(list) => map
            .get_mut(list)
            .and_then(Json::as_array_mut)
            .is_some_and(|items| items.iter_mut().fold(false, |found, item| remove_one(item, rest) | found)),
        None => map.get_mut(*first).is_some_and(|v| remove_one(v, rest)),
    }
}

/// The `src` of every `<img>`, and whether each has an `alt` attribute.
fn images(html: &str) -> Vec<(String, bool)> {
    html.split("<img ")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            let src = tag.split("src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
            (src.to_string(), tag.contains(" alt=\"") || tag.starts_with("alt=\""))
        })
        .collect()
}

#[test]
fn occasions_have_names_kinds_and_both_languages() {
    for occasion in Occasion::ALL {
        assert_eq!(Occasion::parse(occasion.as_str()).unwrap(), occasion);
        assert_eq!(occasion.to_string(), occasion.as_str());
        for language in LANGUAGES {
            let source = builtin::source(occasion, language);
            assert_eq!(source.format, Format::Mjml, "{occasion}");
            assert!(!source.subject.trim().is_empty() && !source.preheader.trim().is_empty(), "{occasion}");
            assert!(source.body.starts_with(&format!("<mjml lang=\"{}\">", language.as_str())), "{occasion}");
        }
    }
    assert_eq!(Occasion::parse(" Win-Back ").unwrap(), Occasion::WinBack);
    let e = Occasion::parse("birthday").unwrap_err();
    assert_eq!(e.field, "occasion");
    assert!(e.reason.contains("\"birthday\" is not a built-in template (use one of double-opt-in, welcome,"), "{e}");
    let transactional: Vec<_> =
        Occasion::ALL.into_iter().filter(|o| o.kind() == MessageKind::Transactional).map(Occasion::as_str).collect();
    assert_eq!(transactional, ["double-opt-in", "thank-you", "correction"]);
}

#[test]
fn every_occasion_in_both_languages_becomes_a_complete_message() {
    for occasion in Occasion::ALL {
        for language in LANGUAGES {
            let at = format!("{occasion}.{}", language.as_str());
            let data = builtin::sample_data(occasion, language);
            let c = compose(&compiled(occasion, language), occasion, language, &data)
                .unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(c.kind, occasion.kind(), "{at}");
            let msg = MessageParser::default().parse(&c.raw).unwrap();
            let (subject, says) = expected(occasion, language);
            assert_eq!(msg.subject(), Some(subject), "{at}");
            let (text, html) = parts(&c);
            for s in says {
                assert!(text.contains(s), "{at}: the text part lacks {s:?}:\n{text}");
            }
            for part in [&text, &html] {
                for leftover in ["{{", "}}", "{%", "%}", "{#", "KJ0Q_"] {
                    assert!(!part.contains(leftover), "{at}: {leftover:?} left in\n{part}");
                }
            }
            assert!(text.starts_with(data["shop"]["name"].as_str().unwrap()), "{at}: {text}");

            // Gmail clips HTML parts over 102 KB and hides the rest behind a link.
            assert!(html.len() < 102 * 1024, "{at}: {} bytes of HTML", html.len());
            assert!(html.contains(&format!("<html lang=\"{}\"", language.as_str())), "{at}");
            assert!(html.contains("max-width:600px"), "{at}");
            assert!(html.contains("font-family: Arial, Helvetica, sans-serif"), "{at}");
            assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("@font-face"), "{at}");
            assert!(html.contains("mso-hide:all"), "{at}: the preheader");
            // Images: the shop's logo and the sample's product pictures, nothing else, all with alt.
            let allowed: Vec<&str> = [&data["shop"]["logo_url"], &data["cart"], &data["order"]]
                .into_iter()
                .flat_map(|v| match v.get("items").and_then(Json::as_array) {
                    Some(items) => items.iter().filter_map(|i| i["image_url"].as_str()).collect(),
                    None => v.as_str().into_iter().collect::<Vec<_>>(),
                })
                .collect();
            let imgs = images(&html);
            assert!(imgs.iter().any(|(src, _)| src == "https://shop.example.com/static/logo.png"), "{at}: logo");
            for (src, alt) in imgs {
                assert!(alt, "{at}: <img src={src:?}> without alt");
                assert!(allowed.contains(&src.as_str()), "{at}: unexpected image {src:?}");
            }

            let unsubscribe = header(&msg, "List-Unsubscribe");
            match occasion.kind() {
                MessageKind::Marketing => {
                    assert_eq!(unsubscribe.as_deref(), Some(format!("<{UNSUB}>").as_str()), "{at}");
                    let footer = match language {
                        Language::De => format!(
                            "\n--\nSie erhalten diese E-Mail, weil Sie „Kurier News“ abonniert haben.\nKurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin\nAbmelden: {UNSUB}\n"
                        ),
                        Language::En => format!(
                            "\n--\nYou are receiving this email because you subscribed to “Kurier News”.\nKurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin\nUnsubscribe: {UNSUB}\n"
                        ),
                    };
                    assert!(text.ends_with(&footer), "{at}: the composer's footer:\n{text}");
                }
                MessageKind::Transactional => {
                    assert_eq!(unsubscribe, None, "{at}");
                    // The sender is named (business mail must say who sends it), without an unsubscribe link.
                    assert!(!text.contains(UNSUB), "{at}: no unsubscribe link");
                    assert!(
                        text.ends_with("\n--\nKurier Team, Beispiel GmbH, Hauptstr. 1, 10115 Berlin\n"),
                        "{at}: sender:\n{text}"
                    );
                }
            }
            let in_reply_to = msg.in_reply_to().as_text().map(str::to_string);
            assert_eq!(in_reply_to.as_deref(), (occasion == Occasion::Correction).then_some(ORIGINAL_ID), "{at}");
        }
    }
}

#[test]
fn without_a_first_name_the_greeting_falls_back() {
    for occasion in Occasion::ALL {
        for language in LANGUAGES {
            let at = format!("{occasion}.{}", language.as_str());
            let template = compiled(occasion, language);
            let (named, fallback) = match language {
                Language::De => ("Hallo Anna,", "Guten Tag,"),
                Language::En => ("Hello Oliver,", "Hello,"),
            };
            let mut data = builtin::sample_data(occasion, language);
            let (with_name, _) = parts(&compose(&template, occasion, language, &data).unwrap());
            assert!(with_name.contains(&format!("\n\n{named}\n\n")), "{at}:\n{with_name}");

            assert!(remove(&mut data, "contact.first_name"), "{at}");
            let (missing, _) = parts(&compose(&template, occasion, language, &data).unwrap());
            assert!(missing.contains(&format!("\n\n{fallback}\n\n")), "{at}:\n{missing}");
            assert!(!missing.contains(named) && !missing.contains(" ,"), "{at}:\n{missing}");

            data["contact"]["first_name"] = "".into();
            let (empty, _) = parts(&compose(&template, occasion, language, &data).unwrap());
            assert_eq!(empty, missing, "{at}: an empty name reads like a missing one");
        }
    }
}

#[test]
fn a_missing_required_variable_is_an_error() {
    for occasion in Occasion::ALL {
        for language in LANGUAGES {
            let template = compiled(occasion, language);
            for var in occasion.variables().filter(|v| v.required) {
                let at = format!("{occasion}.{} without {}", language.as_str(), var.path);
                let mut data = builtin::sample_data(occasion, language);
                assert!(remove(&mut data, var.path), "{at}: the sample data should have it");
                match compose(&template, occasion, language, &data) {
                    Err(TemplateComposeError::Render(_)) => {}
                    Err(e) => panic!("{at}: not a render error: {e}"),
                    Ok(c) => panic!("{at}: rendered anyway:\n{}", parts(&c).0),
                }
            }
        }
    }
    // The error names what is missing.
    let mut data = builtin::sample_data(Occasion::AbandonedCart, Language::De);
    remove(&mut data, "cart");
    let template = compiled(Occasion::AbandonedCart, Language::De);
    let e = compose(&template, Occasion::AbandonedCart, Language::De, &data).unwrap_err();
    assert!(
        matches!(&e, TemplateComposeError::Render(RenderError::Undefined { expression, .. }) if expression.starts_with("cart")),
        "{e:?}"
    );
}

#[test]
fn optional_variables_can_be_left_out() {
    for occasion in Occasion::ALL {
        for language in LANGUAGES {
            let template = compiled(occasion, language);
            let optional: Vec<_> = occasion.variables().filter(|v| !v.required).collect();
            let mut all_left_out = builtin::sample_data(occasion, language);
            for var in &optional {
                let at = format!("{occasion}.{} without {}", language.as_str(), var.path);
                let mut data = builtin::sample_data(occasion, language);
                remove(&mut data, var.path);
                remove(&mut all_left_out, var.path);
                if let Err(e) = compose(&template, occasion, language, &data) {
                    panic!("{at}: {e}");
                }
            }
            let at = format!("{occasion}.{} without any optional variable", language.as_str());
            let c = compose(&template, occasion, language, &all_left_out).unwrap_or_else(|e| panic!("{at}: {e}"));
            let (text, html) = parts(&c);
            assert!(!html.contains("<img"), "{at}: without logo and product pictures, no images");
            assert!(text.starts_with(all_left_out["shop"]["name"].as_str().unwrap()), "{at}: the name for the logo");
            let gone = [
                "KAFFEE10",
                "COFFEE10",
                "WILLKOMMEN5",
                "WELCOME",
                "WIEDERDA15",
                "MwSt.",
                "VAT",
                "/reviews/",
                "14. März",
                "14 March",
            ];
            for gone in gone {
                assert!(!text.contains(gone), "{at}: {gone:?} is still there:\n{text}");
            }
        }
    }
}

#[test]
fn a_feedback_request_can_be_about_a_support_ticket() {
    for (language, subject, says) in [
        (
            Language::De,
            "Wie zufrieden waren Sie mit unserer Hilfe?",
            "Wie war unsere Hilfe?\n\nHallo Anna,\n\nIhre Anfrage T-4711 („Mahlgrad einstellen“) ist abgeschlossen.",
        ),
        (
            Language::En,
            "How satisfied were you with our help?",
            "How did we do?\n\nHello Oliver,\n\nYour enquiry T-4711 (“Adjusting the grind”) has been closed.",
        ),
    ] {
        let mut data = builtin::sample_data(Occasion::FeedbackRequest, language);
        remove(&mut data, "order");
        let topic = if language == Language::De { "Mahlgrad einstellen" } else { "Adjusting the grind" };
        data["ticket"] = serde_json::json!({ "number": "T-4711", "subject": topic });
        data["links"] = serde_json::json!({ "rating_base": "https://help.example.com/feedback/T-4711/x9" });
        let template = compiled(Occasion::FeedbackRequest, language);
        let c = compose(&template, Occasion::FeedbackRequest, language, &data).unwrap();
        assert_eq!(c.subject, subject);
        let (text, _) = parts(&c);
        assert!(text.contains(says), "{text}");
        assert!(text.contains("https://help.example.com/feedback/T-4711/x9?rating=5>"), "{text}");
        assert!(!text.contains("MR-10234") && !text.contains("DB-10234"), "{text}");
    }
}

/// The tables in `templates/builtin/README.md` (the module documentation) and
/// [`Occasion::variables`] list the same variables, equally required.
#[test]
fn the_documented_variables_are_the_ones_in_code() {
    let readme = include_str!("../../templates/builtin/README.md");
    let section = |title: &str| -> Vec<(String, bool)> {
        let start = readme.find(&format!("\n## {title}")).unwrap_or_else(|| panic!("no section {title}"));
        let body = &readme[start + 4..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        body.lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<_> = l.split('|').map(str::trim).collect();
                (cells[1].replace('`', ""), cells[2] != "no")
            })
            .collect()
    };
    let common = section("Every occasion");
    for occasion in Occasion::ALL {
        let mut documented = common.clone();
        documented.extend(section(&format!("`{occasion}`")));
        let in_code: Vec<_> = occasion.variables().map(|v| (v.path.to_string(), v.required)).collect();
        assert_eq!(documented, in_code, "{occasion}");
        let kind = match occasion.kind() {
            MessageKind::Marketing => "(marketing)",
            MessageKind::Transactional => "(transactional)",
        };
        assert!(readme.contains(&format!("## `{occasion}` {kind}")), "{occasion} {kind}");
    }
}

/// Our own mails must pass our own preflight linter, warnings included: a built-in template that
/// trips it would teach users to ignore it. The day is the one the sample data is written for
/// (offers valid until December 2026).
#[test]
fn the_built_in_templates_and_system_mails_pass_the_linter() {
    use crate::lint::{LintOptions, Severity, lint_message};
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let mut messages = Vec::new();
    for occasion in Occasion::ALL {
        for language in LANGUAGES {
            let template = compiled(occasion, language);
            let data = builtin::sample_data(occasion, language);
            let m = compose(&template, occasion, language, &data).unwrap();
            messages.push((format!("{} {language:?}", occasion.as_str()), m));
        }
    }
    let f = fixture(false);
    for language in LANGUAGES {
        let env = envelope(&f, language, Some("Anna Beispiel"));
        let expires = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 27, 10, 0, 0).unwrap();
        messages.push((format!("confirmation {language:?}"), compose_confirmation(&env, UNSUB, expires).unwrap()));
        messages.push((format!("welcome {language:?}"), compose_welcome(&env, UNSUB, env.date).unwrap()));
    }
    let mut report = Vec::new();
    for (name, m) in &messages {
        for finding in lint_message(&m.raw, &LintOptions { kind: m.kind, today }) {
            // The sample data and fixtures link to and send from example.com (RFC 2606) on purpose;
            // the linter is right to say readers cannot reach it and receivers would refuse it, and
            // that is all it may say about them.
            let example_domain = matches!(finding.rule, "link-local" | "from-invalid")
                && finding.message.contains("reserved for examples");
            if finding.severity != Severity::Info && !example_domain {
                report.push(format!("{name}: {finding:?}"));
            }
        }
    }
    assert_eq!(messages.len(), 20);
    assert!(report.is_empty(), "{}", report.join("\n"));
}
