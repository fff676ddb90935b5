//! 123PAY for rocket: a fairing that mounts notify routes confirming each payment with queryOrder
//! and runs the reconciler, and pay123's errors as responders. Glue only: every rule is
//! `pay123-core`'s.
//!
//! The payment flow is [`Payments`](pay123_core::payments::Payments) (createOrder, the
//! confirmed notify, the return page, the reconciler) over your
//! [`PaymentStore`](pay123_core::payments::PaymentStore) (`pay123-sqlx`'s `SqlStore`, or
//! your own). [`fairing()`] manages it (your routes take `&State<Payments<..>>`), mounts its
//! notify listener and runs its reconciler; [`Error`] answers its errors.
//!
//! # A `#[launch]` app
//!
//! ```no_run
//! use pay123_rocket::pay123_core::payments::{Payment, Payments};
//! use pay123_rocket::pay123_core::{Config, CreateOrder};
//! use pay123_rocket::pay123_hyper::{self, HyperClient};
//! use pay123_rocket::pay123_sqlx::SqlStore;
//! use pay123_rocket::Error;
//! use rocket::http::uri::Origin;
//! use rocket::response::Redirect;
//! use rocket::{State, get, launch, post, routes};
//!
//! type Pay = Payments<HyperClient, SqlStore>;
//!
//! #[post("/checkout")]
//! async fn checkout(pay: &State<Pay>) -> Result<Redirect, Error> {
//!     let id = next_order_id(); // yours: one mTransactionID per payment
//!     let order = CreateOrder::builder(id, 150_000, "https://shop.vn/return").build()?;
//!     let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
//!     Ok(Redirect::to(created.payment_url().to_owned()))
//! }
//!
//! #[get("/return")]
//! async fn back(pay: &State<Pay>, uri: &Origin<'_>) -> Result<String, Error> {
//!     let query = uri.query().map_or("", |q| q.as_str());
//!     Ok(pay.on_return(query).await?.vietnamese())
//! }
//!
//! /// Called once 123PAY confirmed a payment (again until it returns `Ok`): fulfil the order.
//! async fn paid(payment: Payment) -> Result<(), std::io::Error> {
//!     # let _ = payment;
//!     Ok(()) // e.g. UPDATE orders SET paid = true WHERE id = payment.m_transaction_id
//! }
//! # fn next_order_id() -> String { String::new() }
//!
//! #[launch]
//! async fn rocket() -> _ {
//!     let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await.expect("the database");
//!     let config = Config::from_env().unwrap_or_else(|e| {
//!         eprintln!("{e}"); // PAY123_API_URL and your credentials
//!         std::process::exit(1)
//!     });
//!     let client = pay123_hyper::client(config.credentials, config.endpoints);
//!     let pay = Payments::new(client, store, rocket::tokio::time::sleep).on_paid(paid);
//!     rocket::build()
//!         .mount("/", routes![checkout, back])
//!         .attach(pay123_rocket::fairing("/123pay/notify", pay))
//! }
//! ```
//!
//! The lower door, `unconfirmed` (feature `unconfirmed`: routes of a handler of yours, and the
//! `VerifiedNotify` data guard), hands your code notifies that are verified but not confirmed.
//! rocket is built on `http` 0.2 and types of its own: this crate converts no types,
//! the core takes the method, query string, content type and body as they are.
//!
//! # Logs
//!
//! pay123 logs with `tracing`; rocket 0.5 with `log`. With no `tracing` subscriber installed,
//! pay123's events are `log` records (tracing's `log` feature, which this crate turns on), so
//! rocket's logger shows them at its level: a refused notify is a warning in rocket's output.
//!
//! # Serving
//!
//! rocket serves the app itself (`#[launch]`, Ctrl-C and SIGTERM stop it). rocket 0.5 sets no
//! timeout on a request's head and none on an idle keep-alive connection: facing the internet,
//! run it behind a reverse proxy that does ([the nginx configuration](pay123_core::docs::deploying)). The notify routes
//! read their body within the listener's deadline and at most
//! [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) bytes.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`] with its client, the default
//!   createOrder/queryOrder transport.
//! - `unconfirmed`: the lower door, `pay123_rocket::unconfirmed`.
//! - `sqlx`: re-exports `pay123_sqlx`, the payment store on SQLite and PostgreSQL.

mod http;
mod routes;
#[cfg(feature = "unconfirmed")]
pub mod unconfirmed;

pub use http::{Error, NotifyAnswer};
pub use pay123_core;
#[cfg(feature = "hyper")]
pub use pay123_hyper;
#[cfg(feature = "sqlx")]
pub use pay123_sqlx;
pub use routes::{Pay123, fairing};
