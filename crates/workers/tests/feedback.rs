//! The whole feedback pipeline: a DSN arrives over SMTP at the VERP return path of a message that
//! was sent, the store keeps it, the feedback worker reads it, and the address ends up suppressed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kurier_core::{DeliveryState, EmailAddress};
use kurier_store::{DeliveryOutcome, FeedbackAction, SuppressionReason};
use kurier_workers::{FeedbackConfig, FeedbackWorker, InboundSmtp, InboundSmtpConfig};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use common::{message, open_store, secret};

fn dsn(return_path: &str, failed: &str, status: &str, diagnostic: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: {return_path}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n\
         --b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
         Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: {status}\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\r\n--b1--\r\n"
    )
}

#[tokio::test]
async fn a_bounce_received_over_smtp_suppresses_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    let sent = [message(1, "anna@example.net", "Hallo"), message(2, "ben@example.net", "Hallo")];
    for m in &sent {
        store.enqueue(m, Utc::now()).await.unwrap();
    }
    let claimed = store.claim_batch("t", Utc::now(), Duration::from_secs(60), 10).await.unwrap();
    let results: Vec<_> = claimed.iter().map(|c| (c, DeliveryOutcome::Sent { reply: "250 ok".into() })).collect();
    store.record_outcomes(&results, Utc::now()).await.unwrap();

    let config =
        InboundSmtpConfig::new("127.0.0.1:0".parse().unwrap(), "mx.test", vec!["bounces.example.com".to_string()]);
    let server = InboundSmtp::bind(config).await.unwrap();
    let port = server.local_addr().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(store.clone(), async move {
        let _ = stopped.await;
    }));
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(port).build();
    let send = |to: String, body: String| {
        let mailer = mailer.clone();
        async move {
            let envelope = Envelope::new(None, vec![to.parse().unwrap()]).unwrap();
            mailer.send_raw(&envelope, body.as_bytes()).await.unwrap();
        }
    };
    // Anna's mailbox does not exist; Ben's server blocks the sender; a forged bounce claims Ben too.
    let anna_rp = sent[0].envelope_from.clone();
    send(anna_rp.clone(), dsn(&anna_rp, "anna@example.net", "5.1.1", "550 5.1.1 <anna@example.net>: User unknown"))
        .await;
    let ben_rp = sent[1].envelope_from.clone();
    let blocked = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org";
    send(ben_rp.clone(), dsn(&ben_rp, "ben@example.net", "5.7.1", blocked)).await;
    let forged = format!("{}aaaa@bounces.example.com", &ben_rp[..ben_rp.find('@').unwrap() - 4]);
    send(forged.clone(), dsn(&forged, "ben@example.net", "5.1.1", "550 5.1.1 User unknown")).await;
    let _ = stop.send(());
    serving.await.unwrap();

    let worker = FeedbackWorker::new(store.clone(), Arc::new(secret()), FeedbackConfig::default());
    let report = worker.drain().await.unwrap();
    assert_eq!((report.items, report.recipients, report.suppressed, report.failed), (2, 2, 1, 1));
    assert_eq!(report.alerts, 1, "a sender-reputation alert for the block");

    let anna = EmailAddress::parse("anna@example.net").unwrap();
    let ben = EmailAddress::parse("ben@example.net").unwrap();
    assert_eq!(store.suppression(&anna).await.unwrap().unwrap().reason, SuppressionReason::HardBounce);
    assert!(store.suppression(&ben).await.unwrap().is_none(), "neither the block nor the forgery suppresses Ben");
    assert_eq!(store.outbox_entry(&sent[0].key).await.unwrap().unwrap().state, DeliveryState::Bounced);
    let events = store.feedback_events(Some(&anna), 10, 0).await.unwrap();
    assert_eq!(events[0].action, FeedbackAction::Suppressed);
    assert_eq!(events[0].attributed_by, kurier_store::Attribution::Verp);
    let alerts = store.alerts(true, 10).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].detail.as_deref().unwrap().contains("spamhaus"), "{:?}", alerts[0].detail);
    assert_eq!(store.inbound_counts().await.unwrap(), [("done".to_string(), 2), ("failed".to_string(), 1)]);
    // Draining again finds nothing left.
    assert_eq!(worker.drain().await.unwrap().items, 0);
}

/// A critical rate alert resolves by itself once its rate is normal again, without any new feedback
/// (a paused campaign gets none): the worker judges open alerts again every `rejudge_every`.
#[tokio::test]
async fn open_alerts_are_judged_again_without_new_feedback() {
    use kurier_core::{FeedbackKind, FeedbackPolicy, RateLevel};
    use kurier_store::{Feedback, InboundFormat, NewInbound};

    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir).await;
    // A hundred messages sent forty days ago, five of them bounced then: 5 %, critical at the time.
    let then = Utc::now() - chrono::Duration::days(40);
    let sent: Vec<_> = (1..=100)
        .map(|n| {
            let mut m = message(n, &format!("r{n}@example.net"), "Hallo");
            m.not_before = then;
            m
        })
        .collect();
    for m in &sent {
        store.enqueue(m, then).await.unwrap();
    }
    let claimed = store.claim_batch("t", then, Duration::from_secs(60), 1000).await.unwrap();
    assert_eq!(claimed.len(), 100);
    let results: Vec<_> = claimed.iter().map(|c| (c, DeliveryOutcome::Sent { reply: "250 ok".into() })).collect();
    store.record_outcomes(&results, then).await.unwrap();
    let bounces: Vec<_> = sent[..5]
        .iter()
        .map(|m| Feedback {
            kind: FeedbackKind::HardBounce,
            reason: "userunknown".into(),
            address: Some(m.to.clone()),
            status: Some("5.1.1".into()),
            reply_code: Some(550),
            diagnostic: None,
            remote_mta: None,
            feedback_type: None,
            message_key: Some(m.key.clone()),
            message_id: None,
            at: then,
        })
        .collect();
    let item = NewInbound {
        source: "smtp",
        format: InboundFormat::Mail,
        recipients: &["b-x@bounces.example.com".to_string()],
        dedupe_key: None,
        payload: b"From: MAILER-DAEMON\r\n\r\nbounces\r\n",
    };
    store.enqueue_inbound(&item, then).await.unwrap();
    let items = store.claim_inbound("t", then, Duration::from_secs(60), 1).await.unwrap();
    let done = store.complete_inbound(&items[0], &bounces, &FeedbackPolicy::default(), then).await.unwrap();
    assert!(done.alerts.iter().any(|a| a.level == RateLevel::Critical), "{:?}", done.alerts);
    assert!(!store.alerts(true, 10).await.unwrap().is_empty());

    // Today those messages are out of the 30-day window: the worker resolves the alerts by itself.
    let config = FeedbackConfig { rejudge_every: Duration::ZERO, ..FeedbackConfig::default() };
    let worker = FeedbackWorker::new(store.clone(), Arc::new(secret()), config);
    let report = worker.run(tokio::time::sleep(Duration::from_millis(300))).await.unwrap();
    assert_eq!(report.alerts, 0, "nothing new raised");
    assert!(store.alerts(true, 10).await.unwrap().is_empty(), "{:?}", store.alerts(true, 10).await.unwrap());
    assert!(store.alerts(false, 10).await.unwrap().iter().all(|a| a.resolved_at.is_some()));
}
