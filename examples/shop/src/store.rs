//! The order store: orders and their status history in SQL, through sqlx's `Any` driver.
//!
//! The SQL is portable: the same statements and migrations run on SQLite
//! (`sqlite://shop.db?mode=rwc`, the default) and PostgreSQL (`postgres://user:pass@host/shop`,
//! for several instances on one database). Every change of an order is
//! one transaction that starts with a conditional `UPDATE ... WHERE status IN (...)`: of two
//! concurrent changes of one order, the second finds the row already changed, updates nothing and
//! writes no history. On SQLite the `UPDATE` being the first statement means the transaction asks
//! for the write lock at once (waiting up to the busy timeout) instead of failing to upgrade a read
//! lock; on PostgreSQL the second `UPDATE` waits for the first's row lock and then re-checks its
//! `WHERE` against the committed row.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pay123_core::{BankCode, TransactionStatus};
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

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
    /// A row holds a value this code does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// The shop's state of an order.
///
/// `creating`, `not_created`, `unsure` and `pending` are open: a notify or a queryOrder can still
/// move the order, and the reconciler asks 123PAY about every open order but `not_created`.
/// `paid`, `failed`, `review` and `closed` are final: nothing changes them automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Recorded; createOrder has not answered yet.
    Creating,
    /// createOrder failed (busy, bank error, timeout...): 123PAY has no payment for it. The error
    /// is kept with the order.
    NotCreated,
    /// createOrder was sent and gave no usable answer (a timeout, a connection lost): 123PAY may
    /// have created the payment. The buyer was not sent to pay; the reconciler asks 123PAY until
    /// it knows.
    Unsure,
    /// 123PAY created the payment; waiting for the buyer and the result.
    Pending,
    /// Paid: 123PAY confirmed status 1 and the amount with a queryOrder.
    Paid,
    /// The payment failed or was cancelled (a final status of 123PAY).
    Failed,
    /// 123PAY reports a payment that does not match the order (amount, transaction id): held for
    /// a person to check; never paid automatically.
    Review,
    /// 123PAY has no payment for the order (`-10`) and the buyer's session is over: closed by
    /// the reconciler. Nothing was charged.
    Closed,
}

impl OrderState {
    /// Every state.
    pub const ALL: &'static [Self] = &[
        Self::Creating,
        Self::NotCreated,
        Self::Pending,
        Self::Paid,
        Self::Failed,
        Self::Review,
        Self::Unsure,
        Self::Closed,
    ];

    /// The states a notify or a queryOrder may still change.
    pub const OPEN: &'static [Self] = &[
        Self::Creating,
        Self::NotCreated,
        Self::Unsure,
        Self::Pending,
    ];

    /// The states the reconciler asks 123PAY about: the open ones where 123PAY may have a
    /// payment (`not_created` is a refusal of 123PAY's, or a request that never left).
    pub const RECONCILED: &'static [Self] = &[Self::Creating, Self::Unsure, Self::Pending];

    /// The name stored and shown in JSON (`not_created`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::NotCreated => "not_created",
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Review => "review",
            Self::Unsure => "unsure",
            Self::Closed => "closed",
        }
    }

    /// The state from its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == name)
    }

    /// `paid`, `failed`, `review` or `closed`.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Failed | Self::Review | Self::Closed
        )
    }

    /// Whether the reconciler asks 123PAY about an order in this state ([`Self::RECONCILED`]).
    #[must_use]
    pub fn is_reconciled(self) -> bool {
        Self::RECONCILED.contains(&self)
    }

    /// A label for buyers, in Vietnamese.
    #[must_use]
    pub const fn vietnamese(self) -> &'static str {
        match self {
            Self::Creating => "Đang tạo đơn hàng",
            Self::NotCreated => "Chưa tạo được giao dịch",
            Self::Pending => "Đang chờ thanh toán",
            Self::Paid => "Đã thanh toán",
            Self::Failed => "Thanh toán không thành công",
            Self::Review => "Đang kiểm tra",
            Self::Unsure => "Đang xác minh với 123PAY",
            Self::Closed => "Đã đóng",
        }
    }

    /// The label in English.
    #[must_use]
    pub const fn english(self) -> &'static str {
        match self {
            Self::Creating => "creating the order",
            Self::NotCreated => "payment not created",
            Self::Pending => "waiting for payment",
            Self::Paid => "paid",
            Self::Failed => "payment failed",
            Self::Review => "held for review",
            Self::Unsure => "checking with 123PAY",
            Self::Closed => "closed",
        }
    }
}

/// What caused a change of an order, as written in its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The buyer checked out: the order was recorded.
    Checkout,
    /// createOrder answered (the payment was created, or not).
    CreateOrder,
    /// A notify from 123PAY (a success confirmed by a queryOrder).
    Notify,
    /// The buyer came back: a queryOrder made by the return page.
    Return,
    /// The reconciler asked 123PAY about an order left open.
    Reconcile,
}

impl Source {
    /// The name stored and shown in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::CreateOrder => "create_order",
            Self::Notify => "notify",
            Self::Return => "return",
            Self::Reconcile => "reconcile",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::Checkout,
            Self::CreateOrder,
            Self::Notify,
            Self::Return,
            Self::Reconcile,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// An order as stored.
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
    /// The shop's state.
    pub state: OrderState,
    /// Paid: set once, with [`OrderState::Paid`].
    pub paid: bool,
    /// `123PAYtransactionId`, once createOrder answered.
    pub pay123_transaction_id: Option<String>,
    /// 123PAY's page the buyer was sent to.
    pub redirect_url: Option<String>,
    /// The last `transactionStatus` 123PAY reported.
    pub transaction_status: Option<TransactionStatus>,
    /// The bank actually used, as 123PAY reported it.
    pub paid_bank_code: Option<BankCode>,
    /// `opAmount`: what the bank charged, from the confirming queryOrder.
    pub op_amount: Option<u64>,
    /// Why the payment was not created (a createOrder return code, `timeout`, ...), or why the
    /// order is held for review.
    pub error_code: Option<String>,
    /// The technical detail of that error (English).
    pub error_message: Option<String>,
    /// When the order was recorded.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
    /// When the reconciler asks 123PAY about it next; `None` when it does not.
    pub next_check_at: Option<SystemTime>,
    /// The reconciler's checks so far.
    pub check_attempts: u32,
}

/// One change of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// 1 for the first entry of the order, then 2, 3...
    pub seq: u64,
    /// The state after the change.
    pub state: OrderState,
    /// 123PAY's `transactionStatus` after the change.
    pub transaction_status: Option<TransactionStatus>,
    /// What caused it.
    pub source: Source,
    /// A note (what 123PAY said, why a payment is held for review...).
    pub note: Option<String>,
    /// When.
    pub changed_at: SystemTime,
}

/// A new order to record, in [`OrderState::Creating`].
#[derive(Debug, Clone)]
pub(crate) struct NewOrder<'a> {
    pub(crate) m_transaction_id: &'a str,
    pub(crate) product_id: &'a str,
    pub(crate) product_name: &'a str,
    pub(crate) amount: u64,
    pub(crate) bank_code: &'a str,
    pub(crate) client_ip: Option<&'a str>,
}

/// A change of state, applied only when the order is in one of `from`.
#[derive(Debug, Clone)]
pub(crate) struct Change<'a> {
    pub(crate) from: &'static [OrderState],
    pub(crate) to: OrderState,
    pub(crate) source: Source,
    pub(crate) note: Option<&'a str>,
    pub(crate) transaction_status: Option<&'a str>,
    pub(crate) paid_bank_code: Option<&'a str>,
    pub(crate) op_amount: Option<u64>,
    pub(crate) pay123_transaction_id: Option<&'a str>,
    pub(crate) redirect_url: Option<&'a str>,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) error_message: Option<&'a str>,
}

impl<'a> Change<'a> {
    /// A change to `to` from any of `from`, setting nothing else yet.
    pub(crate) fn new(from: &'static [OrderState], to: OrderState, source: Source) -> Self {
        Self {
            from,
            to,
            source,
            note: None,
            transaction_status: None,
            paid_bank_code: None,
            op_amount: None,
            pay123_transaction_id: None,
            redirect_url: None,
            error_code: None,
            error_message: None,
        }
    }
}

/// The orders, in a SQL database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

const ORDER_COLUMNS: &str = "m_transaction_id, product_id, product_name, amount, bank_code, \
     client_ip, status, paid, pay123_transaction_id, redirect_url, transaction_status, \
     paid_bank_code, op_amount, error_code, error_message, created_at, updated_at, \
     next_check_at, check_attempts";

/// The history row of the order's current state, numbered after the last one. Run in the
/// transaction of the change, after its `UPDATE`.
const INSERT_HISTORY: &str = "INSERT INTO order_history \
     (m_transaction_id, seq, status, transaction_status, source, note, changed_at) \
     SELECT o.m_transaction_id, \
            (SELECT COALESCE(MAX(h.seq), 0) + 1 FROM order_history h \
             WHERE h.m_transaction_id = o.m_transaction_id), \
            o.status, o.transaction_status, $2, $3, $4 \
     FROM orders o WHERE o.m_transaction_id = $1";

/// The connections of a [`Store::connect`]ed pool (`SHOP_DATABASE_POOL` in the demo shops).
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// At most this many characters of an error message are stored.
const MAX_MESSAGE: usize = 1000;

impl Store {
    /// Connects to the database at `url` (`sqlite://shop.db?mode=rwc`, an in-memory
    /// `sqlite::memory:` for a single connection, or `postgres://user:password@host/shop`) with
    /// a pool of [`DEFAULT_POOL_SIZE`] connections, and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_POOL_SIZE).await
    }

    /// Like [`connect`](Self::connect), with a pool of at most `pool_size` connections.
    pub async fn connect_with(url: &str, pool_size: u32) -> Result<Self, StoreError> {
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
                    // A SQLite file in WAL mode: readers never wait for the writer, and a
                    // commit is one fsync, not two (synchronous stays FULL: a committed order
                    // survives a power cut).
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
        Self::from_pool(pool).await
    }

    /// A store over an existing pool; applies the embedded migrations.
    pub async fn from_pool(pool: AnyPool) -> Result<Self, StoreError> {
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The order with this `mTransactionID`.
    pub async fn order(&self, m_transaction_id: &str) -> Result<Option<Order>, StoreError> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE m_transaction_id = $1");
        let row = sqlx::query(&sql)
            .bind(m_transaction_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(order_of_row).transpose()
    }

    /// The most recent orders, newest first.
    pub async fn recent_orders(&self, limit: u32) -> Result<Vec<Order>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders ORDER BY created_at DESC, m_transaction_id LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(order_of_row).collect()
    }

    /// The history of an order, oldest first (empty for an unknown order).
    pub async fn history(&self, m_transaction_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, status, transaction_status, source, note, changed_at \
             FROM order_history WHERE m_transaction_id = $1 ORDER BY seq",
        )
        .bind(m_transaction_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_of_row).collect()
    }

    /// Records a new order in [`OrderState::Creating`], with its first history entry, to be
    /// asked about by the reconciler at `next_check_at` (unless it moves on before).
    pub(crate) async fn insert(
        &self,
        order: &NewOrder<'_>,
        now: SystemTime,
        next_check_at: SystemTime,
    ) -> Result<(), StoreError> {
        let now = millis(now);
        let insert = sqlx::query(
            "INSERT INTO orders (m_transaction_id, product_id, product_name, amount, bank_code, \
             client_ip, status, paid, created_at, updated_at, next_check_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        )
        .bind(order.m_transaction_id)
        .bind(order.product_id)
        .bind(order.product_name)
        .bind(amount_to_sql(order.amount)?)
        .bind(order.bank_code)
        .bind(order.client_ip)
        .bind(OrderState::Creating.as_str())
        .bind(0_i16)
        .bind(now)
        .bind(millis(next_check_at));
        // An `INSERT` without `ON CONFLICT` writes its row or fails: `Ok(false)` cannot happen.
        self.write_with_history(insert, order.m_transaction_id, Source::Checkout, None, now)
            .await?;
        Ok(())
    }

    /// Applies `change` if the order is in one of `change.from`, with a history entry, in one
    /// transaction. `Ok(false)`: the order is not in those states (or does not exist), nothing
    /// was written. A change to a state the reconciler does not ask about ends its checks and
    /// its lease.
    pub(crate) async fn apply(
        &self,
        m_transaction_id: &str,
        change: &Change<'_>,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let now = millis(now);
        let sql = format!(
            "UPDATE orders SET status = $1, paid = $2, \
             transaction_status = COALESCE($3, transaction_status), \
             paid_bank_code = COALESCE($4, paid_bank_code), \
             op_amount = COALESCE($5, op_amount), \
             pay123_transaction_id = COALESCE($6, pay123_transaction_id), \
             redirect_url = COALESCE($7, redirect_url), \
             error_code = COALESCE($8, error_code), \
             error_message = COALESCE($9, error_message), \
             updated_at = $10{} \
             WHERE m_transaction_id = $11 AND status IN ({})",
            if change.to.is_reconciled() {
                ""
            } else {
                ", next_check_at = NULL, lease_owner = NULL, lease_until = NULL"
            },
            placeholders(12, change.from.len())
        );
        let op_amount = change.op_amount.map(amount_to_sql).transpose()?;
        let mut query = sqlx::query(&sql)
            .bind(change.to.as_str())
            .bind(i16::from(change.to == OrderState::Paid))
            .bind(change.transaction_status)
            .bind(change.paid_bank_code)
            .bind(op_amount)
            .bind(change.pay123_transaction_id)
            .bind(change.redirect_url)
            .bind(change.error_code)
            .bind(change.error_message.map(truncate))
            .bind(now)
            .bind(m_transaction_id);
        for state in change.from {
            query = query.bind(state.as_str());
        }
        self.write_with_history(
            query,
            m_transaction_id,
            change.source,
            change.note.map(truncate),
            now,
        )
        .await
    }

    /// Adds a note to the history of an order (any state) without changing it.
    pub(crate) async fn note(
        &self,
        m_transaction_id: &str,
        note: &str,
        source: Source,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let now = millis(now);
        let touch = sqlx::query("UPDATE orders SET updated_at = $1 WHERE m_transaction_id = $2")
            .bind(now)
            .bind(m_transaction_id);
        self.write_with_history(touch, m_transaction_id, source, Some(truncate(note)), now)
            .await
    }

    /// Records a pending `transactionStatus` (and the bank used) on an open order without
    /// changing its state, with a history entry. `Ok(false)`: the order is final, unknown, or
    /// already has this status; nothing was written.
    pub(crate) async fn record_pending(
        &self,
        m_transaction_id: &str,
        transaction_status: &str,
        paid_bank_code: Option<&str>,
        source: Source,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let now = millis(now);
        let sql = format!(
            "UPDATE orders SET transaction_status = $1, \
             paid_bank_code = COALESCE($2, paid_bank_code), updated_at = $3 \
             WHERE m_transaction_id = $4 AND status IN ({}) \
             AND (transaction_status IS NULL OR transaction_status <> $1)",
            placeholders(5, OrderState::OPEN.len())
        );
        let mut query = sqlx::query(&sql)
            .bind(transaction_status)
            .bind(paid_bank_code)
            .bind(now)
            .bind(m_transaction_id);
        for state in OrderState::OPEN {
            query = query.bind(state.as_str());
        }
        self.write_with_history(query, m_transaction_id, source, None, now)
            .await
    }

    /// Takes up to `limit` orders due for the reconciler at `now` (asked about at
    /// `next_check_at` or earlier, in a [reconciled](OrderState::RECONCILED) state, with no lease
    /// running), leasing each to `owner` until `lease_until`: another instance does not take
    /// them before. The oldest due first.
    ///
    /// Each lease is taken by its own conditional `UPDATE` that re-checks the row: of two
    /// instances that found the same order due, one updates it and the other updates nothing
    /// (on PostgreSQL the second waits for the first's row lock, then re-reads the row). This
    /// works on every database the store runs on, unlike `FOR UPDATE SKIP LOCKED`.
    pub async fn claim_due(
        &self,
        owner: &str,
        now: SystemTime,
        lease_until: SystemTime,
        limit: u32,
    ) -> Result<Vec<Order>, StoreError> {
        let now = millis(now);
        let states = OrderState::RECONCILED;
        let sql = format!(
            "SELECT m_transaction_id FROM orders \
             WHERE next_check_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
             AND status IN ({}) ORDER BY next_check_at LIMIT $2",
            placeholders(3, states.len())
        );
        let mut query = sqlx::query(&sql).bind(now).bind(i64::from(limit));
        for state in states {
            query = query.bind(state.as_str());
        }
        let due: Vec<String> = query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get("m_transaction_id"))
            .collect::<Result<_, _>>()?;
        let lease = format!(
            "UPDATE orders SET lease_owner = $1, lease_until = $2 \
             WHERE m_transaction_id = $3 AND next_check_at <= $4 \
             AND (lease_until IS NULL OR lease_until <= $4) AND status IN ({})",
            placeholders(5, states.len())
        );
        let mut claimed = Vec::new();
        for id in due {
            let mut query = sqlx::query(&lease)
                .bind(owner)
                .bind(millis(lease_until))
                .bind(&id)
                .bind(now);
            for state in states {
                query = query.bind(state.as_str());
            }
            if query.execute(&self.pool).await?.rows_affected() == 1
                && let Some(order) = self.order(&id).await?
            {
                claimed.push(order);
            }
        }
        Ok(claimed)
    }

    /// Ends `owner`'s lease of an order after a check: counts the check, and sets when to ask
    /// next (`None`: never). `Ok(false)`: the lease is no longer `owner`'s (it ran out and
    /// another instance took the order, or the order became final and its lease was dropped);
    /// nothing was written.
    pub async fn reschedule(
        &self,
        m_transaction_id: &str,
        owner: &str,
        next_check_at: Option<SystemTime>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE orders SET next_check_at = $1, check_attempts = check_attempts + 1, \
             lease_owner = NULL, lease_until = NULL \
             WHERE m_transaction_id = $2 AND lease_owner = $3",
        )
        .bind(next_check_at.map(millis))
        .bind(m_transaction_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The orders in `state`, oldest first, at most `limit`.
    pub async fn orders_in(&self, state: OrderState, limit: u32) -> Result<Vec<Order>, StoreError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE status = $1 \
             ORDER BY created_at, m_transaction_id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(state.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(order_of_row).collect()
    }

    /// Every write of an order, in one transaction: `write` (an `INSERT`, or a conditional
    /// `UPDATE` of one order), then, if it wrote a row, the history row of the order's new state.
    /// `write` comes first so that the transaction takes the write lock at once (see the module
    /// docs). `Ok(false)`: `write` matched no row; the transaction is rolled back, nothing was
    /// written.
    async fn write_with_history<'q>(
        &self,
        write: Query<'q, Any, AnyArguments<'q>>,
        m_transaction_id: &str,
        source: Source,
        note: Option<String>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        if write.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(INSERT_HISTORY)
            .bind(m_transaction_id)
            .bind(source.as_str())
            .bind(note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// `$first, $first+1, ...`: `count` placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_MESSAGE).collect()
}

fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn time_of(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

fn amount_to_sql(amount: u64) -> Result<i64, StoreError> {
    i64::try_from(amount).map_err(|_| StoreError::Corrupt(format!("amount {amount} is too large")))
}

fn amount_of_sql(column: &str, amount: i64) -> Result<u64, StoreError> {
    u64::try_from(amount).map_err(|_| StoreError::Corrupt(format!("{column} is {amount}")))
}

fn state_of(name: &str) -> Result<OrderState, StoreError> {
    OrderState::from_name(name).ok_or_else(|| StoreError::Corrupt(format!("order status {name:?}")))
}

fn order_of_row(row: &AnyRow) -> Result<Order, StoreError> {
    let text = |column: &str| row.try_get::<String, _>(column);
    let optional = |column: &str| row.try_get::<Option<String>, _>(column);
    Ok(Order {
        m_transaction_id: text("m_transaction_id")?,
        product_id: text("product_id")?,
        product_name: text("product_name")?,
        amount: amount_of_sql("amount", row.try_get("amount")?)?,
        bank_code: BankCode::from_code(&text("bank_code")?),
        client_ip: optional("client_ip")?,
        state: state_of(&text("status")?)?,
        paid: integer(row, "paid")? != 0,
        pay123_transaction_id: optional("pay123_transaction_id")?,
        redirect_url: optional("redirect_url")?,
        transaction_status: optional("transaction_status")?
            .map(|c| TransactionStatus::from_code(&c)),
        paid_bank_code: optional("paid_bank_code")?.map(|c| BankCode::from_code(&c)),
        op_amount: row
            .try_get::<Option<i64>, _>("op_amount")?
            .map(|a| amount_of_sql("op_amount", a))
            .transpose()?,
        error_code: optional("error_code")?,
        error_message: optional("error_message")?,
        created_at: time_of(row.try_get("created_at")?),
        updated_at: time_of(row.try_get("updated_at")?),
        next_check_at: row.try_get::<Option<i64>, _>("next_check_at")?.map(time_of),
        check_attempts: u32::try_from(integer(row, "check_attempts")?).unwrap_or(u32::MAX),
    })
}

/// An integer column of any width: `SMALLINT` comes back as 16 bits from PostgreSQL and as 64
/// from SQLite.
fn integer(row: &AnyRow, column: &str) -> Result<i64, StoreError> {
    match row.try_get::<i64, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => match row.try_get::<i32, _>(column) {
            Ok(value) => Ok(value.into()),
            Err(_) => Ok(row.try_get::<i16, _>(column)?.into()),
        },
    }
}

fn history_of_row(row: &AnyRow) -> Result<HistoryEntry, StoreError> {
    let source: String = row.try_get("source")?;
    Ok(HistoryEntry {
        seq: amount_of_sql("seq", row.try_get("seq")?)?,
        state: state_of(&row.try_get::<String, _>("status")?)?,
        transaction_status: row
            .try_get::<Option<String>, _>("transaction_status")?
            .map(|c| TransactionStatus::from_code(&c)),
        source: Source::from_name(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("history source {source:?}")))?,
        note: row.try_get("note")?,
        changed_at: time_of(row.try_get("changed_at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_open_is_not_final() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::from_name(s.as_str()), Some(*s));
            assert_eq!(OrderState::OPEN.contains(s), !s.is_final(), "{s:?}");
        }
        assert_eq!(OrderState::from_name("PAID"), None);
    }

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(placeholders(12, 3), "$12, $13, $14");
        assert_eq!(placeholders(1, 1), "$1");
    }
}
