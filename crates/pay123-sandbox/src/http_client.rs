//! The small HTTP client that posts notifies: hyper-util over plain HTTP, with a timeout on the
//! whole exchange and a cap on the reply size. It implements the core's [`HttpClient`] seam.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pay123_core::HttpClient;

/// A notify reply is a small JSON object; anything past this is not read.
const MAX_REPLY: usize = 64 * 1024;

/// Why a notify got no reply.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// No reply within the timeout.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// Connecting or exchanging failed.
    #[error("{0}")]
    Transport(String),
}

#[derive(Debug, Clone)]
pub(crate) struct NotifyClient {
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl NotifyClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, SendError> {
        let transport = |e: &dyn std::error::Error| {
            // hyper-util's errors say little at the top; the source says what failed.
            let mut text = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            SendError::Transport(text)
        };
        let response = self
            .client
            .request(request.map(Full::new))
            .await
            .map_err(|e| transport(&e))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_REPLY)
            .collect()
            .await
            .map_err(|e| transport(&*e))?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

impl HttpClient for NotifyClient {
    type Error = SendError;

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, SendError> {
        tokio::time::timeout(self.timeout, self.exchange(request))
            .await
            .unwrap_or(Err(SendError::Timeout(self.timeout)))
    }
}
