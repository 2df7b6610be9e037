//! Provider webhooks: each is stored only with a valid signature (or credentials), once, as it came.
//! SNS signing certificates come from a local server standing in for sns.<region>.amazonaws.com.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use kurier_core::{EmailAddress, Secret};
use kurier_mail::SenderIdentity;
use kurier_store::{InboundFormat, Store};
use kurier_web::{FetchRule, SesWebhook, WebConfig, Webhooks, router};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};
use sha2::Sha256;
use tower::ServiceExt as _;

const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:kurier-bounces";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct App {
    store: Store,
    router: axum::Router,
    _dir: tempfile::TempDir,
    sendgrid: EcdsaKeyPair,
    /// Base URL of the local server that hands out the SNS certificate and confirms subscriptions.
    sns_base: String,
    confirmations: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let secret = Secret::new(vec![5; 32]).unwrap();
    let store = Store::open(&url, secret.clone()).await.unwrap();

    let confirmations = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = confirmations.clone();
    let cert = include_str!("fixtures/sns-test-cert.pem");
    let sns = axum::Router::new().route("/cert.pem", axum::routing::get(move || async move { cert })).route(
        "/confirm",
        axum::routing::get(move || async move {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            "<ConfirmSubscriptionResponse/>"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sns_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, sns).await.unwrap() });

    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let sendgrid = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // SubjectPublicKeyInfo of a P-256 key: the fixed algorithm header, then the point.
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    spki.extend_from_slice(sendgrid.public_key().as_ref());

    let sender = SenderIdentity {
        name: "Laden".into(),
        address: EmailAddress::parse("news@example.org").unwrap(),
        postal_address: "Hauptstr. 1, 10115 Berlin".into(),
        reply_to: None,
    };
    let mut config = WebConfig::new("http://127.0.0.1:8080".parse().unwrap(), "token".into(), sender);
    config.webhooks = Webhooks {
        ses: Some(SesWebhook { topic_arns: vec![TOPIC.into()], fetch_rule: FetchRule::Prefix(sns_base.clone()) }),
        postmark: Some(("postmark".into(), "s3cret".into())),
        sendgrid_key: Some(B64.encode(&spki)),
        mailgun_key: Some("mailgun-signing-key".into()),
    };
    App { router: router(store.clone(), secret, config), store, _dir: dir, sendgrid, sns_base, confirmations }
}

impl App {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: impl Into<Vec<u8>>) -> (StatusCode, Value) {
        let mut req = Request::post(path);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = req.extension(axum::extract::ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 9))));
        let res = self.router.clone().oneshot(req.body(Body::from(body.into())).unwrap()).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// The stored items, oldest first: (format, payload).
    async fn stored(&self) -> Vec<(InboundFormat, Vec<u8>)> {
        let items = self.store.claim_inbound("test", Utc::now(), Duration::from_secs(60), 100).await.unwrap();
        items.into_iter().map(|i| (i.format, i.payload)).collect()
    }

    fn sns(&self, kind: &str, message: &str, id: &str) -> Value {
        let mut m = json!({
            "Type": kind, "MessageId": id, "TopicArn": TOPIC, "Message": message,
            "Timestamp": "2026-11-25T10:00:00.000Z", "SignatureVersion": "2",
            "SigningCertURL": format!("{}/cert.pem", self.sns_base),
        });
        if kind == "SubscriptionConfirmation" {
            m["Token"] = json!("tok");
            m["SubscribeURL"] = json!(format!("{}/confirm", self.sns_base));
        }
        let mut fields = vec![("Message", message.to_string()), ("MessageId", id.to_string())];
        if kind != "Notification" {
            fields.push(("SubscribeURL", m["SubscribeURL"].as_str().unwrap().to_string()));
        }
        fields.push(("Timestamp", "2026-11-25T10:00:00.000Z".into()));
        if kind != "Notification" {
            fields.push(("Token", "tok".into()));
        }
        fields.push(("TopicArn", TOPIC.into()));
        fields.push(("Type", kind.into()));
        let text: String = fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect();
        let key = RsaKeyPair::from_pkcs8(include_bytes!("fixtures/sns-test-key.pk8")).unwrap();
        let mut sig = vec![0; key.public().modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), text.as_bytes(), &mut sig).unwrap();
        m["Signature"] = json!(B64.encode(sig));
        m
    }
}

const SES_BOUNCE: &str = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"a@example.com"}]},"mail":{}}"#;

#[tokio::test]
async fn ses_notifications_via_sns_are_verified_and_stored_once() {
    let app = app().await;
    let note = app.sns("Notification", SES_BOUNCE, "m-1");
    let (status, _) = app.post("/webhooks/ses", &[], note.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post("/webhooks/ses", &[], note.to_string()).await;
    assert_eq!(status, StatusCode::OK, "SNS retries are answered, not stored again");
    assert_eq!(app.stored().await, vec![(InboundFormat::Ses, SES_BOUNCE.as_bytes().to_vec())]);

    // Altered message, unknown topic, certificate from elsewhere: refused.
    let mut altered = app.sns("Notification", SES_BOUNCE, "m-2");
    altered["Message"] = json!(SES_BOUNCE.replace("a@example.com", "victim@example.com"));
    let (status, body) = app.post("/webhooks/ses", &[], altered.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "the SNS signature does not verify");
    let mut topic = app.sns("Notification", SES_BOUNCE, "m-3");
    topic["TopicArn"] = json!("arn:aws:sns:eu-central-1:999999999999:someone-else");
    assert_eq!(app.post("/webhooks/ses", &[], topic.to_string()).await.0, StatusCode::FORBIDDEN);
    let mut cert = app.sns("Notification", SES_BOUNCE, "m-4");
    cert["SigningCertURL"] = json!("https://evil.example/cert.pem");
    assert_eq!(app.post("/webhooks/ses", &[], cert.to_string()).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = app.post("/webhooks/ses", &[], "{\"Type\": 1}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().starts_with("not an SNS message"), "{body}");
    assert!(app.stored().await.is_empty());

    // A subscription confirmation is confirmed by fetching SubscribeURL; nothing is stored.
    let confirm = app.sns("SubscriptionConfirmation", "You have chosen to subscribe", "m-5");
    assert_eq!(app.post("/webhooks/ses", &[], confirm.to_string()).await.0, StatusCode::OK);
    assert_eq!(app.confirmations.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(app.stored().await.is_empty());
}

#[tokio::test]
async fn postmark_needs_its_credentials() {
    let app = app().await;
    let body = r#"{"RecordType":"Bounce","Type":"HardBounce","Email":"a@example.com","ID":42}"#;
    let good = format!("Basic {}", B64.encode("postmark:s3cret"));
    let bad = format!("Basic {}", B64.encode("postmark:guess"));
    assert_eq!(app.post("/webhooks/postmark", &[], body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/webhooks/postmark", &[("authorization", bad)], body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/webhooks/postmark", &[("authorization", good.clone())], body).await.0, StatusCode::OK);
    let (status, problem) = app.post("/webhooks/postmark", &[("authorization", good)], "{oops").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["detail"].as_str().unwrap().starts_with("the body is not JSON"));
    assert_eq!(app.stored().await, vec![(InboundFormat::Postmark, body.as_bytes().to_vec())]);
}

#[tokio::test]
async fn sendgrid_signatures_are_checked_over_timestamp_and_body() {
    let app = app().await;
    let body = r#"[{"email":"a@example.com","event":"bounce","type":"bounce","status":"5.1.1","timestamp":1}]"#;
    let ts = "1764064800";
    let rng = ring::rand::SystemRandom::new();
    let sig = app.sendgrid.sign(&rng, [ts.as_bytes(), body.as_bytes()].concat().as_slice()).unwrap();
    let headers = [
        ("x-twilio-email-event-webhook-signature", B64.encode(sig.as_ref())),
        ("x-twilio-email-event-webhook-timestamp", ts.to_string()),
    ];
    assert_eq!(app.post("/webhooks/sendgrid", &headers, body).await.0, StatusCode::OK);
    let tampered = body.replace("a@example.com", "b@example.com");
    assert_eq!(app.post("/webhooks/sendgrid", &headers, tampered).await.0, StatusCode::UNAUTHORIZED);
    let mut late = headers.clone();
    late[1].1 = "1764064801".into();
    assert_eq!(app.post("/webhooks/sendgrid", &late, body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post("/webhooks/sendgrid", &[], body).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.stored().await, vec![(InboundFormat::Sendgrid, body.as_bytes().to_vec())]);
}

#[tokio::test]
async fn mailgun_signatures_are_checked_and_tokens_used_once() {
    let app = app().await;
    let signed = |token: &str, key: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(format!("1764064800{token}").as_bytes());
        let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        json!({
            "signature": {"timestamp": "1764064800", "token": token, "signature": sig},
            "event-data": {"event": "failed", "severity": "permanent", "recipient": "a@example.com"}
        })
        .to_string()
    };
    let body = signed("tok-1", "mailgun-signing-key");
    assert_eq!(app.post("/webhooks/mailgun", &[], body.clone()).await.0, StatusCode::OK);
    assert_eq!(app.post("/webhooks/mailgun", &[], body.clone()).await.0, StatusCode::OK, "a replay is stored once");
    assert_eq!(app.post("/webhooks/mailgun", &[], signed("tok-2", "wrong-key")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.stored().await, vec![(InboundFormat::Mailgun, body.into_bytes())]);
}

#[tokio::test]
async fn unknown_or_unconfigured_providers_are_not_found() {
    let app = app().await;
    assert_eq!(app.post("/webhooks/sparkpost", &[], "{}").await.0, StatusCode::NOT_FOUND);
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()), Secret::new(vec![5; 32]).unwrap())
            .await
            .unwrap();
    let sender = SenderIdentity {
        name: String::new(),
        address: EmailAddress::parse("news@example.org").unwrap(),
        postal_address: String::new(),
        reply_to: None,
    };
    let bare = router(
        store,
        Secret::new(vec![5; 32]).unwrap(),
        WebConfig::new("http://x.test".parse().unwrap(), "t".into(), sender),
    );
    let res = bare.oneshot(Request::post("/webhooks/mailgun").body(Body::from("{}")).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
