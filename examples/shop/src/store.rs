//! The shop's orders in SQL, through sqlx's `Any` driver: what each order bought (the shop's
//! table, `shop_orders`), and its payment (pay123's tables, through
//! [`SqlStore`](pay123_sqlx::SqlStore)).
//!
//! The SQL is portable: the same statements and migrations run on SQLite
//! (`sqlite://shop.db?mode=rwc`, the default) and PostgreSQL (`postgres://user:pass@host/shop`,
//! for several instances on one database). The payments' writes are conditional (see
//! pay123-sqlx): of two changes of one payment at once, on one instance or several, one is
//! written.

use std::time::SystemTime;

use pay123_core::BankCode;
use pay123_core::payments::{Payment, PaymentStore};
use pay123_sqlx::{HistoryEntry, SqlStore};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// A store failure: the database cannot be reached, refused a statement or holds a value this
/// code does not understand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed a statement (or the connection).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The payments' tables failed.
    #[error("payment store: {0}")]
    Payments(#[from] pay123_sqlx::Error),
    /// The payment flow failed (its store).
    #[error("payment flow: {0}")]
    Flow(#[from] pay123_core::Error),
    /// A row holds a value this code does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// An order: what was bought, and its payment as pay123 stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Order {
    /// `mTransactionID`: the shop's unique id of the order, sent to 123PAY.
    pub m_transaction_id: String,
    /// The product's id in the catalog.
    pub product_id: String,
    /// The product's name when the order was made.
    pub product_name: String,
    /// The amount in VND.
    pub amount: u64,
    /// The bank the buyer chose at checkout (`123PAY`: chosen at 123PAY).
    pub bank_code: BankCode,
    /// The buyer's IPv4 address, when known.
    pub client_ip: Option<String>,
    /// When the order was recorded.
    pub created_at: SystemTime,
    /// The payment; `None` if the process stopped between recording the order and recording
    /// its payment (nothing was sent to 123PAY).
    pub payment: Option<Payment>,
}

impl Order {
    /// The payment's state; `not_created` when no payment was recorded.
    #[must_use]
    pub fn state(&self) -> pay123_core::payments::PaymentState {
        self.payment
            .as_ref()
            .map_or(pay123_core::payments::PaymentState::NotCreated, |p| p.state)
    }
}

/// A new order to record.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder<'a> {
    pub(crate) m_transaction_id: &'a str,
    pub(crate) product_id: &'a str,
    pub(crate) product_name: &'a str,
    pub(crate) amount: u64,
    pub(crate) bank_code: &'a str,
    pub(crate) client_ip: Option<&'a str>,
}

/// The orders, in a SQL database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    payments: SqlStore,
}

/// The connections of a [`Store::connect`]ed pool (`SHOP_DATABASE_POOL` in the demo shops).
pub const DEFAULT_POOL_SIZE: u32 = pay123_sqlx::DEFAULT_POOL_SIZE;

const ORDER_COLUMNS: &str =
    "m_transaction_id, product_id, product_name, amount, bank_code, client_ip, created_at";

impl Store {
    /// Connects to the database at `url` (`sqlite://shop.db?mode=rwc`, an in-memory
    /// `sqlite::memory:` for a single connection, or `postgres://user:password@host/shop`) with
    /// a pool of [`DEFAULT_POOL_SIZE`] connections, applies the shop's migrations and creates
    /// pay123's tables.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_POOL_SIZE).await
    }

    /// Like [`connect`](Self::connect), with a pool of at most `pool_size` connections (one
    /// pool for the shop's table and pay123's: see [`SqlStore::connect_with`]).
    pub async fn connect_with(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        Self::over(SqlStore::connect_with(url, pool_size).await?).await
    }

    /// A store over an existing pool (`sqlx::any::install_default_drivers()` called before it
    /// connected); applies the migrations.
    pub async fn from_pool(pool: AnyPool) -> Result<Self, StoreError> {
        Self::over(SqlStore::new(pool).await?).await
    }

    async fn over(payments: SqlStore) -> Result<Self, StoreError> {
        let pool = payments.pool().clone();
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, payments })
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The payments (pay123's tables), which the payment flow keeps.
    #[must_use]
    pub fn payments(&self) -> &SqlStore {
        &self.payments
    }

    /// The order with this `mTransactionID`, with its payment.
    pub async fn order(&self, m_transaction_id: &str) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM shop_orders WHERE m_transaction_id = $1");
        let row = sqlx::query(&sql)
            .bind(m_transaction_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.with_payment(&row).await?)),
            None => Ok(None),
        }
    }

    /// The most recent orders, newest first.
    pub async fn recent_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM shop_orders \
             ORDER BY created_at DESC, m_transaction_id LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            orders.push(self.with_payment(row).await?);
        }
        Ok(orders)
    }

    /// The history of an order's payment, oldest first (empty for an unknown order).
    pub async fn history(&self, m_transaction_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(self.payments.history(m_transaction_id).await?)
    }

    /// Records what an order buys, before its payment is recorded and created.
    pub(crate) async fn insert(
        &self,
        order: &NewOrder<'_>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let amount = i64::try_from(order.amount)
            .map_err(|_| StoreError::Corrupt(format!("amount {} is too large", order.amount)))?;
        sqlx::query(
            "INSERT INTO shop_orders (m_transaction_id, product_id, product_name, amount, \
             bank_code, client_ip, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(order.m_transaction_id)
        .bind(order.product_id)
        .bind(order.product_name)
        .bind(amount)
        .bind(order.bank_code)
        .bind(order.client_ip)
        .bind(Payment::to_millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn with_payment(&self, row: &AnyRow) -> Result<Order, StoreError> {
        let id: String = row.try_get("m_transaction_id")?;
        let amount: i64 = row.try_get("amount")?;
        Ok(Order {
            payment: self.payments.load(&id).await?,
            m_transaction_id: id,
            product_id: row.try_get("product_id")?,
            product_name: row.try_get("product_name")?,
            amount: u64::try_from(amount)
                .map_err(|_| StoreError::Corrupt(format!("amount is {amount}")))?,
            bank_code: BankCode::from_code(&row.try_get::<String, _>("bank_code")?),
            client_ip: row.try_get("client_ip")?,
            created_at: Payment::from_millis(row.try_get("created_at")?),
        })
    }
}
