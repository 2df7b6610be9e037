//! The suppression list: addresses that are never mailed, whatever list or campaign asks.

use chrono::{DateTime, Utc};
use kurier_core::EmailAddress;
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, from_ms, to_ms};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Added by an administrator.
    Manual,
    /// The receiving server refused the address permanently (5xx).
    HardBounce,
    /// Soft bounces added up (see [`kurier_core::SoftBounceRule`]).
    SoftBounce,
    /// The recipient marked a message as spam.
    Complaint,
    /// The person's data was erased (GDPR Art. 17); only the hash is left.
    Erased,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::HardBounce => "hard_bounce",
            Self::SoftBounce => "soft_bounce",
            Self::Complaint => "complaint",
            Self::Erased => "erased",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "manual" => Self::Manual,
            "hard_bounce" => Self::HardBounce,
            "soft_bounce" => Self::SoftBounce,
            "complaint" => Self::Complaint,
            "erased" => Self::Erased,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub address_hash: String,
    /// `None` once the person's data was erased.
    pub email: Option<String>,
    pub reason: SuppressionReason,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn from_row(row: &AnyRow) -> Result<Suppression> {
    let reason: String = row.try_get("reason")?;
    Ok(Suppression {
        address_hash: row.try_get("address_hash")?,
        email: row.try_get("email")?,
        reason: SuppressionReason::parse(&reason)
            .ok_or_else(|| StoreError::Corrupt(format!("suppression reason {reason:?}")))?,
        detail: row.try_get("detail")?,
        created_at: from_ms(row.try_get("created_at")?),
    })
}

pub(crate) const INSERT_SUPPRESSION: &str = "INSERT INTO suppressions (address_hash, email, reason, detail, created_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (address_hash) DO NOTHING";

impl Store {
    /// Suppresses an address. Returns false when it already was (the first reason is kept).
    pub async fn add_suppression(
        &self,
        address: &EmailAddress,
        reason: SuppressionReason,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(INSERT_SUPPRESSION)
            .bind(self.address_hash(address))
            .bind(address.as_str())
            .bind(reason.as_str())
            .bind(detail)
            .bind(to_ms(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lifts a suppression. Returns false when the address was not suppressed.
    pub async fn remove_suppression(&self, address: &EmailAddress) -> Result<bool> {
        let done = sqlx::query("DELETE FROM suppressions WHERE address_hash = $1")
            .bind(self.address_hash(address))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn suppression(&self, address: &EmailAddress) -> Result<Option<Suppression>> {
        let row = sqlx::query("SELECT * FROM suppressions WHERE address_hash = $1")
            .bind(self.address_hash(address))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Suppressions, newest first, `limit` at a time after `offset`.
    pub async fn suppressions(&self, limit: i64, offset: i64) -> Result<Vec<Suppression>> {
        let rows = sqlx::query("SELECT * FROM suppressions ORDER BY created_at DESC, address_hash LIMIT $1 OFFSET $2")
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }
}
