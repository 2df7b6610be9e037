//! DKIM end to end against the real binary: `kurier dkim keygen` makes a key, `kurier serve` signs
//! every mail it puts into the outbox with the configured keys, `kurier dkim records` prints the DNS
//! records, and mail-auth verifies the outbox's bytes against exactly those records.

mod common;

use common::{App, kurier};
use kurier_mail::dkim::testing::Records;
use mail_auth::DkimResult;
use serde_json::json;

const RSA_PEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mail/tests/dkim/rsa2048-pkcs8.test-only.pem");

/// `name  TXT  "record"` lines as `kurier dkim keygen` and `records` print them.
fn parse_records(output: &str) -> Records {
    Records::from_pairs(
        output
            .lines()
            .filter_map(|l| l.split_once("  TXT  "))
            .map(|(name, record)| (name.to_string(), record.trim_matches('"').to_string())),
    )
}

#[tokio::test]
async fn system_mail_is_signed_with_the_configured_keys() {
    let keys = tempfile::tempdir().unwrap();
    let ed = keys.path().join("ed.pem");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = kurier();
        cmd.args(args).arg("--data-dir").arg(keys.path()).env("KURIER_SENDER_ADDRESS", "news@shop.example.de");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let made = run(&["dkim", "keygen", "--selector", "e1", "--out", ed.to_str().unwrap()], &[]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let made = String::from_utf8(made.stdout).unwrap();
    assert!(made.contains("e1._domainkey.shop.example.de  TXT  \"v=DKIM1; k=ed25519; p="), "{made}");
    // Never over an existing key.
    let again = run(&["dkim", "keygen", "--selector", "e1", "--out", ed.to_str().unwrap()], &[]);
    assert!(!again.status.success());

    let spec = format!("e1:{}, k1:{RSA_PEM}", ed.display());
    let listed = run(&["dkim", "records"], &[("KURIER_DKIM_KEYS", &spec)]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.contains("k1._domainkey.shop.example.de  TXT  \"v=DKIM1; k=rsa; p="), "{listed}");
    let records = parse_records(&listed);
    assert_eq!(records.len(), 2, "{listed}");

    let app = App::spawn(&[("KURIER_DKIM_KEYS", &spec)]);
    app.create_list(json!({"name": "news", "language": "de", "consent_text": "Ja, bitte."})).await;
    let form = [("email", "anna@example.org"), ("consent", "yes")];
    let res = app.http.post(app.url("/subscribe/news")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let msgs = app.wait_outbox(1).await;
    let raw = app.raw(msgs[0]["id"].as_str().unwrap()).await;
    let head = String::from_utf8_lossy(&raw).split_once("\r\n\r\n").unwrap().0.to_string();
    assert!(head.starts_with("DKIM-Signature: v=1; a=ed25519-sha256;"), "{head}");
    assert_eq!(head.matches("DKIM-Signature:").count(), 2, "{head}");

    // The outbox holds what is sent: both signatures verify, against the printed records.
    assert_eq!(records.verify(&raw).await, [DkimResult::Pass, DkimResult::Pass]);
    // And a changed byte in the body breaks them.
    let mut tampered = raw.clone();
    let at = tampered.len() - 10;
    tampered[at] ^= 1;
    let results = records.verify(&tampered).await;
    assert!(results.iter().all(|r| r != &DkimResult::Pass), "{results:?}");
}

#[test]
fn bad_dkim_settings_stop_start_up_and_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = kurier()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("KURIER_SENDER_ADDRESS", "news@shop.example.de")
        .env("KURIER_DKIM_KEYS", "k1:/nonexistent/dkim.pem")
        .env("KURIER_DKIM_DOMAIN", "other.example.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`dkim_keys`") && err.contains("cannot read /nonexistent/dkim.pem"), "{err}");
    assert!(err.contains("`dkim_domain` other.example.com does not align with"), "{err}");
}
