use kurier_core::{Language, MessageKind};

use super::*;

const MJML: &str = r#"<mjml>
<mj-head><mj-style>.lead { font-weight: bold; }</mj-style></mj-head>
<mj-body>
<mj-section><mj-column>
<mj-text css-class="lead">Hallo {{ contact.first_name | default("Kundin, Kunde") }},</mj-text>
<mj-text>in Ihrem Warenkorb liegen noch {{ cart.items | length }} Artikel:</mj-text>
<mj-table><tbody>
{% for item in cart.items %}
<tr><td>{{ item.name }}</td><td>{{ item.price | money }}</td></tr>
{% endfor %}
</tbody></mj-table>
{% if cart.coupon %}<mj-text>Ihr Code: {{ cart.coupon }}</mj-text>{% endif %}
<mj-button href="{{ cart.url }}">Zum Warenkorb</mj-button>
</mj-column></mj-section>
</mj-body></mjml>"#;

fn source(format: Format, body: &str) -> TemplateSource {
    TemplateSource {
        format,
        subject: "{{ contact.first_name | default('Hallo') }}, Ihr Warenkorb wartet".into(),
        preheader: "Noch {{ cart.items | length }} Artikel für Sie reserviert".into(),
        body: body.into(),
        text: None,
    }
}

fn transactional() -> CompileOptions {
    CompileOptions { kind: MessageKind::Transactional, language: Language::De }
}

fn data() -> Value {
    Value::from_serialize(serde_json::json!({
        "locale": "de-DE",
        "contact": { "first_name": "Anna", "email": "anna@example.org" },
        "cart": {
            "url": "https://shop.example/cart?c=1&t=x",
            "coupon": "",
            "items": [ { "name": "Tasse <blau>", "price": "9.9" }, { "name": "Kanne", "price": 1234.5 } ],
        },
    }))
}

#[test]
fn mjml_compiles_once_and_renders_per_recipient() {
    let t = CompiledTemplate::compile(&source(Format::Mjml, MJML), transactional()).unwrap();
    // The compiled HTML has inlined CSS, the loop in place inside the table, no MJML left.
    let html_src = t.source(true);
    assert!(!html_src.contains("<mj-"), "{html_src}");
    assert!(html_src.contains("font-weight: bold") || html_src.contains("font-weight:bold"));
    let loop_at = html_src.find("{% for item in cart.items %}").unwrap();
    assert!(html_src[..loop_at].contains("<tbody>") && html_src[loop_at..].find("{% endfor %}").unwrap() > 0);

    let r = t.render(&data()).unwrap();
    assert_eq!(r.subject, "Anna, Ihr Warenkorb wartet");
    assert!(r.html.contains("Hallo Anna,"));
    assert!(r.html.contains("Tasse &lt;blau&gt;"), "values are HTML-escaped");
    assert!(r.html.contains("9,90 €") && r.html.contains("1.234,50 €"));
    assert!(r.html.contains("href=\"https://shop.example/cart?c=1&amp;t=x\""), "{}", r.html);
    assert!(!r.html.contains("Ihr Code"), "an empty coupon is falsy");
    assert!(r.html.contains("Noch 2 Artikel für Sie reserviert"), "preheader");
    assert!(!r.html.contains("{{") && !r.html.contains("{%"));

    assert!(r.text.starts_with("Hallo Anna,\n\nin Ihrem Warenkorb liegen noch 2 Artikel:\n"), "{}", r.text);
    assert!(r.text.contains("\nTasse <blau> 9,90 €\nKanne 1.234,50 €\n"), "{}", r.text);
    assert!(r.text.contains("Zum Warenkorb <https://shop.example/cart?c=1&t=x>"), "{}", r.text);
    assert!(!r.text.contains("reserviert"), "the preheader is hidden, not text");

    // The default applies to a missing and to an empty name alike.
    for first_name in [None, Some("")] {
        let mut d: serde_json::Value = serde_json::from_str(&serde_json::to_string(&data()).unwrap()).unwrap();
        match first_name {
            None => d["contact"].as_object_mut().unwrap().remove("first_name").map(|_| ()).unwrap(),
            Some(v) => d["contact"]["first_name"] = v.into(),
        }
        let r = t.render(&Value::from_serialize(&d)).unwrap();
        assert!(r.html.contains("Hallo Kundin, Kunde,"));
        assert_eq!(r.subject, "Hallo, Ihr Warenkorb wartet");
    }
}

#[test]
fn a_condition_on_the_first_line_leaves_no_blank_line_at_the_start_of_the_text() {
    let body = r#"<mjml><mj-body><mj-section><mj-column>
{% if shop.logo_url %}<mj-image src="{{ shop.logo_url }}" alt="{{ shop.name }}"></mj-image>
{% else %}<mj-text>{{ shop.name }}</mj-text>{% endif %}
<mj-text>Hallo</mj-text>
</mj-column></mj-section></mj-body></mjml>"#;
    let t = CompiledTemplate::compile(&source(Format::Mjml, body), transactional()).unwrap();
    for logo in [Some("https://shop.example/logo.png"), None] {
        let d = serde_json::json!({ "shop": { "name": "Beispiel Shop", "logo_url": logo }, "contact": {}, "cart": { "items": [] } });
        let r = t.render(&Value::from_serialize(&d)).unwrap();
        assert_eq!(r.text, "Beispiel Shop\n\nHallo\n", "logo {logo:?}");
    }
}

#[test]
fn html_templates_and_the_marketing_footer() {
    let body =
        "<html><head><style>p { color: #333 }</style></head><body><p>Hi {{ contact.first_name }}!</p></body></html>";
    let options = CompileOptions { kind: MessageKind::Marketing, language: Language::En };
    let t = CompiledTemplate::compile(&source(Format::Html, body), options).unwrap();
    let mut d = serde_json::json!({
        "contact": { "first_name": "Bo" }, "cart": { "items": [] },
        "footer_reason": "You get this because you subscribed on 2 November 2026.",
        "sender_name": "Beispiel GmbH", "sender_postal_address": "Hauptstr. 1, 10115 Berlin",
        "unsubscribe_url": "https://news.example/u/abc",
    });
    let r = t.render(&Value::from_serialize(&d)).unwrap();
    assert!(r.html.contains("<p style=\"color: #333;\">Hi Bo!</p>"), "{}", r.html);
    assert!(r.html.contains("<a href=\"https://news.example/u/abc\""));
    assert!(r.html.find("Unsubscribe").unwrap() < r.html.find("</body>").unwrap());
    assert!(r.text.ends_with("--\nYou get this because you subscribed on 2 November 2026.\nBeispiel GmbH, Hauptstr. 1, 10115 Berlin\nUnsubscribe: https://news.example/u/abc\n"), "{}", r.text);

    // Without the unsubscribe link the marketing mail cannot be rendered.
    d.as_object_mut().unwrap().remove("unsubscribe_url");
    let e = t.render(&Value::from_serialize(&d)).unwrap_err();
    assert!(matches!(&e, RenderError::Undefined { expression, .. } if expression == "unsubscribe_url"), "{e}");
}

#[test]
fn undefined_and_empty_values_are_errors_that_name_the_expression() {
    let t = CompiledTemplate::compile(
        &source(Format::Html, "<p>Hallo {{ contact.first_name }},</p>\n<p>{{ contact.vorname }}</p>"),
        transactional(),
    )
    .unwrap();
    let e = t
        .render(&Value::from_serialize(
            serde_json::json!({ "contact": { "first_name": "", "vorname": "x" }, "cart": { "items": [] } }),
        ))
        .unwrap_err();
    assert!(
        matches!(&e, RenderError::EmptyWithoutDefault { part: "html", expression, line: 1 } if expression == "contact.first_name"),
        "{e:?}"
    );
    assert!(e.to_string().contains("default("), "{e}");
    let e = t
        .render(&Value::from_serialize(
            serde_json::json!({ "contact": { "first_name": "A" }, "cart": { "items": [] } }),
        ))
        .unwrap_err();
    assert!(
        matches!(&e, RenderError::Undefined { part: "html", expression, line: 2 } if expression == "contact.vorname"),
        "{e:?}"
    );
}

#[test]
fn a_missing_or_empty_value_given_to_a_filter_names_the_expression() {
    let t = CompiledTemplate::compile(
        &source(Format::Html, "<p>Bestellt am {{ order.date | date }} für {{ order.total | money }}</p>"),
        transactional(),
    )
    .unwrap();
    let data = |order: serde_json::Value| {
        Value::from_serialize(serde_json::json!({ "contact": {}, "cart": { "items": [] }, "order": order }))
    };
    let e = t.render(&data(serde_json::json!({ "total": "9.90" }))).unwrap_err();
    assert!(
        matches!(&e, RenderError::Undefined { part: "html", expression, .. } if expression == "order.date | date"),
        "{e:?}"
    );
    let e = t.render(&data(serde_json::json!({ "date": "2026-11-20", "total": "" }))).unwrap_err();
    assert!(
        matches!(&e, RenderError::EmptyWithoutDefault { expression, .. } if expression == "order.total | money"),
        "{e:?}"
    );
}

#[test]
fn endless_loops_run_out_of_fuel() {
    let body = "<p>{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}</p>";
    let t = CompiledTemplate::compile(&source(Format::Html, body), transactional()).unwrap();
    let e = t.render(&data()).unwrap_err();
    assert!(matches!(&e, RenderError::Failed { source, .. } if source.kind() == ErrorKind::OutOfFuel), "{e:?}");
}

#[test]
fn broken_templates_are_refused_with_the_place() {
    let e = CompiledTemplate::compile(&source(Format::Html, "<p>a</p>\n<p>Hallo {{ name </p>"), transactional())
        .unwrap_err();
    assert_eq!(e.to_string(), "body: the merge tag starting with {{ at line 2 is never closed");
    let e = CompiledTemplate::compile(&source(Format::Html, "<p>{% if x %}a</p>"), transactional()).unwrap_err();
    assert!(matches!(e, TemplateError::Syntax { .. }), "{e}");
    assert!(e.to_string().contains("endif") || e.to_string().contains("end of input"), "{e}");
    let e = CompiledTemplate::compile(&source(Format::Mjml, "<mjml><mj-body><mj-section></mjml>"), transactional())
        .unwrap_err();
    assert!(matches!(e, TemplateError::Mjml(_)), "{e}");
}

#[test]
fn malformed_outlook_conditionals_are_refused_not_a_crash() {
    // Found by the fuzzer: the MJML parser panics on these instead of returning an error.
    for body in [
        "<mjml><mj-body>\n<!--[if mso",
        "<mjml><mj-body><![endifx]>",
        "<mjml><mj-body><!--[if mso]x",
        "<mjml><mj-body><![if a]",
    ] {
        let e = CompiledTemplate::compile(&source(Format::Mjml, body), transactional()).unwrap_err();
        assert!(matches!(&e, TemplateError::Mjml(m) if m.contains("conditional comment")), "{body}: {e}");
    }
    // Found by the fuzzer (from our own seed): mrml's tokenizer panics slicing inside a character.
    let body = "<mjml><mj-body><mj-section><mj-colu-column><mj-text>Hi {{ contact.first_name }} {\u{fffd}\u{fffd}m\u{fffd}n><!j-text>Hi";
    let e = CompiledTemplate::compile(&source(Format::Mjml, body), transactional()).unwrap_err();
    assert!(matches!(e, TemplateError::Mjml(_)), "{e}");
    let ok = "<mjml><mj-body><mj-raw><!--[if mso]><table><tr><td><![endif]--></mj-raw><mj-raw><!--[if mso]></td></tr></table><![endif]--></mj-raw></mj-body></mjml>";
    CompiledTemplate::compile(&source(Format::Mjml, ok), transactional()).unwrap();
}

#[test]
fn template_files_with_front_matter() {
    let s = TemplateSource::from_file_text(
        "cart.mjml",
        "subject: Ihr Warenkorb\npreheader: Noch da\n---\n<mjml><mj-body></mj-body></mjml>",
    )
    .unwrap();
    assert_eq!((s.format, s.subject.as_str(), s.preheader.as_str()), (Format::Mjml, "Ihr Warenkorb", "Noch da"));
    let s =
        TemplateSource::from_file_text("x.html", "<html><head><title>Hallo {{ n }}</title></head><body></body></html>")
            .unwrap();
    assert_eq!((s.format, s.subject.as_str()), (Format::Html, "Hallo {{ n }}"));
    let e = TemplateSource::from_file_text("x.html", "<p>no subject</p>").unwrap_err();
    assert!(e.to_string().contains("x.html: no subject"), "{e}");
    let e = TemplateSource::from_file_text("x.html", "subject: a\ncolour: b\n---\n<p></p>").unwrap_err();
    assert!(e.to_string().contains("unknown front matter field \"colour\""), "{e}");
}

/// Decodes a quoted-printable body the way a mail client does (mail-parser), after checking
/// that its lines are what RFC 2045 allows.
fn decode_qp(encoded: &str, content_type: &str) -> String {
    for line in encoded.split("\r\n") {
        assert!(line.len() <= 76 && !line.ends_with([' ', '\t']), "{line:?} in\n{encoded}");
        assert!(line.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)), "{line:?}");
    }
    let raw = format!(
        "Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{encoded}"
    );
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let body = if content_type == "text/html" { message.body_html(0) } else { message.body_text(0) };
    body.unwrap().replace("\r\n", "\n")
}

/// The pre-encoded templates, decoded, give exactly what the plain templates render.
#[track_caller]
fn assert_mime_render_is_the_plain_render(t: &CompiledTemplate, data: &Value) {
    let plain = t.render(data).unwrap();
    let (encoded, is_encoded) = t.render_for_mime(data).unwrap();
    assert!(is_encoded);
    assert_eq!(encoded.subject, plain.subject);
    assert_eq!(decode_qp(&encoded.html, "text/html"), plain.html);
    assert_eq!(decode_qp(&encoded.text, "text/plain"), plain.text, "encoded:\n{}", encoded.text);
}

#[test]
fn the_pre_encoded_bodies_decode_to_the_plain_render() {
    let t = CompiledTemplate::compile(&source(Format::Mjml, MJML), transactional()).unwrap();
    let mut d: serde_json::Value = serde_json::from_str(&serde_json::to_string(&data()).unwrap()).unwrap();
    // A long value with characters that need encoding, and an `=`.
    d["contact"]["first_name"] = format!("Ä=ö {}", "x".repeat(300)).into();
    let data = Value::from_serialize(&d);
    assert_mime_render_is_the_plain_render(&t, &data);

    // Whitespace control, `raw` blocks, comments and the environment's trim_blocks/lstrip_blocks
    // act exactly as in the plain templates, in the HTML and in a hand-written text.
    let bodies = [
        "<p>{%- if true -%} a {{- 'b' -}} c {%- endif -%}</p>",
        "<p>\n  {% if true %}\n  a\n  {% endif %}\n</p>{# note #}\n{%+ if true +%}\n b {% endif %}",
        "<pre>{% raw %}{{ not a tag }}\n {% endraw %}</pre>\n{# a\ncomment -#}   \n\n<p>x</p>",
        "<p>{{ '{%-' }}{{- 'é' -}}</p>",
    ];
    let texts = [
        "Hallo {{ contact.first_name }},\n\n{% if cart.coupon %}\nIhr Code: {{ cart.coupon }}\n\n{% endif %}\n\n\nDanke.\n",
        "\n\n{% for i in cart.items %}\n  - {{ i.name }}   \n{%- endfor %}\n{% raw %}{{ x }}{% endraw %}\n\n\n\n",
        "{# lead #}\n{% if false %}x{% endif %}\n\nA line of exactly seventy-six characters, followed by a break at once:::\nEnd\t\n",
    ];
    for body in bodies {
        for text in texts {
            let mut s = source(Format::Html, body);
            s.text = Some(text.into());
            let t = CompiledTemplate::compile(&s, transactional()).unwrap();
            assert_mime_render_is_the_plain_render(&t, &data);
        }
    }

    // Found by the fuzzer: multibyte text right before the end of a tag.
    let body = "<p>{{ 'x' \u{b9}\u{b9}}}</p><p>{{ '{%-' }} {{- 'é' -}}</p>";
    match CompiledTemplate::compile(&source(Format::Html, body), transactional()) {
        Ok(t) => {
            let _ = t.render_for_mime(&data);
        }
        Err(e) => assert!(matches!(e, TemplateError::Syntax { .. }), "{e}"),
    }
}

#[test]
fn the_built_in_templates_encode_to_their_plain_render() {
    for occasion in crate::builtin::Occasion::ALL {
        for language in [Language::De, Language::En] {
            let t = crate::builtin::compile(occasion, language).unwrap();
            let mut data = crate::builtin::sample_data(occasion, language);
            // What the composer adds.
            data["unsubscribe_url"] = "https://news.example.de/u/abc".into();
            data["footer_reason"] = "Sie erhalten diese E-Mail, weil Sie „News“ abonniert haben.".into();
            data["sender_name"] = "Kaffeehaus Beispiel".into();
            data["sender_postal_address"] = "Röstereiweg 3, 04109 Leipzig".into();
            let data = Value::from_serialize(data);
            assert_mime_render_is_the_plain_render(&t, &data);
        }
    }
}

#[test]
fn errors_from_the_encoded_templates_name_the_users_lines() {
    let mut s = source(Format::Html, "<p>a</p>\n<p>b</p>\n<p>{{ contact.nickname }}</p>");
    s.text = Some("a\nb\nc\n{{ contact.nickname }}".into());
    let t = CompiledTemplate::compile(&s, transactional()).unwrap();
    let plain = t.render(&data()).unwrap_err().to_string();
    let mime = t.render_for_mime(&data()).unwrap_err().to_string();
    assert_eq!(mime, plain);
    assert!(plain.contains("contact.nickname") && plain.contains("line 3"), "{plain}");
}

#[test]
fn tidying_encoded_text_keeps_one_blank_line_and_none_at_the_start() {
    assert_eq!(tidy_encoded_text("a\r\nb=\r\nc\r\n"), None);
    assert_eq!(tidy_encoded_text("\r\n=\r\n\r\na\r\n").as_deref(), Some("=\r\na\r\n"));
    assert_eq!(tidy_encoded_text("a\r\n\r\n=\r\n\r\n\r\nb").as_deref(), Some("a\r\n\r\n=\r\nb"));
    // A soft break ends no line: its blank lines after it count from one.
    assert_eq!(tidy_encoded_text("a=\r\n\r\n\r\n\r\nb\r\n").as_deref(), Some("a=\r\n\r\n\r\nb\r\n"));
}

#[test]
fn tidying_finds_what_the_quick_check_lets_through() {
    // Every short mix of the line kinds that matter: the quick check must never skip a change.
    let pieces = ["\r\n", "=\r\n", "a\r\n", "a=\r\n"];
    let mut stack = vec![String::new()];
    while let Some(text) = stack.pop() {
        let slow = {
            // The line-by-line rule without the quick check: drop a blank line at the start or a
            // third line break in a row.
            let mut run: Option<usize> = None;
            let mut out = String::new();
            for line in text.split_inclusive("\r\n") {
                match line {
                    "\r\n" => {
                        run = run.map(|r| r + 1);
                        if run.is_some_and(|r| r <= 2) {
                            out.push_str(line);
                        }
                    }
                    "=\r\n" => out.push_str(line),
                    l => {
                        run = Some(usize::from(!l.ends_with("=\r\n")));
                        out.push_str(line);
                    }
                }
            }
            out
        };
        assert_eq!(tidy_encoded_text(&text).unwrap_or_else(|| text.clone()), slow, "{text:?}");
        if text.len() < 16 {
            stack.extend(pieces.iter().map(|p| format!("{text}{p}")));
        }
    }
}

#[test]
fn render_errors_name_the_line_the_user_wrote_not_the_compiled_one() {
    let mjml = "<mjml>\n<mj-body>\n<mj-section><mj-column>\n<mj-text>Hallo {{ contact.first_name }}</mj-text>\n\
                <mj-text>Ihr Spitzname: {{ contact.nickname }}</mj-text>\n</mj-column></mj-section>\n</mj-body>\n</mjml>";
    let t = CompiledTemplate::compile(&source(Format::Mjml, mjml), transactional()).unwrap();
    // In the compiled HTML the tag is far further down.
    let compiled_line = t.source(true).lines().position(|l| l.contains("contact.nickname")).unwrap() + 1;
    assert!(compiled_line > 20, "{compiled_line}");
    for e in [t.render(&data()).unwrap_err(), t.render_for_mime(&data()).unwrap_err()] {
        assert!(
            matches!(&e, RenderError::Undefined { part: "html", expression, line: 5 } if expression == "contact.nickname"),
            "{e:?}"
        );
    }
    // A filter given bad data, too; the message does not name the compiled template's place.
    let mjml = mjml.replace("{{ contact.nickname }}", "{{ contact.nickname | money }}");
    let t = CompiledTemplate::compile(&source(Format::Mjml, &mjml), transactional()).unwrap();
    let mut d = serde_json::to_value(data()).unwrap();
    d["contact"]["nickname"] = "12,50".into();
    let data = Value::from_serialize(&d);
    for e in [t.render(&data).unwrap_err(), t.render_for_mime(&data).unwrap_err()] {
        assert!(matches!(&e, RenderError::Failed { part: "html", line: 5, .. }), "{e:?}");
        let message = e.to_string();
        assert!(message.ends_with("\"12,50\" is not an amount such as 19.90 (line 5)"), "{message}");
        assert!(!message.contains("body."), "{message}");
    }
}
