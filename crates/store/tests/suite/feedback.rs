//! Feedback (bounces, complaints, auto-replies): the inbound queue, attribution, the suppression
//! policy and the rate alerts. Included by `conformance.rs`, so it runs on both engines.

use std::time::Duration;

use kurier_core::{DeliveryState, FeedbackKind, FeedbackPolicy, MessageKey, MessageKind, RateLevel};
use kurier_store::{
    AlertKind, Attribution, Completed, Feedback, FeedbackAction, InboundFormat, NewInbound, RateScope, Store,
    SuppressionReason,
};

use super::{Db, addr, count_rows, form_evidence, message, news, t};

const DAY: i64 = 24 * 3600;

fn key(k: u8) -> MessageKey {
    MessageKey::from_bytes([k; 16])
}

fn fb(kind: FeedbackKind, reason: &str, address: Option<&str>, message: Option<u8>, at: i64) -> Feedback {
    Feedback {
        kind,
        reason: reason.into(),
        address: address.map(addr),
        status: Some("5.1.1".into()),
        reply_code: Some(550),
        diagnostic: Some("550 5.1.1 <x@example.de>: Recipient address rejected".into()),
        remote_mta: Some("mx.example.de".into()),
        feedback_type: None,
        message_key: message.map(key),
        message_id: None,
        at: t(at),
    }
}

/// Enqueues messages `(k, to)` from `source`, claims them and records them as sent, at `at`.
async fn send(s: &Store, msgs: &[(u8, &str)], source: &str, at: i64) {
    for (k, to) in msgs {
        let mut m = message(*k, to, MessageKind::Transactional, None, None);
        m.source = source.into();
        s.enqueue(&m, t(at)).await.unwrap();
    }
    let claimed = s.claim_batch("node", t(at), Duration::from_secs(60), 1000).await.unwrap();
    assert_eq!(claimed.len(), msgs.len());
    let results: Vec<_> =
        claimed.iter().map(|c| (c, kurier_store::DeliveryOutcome::Sent { reply: "250 ok".into() })).collect();
    s.record_outcomes(&results, t(at)).await.unwrap();
}

/// Receives one item carrying `feedback` and acts on it, as the feedback worker does.
async fn process(s: &Store, feedback: &[Feedback], at: i64) -> Completed {
    let id = s
        .enqueue_inbound(
            &NewInbound {
                source: "smtp",
                format: InboundFormat::Mail,
                recipients: &["b-x@bounces.example.org".to_string()],
                dedupe_key: None,
                payload: b"From: MAILER-DAEMON\r\n\r\nbounce\r\n",
            },
            t(at),
        )
        .await
        .unwrap()
        .unwrap();
    let items = s.claim_inbound("worker", t(at), Duration::from_secs(60), 1).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, id);
    let done = s.complete_inbound(&items[0], feedback, &FeedbackPolicy::default(), t(at)).await.unwrap();
    assert!(done.recorded);
    done
}

pub async fn inbound_items_are_kept_once_and_leased(db: Db) {
    let s = &db.store;
    let rcpt = ["b-abc@bounces.example.org".to_string()];
    let item = NewInbound {
        source: "imap",
        format: InboundFormat::Mail,
        recipients: &rcpt,
        dedupe_key: Some("imap:mx:INBOX:7:1"),
        payload: b"Subject: x\r\n\r\nbody\r\n",
    };
    let id = s.enqueue_inbound(&item, t(0)).await.unwrap();
    assert!(id.is_some());
    assert_eq!(s.enqueue_inbound(&item, t(1)).await.unwrap(), None, "the same IMAP message is kept once");
    let first = s.claim_inbound("a", t(2), Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].id, first[0].attempts), (id.unwrap(), 1));
    assert_eq!(first[0].recipients, rcpt);
    assert_eq!(first[0].payload, b"Subject: x\r\n\r\nbody\r\n");
    assert_eq!(first[0].format, InboundFormat::Mail);
    assert!(s.claim_inbound("b", t(3), Duration::from_secs(30), 10).await.unwrap().is_empty(), "leased");
    // The first worker stalls; its lease runs out and another takes over.
    let second = s.claim_inbound("b", t(40), Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(second[0].attempts, 2);
    let policy = FeedbackPolicy::default();
    let late = s.complete_inbound(&first[0], &[], &policy, t(41)).await.unwrap();
    assert!(!late.recorded, "a lost lease records nothing");
    // A failure with a retry time gives it back; a failure without one parks it.
    s.fail_inbound(&second[0], "database hiccup", Some(t(100))).await.unwrap();
    assert!(s.claim_inbound("b", t(99), Duration::from_secs(30), 10).await.unwrap().is_empty());
    let third = s.claim_inbound("b", t(100), Duration::from_secs(30), 10).await.unwrap();
    assert_eq!(third[0].attempts, 3);
    s.fail_inbound(&third[0], "unparseable", None).await.unwrap();
    assert!(s.claim_inbound("b", t(10_000), Duration::from_secs(30), 10).await.unwrap().is_empty());
    assert_eq!(s.inbound_counts().await.unwrap(), vec![("failed".to_string(), 1)]);
}

pub async fn hard_bounces_suppress_the_address_that_was_mailed(db: Db) {
    let s = &db.store;
    send(s, &[(1, "anna@example.de")], "campaign:1", 0).await;
    // The bounce names the address the mail was forwarded to; VERP says which message it was.
    let done =
        process(s, &[fb(FeedbackKind::HardBounce, "userunknown", Some("anna@old.example"), Some(1), 60)], 60).await;
    let o = &done.outcomes[0];
    assert_eq!((o.attributed_by, o.action), (Attribution::Verp, FeedbackAction::Suppressed));
    assert_eq!(o.address.as_deref(), Some("anna@example.de"));
    let sup = s.suppression(&addr("anna@example.de")).await.unwrap().unwrap();
    assert_eq!(sup.reason, SuppressionReason::HardBounce);
    assert!(sup.detail.unwrap().contains("userunknown 5.1.1"));
    assert!(s.suppression(&addr("anna@old.example")).await.unwrap().is_none());
    let e = s.outbox_entry(&key(1)).await.unwrap().unwrap();
    assert_eq!(e.state, DeliveryState::Bounced);
    let events = s.feedback_events(Some(&addr("anna@example.de")), 10, 0).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].message.as_deref(), Some(key(1).as_str()));
    assert_eq!(events[0].source.as_deref(), Some("campaign:1"));
    assert_eq!(events[0].from_domain.as_deref(), Some("example.org"));
    assert_eq!(events[0].reply_code, Some(550));
}

pub async fn attribution_falls_back_to_message_id_then_recipient(db: Db) {
    let s = &db.store;
    send(s, &[(2, "ben@example.de"), (3, "carla@example.de")], "campaign:1", 0).await;
    let mut by_id = fb(FeedbackKind::HardBounce, "userunknown", None, None, 10);
    by_id.message_id = Some(format!("<{}@mail.example.org>", key(2)));
    let by_rcpt = fb(FeedbackKind::HardBounce, "userunknown", Some("carla@example.de"), None, 10);
    let stranger = fb(FeedbackKind::HardBounce, "userunknown", Some("dora@example.de"), None, 10);
    // A Message-ID of one message with another recipient is not believed for that message.
    let mut mismatch = fb(FeedbackKind::HardBounce, "userunknown", Some("emil@example.de"), None, 10);
    mismatch.message_id = Some(format!("<{}@mail.example.org>", key(2)));
    let done = process(s, &[by_id, by_rcpt, stranger, mismatch], 10).await;
    let got: Vec<_> = done.outcomes.iter().map(|o| (o.attributed_by, o.action, o.address.as_deref())).collect();
    assert_eq!(
        got,
        [
            (Attribution::MessageId, FeedbackAction::Suppressed, Some("ben@example.de")),
            (Attribution::Recipient, FeedbackAction::Suppressed, Some("carla@example.de")),
            (Attribution::None, FeedbackAction::Ignored, Some("dora@example.de")),
            (Attribution::None, FeedbackAction::Ignored, Some("emil@example.de")),
        ]
    );
    assert!(s.suppression(&addr("dora@example.de")).await.unwrap().is_none(), "a bounce for a stranger is ignored");
    assert!(s.suppression(&addr("emil@example.de")).await.unwrap().is_none());
    assert_eq!(s.feedback_events(None, 10, 0).await.unwrap().len(), 4, "all are recorded");
}

/// Anna on two lists, with marketing message `k` of "campaign:7" sent to her from the first one.
/// Returns her contact id.
async fn anna_on_two_lists_mailed(s: &Store, k: u8) -> i64 {
    let a = s.create_list(&news(), t(0)).await.unwrap();
    let mut other = news();
    other.name = kurier_core::ListName::parse("offers").unwrap();
    let b = s.create_list(&other, t(0)).await.unwrap();
    let anna = addr("anna@example.de");
    let mut contact = 0;
    for l in [&a, &b] {
        if let kurier_store::SubscribeOutcome::Recorded { contact_id, .. } = s
            .request_subscription(
                &kurier_store::SubscribeRequest {
                    list: l,
                    email: &anna,
                    name: None,
                    evidence: &form_evidence(),
                    confirmed: true,
                },
                t(1),
                |_, _| Ok(None),
            )
            .await
            .unwrap()
        {
            contact = contact_id;
        }
    }
    let mut m = message(k, "anna@example.de", MessageKind::Marketing, Some(a.id), Some(contact));
    m.source = "campaign:7".into();
    s.enqueue(&m, t(2)).await.unwrap();
    let claimed = s.claim_batch("n", t(2), Duration::from_secs(60), 10).await.unwrap();
    s.record_outcomes(&[(&claimed[0], kurier_store::DeliveryOutcome::Sent { reply: "250".into() })], t(2))
        .await
        .unwrap();
    contact
}

fn report(kind: FeedbackKind, feedback_type: &str, k: u8, at: i64) -> Feedback {
    let mut f = fb(kind, "feedback", Some("anna@example.de"), Some(k), at);
    f.feedback_type = Some(feedback_type.into());
    f
}

/// Both of Anna's subscriptions ended, each with a ledger entry of this source whose text starts so.
async fn left_both_lists(s: &Store, contact: i64, source: &str, text: &str) {
    let subs = s.subscriptions(contact).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|x| x.status == kurier_core::SubscriptionStatus::Unsubscribed));
    let ledger = s.consent_ledger(contact).await.unwrap();
    let leaving: Vec<_> = ledger.iter().filter(|r| r.action == kurier_core::ConsentAction::Unsubscribed).collect();
    assert_eq!(leaving.len(), 2, "one ledger entry per list");
    assert!(leaving.iter().all(|r| r.source == source), "{leaving:?}");
    assert!(leaving.iter().all(|r| r.consent_text.as_deref().unwrap().starts_with(text)), "{leaving:?}");
}

pub async fn complaints_unsubscribe_from_every_list_with_a_ledger_entry(db: Db) {
    let s = &db.store;
    let contact = anna_on_two_lists_mailed(s, 4).await;
    let anna = addr("anna@example.de");
    let done = process(s, &[report(FeedbackKind::Complaint, "abuse", 4, 50)], 50).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Unsubscribed);
    left_both_lists(s, contact, "complaint", "Complaint (abuse)").await;
    assert_eq!(s.suppression(&anna).await.unwrap().unwrap().reason, SuppressionReason::Complaint);
    assert_eq!(s.outbox_entry(&key(4)).await.unwrap().unwrap().state, DeliveryState::Complained);
}

/// An opt-out report is an unsubscribe: every list, with a ledger entry, but no suppression (mail
/// she asked for still reaches her) and no complaint in the rates.
pub async fn opt_outs_unsubscribe_without_suppressing_or_counting_as_complaints(db: Db) {
    let s = &db.store;
    let contact = anna_on_two_lists_mailed(s, 5).await;
    let done = process(s, &[report(FeedbackKind::OptOut, "opt-out", 5, 50)], 50).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::OptedOut);
    assert!(done.alerts.is_empty(), "one complaint in one message would be a critical rate: {:?}", done.alerts);
    left_both_lists(s, contact, "opt_out", "Opt-out report (opt-out)").await;
    assert!(s.suppression(&addr("anna@example.de")).await.unwrap().is_none());
    assert_eq!(s.outbox_entry(&key(5)).await.unwrap().unwrap().state, DeliveryState::Sent);
    let rates = s.rates(&FeedbackPolicy::default(), t(51)).await.unwrap();
    assert!(rates.iter().all(|r| r.complaints == 0), "{rates:?}");
    let events = s.feedback_events(None, 10, 0).await.unwrap();
    assert_eq!(events[0].kind, FeedbackKind::OptOut);
}

/// A "not spam" correction changes nothing; an authentication-failure report blames the sender's
/// mail, not the recipient's wish: a reputation alert, no suppression, no unsubscribe, no complaint.
pub async fn reports_that_are_no_complaint_leave_the_recipient_alone(db: Db) {
    let s = &db.store;
    let contact = anna_on_two_lists_mailed(s, 6).await;
    let done = process(
        s,
        &[report(FeedbackKind::NotSpam, "not-spam", 6, 50), report(FeedbackKind::SenderReport, "auth-failure", 6, 50)],
        50,
    )
    .await;
    let actions: Vec<_> = done.outcomes.iter().map(|o| o.action).collect();
    assert_eq!(actions, [FeedbackAction::Recorded, FeedbackAction::ReputationAlert]);
    assert_eq!(done.alerts.len(), 1);
    assert_eq!(done.alerts[0].kind, AlertKind::SenderReputation);
    assert!(done.alerts[0].detail.as_deref().unwrap().starts_with("example.de auth-failure:"), "{:?}", done.alerts[0]);
    let subs = s.subscriptions(contact).await.unwrap();
    assert!(subs.iter().all(|x| x.status == kurier_core::SubscriptionStatus::Confirmed), "{subs:?}");
    assert!(s.suppression(&addr("anna@example.de")).await.unwrap().is_none());
    assert_eq!(s.outbox_entry(&key(6)).await.unwrap().unwrap().state, DeliveryState::Sent);
    let rates = s.rates(&FeedbackPolicy::default(), t(51)).await.unwrap();
    assert!(rates.iter().all(|r| r.complaints == 0), "{rates:?}");
}

/// Delay warnings are recorded, never counted: three messages delayed over eight days are not
/// three soft bounces, and they do not end a streak either.
pub async fn delay_warnings_are_recorded_not_counted(db: Db) {
    let s = &db.store;
    let delayed = |k: u8, at: i64| {
        let mut f = fb(FeedbackKind::Delayed, "expired", Some("emil@example.de"), Some(k), at);
        f.status = Some("4.4.1".into());
        f
    };
    for (k, day) in [(20u8, 0), (21, 4), (22, 8)] {
        send(s, &[(k, "emil@example.de")], "c", day * DAY).await;
        let done = process(s, &[delayed(k, day * DAY + 60)], day * DAY + 60).await;
        assert_eq!(done.outcomes[0].action, FeedbackAction::Recorded);
    }
    assert!(s.suppression(&addr("emil@example.de")).await.unwrap().is_none());
    assert_eq!(s.outbox_entry(&key(22)).await.unwrap().unwrap().state, DeliveryState::Sent);
    let events = s.feedback_events(Some(&addr("emil@example.de")), 10, 0).await.unwrap();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.kind == FeedbackKind::Delayed));
}

/// A message that drew an opt-out (or an auto-reply) arrived: it ends a soft-bounce streak as a
/// message that drew nothing does; one that drew only a delay warning does not.
pub async fn an_opt_out_is_a_sign_of_delivery_a_delay_is_not(db: Db) {
    let s = &db.store;
    let soft = |k: u8, at: i64| {
        let mut f = fb(FeedbackKind::SoftBounce, "mailboxfull", Some("fritz@example.de"), Some(k), at);
        f.status = Some("4.2.2".into());
        f
    };
    let other = |kind: FeedbackKind, k: u8, at: i64| fb(kind, "feedback", Some("fritz@example.de"), Some(k), at);
    send(s, &[(30, "fritz@example.de")], "c", 0).await;
    process(s, &[soft(30, 60)], 60).await;
    send(s, &[(31, "fritz@example.de")], "c", 2 * DAY).await;
    process(s, &[other(FeedbackKind::OptOut, 31, 3 * DAY)], 3 * DAY).await;
    send(s, &[(32, "fritz@example.de")], "c", 4 * DAY).await;
    process(s, &[soft(32, 5 * DAY)], 5 * DAY).await;
    send(s, &[(33, "fritz@example.de")], "c", 8 * DAY).await;
    let done = process(s, &[soft(33, 8 * DAY + 60)], 8 * DAY + 60).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Counted, "message 31 arrived: the streak is 32, 33");
    // For the same course with a delay warning instead, the streak runs through.
    let soft = |k: u8, at: i64| {
        let mut f = fb(FeedbackKind::SoftBounce, "mailboxfull", Some("greta@example.de"), Some(k), at);
        f.status = Some("4.2.2".into());
        f
    };
    let delayed = |k: u8, at: i64| fb(FeedbackKind::Delayed, "expired", Some("greta@example.de"), Some(k), at);
    send(s, &[(40, "greta@example.de")], "c", 0).await;
    process(s, &[soft(40, 60)], 60).await;
    send(s, &[(41, "greta@example.de")], "c", 2 * DAY).await;
    process(s, &[delayed(41, 3 * DAY)], 3 * DAY).await;
    send(s, &[(42, "greta@example.de")], "c", 4 * DAY).await;
    process(s, &[soft(42, 5 * DAY)], 5 * DAY).await;
    send(s, &[(43, "greta@example.de")], "c", 8 * DAY).await;
    let done = process(s, &[soft(43, 8 * DAY + 60)], 8 * DAY + 60).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Escalated);
}

pub async fn soft_bounces_escalate_after_three_over_a_week(db: Db) {
    let s = &db.store;
    let soft = |k: u8, at: i64| {
        let mut f = fb(FeedbackKind::SoftBounce, "mailboxfull", Some("dora@example.de"), Some(k), at);
        f.status = Some("4.2.2".into());
        f
    };
    // Three soft bounces within five days: a full mailbox, nothing more.
    send(s, &[(10, "dora@example.de")], "c", 0).await;
    assert_eq!(process(s, &[soft(10, 60)], 60).await.outcomes[0].action, FeedbackAction::Counted);
    send(s, &[(11, "dora@example.de")], "c", 2 * DAY).await;
    assert_eq!(process(s, &[soft(11, 2 * DAY + 60)], 2 * DAY + 60).await.outcomes[0].action, FeedbackAction::Counted);
    // The same bounce reported twice (a second item for message 11) still counts one message.
    assert_eq!(process(s, &[soft(11, 5 * DAY)], 5 * DAY).await.outcomes[0].action, FeedbackAction::Counted);
    assert!(s.suppression(&addr("dora@example.de")).await.unwrap().is_none());
    // The third bounced message, eight days after the first: suppressed.
    send(s, &[(12, "dora@example.de")], "c", 8 * DAY).await;
    let done = process(s, &[soft(12, 8 * DAY + 60)], 8 * DAY + 60).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Escalated);
    assert_eq!(s.suppression(&addr("dora@example.de")).await.unwrap().unwrap().reason, SuppressionReason::SoftBounce);
    let events = s.feedback_events(Some(&addr("dora@example.de")), 10, 0).await.unwrap();
    assert_eq!(events[0].action, FeedbackAction::Escalated, "the event records the escalation");
}

pub async fn a_delivery_between_soft_bounces_ends_the_streak(db: Db) {
    let s = &db.store;
    let soft = |k: u8, at: i64| fb(FeedbackKind::SoftBounce, "mailboxfull", Some("emil@example.de"), Some(k), at);
    send(s, &[(20, "emil@example.de")], "c", 0).await;
    process(s, &[soft(20, 60)], 60).await;
    // Message 21 went out and drew no bounce: it was delivered.
    send(s, &[(21, "emil@example.de")], "c", DAY).await;
    send(s, &[(22, "emil@example.de")], "c", 4 * DAY).await;
    process(s, &[soft(22, 4 * DAY + 60)], 4 * DAY + 60).await;
    send(s, &[(23, "emil@example.de")], "c", 9 * DAY).await;
    let done = process(s, &[soft(23, 9 * DAY + 60)], 9 * DAY + 60).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Counted, "only two in a row since the delivery");
    assert!(s.suppression(&addr("emil@example.de")).await.unwrap().is_none());
    // A delivery notice also ends a streak; an auto-reply changes nothing.
    let mut notice = fb(FeedbackKind::Delivered, "delivered", Some("emil@example.de"), Some(23), 9 * DAY + 90);
    notice.status = Some("2.0.0".into());
    let vacation = fb(FeedbackKind::AutoReply, "vacation", Some("emil@example.de"), None, 9 * DAY + 90);
    let done = process(s, &[notice, vacation], 9 * DAY + 90).await;
    assert!(done.outcomes.iter().all(|o| o.action == FeedbackAction::Recorded));
    send(s, &[(24, "emil@example.de")], "c", 12 * DAY).await;
    let done = process(s, &[soft(24, 12 * DAY + 60)], 12 * DAY + 60).await;
    assert_eq!(done.outcomes[0].action, FeedbackAction::Counted);
}

pub async fn blocks_that_blame_the_sender_raise_one_alert_and_suppress_no_one(db: Db) {
    let s = &db.store;
    send(s, &[(30, "a@gmail.example"), (31, "b@gmail.example"), (32, "c@other.example")], "campaign:2", 0).await;
    let blocked = |k: u8, to: &str| {
        let mut f = fb(FeedbackKind::SenderBlocked, "blocked", Some(to), Some(k), 60);
        f.diagnostic = Some("550 5.7.1 Service unavailable; client host blocked using Spamhaus".into());
        f.status = Some("5.7.1".into());
        f
    };
    let done = process(
        s,
        &[blocked(30, "a@gmail.example"), blocked(31, "b@gmail.example"), blocked(32, "c@other.example")],
        60,
    )
    .await;
    assert!(done.outcomes.iter().all(|o| o.action == FeedbackAction::ReputationAlert));
    assert_eq!(done.alerts.len(), 2, "one per receiving domain, not one per message");
    assert!(done.alerts.iter().all(|a| a.kind == AlertKind::SenderReputation && a.key == "example.org"));
    assert!(done.alerts[0].detail.as_deref().unwrap().starts_with("gmail.example blocked:"));
    for to in ["a@gmail.example", "b@gmail.example", "c@other.example"] {
        assert!(s.suppression(&addr(to)).await.unwrap().is_none(), "{to} is not to blame");
    }
    assert_eq!(s.outbox_entry(&key(30)).await.unwrap().unwrap().state, DeliveryState::Bounced);
    // Blocks are not bounces of bad addresses: the hard-bounce rate stays clean.
    let rates = s.rates(&FeedbackPolicy::default(), t(60)).await.unwrap();
    assert!(rates.iter().all(|r| r.hard_bounces == 0));
}

pub async fn rates_raise_alerts_once_per_level(db: Db) {
    let s = &db.store;
    let names: Vec<String> = (1..=100).map(|i| format!("r{i}@example.de")).collect();
    let msgs: Vec<(u8, &str)> = names.iter().enumerate().map(|(i, n)| (i as u8 + 100, n.as_str())).collect();
    send(s, &msgs, "campaign:9", 0).await;
    let hard = |k: u8| fb(FeedbackKind::HardBounce, "userunknown", None, Some(k), 60);
    let done = process(s, &[hard(100)], 60).await;
    assert!(done.alerts.is_empty(), "1% is fine");
    let done = process(s, &[hard(101)], 61).await;
    let kinds: Vec<_> = done.alerts.iter().map(|a| (a.kind, a.scope, a.key.as_str(), a.level)).collect();
    assert_eq!(
        kinds,
        [
            (AlertKind::BounceRate, RateScope::Campaign, "campaign:9", RateLevel::Warn),
            (AlertKind::BounceRate, RateScope::Domain, "example.org", RateLevel::Warn),
        ]
    );
    assert_eq!((done.alerts[0].count, done.alerts[0].total), (2, 100));
    assert!(process(s, &[hard(102), hard(103)], 62).await.alerts.is_empty(), "warned already");
    assert!(s.critical_alert(RateScope::Campaign, "campaign:9").await.unwrap().is_none());
    let done = process(s, &[hard(104)], 63).await;
    assert_eq!(done.alerts.len(), 2);
    assert!(done.alerts.iter().all(|a| a.level == RateLevel::Critical));
    let critical = s.critical_alert(RateScope::Campaign, "campaign:9").await.unwrap().unwrap();
    assert_eq!((critical.count, critical.total), (5, 100));
    assert!(process(s, &[hard(105)], 64).await.alerts.is_empty(), "critical already");
    // A complaint in a hundred is far over 0.3%.
    let done = process(s, &[fb(FeedbackKind::Complaint, "feedback", None, Some(106), 65)], 65).await;
    assert!(done.alerts.iter().all(|a| a.kind == AlertKind::ComplaintRate && a.level == RateLevel::Critical));
    assert_eq!(done.alerts.len(), 2);
    let rates = s.rates(&FeedbackPolicy::default(), t(66)).await.unwrap();
    let campaign = rates.iter().find(|r| r.scope == RateScope::Campaign && r.key == "campaign:9").unwrap();
    assert_eq!((campaign.sent, campaign.hard_bounces, campaign.complaints), (100, 6, 1));
    assert!((campaign.bounce_rate - 0.06).abs() < 1e-9);
    assert_eq!((campaign.bounce_level, campaign.complaint_level), (RateLevel::Critical, RateLevel::Critical));
    assert_eq!(s.alerts(true, 100).await.unwrap().len(), 6);
    // Judged again without new feedback, nothing changes while the rates stay as they are.
    assert!(s.rejudge_open_alerts(&FeedbackPolicy::default(), t(67)).await.unwrap().is_empty());
    assert_eq!(s.alerts(true, 100).await.unwrap().len(), 6);
    // Thirty days on, the window has moved past these messages: nothing is left to judge, and the
    // open alerts are resolved without any feedback arriving.
    let later = s.rates(&FeedbackPolicy::default(), t(31 * DAY)).await.unwrap();
    assert!(later.is_empty());
    assert!(s.rejudge_open_alerts(&FeedbackPolicy::default(), t(31 * DAY)).await.unwrap().is_empty());
    assert!(s.alerts(true, 100).await.unwrap().is_empty());
    assert!(s.critical_alert(RateScope::Campaign, "campaign:9").await.unwrap().is_none());
    assert_eq!(s.alerts(false, 100).await.unwrap().len(), 6, "resolved, not deleted");
}

pub async fn alerts_can_be_resolved_by_hand(db: Db) {
    let s = &db.store;
    let names: Vec<String> = (1..=100).map(|i| format!("h{i}@example.de")).collect();
    let msgs: Vec<(u8, &str)> = names.iter().enumerate().map(|(i, n)| (i as u8 + 100, n.as_str())).collect();
    send(s, &msgs, "campaign:7", 0).await;
    let hard = |k: u8| fb(FeedbackKind::HardBounce, "userunknown", None, Some(k), 60);
    let done = process(s, &[hard(100), hard(101), hard(102), hard(103), hard(104)], 60).await;
    assert!(done.alerts.iter().all(|a| a.level == RateLevel::Critical), "{:?}", done.alerts);
    let campaign = s.critical_alert(RateScope::Campaign, "campaign:7").await.unwrap().unwrap();
    let resolved = s.resolve_alert(campaign.id, t(70)).await.unwrap().unwrap();
    assert_eq!(resolved.resolved_at, Some(t(70)));
    assert!(s.critical_alert(RateScope::Campaign, "campaign:7").await.unwrap().is_none());
    // Resolving again keeps the first time; an unknown alert is none.
    assert_eq!(s.resolve_alert(campaign.id, t(80)).await.unwrap().unwrap().resolved_at, Some(t(70)));
    assert_eq!(s.resolve_alert(999_999, t(80)).await.unwrap(), None);
    // The rate is still critical: the next bounce raises a new alert.
    let done = process(s, &[hard(105)], 90).await;
    assert!(done.alerts.iter().any(|a| a.scope == RateScope::Campaign && a.level == RateLevel::Critical));
}

pub async fn erasure_removes_the_address_from_feedback(db: Db) {
    let s = &db.store;
    send(s, &[(40, "fritz@example.de")], "c", 0).await;
    process(s, &[fb(FeedbackKind::HardBounce, "userunknown", Some("fritz@example.de"), Some(40), 60)], 60).await;
    assert_eq!(count_rows(&db, "inbound").await, 1);
    assert!(s.erase_contact(&addr("fritz@example.de"), t(100)).await.unwrap());
    assert_eq!(count_rows(&db, "inbound").await, 0, "the received bounce quoted the address");
    let events = s.feedback_events(None, 10, 0).await.unwrap();
    assert_eq!(events.len(), 1, "the event still counts");
    assert_eq!((events[0].address.as_deref(), events[0].diagnostic.as_deref()), (None, None));
}
