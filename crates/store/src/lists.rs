//! Lists: what people subscribe to.

use chrono::{DateTime, Utc};
use fingerprint::short_hash;
use kurier_core::{Language, ListName};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, flag, from_ms, to_ms};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct List {
    pub id: i64,
    pub name: ListName,
    pub double_opt_in: bool,
    pub language: Language,
    /// The consent text shown on the subscribe form, recorded with every confirmation.
    pub consent_text: String,
    /// Identifies the exact form a subscriber saw; changes whenever the consent text does.
    pub form_version: String,
    /// Whether a welcome mail follows the confirmation.
    pub welcome_enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewList {
    pub name: ListName,
    pub double_opt_in: bool,
    pub language: Language,
    pub consent_text: String,
    pub welcome_enabled: bool,
}

const COLUMNS: &str = "id, name, double_opt_in, language, consent_text, form_version, welcome_enabled, created_at";

fn list_from_row(row: &AnyRow) -> Result<List> {
    let name: String = row.try_get("name")?;
    let language: String = row.try_get("language")?;
    Ok(List {
        id: row.try_get("id")?,
        name: ListName::parse(&name).map_err(|e| StoreError::Corrupt(format!("list name {name:?}: {e}")))?,
        double_opt_in: row.try_get::<i64, _>("double_opt_in")? != 0,
        language: Language::parse(&language).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        consent_text: row.try_get("consent_text")?,
        form_version: row.try_get("form_version")?,
        welcome_enabled: row.try_get::<i64, _>("welcome_enabled")? != 0,
        created_at: from_ms(row.try_get("created_at")?),
    })
}

impl Store {
    /// Creates a list; a list of that name already existing is [`StoreError::Conflict`].
    pub async fn create_list(&self, new: &NewList, now: DateTime<Utc>) -> Result<List> {
        let form_version = short_hash(&new.consent_text);
        let row = sqlx::query(&format!(
            "INSERT INTO lists (name, double_opt_in, language, consent_text, form_version, welcome_enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(new.name.as_str())
        .bind(flag(new.double_opt_in))
        .bind(new.language.as_str())
        .bind(&new.consent_text)
        .bind(form_version)
        .bind(flag(new.welcome_enabled))
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => list_from_row(&row),
            None => Err(StoreError::Conflict(format!("a list named {:?}", new.name.as_str()))),
        }
    }

    pub async fn lists(&self) -> Result<Vec<List>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM lists ORDER BY name")).fetch_all(&self.pool).await?;
        rows.iter().map(list_from_row).collect()
    }

    pub async fn list_by_name(&self, name: &str) -> Result<Option<List>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM lists WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(list_from_row).transpose()
    }

    pub async fn list_by_id(&self, id: i64) -> Result<Option<List>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM lists WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(list_from_row).transpose()
    }
}

/// A stable, short fingerprint of a text (FNV-1a, 64 bit), so a form version changes exactly when
/// the consent text does. Not a security measure: the full text is kept in the ledger anyway.
mod fingerprint {
    pub(crate) fn short_hash(text: &str) -> String {
        let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("v1-{h:016x}")
    }
}
