//! All of Kurier's SQL, for SQLite (the embedded default) and PostgreSQL (several nodes, one database).
//!
//! Queries are runtime `sqlx::query` over sqlx's `Any` driver: one text per query serves both engines
//! (`$1` placeholders, `RETURNING`, `ON CONFLICT` mean the same on both). Where the engines differ, the
//! difference lives in [`Dialect`], never in a match per method. Times are stored as UTC milliseconds,
//! flags as 0/1, so every column decodes the same way on both engines.

mod contacts;
mod feedback;
mod import;
mod lists;
mod outbox;
mod suppressions;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use kurier_core::{EmailAddress, Secret};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _};
use tokio::sync::Notify;

pub use contacts::{
    ComposeError, ConfirmOutcome, ConsentRecord, Contact, ContactDetails, SubscribeOutcome, SubscribeRequest,
    Subscription,
};
pub use feedback::{
    Alert, AlertKind, Attribution, Completed, Feedback, FeedbackAction, FeedbackEvent, FeedbackOutcome, InboundFormat,
    InboundItem, NewInbound, Rate, RateScope,
};
pub use import::{ImportOptions, ImportRow, ImportSummary, ImportTx, RowOutcome};
pub use lists::{List, NewList};
pub use outbox::{ClaimedMessage, DeliveryOutcome, MessageEvent, NewMessage, OutboxEntry};
pub use suppressions::{Suppression, SuppressionReason};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is not what Kurier wrote: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("composing the mail failed: {0}")]
    Compose(#[source] ComposeError),
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// True when the same call may succeed later (a busy database, a lost connection).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Db(e) => {
                matches!(
                    e,
                    sqlx::Error::PoolTimedOut
                        | sqlx::Error::Io(_)
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::WorkerCrashed
                ) || e.as_database_error().is_some_and(|d| {
                    let code = d.code().unwrap_or_default();
                    // SQLite BUSY/LOCKED, PostgreSQL serialization failure / deadlock / admin shutdown.
                    matches!(code.as_ref(), "5" | "6" | "517" | "40001" | "40P01" | "57P01")
                })
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The few places where SQLite and PostgreSQL need different SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row-lock clause for a claim sub-select: PostgreSQL lets concurrent claimers skip each other's
    /// rows; SQLite has one writer at a time, so the claim is already exclusive.
    fn skip_locked(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// A statement whose parameters are `$1`, `$2`, ... each used once and in order, made cheap to bind
    /// on SQLite: there `$N` is a *named* parameter, and looking a name up costs time linear in the
    /// number of parameters (quadratic per statement), while plain `?` costs nothing.
    pub(crate) fn positional(self, sql: String) -> String {
        match self {
            Self::Postgres => sql,
            Self::Sqlite => {
                let mut out = String::with_capacity(sql.len());
                let mut chars = sql.chars().peekable();
                let mut expected = 1u64;
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                        let mut n = 0u64;
                        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                            n = n * 10 + u64::from(d);
                            chars.next();
                        }
                        debug_assert_eq!(n, expected, "parameters must be used once each, in order");
                        expected += 1;
                        out.push('?');
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }

    /// The statement that starts a write transaction. SQLite must take the write lock up front, or a
    /// reader that later writes fails at once with SQLITE_BUSY instead of waiting.
    fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }
}

/// The database, shared by the web server, the workers and the command line.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    secret: Arc<Secret>,
    outbox_wakeup: Arc<Notify>,
    inbound_wakeup: Arc<Notify>,
    /// Numbers this process's claims, so each lease owner is unique.
    claims: Arc<AtomicU64>,
    /// Queue of this process's SQLite writers (see [`Store::begin`]).
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    /// `sqlite://PATH` or `postgres://...`; the secret keys address hashes.
    pub async fn open(url: &str, secret: Secret) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match dialect {
            Dialect::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match dialect {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Dialect::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Self {
            pool,
            dialect,
            secret: Arc::new(secret),
            outbox_wakeup: Arc::new(Notify::new()),
            inbound_wakeup: Arc::new(Notify::new()),
            claims: Arc::default(),
            writer: Arc::default(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Signalled whenever a message becomes due for delivery, so the delivery engine can sleep
    /// until then instead of polling.
    pub fn outbox_wakeup(&self) -> Arc<Notify> {
        self.outbox_wakeup.clone()
    }

    /// The keyed hash under which suppressions know an address.
    pub fn address_hash(&self, address: &EmailAddress) -> String {
        self.secret.address_hash(address)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction, begun the way the engine needs (see [`Dialect::begin_write`]).
    ///
    /// On SQLite, writers of this process also queue on an async mutex first: SQLite admits one writer
    /// at a time anyway, and waiting in a fair queue beats its busy handler, which polls with sleeps of
    /// up to 100 ms and so gives concurrent requests a long tail.
    async fn begin(&self) -> Result<Tx> {
        let guard = match self.dialect {
            Dialect::Sqlite => Some(self.writer.clone().lock_owned().await),
            Dialect::Postgres => None,
        };
        let inner = self.pool.begin_with(self.dialect.begin_write()).await?;
        Ok(Tx { inner, _guard: guard })
    }
}

/// A write transaction; rolled back when dropped without [`Tx::commit`].
pub(crate) struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        Ok(self.inner.commit().await?)
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        Ok(self.inner.rollback().await?)
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn positional_parameters_on_sqlite_only() {
        let sql = "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3, $10)".to_string();
        assert_eq!(Dialect::Postgres.positional(sql.clone()), sql);
        let sql = "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3, $4)".to_string();
        assert_eq!(Dialect::Sqlite.positional(sql), "SELECT a FROM t WHERE x = ? AND y IN (?, ?, ?)");
    }
}
