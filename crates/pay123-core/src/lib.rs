//! The 123PAY payment gateway protocol, both sides, with no IO.
//!
//! This crate reads no socket, starts no runtime and never reads the clock: it turns values into
//! `http::Request<Bytes>` / `http::Response<Bytes>` and bytes back into verified values, and takes
//! the current time as an argument. The merchant side (createOrder, queryOrder, the notify
//! listener, the return redirect) and the gateway side (the same messages, parsed and signed the
//! other way, as the `pay123-sandbox` crate uses them) share one implementation of each message
//! and one table of checksum field orders ([`checksum::Message::fields`]).
//!
//! ```text
//!  merchant                                   123PAY
//!  CreateOrder::to_http_request  --bytes-->   ReceivedCreateOrder::from_http_request
//!  CreatedOrder::from_http_response <--bytes-- CreatedOrder::to_http_response
//!  NotifyListener::handle        <--form---   Notify::to_http_request
//!  NotifyReply (in the response) --json-->    NotifyReply::from_json
//!  ReturnTicket::verify_query    <--redirect- ReturnTicket::redirect_url
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
//! - `test-util` (off by default): `test_util::FakeGateway`, an in-memory 123PAY answering
//!   createOrder and queryOrder, for the tests of code built on this crate.

mod bank;
pub mod checksum;
mod client;
mod create_order;
mod endpoint;
mod error;
mod listener;
mod notify;
mod query_order;
mod received;
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
pub use client::{Client, ClientError, HttpClient};
pub use create_order::{
    CreateOrder, CreateOrderBuilder, CreatedOrder, Gender, ReceivedCreateOrder,
};
pub use endpoint::Endpoints;
pub use error::{
    ChecksumError, ChecksumFault, Error, ReplyError, RequestError, ResponseError, Result, Rule,
    ValidationError, VerifyError,
};
pub use listener::{Handled, MAX_NOTIFY_BODY, NotifyListener, NotifyOutcome};
pub use notify::{DEFAULT_WINDOW, Notify, NotifyVerifier};
pub use query_order::{OrderStatus, QueryOrder, ReceivedQueryOrder};
pub use received::ReceivedRequest;
pub use reply::NotifyReply;
pub use secret::{Credentials, Passcode, SecretKey};
pub use status::{NotifyReturnCode, ReturnCode, TransactionStatus};
pub use ticket::{RETURN_WINDOW, ReturnTicket};
pub use wire::error_response;
