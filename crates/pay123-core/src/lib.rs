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
//!  merchant                                   123PAY (`gateway`, feature `gateway`)
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
//! # Layout
//!
//! The source is in layers, each using only the ones below it:
//!
//! | folder | what | uses |
//! |---|---|---|
//! | `message/` | the messages and their checksums: each message's fields and rules, how it is signed and verified, the wire formats | nothing above |
//! | `listener/` | the notify listener: a request in, the signed reply out | `message` |
//! | `client/` | createOrder and queryOrder over a transport, blocking or not; [`Config`] | `message`, `listener` |
//! | `merchant/` | the merchant's rules: when an order is paid, when to ask again, the payment flow ([`payments`]), the failure taxonomy, [`Error`] | all of the above |
//! | `gateway/` | the gateway's side (`pay123_core::gateway`, feature `gateway`) | `message` |
//! | `test_util/` | a fake 123PAY and a memory store (feature `test-util`) | all |
//!
//! The public items are re-exported here; the folders are not public paths.
//!
//! # Features
//!
//! - `gateway` (off by default): `pay123_core::gateway`, the gateway side of each message (parsing
//!   createOrder and queryOrder requests, signing their answers and notifies, reading notify
//!   replies), for the sandbox and test doubles. A merchant does not need it.
//! - `test-util` (off by default, implies `gateway`): `test_util::FakeGateway`, an in-memory
//!   123PAY answering createOrder and queryOrder, for the tests of code built on this crate.
//!
//! # Transports
//!
//! [`Client`] runs over any [`HttpClient`] (a closure will do; its error converts into
//! `Box<dyn Error + Send + Sync>` and its future need not be `Send`); [`blocking::Client`] over
//! any blocking one. `pay123-hyper` is the default transport of the framework adapters.

/// Builder methods that each set one field and give `self` back, one a line:
/// `name(argument: Type) => field;`, the field a path below `self` (`0.cust_name`,
/// `config.policy`). The argument is stored with `Into::into`, so `impl Into<String>` works.
/// Hidden from the documentation: for pay123's crates.
///
/// ```
/// #[derive(Default)]
/// pub struct Limits {
///     max_body: usize,
/// }
///
/// impl Limits {
///     pay123_core::setters! {
///         /// With this largest body.
///         #[must_use]
///         max_body(bytes: usize) => max_body;
///     }
/// }
/// assert_eq!(Limits::default().max_body(10).max_body, 10);
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! setters {
    ($( $(#[$attr:meta])* $name:ident($arg:ident: $ty:ty) => $($field:tt).+; )*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.$($field).+ = $arg.into();
                self
            }
        )*
    };
}

mod adapter;
pub mod clock;
pub mod docs;
pub mod proxy;
pub mod slots;
pub mod text;

pub(crate) mod message;

mod client;
mod listener;

mod merchant;

// Also in the crate's own unit tests, which build 123PAY's answers to judge them.
#[cfg(any(test, feature = "gateway"))]
pub mod gateway;

#[cfg(feature = "test-util")]
pub mod test_util;

pub use client::blocking;
pub use client::{
    BoxError, Client, ClientError, Config, ConfigError, Delivery, HttpClient, PRODUCTION_API_URL,
    RequestTimeout, SANDBOX_API_URL, SendHttpClient, TransportError,
};
pub use listener::{
    BodyRefusal, Handled, HandlerError, IntoNotifyOutcome, MAX_NOTIFY_BODY, NOTIFY_BODY_TIMEOUT,
    NOTIFY_WORK_BUDGET, NotifyHandler, NotifyListener, NotifyOutcome, NotifyRequest, PlainResponse,
    Verified, read_notify_body,
};
pub use merchant::{Error, Failure, Judgement, Mismatch, Result, payments, reconcile, wants_json};
pub use message::checksum;
pub use message::{
    BankCode, ChecksumError, ChecksumFault, CreateOrder, CreateOrderBuilder, CreatedOrder,
    Credentials, DEFAULT_WINDOW, Endpoints, ErrorChain, Gender, Notify, NotifyReply,
    NotifyReturnCode, NotifyVerifier, OrderStatus, Passcode, QueryOrder, RETURN_WINDOW,
    ResponseError, ReturnCheck, ReturnCode, ReturnTicket, Rule, SecretKey, TransactionStatus,
    ValidationError, VerifyError, client_ipv4,
};
