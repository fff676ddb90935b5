//! 123PAY for axum: a ready notify router and a verified-notify extractor.
//!
//! [`notify_router`] mounts 123PAY's notify listener into your app: you give it your
//! [`NotifyListener`](pay123_core::NotifyListener) and a [`NotifyHandler`] (an `async fn` of a
//! verified [`Notify`](pay123_core::Notify) and your state), and merge or nest the router into
//! your own `Router<S>`. The adapter reads the body within
//! [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY); every protocol decision (verification,
//! `-1` before your code runs, `-3` when it fails or panics, 405, the signed reply) is made by
//! `pay123-core`. For a route of your own, use the [`VerifiedNotify`] extractor.
//!
//! This crate re-exports [`pay123_core`] and [`pay123_hyper`] (the createOrder/queryOrder
//! client), so it is the only pay123 dependency an axum app needs.
//!
//! # Mounting the notify router into an existing app
//!
//! ```no_run
//! use std::collections::HashSet;
//! use std::sync::{Arc, Mutex};
//!
//! use axum::{Router, routing::get};
//! use pay123_axum::pay123_core::{Credentials, Endpoints, Notify, NotifyOutcome};
//! use pay123_axum::{notify_router, pay123_hyper};
//!
//! #[derive(Clone, Default)]
//! struct Shop {
//!     paid: Arc<Mutex<HashSet<String>>>,
//! }
//!
//! async fn on_notify(notify: Notify, shop: Shop) -> NotifyOutcome {
//!     // Record failed and pending statuses too (a pending one never cancels the order).
//!     // The notify carries no amount: confirm it with a queryOrder before shipping.
//!     if !notify.status().is_success() {
//!         return NotifyOutcome::Updated;
//!     }
//!     let Ok(mut paid) = shop.paid.lock() else {
//!         return NotifyOutcome::Failed; // answered -3: 123PAY sends the notify again
//!     };
//!     if paid.insert(notify.m_transaction_id().to_owned()) {
//!         NotifyOutcome::Updated // answered 1
//!     } else {
//!         NotifyOutcome::AlreadyUpdated // a duplicate notify: answered 2
//!     }
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
//!     axum::serve(listener, app).await
//! }
//! ```
//!
//! The handler may also return `Result<NotifyOutcome, E>`: an error answers `-3`.

mod body;
mod extract;
mod handler;
mod router;
mod trace;

pub use extract::{NotifyRejection, VerifiedNotify};
pub use handler::NotifyHandler;
pub use pay123_core;
pub use pay123_hyper;
pub use router::notify_router;
