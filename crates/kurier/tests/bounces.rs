//! Bounces and complaints end to end, against the real binary: a DSN arrives at the inbound SMTP
//! server, a complaint by Mailgun webhook; the API then shows suppressions, feedback and rates.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::App;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONSENT: &str = "Ja, ich möchte den Newsletter erhalten.";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Sends `message` to `rcpt` with the null sender, over a plain SMTP session.
fn smtp_send(port: u16, rcpt: &str, message: &str) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut read = BufReader::new(stream.try_clone().unwrap());
    let mut write = stream;
    let mut reply = |expect: &str| {
        loop {
            let mut line = String::new();
            read.read_line(&mut line).unwrap();
            assert!(line.starts_with(expect), "expected {expect}, got {line:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        }
    };
    reply("220");
    for (cmd, expect) in [
        ("EHLO mx.example.net", "250"),
        ("MAIL FROM:<>", "250"),
        (&format!("RCPT TO:<{rcpt}>")[..], "250"),
        ("DATA", "354"),
    ] {
        write.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        reply(expect);
    }
    write.write_all(message.replace("\n", "\r\n").as_bytes()).unwrap();
    write.write_all(b"\r\n.\r\n").unwrap();
    reply("250");
    write.write_all(b"QUIT\r\n").unwrap();
    reply("221");
}

async fn wait_for(app: &App, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let res = app.api(reqwest::Method::GET, path).send().await.unwrap();
        if res.status() == StatusCode::OK {
            let v: Value = res.json().await.unwrap();
            if ok(&v) {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "{path} did not get there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_bounce_by_smtp_and_a_complaint_by_webhook_are_acted_on() {
    let port = free_port();
    let app = App::spawn(&[
        ("KURIER_INBOUND_LISTEN", &format!("127.0.0.1:{port}")),
        ("KURIER_BOUNCE_DOMAIN", "bounces.shop.example.de"),
        ("KURIER_MAILGUN_SIGNING_KEY", "key-mailgun-test"),
    ]);
    assert_eq!(app.create_list(json!({"name": "news", "consent_text": CONSENT})).await.status(), StatusCode::CREATED);
    let mut other = json!({"name": "offers", "consent_text": CONSENT});
    other["double_opt_in"] = json!(false);
    assert_eq!(app.create_list(other).await.status(), StatusCode::CREATED);
    for (list, email) in [("news", "anna@example.org"), ("news", "ben@example.org"), ("offers", "ben@example.org")] {
        let fields = [("email", email), ("consent", "yes")];
        let res = app.http.post(app.url(&format!("/subscribe/{list}"))).form(&fields).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let msgs = app.wait_outbox(2).await;
    let to = |addr: &str| msgs.iter().find(|m| m["to"] == addr && m["subject"].as_str().is_some()).unwrap().clone();
    let anna = to("anna@example.org");
    let return_path = anna["envelope_from"].as_str().unwrap();
    assert!(return_path.ends_with("@bounces.shop.example.de"), "{return_path}");

    let dsn = format!(
        "From: MAILER-DAEMON@mx.example.org\nTo: {return_path}\nSubject: Undelivered Mail Returned to Sender\n\
         MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nThe mail system could not deliver your message.\n\n\
         --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
         Final-Recipient: rfc822; anna@example.org\nAction: failed\nStatus: 5.1.1\n\
         Diagnostic-Code: smtp; 550 5.1.1 <anna@example.org>: Recipient address rejected: User unknown\n\n--b--"
    );
    smtp_send(port, return_path, &dsn);
    let sup = wait_for(&app, "/suppressions/anna@example.org", |_| true).await;
    assert_eq!(sup["reason"], "hard_bounce");
    let fb = app.get_json("/feedback?email=anna@example.org").await;
    let event = &fb["feedback"][0];
    assert_eq!((event["kind"].as_str(), event["reason"].as_str()), (Some("hard_bounce"), Some("userunknown")));
    assert_eq!((event["attributed_by"].as_str(), event["action"].as_str()), (Some("verp"), Some("suppressed")));
    assert_eq!(event["message"], anna["id"]);

    // Ben complains through Mailgun about his confirmation mail: unsubscribed from every list.
    let ben = to("ben@example.org");
    let message_id = format!("{}@shop.example.de", ben["id"].as_str().unwrap());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"key-mailgun-test").unwrap();
    mac.update(b"1764064800tok-1");
    let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let body = json!({
        "signature": {"timestamp": "1764064800", "token": "tok-1", "signature": sig},
        "event-data": {"event": "complained", "recipient": "ben@example.org",
                       "message": {"headers": {"message-id": message_id}}}
    });
    let res = app.http.post(app.url("/webhooks/mailgun")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let forged = app.http.post(app.url("/webhooks/mailgun")).json(&json!({"signature": {}})).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let sup = wait_for(&app, "/suppressions/ben@example.org", |_| true).await;
    assert_eq!(sup["reason"], "complaint");
    let contact = app.get_json("/contacts/ben@example.org").await;
    let subs = contact["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| s["status"] == "unsubscribed"), "{contact}");
    let ledger = app.get_json("/contacts/ben@example.org/consent").await;
    let text = ledger.to_string();
    assert!(text.contains("complaint"), "the ledger says why: {text}");

    let inbound = app.get_json("/inbound").await;
    assert_eq!(inbound["inbound"]["done"], 2, "{inbound}");
    let rates = app.get_json("/rates").await;
    assert_eq!(rates["window_days"], 30);
    assert_eq!(rates["thresholds"]["bounce"]["critical"], 0.05);
    assert!(app.get_json("/alerts").await["alerts"].is_array());
    // Resolving by hand: unknown alerts are 404, ids must be numbers.
    let res = app.api(reqwest::Method::POST, "/alerts/999999/resolve").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.api(reqwest::Method::POST, "/alerts/first/resolve").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["detail"], "alert id \"first\" is not a number", "{problem}");
    let status = app.stop();
    assert!(status.success(), "{status:?}");
}
