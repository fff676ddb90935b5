//! The transport seam: a small [`HttpClient`] over `http` types, and a [`Client`] that runs
//! prepare -> send -> parse for createOrder and queryOrder.
//!
//! A closure is an `HttpClient`, so a user with their own HTTP stack needs nothing else. Its
//! error may be any error that converts into `Box<dyn Error + Send + Sync>` (`std::io::Error`,
//! `anyhow::Error`, a boxed error...), and its future need not be `Send`: a client built on a
//! single-threaded runtime (actix's `awc`, holding an `Rc`) is a transport too.
//!
//! ```
//! use bytes::Bytes;
//! use pay123_core::{Client, Credentials, Endpoints, QueryOrder};
//!
//! // A transport that answers like 123PAY does for an unknown merchant.
//! let transport = |_request: http::Request<Bytes>| async {
//!     Ok::<_, std::io::Error>(http::Response::new(Bytes::from_static(
//!         br#"["6000","Xac thuc doi tac that bai"]"#,
//!     )))
//! };
//! let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
//! let query = QueryOrder::new("ORDER-1")?;
//! let err = futures_executor::block_on(client.query_order(&query)).unwrap_err();
//! assert_eq!(err.return_code().map(|c| c.code()), Some("6000"));
//! assert!(!err.is_retryable());
//! # Ok::<(), pay123_core::ValidationError>(())
//! ```
//!
//! A blocking program uses [`blocking::Client`](crate::client::blocking::Client) with a blocking
//! transport instead.

pub mod blocking;
mod config;

pub use config::{Config, ConfigError, PRODUCTION_API_URL, SANDBOX_API_URL};

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use tracing::{Instrument, Span};

use crate::listener::NotifyListener;
use crate::message::create_order::{CreateOrder, CreatedOrder};
use crate::message::endpoint::Endpoints;
use crate::message::error::{ErrorChain, ResponseError};
use crate::message::query_order::{OrderStatus, QueryOrder};
use crate::message::secret::{Credentials, SecretKey};
use crate::message::status::ReturnCode;

/// Any error, boxed: what a transport's error converts into.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Sends one HTTP request and returns the whole response.
///
/// The request may carry a [`RequestTimeout`] in its extensions (set by
/// [`Client::query_order_within`] and [`Client::create_order_within`]): a transport should give
/// up after it. `pay123-hyper` does.
pub trait HttpClient {
    /// The transport's error: anything that converts into [`BoxError`].
    type Error: Into<BoxError>;
    /// The future of one call; not necessarily `Send`.
    type Future: Future<Output = Result<Response<Bytes>, Self::Error>>;

    /// Sends the request.
    fn send(&self, request: Request<Bytes>) -> Self::Future;

    /// What a failed call says of the request's fate. The default, [`Delivery::Unknown`], lets
    /// the client look for an `std::io::Error` in the error's chain instead (connection refused:
    /// not sent; timed out).
    fn delivery(error: &Self::Error) -> Delivery {
        let _ = error;
        Delivery::Unknown
    }
}

impl<F, Fut, E> HttpClient for F
where
    F: Fn(Request<Bytes>) -> Fut,
    Fut: Future<Output = Result<Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    type Error = E;
    type Future = Fut;

    fn send(&self, request: Request<Bytes>) -> Fut {
        self(request)
    }
}

/// An [`HttpClient`] whose futures are `Send`, as a multi-threaded server (axum, rocket) needs:
/// every `Send + Sync` transport with `Send` futures is one. Use it as the bound of code generic
/// over the transport.
pub trait SendHttpClient:
    HttpClient<Future: Send, Error: Send> + Clone + Send + Sync + 'static
{
}

impl<C> SendHttpClient for C where
    C: HttpClient<Future: Send, Error: Send> + Clone + Send + Sync + 'static
{
}

/// The longest one call may take, passed to the transport in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeout(pub Duration);

/// What a transport failure says of the request's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// The request surely never left (connection refused, TLS handshake failed): sending it
    /// again cannot duplicate anything.
    NotSent,
    /// No answer in time: the request may have reached 123PAY. Before creating the order again,
    /// ask with a queryOrder.
    TimedOut,
    /// The request may or may not have reached 123PAY.
    Unknown,
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotSent => "the request was not sent",
            Self::TimedOut => "no answer in time; the request may have reached 123PAY",
            Self::Unknown => "the request may have reached 123PAY",
        })
    }
}

/// A transport's error that says what the failure means for the request, for a transport whose
/// errors are not `std::io::Error`s (reqwest, ureq, a queue...): wrap the HTTP client's error in
/// it, and the [`Client`] knows a timeout ([`ClientError::is_timeout`]) from a request that never
/// left ([`ClientError::is_not_sent`]).
///
/// ```
/// use pay123_core::{BoxError, Delivery, TransportError};
/// # struct ReqwestError; impl ReqwestError { fn is_timeout(&self) -> bool { true } fn is_connect(&self) -> bool { false } }
/// # impl std::fmt::Debug for ReqwestError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("timeout") } }
/// # impl std::fmt::Display for ReqwestError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("timeout") } }
/// # impl std::error::Error for ReqwestError {}
/// fn transport_error(error: ReqwestError) -> TransportError {
///     let delivery = if error.is_timeout() {
///         Delivery::TimedOut
///     } else if error.is_connect() {
///         Delivery::NotSent
///     } else {
///         Delivery::Unknown
///     };
///     TransportError::new(delivery, error)
/// }
/// assert_eq!(transport_error(ReqwestError).delivery(), Delivery::TimedOut);
/// ```
#[derive(Debug)]
pub struct TransportError {
    delivery: Delivery,
    source: BoxError,
}

impl TransportError {
    /// The transport's `error`, and what it means for the request.
    pub fn new(delivery: Delivery, error: impl Into<BoxError>) -> Self {
        Self {
            delivery,
            source: error.into(),
        }
    }

    /// No answer in time ([`Delivery::TimedOut`]).
    pub fn timed_out(error: impl Into<BoxError>) -> Self {
        Self::new(Delivery::TimedOut, error)
    }

    /// The request surely never left ([`Delivery::NotSent`]).
    pub fn not_sent(error: impl Into<BoxError>) -> Self {
        Self::new(Delivery::NotSent, error)
    }

    /// An I/O error, its fate read from its kind: a connection refused (or an address not
    /// available) never sent the request, a `TimedOut` is a timeout, anything else may have
    /// reached 123PAY.
    pub fn from_io(error: std::io::Error) -> Self {
        Self::new(io_kind_delivery(error.kind()), error)
    }

    /// What the failure says of the request's fate.
    #[must_use]
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.delivery, f)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

/// A createOrder or queryOrder call that failed.
///
/// Its message says what failed, its [`source`](StdError::source) why; `{:#}` prints both
/// (`the call to 123PAY failed in transport: the request was not sent: could not connect to
/// ...: connection refused`), as [`ErrorChain`] does.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The call got no usable response from the transport (connect, timeout, TLS...). The cause
    /// is the [`source`](StdError::source).
    Transport {
        /// What the failure says of the request's fate.
        delivery: Delivery,
        /// The transport's error.
        source: BoxError,
    },
    /// The response could not be used, or 123PAY answered with an error code.
    Response(ResponseError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return fmt::Display::fmt(&ErrorChain(self), f);
        }
        match self {
            Self::Transport { delivery, .. } => {
                write!(f, "the call to 123PAY failed in transport: {delivery}")
            }
            Self::Response(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl StdError for ClientError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Transport { source, .. } => Some(source.as_ref()),
            Self::Response(e) => e.source(),
        }
    }
}

impl From<ResponseError> for ClientError {
    fn from(error: ResponseError) -> Self {
        Self::Response(error)
    }
}

impl ClientError {
    /// A transport failure, its fate read from the transport, or else from a [`TransportError`]
    /// or an `io::Error` in the error's chain.
    pub(crate) fn transport(delivery: Delivery, source: BoxError) -> Self {
        let delivery = match delivery {
            Delivery::Unknown => chain_delivery(source.as_ref()),
            known => known,
        };
        Self::Transport { delivery, source }
    }

    /// A call given up after `limit` without an answer (the transport did not give up itself).
    pub(crate) fn no_answer_within(limit: Duration) -> Self {
        Self::Transport {
            delivery: Delivery::TimedOut,
            source: format!("no answer within {} ms", limit.as_millis()).into(),
        }
    }

    /// 123PAY's return code, when it answered with one.
    #[must_use]
    pub fn return_code(&self) -> Option<&ReturnCode> {
        match self {
            Self::Response(e) => e.return_code(),
            Self::Transport { .. } => None,
        }
    }

    /// Whether trying again later may work: a transport failure, an HTTP 5xx, or 123PAY's `5000`
    /// (busy) and `7300` (bank communication error). A refusal (`6000`, `6100`...), a malformed
    /// answer or a wrong checksum will not go away by itself.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Response(ResponseError::Gateway { code, .. }) => code.is_retryable(),
            Self::Response(ResponseError::Status { status, .. }) => status.is_server_error(),
            Self::Response(_) => false,
        }
    }

    /// Whether the request surely never reached 123PAY (so a createOrder sent again cannot be a
    /// duplicate).
    #[must_use]
    pub fn is_not_sent(&self) -> bool {
        matches!(
            self,
            Self::Transport {
                delivery: Delivery::NotSent,
                ..
            }
        )
    }

    /// Whether the call timed out (the request may have reached 123PAY).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::Transport {
                delivery: Delivery::TimedOut,
                ..
            }
        )
    }
}

/// The fate an I/O error's kind tells.
fn io_kind_delivery(kind: std::io::ErrorKind) -> Delivery {
    use std::io::ErrorKind::{AddrNotAvailable, ConnectionRefused, NotConnected, TimedOut};
    match kind {
        ConnectionRefused | AddrNotAvailable | NotConnected => Delivery::NotSent,
        TimedOut => Delivery::TimedOut,
        _ => Delivery::Unknown,
    }
}

/// The fate a [`TransportError`] or an `io::Error` in the chain tells, the outermost first.
fn chain_delivery(error: &(dyn StdError + 'static)) -> Delivery {
    crate::message::error::chain(error)
        .find_map(|e| {
            if let Some(said) = e.downcast_ref::<TransportError>() {
                return Some(said.delivery);
            }
            match io_kind_delivery(e.downcast_ref::<std::io::Error>()?.kind()) {
                Delivery::Unknown => None,
                known => Some(known),
            }
        })
        .unwrap_or(Delivery::Unknown)
}

/// The two calls of the protocol, as one table of their names, spans and parsers, shared by the
/// async [`Client`] and the [`blocking::Client`](crate::client::blocking::Client).
pub(crate) trait Call {
    /// What a successful call returns.
    type Answer;
    /// `createOrder` or `queryOrder`.
    const METHOD: &'static str;
    /// The span of one call (never a secret).
    fn span(&self) -> Span;
    /// The signed request.
    fn request(&self, credentials: &Credentials, endpoints: &Endpoints) -> Request<Bytes>;
    /// Reads the answer and verifies its checksum with `key`.
    fn parse(response: &Response<Bytes>, key: &SecretKey) -> Result<Self::Answer, ResponseError>;
    /// Records a successful answer on the span; what the closing event says.
    fn record(span: &Span, answer: &Self::Answer) -> String;
}

impl Call for CreateOrder {
    type Answer = CreatedOrder;
    const METHOD: &'static str = "createOrder";

    fn span(&self) -> Span {
        tracing::info_span!(
            "pay123.create_order",
            m_transaction_id = self.m_transaction_id(),
            amount = self.total_amount(),
            return_code = tracing::field::Empty,
        )
    }
    fn request(&self, credentials: &Credentials, endpoints: &Endpoints) -> Request<Bytes> {
        self.to_http_request(credentials, endpoints)
    }
    fn parse(response: &Response<Bytes>, key: &SecretKey) -> Result<CreatedOrder, ResponseError> {
        CreatedOrder::from_http_response(response, key)
    }
    fn record(_span: &Span, answer: &CreatedOrder) -> String {
        answer.pay123_transaction_id().to_owned()
    }
}

impl Call for QueryOrder {
    type Answer = OrderStatus;
    const METHOD: &'static str = "queryOrder";

    fn span(&self) -> Span {
        tracing::info_span!(
            "pay123.query_order",
            m_transaction_id = self.m_transaction_id(),
            return_code = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }
    fn request(&self, credentials: &Credentials, endpoints: &Endpoints) -> Request<Bytes> {
        self.to_http_request(credentials, endpoints)
    }
    fn parse(response: &Response<Bytes>, key: &SecretKey) -> Result<OrderStatus, ResponseError> {
        OrderStatus::from_http_response(response, key)
    }
    fn record(span: &Span, answer: &OrderStatus) -> String {
        span.record("status", answer.status().code());
        answer.status().code().to_owned()
    }
}

/// Records a call's outcome on its span, with one event.
pub(crate) fn finish<C: Call>(span: &Span, result: &Result<C::Answer, ClientError>) {
    let _entered = span.enter();
    let method = C::METHOD;
    match result {
        Ok(answer) => {
            span.record("return_code", "1");
            let answered = C::record(span, answer);
            tracing::info!(method, answered, "123PAY answered");
        }
        Err(error) => {
            if let Some(code) = error.return_code() {
                span.record("return_code", code.code());
            }
            tracing::warn!(method, error = %ErrorChain(error), "123PAY call failed");
        }
    }
}

/// createOrder and queryOrder over any [`HttpClient`].
#[derive(Debug, Clone)]
pub struct Client<C> {
    http: C,
    credentials: Credentials,
    endpoints: Endpoints,
}

impl<C> Client<C> {
    /// A client for these credentials and endpoints.
    pub fn new(http: C, credentials: Credentials, endpoints: Endpoints) -> Self {
        Self {
            http,
            credentials,
            endpoints,
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The transport.
    pub fn http(&self) -> &C {
        &self.http
    }

    /// A notify listener with these credentials' key.
    pub fn notify_listener(&self) -> NotifyListener {
        NotifyListener::new(self.credentials.secret_key().clone())
    }
}

impl<C: HttpClient> Client<C> {
    /// Calls createOrder; the answer's checksum is verified.
    ///
    /// Runs in a `tracing` span `pay123.create_order` with `m_transaction_id`, `amount` and,
    /// once answered, `return_code` (never a secret).
    pub async fn create_order(&self, order: &CreateOrder) -> Result<CreatedOrder, ClientError> {
        self.call(order, None).await
    }

    /// [`create_order`](Self::create_order), asking the transport to give up after `timeout`
    /// (a [`RequestTimeout`]). A buyer waiting at checkout should not wait 30 s.
    pub async fn create_order_within(
        &self,
        order: &CreateOrder,
        timeout: Duration,
    ) -> Result<CreatedOrder, ClientError> {
        self.call(order, Some(timeout)).await
    }

    /// Calls queryOrder; the answer's checksum is verified.
    ///
    /// Runs in a `tracing` span `pay123.query_order` with `m_transaction_id` and, once
    /// answered, `return_code` and `status`.
    pub async fn query_order(&self, query: &QueryOrder) -> Result<OrderStatus, ClientError> {
        self.call(query, None).await
    }

    /// [`query_order`](Self::query_order), asking the transport to give up after `timeout`.
    /// While answering a notify, pass [`NOTIFY_WORK_BUDGET`](crate::NOTIFY_WORK_BUDGET): 123PAY
    /// is waiting for the reply.
    pub async fn query_order_within(
        &self,
        query: &QueryOrder,
        timeout: Duration,
    ) -> Result<OrderStatus, ClientError> {
        self.call(query, Some(timeout)).await
    }

    async fn call<M: Call>(
        &self,
        message: &M,
        timeout: Option<Duration>,
    ) -> Result<M::Answer, ClientError> {
        let span = message.span();
        let mut request = message.request(&self.credentials, &self.endpoints);
        if let Some(timeout) = timeout {
            request.extensions_mut().insert(RequestTimeout(timeout));
        }
        let result = async {
            match self.http.send(request).await {
                Ok(response) => Ok(M::parse(&response, self.credentials.secret_key())?),
                Err(error) => Err(ClientError::transport(C::delivery(&error), error.into())),
            }
        }
        .instrument(span.clone())
        .await;
        finish::<M>(&span, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fate_of_a_failure_is_read_from_io_errors() {
        let refused: BoxError = Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        let e = ClientError::transport(Delivery::Unknown, refused);
        assert!(e.is_not_sent() && e.is_retryable() && !e.is_timeout());
        // The cause is said once: by the source, not by the message.
        assert!(!e.to_string().contains("connection refused"), "{e}");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("connection refused")
        );
        assert_eq!(
            ErrorChain(&e).to_string(),
            "the call to 123PAY failed in transport: the request was not sent: connection refused"
        );
        assert_eq!(format!("{e:#}"), ErrorChain(&e).to_string());
        let wrapped: BoxError = Box::new(std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        )));
        assert!(ClientError::transport(Delivery::Unknown, wrapped).is_timeout());
        // What the transport says wins.
        let other: BoxError = "boom".into();
        assert!(ClientError::transport(Delivery::NotSent, other).is_not_sent());
        // A closure's own error says so with a TransportError, anywhere in the chain.
        let said: BoxError = Box::new(TransportError::timed_out("operation timed out"));
        let e = ClientError::transport(Delivery::Unknown, said);
        assert!(e.is_timeout() && e.is_retryable(), "{e:?}");
        assert_eq!(
            ErrorChain(&e).to_string(),
            "the call to 123PAY failed in transport: no answer in time; the request may have \
             reached 123PAY: operation timed out"
        );
        let wrapped: BoxError = Box::new(std::io::Error::other(TransportError::not_sent("dns")));
        assert!(ClientError::transport(Delivery::Unknown, wrapped).is_not_sent());
    }
}
