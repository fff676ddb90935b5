//! The pay123 demo shop's domain, framework-free: a catalog, the orders in SQL, the checkout,
//! the return page and the order pages, over pay123's payment flow.
//!
//! It does no HTTP routing: each demo shop (`axum-shop`, `actix-shop`, `rocket-shop`) writes its
//! routes in its framework's own way, calls the [`Shop`], mounts its adapter's confirmed notify
//! listener over [`Shop::payments`], and answers with the pages and problems of [`web`], which
//! also describes the shop's HTTP contract. It builds the [`Shop`] from [`ShopConfig::from_env`]:
//!
//! ```text
//! config  = ShopConfig::from_env()?                   SHOP_*, PAY123_* (None gateway: embed the sandbox)
//! store   = Store::connect_with(&config.database_url, config.database_pool)
//!                                                     sqlite:// or postgres://; the shop's orders and
//!                                                     pay123's payments (pay123-sqlx)
//! client  = pay123_core::Client::new(transport, credentials, endpoints)
//! shop    = Shop::new(client, store, &config.public_url)
//!               .with_gateway_timeout(config.gateway_timeout)
//!               .with_reconcile_policy(config.reconcile_policy)
//! task    = shop.spawn_reconciler(settings)           the library's reconciler, unless SHOP_RECONCILE=off
//! routes  = /123pay/notify  -> the adapter's confirmed notify listener over shop.payments()
//!           GET / , POST /checkout, GET /return, GET /orders/{id}  -> the framework's routes
//! ```
//!
//! # What is the shop's, and what is pay123's
//!
//! The shop keeps what an order buys (its own table, `shop_orders`), its pages, its catalogue and
//! its limit on checkouts per address. Everything about the payment is the library's
//! ([`pay123_core::payments`]): the payment recorded before createOrder and never lost, a notify
//! confirmed with queryOrder (status and amount) before the payment changes, the final-payment
//! rule, the return page's queries, the reconciler and its leases, the failures' texts and HTTP
//! statuses. Read its documentation for the rules an order follows.
//!
//! - With `PAY123_API_URL` set, the shop needs all three credentials (`PAY123_MERCHANT_CODE`,
//!   `PAY123_PASSCODE`, `PAY123_SECRET_KEY`), unless the URL is 123PAY's public sandbox
//!   ([`pay123_core::SANDBOX_API_URL`]). The database URL is printed and logged only through
//!   [`ShopConfig::redacted_database_url`].
//!
//! # Running on PostgreSQL
//!
//! The store goes through sqlx's `Any` driver and its SQL is portable, so
//! `SHOP_DATABASE_URL=postgres://user:password@host/shop` is all it takes; the embedded
//! migrations and pay123-sqlx create the tables on first start. Several instances may share one
//! database: every change of a payment is a conditional write, so a change happens once. See
//! `docs/deploying.md`.
//!
//! # Example
//!
//! A checkout against a gateway that answers `5000` (busy): the order is recorded, its payment
//! not created, and the error tells the buyer what happened in Vietnamese and English.
//!
//! ```
//! use bytes::Bytes;
//! use pay123_core::payments::PaymentState;
//! use pay123_core::{Client, Credentials, Endpoints, ReturnCode};
//! use pay123_core::gateway::error_response;
//! use shop::{Shop, Store};
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
//! assert_eq!(error.status_code(), 503);
//! let order = shop.order(error.m_transaction_id().unwrap()).await?.unwrap();
//! assert_eq!(order.status, PaymentState::NotCreated);
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
mod shop;
mod store;
mod view;
pub mod web;

pub use catalog::{CATALOG, Product, format_vnd};
pub use checkout_limit::CHECKOUTS_PER_MINUTE;
pub use config::{ConfigError, DEFAULT_ADDR, DEFAULT_DATABASE_URL, ShopConfig};
pub use pay123_core::payments::{PaymentState as OrderState, Source};
pub use pay123_sqlx::HistoryEntry;
pub use reconciler::{ReconcilerHandle, ReconcilerSettings};
pub use shop::{
    Checkout, CheckoutError, DEFAULT_GATEWAY_TIMEOUT, NOTIFY_PATH, RETURN_PATH, Shop,
    log_store_error,
};
pub use store::{DEFAULT_POOL_SIZE, Order, Store, StoreError};
pub use view::{HistoryView, OrderView, ReturnView, TicketCheck};
