//! Bulk import of contacts into a list, in one transaction however large the file.
//!
//! Rows arrive in chunks ([`ImportTx::add`]); each chunk costs a handful of set-based statements
//! (look up existing contacts, suppressions and subscriptions; insert the new ones in multi-row
//! statements), so a million rows take seconds, not hours. Nothing is visible to others until
//! [`ImportTx::finish`] commits; a dry run rolls back instead.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use kurier_core::{ConsentAction, EmailAddress, LegalBasis, SubscriptionStatus};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row as _;

use crate::lists::List;
use crate::{Result, Store, StoreError, Tx, to_ms};

#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub basis: LegalBasis,
    /// Where the addresses came from, as the ledger will show it ("Messe Hannover 2026, Formular B").
    pub source: String,
    /// Report what would happen without storing anything.
    pub dry_run: bool,
}

#[derive(Clone, Debug)]
pub struct ImportRow {
    /// The row's line in the file, for the report.
    pub line: u64,
    pub email: EmailAddress,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// New on this list.
    Imported,
    /// Already on the list (or pending); contact data updated, pending ones confirmed by the import.
    Updated,
    /// The address is suppressed; nothing stored.
    SkippedSuppressed,
    /// The person unsubscribed from this list; an import must not subscribe them again.
    SkippedUnsubscribed,
    /// The same address appeared earlier in the import.
    Duplicate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub updated: u64,
    pub skipped_suppressed: u64,
    pub skipped_unsubscribed: u64,
    pub duplicates: u64,
    pub dry_run: bool,
}

/// An import in progress: one open transaction.
pub struct ImportTx {
    store: Store,
    tx: Tx,
    list_id: i64,
    opts: ImportOptions,
    now: DateTime<Utc>,
    summary: ImportSummary,
}

/// Rows per multi-row statement; well under SQLite's and PostgreSQL's parameter limits. Large is
/// cheap because the statements bind positionally on SQLite (see [`crate::Dialect::positional`]).
const CHUNK: usize = 500;

impl Store {
    pub async fn begin_import(&self, list: &List, opts: ImportOptions, now: DateTime<Utc>) -> Result<ImportTx> {
        let mut tx = self.begin().await?;
        if self.dialect == crate::Dialect::Sqlite {
            // A bigger page cache for this connection: index pages of a large import stay in memory
            // instead of being read back from the file for every chunk.
            sqlx::query("PRAGMA cache_size = -65536").execute(&mut *tx).await?;
        }
        let summary = ImportSummary { dry_run: opts.dry_run, ..ImportSummary::default() };
        Ok(ImportTx { store: self.clone(), tx, list_id: list.id, opts, now, summary })
    }
}

fn placeholders(out: &mut String, start: usize, n: usize) {
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "${}", start + i);
    }
}

impl ImportTx {
    /// Adds rows; returns each row's outcome in order. An address repeated within one call is a
    /// [`RowOutcome::Duplicate`]; one repeated in a later call finds the contact the earlier call
    /// stored and updates it (callers that stream a file in batches dedupe across batches themselves,
    /// as the CLI does, so that the import does not hold every address in memory twice).
    pub async fn add(&mut self, rows: &[ImportRow]) -> Result<Vec<RowOutcome>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut seen = HashSet::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            out.extend(self.add_chunk(chunk, &mut seen).await?);
        }
        Ok(out)
    }

    async fn add_chunk<'r>(&mut self, rows: &'r [ImportRow], seen: &mut HashSet<&'r str>) -> Result<Vec<RowOutcome>> {
        let mut outcomes: Vec<Option<RowOutcome>> = vec![None; rows.len()];
        let mut fresh: Vec<usize> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if seen.insert(row.email.as_str()) {
                fresh.push(i);
            } else {
                outcomes[i] = Some(RowOutcome::Duplicate);
            }
        }
        if fresh.is_empty() {
            return Ok(self.tally(outcomes));
        }

        // Suppressed addresses are skipped before anything about them is stored.
        let hashes: Vec<String> = fresh.iter().map(|&i| self.store.address_hash(&rows[i].email)).collect();
        let mut sql = String::from("SELECT address_hash FROM suppressions WHERE address_hash IN (");
        placeholders(&mut sql, 1, hashes.len());
        sql.push(')');
        let sql = self.store.dialect.positional(sql);
        let mut q = sqlx::query(&sql);
        for h in &hashes {
            q = q.bind(h);
        }
        let suppressed: HashSet<String> =
            q.fetch_all(&mut *self.tx).await?.iter().map(|r| r.try_get("address_hash")).collect::<Result<_, _>>()?;
        let mut hashes = hashes.iter();
        fresh.retain(|&i| {
            let keep = !hashes.next().is_some_and(|h| suppressed.contains(h));
            if !keep {
                outcomes[i] = Some(RowOutcome::SkippedSuppressed);
            }
            keep
        });

        // Existing contacts and their standing on this list.
        let mut existing: HashMap<String, (i64, Map<String, Value>)> = HashMap::new();
        let mut status: HashMap<i64, SubscriptionStatus> = HashMap::new();
        if !fresh.is_empty() {
            let mut sql = String::from(
                "SELECT c.id, c.email, c.attributes, s.status FROM contacts c LEFT JOIN subscriptions s \
                 ON s.contact_id = c.id AND s.list_id = $1 WHERE c.email IN (",
            );
            placeholders(&mut sql, 2, fresh.len());
            sql.push(')');
            let sql = self.store.dialect.positional(sql);
            let mut q = sqlx::query(&sql).bind(self.list_id);
            for &i in &fresh {
                q = q.bind(rows[i].email.as_str());
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                let id: i64 = r.try_get("id")?;
                let attrs: String = r.try_get("attributes")?;
                let attrs = match serde_json::from_str(&attrs) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err(StoreError::Corrupt(format!("contact attributes {attrs:?}"))),
                };
                let st: Option<String> = r.try_get("status")?;
                if let Some(st) = st.as_deref().and_then(SubscriptionStatus::parse) {
                    status.insert(id, st);
                }
                existing.insert(r.try_get("email")?, (id, attrs));
            }
        }

        let now = to_ms(self.now);
        let mut new_rows = Vec::new();
        // Existing contacts whose data the import updates: (id, row, merged attributes).
        let mut updates: Vec<(i64, &ImportRow, String)> = Vec::new();
        // Addresses the import subscribes (new contacts, and existing ones not yet confirmed).
        let mut ledger: Vec<&str> = Vec::new();
        for &i in &fresh {
            let row = &rows[i];
            match existing.get(row.email.as_str()) {
                None => new_rows.push(i),
                Some((id, attrs)) => {
                    let st = status.get(id).copied();
                    if st == Some(SubscriptionStatus::Unsubscribed) {
                        outcomes[i] = Some(RowOutcome::SkippedUnsubscribed);
                        continue;
                    }
                    let mut merged = attrs.clone();
                    merged.extend(row.attributes.clone());
                    updates.push((*id, row, Value::Object(merged).to_string()));
                    if st == Some(SubscriptionStatus::Confirmed) {
                        outcomes[i] = Some(RowOutcome::Updated);
                    } else {
                        outcomes[i] = Some(if st.is_none() { RowOutcome::Imported } else { RowOutcome::Updated });
                        ledger.push(row.email.as_str());
                    }
                }
            }
        }

        if !updates.is_empty() {
            // One statement for the chunk: the new values as a CTE joined by id (both engines
            // accept `WITH v(...) AS (VALUES ...) UPDATE ... FROM v`).
            let mut sql = String::from("WITH v (id, name, timezone, attributes) AS (VALUES ");
            for n in 0..updates.len() {
                let b = n * 4;
                let _ =
                    write!(sql, "{}(${}, ${}, ${}, ${})", if n > 0 { ", " } else { "" }, b + 1, b + 2, b + 3, b + 4);
            }
            let _ = write!(
                sql,
                ") UPDATE contacts SET name = COALESCE(v.name, contacts.name), \
                 timezone = COALESCE(v.timezone, contacts.timezone), attributes = v.attributes, updated_at = ${} \
                 FROM v WHERE contacts.id = v.id",
                updates.len() * 4 + 1
            );
            let sql = self.store.dialect.positional(sql);
            let mut q = sqlx::query(&sql);
            for (id, row, attrs) in &updates {
                q = q.bind(*id).bind(row.name.as_deref()).bind(row.timezone.as_deref()).bind(attrs.as_str());
            }
            q.bind(now).execute(&mut *self.tx).await?;
        }

        if !new_rows.is_empty() {
            let mut sql = String::from(
                "INSERT INTO contacts (email, name, timezone, attributes, created_at, updated_at) VALUES ",
            );
            for (n, _) in new_rows.iter().enumerate() {
                let b = n * 6;
                let _ = write!(
                    sql,
                    "{}(${}, ${}, ${}, ${}, ${}, ${})",
                    if n > 0 { ", " } else { "" },
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                );
            }
            let sql = self.store.dialect.positional(sql);
            let mut q = sqlx::query(&sql);
            for &i in &new_rows {
                let r = &rows[i];
                q = q
                    .bind(r.email.as_str())
                    .bind(r.name.as_deref())
                    .bind(r.timezone.as_deref())
                    .bind(Value::Object(r.attributes.clone()).to_string())
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *self.tx).await?;
            for &i in &new_rows {
                ledger.push(rows[i].email.as_str());
                outcomes[i] = Some(RowOutcome::Imported);
            }
        }

        if !ledger.is_empty() {
            self.confirm_by_import(&ledger, now).await?;
        }
        Ok(self.tally(outcomes))
    }

    /// Writes the subscription and the ledger entry for the contacts (by address) the import subscribes.
    /// Set-based (`INSERT ... SELECT` by address), so no ids travel between database and client.
    async fn confirm_by_import(&mut self, emails: &[&str], now: i64) -> Result<()> {
        let basis = self.opts.basis.as_str();
        let status = SubscriptionStatus::Confirmed.as_str();
        let mut sql = String::from(
            "INSERT INTO subscriptions (contact_id, list_id, status, basis, updated_at) \
             SELECT id, $1, $2, $3, $4 FROM contacts WHERE email IN (",
        );
        placeholders(&mut sql, 5, emails.len());
        sql.push_str(
            ") ON CONFLICT (contact_id, list_id) DO UPDATE SET status = excluded.status, basis = excluded.basis, \
             updated_at = excluded.updated_at",
        );
        let sql = self.store.dialect.positional(sql);
        let mut q = sqlx::query(&sql).bind(self.list_id).bind(status).bind(basis).bind(now);
        for e in emails {
            q = q.bind(*e);
        }
        q.execute(&mut *self.tx).await?;

        let mut sql = String::from(
            "INSERT INTO consent_events (contact_id, list_id, action, at, source, basis, consent_text) \
             SELECT id, $1, $2, $3, $4, $5, $6 FROM contacts WHERE email IN (",
        );
        placeholders(&mut sql, 7, emails.len());
        sql.push(')');
        let statement = format!("Imported with legal basis {basis}");
        let sql = self.store.dialect.positional(sql);
        let mut q = sqlx::query(&sql)
            .bind(self.list_id)
            .bind(ConsentAction::Imported.as_str())
            .bind(now)
            .bind(format!("import: {}", self.opts.source))
            .bind(basis)
            .bind(statement);
        for e in emails {
            q = q.bind(*e);
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    fn tally(&mut self, outcomes: Vec<Option<RowOutcome>>) -> Vec<RowOutcome> {
        outcomes
            .into_iter()
            .map(|o| {
                let o = o.expect("every row gets an outcome");
                let s = &mut self.summary;
                match o {
                    RowOutcome::Imported => s.imported += 1,
                    RowOutcome::Updated => s.updated += 1,
                    RowOutcome::SkippedSuppressed => s.skipped_suppressed += 1,
                    RowOutcome::SkippedUnsubscribed => s.skipped_unsubscribed += 1,
                    RowOutcome::Duplicate => s.duplicates += 1,
                }
                o
            })
            .collect()
    }

    /// Commits (or, for a dry run, rolls back) and reports the totals.
    pub async fn finish(self) -> Result<ImportSummary> {
        if self.opts.dry_run {
            self.tx.rollback().await?;
        } else {
            self.tx.commit().await?;
        }
        Ok(self.summary)
    }

    /// Abandons the import: nothing of it is stored.
    pub async fn abort(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// Contacts of a list with their status, in id order after `after_id`, `limit` at a time.
    pub async fn export_list_page(
        &self,
        list_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(crate::Contact, SubscriptionStatus)>> {
        let rows = sqlx::query(
            "SELECT c.id, c.email, c.name, c.timezone, c.attributes, c.created_at, c.updated_at, s.status \
             FROM subscriptions s JOIN contacts c ON c.id = s.contact_id \
             WHERE s.list_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
        )
        .bind(list_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let st: String = r.try_get("status")?;
                let st = SubscriptionStatus::parse(&st)
                    .ok_or_else(|| StoreError::Corrupt(format!("subscription status {st:?}")))?;
                Ok((crate::contacts::contact_from_row(r)?, st))
            })
            .collect()
    }
}
