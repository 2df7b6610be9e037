//! The outbox: every message Kurier sends, its delivery state, and the lease-based queue over it.
//!
//! A delivery worker claims due messages by lease (`lease_owner`, `lease_until`, `attempts`); nothing
//! holds a row lock across the network. Claiming re-checks suppression and consent in the same
//! transaction (DESIGN.md invariant 2), and a lease that expires is simply claimed again by anyone.

use std::collections::HashSet;
use std::fmt::Write as _;
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
    /// The domain of the `From` address: rates are kept per sending domain.
    pub from_domain: String,
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

/// Results of one lease and one state, as `(message id, cause)`.
type Group<'a> = ((&'a str, DeliveryState), Vec<(i64, &'a str)>);

/// Messages per multi-row insert. Kept small: SQLite looks each numbered parameter up in a list of
/// them all, so binding costs grow with the square of a statement's parameter count.
const ENQUEUE_CHUNK: usize = 32;
/// Messages per set-based update of leased messages (the engine records 256 at a time).
const ID_CHUNK: usize = 256;
/// About how many message bytes go into one statement.
const RAW_CHUNK_BYTES: usize = 8 << 20;

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

    /// Enqueues many messages in one transaction, each unless one with its dedupe key exists (also
    /// earlier in `msgs`: the first one wins). Returns how many were stored.
    pub async fn enqueue_many(&self, msgs: &[NewMessage], now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut stored = 0;
        for chunk in msgs.chunks(ENQUEUE_CHUNK) {
            stored += self.enqueue_chunk(&mut tx, chunk, now).await?;
        }
        tx.commit().await?;
        if stored > 0 {
            self.outbox_wakeup.notify_one();
        }
        Ok(stored)
    }

    /// Enqueues inside a caller's transaction; the caller wakes the engine after commit.
    pub(crate) async fn enqueue_in(&self, tx: &mut Tx, msg: &NewMessage, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.enqueue_chunk(tx, std::slice::from_ref(msg), now).await? == 1)
    }

    /// Stores up to [`ENQUEUE_CHUNK`] messages with a few multi-row statements: the outbox rows (those
    /// whose dedupe key is new), their bytes, and their first event.
    async fn enqueue_chunk(&self, tx: &mut Tx, msgs: &[NewMessage], now: DateTime<Utc>) -> Result<u64> {
        if msgs.is_empty() {
            return Ok(0);
        }
        let mut sql = values_sql(
            "INSERT INTO outbox (message_key, dedupe_key, source, kind, list_id, contact_id, to_addr, to_hash, \
             envelope_from, from_domain, subject, next_attempt_at, state, attempts, created_at, updated_at) VALUES ",
            1,
            msgs.len(),
            12,
            ", 'ready', 0, $1, $1",
        );
        sql.push_str(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, message_key");
        let mut insert = sqlx::query(&sql).bind(to_ms(now));
        for msg in msgs {
            insert = insert
                .bind(msg.key.as_str())
                .bind(&msg.dedupe_key)
                .bind(&msg.source)
                .bind(msg.kind.as_str())
                .bind(msg.list_id)
                .bind(msg.contact_id)
                .bind(msg.to.as_str())
                .bind(self.address_hash(&msg.to))
                .bind(&msg.envelope_from)
                .bind(msg.from_domain.to_ascii_lowercase())
                .bind(&msg.subject)
                .bind(to_ms(msg.not_before));
        }
        let rows = insert.fetch_all(&mut **tx).await?;
        // RETURNING promises no order: find each stored row's message by its (unique) key.
        let mut stored = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let key: String = row.try_get("message_key")?;
            let msg = msgs
                .iter()
                .find(|m| m.key.as_str() == key)
                .ok_or_else(|| StoreError::Corrupt(format!("outbox returned an unknown message key {key:?}")))?;
            stored.push((id, msg));
        }
        stored.sort_by_key(|(id, _)| *id);

        let mut start = 0;
        while start < stored.len() {
            // Bytes go in statements of at most RAW_CHUNK_BYTES (or one message, if it is bigger).
            let mut end = start + 1;
            let mut bytes = stored[start].1.raw.len();
            while end < stored.len() && bytes + stored[end].1.raw.len() <= RAW_CHUNK_BYTES {
                bytes += stored[end].1.raw.len();
                end += 1;
            }
            let part = &stored[start..end];
            let sql = values_sql("INSERT INTO outbox_raw (outbox_id, raw) VALUES ", 0, part.len(), 2, "");
            let mut q = sqlx::query(&sql);
            for (id, msg) in part {
                q = q.bind(*id).bind(&msg.raw);
            }
            q.execute(&mut **tx).await?;
            start = end;
        }
        let events: Vec<(i64, &str)> = stored.iter().map(|(id, msg)| (*id, msg.source.as_str())).collect();
        insert_events(tx, now, DeliveryState::Ready, &events).await?;
        Ok(stored.len() as u64)
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
            "SELECT o.id, o.message_key, o.to_addr, o.envelope_from, r.raw, o.attempts \
             FROM outbox o JOIN outbox_raw r ON r.outbox_id = o.id \
             WHERE o.lease_owner = $1 AND o.state = 'sending' ORDER BY o.id",
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
        // Successes, the bulk of any batch, are recorded a group (one lease, one state) at a time.
        let mut groups: Vec<Group<'_>> = Vec::new();
        for (msg, outcome) in results {
            let (state, cause, next) = match outcome {
                DeliveryOutcome::Sent { reply } => (DeliveryState::Sent, reply.as_str(), None),
                DeliveryOutcome::Captured => (DeliveryState::Captured, "kept by the capture transport", None),
                DeliveryOutcome::Deferred { error, retry_at } => {
                    (DeliveryState::Deferred, error.as_str(), Some(to_ms(*retry_at)))
                }
                DeliveryOutcome::Failed { error } => (DeliveryState::Failed, error.as_str(), None),
                DeliveryOutcome::Bounced { error } => (DeliveryState::Bounced, error.as_str(), None),
            };
            if matches!(state, DeliveryState::Sent | DeliveryState::Captured) {
                let group = (msg.lease_owner.as_str(), state);
                match groups.iter_mut().find(|(g, _)| *g == group) {
                    Some((_, items)) => items.push((msg.id, cause)),
                    None => groups.push((group, vec![(msg.id, cause)])),
                }
                continue;
            }
            let row = sqlx::query(
                "UPDATE outbox SET state = $1, last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
                 lease_owner = NULL, lease_until = NULL, updated_at = $4 \
                 WHERE id = $5 AND lease_owner = $6 AND state = 'sending' RETURNING to_addr, to_hash",
            )
            .bind(state.as_str())
            .bind(cause)
            .bind(next)
            .bind(now_ms)
            .bind(msg.id)
            .bind(&msg.lease_owner)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { continue };
            recorded += 1;
            insert_event(&mut tx, msg.id, now, state, cause).await?;
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
        for ((owner, state), items) in &groups {
            for chunk in items.chunks(ID_CHUNK) {
                let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
                let done = update_leased(
                    &mut tx,
                    "state = $1, last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $2",
                    (state.as_str(), now_ms),
                    owner,
                    &ids,
                )
                .await?;
                let mut done: HashSet<i64> = done.into_iter().collect();
                let events: Vec<(i64, &str)> = chunk.iter().filter(|(id, _)| done.remove(id)).copied().collect();
                insert_events(&mut tx, now, *state, &events).await?;
                recorded += events.len();
            }
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
        let mut groups: Vec<(&str, Vec<i64>)> = Vec::new();
        for msg in msgs {
            match groups.iter_mut().find(|(owner, _)| *owner == msg.lease_owner) {
                Some((_, ids)) => ids.push(msg.id),
                None => groups.push((&msg.lease_owner, vec![msg.id])),
            }
        }
        for (owner, ids) in &groups {
            for chunk in ids.chunks(ID_CHUNK) {
                let done = update_leased(
                    &mut tx,
                    "state = $1, attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, updated_at = $2",
                    (DeliveryState::Ready.as_str(), to_ms(now)),
                    owner,
                    chunk,
                )
                .await?;
                let events: Vec<(i64, &str)> = done.iter().map(|id| (*id, "released untried at shutdown")).collect();
                insert_events(&mut tx, now, DeliveryState::Ready, &events).await?;
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
        let row =
            sqlx::query("SELECT r.raw FROM outbox_raw r JOIN outbox o ON o.id = r.outbox_id WHERE o.message_key = $1")
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
    insert_events(tx, at, state, &[(id, cause)]).await
}

/// One event per `(message id, cause)`, all at `at` and into `state`, in one statement.
async fn insert_events(tx: &mut Tx, at: DateTime<Utc>, state: DeliveryState, events: &[(i64, &str)]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let sql =
        values_sql("INSERT INTO outbox_events (outbox_id, cause, at, state) VALUES ", 2, events.len(), 2, ", $1, $2");
    let mut q = sqlx::query(&sql).bind(to_ms(at)).bind(state.as_str());
    for (id, cause) in events {
        q = q.bind(*id).bind(*cause);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Applies `set` (which uses `$1` and `$2`, bound to `params`) to those of `ids` that `owner` still
/// leases, and returns their ids: a message whose lease has passed on is left alone.
async fn update_leased(tx: &mut Tx, set: &str, params: (&str, i64), owner: &str, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!("UPDATE outbox SET {set} WHERE lease_owner = $3 AND state = 'sending' AND id IN (");
    for i in 0..ids.len() {
        let _ = write!(sql, "{}${}", if i == 0 { "" } else { ", " }, i + 4);
    }
    sql.push_str(") RETURNING id");
    let mut q = sqlx::query(&sql).bind(params.0).bind(params.1).bind(owner);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut **tx).await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// `prefix` and then `rows` tuples of `per_row` parameters each, numbered from `$before + 1` on (the
/// first `before` are shared by all rows), each tuple ending in `tail`.
fn values_sql(prefix: &str, before: usize, rows: usize, per_row: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(prefix.len() + rows * (per_row * 8 + tail.len() + 4));
    sql.push_str(prefix);
    for i in 0..rows {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for j in 0..per_row {
            let sep = if j == 0 { "" } else { ", " };
            let _ = write!(sql, "{sep}${}", before + i * per_row + j + 1);
        }
        sql.push_str(tail);
        sql.push(')');
    }
    sql
}
