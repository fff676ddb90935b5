//! 123PAY for axum: a ready notify router, a verified-notify extractor, `?` for pay123's errors,
//! and a server with the timeouts `axum::serve` lacks. Glue only: every rule is `pay123-core`'s.
//!
//! [`notify_router`] mounts 123PAY's notify listener into your app: you give it your
//! [`NotifyListener`](pay123_core::NotifyListener) and a
//! [`NotifyHandler`](pay123_core::NotifyHandler) (an `async fn` of a verified
//! [`Notify`](pay123_core::Notify) and your state, returning a
//! [`NotifyOutcome`](pay123_core::NotifyOutcome) or a `Result` of it), and merge or nest the
//! router into your own `Router<S>`. The adapter reads the body within the core's size limit and
//! deadline, calls [`NotifyListener::serve`](pay123_core::NotifyListener::serve), and writes its
//! answer. For a route of your own, use the [`VerifiedNotify`] extractor.
//!
//! # Mounting the notify router into an existing app
//!
//! ```no_run
//! use std::collections::HashSet;
//! use std::sync::{Arc, Mutex};
//!
//! use axum::{Router, routing::get};
//! use pay123_axum::pay123_core::{Credentials, Endpoints, Notify, NotifyOutcome};
//! use pay123_axum::{notify_router, pay123_hyper, server};
//!
//! #[derive(Clone, Default)]
//! struct Shop {
//!     paid: Arc<Mutex<HashSet<String>>>,
//! }
//!
//! async fn on_notify(notify: Notify, shop: Shop) -> Result<NotifyOutcome, String> {
//!     // The notify carries no amount: confirm status 1 and the amount with a queryOrder
//!     // (`OrderStatus::judge`) before shipping. A pending status never cancels an order.
//!     if !notify.status().is_success() {
//!         return Ok(NotifyOutcome::Updated);
//!     }
//!     let mut paid = shop.paid.lock().map_err(|e| e.to_string())?; // an error answers -3
//!     Ok(if paid.insert(notify.m_transaction_id().to_owned()) {
//!         NotifyOutcome::Updated // answered 1
//!     } else {
//!         NotifyOutcome::AlreadyUpdated // a duplicate notify: answered 2
//!     })
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let credentials = Credentials::sandbox(); // yours, from your configuration
//!     let client = pay123_hyper::client(credentials, Endpoints::sandbox());
//!     let app = Router::new()
//!         .route("/", get(|| async { "my shop" }))
//!         .merge(notify_router("/123pay/notify", client.notify_listener(), on_notify))
//!         .with_state(Shop::default());
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     server::serve(listener, app).await
//! }
//! ```
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`], the default createOrder/queryOrder
//!   transport. Turn it off (`default-features = false`) when your app brings its own HTTP
//!   client: the core's `Client` takes any `HttpClient`.

mod body;
mod error;
mod extract;
mod response;
mod router;
pub mod server;

pub use error::Error;
pub use extract::{NotifyRejection, VerifiedNotify};
pub use pay123_core;
#[cfg(feature = "hyper")]
pub use pay123_hyper;
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
