//! 123PAY for axum: a ready notify router that confirms each payment with queryOrder and stores
//! it, `?` for pay123's errors, and a server with the timeouts `axum::serve` lacks. Glue only:
//! every rule is `pay123-core`'s.
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
//! use pay123_axum::pay123_core::payments::Payments;
//! use pay123_axum::pay123_core::{CreateOrder, Credentials, Endpoints};
//! use pay123_axum::pay123_hyper::{self, HyperClient};
//! use pay123_axum::pay123_sqlx::SqlStore;
//! use pay123_axum::{Error, notify_router};
//!
//! type Pay = Payments<HyperClient, SqlStore>;
//!
//! async fn checkout(State(pay): State<Pay>) -> Result<Redirect, Error> {
//!     let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return").build()?;
//!     let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
//!     Ok(Redirect::to(created.payment_url()))
//! }
//!
//! async fn back(State(pay): State<Pay>, RawQuery(query): RawQuery) -> Result<String, Error> {
//!     let returned = pay.on_return(query.as_deref().unwrap_or_default()).await?;
//!     Ok(returned.vietnamese())
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await?;
//!     let client = pay123_hyper::client(Credentials::sandbox(), Endpoints::sandbox());
//!     let pay = Payments::new(client, store, tokio::time::sleep);
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
//! The lower door, [`unconfirmed`], hands your code notifies that are verified but not
//! confirmed.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`], the default createOrder/queryOrder
//!   transport. Turn it off (`default-features = false`) when your app brings its own HTTP
//!   client: the core's `Client` takes any `HttpClient`.
//! - `sqlx`: re-exports `pay123_sqlx`, the payment store on SQLite and PostgreSQL.

mod body;
mod error;
mod extract;
mod response;
mod router;
pub mod server;
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
