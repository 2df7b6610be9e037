//! End to end through a real SMTP server: the double opt-in mail leaves through Postfix's
//! `smtp-sink`, and the link in what arrived confirms the subscription. `.ci/run` installs Postfix,
//! starts `smtp-sink -d DIR` on a free port and sets `KURIER_TEST_SMTP_SINK` (host:port) and
//! `KURIER_TEST_SMTP_SINK_DIR`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{App, header, link_in};
use serde_json::json;

fn dumped_message_to(dir: &Path, rcpt: &str) -> Option<(String, Vec<u8>)> {
    for entry in std::fs::read_dir(dir).ok()? {
        let bytes = std::fs::read(entry.ok()?.path()).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        if text.contains(&format!("X-Rcpt-Args: <{rcpt}>")) {
            // smtp-sink writes its own X-* and Received lines above the message as it arrived.
            let mail_args = text.lines().find_map(|l| l.strip_prefix("X-Mail-Args: ")).unwrap_or_default().to_string();
            let start = text.find("\nFrom: ").map_or(0, |i| i + 1);
            return Some((mail_args, bytes[start..].to_vec()));
        }
    }
    None
}

#[tokio::test]
#[ignore = "needs Postfix smtp-sink via KURIER_TEST_SMTP_SINK and KURIER_TEST_SMTP_SINK_DIR; .ci/run runs it"]
async fn double_opt_in_mail_travels_through_smtp_sink() {
    let sink = std::env::var("KURIER_TEST_SMTP_SINK").expect("KURIER_TEST_SMTP_SINK=host:port");
    let dir = std::env::var("KURIER_TEST_SMTP_SINK_DIR").expect("KURIER_TEST_SMTP_SINK_DIR");
    let app = App::spawn(&[("KURIER_SMTP_URL", &format!("smtp://{sink}?pool=2"))]);
    assert_eq!(
        app.create_list(json!({"name": "news", "language": "en", "consent_text": "Yes, send me news."})).await.status(),
        201
    );
    // A unique recipient, so runs against the same sink cannot see each other's mail.
    let rcpt = format!("e2e-{}@example.org", std::process::id());
    let res = app
        .http
        .post(app.url("/subscribe/news"))
        .form(&[("email", rcpt.as_str()), ("name", "Erin Example"), ("consent", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let msgs = app.wait_outbox(1).await;
    assert_eq!(msgs[0]["state"], "sent", "{}", msgs[0]);
    let id = msgs[0]["id"].as_str().unwrap().to_string();
    let entry = app.get_json(&format!("/outbox/{id}")).await;
    let events: Vec<_> = entry["events"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(events, ["ready", "sending", "sent"]);
    assert!(entry["events"][2]["cause"].as_str().unwrap().starts_with("250"), "{entry}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let (mail_from, arrived) = loop {
        if let Some(found) = dumped_message_to(Path::new(&dir), &rcpt) {
            break found;
        }
        assert!(Instant::now() < deadline, "no message for {rcpt} in {dir}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        mail_from.starts_with(&format!("<{}", entry["envelope_from"].as_str().unwrap())),
        "VERP MAIL FROM: {mail_from}"
    );
    let raw = app.raw(&id).await;
    assert_eq!(header(&arrived, "Message-ID"), header(&raw, "Message-ID"));
    assert_eq!(header(&arrived, "Subject"), header(&raw, "Subject"));

    // The link in what arrived confirms the subscription.
    let confirm = link_in(&arrived, &app.url("/confirm/"));
    assert_eq!(app.http.post(&confirm).send().await.unwrap().status(), 200);
    let contact = app.get_json(&format!("/contacts/{rcpt}")).await;
    assert_eq!(contact["subscriptions"][0]["status"], "confirmed");
    // And the welcome mail follows, through the sink too.
    let msgs = app.wait_outbox(2).await;
    assert!(msgs.iter().all(|m| m["state"] == "sent"), "{msgs:?}");
    assert!(app.stop().success());
}
