//! The 123PAY payment gateway protocol, both sides, with no IO.
//!
//! This crate reads no socket, starts no runtime and never reads the clock: it turns values into
//! `http::Request<Bytes>` and bytes back into verified values, and takes the current time as an
//! argument (only [`clock::SystemClock`], which the edges use, reads it). It also holds the
//! merchant's rules, so that no application or framework adapter re-derives them: when an order
//! is paid ([`OrderStatus::judge`]), what a return redirect proves ([`ReturnTicket::check`]),
//! the notify listener's whole behaviour ([`NotifyListener`]) and its deadlines.
//!
//! ```text
//!  merchant                                   123PAY (feature `gateway`)
//!  CreateOrder::to_http_request  --bytes-->   ReceivedCreateOrder::from_http_request
//!  CreatedOrder::from_http_response <--bytes-- CreatedOrder::to_http_response
//!  OrderStatus::judge  (after queryOrder: paid only on status 1 with the order's amount)
//!  NotifyListener::serve         <--form---   Notify::to_http_request
//!  NotifyReply (in the response) --json-->    NotifyReply::from_json
//!  ReturnTicket::check           <--redirect- ReturnTicket::redirect_url
//! ```
//!
//! # Signing a createOrder and verifying a notify
//!
//! ```
//! use std::time::SystemTime;
//! use pay123_core::{BankCode, CreateOrder, Credentials, Endpoints, Gender, NotifyVerifier};
//!
//! let credentials = Credentials::sandbox();
//! let order = CreateOrder::builder("V20170711001", 100_000, "https://www.google.com.vn/")
//!     .bank_code(BankCode::Vietinbank)
//!     .client_ip("127.0.0.1")
//!     .customer_gender(Gender::Male)
//!     .build()?;
//! assert_eq!(order.checksum(&credentials), "50a98e764eb6ab1a00d80735fd37dcf582c6b217");
//! let request = order.to_http_request(&credentials, &Endpoints::sandbox());
//! // ... send `request` with any HTTP client, or use `Client` with an `HttpClient` ...
//!
//! // The listener: the form body 123PAY posts, verified at `now`.
//! let body = b"mTransactionID=V20170711001&bankCode=123PVTB&transactionStatus=1\
//!              &description=&ts=1499789401525&checksum=25ec3dad7b9a4a5c70d1119d8c21fe9425343ffd";
//! let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_499_789_460);
//! let verifier = NotifyVerifier::new(credentials.secret_key().clone());
//! // Every field is held to its format, then the checksum, then the ts window.
//! let notify = verifier.verify_form(body, now)?;
//! assert!(notify.status().is_success());
//! // A forged or stale notify is an error naming the message and the field order, never the key.
//! let stale = verifier.verify_form(body, now + std::time::Duration::from_secs(3600));
//! assert!(stale.is_err());
//! # Ok::<(), pay123_core::Error>(())
//! ```
//!
//! Values are validated at construction ([`CreateOrder::builder`], [`QueryOrder::new`]): the
//! error names the field and the rule. Text must be Vietnamese without diacritics; convert with
//! [`text::unaccent`].
//!
//! # Features
//!
//! - `gateway` (off by default): the gateway side of each message (parsing createOrder and
//!   queryOrder requests, signing their answers and notifies, reading notify replies), for the
//!   sandbox and test doubles. A merchant does not need it.
//! - `test-util` (off by default, implies `gateway`): `test_util::FakeGateway`, an in-memory
//!   123PAY answering createOrder and queryOrder, for the tests of code built on this crate.
//!
//! # Transports
//!
//! [`Client`] runs over any [`HttpClient`] (a closure will do; its error converts into
//! `Box<dyn Error + Send + Sync>` and its future need not be `Send`); [`blocking::Client`] over
//! any blocking one. `pay123-hyper` is the default transport of the framework adapters.

mod bank;
pub mod blocking;
pub mod checksum;
mod client;
pub mod clock;
mod config;
mod create_order;
mod endpoint;
mod error;
pub mod explain;
mod failure;
mod listener;
mod notify;
mod payment;
pub mod payments;
mod query_order;
#[cfg(feature = "gateway")]
mod received;
pub mod reconcile;
mod reply;
mod secret;
mod status;
#[cfg(feature = "test-util")]
pub mod test_util;
pub mod text;
mod ticket;
mod timestamp;
mod validate;
mod wire;

pub use bank::BankCode;
pub use client::{
    BoxError, Client, ClientError, Delivery, HttpClient, RequestTimeout, SendHttpClient,
    TransportError,
};
pub use config::{Config, ConfigError, PRODUCTION_API_URL, SANDBOX_API_URL};
#[cfg(feature = "gateway")]
pub use create_order::ReceivedCreateOrder;
pub use create_order::{CreateOrder, CreateOrderBuilder, CreatedOrder, Gender};
pub use endpoint::Endpoints;
pub use error::{
    ChecksumError, ChecksumFault, Error, ErrorChain, ResponseError, Result, Rule, ValidationError,
    VerifyError,
};
#[cfg(feature = "gateway")]
pub use error::{ReplyError, RequestError};
pub use failure::{Failure, wants_json};
pub use listener::{
    BodyRefusal, Handled, HandlerError, IntoNotifyOutcome, MAX_NOTIFY_BODY, NOTIFY_BODY_TIMEOUT,
    NOTIFY_WORK_BUDGET, NotifyHandler, NotifyListener, NotifyOutcome, NotifyRequest, PlainResponse,
    Verified, read_notify_body,
};
pub use notify::{DEFAULT_WINDOW, Notify, NotifyVerifier};
pub use payment::{Judgement, Mismatch};
#[cfg(feature = "gateway")]
pub use query_order::ReceivedQueryOrder;
pub use query_order::{OrderStatus, QueryOrder};
#[cfg(feature = "gateway")]
pub use received::ReceivedRequest;
pub use reply::NotifyReply;
pub use secret::{Credentials, Passcode, SecretKey};
pub use status::{NotifyReturnCode, ReturnCode, TransactionStatus};
pub use ticket::{RETURN_WINDOW, ReturnCheck, ReturnTicket};
#[cfg(feature = "gateway")]
pub use wire::error_response;

/// The IPv4 address in a buyer's address as a server sees it: the address itself, or the one an
/// IPv4-mapped IPv6 address carries (`::ffff:203.113.1.10`, what a dual-stack socket reports);
/// `None` for any other IPv6 address. 123PAY's `clientIP` takes IPv4 only; the builders'
/// `client_addr` use this.
///
/// ```
/// use pay123_core::client_ipv4;
/// assert_eq!(client_ipv4("::ffff:10.0.0.7".parse().unwrap()), Some([10, 0, 0, 7].into()));
/// assert_eq!(client_ipv4("2001:db8::1".parse().unwrap()), None);
/// ```
#[must_use]
pub fn client_ipv4(addr: std::net::IpAddr) -> Option<std::net::Ipv4Addr> {
    match addr {
        std::net::IpAddr::V4(v4) => Some(v4),
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}
