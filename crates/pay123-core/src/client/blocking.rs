//! createOrder and queryOrder for a blocking program: no runtime, no executor.
//!
//! A [`BlockingHttpClient`] sends one request and returns the whole response, blocking the
//! thread; a closure `Fn(http::Request<Bytes>) -> Result<http::Response<Bytes>, E>` is one. The
//! [`Client`] signs, sends and verifies exactly as the async [`crate::Client`] does, with the
//! same `tracing` spans.
//!
//! ```
//! use bytes::Bytes;
//! use pay123_core::blocking::Client;
//! use pay123_core::{Credentials, Endpoints, QueryOrder};
//!
//! // Any blocking HTTP client fits; this one answers like 123PAY when it is busy.
//! let transport = |_request: http::Request<Bytes>| {
//!     Ok::<_, std::io::Error>(http::Response::new(Bytes::from_static(br#"["5000","He thong ban"]"#)))
//! };
//! let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
//! let error = client.query_order(&QueryOrder::new("ORDER-1")?).unwrap_err();
//! assert!(error.is_retryable());
//! # Ok::<(), pay123_core::ValidationError>(())
//! ```
//!
//! `examples/snippets/src/bin/blocking.rs` in pay123's repository (its README shows it) runs it
//! against the sandbox with `ureq`.

use bytes::Bytes;
use http::{Request, Response};

use crate::client::{BoxError, Call, ClientError, Delivery, finish};
use crate::message::create_order::{CreateOrder, CreatedOrder};
use crate::message::endpoint::Endpoints;
use crate::message::query_order::{OrderStatus, QueryOrder};
use crate::message::secret::Credentials;

/// Sends one HTTP request, blocking, and returns the whole response. The request may carry a
/// [`RequestTimeout`](crate::RequestTimeout) in its extensions (from the client's `*_within`
/// calls): give up after it.
pub trait BlockingHttpClient {
    /// The transport's error: anything that converts into [`BoxError`].
    type Error: Into<BoxError>;

    /// Sends the request.
    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Self::Error>;

    /// What a failed call says of the request's fate; see
    /// [`HttpClient::delivery`](crate::HttpClient::delivery).
    fn delivery(error: &Self::Error) -> Delivery {
        let _ = error;
        Delivery::Unknown
    }
}

impl<F, E> BlockingHttpClient for F
where
    F: Fn(Request<Bytes>) -> Result<Response<Bytes>, E>,
    E: Into<BoxError>,
{
    type Error = E;

    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, E> {
        self(request)
    }
}

/// createOrder and queryOrder over a [`BlockingHttpClient`], with the same signing, spans and
/// verification as the async [`crate::Client`].
#[derive(Debug, Clone)]
pub struct Client<C>(crate::Client<C>);

impl<C: BlockingHttpClient> Client<C> {
    /// A client for these credentials and endpoints.
    pub fn new(http: C, credentials: Credentials, endpoints: Endpoints) -> Self {
        Self(crate::Client::new(http, credentials, endpoints))
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        self.0.credentials()
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        self.0.endpoints()
    }

    /// The transport.
    pub fn http(&self) -> &C {
        self.0.http()
    }

    /// A notify listener with these credentials' key.
    pub fn notify_listener(&self) -> crate::NotifyListener {
        self.0.notify_listener()
    }

    /// Calls createOrder, blocking; the answer's checksum is verified.
    pub fn create_order(&self, order: &CreateOrder) -> Result<CreatedOrder, ClientError> {
        self.call(order, None)
    }

    /// [`create_order`](Self::create_order), asking the transport to give up after `timeout`
    /// (a [`RequestTimeout`](crate::RequestTimeout) in the request's extensions, which a
    /// blocking transport reads: see [`BlockingHttpClient`]).
    pub fn create_order_within(
        &self,
        order: &CreateOrder,
        timeout: std::time::Duration,
    ) -> Result<CreatedOrder, ClientError> {
        self.call(order, Some(timeout))
    }

    /// Calls queryOrder, blocking; the answer's checksum is verified.
    pub fn query_order(&self, query: &QueryOrder) -> Result<OrderStatus, ClientError> {
        self.call(query, None)
    }

    /// [`query_order`](Self::query_order), asking the transport to give up after `timeout`.
    pub fn query_order_within(
        &self,
        query: &QueryOrder,
        timeout: std::time::Duration,
    ) -> Result<OrderStatus, ClientError> {
        self.call(query, Some(timeout))
    }

    fn call<M: Call>(
        &self,
        message: &M,
        timeout: Option<std::time::Duration>,
    ) -> Result<M::Answer, ClientError> {
        let client = &self.0;
        let span = message.span();
        let mut request = message.request(client.credentials(), client.endpoints());
        if let Some(timeout) = timeout {
            request
                .extensions_mut()
                .insert(crate::RequestTimeout(timeout));
        }
        let result = span.in_scope(|| match client.http().send(request) {
            Ok(response) => Ok(M::parse(&response, client.credentials().secret_key())?),
            Err(error) => Err(ClientError::transport(C::delivery(&error), error.into())),
        });
        finish::<M>(&span, &result);
        result
    }
}
