//! 123PAY for axum: a ready notify router that confirms each payment with queryOrder and stores
//! it, `?` for pay123's errors, and (feature `server`) a server with the timeouts `axum::serve`
//! lacks. Glue only: every rule is `pay123-core`'s.
//!
//! The payment flow is [`Payments`](pay123_core::payments::Payments) (createOrder, the
//! confirmed notify, the return page, the reconciler) over your
//! [`PaymentStore`](pay123_core::payments::PaymentStore) (`pay123-sqlx`'s `SqlStore`, or
//! your own). This crate mounts its notify listener ([`notify_router`]) and answers its errors
//! ([`Error`]); your handlers reach the `Payments` through your state (`State<Payments<..>>`,
//! with `FromRef` when it is part of a larger state).
//!
//! # An existing app
//!
//! ```no_run
//! use axum::extract::{RawQuery, State};
//! use axum::response::Redirect;
//! use axum::{Router, routing::{get, post}};
//! use pay123_axum::pay123_core::payments::{Payment, Payments};
//! use pay123_axum::pay123_core::{Config, CreateOrder};
//! use pay123_axum::pay123_hyper::{self, HyperClient};
//! use pay123_axum::pay123_sqlx::SqlStore;
//! use pay123_axum::{Error, notify_router};
//!
//! type Pay = Payments<HyperClient, SqlStore>;
//!
//! async fn checkout(State(pay): State<Pay>) -> Result<Redirect, Error> {
//!     let id = next_order_id(); // yours: one mTransactionID per payment
//!     let order = CreateOrder::builder(id, 150_000, "https://shop.vn/return").build()?;
//!     let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
//!     Ok(Redirect::to(created.payment_url()))
//! }
//!
//! async fn back(State(pay): State<Pay>, RawQuery(query): RawQuery) -> Result<String, Error> {
//!     let returned = pay.on_return(query.as_deref().unwrap_or_default()).await?;
//!     Ok(returned.vietnamese())
//! }
//!
//! /// Called once 123PAY confirmed a payment (again until it returns `Ok`): fulfil the order.
//! async fn paid(payment: Payment) -> Result<(), std::io::Error> {
//!     # let _ = payment;
//!     Ok(()) // e.g. UPDATE orders SET paid = true WHERE id = payment.m_transaction_id
//! }
//! # fn next_order_id() -> String { String::new() }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await?;
//!     let config = Config::from_env()?; // PAY123_API_URL and the credentials
//!     let client = pay123_hyper::client(config.credentials, config.endpoints);
//!     let pay = Payments::new(client, store, tokio::time::sleep).on_paid(paid);
//!     tokio::spawn(pay.reconciler().run());
//!     let app = Router::new()
//!         .route("/checkout", post(checkout))
//!         .route("/return", get(back))
//!         .merge(notify_router("/123pay/notify", pay.clone()))
//!         .with_state(pay);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! The lower door, `unconfirmed` (feature `unconfirmed`), hands your code notifies that are
//! verified but not confirmed.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`], the default createOrder/queryOrder
//!   transport. Turn it off (`default-features = false`) when your app brings its own HTTP
//!   client: the core's `Client` takes any `HttpClient`.
//! - `unconfirmed`: the lower door, `pay123_axum::unconfirmed`.
//! - `sqlx`: re-exports `pay123_sqlx`, the payment store on SQLite and PostgreSQL.
//! - `server`: `server::serve`, `axum::serve` with the header, body and idle timeouts and the
//!   connection caps a server facing the internet needs (or put a reverse proxy in front).

mod body;
mod error;
#[cfg(feature = "unconfirmed")]
mod extract;
mod response;
mod router;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "unconfirmed")]
pub mod unconfirmed;

pub use error::{Error, negotiate_errors};
pub use pay123_core;
#[cfg(feature = "hyper")]
pub use pay123_hyper;
#[cfg(feature = "sqlx")]
pub use pay123_sqlx;
pub use router::notify_router;

/// The parts of a request as the core takes them.
fn neutral<'a>(parts: &'a http::request::Parts, body: &'a [u8]) -> pay123_core::NotifyRequest<'a> {
    pay123_core::NotifyRequest::new(
        parts.method.as_str(),
        parts.uri.query().unwrap_or(""),
        parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        body,
    )
}
