//! The transport seam: a small async [`HttpClient`] over `http` types, and a [`Client`] that
//! runs prepare -> send -> parse for createOrder and queryOrder.
//!
//! A closure is an `HttpClient`, so a user with their own HTTP stack needs nothing else:
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
//! # Ok::<(), pay123_core::ValidationError>(())
//! ```

use std::error::Error as StdError;
use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};
use tracing::Instrument;

use crate::create_order::{CreateOrder, CreatedOrder};
use crate::endpoint::Endpoints;
use crate::error::ResponseError;
use crate::listener::NotifyListener;
use crate::query_order::{OrderStatus, QueryOrder};
use crate::secret::Credentials;
use crate::status::ReturnCode;

/// Sends one HTTP request and returns the whole response.
pub trait HttpClient: Send + Sync {
    /// The transport's error.
    type Error: StdError + Send + Sync + 'static;

    /// Sends the request.
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, Self::Error>> + Send;
}

impl<F, Fut, E> HttpClient for F
where
    F: Fn(Request<Bytes>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Response<Bytes>, E>> + Send,
    E: StdError + Send + Sync + 'static,
{
    type Error = E;

    fn send(
        &self,
        request: Request<Bytes>,
    ) -> impl Future<Output = Result<Response<Bytes>, Self::Error>> + Send {
        self(request)
    }
}

/// A createOrder or queryOrder call that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request did not get a response (connect, timeout, TLS...).
    #[error("transport error: {0}")]
    Transport(#[source] Box<dyn StdError + Send + Sync>),
    /// The response could not be used, or 123PAY answered with an error code.
    #[error(transparent)]
    Response(#[from] ResponseError),
}

impl ClientError {
    /// 123PAY's return code, when it answered with one.
    #[must_use]
    pub fn return_code(&self) -> Option<&ReturnCode> {
        match self {
            Self::Response(e) => e.return_code(),
            Self::Transport(_) => None,
        }
    }
}

/// Records a call's outcome on its span, with one event.
fn record<T>(
    span: &tracing::Span,
    method: &'static str,
    result: &Result<T, ClientError>,
    status: impl Fn(&T) -> String,
) {
    let _entered = span.enter();
    match result {
        Ok(value) => {
            span.record("return_code", "1");
            tracing::info!(method, status = %status(value), "123PAY answered");
        }
        Err(error) => {
            if let Some(code) = error.return_code() {
                span.record("return_code", code.code());
            }
            tracing::warn!(method, %error, "123PAY call failed");
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

impl<C: HttpClient> Client<C> {
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

    /// Calls createOrder; the answer's checksum is verified.
    ///
    /// Runs in a `tracing` span `pay123.create_order` with `m_transaction_id`, `amount` and,
    /// once answered, `return_code` (never a secret).
    pub async fn create_order(&self, order: &CreateOrder) -> Result<CreatedOrder, ClientError> {
        let span = tracing::info_span!(
            "pay123.create_order",
            m_transaction_id = order.m_transaction_id(),
            amount = order.total_amount(),
            return_code = tracing::field::Empty,
        );
        let call = async {
            let request = order.to_http_request(&self.credentials, &self.endpoints);
            let response = self.send(request).await?;
            Ok(CreatedOrder::from_http_response(
                &response,
                self.credentials.secret_key(),
            )?)
        };
        let result = call.instrument(span.clone()).await;
        record(&span, "createOrder", &result, |_| String::new());
        result
    }

    /// Calls queryOrder; the answer's checksum is verified.
    ///
    /// Runs in a `tracing` span `pay123.query_order` with `m_transaction_id` and, once
    /// answered, `return_code` and `status`.
    pub async fn query_order(&self, query: &QueryOrder) -> Result<OrderStatus, ClientError> {
        let span = tracing::info_span!(
            "pay123.query_order",
            m_transaction_id = query.m_transaction_id(),
            return_code = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let call = async {
            let request = query.to_http_request(&self.credentials, &self.endpoints);
            let response = self.send(request).await?;
            Ok(OrderStatus::from_http_response(
                &response,
                self.credentials.secret_key(),
            )?)
        };
        let result = call.instrument(span.clone()).await;
        if let Ok(status) = &result {
            span.record("status", status.status.code());
        }
        record(&span, "queryOrder", &result, |s| s.status.code().to_owned());
        result
    }

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ClientError> {
        self.http
            .send(request)
            .await
            .map_err(|e| ClientError::Transport(Box::new(e)))
    }
}
