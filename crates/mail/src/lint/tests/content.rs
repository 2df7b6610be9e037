//! What the message says: merge tags, greetings, attachments, dates, the sender's postal address.

use super::*;

#[test]
fn merge_tags_in_subject_text_and_html() {
    let f = expect_one(
        &Mail::german().subject("{{ first_name }}, Ihr Rabatt wartet").lint(),
        "merge-tag-unresolved",
        Severity::Error,
        "header Subject",
    );
    assert!(f.message.contains("\"{{ first_name }}\""), "{f:?}");
    let tags = [
        "Hallo *|FNAME|*,",
        "Hallo [FirstName],",
        "Hallo [Vorname] [Nachname],",
        "Dear %%First Name%%,",
        "Hallo {first_name},",
        "Hallo {Vorname},",
        "Hi <%= user.first_name %>,",
        "Hallo [[var:vorname]],",
        "Hi ${firstName},",
        "{% if kunde.vip %}Exklusiv für Sie:{% endif %}",
    ];
    for line in tags {
        let findings = Mail::german().say(line).lint();
        let found = of(&findings, "merge-tag-unresolved");
        assert!(!found.is_empty(), "{line:?}");
        assert!(found.iter().all(|f| f.severity == Severity::Error && f.location == "text part line 1"), "{found:?}");
        // Once for the text part, once more for the HTML part, counted on the same finding.
        assert!(found[0].message.ends_with("(It appears in 1 more place.)"), "{:?}", found[0]);
    }
    let english = Mail::english().say("Hi {{contact.FIRSTNAME}},").lint();
    expect_one(&english, "merge-tag-unresolved", Severity::Error, "text part line 1");
}

#[test]
fn merge_tags_in_links_and_alt_texts() {
    let link = Mail::german().no_text().replace("herbst?utm_source=newsletter", "herbst?k=%7B%7Bcontact.id%7D%7D");
    let findings = link.lint();
    let f = expect_one(
        &findings,
        "merge-tag-unresolved",
        Severity::Error,
        "html <a href=\"https://www.beispiel-shop.de/herbst?k=%7B",
    );
    assert!(f.location.ends_with("#1"), "{f:?}");
    assert!(f.message.contains("\"{{contact.id}}\""), "{f:?}");
    expect_none(&findings, "link-invalid");
    let unsubscribe =
        Mail::german().no_text().replace("https://www.beispiel-shop.de/u/abc123\"", "{{ unsubscribe_url }}\"");
    let findings = unsubscribe.lint();
    expect_one(&findings, "merge-tag-unresolved", Severity::Error, "html <a href=\"{{ unsubscribe_url }}\"> #3");
    expect_none(&findings, "link-invalid");
    let alt = Mail::german().replace("alt=\"Frau in roter Jacke", "alt=\"[Vorname], die Jacke");
    expect_one(
        &alt.lint(),
        "merge-tag-unresolved",
        Severity::Error,
        "html <img src=\"https://cdn.beispiel-shop.de/herbst.jpg\"> #2",
    );
}

#[test]
fn merge_tag_look_alikes() {
    let lines = [
        "[Anzeige] Die Quelle [1] nennt es \"Sommr\" [sic].",
        "Preisliste [PDF] – mehr Infos [hier klicken]",
        "Bis zu 50% Rabatt, 20% extra, 100 % Baumwolle.",
        "Preis: $5 statt $10. Save 10% {today only}.",
        "[Last Chance] Our [Update] for you",
        "Code: {x} – Farbe {rot}",
    ];
    for line in lines {
        expect_none(&Mail::german().say(line).lint(), "merge-tag-unresolved");
    }
    expect_none(&Mail::german().subject("[Anzeige] Herbst bei Beispiel Shop").lint(), "merge-tag-unresolved");
    // Hidden markup: styles, scripts, comments.
    let hidden = Mail::german().replace(
        "</head>",
        "<script type=\"application/ld+json\">{\"name\": \"{{ shop }}\"}</script>\n\
         <!--[if mso]><style>.{{x}}{}</style><![endif]--><!-- {{ debug }} --></head>",
    );
    expect_clean(&hidden.lint());
}

#[test]
fn greeting_without_name() {
    let cases = [
        (Mail::german().replace("Hallo Anna,", "Hallo ,"), "Hallo ,"),
        (Mail::german().replace("Hallo Anna,", "Hallo  ,"), "Hallo  ,"),
        (Mail::german().replace("Hallo Anna,", "Sehr geehrte Frau ,"), "Sehr geehrte Frau ,"),
        (Mail::german().replace("Hallo Anna,", "Liebe ,"), "Liebe ,"),
        (Mail::german().replace("Hallo Anna,", "Guten Tag ,"), "Guten Tag ,"),
        (Mail::english().replace("Hi Anna,", "Dear ,"), "Dear ,"),
        (Mail::english().replace("Hi Anna,", "Hi ,"), "Hi ,"),
        (Mail::english().replace("Hi Anna,", "Hello !"), "Hello !"),
        (Mail::english().replace("Hi Anna,", "Dear Mr ,"), "Dear Mr ,"),
    ];
    for (mail, greeting) in cases {
        let f = expect_one(&mail.lint(), "merge-tag-fallback", Severity::Warning, "text part line 1");
        assert!(f.message.contains(&format!("\"{greeting}\"")), "{f:?}");
    }
    let html_only = Mail::german().no_text().replace("Hallo Anna,", "Hallo&nbsp;,");
    expect_one(&html_only.lint(), "merge-tag-fallback", Severity::Warning, "html line 14");
    let subject = Mail::german().subject(", Ihr Rabatt wartet");
    expect_one(&subject.lint(), "merge-tag-fallback", Severity::Warning, "header Subject");
    let fine = [
        Mail::german().replace("Hallo Anna,", "Hallo,"),
        Mail::german().replace("Hallo Anna,", "Hallo zusammen,"),
        Mail::german().replace("Hallo Anna,", "Sehr geehrte Damen und Herren,"),
        Mail::german().replace("Viele Grüße", "Liebe Grüße,"),
        Mail::english().replace("Hi Anna,", "Hi there,"),
        Mail::english().replace("Hi Anna,", "Hello!"),
        Mail::english().replace("Hi Anna,", "Dear customer,"),
    ];
    for mail in fine {
        expect_clean(&mail.lint());
    }
}

#[test]
fn attachment_mentioned_but_missing() {
    let mentions = [
        (Mail::german().say("Ihre Rechnung finden Sie im Anhang."), "text part line 1", "im Anhang"),
        (Mail::german().say("Anbei unser neuer Katalog."), "text part line 1", "Anbei"),
        (Mail::german().say("Das beigefügte PDF zeigt alle Preise."), "text part line 1", "beigefügte"),
        (Mail::english().say("Please find attached our new price list."), "text part line 1", "attached"),
        (Mail::english().say("The attachment shows all prices."), "text part line 1", "attachment"),
        (Mail::german().subject("Ihr Katalog (PDF im Anhang)"), "header Subject", "im Anhang"),
        (Mail::german().no_text().say("Die Preisliste ist angehängt."), "html line", "angehängt"),
    ];
    for (mail, location, phrase) in mentions {
        let f = expect_one(&mail.lint(), "attachment-missing", Severity::Error, location);
        assert!(f.message.contains(&format!("\"{phrase}\"")), "{f:?}");
        // With a file attached, all is well.
        expect_none(&mail.attach("katalog.pdf", "application/pdf").lint(), "attachment-missing");
    }
    let look_alikes = [
        "Neue Anhänger für Ihr E-Bike – jetzt im Shop.",
        "Jetzt anbeißen: die Angelsaison beginnt.",
        "Unser Verein und sein Anhang feiern.",
        "No strings attached: cancel anytime.",
        "We are deeply attached to our community.",
        "Our attachment to the region goes back 50 years.",
        "A semi-detached house with garden.",
        "Ganz ohne Anhang: alle Infos stehen in dieser E-Mail.",
        "No attachment needed: everything is in this email.",
    ];
    for line in look_alikes {
        expect_none(&Mail::german().say(line).lint(), "attachment-missing");
    }
}

/// A picture inside the HTML (`multipart/related`, with a `Content-ID`) is no attachment; a PDF
/// that Apple Mail sends `inline` with a file name is one.
#[test]
fn inline_parts_and_attachments() {
    let message = |image_headers: &str| {
        format!(
            "From: Beispiel Shop <news@beispiel-shop.de>\r\nTo: anna@gmail.com\r\nSubject: Rechnung\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n<p>Ihre Rechnung finden Sie im Anhang.</p>\
             <img src=\"cid:logo@x\" alt=\"Logo\">\r\n--rel\r\n{image_headers}\r\nContent-Transfer-Encoding: \
             base64\r\n\r\niVBORw0KGgo=\r\n--rel--\r\n"
        )
    };
    let opts = LintOptions { kind: MessageKind::Transactional, today: today() };
    let inline_image = message("Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline");
    let findings = lint_message(inline_image.as_bytes(), &opts);
    expect_one(&findings, "attachment-missing", Severity::Error, "html line 1");
    expect_none(&findings, "link-invalid");
    let inline_pdf = message("Content-Type: application/pdf\r\nContent-Disposition: inline; filename=\"r.pdf\"");
    expect_none(&lint_message(inline_pdf.as_bytes(), &opts), "attachment-missing");
}

#[test]
fn offer_dates_in_the_past() {
    let cases = [
        (Mail::german().say("Gutschein gültig bis 01.10.2026."), "text part line 1", "bis 01.10.2026"),
        (Mail::german().say("Nur bis 30. September 2026!"), "text part line 1", "bis 30. September 2026"),
        (Mail::german().say("Das Angebot endet am 14.10.2026."), "text part line 1", "endet am 14.10.2026"),
        (Mail::english().say("Offer ends 1 Oct 2026."), "text part line 1", "ends 1 Oct 2026"),
        (Mail::english().say("Valid through 10/01/2026."), "text part line 1", "Valid through 10/01/2026"),
        (
            Mail::english().say("The code expires on October 3rd, 2026."),
            "text part line 1",
            "expires on October 3rd, 2026",
        ),
        (Mail::english().say("Sale until 2026-10-14"), "text part line 1", "until 2026-10-14"),
        (Mail::german().subject("Nur bis 30.09.: 20 % auf Jacken"), "header Subject", "bis 30.09."),
    ];
    for (mail, location, snippet) in cases {
        let f = expect_one(&mail.lint(), "date-in-past", Severity::Warning, location);
        assert!(f.message.contains(&format!("\"{snippet}\"")) && f.message.contains("2026-10-15"), "{f:?}");
    }
    let fine = [
        "Ihre Bestellung vom 01.10.2026 ist unterwegs.",
        "Kunde seit 2019 – danke für Ihre Treue!",
        "Gültig bis 15.10.2026, also nur noch heute.",
        "Das Gewinnspiel endete am 01.10.2026; hier sind die Gewinner.",
        "Öffnungszeiten: Mo bis Fr 9 bis 18 Uhr.",
        "Order placed on 1 October 2026, shipped 2 October 2026.",
        "Valid until 11/10/2026 in all stores.",
        "Gültig bis 05.01. (nächstes Jahr)",
    ];
    for line in fine {
        expect_none(&Mail::german().say(line).lint(), "date-in-past");
    }
}

#[test]
fn postal_address_missing() {
    let without = Mail::german()
        .replace("Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin\n", "Beispiel Shop GmbH\n")
        .replace("Beispiel Shop GmbH · Hauptstraße 1 · 10115 Berlin", "Beispiel Shop GmbH");
    let f = expect_one(&without.lint(), "sender-identity-missing", Severity::Error, "message");
    assert!(f.message.contains("postal address"), "{f:?}");
    expect_none(&without.lint_as(MessageKind::Transactional), "sender-identity-missing");
    let english = Mail::english().replace("Example Shop Ltd, 10 Market Street, Manchester M1 1AE", "Example Shop Ltd");
    expect_one(&english.lint(), "sender-identity-missing", Severity::Error, "message");

    let addresses = [
        "Beispiel Shop GmbH, Postfach 10 20 30, Berlin",
        "Beispiel AG · Bahnhofplatz 1 · Zürich",
        "Beispiel GmbH | A-1010 Wien",
        "Example Inc., Springfield, IL 62704",
        "Example Ltd, London SW1A 2AA",
        "Beispiel GmbH, Karl-Marx-Allee 5",
    ];
    for address in addresses {
        let mail = without.clone().replace("Beispiel Shop GmbH\n", &format!("{address}\n"));
        expect_none(&mail.lint(), "sender-identity-missing");
    }
    // In the HTML alone is enough.
    let html_only = Mail::german().replace("Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin\n", "");
    expect_none(&html_only.lint(), "sender-identity-missing");
}
