//! pay123 on hyper 1: the default HTTP transport (feature `client`, on by default), and a server
//! with header, body and idle timeouts for the framework adapters (feature `server`).
//!
//! [`HyperClient`] implements the core's [`HttpClient`](pay123_core::HttpClient): one pooled
//! hyper-util client (cloning it is cheap and shares the pool), rustls with the ring provider and
//! Mozilla's roots (no OpenSSL), a connect timeout, a whole-request timeout, and a response body
//! limit. Each failure is a [`TransportError`] variant a caller can act on. Plain `http` URLs are
//! accepted, for a local sandbox.
//!
//! A response is returned whatever its HTTP status: a status other than 200 is reported by the
//! core's parser as [`pay123_core::ResponseError::Status`], with the body.
//!
//! Each request runs in an `info` span `pay123.http` (method, URL path) and ends with an event
//! (status and elapsed milliseconds, or the error). Bodies, which hold the passcode, are never
//! logged.
//!
//! # The two-line setup
//!
//! ```no_run
//! use pay123_hyper::pay123_core::{CreateOrder, Credentials, Endpoints};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let credentials = Credentials::new("MICODE", "MIPASSCODE", "MIKEY")?;
//! let client = pay123_hyper::client(credentials, Endpoints::sandbox());
//!
//! let order = CreateOrder::builder("ORDER-1", 100_000, "https://shop.example/return")
//!     .client_ip("203.113.1.10")
//!     .build()?;
//! let created = client.create_order(&order).await?;
//! println!("send the buyer to {}", created.payment_url());
//! # Ok(())
//! # }
//! ```
//!
//! With other timeouts or limits:
//!
//! ```
//! use std::time::Duration;
//! use pay123_hyper::{HyperClient, Pay123Client, pay123_core::{Credentials, Endpoints}};
//!
//! let http = HyperClient::builder()
//!     .connect_timeout(Duration::from_secs(5))
//!     .request_timeout(Duration::from_secs(20))
//!     .max_body_bytes(64 * 1024)
//!     .build();
//! let client = Pay123Client::new(http, Credentials::sandbox(), Endpoints::sandbox());
//! # let _ = client;
//! ```
//!
//! A failed call's [`ClientError`](pay123_core::ClientError) says whether a retry may help and
//! whether the request surely never left (`is_retryable`, `is_not_sent`); for the details, find
//! the [`TransportError`] in it with [`TransportError::of`].
//!
//! A request carrying a [`RequestTimeout`](pay123_core::RequestTimeout) (from
//! `Client::query_order_within` or `create_order_within`) is given up after the shorter of it and
//! the client's request timeout.

//!
//! # Features
//!
//! - `client` (default): [`HyperClient`], the transport, over rustls with the ring provider.
//! - `server`: `server::serve`, hyper's HTTP/1 server with the limits a server facing the
//!   internet needs, for the adapters of frameworks that have none of their own (axum, rocket).

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod error;
#[cfg(feature = "server")]
pub mod server;

#[cfg(feature = "client")]
pub use client::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, HyperClient, HyperClientBuilder, ResponseFuture,
};
#[cfg(feature = "client")]
pub use error::{BoxError, TransportError};
pub use pay123_core;

/// The core's [`Client`](pay123_core::Client) over [`HyperClient`].
#[cfg(feature = "client")]
pub type Pay123Client = pay123_core::Client<HyperClient>;

/// A createOrder/queryOrder client over a new [`HyperClient`] with the default settings.
#[cfg(feature = "client")]
#[must_use]
pub fn client(
    credentials: pay123_core::Credentials,
    endpoints: pay123_core::Endpoints,
) -> Pay123Client {
    pay123_core::Client::new(HyperClient::new(), credentials, endpoints)
}
