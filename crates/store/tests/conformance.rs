//! One suite, every engine: each test runs on SQLite, and on PostgreSQL when
//! `KURIER_TEST_DATABASE_URL` names a server (`.ci/run` sets it; the PostgreSQL variants are ignored
//! without it, so a plain `cargo test` needs no services).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kurier_core::{
    ConsentAction, EmailAddress, Evidence, Language, LegalBasis, ListName, MessageKey, MessageKind, Secret,
    SubscriptionStatus,
};
use kurier_store::{
    ConfirmOutcome, DeliveryOutcome, ImportOptions, ImportRow, NewList, NewMessage, RowOutcome, Store, StoreError,
    SubscribeOutcome, SubscribeRequest, SuppressionReason,
};
use serde_json::Map;

#[path = "suite/feedback.rs"]
mod feedback;
use feedback::*;

struct Db {
    store: Store,
    /// For looking behind the store's back (what erasure leaves).
    url: String,
    _dir: Option<tempfile::TempDir>,
}

fn secret() -> Secret {
    Secret::new(vec![42; 32]).unwrap()
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kurier.db").display());
    Db { store: Store::open(&url, secret()).await.unwrap(), url, _dir: Some(dir) }
}

/// A fresh database on the PostgreSQL server for each test.
async fn postgres() -> Db {
    let base = std::env::var("KURIER_TEST_DATABASE_URL").expect("KURIER_TEST_DATABASE_URL names a PostgreSQL server");
    sqlx::any::install_default_drivers();
    let name = format!("kurier_test_{}_{}", std::process::id(), rand_suffix());
    let mut admin = sqlx::AnyConnection::connect_any(&base).await;
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("KURIER_TEST_DATABASE_URL has no database part"),
    };
    Db { store: Store::open(&url, secret()).await.unwrap(), url, _dir: None }
}

trait ConnectAny {
    async fn connect_any(url: &str) -> sqlx::AnyConnection;
}
impl ConnectAny for sqlx::AnyConnection {
    async fn connect_any(url: &str) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::AnyConnection::connect(url).await.unwrap()
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
}

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn news() -> NewList {
    NewList {
        name: ListName::parse("news").unwrap(),
        double_opt_in: true,
        language: Language::De,
        consent_text: "Ja, ich möchte den Newsletter erhalten.".into(),
        welcome_enabled: true,
    }
}

fn form_evidence() -> Evidence {
    Evidence {
        ip: Some("192.0.2.7".into()),
        user_agent: Some("Mozilla/5.0 test".into()),
        consent_text: Some("Ja, ich möchte den Newsletter erhalten.".into()),
        form_version: Some("v1-test".into()),
        source: "form:/subscribe/news".into(),
        basis: Some(LegalBasis::Consent),
    }
}

fn message(key: u8, to: &str, kind: MessageKind, list: Option<i64>, contact: Option<i64>) -> NewMessage {
    NewMessage {
        key: MessageKey::from_bytes([key; 16]),
        dedupe_key: format!("test:{key}"),
        source: "test".into(),
        kind,
        list_id: list,
        contact_id: contact,
        to: addr(to),
        envelope_from: "b-x@bounces.example.org".into(),
        from_domain: "example.org".into(),
        subject: format!("Nachricht {key}"),
        raw: format!("Subject: Nachricht {key}\r\n\r\nHallo\r\n").into_bytes(),
        not_before: t(0),
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::sqlite().await).await })*
        }
        mod on_postgres {
            $(#[tokio::test]
              #[ignore = "needs PostgreSQL via KURIER_TEST_DATABASE_URL; .ci/run runs it"]
              async fn $name() { super::$name(super::postgres().await).await })*
        }
    };
}

conformance!(
    lists_are_unique,
    double_opt_in_is_recorded_in_the_ledger,
    suppressed_addresses_are_not_stored,
    unsubscribe_all_lists,
    claim_cancels_suppressed_and_unconsented_at_hand_off,
    outcomes_need_the_lease_and_hard_bounces_suppress,
    expired_leases_are_taken_over,
    enqueue_is_idempotent,
    enqueue_many_stores_each_cause_once,
    erasure_leaves_only_a_hash,
    import_in_one_transaction,
    inbound_items_are_kept_once_and_leased,
    hard_bounces_suppress_the_address_that_was_mailed,
    attribution_falls_back_to_message_id_then_recipient,
    complaints_unsubscribe_from_every_list_with_a_ledger_entry,
    opt_outs_unsubscribe_without_suppressing_or_counting_as_complaints,
    reports_that_are_no_complaint_leave_the_recipient_alone,
    soft_bounces_escalate_after_three_over_a_week,
    delay_warnings_are_recorded_not_counted,
    an_opt_out_is_a_sign_of_delivery_a_delay_is_not,
    a_delivery_between_soft_bounces_ends_the_streak,
    blocks_that_blame_the_sender_raise_one_alert_and_suppress_no_one,
    rates_raise_alerts_once_per_level,
    alerts_can_be_resolved_by_hand,
    erasure_removes_the_address_from_feedback,
);

async fn lists_are_unique(db: Db) {
    let s = &db.store;
    let l = s.create_list(&news(), t(0)).await.unwrap();
    assert_eq!(l.name.as_str(), "news");
    assert!(l.form_version.starts_with("v1-"));
    assert!(matches!(s.create_list(&news(), t(1)).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.lists().await.unwrap(), vec![l.clone()]);
    assert_eq!(s.list_by_name("news").await.unwrap(), Some(l.clone()));
    assert_eq!(s.list_by_id(l.id).await.unwrap(), Some(l));
    assert_eq!(s.list_by_name("other").await.unwrap(), None);
}

async fn double_opt_in_is_recorded_in_the_ledger(db: Db) {
    let s = &db.store;
    let list = s.create_list(&news(), t(0)).await.unwrap();
    let anna = addr("anna@example.de");
    let out = s
        .request_subscription(
            &SubscribeRequest {
                list: &list,
                email: &anna,
                name: Some("Anna"),
                evidence: &form_evidence(),
                confirmed: false,
            },
            t(1),
            |c, dedupe| {
                let mut m = message(1, &c.email, MessageKind::Transactional, Some(list.id), Some(c.id));
                m.dedupe_key = dedupe.to_string();
                Ok(Some(m))
            },
        )
        .await
        .unwrap();
    let SubscribeOutcome::Recorded { contact_id, status: SubscriptionStatus::Pending, mail_enqueued: true } = out
    else {
        panic!("unexpected {out:?}")
    };
    // A second request within the quarter hour: recorded, but no second mail.
    let again = s
        .request_subscription(
            &SubscribeRequest { list: &list, email: &anna, name: None, evidence: &form_evidence(), confirmed: false },
            t(60),
            |c, dedupe| {
                let mut m = message(2, &c.email, MessageKind::Transactional, Some(list.id), Some(c.id));
                m.dedupe_key = dedupe.to_string();
                Ok(Some(m))
            },
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        SubscribeOutcome::Recorded { contact_id, status: SubscriptionStatus::Pending, mail_enqueued: false }
    );

    let mut ev = form_evidence();
    ev.ip = Some("198.51.100.1".into());
    // The list's text changed after the request: the confirmation still proves the text that was shown.
    ev.consent_text = Some("a newer consent text".into());
    ev.form_version = Some("v1-newer".into());
    let c = s
        .confirm_subscription(&list, contact_id, &ev, t(120), |c| {
            Ok(Some(message(3, &c.email, MessageKind::Marketing, Some(list.id), Some(c.id))))
        })
        .await
        .unwrap();
    assert_eq!(c, ConfirmOutcome::Confirmed { welcome_enqueued: true });
    assert_eq!(
        s.confirm_subscription(&list, contact_id, &ev, t(130), |_| Ok(None)).await.unwrap(),
        ConfirmOutcome::AlreadyConfirmed
    );

    let details = s.contact_by_email(&anna).await.unwrap().unwrap();
    assert_eq!(details.contact.name.as_deref(), Some("Anna"));
    assert_eq!(details.subscriptions.len(), 1);
    assert_eq!(details.subscriptions[0].status, SubscriptionStatus::Confirmed);
    let ledger = s.consent_ledger(contact_id).await.unwrap();
    let actions: Vec<_> = ledger.iter().map(|e| e.action).collect();
    assert_eq!(actions, [ConsentAction::Requested, ConsentAction::Requested, ConsentAction::Confirmed]);
    assert_eq!(SubscriptionStatus::derive(actions), Some(SubscriptionStatus::Confirmed));
    let confirmed = &ledger[2];
    assert_eq!(confirmed.ip.as_deref(), Some("198.51.100.1"));
    assert_eq!(confirmed.consent_text.as_deref(), Some("Ja, ich möchte den Newsletter erhalten."));
    assert_eq!(confirmed.form_version.as_deref(), Some("v1-test"));
    assert_eq!(confirmed.at, t(120));
    assert_eq!(confirmed.list, "news");
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(counts, vec![(kurier_core::DeliveryState::Ready, 2)]);
}

async fn suppressed_addresses_are_not_stored(db: Db) {
    let s = &db.store;
    let list = s.create_list(&news(), t(0)).await.unwrap();
    let bad = addr("bounced@example.de");
    assert!(s.add_suppression(&bad, SuppressionReason::Manual, Some("asked by phone"), t(0)).await.unwrap());
    assert!(!s.add_suppression(&bad, SuppressionReason::HardBounce, None, t(1)).await.unwrap());
    let out = s
        .request_subscription(
            &SubscribeRequest { list: &list, email: &bad, name: None, evidence: &form_evidence(), confirmed: false },
            t(2),
            |_, _| panic!("no mail for suppressed"),
        )
        .await
        .unwrap();
    assert_eq!(out, SubscribeOutcome::Suppressed);
    assert!(s.contact_by_email(&bad).await.unwrap().is_none());
    let sup = s.suppression(&bad).await.unwrap().unwrap();
    assert_eq!(sup.reason, SuppressionReason::Manual);
    assert_eq!(sup.email.as_deref(), Some("bounced@example.de"));
    assert_eq!(s.suppressions(10, 0).await.unwrap().len(), 1);
    assert!(s.remove_suppression(&bad).await.unwrap());
    assert!(!s.remove_suppression(&bad).await.unwrap());
}

async fn unsubscribe_all_lists(db: Db) {
    let s = &db.store;
    let a = s.create_list(&news(), t(0)).await.unwrap();
    let mut other = news();
    other.name = ListName::parse("offers").unwrap();
    let b = s.create_list(&other, t(0)).await.unwrap();
    let anna = addr("anna@example.de");
    let mut id = 0;
    for l in [&a, &b] {
        if let SubscribeOutcome::Recorded { contact_id, .. } = s
            .request_subscription(
                &SubscribeRequest { list: l, email: &anna, name: None, evidence: &form_evidence(), confirmed: true },
                t(1),
                |_, _| Ok(None),
            )
            .await
            .unwrap()
        {
            id = contact_id;
        }
    }
    let ev = Evidence { source: "one-click".into(), ..Evidence::default() };
    assert_eq!(s.unsubscribe(id, Some(a.id), &ev, t(2)).await.unwrap(), vec!["news".to_string()]);
    assert_eq!(s.unsubscribe(id, None, &ev, t(3)).await.unwrap(), vec!["offers".to_string()]);
    assert!(s.unsubscribe(id, None, &ev, t(4)).await.unwrap().is_empty());
    let subs = s.subscriptions(id).await.unwrap();
    assert!(subs.iter().all(|x| x.status == SubscriptionStatus::Unsubscribed));
    // Confirming an old link after leaving does not resubscribe.
    assert_eq!(s.confirm_subscription(&a, id, &ev, t(5), |_| Ok(None)).await.unwrap(), ConfirmOutcome::NotPending);
}

async fn claim_cancels_suppressed_and_unconsented_at_hand_off(db: Db) {
    let s = &db.store;
    let list = s.create_list(&news(), t(0)).await.unwrap();
    let SubscribeOutcome::Recorded { contact_id, .. } = s
        .request_subscription(
            &SubscribeRequest {
                list: &list,
                email: &addr("anna@example.de"),
                name: None,
                evidence: &form_evidence(),
                confirmed: true,
            },
            t(0),
            |_, _| Ok(None),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    s.enqueue(&message(1, "anna@example.de", MessageKind::Marketing, Some(list.id), Some(contact_id)), t(0))
        .await
        .unwrap();
    s.enqueue(&message(2, "ben@example.de", MessageKind::Marketing, Some(list.id), None), t(0)).await.unwrap();
    s.enqueue(&message(3, "carla@example.de", MessageKind::Transactional, None, None), t(0)).await.unwrap();
    s.enqueue(&message(4, "anna@example.de", MessageKind::Transactional, None, None), t(0)).await.unwrap();
    // Anna unsubscribes after her marketing mail was queued; Carla is suppressed after hers.
    s.unsubscribe(contact_id, Some(list.id), &Evidence { source: "test".into(), ..Default::default() }, t(1))
        .await
        .unwrap();
    s.add_suppression(&addr("carla@example.de"), SuppressionReason::Complaint, None, t(1)).await.unwrap();

    let claimed = s.claim_batch("node-a", t(2), Duration::from_secs(60), 10).await.unwrap();
    let keys: Vec<_> = claimed.iter().map(|c| c.key.clone()).collect();
    assert_eq!(keys, vec![MessageKey::from_bytes([4; 16])], "only the transactional mail to Anna may go");
    for (k, cause) in [(1u8, "no consent"), (2, "no consent"), (3, "suppressed")] {
        let e = s.outbox_entry(&MessageKey::from_bytes([k; 16])).await.unwrap().unwrap();
        assert_eq!(e.state, kurier_core::DeliveryState::Cancelled);
        assert!(e.last_error.as_deref().unwrap().contains(cause), "{k}: {:?}", e.last_error);
        let events = s.message_events(&MessageKey::from_bytes([k; 16])).await.unwrap();
        assert_eq!(events.last().unwrap().state, kurier_core::DeliveryState::Cancelled);
    }
    assert!(
        s.claim_batch("node-b", t(3), Duration::from_secs(60), 10).await.unwrap().is_empty(),
        "leased messages are not claimed twice"
    );
}

async fn outcomes_need_the_lease_and_hard_bounces_suppress(db: Db) {
    let s = &db.store;
    for k in 1..=3 {
        s.enqueue(&message(k, &format!("p{k}@example.de"), MessageKind::Transactional, None, None), t(0))
            .await
            .unwrap();
    }
    let claimed = s.claim_batch("node-a", t(1), Duration::from_secs(60), 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|c| c.attempts == 1));
    let results = vec![
        (&claimed[0], DeliveryOutcome::Sent { reply: "250 2.0.0 Ok: queued as ABC".into() }),
        (&claimed[1], DeliveryOutcome::Deferred { error: "451 4.3.0 try later".into(), retry_at: t(100) }),
        (&claimed[2], DeliveryOutcome::Bounced { error: "550 5.1.1 no such user".into() }),
    ];
    assert_eq!(s.record_outcomes(&results, t(2)).await.unwrap(), 3);
    assert_eq!(s.record_outcomes(&results, t(3)).await.unwrap(), 0, "a lease is used once");
    let sup = s.suppression(&addr("p3@example.de")).await.unwrap().unwrap();
    assert_eq!(sup.reason, SuppressionReason::HardBounce);
    assert_eq!(sup.detail.as_deref(), Some("550 5.1.1 no such user"));
    assert_eq!(s.next_due().await.unwrap(), Some(t(100)));
    assert!(s.claim_batch("node-a", t(99), Duration::from_secs(60), 10).await.unwrap().is_empty());
    let retry = s.claim_batch("node-a", t(100), Duration::from_secs(60), 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 2);
    let events = s.message_events(&claimed[0].key).await.unwrap();
    let states: Vec<_> = events.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["ready", "sending", "sent"]);
    assert_eq!(events[2].cause.as_deref(), Some("250 2.0.0 Ok: queued as ABC"));
    s.release(&[&retry[0]], t(101)).await.unwrap();
    let e = s.outbox_entry(&retry[0].key).await.unwrap().unwrap();
    assert_eq!((e.state, e.attempts), (kurier_core::DeliveryState::Ready, 1));
}

async fn expired_leases_are_taken_over(db: Db) {
    let s = &db.store;
    s.enqueue(&message(1, "p@example.de", MessageKind::Transactional, None, None), t(0)).await.unwrap();
    let first = s.claim_batch("crashed", t(1), Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(s.next_due().await.unwrap(), Some(t(31)));
    assert!(s.claim_batch("other", t(30), Duration::from_secs(30), 10).await.unwrap().is_empty());
    let taken = s.claim_batch("other", t(32), Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);
    // The crashed node's late result is refused; the new owner's counts.
    assert_eq!(s.record_outcomes(&[(&first[0], DeliveryOutcome::Captured)], t(33)).await.unwrap(), 0);
    assert_eq!(s.record_outcomes(&[(&taken[0], DeliveryOutcome::Captured)], t(33)).await.unwrap(), 1);
}

async fn enqueue_is_idempotent(db: Db) {
    let s = &db.store;
    let m = message(1, "p@example.de", MessageKind::Transactional, None, None);
    assert!(s.enqueue(&m, t(0)).await.unwrap());
    let mut again = m.clone();
    again.key = MessageKey::from_bytes([9; 16]);
    assert!(!s.enqueue(&again, t(1)).await.unwrap());
    assert_eq!(s.outbox(10, None).await.unwrap().len(), 1);
    assert_eq!(s.outbox_raw(&m.key).await.unwrap().unwrap(), m.raw);
}

async fn enqueue_many_stores_each_cause_once(db: Db) {
    let s = &db.store;
    assert_eq!(s.enqueue_many(&[], t(0)).await.unwrap(), 0);
    let early = message(200, "early@example.de", MessageKind::Transactional, None, None);
    assert!(s.enqueue(&early, t(0)).await.unwrap());
    // More than one statement's worth, with a big message, a cause already stored, and a cause twice.
    let mut msgs: Vec<NewMessage> = (0..1203u32)
        .map(|i| {
            let mut m = message(0, &format!("r{i}@example.de"), MessageKind::Transactional, None, None);
            let mut key = [7u8; 16];
            key[..4].copy_from_slice(&i.to_be_bytes());
            m.key = MessageKey::from_bytes(key);
            m.dedupe_key = format!("many:{i}");
            m.raw = format!("Subject: {i}\r\n\r\n{}\r\n", "x".repeat(i as usize)).into_bytes();
            m
        })
        .collect();
    msgs[5].raw = vec![b'y'; 9 << 20];
    let mut repeat = message(201, "again@example.de", MessageKind::Transactional, None, None);
    repeat.dedupe_key = early.dedupe_key.clone();
    msgs.insert(3, repeat.clone());
    let mut twice = message(202, "twice@example.de", MessageKind::Transactional, None, None);
    twice.dedupe_key = "many:600".into();
    msgs.insert(900, twice.clone());
    assert_eq!(s.enqueue_many(&msgs, t(1)).await.unwrap(), 1203);
    assert_eq!(s.enqueue_many(&msgs, t(2)).await.unwrap(), 0, "enqueueing again is a no-op");

    assert!(s.outbox_entry(&repeat.key).await.unwrap().is_none());
    assert!(s.outbox_entry(&twice.key).await.unwrap().is_none(), "the first of two with one cause wins");
    for m in msgs.iter().filter(|m| m.dedupe_key.starts_with("many:")).step_by(97).chain([&msgs[6]]) {
        assert_eq!(s.outbox_raw(&m.key).await.unwrap().as_ref(), Some(&m.raw), "{}", m.dedupe_key);
        let e = s.outbox_entry(&m.key).await.unwrap().unwrap();
        assert_eq!((e.to.as_str(), e.state, e.created_at), (m.to.as_str(), kurier_core::DeliveryState::Ready, t(1)));
        let events = s.message_events(&m.key).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].state, events[0].cause.as_deref()), (kurier_core::DeliveryState::Ready, Some("test")));
    }
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(counts, vec![(kurier_core::DeliveryState::Ready, 1204)]);

    // What was stored in bulk is claimed with its bytes, like anything enqueued alone.
    let mut seen = 0;
    loop {
        let claimed = s.claim_batch("node-a", t(3), Duration::from_secs(60), 500).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        for c in &claimed {
            let m = msgs.iter().chain([&early]).find(|m| m.key == c.key).unwrap();
            assert_eq!((c.to.as_str(), &c.raw), (m.to.as_str(), &m.raw));
        }
        seen += claimed.len();
        let results: Vec<_> = claimed.iter().map(|c| (c, DeliveryOutcome::Captured)).collect();
        assert_eq!(s.record_outcomes(&results, t(4)).await.unwrap(), claimed.len());
    }
    assert_eq!(seen, 1204);
    assert_eq!(s.outbox_counts().await.unwrap(), vec![(kurier_core::DeliveryState::Captured, 1204)]);
}

/// Rows in `table`, counted past the store.
async fn count_rows(db: &Db, table: &str) -> i64 {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut conn).await.unwrap();
    row.try_get("n").unwrap()
}

async fn erasure_leaves_only_a_hash(db: Db) {
    let s = &db.store;
    let list = s.create_list(&news(), t(0)).await.unwrap();
    let anna = addr("anna@example.de");
    let SubscribeOutcome::Recorded { contact_id, .. } = s
        .request_subscription(
            &SubscribeRequest {
                list: &list,
                email: &anna,
                name: Some("Anna"),
                evidence: &form_evidence(),
                confirmed: false,
            },
            t(1),
            |c, d| {
                let mut m = message(1, &c.email, MessageKind::Transactional, Some(list.id), Some(c.id));
                m.dedupe_key = d.into();
                Ok(Some(m))
            },
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    let export = s.export_contact(&anna).await.unwrap().unwrap();
    assert_eq!(export["contact"]["email"], "anna@example.de");
    assert_eq!(export["consent_ledger"].as_array().unwrap().len(), 1);
    assert_eq!(export["messages"].as_array().unwrap().len(), 1);

    assert_eq!(count_rows(&db, "outbox_raw").await, 1);
    assert!(s.erase_contact(&anna, t(2)).await.unwrap());
    assert_eq!(count_rows(&db, "outbox_raw").await, 0, "the message's bytes go with it");
    assert_eq!(count_rows(&db, "outbox_events").await, 0);
    assert!(s.contact_by_email(&anna).await.unwrap().is_none());
    assert!(s.consent_ledger(contact_id).await.unwrap().is_empty());
    assert!(s.outbox(10, None).await.unwrap().is_empty());
    let sup = s.suppression(&anna).await.unwrap().unwrap();
    assert_eq!((sup.reason, sup.email), (SuppressionReason::Erased, None));
    let out = s
        .request_subscription(
            &SubscribeRequest { list: &list, email: &anna, name: None, evidence: &form_evidence(), confirmed: false },
            t(3),
            |_, _| Ok(None),
        )
        .await
        .unwrap();
    assert_eq!(out, SubscribeOutcome::Suppressed);
    let export = s.export_contact(&anna).await.unwrap().unwrap();
    assert!(export.get("contact").is_none());
}

async fn import_in_one_transaction(db: Db) {
    let s = &db.store;
    let list = s.create_list(&news(), t(0)).await.unwrap();
    s.add_suppression(&addr("gone@example.de"), SuppressionReason::HardBounce, None, t(0)).await.unwrap();
    let SubscribeOutcome::Recorded { contact_id: left, .. } = s
        .request_subscription(
            &SubscribeRequest {
                list: &list,
                email: &addr("left@example.de"),
                name: None,
                evidence: &form_evidence(),
                confirmed: true,
            },
            t(0),
            |_, _| Ok(None),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    s.unsubscribe(left, None, &Evidence { source: "test".into(), ..Default::default() }, t(0)).await.unwrap();

    let row = |line: u64, e: &str| {
        let mut attributes = Map::new();
        attributes.insert("city".into(), "Köln".into());
        ImportRow {
            line,
            email: addr(e),
            name: Some(format!("N{line}")),
            timezone: Some("Europe/Berlin".into()),
            attributes,
        }
    };
    let mut rows: Vec<ImportRow> = (0..1200).map(|i| row(i + 2, &format!("p{i}@example.de"))).collect();
    rows.push(row(1202, "gone@example.de"));
    rows.push(row(1203, "left@example.de"));
    rows.push(row(1204, "p5@example.de"));
    let opts = ImportOptions { basis: LegalBasis::Contract, source: "crm.csv".into(), dry_run: true };
    let mut dry = s.begin_import(&list, opts.clone(), t(5)).await.unwrap();
    dry.add(&rows).await.unwrap();
    let summary = dry.finish().await.unwrap();
    assert_eq!(
        (summary.imported, summary.skipped_suppressed, summary.skipped_unsubscribed, summary.duplicates),
        (1200, 1, 1, 1)
    );
    assert!(s.contact_by_email(&addr("p1@example.de")).await.unwrap().is_none(), "a dry run stores nothing");

    let mut tx = s.begin_import(&list, ImportOptions { dry_run: false, ..opts.clone() }, t(5)).await.unwrap();
    let outcomes = tx.add(&rows).await.unwrap();
    assert_eq!(
        outcomes[1200..],
        [RowOutcome::SkippedSuppressed, RowOutcome::SkippedUnsubscribed, RowOutcome::Duplicate]
    );
    // Nothing is visible before commit.
    tx.finish().await.unwrap();
    let p1 = s.contact_by_email(&addr("p1@example.de")).await.unwrap().unwrap();
    assert_eq!(p1.contact.attributes["city"], "Köln");
    assert_eq!(p1.contact.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(p1.subscriptions[0].status, SubscriptionStatus::Confirmed);
    assert_eq!(p1.subscriptions[0].basis.as_deref(), Some("contract"));
    let ledger = s.consent_ledger(p1.contact.id).await.unwrap();
    assert_eq!(ledger[0].action, ConsentAction::Imported);
    assert_eq!(ledger[0].source, "import: crm.csv");

    // Re-import updates attributes and adds no second ledger entry.
    let mut again = row(2, "p1@example.de");
    again.attributes.insert("plz".into(), "50667".into());
    let mut tx = s.begin_import(&list, ImportOptions { dry_run: false, ..opts.clone() }, t(6)).await.unwrap();
    assert_eq!(tx.add(&[again]).await.unwrap(), [RowOutcome::Updated]);
    tx.abort().await.unwrap();
    let mut tx = s.begin_import(&list, ImportOptions { dry_run: false, ..opts }, t(6)).await.unwrap();
    let mut again = row(2, "p1@example.de");
    again.attributes.insert("plz".into(), "50667".into());
    tx.add(&[again]).await.unwrap();
    tx.finish().await.unwrap();
    let p1 = s.contact_by_email(&addr("p1@example.de")).await.unwrap().unwrap();
    assert_eq!(
        (p1.contact.attributes["city"].as_str(), p1.contact.attributes["plz"].as_str()),
        (Some("Köln"), Some("50667"))
    );
    assert_eq!(s.consent_ledger(p1.contact.id).await.unwrap().len(), 1);
    let page = s.export_list_page(list.id, 0, 5000).await.unwrap();
    assert_eq!(page.len(), 1201, "1200 imported + the unsubscribed one");
}
