//! The delivery engine against a real (in-test) SMTP server and a real SQLite store.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use kurier_core::{DeliveryState, EmailAddress};
use kurier_store::SuppressionReason;
use kurier_workers::{DeliveryEngine, EngineConfig, Transport};

fn config(batch_size: u32) -> EngineConfig {
    EngineConfig { node_id: "test-node".into(), batch_size, flush_batch: 8, ..EngineConfig::default() }
}

fn smtp(relay: &Relay, extra: &str) -> Transport {
    Transport::from_url(Some(&relay.url(extra))).unwrap()
}

#[tokio::test]
async fn delivers_exact_bytes_with_the_verp_sender_over_reused_connections() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    let msgs: Vec<_> = (0..12)
        .map(|n| message(n, &format!("user{n}@example.de"), if n == 3 { "Grüße aus Köln" } else { "Hello" }))
        .collect();
    for m in &msgs {
        enqueue(&store, m).await;
    }
    let engine = DeliveryEngine::new(store.clone(), smtp(&relay, "&pool=2"), config(5));
    let report = engine.drain().await.unwrap();

    assert_eq!((report.claimed, report.sent, report.deferred, report.released), (12, 12, 0, 0));
    assert_eq!(count(&store, DeliveryState::Sent).await, 12);
    assert_eq!(store.outbox_counts().await.unwrap().len(), 1, "nothing in any other state");
    let received = relay.received();
    assert_eq!(received.len(), 12);
    for m in &msgs {
        let got = relay.received_for(m.to.as_str());
        assert_eq!(got.len(), 1, "{} received once", m.to);
        assert_eq!(got[0].mail_from, m.envelope_from, "MAIL FROM is the VERP address");
        assert!(got[0].mail_from.starts_with("b-"));
        assert_eq!(got[0].rcpt_to, vec![m.to.as_str().to_string()]);
        assert_eq!(got[0].data, m.raw, "the relay got exactly the outbox bytes");
        let expect_8bit = !m.raw.is_ascii();
        assert_eq!(got[0].mail_params.contains("BODY=8BITMIME"), expect_8bit, "{}", got[0].mail_params);
    }
    assert!(relay.connections() <= 2, "{} connections for a pool of 2", relay.connections());
    assert_eq!(relay.quits(), relay.connections(), "every connection ended with QUIT");

    assert_eq!(states(&store, &msgs[0].key).await, [DeliveryState::Ready, DeliveryState::Sending, DeliveryState::Sent]);
    let events = store.message_events(&msgs[0].key).await.unwrap();
    let cause = events.last().unwrap().cause.clone().unwrap();
    assert!(cause.starts_with("250 2.0.0 Ok: queued as Q"), "{cause}");
    assert_eq!(events[1].cause.as_deref(), Some("leased by test-node"));

    let again = engine.drain().await.unwrap();
    assert_eq!(again.claimed, 0, "nothing is sent twice");
    assert_eq!(relay.received().len(), 12);
}

#[tokio::test]
async fn refusals_bounce_fail_or_defer_and_the_connection_survives_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    relay
        .rule("gone@example.de", Rule::Reply(550, "5.1.1 <gone@example.de>: Recipient address rejected: User unknown"));
    relay.rule("busy@example.de", Rule::Reply(450, "4.2.1 Mailbox busy, try again later"));
    relay.rule("far@example.org", Rule::Reply(554, "5.7.1 <far@example.org>: Relay access denied"));
    let (gone, busy, far, fine) = (
        message(1, "gone@example.de", "a"),
        message(2, "busy@example.de", "b"),
        message(3, "far@example.org", "c"),
        message(4, "fine@example.de", "d"),
    );
    for m in [&gone, &busy, &far, &fine] {
        enqueue(&store, m).await;
    }
    let before = now();
    let engine = DeliveryEngine::new(store.clone(), smtp(&relay, "&pool=1"), config(10));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.bounced, report.deferred, report.failed, report.sent), (1, 1, 1, 1));

    // 550 5.1.1 on RCPT: bounced, and the address is suppressed.
    let entry = store.outbox_entry(&gone.key).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Bounced);
    assert_eq!(
        entry.last_error.as_deref(),
        Some("RCPT TO: 550 5.1.1 <gone@example.de>: Recipient address rejected: User unknown")
    );
    let suppression = store.suppression(&gone.to).await.unwrap().expect("bounced address is suppressed");
    assert_eq!(suppression.reason, SuppressionReason::HardBounce);

    // 450: deferred, due again after the retry policy's first delay (one minute).
    let entry = store.outbox_entry(&busy.key).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Deferred);
    assert!(entry.last_error.unwrap().contains("450 4.2.1 Mailbox busy"));
    let due = store.next_due().await.unwrap().expect("the deferred message is due later");
    assert!(due >= before + chrono::Duration::seconds(59) && due <= now() + chrono::Duration::seconds(61), "{due}");
    assert!(store.suppression(&busy.to).await.unwrap().is_none());

    // 5.7.1 relay denied is about us, not the recipient: failed, not suppressed.
    assert_eq!(store.outbox_entry(&far.key).await.unwrap().unwrap().state, DeliveryState::Failed);
    assert!(store.suppression(&far.to).await.unwrap().is_none());

    assert_eq!(store.outbox_entry(&fine.key).await.unwrap().unwrap().state, DeliveryState::Sent);
    assert_eq!(relay.received().len(), 1);
    assert_eq!(relay.connections(), 1, "RSET after a refusal keeps the connection");

    // Later mail to the suppressed address is cancelled at hand-off and never reaches the relay.
    let mut later = message(5, "gone@example.de", "again");
    later.dedupe_key = "test:later".into();
    enqueue(&store, &later).await;
    let report = engine.drain().await.unwrap();
    assert_eq!(report.claimed, 0);
    let entry = store.outbox_entry(&later.key).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Cancelled);
    assert_eq!(entry.last_error.as_deref(), Some("suppressed at hand-off"));
    assert!(relay.received_for("gone@example.de").is_empty());
}

#[tokio::test]
async fn a_dropped_connection_defers_and_the_next_message_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    relay.rule("drop@example.de", Rule::Drop);
    let (dropped, after) = (message(1, "drop@example.de", "x"), message(2, "after@example.de", "y"));
    enqueue(&store, &dropped).await;
    enqueue(&store, &after).await;
    let engine = DeliveryEngine::new(store.clone(), smtp(&relay, "&pool=1"), config(10));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.deferred, report.sent), (1, 1));
    let entry = store.outbox_entry(&dropped.key).await.unwrap().unwrap();
    assert_eq!(entry.state, DeliveryState::Deferred);
    assert!(entry.last_error.as_deref().unwrap().starts_with("RCPT TO: "), "{:?}", entry.last_error);
    assert_eq!(relay.received_for("after@example.de").len(), 1);
    assert_eq!(relay.connections(), 2);
    assert_eq!(count(&store, DeliveryState::Sending).await, 0);
}

#[tokio::test]
async fn an_unreachable_relay_defers() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let msgs: Vec<_> = (0..5).map(|n| message(n, &format!("u{n}@example.de"), "x")).collect();
    for m in &msgs {
        enqueue(&store, m).await;
    }
    let url = format!("smtp://127.0.0.1:{port}?tls=none&timeout=5&pool=2");
    let engine = DeliveryEngine::new(store.clone(), Transport::from_url(Some(&url)).unwrap(), config(10));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.claimed, report.deferred), (5, 5));
    for m in &msgs {
        let entry = store.outbox_entry(&m.key).await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (DeliveryState::Deferred, 1));
        assert!(entry.last_error.unwrap().starts_with("connect: cannot connect to 127.0.0.1:"));
    }
}

#[tokio::test]
async fn auth_plain_is_sent_to_a_local_relay() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    let m = message(1, "anna@example.de", "x");
    enqueue(&store, &m).await;
    let url = format!("smtp://mailer:s%3Dcret@127.0.0.1:{}?tls=none&pool=1", relay.addr.port());
    let engine = DeliveryEngine::new(store.clone(), Transport::from_url(Some(&url)).unwrap(), config(10));
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    // base64("\0mailer\0s=cret")
    assert_eq!(relay.auth_lines(), ["AUTH PLAIN AG1haWxlcgBzPWNyZXQ="]);
    assert!(!engine.transport().describe().contains("cret"));
}

#[tokio::test]
async fn the_capture_transport_keeps_mail_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let msgs: Vec<_> = (0..7).map(|n| message(n, &format!("c{n}@example.de"), "kept")).collect();
    for m in &msgs {
        enqueue(&store, m).await;
    }
    let transport = Transport::from_url(None).unwrap();
    assert!(matches!(transport, Transport::Capture));
    let engine = DeliveryEngine::new(store.clone(), transport, config(3));
    let report = engine.drain().await.unwrap();
    assert_eq!((report.claimed, report.captured), (7, 7));
    assert_eq!(count(&store, DeliveryState::Captured).await, 7);
    for m in &msgs {
        assert_eq!(
            states(&store, &m.key).await,
            [DeliveryState::Ready, DeliveryState::Sending, DeliveryState::Captured]
        );
        assert_eq!(store.outbox_raw(&m.key).await.unwrap().unwrap(), m.raw);
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_records_and_releases_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    let msgs: Vec<_> = (0..40).map(|n| message(n, &format!("s{n}@example.de"), "x")).collect();
    for m in &msgs {
        enqueue(&store, m).await;
    }
    relay.hold();
    let engine = DeliveryEngine::new(store.clone(), smtp(&relay, "&pool=2"), config(8));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn({
        let engine = engine.clone();
        async move {
            engine
                .run(async {
                    let _ = stop_rx.await;
                })
                .await
        }
    });
    // Both connections are now waiting for the reply to their message's end of data.
    wait_for("two messages mid-send", || relay.data_ends() == 2).await;
    stop_tx.send(()).unwrap();
    // Let the engine see the stop before the relay answers (it is idle, so this is plenty).
    tokio::time::sleep(Duration::from_millis(200)).await;
    relay.open();
    let report = run.await.unwrap().unwrap();

    assert_eq!(report.sent, 2, "the two messages under way were finished");
    assert!(report.claimed >= 8, "at least one batch was claimed");
    assert_eq!(report.released, report.claimed - 2, "the rest was given back untried");
    assert_eq!(relay.received().len(), 2);
    assert_eq!(count(&store, DeliveryState::Sent).await, 2);
    assert_eq!(count(&store, DeliveryState::Ready).await, 38);
    assert_eq!(count(&store, DeliveryState::Sending).await, 0, "no lease left behind");
    assert_eq!(relay.quits(), relay.connections(), "every connection ended with QUIT");
    let released = msgs.iter().find(|m| relay.received_for(m.to.as_str()).is_empty()).unwrap();
    let events = store.message_events(&released.key).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.state, last.cause.as_deref()), (DeliveryState::Ready, Some("released untried at shutdown")));
    assert_eq!(store.outbox_entry(&released.key).await.unwrap().unwrap().attempts, 0, "a release is no attempt");

    // A new engine sends the rest, each message exactly once.
    let report = engine.drain().await.unwrap();
    assert_eq!(report.sent, 38);
    let received = relay.received();
    assert_eq!(received.len(), 40);
    let unique: HashSet<_> = received.iter().map(|r| r.rcpt_to[0].clone()).collect();
    assert_eq!(unique.len(), 40);
}

#[tokio::test]
async fn a_running_engine_wakes_up_for_new_mail() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let relay = Relay::start().await;
    // Sleeping this long between polls would fail the test: only the wake-up can deliver in time.
    let cfg = EngineConfig { max_idle_sleep: Duration::from_secs(300), ..config(10) };
    let engine = DeliveryEngine::new(store.clone(), smtp(&relay, "&pool=1"), cfg);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn({
        let engine = engine.clone();
        async move {
            engine
                .run(async {
                    let _ = stop_rx.await;
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    for n in 0..3 {
        enqueue(&store, &message(n, &format!("w{n}@example.de"), "x")).await;
        wait_for("the new message to arrive", || relay.received().len() == n as usize + 1).await;
    }
    stop_tx.send(()).unwrap();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.sent, 3);
    assert_eq!(count(&store, DeliveryState::Sent).await, 3);
    assert!(store.suppression(&EmailAddress::parse("w0@example.de").unwrap()).await.unwrap().is_none());
}
