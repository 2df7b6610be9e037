//! Sender, recipients, subject and the unsubscribe headers.

use super::*;

#[test]
fn from_invalid() {
    let cases = [
        (None, "no From address"),
        (Some("news@beispiel-shop.de, info@beispiel-shop.de"), "more than one From"),
        (Some("Beispiel Shop <news@localhost>"), "no top-level domain"),
        (Some("Beispiel Shop <news.beispiel-shop.de>"), "has no @"),
        (Some("Beispiel Shop"), "no address"),
        // Domains nobody can own: receivers refuse the mail, replies go nowhere.
        (Some("Beispiel Shop <newsletter@kurier.localhost.localdomain>"), "a name under .localdomain"),
        (Some("Beispiel Shop <news@shop.test>"), "a name under .test"),
        (Some("Beispiel Shop <news@example.com>"), "reserved for examples"),
        (Some("Beispiel Shop <news@192.0.2.1>"), "not a valid domain name"),
    ];
    for (from, want) in cases {
        let findings = Mail::german().header("From", from).lint();
        let f = expect_one(&findings, "from-invalid", Severity::Error, "header From");
        assert!(f.message.contains(want), "{from:?}: {f:?}");
        expect_none(&findings, "sender-identity-missing");
    }
    let mut twice = Mail::german();
    twice.headers.push(("From".into(), "Other <other@beispiel-shop.de>".into()));
    expect_one(&twice.lint(), "from-invalid", Severity::Error, "header From");
    let fine = [
        "news@beispiel-shop.de",
        "\"Beispiel Shop, Berlin\" <news@beispiel-shop.de>",
        "=?utf-8?q?B=C3=BCcherwurm?= <news@xn--bcher-kva.de>",
        "Example <News.Letter+de@Mail.Example-Shop.co.uk>",
        // Look-alikes of reserved names are ordinary domains.
        "Shop <news@example-shop.com>",
        "Shop <news@testshop.de>",
        "Shop <news@localhost-hosting.de>",
    ];
    for from in fine {
        expect_none(&Mail::german().header("From", Some(from)).lint(), "from-invalid");
    }
}

#[test]
fn sender_display_name() {
    for from in
        ["news@beispiel-shop.de", "<news@beispiel-shop.de>", "\"news@beispiel-shop.de\" <news@beispiel-shop.de>"]
    {
        let mail = Mail::german().header("From", Some(from));
        let f = expect_one(&mail.lint(), "sender-identity-missing", Severity::Error, "header From");
        assert!(f.message.contains("display name"), "{f:?}");
        // Transactional mail need not name its sender this way.
        expect_none(&mail.lint_as(MessageKind::Transactional), "sender-identity-missing");
    }
    expect_none(
        &Mail::german().header("From", Some("Büchereck <news@beispiel-shop.de>")).lint(),
        "sender-identity-missing",
    );
}

#[test]
fn reply_to_noreply() {
    let cases = [
        (Some("noreply@beispiel-shop.de"), None, "header Reply-To"),
        (Some("No-Reply <no-reply@beispiel-shop.de>"), None, "header Reply-To"),
        (Some("do_not_reply+news@beispiel-shop.de"), None, "header Reply-To"),
        (None, Some("Beispiel Shop <nicht-antworten@beispiel-shop.de>"), "header From"),
        (None, Some("Beispiel Shop <keine-antwort@beispiel-shop.de>"), "header From"),
        (None, Some("Example <DoNotReply@example-shop.co.uk>"), "header From"),
    ];
    for (reply_to, from, location) in cases {
        let mut mail = Mail::german().header("Reply-To", reply_to);
        if from.is_some() {
            mail = mail.header("From", from);
        }
        expect_one(&mail.lint(), "reply-to-noreply", Severity::Warning, location);
    }
    // A noreply From is fine when replies go to a Reply-To someone reads; `reply@`, `norbert@` are people.
    let fine = [
        ("Beispiel Shop <noreply@beispiel-shop.de>", Some("service@beispiel-shop.de")),
        ("Beispiel Shop <reply@beispiel-shop.de>", None),
        ("Norbert Reply <norbert@beispiel-shop.de>", None),
        ("Beispiel Shop <antworten@beispiel-shop.de>", None),
    ];
    for (from, reply_to) in fine {
        let mail = Mail::german().header("From", Some(from)).header("Reply-To", reply_to);
        expect_none(&mail.lint(), "reply-to-noreply");
    }
}

#[test]
fn recipients_exposed() {
    let exposed = [
        (Some("anna@gmail.com, bob@web.de"), None, "header To"),
        (Some("Anna <anna@gmail.com>"), Some("bob@web.de"), "header Cc"),
        (Some("Kunden: anna@gmail.com, bob@web.de;"), None, "header To"),
        (None, Some("anna@gmail.com, bob@web.de, carl@gmx.de"), "header Cc"),
    ];
    for (to, cc, location) in exposed {
        let findings = Mail::german().header("To", to).header("Cc", cc).lint_as(MessageKind::Transactional);
        expect_one(&findings, "recipients-exposed", Severity::Error, location);
    }
    let private = [
        (Some("undisclosed-recipients:;"), None),
        (Some("Anna Muster <anna.muster@gmail.com>"), None),
        (Some("\"Muster, Anna\" <anna.muster@gmail.com>"), None),
        (Some("Newsletter-Leser:;"), Some("")),
        (None, None),
    ];
    for (to, cc) in private {
        expect_none(&Mail::german().header("To", to).header("Cc", cc).lint(), "recipients-exposed");
    }
    // Copies to the sender's own domain expose no customer (an order confirmation with the order
    // desk in Cc), but two customers beside it are still exposed, and at a mailbox provider the
    // shared domain proves nothing.
    let shop = Mail::german().header("From", Some("Beispiel Shop <news@beispiel-shop.de>"));
    let to_desk = shop.clone().header("To", Some("anna@gmail.com")).header("Cc", Some("bestellungen@beispiel-shop.de"));
    expect_none(&to_desk.lint_as(MessageKind::Transactional), "recipients-exposed");
    let subdomain = shop.clone().header("To", Some("anna@gmail.com")).header("Cc", Some("team@mail.beispiel-shop.de"));
    expect_none(&subdomain.lint_as(MessageKind::Transactional), "recipients-exposed");
    let two = shop.header("To", Some("anna@gmail.com, bob@web.de")).header("Cc", Some("bestellungen@beispiel-shop.de"));
    expect_one(&two.lint_as(MessageKind::Transactional), "recipients-exposed", Severity::Error, "header To");
    let gmail = Mail::german()
        .header("From", Some("Hofladen <hofladen.meier@gmail.com>"))
        .header("To", Some("anna@gmail.com, bob@gmail.com"));
    expect_one(&gmail.lint_as(MessageKind::Transactional), "recipients-exposed", Severity::Error, "header To");
}

#[test]
fn subject_empty() {
    for subject in [None, Some(""), Some("   ")] {
        let findings = Mail::german().header("Subject", subject).lint();
        expect_one(&findings, "subject-empty", Severity::Error, "header Subject");
        expect_none(&findings, "subject-too-long");
    }
    expect_none(&Mail::german().subject("Hi").lint(), "subject-empty");
}

#[test]
fn subject_too_long() {
    let long = "Unsere neue Herbstkollektion ist da: warme Jacken, Pullover und Stiefel für nasse Tage";
    assert!(long.chars().count() > 78);
    let f = expect_one(&Mail::german().subject(long).lint(), "subject-too-long", Severity::Warning, "header Subject");
    assert!(f.message.contains(&format!("{} characters", long.chars().count())), "{f:?}");
    let medium = "Our new autumn collection has arrived: warm jackets and boots";
    assert!((61..=78).contains(&medium.chars().count()));
    expect_one(&Mail::english().subject(medium).lint(), "subject-too-long", Severity::Info, "header Subject");
    // Characters, not bytes: 60 umlauts are 120 bytes but fit.
    expect_none(&Mail::german().subject(&"ä".repeat(60)).lint(), "subject-too-long");
    let encoded = "=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?=";
    expect_none(&Mail::german().subject(encoded).lint(), "subject-too-long");
}

#[test]
fn subject_shouting() {
    let loud = [
        "JETZT ZUGREIFEN: NUR HEUTE 50 % RABATT",
        "LAST CHANCE TO SAVE BIG",
        "Nur heute!!",
        "Haben Sie schon gehört???",
        "Jetzt zugreifen! Nur heute!",
        "Sale ‼",
    ];
    for subject in loud {
        expect_one(&Mail::german().subject(subject).lint(), "subject-shouting", Severity::Warning, "header Subject");
    }
    let calm = [
        "Neu bei XXL: die EU-Kollektion der Beispiel GmbH",
        "USA, UK, EU: free shipping from today",
        "Jetzt zugreifen!",
        "Was gibt es Neues?",
        "NEU",
        "Das iPhone 17 ist da – jetzt bei uns",
        "Ihre Rechnung RE-2026-0042 von der ACME GmbH",
    ];
    for subject in calm {
        expect_none(&Mail::german().subject(subject).lint(), "subject-shouting");
    }
}

#[test]
fn subject_deceptive() {
    for subject in
        ["Re: Ihr Angebot", "RE: Your order", "AW: Frage", "Aw: Frage", "Fwd: Deals", "FW: x", "WG: Sale", "Wtr: x"]
    {
        let findings = Mail::german().subject(subject).lint_as(MessageKind::Transactional);
        let f = expect_one(&findings, "subject-deceptive", Severity::Error, "header Subject");
        assert!(f.message.contains(&format!("\"{}\"", &subject[..subject.find(':').unwrap() + 1])), "{f:?}");
    }
    // A real reply or forward carries In-Reply-To or References.
    let reply = Mail::german().subject("Re: Ihr Angebot").header("In-Reply-To", Some("<abc@kunde.de>"));
    expect_none(&reply.lint(), "subject-deceptive");
    let forward = Mail::german().subject("WG: Sale").header("References", Some("<a@b.de> <c@d.de>"));
    expect_none(&forward.lint(), "subject-deceptive");
    for subject in
        ["Rezepte für den Herbst", "Reminder: your cart", "Awesome deals", "Wegweiser: Sale", "Fwd ist kein Präfix"]
    {
        expect_none(&Mail::german().subject(subject).lint(), "subject-deceptive");
    }
}

#[test]
fn unsubscribe_headers() {
    let f = expect_one(
        &Mail::german().header("List-Unsubscribe", None).lint(),
        "unsubscribe-missing",
        Severity::Error,
        "header List-Unsubscribe",
    );
    assert!(f.message.contains("no List-Unsubscribe header"), "{f:?}");
    let f = expect_one(
        &Mail::german().header("List-Unsubscribe-Post", None).lint(),
        "unsubscribe-missing",
        Severity::Error,
        "header List-Unsubscribe-Post",
    );
    assert!(f.message.contains("RFC 8058"), "{f:?}");
    let wrong_post = Mail::german().header("List-Unsubscribe-Post", Some("List-Unsubscribe=Yes"));
    expect_one(&wrong_post.lint(), "unsubscribe-missing", Severity::Error, "header List-Unsubscribe-Post");
    let bare = Mail::german().header("List-Unsubscribe", Some("https://www.beispiel-shop.de/u/abc123"));
    let f = expect_one(&bare.lint(), "unsubscribe-missing", Severity::Error, "header List-Unsubscribe");
    assert!(f.message.contains("angle brackets"), "{f:?}");

    // mailto alone needs no one-click header; transactional mail needs none of it.
    let mailto = Mail::german()
        .header("List-Unsubscribe", Some("<mailto:unsubscribe@beispiel-shop.de?subject=abc>"))
        .header("List-Unsubscribe-Post", None);
    expect_none(&mailto.lint(), "unsubscribe-missing");
    let transactional = Mail::german().header("List-Unsubscribe", None).header("List-Unsubscribe-Post", None);
    expect_none(&transactional.lint_as(MessageKind::Transactional), "unsubscribe-missing");
    // Folded over two lines, upper-case scheme, spaces in the Post value.
    let folded = Mail::german()
        .header("List-Unsubscribe", Some("<mailto:u@beispiel-shop.de>,\r\n <HTTPS://www.beispiel-shop.de/u/abc>"))
        .header("List-Unsubscribe-Post", Some(" List-Unsubscribe=One-Click "));
    expect_none(&folded.lint(), "unsubscribe-missing");
}

#[test]
fn unsubscribe_link_in_body() {
    let missing = [
        Mail::german()
            .replace("Newsletter abbestellen: https://www.beispiel-shop.de/u/abc123\n", "")
            .replace(r#"<a href="https://www.beispiel-shop.de/u/abc123">Newsletter abbestellen</a>"#, ""),
        Mail::english()
            .replace("Unsubscribe: https://www.example-shop.co.uk/u/abc123\n", "")
            .replace(r#"To unsubscribe, <a href="https://www.example-shop.co.uk/u/abc123">click here</a>."#, ""),
        // The words without a link do not help.
        Mail::german().no_html().replace(
            "Newsletter abbestellen: https://www.beispiel-shop.de/u/abc123\n",
            "Sie können den Newsletter jederzeit abbestellen.\n",
        ),
    ];
    for mail in missing {
        let f = expect_one(&mail.lint(), "unsubscribe-missing", Severity::Error, "message");
        assert!(f.message.contains("no unsubscribe link"), "{f:?}");
    }
    let found = [
        // The words are near the link, or the link is an unsubscribe URL, or its text says so.
        Mail::german().no_text().replace(
            r#"<a href="https://www.beispiel-shop.de/u/abc123">Newsletter abbestellen</a>"#,
            r#"Um sich abzumelden, klicken Sie <a href="https://www.beispiel-shop.de/u/abc123">hier</a>."#,
        ),
        Mail::german().no_text().replace(
            r#"<a href="https://www.beispiel-shop.de/u/abc123">Newsletter abbestellen</a>"#,
            r#"<a href="https://www.beispiel-shop.de/newsletter/abmelden?t=1">Einstellungen</a>"#,
        ),
        Mail::english().no_text().replace(
            r#"To unsubscribe, <a href="https://www.example-shop.co.uk/u/abc123">click here</a>."#,
            r#"<a href="https://www.example-shop.co.uk/optout?t=1">Manage preferences</a>"#,
        ),
        Mail::german().no_html().replace(
            "Newsletter abbestellen: https://www.beispiel-shop.de/u/abc123",
            "Sie möchten keine E-Mails mehr? Hier austragen:\nhttps://www.beispiel-shop.de/u/abc123",
        ),
    ];
    for mail in found {
        expect_none(&mail.lint(), "unsubscribe-missing");
    }
}
