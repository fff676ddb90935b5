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
    pub async fn create_order(&self, order: &CreateOrder) -> Result<CreatedOrder, ClientError> {
        let request = order.to_http_request(&self.credentials, &self.endpoints);
        let response = self.send(request).await?;
        Ok(CreatedOrder::from_http_response(
            &response,
            self.credentials.secret_key(),
        )?)
    }

    /// Calls queryOrder; the answer's checksum is verified.
    pub async fn query_order(&self, query: &QueryOrder) -> Result<OrderStatus, ClientError> {
        let request = query.to_http_request(&self.credentials, &self.endpoints);
        let response = self.send(request).await?;
        Ok(OrderStatus::from_http_response(
            &response,
            self.credentials.secret_key(),
        )?)
    }

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ClientError> {
        self.http
            .send(request)
            .await
            .map_err(|e| ClientError::Transport(Box::new(e)))
    }
}
