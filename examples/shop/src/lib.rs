//! The pay123 demo shop's domain, framework-free: a catalog, orders in SQL, the checkout, the
//! notify handler, the return page and the order pages.
//!
//! It does no HTTP routing: each demo shop (`axum-shop`, `actix-shop`, `rocket-shop`) writes its
//! routes in its framework's own way, calls the [`Shop`], and answers with the pages and problems
//! of [`web`], which also describes the shop's HTTP contract. It builds the [`Shop`] from
//! [`ShopConfig::from_env`]:
//!
//! ```text
//! config  = ShopConfig::from_env()?                   SHOP_*, PAY123_* (None gateway: embed the sandbox)
//! store   = Store::connect_with(&config.database_url, config.database_pool)
//!                                                     sqlite:// or postgres://, migrations applied
//! client  = pay123_core::Client::new(transport, credentials, endpoints)
//! shop    = Shop::new(client, store, &config.public_url)
//!               .with_gateway_timeout(config.gateway_timeout)
//!               .with_reconcile_policy(config.reconcile_policy)
//! task    = shop.spawn_reconciler(settings)           unless SHOP_RECONCILE=off
//! routes  = POST /123pay/notify  -> the adapter's notify listener calling shop.on_notify(notify)
//!           GET / , POST /checkout, GET /return, GET /orders/{id}  -> the framework's routes
//! ```
//!
//! # The rules an order follows
//!
//! - Checkout records the order first (`creating`), then calls createOrder. On success the order
//!   is `pending` with 123PAY's transaction id and page. When 123PAY refuses it (5000, 7300,
//!   6xxx) or the request never left, it stays recorded as `not_created` with the error: nothing
//!   is lost. When createOrder times out or loses its connection, 123PAY may have the payment:
//!   the order is `unsure`, and the buyer is told so and not to order again.
//! - The reconciler ([`Shop::spawn_reconciler`], in every instance) asks 123PAY about the
//!   orders left `creating`, `unsure` or `pending` (a lost notify, a buyer who never came back, a
//!   crash), on the core's [`ReconcilePolicy`](pay123_core::reconcile::ReconcilePolicy), and
//!   applies each answer through the code of a notify's confirmation. An order 123PAY does not
//!   know once the buyer's session is over is `closed`. A lease per order in the store keeps
//!   several instances from asking about one order at once.
//! - An order becomes `paid` once, only on status 1, and only after a queryOrder confirmed status
//!   1 and `totalAmount` equal to the order's amount (the notify carries no amount): the core's
//!   [`OrderStatus::judge`](pay123_core::OrderStatus::judge). A mismatch holds it for `review`,
//!   never paid.
//! - Pending statuses (0, 10, 11, 20, unknown codes) never cancel an order. A notify with a final
//!   status, success or failure, is confirmed by a queryOrder before the order changes. `paid`,
//!   `failed` and `review` are final: a notify that agrees answers 2 and changes nothing; one
//!   that contradicts (a failure on a paid order, `1` on a failed one) makes the shop ask
//!   123PAY: a paid order never becomes failed, a payment confirmed on a failed order goes to
//!   `review`.
//! - Every change is one transaction whose first statement is a conditional `UPDATE`: of
//!   concurrent notifies for one order, one changes it and writes one history row, the others
//!   answer 2.
//! - A notify for an unknown `mTransactionID` answers `-3` (see [`Shop::on_notify`]).
//! - The return page believes the store and 123PAY, not the URL: the ticket is verified when
//!   present (a ticket that does not verify, or comes without its `time` or `transactionID`,
//!   is invalid), and a `pending` (or `unsure`) order is checked with a queryOrder (spec step 9),
//!   at most one at a time per order and one per [`RETURN_QUERY_INTERVAL`]. A
//!   `creating` order is shown as it is, asking the buyer to reload: 123PAY does not know it
//!   until createOrder answers, and its "not found" (`-10`, a final failure) would fail an
//!   order the buyer is about to pay.
//! - With `PAY123_API_URL` set, the shop needs all three credentials (`PAY123_MERCHANT_CODE`,
//!   `PAY123_PASSCODE`, `PAY123_SECRET_KEY`), unless the URL is 123PAY's public sandbox
//!   ([`SANDBOX_API_URL`]). The database URL is printed and logged only through
//!   [`ShopConfig::redacted_database_url`].
//!
//! # Running on PostgreSQL
//!
//! The store goes through sqlx's `Any` driver and its SQL is portable (placeholders `$1`,
//! `BIGINT`/`SMALLINT`/`VARCHAR`/`TEXT` columns, no `AUTOINCREMENT`: history rows are numbered
//! in the transaction that writes them), so `SHOP_DATABASE_URL=postgres://user:password@host/shop`
//! is all it takes; the embedded migrations create the tables on first start. Several instances
//! may share one database: the conditional `UPDATE` takes the row lock on PostgreSQL and the
//! second of two concurrent updates re-checks its `WHERE` against the committed row (READ
//! COMMITTED), which is what makes a change happen once. See `docs/deploying.md`. What a
//! PostgreSQL-only schema would do differently: `BOOLEAN` for `paid` and `TIMESTAMPTZ` for times
//! (the `Any` driver cannot read either from SQLite, hence `SMALLINT` and unix milliseconds
//! here).
//!
//! # Example
//!
//! A checkout against a gateway that answers `5000` (busy): the order is recorded as not
//! created, and the error tells the buyer what happened in Vietnamese and English.
//!
//! ```
//! use bytes::Bytes;
//! use pay123_core::{Client, Credentials, Endpoints, ReturnCode, error_response};
//! use shop::{OrderState, Shop, Store};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let busy = |_request: http::Request<Bytes>| async {
//!     Ok::<_, std::io::Error>(error_response(&ReturnCode::Busy, "He thong ban"))
//! };
//! let client = Client::new(busy, Credentials::sandbox(), Endpoints::sandbox());
//! let store = Store::connect("sqlite::memory:").await?;
//! let shop = Shop::new(client, store, "http://127.0.0.1:3000");
//!
//! let error = shop.checkout("ao-dai", None, None).await.unwrap_err();
//! assert!(error.vietnamese().starts_with("Hệ thống bận (mã 5000)"));
//! assert!(error.english().starts_with("System busy (code 5000)"));
//! let order = shop.order(error.m_transaction_id().unwrap()).await?.unwrap();
//! assert_eq!(order.status, OrderState::NotCreated);
//! assert!(!order.paid);
//! # Ok::<(), shop::StoreError>(())
//! # }).unwrap();
//! ```

mod catalog;
mod checkout_limit;
mod config;
pub mod demo;
mod pages;
mod reconciler;
mod return_queries;
mod shop;
mod store;
mod view;
pub mod web;

pub use catalog::{CATALOG, Product, format_vnd};
pub use checkout_limit::CHECKOUTS_PER_MINUTE;
pub use config::{
    ConfigError, DEFAULT_ADDR, DEFAULT_DATABASE_URL, GatewayConfig, SANDBOX_API_URL, ShopConfig,
};
pub use reconciler::{ReconcileReport, ReconcilerHandle, ReconcilerSettings, instance_name};
pub use return_queries::{RETURN_QUERY_CONCURRENCY, RETURN_QUERY_INTERVAL};
pub use shop::{
    Checkout, CheckoutError, CheckoutFailure, DEFAULT_GATEWAY_TIMEOUT, NOTIFY_PATH, RETURN_PATH,
    Shop,
};
pub use store::{DEFAULT_POOL_SIZE, HistoryEntry, Order, OrderState, Source, Store, StoreError};
pub use view::{HistoryView, OrderView, ReturnView, TicketCheck};
