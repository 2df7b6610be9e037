//! STARTTLS, implicit TLS (smtps) and certificate checks against the in-test relay, whose
//! certificate (tests/fixtures) is self-signed for localhost and 127.0.0.1.

mod common;

use common::*;
use kurier_core::DeliveryState;
use kurier_workers::{DeliveryEngine, EngineConfig, Transport};

fn config() -> EngineConfig {
    EngineConfig { node_id: "tls-test".into(), batch_size: 10, ..EngineConfig::default() }
}

async fn deliver_one(url: &str) -> (tempfile::TempDir, kurier_store::Store, kurier_store::NewMessage) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let m = message(1, "anna@example.de", "Grüße, verschlüsselt");
    enqueue(&store, &m).await;
    let engine = DeliveryEngine::new(store.clone(), Transport::from_url(Some(url)).unwrap(), config());
    engine.drain().await.unwrap();
    (dir, store, m)
}

#[tokio::test]
async fn starttls_is_used_when_offered() {
    let relay = Relay::start_with(RelayTls::StartTls).await;
    let url = format!("smtp://mailer:pw@127.0.0.1:{}?insecure=true&pool=1", relay.addr.port());
    let (_dir, store, m) = deliver_one(&url).await;
    assert_eq!(store.outbox_entry(&m.key).await.unwrap().unwrap().state, DeliveryState::Sent);
    assert_eq!(relay.tls_handshakes(), 1);
    assert_eq!(relay.auth_lines().len(), 1, "AUTH after STARTTLS");
    let got = relay.received_for("anna@example.de");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, m.raw);
}

#[tokio::test]
async fn smtps_encrypts_from_the_first_byte() {
    let relay = Relay::start_with(RelayTls::Implicit).await;
    let url = format!("smtps://127.0.0.1:{}?insecure=true&pool=1", relay.addr.port());
    let (_dir, store, m) = deliver_one(&url).await;
    assert_eq!(store.outbox_entry(&m.key).await.unwrap().unwrap().state, DeliveryState::Sent);
    assert_eq!(relay.tls_handshakes(), 1);
    assert_eq!(relay.received_for("anna@example.de")[0].data, m.raw);
}

#[tokio::test]
async fn tls_required_refuses_a_relay_without_starttls() {
    let relay = Relay::start().await;
    let url = format!("smtp://127.0.0.1:{}?tls=required&pool=1", relay.addr.port());
    let (_dir, store, m) = deliver_one(&url).await;
    let entry = store.outbox_entry(&m.key).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Deferred);
    assert!(entry.last_error.unwrap().contains("does not offer STARTTLS"));
    assert!(relay.received().is_empty());
}

#[tokio::test]
async fn an_untrusted_certificate_stops_delivery_instead_of_falling_back_to_plain_text() {
    for tls in [RelayTls::StartTls, RelayTls::Implicit] {
        let relay = Relay::start_with(tls).await;
        let scheme = if tls == RelayTls::Implicit { "smtps" } else { "smtp" };
        let url = format!("{scheme}://localhost:{}?pool=1", relay.addr.port());
        let (_dir, store, m) = deliver_one(&url).await;
        let entry = store.outbox_entry(&m.key).await.unwrap().unwrap();
        assert_eq!(entry.state, DeliveryState::Deferred, "{tls:?}");
        let error = entry.last_error.unwrap();
        assert!(error.starts_with("connect: ") && error.to_lowercase().contains("certificate"), "{tls:?}: {error}");
        assert!(relay.received().is_empty());
    }
}
