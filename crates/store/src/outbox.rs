//! The outbox: every message Kurier sends, its delivery state, and the lease-based queue over it.
//!
//! A delivery worker claims due messages by lease (`lease_owner`, `lease_until`, `attempts`); nothing
//! holds a row lock across the network. Claiming re-checks suppression and consent in the same
//! transaction (DESIGN.md invariant 2), and a lease that expires is simply claimed again by anyone.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kurier_core::{DeliveryState, EmailAddress, MessageKey, MessageKind};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::suppressions::{INSERT_SUPPRESSION, SuppressionReason};
use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// A message to be sent. `dedupe_key` names its cause (`confirm:{list}:{contact}:{request}`), so
/// enqueueing the same cause twice stores one message (invariant 3).
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub key: MessageKey,
    pub dedupe_key: String,
    /// What produced it: `system:confirm`, `system:welcome`, later campaigns and flows.
    pub source: String,
    pub kind: MessageKind,
    pub list_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to: EmailAddress,
    pub envelope_from: String,
    pub subject: String,
    pub raw: Vec<u8>,
    pub not_before: DateTime<Utc>,
}

/// A message leased to one worker for one attempt.
#[derive(Clone, Debug)]
pub struct ClaimedMessage {
    pub id: i64,
    pub key: MessageKey,
    pub to: String,
    pub envelope_from: String,
    pub raw: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// The lease this attempt holds; results are recorded only while it does.
    pub lease_owner: String,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The relay accepted the message; its reply is kept.
    Sent { reply: String },
    /// The capture transport kept it.
    Captured,
    /// A transient failure; try again at `retry_at`.
    Deferred { error: String, retry_at: DateTime<Utc> },
    /// A permanent failure that says nothing about the address (e.g. the message was refused).
    Failed { error: String },
    /// The recipient address was refused permanently: the address is suppressed.
    Bounced { error: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct OutboxEntry {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub state: DeliveryState,
    pub kind: MessageKind,
    pub source: String,
    pub list_id: Option<i64>,
    pub envelope_from: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MessageEvent {
    pub at: DateTime<Utc>,
    pub state: DeliveryState,
    pub cause: Option<String>,
}

fn state_of(s: &str) -> Result<DeliveryState> {
    DeliveryState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("delivery state {s:?}")))
}

fn entry_from_row(row: &AnyRow) -> Result<OutboxEntry> {
    let state: String = row.try_get("state")?;
    let kind: String = row.try_get("kind")?;
    Ok(OutboxEntry {
        id: row.try_get("message_key")?,
        to: row.try_get("to_addr")?,
        subject: row.try_get("subject")?,
        state: state_of(&state)?,
        kind: MessageKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("message kind {kind:?}")))?,
        source: row.try_get("source")?,
        list_id: row.try_get("list_id")?,
        envelope_from: row.try_get("envelope_from")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        last_error: row.try_get("last_error")?,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
    })
}

const ENTRY_COLUMNS: &str = "message_key, to_addr, subject, state, kind, source, list_id, envelope_from, attempts, \
                             last_error, created_at, updated_at";

impl Store {
    /// Enqueues a message unless one with the same dedupe key exists. Returns whether it was stored.
    pub async fn enqueue(&self, msg: &NewMessage, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let stored = self.enqueue_in(&mut tx, msg, now).await?;
        tx.commit().await?;
        if stored {
            self.outbox_wakeup.notify_one();
        }
        Ok(stored)
    }

    /// Enqueues inside a caller's transaction; the caller wakes the engine after commit.
    pub(crate) async fn enqueue_in(&self, tx: &mut Tx, msg: &NewMessage, now: DateTime<Utc>) -> Result<bool> {
        let row = sqlx::query(
            "INSERT INTO outbox (message_key, dedupe_key, source, kind, list_id, contact_id, to_addr, to_hash, \
             envelope_from, subject, raw, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'ready', 0, $12, $13, $13) \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(msg.key.as_str())
        .bind(&msg.dedupe_key)
        .bind(&msg.source)
        .bind(msg.kind.as_str())
        .bind(msg.list_id)
        .bind(msg.contact_id)
        .bind(msg.to.as_str())
        .bind(self.address_hash(&msg.to))
        .bind(&msg.envelope_from)
        .bind(&msg.subject)
        .bind(&msg.raw)
        .bind(to_ms(msg.not_before))
        .bind(to_ms(now))
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let id: i64 = row.try_get("id")?;
        insert_event(tx, id, now, DeliveryState::Ready, &msg.source).await?;
        Ok(true)
    }

    /// Leases up to `limit` due messages to `node` for `lease`. In the same transaction, messages to a
    /// suppressed address, and marketing messages whose contact has no confirmed subscription to the
    /// list, are cancelled instead of claimed.
    pub async fn claim_batch(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>> {
        let owner = format!("{node}/{}", self.claims.fetch_add(1, Ordering::Relaxed));
        let now_ms = to_ms(now);
        let until = now_ms + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(&format!(
            "UPDATE outbox SET state = 'sending', lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE id IN (SELECT id FROM outbox WHERE \
             (state IN ('ready', 'deferred') AND next_attempt_at <= $3) OR (state = 'sending' AND lease_until < $3) \
             ORDER BY next_attempt_at, id LIMIT $4{})",
            self.dialect.skip_locked()
        ))
        .bind(&owner)
        .bind(until)
        .bind(now_ms)
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        const BLOCKED: &str = "EXISTS (SELECT 1 FROM suppressions s WHERE s.address_hash = outbox.to_hash)";
        const NO_CONSENT: &str = "(kind = 'marketing' AND NOT EXISTS (SELECT 1 FROM subscriptions sub \
             WHERE sub.contact_id = outbox.contact_id AND sub.list_id = outbox.list_id AND sub.status = 'confirmed'))";
        sqlx::query(&format!(
            "UPDATE outbox SET state = 'cancelled', lease_until = NULL, updated_at = $2, \
             last_error = CASE WHEN {BLOCKED} THEN 'suppressed at hand-off' ELSE 'no consent for this list at hand-off' END \
             WHERE lease_owner = $1 AND state = 'sending' AND ({BLOCKED} OR {NO_CONSENT})"
        ))
        .bind(&owner)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_events (outbox_id, at, state, cause) \
             SELECT id, $2, state, CASE WHEN state = 'cancelled' THEN last_error ELSE $3 END \
             FROM outbox WHERE lease_owner = $1",
        )
        .bind(&owner)
        .bind(now_ms)
        .bind(format!("leased by {node}"))
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT id, message_key, to_addr, envelope_from, raw, attempts FROM outbox \
             WHERE lease_owner = $1 AND state = 'sending' ORDER BY id",
        )
        .bind(&owner)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let key: String = row.try_get("message_key")?;
                Ok(ClaimedMessage {
                    id: row.try_get("id")?,
                    key: MessageKey::parse(&key).ok_or_else(|| StoreError::Corrupt(format!("message key {key:?}")))?,
                    to: row.try_get("to_addr")?,
                    envelope_from: row.try_get("envelope_from")?,
                    raw: row.try_get("raw")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    lease_owner: owner.clone(),
                })
            })
            .collect()
    }

    /// Records how attempts ended, all in one transaction. A result whose lease was lost (it expired and
    /// another worker took the message over) is not recorded; the count of recorded results is returned.
    pub async fn record_outcomes(
        &self,
        results: &[(&ClaimedMessage, DeliveryOutcome)],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let mut recorded = 0;
        let mut woke = false;
        for (msg, outcome) in results {
            let (state, cause, next) = match outcome {
                DeliveryOutcome::Sent { reply } => (DeliveryState::Sent, Some(reply.as_str()), None),
                DeliveryOutcome::Captured => (DeliveryState::Captured, Some("kept by the capture transport"), None),
                DeliveryOutcome::Deferred { error, retry_at } => {
                    (DeliveryState::Deferred, Some(error.as_str()), Some(to_ms(*retry_at)))
                }
                DeliveryOutcome::Failed { error } => (DeliveryState::Failed, Some(error.as_str()), None),
                DeliveryOutcome::Bounced { error } => (DeliveryState::Bounced, Some(error.as_str()), None),
            };
            let error = match state {
                DeliveryState::Sent | DeliveryState::Captured => None,
                _ => cause,
            };
            let row = sqlx::query(
                "UPDATE outbox SET state = $1, last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
                 lease_owner = NULL, lease_until = NULL, updated_at = $4 \
                 WHERE id = $5 AND lease_owner = $6 AND state = 'sending' RETURNING to_addr, to_hash",
            )
            .bind(state.as_str())
            .bind(error)
            .bind(next)
            .bind(now_ms)
            .bind(msg.id)
            .bind(&msg.lease_owner)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { continue };
            recorded += 1;
            insert_event(&mut tx, msg.id, now, state, cause.unwrap_or_default()).await?;
            if let DeliveryOutcome::Bounced { error } = outcome {
                let addr: String = row.try_get("to_addr")?;
                let hash: String = row.try_get("to_hash")?;
                sqlx::query(INSERT_SUPPRESSION)
                    .bind(hash)
                    .bind(addr)
                    .bind(SuppressionReason::HardBounce.as_str())
                    .bind(error)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
            woke |= state == DeliveryState::Deferred;
        }
        tx.commit().await?;
        if woke {
            self.outbox_wakeup.notify_one();
        }
        Ok(recorded)
    }

    /// Gives leased messages back untried (a worker shutting down): they are due again at once.
    pub async fn release(&self, msgs: &[&ClaimedMessage], now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        for msg in msgs {
            let done = sqlx::query(
                "UPDATE outbox SET state = 'ready', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, \
                 updated_at = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'sending'",
            )
            .bind(to_ms(now))
            .bind(msg.id)
            .bind(&msg.lease_owner)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                insert_event(&mut tx, msg.id, now, DeliveryState::Ready, "released untried at shutdown").await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// When the next message becomes due (or a lease runs out), for the engine to sleep until then.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let row = sqlx::query(
            "SELECT MIN(t) AS t FROM (\
             SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state IN ('ready', 'deferred') \
             UNION ALL SELECT MIN(lease_until) AS t FROM outbox WHERE state = 'sending') due",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("t")?.map(from_ms))
    }

    /// Messages, newest first; `before` continues a page from the id of its last entry.
    pub async fn outbox(&self, limit: i64, before: Option<&MessageKey>) -> Result<Vec<OutboxEntry>> {
        let rows = match before {
            Some(key) => {
                sqlx::query(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id < (SELECT id FROM outbox WHERE message_key = $1) \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(key.as_str())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(entry_from_row).collect()
    }

    pub async fn outbox_entry(&self, key: &MessageKey) -> Result<Option<OutboxEntry>> {
        let row = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE message_key = $1"))
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(entry_from_row).transpose()
    }

    /// The message exactly as it was (or will be) handed to the relay.
    pub async fn outbox_raw(&self, key: &MessageKey) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT raw FROM outbox WHERE message_key = $1")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("raw")).transpose()?)
    }

    /// Every state a message went through, oldest first.
    pub async fn message_events(&self, key: &MessageKey) -> Result<Vec<MessageEvent>> {
        let rows = sqlx::query(
            "SELECT e.at, e.state, e.cause FROM outbox_events e JOIN outbox o ON o.id = e.outbox_id \
             WHERE o.message_key = $1 ORDER BY e.id",
        )
        .bind(key.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                Ok(MessageEvent {
                    at: from_ms(row.try_get("at")?),
                    state: state_of(&state)?,
                    cause: row.try_get("cause")?,
                })
            })
            .collect()
    }

    /// How many messages are in each state.
    pub async fn outbox_counts(&self) -> Result<Vec<(DeliveryState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                Ok((state_of(&state)?, row.try_get("n")?))
            })
            .collect()
    }
}

async fn insert_event(tx: &mut Tx, id: i64, at: DateTime<Utc>, state: DeliveryState, cause: &str) -> Result<()> {
    sqlx::query("INSERT INTO outbox_events (outbox_id, at, state, cause) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(to_ms(at))
        .bind(state.as_str())
        .bind(cause)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
