//! `kurier lint`: exit codes, JSON lines and the readable list, on messages written to a temp dir.

mod common;

use std::path::Path;
use std::process::Output;

use common::kurier;
use serde_json::Value;

const CLEAN: &str = "From: Beispiel Shop <news@beispiel-shop.de>\r
To: Anna Muster <anna.muster@gmail.com>\r
Subject: Neue Herbstkollektion: 20 % auf Jacken\r
Date: Thu, 15 Oct 2026 08:00:00 +0000\r
Message-ID: <01HZX8K2Q4@mail.beispiel-shop.de>\r
MIME-Version: 1.0\r
List-Unsubscribe: <https://www.beispiel-shop.de/u/abc123>\r
List-Unsubscribe-Post: List-Unsubscribe=One-Click\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: 8bit\r
\r
Hallo Anna,\r
\r
unsere neue Herbstkollektion ist da. Bis zum 31.10.2026 erhalten Sie 20 % Rabatt auf alle Jacken.\r
\r
Zur Kollektion: https://www.beispiel-shop.de/herbst\r
\r
Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin\r
Newsletter abbestellen: https://www.beispiel-shop.de/u/abc123\r
";

/// The clean message with a merge tag in the subject and without the unsubscribe headers.
fn bad() -> String {
    CLEAN
        .replace("Subject: Neue", "Subject: {{ vorname }}, neue")
        .replace("List-Unsubscribe: <https://www.beispiel-shop.de/u/abc123>\r\n", "")
        .replace("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "")
}

fn run(args: &[&str], file: &Path) -> Output {
    kurier().arg("lint").args(args).arg(file).output().unwrap()
}

fn json_rows(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn exit_codes_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (clean, bad_file) = (dir.path().join("clean.eml"), dir.path().join("bad.eml"));
    std::fs::write(&clean, CLEAN).unwrap();
    std::fs::write(&bad_file, bad()).unwrap();

    let out = run(&["--json", "--today", "2026-10-15"], &bad_file);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = json_rows(&out);
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["severity"].as_str().unwrap(), r["where"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("merge-tag-unresolved", "error", "header Subject"),
            ("unsubscribe-missing", "error", "header List-Unsubscribe"),
        ]
    );
    for r in &rows {
        assert_eq!(r["file"], bad_file.display().to_string());
        assert!(r["message"].as_str().unwrap().len() > 20, "{r}");
    }
    assert!(rows[0]["message"].as_str().unwrap().contains("\"{{ vorname }}\""));

    let out = run(&["--json", "--today", "2026-10-15"], &clean);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(json_rows(&out).is_empty(), "{}", String::from_utf8_lossy(&out.stdout));

    // Warnings alone do not fail: a month later the offer date has passed.
    let out = run(&["--json", "--today", "2026-11-30"], &clean);
    assert_eq!(out.status.code(), Some(0));
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((&rows[0]["rule"], &rows[0]["severity"]), (&Value::from("date-in-past"), &Value::from("warning")));

    // Transactional mail needs no unsubscribe headers; the merge tag is still an error.
    let unsubscribe_only = dir.path().join("transactional.eml");
    std::fs::write(&unsubscribe_only, bad().replace("{{ vorname }}, neue", "Neue")).unwrap();
    assert_eq!(run(&["--today", "2026-10-15"], &unsubscribe_only).status.code(), Some(1));
    let out = run(&["--kind", "transactional", "--today", "2026-10-15"], &unsubscribe_only);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(run(&["--kind", "transactional", "--today", "2026-10-15"], &bad_file).status.code(), Some(1));
}

#[test]
fn readable_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.eml");
    std::fs::write(&file, bad()).unwrap();
    let out = run(&["--today", "2026-10-15"], &file);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("error   merge-tag-unresolved     header Subject: Unresolved merge tag"), "{text}");
    assert!(lines[1].starts_with("error   unsubscribe-missing      header List-Unsubscribe: There is no"), "{text}");
    assert_eq!(lines[2], format!("{}: 2 errors", file.display()));
    let clean = dir.path().join("clean.eml");
    std::fs::write(&clean, CLEAN).unwrap();
    let out = run(&["--today", "2026-10-15"], &clean);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{}: no problems found\n", clean.display()));
}

#[test]
fn unreadable_files_and_template_mode() {
    let missing = Path::new("/nonexistent/kurier-lint-test.eml");
    let out = run(&["--json"], missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/kurier-lint-test.eml") && stderr.contains("cannot read"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.eml");
    std::fs::write(&garbage, [0xff, 0x00, 0xfe]).unwrap();
    let out = run(&["--json"], &garbage);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_rows(&out)[0]["rule"], "message-unreadable");

    let out = kurier().args(["lint", "--template", "/nonexistent/welcome.mjml", "--data", "c.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/welcome.mjml: cannot read the template"));
    let out = kurier().args(["lint", "--template", "welcome.mjml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--template needs --data");
    let bad_date = run(&["--today", "15.10.2026"], &garbage);
    assert_eq!(bad_date.status.code(), Some(2), "clap refuses a date that is not YYYY-MM-DD");
    assert_eq!(kurier().arg("lint").output().unwrap().status.code(), Some(2), "a file is required");
}

const TEMPLATE: &str = r#"subject: {{ contact.first_name | default("Hallo") }}, Ihr Warenkorb wartet
---
<mjml><mj-body><mj-section><mj-column>
<mj-text>Hallo {{ contact.first_name }},</mj-text>
<mj-text>Ihr Warenkorb im Wert von {{ cart.total | money }} wartet auf Sie. Wir halten die Artikel noch
zwei Tage für Sie bereit, danach geben wir sie wieder frei. Bei Fragen antworten Sie einfach auf diese
E-Mail, wir helfen gern weiter.</mj-text>
<mj-button href="https://www.beispiel-shop.de/cart">Zum Warenkorb</mj-button>
</mj-column></mj-section></mj-body></mjml>
"#;

/// The configuration a real send would use: the sender and a public unsubscribe address.
fn lint_template(dir: &Path, contacts: &str) -> Output {
    let (template, data) = (dir.join("cart.mjml"), dir.join("contacts.json"));
    std::fs::write(&template, TEMPLATE).unwrap();
    std::fs::write(&data, contacts).unwrap();
    lint_with(&template, &data, "https://news.beispiel-shop.de", "marketing")
}

/// `kurier lint --template` with the sender configured and the given public URL and kind of mail.
fn lint_with(template: &Path, data: &Path, public_url: &str, kind: &str) -> Output {
    kurier()
        .args(["lint", "--json", "--today", "2026-10-15", "--kind", kind, "--template"])
        .arg(template)
        .arg("--data")
        .arg(data)
        .env("KURIER_SENDER_NAME", "Beispiel Shop")
        .env("KURIER_SENDER_ADDRESS", "news@beispiel-shop.de")
        .env("KURIER_SENDER_POSTAL_ADDRESS", "Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin")
        .env("KURIER_PUBLIC_URL", public_url)
        .output()
        .unwrap()
}

#[test]
fn template_mode_renders_every_contact_and_lints_each_message() {
    let dir = tempfile::tempdir().unwrap();
    // Each contact with its whole template data (a flat contact would become `{"contact": ...}`).
    let ok = r#"[{"contact": {"first_name": "Anna", "email": "anna@gmail.com"}, "cart": {"total": "19.90"}},
                 {"contact": {"first_name": "Ben", "email": "ben@web.de"}, "cart": {"total": 5}}]"#;
    let out = lint_template(dir.path(), ok);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json_rows(&out).iter().all(|r| r["severity"] != "error"), "{}", String::from_utf8_lossy(&out.stdout));

    // Contact 2 has an empty first name (the greeting has no default), contact 3 no cart at all.
    let bad = r#"[{"contact": {"first_name": "Anna", "email": "anna@gmail.com"}, "cart": {"total": 1}},
                  {"contact": {"first_name": "", "email": "ben@web.de"}, "cart": {"total": 1}},
                  {"contact": {"first_name": "Cem", "email": "cem@gmx.de"}}]"#;
    let out = lint_template(dir.path(), bad);
    assert_eq!(out.status.code(), Some(1));
    let rows = json_rows(&out);
    let got: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["rule"].as_str().unwrap(), r["where"].as_str().unwrap())).collect();
    assert!(got.iter().any(|(r, w)| *r == "merge-tag-fallback" && w.starts_with("contact #2:")), "{got:?}");
    assert!(got.iter().any(|(r, w)| *r == "merge-tag-unresolved" && w.starts_with("contact #3:")), "{got:?}");
    let fallback = rows.iter().find(|r| r["rule"] == "merge-tag-fallback").unwrap();
    assert!(fallback["message"].as_str().unwrap().contains("contact.first_name"), "{fallback}");
    let unresolved = rows.iter().find(|r| r["rule"] == "merge-tag-unresolved").unwrap();
    assert!(unresolved["message"].as_str().unwrap().contains("cart.total"), "{unresolved}");

    // A sender without a postal address cannot send marketing mail.
    let no_address = r#"{"sender": {"name": "Shop", "address": "news@beispiel-shop.de", "postal_address": ""},
                         "contacts": [{"contact": {"first_name": "Anna"}, "cart": {"total": 1}}]}"#;
    let rows = json_rows(&lint_template(dir.path(), no_address));
    assert_eq!(rows[0]["rule"], "sender-identity-missing", "{rows:?}");

    // Data that is not JSON is refused with the file's name.
    let out = lint_template(dir.path(), "[{");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("contacts.json: not valid JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unreachable_public_url_is_one_finding_about_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (template, data) = (dir.path().join("cart.mjml"), dir.path().join("contacts.json"));
    std::fs::write(&template, TEMPLATE).unwrap();
    std::fs::write(
        &data,
        r#"[{"contact": {"first_name": "Anna", "email": "anna@gmail.com"}, "cart": {"total": "19.90"}},
            {"contact": {"first_name": "Ben", "email": "ben@web.de"}, "cart": {"total": 5}}]"#,
    )
    .unwrap();
    let run = |public_url: &str, kind: &str| {
        let out = lint_with(&template, &data, public_url, kind);
        let rows = json_rows(&out);
        (out.status.code(), rows.iter().map(|r| r["rule"].as_str().unwrap().to_string()).collect::<Vec<_>>(), rows)
    };
    // The quick start's address, a private one and a plain-http one: the same single error, naming
    // the setting, instead of a broken link and a missing one-click header in every message.
    for (url, says) in [
        ("http://127.0.0.1:8080", "127.0.0.1, a private or local IP address"),
        ("https://kurier.internal", "kurier.internal"),
        ("http://news.beispiel-shop.de", "is not https"),
    ] {
        let (code, rules, rows) = run(url, "marketing");
        assert_eq!(code, Some(1), "{url}: {rows:?}");
        assert_eq!(rules, ["public-url-unreachable"], "{url}: {rows:?}");
        let message = rows[0]["message"].as_str().unwrap();
        assert!(message.contains(says) && message.contains("KURIER_PUBLIC_URL"), "{message}");
        assert_eq!(rows[0]["where"], "configuration: public_url");
    }
    // Transactional mail has no unsubscribe link, and a public https address is fine.
    assert_eq!(run("http://127.0.0.1:8080", "transactional").1, Vec::<String>::new());
    let (code, rules, _) = run("https://news.beispiel-shop.de", "marketing");
    assert_eq!((code, rules), (Some(0), vec![]));
}
