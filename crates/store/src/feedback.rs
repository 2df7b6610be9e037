//! Feedback: bounces, complaints, auto-replies and delivery notices, from the moment they arrive to
//! what is done about them.
//!
//! 1. Receivers (inbound SMTP, IMAP polling, provider webhooks) store what arrived as it arrived with
//!    [`Store::enqueue_inbound`]; a receiver acknowledges only after that returned, so nothing is lost.
//! 2. The feedback worker claims items by lease ([`Store::claim_inbound`]), parses them, and hands the
//!    result to [`Store::complete_inbound`], which in one transaction attributes each recipient to the
//!    message it is about (VERP key, then `Message-ID`, then the last message to the address), applies
//!    the policy, records a [`FeedbackOutcome`] per recipient, and raises rate alerts.
//!
//! The policy ([`FeedbackPolicy`]):
//! - hard bounce: the address is suppressed at once;
//! - complaint (a spam report): suppressed, and unsubscribed from every list with a ledger entry per
//!   list; an opt-out report only unsubscribes (no suppression, not a complaint in the rate); a
//!   not-spam report is recorded; an authentication-failure or virus report raises a reputation alert;
//! - soft bounce: counted; [`SoftBounceRule`](kurier_core::SoftBounceRule) many in a row, with no
//!   delivery between, over at least its span, suppress;
//! - a failure that blames the sender (blocked, spam detected, DMARC): never suppresses, raises a
//!   sender-reputation alert for the sending domain;
//! - auto-replies, delay warnings and delivery notices are recorded and change nothing (a delivery
//!   ends a soft streak; a message that drew only an auto-reply or opt-out arrived too, one that drew
//!   a delay warning may not have).
//!
//! Feedback that names no message Kurier sent is recorded but not acted on: a bounce is believed only
//! for an address that was mailed, so a forged bounce cannot suppress anyone.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kurier_core::{
    ConsentAction, DeliveryState, EmailAddress, Evidence, FeedbackKind, FeedbackPolicy, MessageKey, RateLevel,
    SubscriptionStatus, Threshold,
};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::contacts::{append_consent, set_status};
use crate::suppressions::{INSERT_SUPPRESSION, SuppressionReason};
use crate::{Result, Store, StoreError, Tx, flag, from_ms, to_ms};

/// How an inbound item's payload is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundFormat {
    /// A mail message (RFC 5322 bytes): DSN, ARF, auto-reply, plain-text bounce.
    Mail,
    /// An Amazon SES notification (the `Message` of an SNS notification, JSON).
    Ses,
    /// A Postmark webhook body (JSON).
    Postmark,
    /// A SendGrid event webhook body (a JSON array of events).
    Sendgrid,
    /// A Mailgun webhook body (JSON with `event-data`).
    Mailgun,
}

impl InboundFormat {
    pub const ALL: [Self; 5] = [Self::Mail, Self::Ses, Self::Postmark, Self::Sendgrid, Self::Mailgun];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mail => "mail",
            Self::Ses => "ses",
            Self::Postmark => "postmark",
            Self::Sendgrid => "sendgrid",
            Self::Mailgun => "mailgun",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Something received, to be kept until it has been acted on.
#[derive(Clone, Debug)]
pub struct NewInbound<'a> {
    /// Where it came from: `smtp`, `imap`, `ses`, `postmark`, `sendgrid`, `mailgun`.
    pub source: &'a str,
    pub format: InboundFormat,
    /// Envelope recipients (SMTP `RCPT TO`), where there are any: a VERP address among them names the
    /// message the bounce is about.
    pub recipients: &'a [String],
    /// Names the item at its source so that receiving it twice stores it once (IMAP UID, webhook id).
    pub dedupe_key: Option<&'a str>,
    pub payload: &'a [u8],
}

/// An inbound item leased to one worker.
#[derive(Clone, Debug)]
pub struct InboundItem {
    pub id: i64,
    pub source: String,
    pub format: InboundFormat,
    pub recipients: Vec<String>,
    pub payload: Vec<u8>,
    pub attempts: u32,
    pub received_at: DateTime<Utc>,
    pub lease_owner: String,
}

/// One recipient's feedback, parsed and classified, ready to be acted on.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub kind: FeedbackKind,
    /// Sisimai's reason name (`userunknown`, `mailboxfull`, `feedback`, `vacation`, ...).
    pub reason: String,
    /// The recipient the feedback names, when it names one.
    pub address: Option<EmailAddress>,
    pub status: Option<String>,
    pub reply_code: Option<u16>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    /// ARF `Feedback-Type` (`abuse`, ...) or the provider's complaint type.
    pub feedback_type: Option<String>,
    /// The message named by a VERP return path whose signature was verified.
    pub message_key: Option<MessageKey>,
    /// The original message's `Message-ID`, as quoted in the bounce or by the provider.
    pub message_id: Option<String>,
    /// When it happened, as far as the feedback tells (else when it was received).
    pub at: DateTime<Utc>,
}

/// How a piece of feedback was tied to a message Kurier sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    Verp,
    MessageId,
    Recipient,
    None,
}

impl Attribution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verp => "verp",
            Self::MessageId => "message_id",
            Self::Recipient => "recipient",
            Self::None => "none",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Verp, Self::MessageId, Self::Recipient, Self::None].into_iter().find(|a| a.as_str() == s)
    }
}

/// What was done about one piece of feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackAction {
    /// The address was suppressed (hard bounce).
    Suppressed,
    /// Suppressed and unsubscribed from every list (complaint).
    Unsubscribed,
    /// Unsubscribed from every list, not suppressed (an opt-out report).
    OptedOut,
    /// A soft bounce, counted; the streak is not (yet) long enough.
    Counted,
    /// A soft bounce that completed a streak: the address was suppressed.
    Escalated,
    /// The sender was blamed: a reputation alert, no suppression.
    ReputationAlert,
    /// Recorded, nothing to do (auto-reply, delivery notice, delay warning, not-spam report).
    Recorded,
    /// Not tied to any message Kurier sent, or naming no address: recorded, not acted on.
    Ignored,
}

impl FeedbackAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suppressed => "suppressed",
            Self::Unsubscribed => "unsubscribed",
            Self::OptedOut => "opted_out",
            Self::Counted => "counted",
            Self::Escalated => "escalated",
            Self::ReputationAlert => "reputation_alert",
            Self::Recorded => "recorded",
            Self::Ignored => "ignored",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Suppressed,
            Self::Unsubscribed,
            Self::OptedOut,
            Self::Counted,
            Self::Escalated,
            Self::ReputationAlert,
            Self::Recorded,
            Self::Ignored,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// A recorded piece of feedback and what was done about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeedbackEvent {
    pub id: i64,
    pub inbound_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub kind: FeedbackKind,
    pub reason: String,
    pub address: Option<String>,
    pub status: Option<String>,
    pub reply_code: Option<u16>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
    pub feedback_type: Option<String>,
    /// The message's key (as in the API and `Message-ID`), when it was attributed to one.
    pub message: Option<String>,
    /// The campaign or other source of that message.
    pub source: Option<String>,
    pub from_domain: Option<String>,
    pub attributed_by: Attribution,
    pub action: FeedbackAction,
}

/// The result of acting on one piece of feedback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackOutcome {
    pub kind: FeedbackKind,
    pub address: Option<String>,
    pub outbox_id: Option<i64>,
    pub attributed_by: Attribution,
    pub action: FeedbackAction,
}

/// What [`Store::complete_inbound`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completed {
    pub outcomes: Vec<FeedbackOutcome>,
    /// Alerts raised because a rate crossed a threshold or the sender was blamed.
    pub alerts: Vec<Alert>,
    /// False when the lease was lost or the item was already done: nothing was recorded.
    pub recorded: bool,
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    BounceRate,
    ComplaintRate,
    /// A receiver blocked or refused mail because of the sender (blocklist, spam verdict, DMARC).
    SenderReputation,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BounceRate => "bounce_rate",
            Self::ComplaintRate => "complaint_rate",
            Self::SenderReputation => "sender_reputation",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::BounceRate, Self::ComplaintRate, Self::SenderReputation].into_iter().find(|k| k.as_str() == s)
    }
}

/// What a rate or alert is kept per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateScope {
    /// A campaign, or another source of messages (`system:confirm`, a flow, ...).
    Campaign,
    /// A sending domain (the `From` address's domain).
    Domain,
}

impl RateScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Domain => "domain",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Campaign, Self::Domain].into_iter().find(|k| k.as_str() == s)
    }

    /// The outbox column that holds this scope's key.
    fn column(self) -> &'static str {
        match self {
            Self::Campaign => "source",
            Self::Domain => "from_domain",
        }
    }
}

/// A raised alert. A critical bounce or complaint rate is the signal the campaign engine pauses on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: AlertKind,
    pub scope: RateScope,
    pub key: String,
    pub level: RateLevel,
    /// Bounces or complaints in the window (1 for a reputation alert).
    pub count: i64,
    /// Messages handed off in the window.
    pub total: i64,
    pub detail: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Hard-bounce and complaint rates of one campaign or sending domain over the rolling window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rate {
    pub scope: RateScope,
    pub key: String,
    /// Messages handed off to a relay in the window.
    pub sent: i64,
    pub hard_bounces: i64,
    pub complaints: i64,
    pub bounce_rate: f64,
    pub complaint_rate: f64,
    pub bounce_level: RateLevel,
    pub complaint_level: RateLevel,
}

/// Outbox states of a message that left Kurier (the denominators of the rates).
const HANDED_OFF: &str = "('sent', 'bounced', 'complained')";

/// The message feedback was tied to.
struct Attributed {
    id: i64,
    to_addr: String,
    to_hash: String,
    source: String,
    from_domain: String,
    contact_id: Option<i64>,
    created_at: i64,
    state: String,
}

const ATTRIBUTED_COLUMNS: &str = "id, to_addr, to_hash, source, from_domain, contact_id, created_at, state";

fn attributed_from_row(row: &AnyRow) -> Result<Attributed> {
    Ok(Attributed {
        id: row.try_get("id")?,
        to_addr: row.try_get("to_addr")?,
        to_hash: row.try_get("to_hash")?,
        source: row.try_get("source")?,
        from_domain: row.try_get("from_domain")?,
        contact_id: row.try_get("contact_id")?,
        created_at: row.try_get("created_at")?,
        state: row.try_get("state")?,
    })
}

/// The message key in a `Message-ID` Kurier wrote (`<{key}@{domain}>`).
fn key_of_message_id(message_id: &str) -> Option<MessageKey> {
    let id = message_id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, _) = id.rsplit_once('@')?;
    MessageKey::parse(local)
}

fn lease_until(now: DateTime<Utc>, lease: Duration) -> i64 {
    to_ms(now) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

impl Store {
    /// Stores a received item for the feedback worker. Returns its id, or `None` when an item with
    /// the same dedupe key was stored before.
    pub async fn enqueue_inbound(&self, item: &NewInbound<'_>, now: DateTime<Utc>) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO inbound (source, format, recipients, dedupe_key, payload, state, next_attempt_at, \
             received_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(item.source)
        .bind(item.format.as_str())
        .bind(item.recipients.join("\n"))
        .bind(item.dedupe_key)
        .bind(item.payload)
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let id = row.map(|r| r.try_get::<i64, _>("id")).transpose()?;
        if id.is_some() {
            self.inbound_wakeup.notify_one();
        }
        Ok(id)
    }

    /// Signalled whenever an inbound item is stored, so the feedback worker need not poll.
    pub fn inbound_wakeup(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.inbound_wakeup.clone()
    }

    /// Leases up to `limit` pending items (or items whose lease expired) to `node`.
    pub async fn claim_inbound(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<InboundItem>> {
        let owner = format!("{node}/in{}", self.claims.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(&format!(
            "UPDATE inbound SET state = 'processing', lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM inbound WHERE (state = 'pending' AND next_attempt_at <= $3) \
             OR (state = 'processing' AND lease_until < $3) ORDER BY next_attempt_at, id LIMIT $4{})",
            self.dialect.skip_locked()
        ))
        .bind(&owner)
        .bind(lease_until(now, lease))
        .bind(now_ms)
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT id, source, format, recipients, payload, attempts, received_at FROM inbound \
             WHERE lease_owner = $1 AND state = 'processing' ORDER BY id",
        )
        .bind(&owner)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let format: String = row.try_get("format")?;
                let recipients: String = row.try_get("recipients")?;
                Ok(InboundItem {
                    id: row.try_get("id")?,
                    source: row.try_get("source")?,
                    format: InboundFormat::parse(&format)
                        .ok_or_else(|| StoreError::Corrupt(format!("inbound format {format:?}")))?,
                    recipients: recipients.split('\n').filter(|r| !r.is_empty()).map(str::to_string).collect(),
                    payload: row.try_get("payload")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    received_at: from_ms(row.try_get("received_at")?),
                    lease_owner: owner.clone(),
                })
            })
            .collect()
    }

    /// Gives an item back after a failure: retried at `retry_at`, or given up on (`None`), keeping the
    /// payload and the error for a human to look at.
    pub async fn fail_inbound(&self, item: &InboundItem, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE inbound SET state = $1, error = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
             lease_owner = NULL, lease_until = NULL WHERE id = $4 AND lease_owner = $5",
        )
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(error)
        .bind(retry_at.map(to_ms))
        .bind(item.id)
        .bind(&item.lease_owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Acts on the feedback parsed from `item` (possibly none: a message that is no bounce) and marks
    /// the item done, all in one transaction, then re-judges the rates of the campaigns and domains it
    /// touched. If the lease was lost meanwhile, nothing is recorded.
    pub async fn complete_inbound(
        &self,
        item: &InboundItem,
        feedback: &[Feedback],
        policy: &FeedbackPolicy,
        now: DateTime<Utc>,
    ) -> Result<Completed> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE inbound SET state = 'done', processed_at = $1, error = NULL, lease_until = NULL \
             WHERE id = $2 AND lease_owner = $3 AND state = 'processing'",
        )
        .bind(to_ms(now))
        .bind(item.id)
        .bind(&item.lease_owner)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Completed::default());
        }
        let mut completed = Completed { recorded: true, ..Completed::default() };
        let mut touched = BTreeSet::new();
        for (seq, fb) in feedback.iter().enumerate() {
            let (outcome, target) = self.act(&mut tx, item.id, seq, fb, policy, now, &mut completed.alerts).await?;
            if let Some(m) = target
                && matches!(fb.kind, FeedbackKind::HardBounce | FeedbackKind::Complaint)
            {
                touched.insert((RateScope::Campaign, m.source));
                touched.insert((RateScope::Domain, m.from_domain));
            }
            completed.outcomes.push(outcome);
        }
        for (scope, key) in touched {
            self.judge_rates(&mut tx, scope, &key, policy, now, &mut completed.alerts).await?;
        }
        tx.commit().await?;
        Ok(completed)
    }

    #[allow(clippy::too_many_arguments)]
    async fn act(
        &self,
        tx: &mut Tx,
        inbound_id: i64,
        seq: usize,
        fb: &Feedback,
        policy: &FeedbackPolicy,
        now: DateTime<Utc>,
        alerts: &mut Vec<Alert>,
    ) -> Result<(FeedbackOutcome, Option<Attributed>)> {
        let (target, attributed_by) = self.attribute(tx, fb, policy, now).await?;
        // The address to act on: the one Kurier mailed, when the message is known (a bounce may name
        // the final address of a forward instead).
        let address = match &target {
            Some(m) => Some(m.to_addr.clone()),
            None => fb.address.as_ref().map(|a| a.as_str().to_string()),
        };
        let hash = match (&target, &fb.address) {
            (Some(m), _) => Some(m.to_hash.clone()),
            (None, Some(a)) => Some(self.address_hash(a)),
            (None, None) => None,
        };
        let detail = describe(fb);
        let action = match (&target, fb.kind) {
            (_, FeedbackKind::AutoReply | FeedbackKind::Delivered | FeedbackKind::NotSpam | FeedbackKind::Delayed) => {
                FeedbackAction::Recorded
            }
            (None, _) => FeedbackAction::Ignored,
            (Some(m), FeedbackKind::HardBounce) => {
                suppress(tx, m, SuppressionReason::HardBounce, &detail, now).await?;
                set_message_state(tx, m, DeliveryState::Bounced, &detail, now).await?;
                FeedbackAction::Suppressed
            }
            (Some(m), FeedbackKind::Complaint) => {
                suppress(tx, m, SuppressionReason::Complaint, &detail, now).await?;
                unsubscribe_all(tx, m, fb, now).await?;
                set_message_state(tx, m, DeliveryState::Complained, &detail, now).await?;
                FeedbackAction::Unsubscribed
            }
            (Some(m), FeedbackKind::OptOut) => {
                unsubscribe_all(tx, m, fb, now).await?;
                FeedbackAction::OptedOut
            }
            (Some(m), FeedbackKind::SenderReport) => {
                if let Some(alert) = reputation_alert(tx, m, fb, &detail, now).await? {
                    alerts.push(alert);
                }
                FeedbackAction::ReputationAlert
            }
            (Some(m), FeedbackKind::SenderBlocked) => {
                set_message_state(tx, m, DeliveryState::Bounced, &detail, now).await?;
                if let Some(alert) = reputation_alert(tx, m, fb, &detail, now).await? {
                    alerts.push(alert);
                }
                FeedbackAction::ReputationAlert
            }
            (Some(m), FeedbackKind::SoftBounce) => {
                set_message_state(tx, m, DeliveryState::Bounced, &detail, now).await?;
                FeedbackAction::Counted
            }
        };
        let inserted = sqlx::query(
            "INSERT INTO feedback_events (inbound_id, seq, at, kind, reason, status, reply_code, diagnostic, \
             remote_mta, feedback_type, address, address_hash, outbox_id, source, from_domain, attributed_by, \
             action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (inbound_id, seq) DO NOTHING RETURNING id",
        )
        .bind(inbound_id)
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .bind(to_ms(fb.at))
        .bind(fb.kind.as_str())
        .bind(&fb.reason)
        .bind(fb.status.as_deref())
        .bind(fb.reply_code.map(i64::from))
        .bind(fb.diagnostic.as_deref())
        .bind(fb.remote_mta.as_deref())
        .bind(fb.feedback_type.as_deref())
        .bind(address.as_deref())
        .bind(hash.as_deref())
        .bind(target.as_ref().map(|m| m.id))
        .bind(target.as_ref().map(|m| m.source.as_str()))
        .bind(target.as_ref().map(|m| m.from_domain.as_str()))
        .bind(attributed_by.as_str())
        .bind(action.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        let mut action = action;
        if inserted.is_some()
            && action == FeedbackAction::Counted
            && let Some(m) = &target
            && self.soft_streak_escalates(tx, m, policy).await?
        {
            suppress(tx, m, SuppressionReason::SoftBounce, &detail, now).await?;
            action = FeedbackAction::Escalated;
            sqlx::query("UPDATE feedback_events SET action = $1 WHERE inbound_id = $2 AND seq = $3")
                .bind(action.as_str())
                .bind(inbound_id)
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .execute(&mut **tx)
                .await?;
        }
        let outcome =
            FeedbackOutcome { kind: fb.kind, address, outbox_id: target.as_ref().map(|m| m.id), attributed_by, action };
        Ok((outcome, target))
    }

    /// Ties feedback to a message: by the verified VERP key, by the quoted `Message-ID`, or by the
    /// latest message handed off to the named address within the rate window.
    async fn attribute(
        &self,
        tx: &mut Tx,
        fb: &Feedback,
        policy: &FeedbackPolicy,
        now: DateTime<Utc>,
    ) -> Result<(Option<Attributed>, Attribution)> {
        let by_key = format!("SELECT {ATTRIBUTED_COLUMNS} FROM outbox WHERE message_key = $1");
        if let Some(key) = &fb.message_key
            && let Some(row) = sqlx::query(&by_key).bind(key.as_str()).fetch_optional(&mut **tx).await?
        {
            return Ok((Some(attributed_from_row(&row)?), Attribution::Verp));
        }
        if let Some(key) = fb.message_id.as_deref().and_then(key_of_message_id)
            && let Some(row) = sqlx::query(&by_key).bind(key.as_str()).fetch_optional(&mut **tx).await?
        {
            let m = attributed_from_row(&row)?;
            // A quoted Message-ID with a different recipient is a forward or a forgery: believe the
            // recipient only if it is the address that was mailed, or if the feedback names none.
            if fb.address.as_ref().is_none_or(|a| self.address_hash(a) == m.to_hash) {
                return Ok((Some(m), Attribution::MessageId));
            }
        }
        if let Some(address) = &fb.address {
            let since = to_ms(now) - i64::try_from(policy.rates.window.as_millis()).unwrap_or(i64::MAX / 2);
            let row = sqlx::query(&format!(
                "SELECT {ATTRIBUTED_COLUMNS} FROM outbox WHERE to_hash = $1 AND created_at >= $2 \
                 AND state IN {HANDED_OFF} ORDER BY created_at DESC, id DESC LIMIT 1"
            ))
            .bind(self.address_hash(address))
            .bind(since)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(row) = row {
                return Ok((Some(attributed_from_row(&row)?), Attribution::Recipient));
            }
        }
        Ok((None, Attribution::None))
    }

    /// Whether the soft bounces of `m`'s address, counted back from the newest to the last sign of a
    /// delivery, complete the policy's streak. A sign of delivery is a delivery notice, or a message
    /// to the address handed off before the bounced one that drew no bounce and no delay warning
    /// (an auto-reply, an opt-out or a not-spam report about it shows it arrived).
    async fn soft_streak_escalates(&self, tx: &mut Tx, m: &Attributed, policy: &FeedbackPolicy) -> Result<bool> {
        let last_delivery: Option<i64> = sqlx::query(
            "SELECT MAX(t) AS t FROM (\
               SELECT MAX(at) AS t FROM feedback_events WHERE address_hash = $1 AND kind = 'delivered' \
               UNION ALL \
               SELECT MAX(o.created_at) AS t FROM outbox o WHERE o.to_hash = $2 AND o.state = 'sent' \
                 AND o.created_at < $3 AND NOT EXISTS (SELECT 1 FROM feedback_events f WHERE f.outbox_id = o.id \
                   AND f.kind IN ('hard_bounce', 'soft_bounce', 'sender_blocked', 'delayed'))\
             ) AS signs",
        )
        .bind(&m.to_hash)
        .bind(&m.to_hash)
        .bind(m.created_at)
        .fetch_one(&mut **tx)
        .await?
        .try_get("t")?;
        // Each bounced message counts once, however many bounces it drew; its time is when the first
        // bounce for it arrived.
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(first_at) AS first_at, MAX(first_at) AS last_at FROM (\
               SELECT f.outbox_id, MIN(f.at) AS first_at FROM feedback_events f JOIN outbox o ON o.id = f.outbox_id \
               WHERE f.address_hash = $1 AND f.kind = 'soft_bounce' AND o.created_at > $2 GROUP BY f.outbox_id\
             ) AS streak",
        )
        .bind(&m.to_hash)
        .bind(last_delivery.unwrap_or(i64::MIN))
        .fetch_one(&mut **tx)
        .await?;
        let n: i64 = row.try_get("n")?;
        let (Some(first), Some(last)) = (row.try_get::<Option<i64>, _>("first_at")?, row.try_get("last_at")?) else {
            return Ok(false);
        };
        Ok(policy.soft_bounce.escalates(u32::try_from(n).unwrap_or(u32::MAX), first, last))
    }

    /// Computes the scope's rates over the window and raises an alert when a level rose above the
    /// highest one still open; open alerts of a rate back under its warning level are resolved.
    async fn judge_rates(
        &self,
        tx: &mut Tx,
        scope: RateScope,
        key: &str,
        policy: &FeedbackPolicy,
        now: DateTime<Utc>,
        alerts: &mut Vec<Alert>,
    ) -> Result<()> {
        let since = to_ms(now) - i64::try_from(policy.rates.window.as_millis()).unwrap_or(i64::MAX / 2);
        let row = sqlx::query(&format!(
            "SELECT COUNT(*) AS sent, {} FROM outbox o WHERE o.{} = $1 AND o.created_at >= $2 AND o.state IN {HANDED_OFF}",
            COUNT_FEEDBACK,
            scope.column()
        ))
        .bind(key)
        .bind(since)
        .fetch_one(&mut **tx)
        .await?;
        let sent: i64 = row.try_get("sent")?;
        let bounces: i64 = row.try_get::<Option<i64>, _>("hard_bounces")?.unwrap_or(0);
        let complaints: i64 = row.try_get::<Option<i64>, _>("complaints")?.unwrap_or(0);
        let checks = [
            (AlertKind::BounceRate, &policy.rates.bounce, bounces),
            (AlertKind::ComplaintRate, &policy.rates.complaint, complaints),
        ];
        for (kind, threshold, count) in checks {
            let level = level(threshold, count, sent, policy.rates.min_volume);
            let open: Vec<String> = sqlx::query(
                "SELECT level FROM alerts WHERE kind = $1 AND scope = $2 AND scope_key = $3 AND resolved_at IS NULL",
            )
            .bind(kind.as_str())
            .bind(scope.as_str())
            .bind(key)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("level"))
            .collect::<std::result::Result<_, _>>()?;
            let highest = open.iter().filter_map(|l| RateLevel::parse(l)).max().unwrap_or(RateLevel::Ok);
            if level > highest {
                let detail = format!(
                    "{count} of {sent} messages in {} days ({:.2}%)",
                    policy.rates.window.as_secs() / 86_400,
                    percent(count, sent)
                );
                let alert = insert_alert(tx, kind, scope, key, level, count, sent, &detail, now).await?;
                tracing::warn!(kind = kind.as_str(), scope = scope.as_str(), key, level = level.as_str(), %detail, "rate alert");
                alerts.push(alert);
            } else if level == RateLevel::Ok && !open.is_empty() {
                sqlx::query(
                    "UPDATE alerts SET resolved_at = $1 WHERE kind = $2 AND scope = $3 AND scope_key = $4 \
                     AND resolved_at IS NULL",
                )
                .bind(to_ms(now))
                .bind(kind.as_str())
                .bind(scope.as_str())
                .bind(key)
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }

    /// Hard-bounce and complaint rates of every campaign and sending domain that handed off mail in
    /// the window, worst first.
    pub async fn rates(&self, policy: &FeedbackPolicy, now: DateTime<Utc>) -> Result<Vec<Rate>> {
        let since = to_ms(now) - i64::try_from(policy.rates.window.as_millis()).unwrap_or(i64::MAX / 2);
        let mut out = Vec::new();
        for scope in [RateScope::Campaign, RateScope::Domain] {
            let col = scope.column();
            let rows = sqlx::query(&format!(
                "SELECT o.{col} AS key, COUNT(*) AS sent, {COUNT_FEEDBACK} FROM outbox o \
                 WHERE o.created_at >= $1 AND o.state IN {HANDED_OFF} GROUP BY o.{col}"
            ))
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let sent: i64 = row.try_get("sent")?;
                let hard_bounces = row.try_get::<Option<i64>, _>("hard_bounces")?.unwrap_or(0);
                let complaints = row.try_get::<Option<i64>, _>("complaints")?.unwrap_or(0);
                let min = policy.rates.min_volume;
                out.push(Rate {
                    scope,
                    key: row.try_get("key")?,
                    sent,
                    hard_bounces,
                    complaints,
                    bounce_rate: ratio(hard_bounces, sent),
                    complaint_rate: ratio(complaints, sent),
                    bounce_level: level(&policy.rates.bounce, hard_bounces, sent, min),
                    complaint_level: level(&policy.rates.complaint, complaints, sent, min),
                });
            }
        }
        out.sort_by(|a, b| {
            (b.bounce_level.max(b.complaint_level), b.bounce_rate + b.complaint_rate)
                .partial_cmp(&(a.bounce_level.max(a.complaint_level), a.bounce_rate + a.complaint_rate))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| (a.scope, &a.key).cmp(&(b.scope, &b.key)))
        });
        Ok(out)
    }

    /// Judges again the rates of every campaign and domain with an open rate alert: time moves the
    /// window on and deliveries change the share, so an alert is resolved when its rate is back
    /// under the warning level even if no feedback arrives (a paused campaign gets none). Returns
    /// alerts raised meanwhile (a rate that rose since).
    pub async fn rejudge_open_alerts(&self, policy: &FeedbackPolicy, now: DateTime<Utc>) -> Result<Vec<Alert>> {
        let mut tx = self.begin().await?;
        let open = sqlx::query(
            "SELECT DISTINCT scope, scope_key FROM alerts WHERE resolved_at IS NULL              AND kind IN ('bounce_rate', 'complaint_rate') ORDER BY scope, scope_key",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut raised = Vec::new();
        for row in &open {
            let scope: String = row.try_get("scope")?;
            let key: String = row.try_get("scope_key")?;
            let Some(scope) = RateScope::parse(&scope) else { continue };
            self.judge_rates(&mut tx, scope, &key, policy, now, &mut raised).await?;
        }
        tx.commit().await?;
        Ok(raised)
    }

    /// Resolves an open alert by hand (someone looked into it, e.g. cleaned the list before
    /// resuming). `None` when there is no such alert; an alert resolved already stays as it was.
    pub async fn resolve_alert(&self, id: i64, now: DateTime<Utc>) -> Result<Option<Alert>> {
        sqlx::query("UPDATE alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL")
            .bind(to_ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT * FROM alerts WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    /// Alerts, newest first; with `open_only`, those not resolved.
    pub async fn alerts(&self, open_only: bool, limit: i64) -> Result<Vec<Alert>> {
        let rows = sqlx::query(
            "SELECT * FROM alerts WHERE ($1 = 0 OR resolved_at IS NULL) ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(flag(open_only))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// Whether a campaign or domain has an open critical rate alert: the campaign engine's signal to
    /// pause.
    pub async fn critical_alert(&self, scope: RateScope, key: &str) -> Result<Option<Alert>> {
        let row = sqlx::query(
            "SELECT * FROM alerts WHERE scope = $1 AND scope_key = $2 AND level = 'critical' \
             AND resolved_at IS NULL AND kind IN ('bounce_rate', 'complaint_rate') ORDER BY id DESC LIMIT 1",
        )
        .bind(scope.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    /// Recorded feedback, newest first; for one address when `address` is given.
    pub async fn feedback_events(
        &self,
        address: Option<&EmailAddress>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<FeedbackEvent>> {
        let rows = sqlx::query(
            "SELECT f.*, o.message_key FROM feedback_events f LEFT JOIN outbox o ON o.id = f.outbox_id \
             WHERE ($1 IS NULL OR f.address_hash = $2) ORDER BY f.at DESC, f.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(address.map(|a| a.as_str()))
        .bind(address.map(|a| self.address_hash(a)))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Counts of inbound items per state (`pending`, `processing`, `done`, `failed`).
    pub async fn inbound_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM inbound GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }
}

/// Counts, per outbox row `o`, whether it drew a hard bounce or a complaint.
const COUNT_FEEDBACK: &str = "SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback_events f WHERE f.outbox_id = o.id \
     AND f.kind = 'hard_bounce') THEN 1 ELSE 0 END) AS hard_bounces, \
     SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback_events f WHERE f.outbox_id = o.id \
     AND f.kind = 'complaint') THEN 1 ELSE 0 END) AS complaints";

fn level(threshold: &Threshold, count: i64, total: i64, min_volume: u64) -> RateLevel {
    threshold.level(u64::try_from(count).unwrap_or(0), u64::try_from(total).unwrap_or(0), min_volume)
}

fn ratio(count: i64, total: i64) -> f64 {
    if total == 0 { 0.0 } else { count as f64 / total as f64 }
}

fn percent(count: i64, total: i64) -> f64 {
    ratio(count, total) * 100.0
}

/// One line on what the feedback said, for suppression details and message events.
fn describe(fb: &Feedback) -> String {
    let mut out = format!("{}: {}", fb.kind.as_str(), fb.reason);
    if let Some(s) = &fb.status {
        out.push(' ');
        out.push_str(s);
    }
    if let Some(d) = &fb.diagnostic {
        out.push_str(" (");
        out.extend(d.chars().take(300));
        out.push(')');
    }
    out
}

async fn suppress(
    tx: &mut Tx,
    m: &Attributed,
    reason: SuppressionReason,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(INSERT_SUPPRESSION)
        .bind(&m.to_hash)
        .bind(&m.to_addr)
        .bind(reason.as_str())
        .bind(detail)
        .bind(to_ms(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a handed-off message to `state` with an event naming the cause; a message already in a
/// later state (complained after bounced, or a second bounce) keeps it.
async fn set_message_state(
    tx: &mut Tx,
    m: &Attributed,
    state: DeliveryState,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let from_states: &[&str] = match state {
        DeliveryState::Complained => &["sent", "bounced"],
        _ => &["sent"],
    };
    if !from_states.contains(&m.state.as_str()) {
        return Ok(());
    }
    sqlx::query("UPDATE outbox SET state = $1, last_error = $2, updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(cause)
        .bind(to_ms(now))
        .bind(m.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO outbox_events (outbox_id, at, state, cause) VALUES ($1, $2, $3, $4)")
        .bind(m.id)
        .bind(to_ms(now))
        .bind(state.as_str())
        .bind(cause)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A complaint or an opt-out ends every subscription of the person, each with a ledger entry that
/// says why.
async fn unsubscribe_all(tx: &mut Tx, m: &Attributed, fb: &Feedback, now: DateTime<Utc>) -> Result<()> {
    let contact_id: Option<i64> = match m.contact_id {
        Some(id) => Some(id),
        None => sqlx::query("SELECT id FROM contacts WHERE email = $1")
            .bind(&m.to_addr)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?,
    };
    let Some(contact_id) = contact_id else { return Ok(()) };
    let lists: Vec<i64> =
        sqlx::query("SELECT list_id FROM subscriptions WHERE contact_id = $1 AND status <> 'unsubscribed'")
            .bind(contact_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("list_id"))
            .collect::<std::result::Result<_, _>>()?;
    let message = fb.message_key.as_ref().map_or_else(|| m.id.to_string(), |k| k.to_string());
    let consent_text = if fb.kind == FeedbackKind::OptOut {
        format!("Opt-out report ({}) about message {message}", fb.feedback_type.as_deref().unwrap_or("opt-out"))
    } else {
        format!("Complaint ({}) about message {message}", fb.feedback_type.as_deref().unwrap_or("abuse"))
    };
    let evidence =
        Evidence { consent_text: Some(consent_text), source: fb.kind.as_str().into(), ..Evidence::default() };
    for list_id in lists {
        append_consent(tx, contact_id, list_id, ConsentAction::Unsubscribed, &evidence, now).await?;
        set_status(tx, contact_id, list_id, SubscriptionStatus::Unsubscribed, None, now).await?;
    }
    Ok(())
}

/// A sender-reputation alert for the sending domain, at most one a day per receiving domain and
/// reason, so a blocklisting that refuses thousands of messages raises one alert, not thousands.
async fn reputation_alert(
    tx: &mut Tx,
    m: &Attributed,
    fb: &Feedback,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Option<Alert>> {
    let receiver = m.to_addr.rsplit_once('@').map_or("", |(_, d)| d);
    // A report names what it is about by its type ("auth-failure"); a bounce by its reason.
    let about = match (fb.kind, &fb.feedback_type) {
        (FeedbackKind::SenderReport, Some(t)) => t.as_str(),
        _ => fb.reason.as_str(),
    };
    let prefix = format!("{receiver} {about}:");
    let day_ago = to_ms(now) - 24 * 3600 * 1000;
    let recent: Vec<Option<String>> = sqlx::query(
        "SELECT detail FROM alerts WHERE kind = 'sender_reputation' AND scope = 'domain' AND scope_key = $1 \
         AND at >= $2",
    )
    .bind(&m.from_domain)
    .bind(day_ago)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get("detail"))
    .collect::<std::result::Result<_, _>>()?;
    if recent.iter().flatten().any(|d| d.starts_with(&prefix)) {
        return Ok(None);
    }
    let text = format!("{prefix} {detail}");
    tracing::warn!(domain = %m.from_domain, %text, "sender reputation alert");
    let alert = insert_alert(
        tx,
        AlertKind::SenderReputation,
        RateScope::Domain,
        &m.from_domain,
        RateLevel::Warn,
        1,
        1,
        &text,
        now,
    )
    .await?;
    Ok(Some(alert))
}

#[allow(clippy::too_many_arguments)]
async fn insert_alert(
    tx: &mut Tx,
    kind: AlertKind,
    scope: RateScope,
    key: &str,
    level: RateLevel,
    count: i64,
    total: i64,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Alert> {
    let row = sqlx::query(
        "INSERT INTO alerts (at, kind, scope, scope_key, level, count, total, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
    )
    .bind(to_ms(now))
    .bind(kind.as_str())
    .bind(scope.as_str())
    .bind(key)
    .bind(level.as_str())
    .bind(count)
    .bind(total)
    .bind(detail)
    .fetch_one(&mut **tx)
    .await?;
    alert_from_row(&row)
}

fn alert_from_row(row: &AnyRow) -> Result<Alert> {
    let kind: String = row.try_get("kind")?;
    let scope: String = row.try_get("scope")?;
    let level: String = row.try_get("level")?;
    Ok(Alert {
        id: row.try_get("id")?,
        at: from_ms(row.try_get("at")?),
        kind: AlertKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("alert kind {kind:?}")))?,
        scope: RateScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("alert scope {scope:?}")))?,
        key: row.try_get("scope_key")?,
        level: RateLevel::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("alert level {level:?}")))?,
        count: row.try_get("count")?,
        total: row.try_get("total")?,
        detail: row.try_get("detail")?,
        resolved_at: row.try_get::<Option<i64>, _>("resolved_at")?.map(from_ms),
    })
}

fn event_from_row(row: &AnyRow) -> Result<FeedbackEvent> {
    let kind: String = row.try_get("kind")?;
    let by: String = row.try_get("attributed_by")?;
    let action: String = row.try_get("action")?;
    Ok(FeedbackEvent {
        id: row.try_get("id")?,
        inbound_id: row.try_get("inbound_id")?,
        at: from_ms(row.try_get("at")?),
        kind: FeedbackKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("feedback kind {kind:?}")))?,
        reason: row.try_get("reason")?,
        address: row.try_get("address")?,
        status: row.try_get("status")?,
        reply_code: row.try_get::<Option<i64>, _>("reply_code")?.and_then(|c| u16::try_from(c).ok()),
        diagnostic: row.try_get("diagnostic")?,
        remote_mta: row.try_get("remote_mta")?,
        feedback_type: row.try_get("feedback_type")?,
        message: row.try_get("message_key")?,
        source: row.try_get("source")?,
        from_domain: row.try_get("from_domain")?,
        attributed_by: Attribution::parse(&by).ok_or_else(|| StoreError::Corrupt(format!("attribution {by:?}")))?,
        action: FeedbackAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("feedback action {action:?}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_keys_are_read_back_from_our_message_ids_only() {
        let key = MessageKey::from_bytes([7; 16]);
        let id = format!("<{key}@mail.example.com>");
        assert_eq!(key_of_message_id(&id), Some(key.clone()));
        assert_eq!(key_of_message_id(&format!(" {key}@x ")), Some(key));
        assert_eq!(key_of_message_id("<CAF=abc@mail.gmail.com>"), None);
        assert_eq!(key_of_message_id("no-at-sign"), None);
    }

    #[test]
    fn names_round_trip() {
        for f in InboundFormat::ALL {
            assert_eq!(InboundFormat::parse(f.as_str()), Some(f));
        }
        for a in [Attribution::Verp, Attribution::MessageId, Attribution::Recipient, Attribution::None] {
            assert_eq!(Attribution::parse(a.as_str()), Some(a));
        }
        for k in [AlertKind::BounceRate, AlertKind::ComplaintRate, AlertKind::SenderReputation] {
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FeedbackAction::parse("escalated"), Some(FeedbackAction::Escalated));
        assert_eq!(FeedbackAction::parse("nope"), None);
    }
}
