//! Contacts, their subscriptions, and the append-only consent ledger that the subscriptions follow.
//!
//! Every change of a subscription's status is a ledger entry written in the same transaction as the
//! status (the status is the ledger folded by [`SubscriptionStatus::after`]; it is kept as a column
//! only so that queries need not fold). Mail caused by a change is enqueued in that transaction too.

use chrono::{DateTime, Utc};
use kurier_core::{ConsentAction, EmailAddress, Evidence, LegalBasis, SubscriptionStatus};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::lists::List;
use crate::outbox::NewMessage;
use crate::suppressions::{INSERT_SUPPRESSION, SuppressionReason};
use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub attributes: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subscription {
    pub list: String,
    pub list_id: i64,
    pub status: SubscriptionStatus,
    pub basis: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContactDetails {
    #[serde(flatten)]
    pub contact: Contact,
    pub subscriptions: Vec<Subscription>,
}

/// One ledger entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsentRecord {
    pub id: i64,
    pub list: String,
    pub action: ConsentAction,
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub consent_text: Option<String>,
    pub form_version: Option<String>,
    pub source: String,
    pub basis: Option<String>,
}

/// A subscribe request: from the form, or (with `confirmed`) a single opt-in.
#[derive(Clone, Copy, Debug)]
pub struct SubscribeRequest<'a> {
    pub list: &'a List,
    pub email: &'a EmailAddress,
    pub name: Option<&'a str>,
    pub evidence: &'a Evidence,
    /// Single opt-in: the request counts as confirmation.
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// The address is suppressed: nothing was stored and nothing is sent.
    Suppressed,
    /// Already confirmed on this list; the request is in the ledger, no mail is sent.
    AlreadyConfirmed { contact_id: i64 },
    /// Recorded; `mail_enqueued` tells whether a mail went into the outbox (a repeated request within
    /// the same quarter hour sends no second confirmation mail).
    Recorded { contact_id: i64, status: SubscriptionStatus, mail_enqueued: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed {
        welcome_enqueued: bool,
    },
    AlreadyConfirmed,
    /// No pending request (never subscribed, unsubscribed since, or erased).
    NotPending,
}

/// Composes the mail that a ledger change causes, inside its transaction.
pub type ComposeError = Box<dyn std::error::Error + Send + Sync>;

const CONTACT_COLUMNS: &str = "id, email, name, timezone, attributes, created_at, updated_at";

pub(crate) fn contact_from_row(row: &AnyRow) -> Result<Contact> {
    let attributes: String = row.try_get("attributes")?;
    let attributes = match serde_json::from_str(&attributes) {
        Ok(Value::Object(m)) => m,
        _ => return Err(StoreError::Corrupt(format!("contact attributes {attributes:?}"))),
    };
    Ok(Contact {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        timezone: row.try_get("timezone")?,
        attributes,
        created_at: from_ms(row.try_get("created_at")?),
        updated_at: from_ms(row.try_get("updated_at")?),
    })
}

impl Store {
    /// Records a subscribe request from a form (or, with `confirmed`, a single opt-in) and enqueues the
    /// mail `compose` makes for it (the double opt-in request, or the welcome), all in one transaction.
    pub async fn request_subscription<F>(
        &self,
        req: &SubscribeRequest<'_>,
        now: DateTime<Utc>,
        compose: F,
    ) -> Result<SubscribeOutcome>
    where
        F: FnOnce(&Contact, &str) -> Result<Option<NewMessage>, ComposeError>,
    {
        let SubscribeRequest { list, email, name, evidence, confirmed } = *req;
        let mut tx = self.begin().await?;
        if is_suppressed(&mut tx, &self.address_hash(email)).await? {
            return Ok(SubscribeOutcome::Suppressed);
        }
        let contact = upsert_contact(&mut tx, email, name, now).await?;
        let before = subscription_status(&mut tx, contact.id, list.id).await?;
        if before == Some(SubscriptionStatus::Confirmed) {
            append_consent(&mut tx, contact.id, list.id, ConsentAction::Requested, evidence, now).await?;
            tx.commit().await?;
            return Ok(SubscribeOutcome::AlreadyConfirmed { contact_id: contact.id });
        }
        let action = if confirmed { ConsentAction::Confirmed } else { ConsentAction::Requested };
        append_consent(&mut tx, contact.id, list.id, action, evidence, now).await?;
        let status = SubscriptionStatus::after(before, action);
        set_status(&mut tx, contact.id, list.id, status, evidence.basis, now).await?;
        // One confirmation mail per list and address per quarter hour, however often the form is sent.
        let window = now.timestamp() / 900;
        let dedupe = format!("{}:{}:{}:{window}", action.as_str(), list.id, contact.id);
        let mut mail_enqueued = false;
        if let Some(msg) = compose(&contact, &dedupe).map_err(StoreError::Compose)? {
            mail_enqueued = self.enqueue_in(&mut tx, &msg, now).await?;
        }
        tx.commit().await?;
        if mail_enqueued {
            self.outbox_wakeup.notify_one();
        }
        Ok(SubscribeOutcome::Recorded { contact_id: contact.id, status, mail_enqueued })
    }

    /// Confirms a pending subscription (the double opt-in click) and enqueues the welcome mail that
    /// `compose` makes, in one transaction. The ledger entry records the consent text and form version
    /// of the request being confirmed; `evidence` supplies them only when the request has none.
    pub async fn confirm_subscription<F>(
        &self,
        list: &List,
        contact_id: i64,
        evidence: &Evidence,
        now: DateTime<Utc>,
        compose: F,
    ) -> Result<ConfirmOutcome>
    where
        F: FnOnce(&Contact) -> Result<Option<NewMessage>, ComposeError>,
    {
        let mut tx = self.begin().await?;
        match subscription_status(&mut tx, contact_id, list.id).await? {
            Some(SubscriptionStatus::Pending) => {}
            Some(SubscriptionStatus::Confirmed) => return Ok(ConfirmOutcome::AlreadyConfirmed),
            _ => return Ok(ConfirmOutcome::NotPending),
        }
        let row = sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1"))
            .bind(contact_id)
            .fetch_one(&mut *tx)
            .await?;
        let contact = contact_from_row(&row)?;
        let address = EmailAddress::parse(&contact.email).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if is_suppressed(&mut tx, &self.address_hash(&address)).await? {
            return Ok(ConfirmOutcome::NotPending);
        }
        // What the person agreed to is what the form showed when they asked, even if the list's
        // consent text changed before they clicked the link.
        let asked = sqlx::query(
            "SELECT consent_text, form_version FROM consent_events WHERE contact_id = $1 AND list_id = $2 \
             AND action = 'requested' ORDER BY id DESC LIMIT 1",
        )
        .bind(contact_id)
        .bind(list.id)
        .fetch_optional(&mut *tx)
        .await?;
        let mut evidence = evidence.clone();
        if let Some(row) = asked {
            evidence.consent_text = row.try_get::<Option<String>, _>("consent_text")?.or(evidence.consent_text);
            evidence.form_version = row.try_get::<Option<String>, _>("form_version")?.or(evidence.form_version);
        }
        append_consent(&mut tx, contact_id, list.id, ConsentAction::Confirmed, &evidence, now).await?;
        set_status(&mut tx, contact_id, list.id, SubscriptionStatus::Confirmed, evidence.basis, now).await?;
        let mut welcome_enqueued = false;
        if let Some(msg) = compose(&contact).map_err(StoreError::Compose)? {
            welcome_enqueued = self.enqueue_in(&mut tx, &msg, now).await?;
        }
        tx.commit().await?;
        if welcome_enqueued {
            self.outbox_wakeup.notify_one();
        }
        Ok(ConfirmOutcome::Confirmed { welcome_enqueued })
    }

    /// Unsubscribes a contact from one list, or from every list with `list_id = None`. Each list left
    /// gets its own ledger entry; marketing mail already queued for it is cancelled at hand-off.
    /// Returns the names of the lists left.
    pub async fn unsubscribe(
        &self,
        contact_id: i64,
        list_id: Option<i64>,
        evidence: &Evidence,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        const ACTIVE: &str = "SELECT s.list_id, l.name FROM subscriptions s JOIN lists l ON l.id = s.list_id \
             WHERE s.contact_id = $1 AND s.status <> 'unsubscribed' AND ($2 IS NULL OR s.list_id = $2) ORDER BY l.name";
        // Mailbox providers repeat one-click requests: when there is nothing left to do, answer from a
        // read without taking the write lock.
        let any = sqlx::query(ACTIVE).bind(contact_id).bind(list_id).fetch_optional(&self.pool).await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let rows = sqlx::query(ACTIVE).bind(contact_id).bind(list_id).fetch_all(&mut *tx).await?;
        let mut left = Vec::with_capacity(rows.len());
        for row in &rows {
            let lid: i64 = row.try_get("list_id")?;
            append_consent(&mut tx, contact_id, lid, ConsentAction::Unsubscribed, evidence, now).await?;
            set_status(&mut tx, contact_id, lid, SubscriptionStatus::Unsubscribed, None, now).await?;
            left.push(row.try_get("name")?);
        }
        tx.commit().await?;
        Ok(left)
    }

    pub async fn contact_by_email(&self, email: &EmailAddress) -> Result<Option<ContactDetails>> {
        let row = sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE email = $1"))
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let contact = contact_from_row(&row)?;
        let subscriptions = self.subscriptions(contact.id).await?;
        Ok(Some(ContactDetails { contact, subscriptions }))
    }

    pub async fn contact_by_id(&self, id: i64) -> Result<Option<Contact>> {
        let row = sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    pub async fn subscriptions(&self, contact_id: i64) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(
            "SELECT l.name, s.list_id, s.status, s.basis, s.updated_at FROM subscriptions s \
             JOIN lists l ON l.id = s.list_id WHERE s.contact_id = $1 ORDER BY l.name",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(Subscription {
                    list: row.try_get("name")?,
                    list_id: row.try_get("list_id")?,
                    status: SubscriptionStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("subscription status {status:?}")))?,
                    basis: row.try_get("basis")?,
                    updated_at: from_ms(row.try_get("updated_at")?),
                })
            })
            .collect()
    }

    /// The consent ledger of a contact, oldest first.
    pub async fn consent_ledger(&self, contact_id: i64) -> Result<Vec<ConsentRecord>> {
        let rows = sqlx::query(
            "SELECT e.id, l.name, e.action, e.at, e.ip, e.user_agent, e.consent_text, e.form_version, e.source, e.basis \
             FROM consent_events e JOIN lists l ON l.id = e.list_id WHERE e.contact_id = $1 ORDER BY e.id",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let action: String = row.try_get("action")?;
                Ok(ConsentRecord {
                    id: row.try_get("id")?,
                    list: row.try_get("name")?,
                    action: ConsentAction::parse(&action)
                        .ok_or_else(|| StoreError::Corrupt(format!("consent action {action:?}")))?,
                    at: from_ms(row.try_get("at")?),
                    ip: row.try_get("ip")?,
                    user_agent: row.try_get("user_agent")?,
                    consent_text: row.try_get("consent_text")?,
                    form_version: row.try_get("form_version")?,
                    source: row.try_get("source")?,
                    basis: row.try_get("basis")?,
                })
            })
            .collect()
    }

    /// Everything held about a person (GDPR Art. 15): contact, subscriptions, ledger, the messages sent
    /// to them and their states, and any suppression. `None` when nothing is held.
    pub async fn export_contact(&self, email: &EmailAddress) -> Result<Option<Value>> {
        let suppression = self.suppression(email).await?;
        let Some(details) = self.contact_by_email(email).await? else {
            return Ok(suppression.map(|s| json!({ "email": email.as_str(), "suppression": s })));
        };
        let ledger = self.consent_ledger(details.contact.id).await?;
        let rows = sqlx::query(
            "SELECT message_key, subject, state, kind, source, created_at, updated_at FROM outbox \
             WHERE contact_id = $1 OR to_addr = $2 ORDER BY id",
        )
        .bind(details.contact.id)
        .bind(email.as_str())
        .fetch_all(&self.pool)
        .await?;
        let messages = rows
            .iter()
            .map(|row| {
                Ok(json!({
                    "id": row.try_get::<String, _>("message_key")?,
                    "subject": row.try_get::<String, _>("subject")?,
                    "state": row.try_get::<String, _>("state")?,
                    "kind": row.try_get::<String, _>("kind")?,
                    "source": row.try_get::<String, _>("source")?,
                    "created_at": from_ms(row.try_get("created_at")?),
                    "updated_at": from_ms(row.try_get("updated_at")?),
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(json!({
            "contact": details.contact,
            "subscriptions": details.subscriptions,
            "consent_ledger": ledger,
            "messages": messages,
            "suppression": suppression,
        })))
    }

    /// Erases a person (GDPR Art. 17): contact, subscriptions, ledger, messages and received bounces
    /// are deleted, feedback about them loses the address; what is
    /// left is a suppression entry holding only the address's keyed hash, so the address is never
    /// imported or mailed again. Returns false when nothing was held.
    pub async fn erase_contact(&self, email: &EmailAddress, now: DateTime<Utc>) -> Result<bool> {
        let hash = self.address_hash(email);
        let mut tx = self.begin().await?;
        let id: Option<i64> = sqlx::query("SELECT id FROM contacts WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
        // Feedback about the person stays countable for the rates, but without the address, the
        // diagnostic (which often quotes it) or the received message it came in.
        sqlx::query("DELETE FROM inbound WHERE id IN (SELECT inbound_id FROM feedback_events WHERE address_hash = $1)")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE feedback_events SET address = NULL, diagnostic = NULL WHERE address_hash = $1")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        let messages = sqlx::query("DELETE FROM outbox WHERE contact_id = $1 OR to_hash = $2")
            .bind(id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if let Some(id) = id {
            // The ledger and subscriptions go with the contact (ON DELETE CASCADE).
            sqlx::query("DELETE FROM contacts WHERE id = $1").bind(id).execute(&mut *tx).await?;
        }
        let updated =
            sqlx::query("UPDATE suppressions SET email = NULL, reason = $2, detail = NULL WHERE address_hash = $1")
                .bind(&hash)
                .bind(SuppressionReason::Erased.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query(INSERT_SUPPRESSION)
            .bind(&hash)
            .bind(None::<String>)
            .bind(SuppressionReason::Erased.as_str())
            .bind(None::<String>)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id.is_some() || messages > 0 || updated > 0)
    }
}

pub(crate) async fn is_suppressed(tx: &mut Tx, hash: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 AS one FROM suppressions WHERE address_hash = $1")
        .bind(hash)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

async fn upsert_contact(tx: &mut Tx, email: &EmailAddress, name: Option<&str>, now: DateTime<Utc>) -> Result<Contact> {
    let row = sqlx::query(&format!(
        "INSERT INTO contacts (email, name, attributes, created_at, updated_at) VALUES ($1, $2, '{{}}', $3, $3) \
         ON CONFLICT (email) DO UPDATE SET name = COALESCE(contacts.name, excluded.name) RETURNING {CONTACT_COLUMNS}"
    ))
    .bind(email.as_str())
    .bind(name)
    .bind(to_ms(now))
    .fetch_one(&mut **tx)
    .await?;
    contact_from_row(&row)
}

pub(crate) async fn subscription_status(
    tx: &mut Tx,
    contact_id: i64,
    list_id: i64,
) -> Result<Option<SubscriptionStatus>> {
    let row = sqlx::query("SELECT status FROM subscriptions WHERE contact_id = $1 AND list_id = $2")
        .bind(contact_id)
        .bind(list_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| {
        let s: String = r.try_get("status")?;
        SubscriptionStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("subscription status {s:?}")))
    })
    .transpose()
}

pub(crate) async fn set_status(
    tx: &mut Tx,
    contact_id: i64,
    list_id: i64,
    status: SubscriptionStatus,
    basis: Option<LegalBasis>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO subscriptions (contact_id, list_id, status, basis, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (contact_id, list_id) DO UPDATE SET status = excluded.status, \
         basis = COALESCE(excluded.basis, subscriptions.basis), updated_at = excluded.updated_at",
    )
    .bind(contact_id)
    .bind(list_id)
    .bind(status.as_str())
    .bind(basis.map(LegalBasis::as_str))
    .bind(to_ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn append_consent(
    tx: &mut Tx,
    contact_id: i64,
    list_id: i64,
    action: ConsentAction,
    ev: &Evidence,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consent_events (contact_id, list_id, action, at, ip, user_agent, consent_text, form_version, \
         source, basis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(contact_id)
    .bind(list_id)
    .bind(action.as_str())
    .bind(to_ms(now))
    .bind(ev.ip.as_deref())
    .bind(ev.user_agent.as_deref())
    .bind(ev.consent_text.as_deref())
    .bind(ev.form_version.as_deref())
    .bind(&ev.source)
    .bind(ev.basis.map(LegalBasis::as_str))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
