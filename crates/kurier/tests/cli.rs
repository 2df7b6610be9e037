//! `kurier import` and `kurier export` against a running server on the same data dir.

mod common;

use common::{App, kurier};
use serde_json::json;

#[tokio::test]
async fn import_and_export_while_the_server_runs() {
    let app = App::spawn(&[]);
    assert_eq!(
        app.create_list(json!({"name": "kunden", "language": "de", "consent_text": "Einwilligung"})).await.status(),
        201
    );
    // Someone who left before must not be re-subscribed by an import; a suppressed address is skipped.
    let res = app
        .api(reqwest::Method::POST, "/suppressions")
        .json(&json!({"email": "gesperrt@example.de"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // Excel style: BOM, semicolons, quoted field with the delimiter, CRLF line ends.
    let csv = "\u{feff}E-Mail;Name;Timezone;Kundennummer;Ort\r\n\
               anna@example.de;Anna Schmidt;Europe/Berlin;K-1;\"Köln; Innenstadt\"\r\n\
               ben@gmial.com;Ben;;K-2;Bonn\r\n\
               not-an-address;X;;K-3;\r\n\
               info@firma.de;;;K-4;\r\n\
               ANNA@example.de;Anna again;;K-5;\r\n\
               gesperrt@example.de;;;K-6;\r\n\
               carla@example.de;Carla;Mars/Base;K-7;\r\n\
               ;;;;\r\n\
               dora@example.de;Dora;America/New_York;K-8;Boston\r\n";
    let file = app.data_dir().join("kunden.csv");
    std::fs::write(&file, csv).unwrap();
    let run = |dry: bool| {
        let mut cmd = kurier();
        cmd.arg("import").arg("--data-dir").arg(app.data_dir());
        cmd.args(["--list", "kunden", "--basis", "contract", "--source", "Shop-Kunden 2026"]);
        if dry {
            cmd.arg("--dry-run");
        }
        cmd.arg(&file).env("KURIER_LOG", "warn").output().unwrap()
    };
    let dry = run(true);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let out = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(out.contains("dry run: nothing stored"), "{out}");
    assert_eq!(app.api(reqwest::Method::GET, "/contacts/anna@example.de").send().await.unwrap().status(), 404);

    let real = run(false);
    assert!(real.status.success(), "{}", String::from_utf8_lossy(&real.stderr));
    let out = String::from_utf8_lossy(&real.stdout).to_string();
    let count = |label: &str| -> u64 {
        let line =
            out.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("{label} in {out}"));
        line.split_whitespace().find_map(|w| w.parse().ok()).unwrap()
    };
    assert_eq!(count("imported:"), 3, "{out}");
    assert_eq!(count("skipped (suppressed):"), 1, "{out}");
    assert_eq!(count("rejected:"), 4, "{out}");
    assert!(out.contains("line 3: ben@gmial.com looks like a typo: did you mean ben@gmail.com?"), "{out}");
    assert!(out.contains("line 4: invalid address \"not-an-address\""), "{out}");
    assert!(out.contains("line 6: anna@example.de is a duplicate of line 2"), "{out}");
    assert!(out.contains("line 8: timezone:"), "{out}");
    assert!(out.contains("line 5: info@firma.de is a role address"), "{out}");

    let anna = app.get_json("/contacts/anna@example.de").await;
    assert_eq!(anna["name"], "Anna Schmidt");
    assert_eq!(anna["timezone"], "Europe/Berlin");
    assert_eq!(anna["attributes"]["ort"], "Köln; Innenstadt");
    assert_eq!(anna["attributes"]["kundennummer"], "K-1");
    assert_eq!(anna["subscriptions"][0]["status"], "confirmed");
    assert_eq!(anna["subscriptions"][0]["basis"], "contract");
    let ledger = app.get_json("/contacts/anna@example.de/consent").await;
    assert_eq!(ledger["consent"][0]["action"], "imported");
    assert_eq!(ledger["consent"][0]["source"], "import: Shop-Kunden 2026");
    assert_eq!(ledger["consent"][0]["basis"], "contract");

    let export =
        kurier().arg("export").arg("--data-dir").arg(app.data_dir()).args(["--list", "kunden"]).output().unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let text = String::from_utf8(export.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("email,name,timezone,status,kundennummer,ort"));
    let rows: Vec<_> = lines.collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.contains(&"anna@example.de,Anna Schmidt,Europe/Berlin,confirmed,K-1,Köln; Innenstadt"), "{text}");

    // A file that is not CSV at all stores nothing and says where it broke.
    std::fs::write(&file, b"email,name\nx@example.de,\"unclosed\n\xff\xfe\n").unwrap();
    let bad = run(false);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("line ") && err.contains("nothing was imported"), "{err}");
    assert_eq!(app.api(reqwest::Method::GET, "/contacts/x@example.de").send().await.unwrap().status(), 404);
}

#[test]
fn import_refuses_unknown_list_and_basis() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.csv");
    std::fs::write(&file, "email\na@example.de\n").unwrap();
    let out = kurier()
        .arg("import")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--list", "nope", "--basis", "consent", "--source", "x"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no list named \"nope\""));
    let out = kurier()
        .arg("import")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--list", "nope", "--basis", "because", "--source", "x"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("basis"), "{}", String::from_utf8_lossy(&out.stderr));
}
