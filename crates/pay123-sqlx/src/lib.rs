//! pay123's payment store on SQL: [`SqlStore`] keeps the payments of
//! [`Payments`](pay123_core::payments::Payments) and their history in SQLite or PostgreSQL,
//! through sqlx's `Any` driver.
//!
//! Two tables, created on first use (`CREATE TABLE IF NOT EXISTS`; they live beside your own
//! and never touch them): `pay123_payments`, one row per `mTransactionID` with a column per
//! field of [`Payment`], and `pay123_payment_history`, one row per change with a note. Join
//! them with your orders by `m_transaction_id`.
//!
//! Every change is one transaction whose first statement is a conditional write (`INSERT ..
//! ON CONFLICT DO NOTHING`, `UPDATE .. WHERE version = $expected`): of two changes made at
//! once, on one instance or several sharing a PostgreSQL database, one is written and the
//! other finds the row changed, writes nothing and is made again by the flow.
//!
//! ```no_run
//! use pay123_core::payments::Payments;
//! use pay123_core::{Client, Credentials, Endpoints};
//! use pay123_sqlx::SqlStore;
//!
//! # async fn run<C: pay123_core::SendHttpClient>(transport: C) -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await?;
//! let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
//! let payments = Payments::new(client, store, tokio::time::sleep);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `sqlite` (default): SQLite files, in WAL mode, `synchronous = FULL`.
//! - `postgres` (default): PostgreSQL servers, over rustls.

use std::time::{Duration, SystemTime};

use pay123_core::payments::{Payment, PaymentState, PaymentStore, Source};
use pay123_core::{BankCode, TransactionStatus};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// What [`SqlStore`] can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused or failed a statement (or the connection).
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A row holds a value this code does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// A change of a payment, as `pay123_payment_history` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// The payment's version after the change (1 when recorded).
    pub version: u64,
    /// The state after the change.
    pub state: PaymentState,
    /// 123PAY's `transactionStatus` after the change.
    pub transaction_status: Option<TransactionStatus>,
    /// What made it.
    pub source: Source,
    /// What changed, in English.
    pub note: Option<String>,
    /// When.
    pub changed_at: SystemTime,
}

/// The payments in a SQL database. Cloning is cheap (the pool is shared).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
}

/// The connections of a [`SqlStore::connect`]ed pool.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// At most this many characters of a note or an error detail are kept.
const MAX_TEXT: usize = 2000;

/// The tables. What 123PAY sends (its transaction id, a status, a bank, an error code) is TEXT:
/// its length is not ours to choose, and a value too long for a column would fail the save.
const CREATE: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS pay123_payments (
        m_transaction_id VARCHAR(64) PRIMARY KEY,
        amount BIGINT NOT NULL,
        state VARCHAR(16) NOT NULL,
        pay123_transaction_id TEXT,
        payment_url TEXT,
        transaction_status TEXT,
        bank_code TEXT,
        op_amount BIGINT,
        error_code TEXT,
        error_detail TEXT,
        note TEXT,
        source VARCHAR(16) NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        next_check_at BIGINT,
        check_attempts BIGINT NOT NULL,
        version BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS pay123_payments_due ON pay123_payments (next_check_at)",
    "CREATE INDEX IF NOT EXISTS pay123_payments_pay123_id ON pay123_payments (pay123_transaction_id)",
    "CREATE TABLE IF NOT EXISTS pay123_payment_history (
        m_transaction_id VARCHAR(64) NOT NULL,
        version BIGINT NOT NULL,
        state VARCHAR(16) NOT NULL,
        transaction_status TEXT,
        source VARCHAR(16) NOT NULL,
        note TEXT,
        changed_at BIGINT NOT NULL,
        PRIMARY KEY (m_transaction_id, version)
    )",
];

/// The columns of a payment, in the order of [`bind_payment`].
const COLUMNS: &str = "m_transaction_id, amount, state, pay123_transaction_id, payment_url, \
     transaction_status, bank_code, op_amount, error_code, error_detail, note, source, \
     created_at, updated_at, next_check_at, check_attempts, version";

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl SqlStore {
    /// Connects to the database at `url` (`sqlite://shop.db?mode=rwc`, `sqlite::memory:` for
    /// one connection, or `postgres://user:password@host/shop`) with a pool of
    /// [`DEFAULT_POOL_SIZE`] connections, and creates the tables if they are missing.
    ///
    /// # Errors
    ///
    /// The database cannot be reached, or refuses the tables.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::connect_with(url, DEFAULT_POOL_SIZE).await
    }

    /// Like [`connect`](Self::connect), with a pool of at most `pool_size` connections.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, pool_size: u32) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        // An in-memory SQLite database exists once per connection: keep a single one.
        let max = if url.contains(":memory:") || url.contains("mode=memory") {
            1
        } else {
            pool_size.max(1)
        };
        let file = url.starts_with("sqlite:") && max > 1;
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    // WAL: readers never wait for the writer, and a commit is one fsync (the
                    // synchronous level stays FULL: a committed payment survives a power cut).
                    if file {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *connection)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Self::new(pool).await
    }

    /// A store over an existing pool (`sqlx::any::install_default_drivers()` must have been
    /// called before it connected); creates the tables if they are missing.
    ///
    /// # Errors
    ///
    /// The database refuses the tables.
    pub async fn new(pool: AnyPool) -> Result<Self, Error> {
        let mut tx = pool.begin().await?;
        // Two instances starting at once on PostgreSQL: one creates the tables at a time.
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query("SELECT pg_advisory_xact_lock(1230000123)")
                .execute(&mut *tx)
                .await?;
        }
        for statement in CREATE {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The history of a payment, oldest first (empty for an unknown one).
    ///
    /// # Errors
    ///
    /// The database failed, or holds a value this code does not understand.
    pub async fn history(&self, m_transaction_id: &str) -> Result<Vec<HistoryEntry>, Error> {
        let rows = sqlx::query(
            "SELECT version, state, transaction_status, source, note, changed_at \
             FROM pay123_payment_history WHERE m_transaction_id = $1 ORDER BY version",
        )
        .bind(m_transaction_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_of_row).collect()
    }

    /// Writes `write` (a conditional `INSERT` or `UPDATE` of one payment), then, if it wrote a
    /// row and the version has a note, its history row, in one transaction. `Ok(false)`:
    /// `write` matched no row; nothing was written.
    async fn write(&self, write: Query<'_>, payment: &Payment) -> Result<bool, Error> {
        let mut tx = self.pool.begin().await?;
        if write.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(note) = &payment.note {
            sqlx::query(
                "INSERT INTO pay123_payment_history \
                 (m_transaction_id, version, state, transaction_status, source, note, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(payment.m_transaction_id.as_str())
            .bind(to_sql(payment.version, "version")?)
            .bind(payment.state.as_str())
            .bind(
                payment
                    .transaction_status
                    .as_ref()
                    .map(|s| s.code().to_owned()),
            )
            .bind(payment.source.as_str())
            .bind(truncated(note))
            .bind(Payment::to_millis(payment.updated_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

impl SqlStore {
    /// The payment whose `column` (one of ours, never input) is `value`.
    async fn load_where(&self, column: &str, value: &str) -> Result<Option<Payment>, Error> {
        // 123PAY's ids are its own to keep unique; the oldest first if not.
        let sql = format!(
            "SELECT {COLUMNS} FROM pay123_payments WHERE {column} = $1 ORDER BY created_at LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(payment_of_row).transpose()
    }
}

impl PaymentStore for SqlStore {
    type Error = Error;

    async fn insert(&self, payment: &Payment) -> Result<bool, Error> {
        let sql = format!(
            "INSERT INTO pay123_payments ({COLUMNS}) VALUES ({}) \
             ON CONFLICT (m_transaction_id) DO NOTHING",
            placeholders(1, 17)
        );
        let insert = bind_payment(sqlx::query(&sql), payment)?;
        self.write(insert, payment).await
    }

    async fn load(&self, m_transaction_id: &str) -> Result<Option<Payment>, Error> {
        self.load_where("m_transaction_id", m_transaction_id).await
    }

    async fn load_by_pay123_transaction_id(&self, id: &str) -> Result<Option<Payment>, Error> {
        self.load_where("pay123_transaction_id", id).await
    }

    async fn update(&self, payment: &Payment, expected_version: u64) -> Result<bool, Error> {
        let assignments = COLUMNS
            .split(", ")
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE pay123_payments SET {assignments} \
             WHERE m_transaction_id = $18 AND version = $19"
        );
        let update = bind_payment(sqlx::query(&sql), payment)?
            .bind(payment.m_transaction_id.as_str())
            .bind(to_sql(expected_version, "version")?);
        self.write(update, payment).await
    }

    async fn due(&self, now: SystemTime, limit: usize) -> Result<Vec<Payment>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM pay123_payments WHERE next_check_at <= $1 \
             ORDER BY next_check_at, m_transaction_id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(Payment::to_millis(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(payment_of_row).collect()
    }
}

/// `$first, $first+1, ...`: `count` placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn truncated(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

fn to_sql(value: u64, column: &str) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::Corrupt(format!("{column} {value} is too large")))
}

fn of_sql(value: i64, column: &str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::Corrupt(format!("{column} is {value}")))
}

/// Binds the columns of [`COLUMNS`], in order.
fn bind_payment<'q>(query: Query<'q>, p: &Payment) -> Result<Query<'q>, Error> {
    Ok(query
        .bind(p.m_transaction_id.clone())
        .bind(to_sql(p.amount, "amount")?)
        .bind(p.state.as_str())
        .bind(p.pay123_transaction_id.clone())
        .bind(p.payment_url.clone())
        .bind(p.transaction_status.as_ref().map(|s| s.code().to_owned()))
        .bind(p.bank_code.as_ref().map(|b| b.code().to_owned()))
        .bind(p.op_amount.map(|a| to_sql(a, "op_amount")).transpose()?)
        .bind(p.error_code.clone())
        .bind(p.error_detail.as_deref().map(truncated))
        .bind(p.note.as_deref().map(truncated))
        .bind(p.source.as_str())
        .bind(Payment::to_millis(p.created_at))
        .bind(Payment::to_millis(p.updated_at))
        .bind(p.next_check_at.map(Payment::to_millis))
        .bind(i64::from(p.check_attempts))
        .bind(to_sql(p.version, "version")?))
}

fn state_of(name: &str) -> Result<PaymentState, Error> {
    PaymentState::from_name(name).ok_or_else(|| Error::Corrupt(format!("payment state {name:?}")))
}

fn source_of(name: &str) -> Result<Source, Error> {
    Source::from_name(name).ok_or_else(|| Error::Corrupt(format!("payment source {name:?}")))
}

fn payment_of_row(row: &AnyRow) -> Result<Payment, Error> {
    let text = |column: &str| row.try_get::<Option<String>, _>(column);
    let mut payment = Payment::restore(
        row.try_get::<String, _>("m_transaction_id")?,
        of_sql(row.try_get("amount")?, "amount")?,
        state_of(&row.try_get::<String, _>("state")?)?,
        Payment::from_millis(row.try_get("created_at")?),
        of_sql(row.try_get("version")?, "version")?,
    );
    payment.pay123_transaction_id = text("pay123_transaction_id")?;
    payment.payment_url = text("payment_url")?;
    payment.transaction_status =
        text("transaction_status")?.map(|c| TransactionStatus::from_code(&c));
    payment.bank_code = text("bank_code")?.map(|c| BankCode::from_code(&c));
    payment.op_amount = row
        .try_get::<Option<i64>, _>("op_amount")?
        .map(|a| of_sql(a, "op_amount"))
        .transpose()?;
    payment.error_code = text("error_code")?;
    payment.error_detail = text("error_detail")?;
    payment.note = text("note")?;
    payment.source = source_of(&row.try_get::<String, _>("source")?)?;
    payment.updated_at = Payment::from_millis(row.try_get("updated_at")?);
    payment.next_check_at = row
        .try_get::<Option<i64>, _>("next_check_at")?
        .map(Payment::from_millis);
    payment.check_attempts =
        u32::try_from(row.try_get::<i64, _>("check_attempts")?).unwrap_or(u32::MAX);
    Ok(payment)
}

fn history_of_row(row: &AnyRow) -> Result<HistoryEntry, Error> {
    Ok(HistoryEntry {
        version: of_sql(row.try_get("version")?, "version")?,
        state: state_of(&row.try_get::<String, _>("state")?)?,
        transaction_status: row
            .try_get::<Option<String>, _>("transaction_status")?
            .map(|c| TransactionStatus::from_code(&c)),
        source: source_of(&row.try_get::<String, _>("source")?)?,
        note: row.try_get("note")?,
        changed_at: Payment::from_millis(row.try_get("changed_at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(placeholders(12, 3), "$12, $13, $14");
        assert_eq!(placeholders(1, 1), "$1");
    }
}
