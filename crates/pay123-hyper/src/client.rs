//! [`HyperClient`]: one pooled hyper client with timeouts and a body limit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tracing::Instrument;

use crate::error::TransportError;

/// How long opening a TCP connection may take, by default: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take (connect, send, and read the whole response), by default:
/// 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest response body read, by default: 1 MiB. 123PAY's answers are a few hundred bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long an idle pooled connection is kept, by default: 90 seconds.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

const USER_AGENT: &str = concat!("pay123/", env!("CARGO_PKG_VERSION"));

/// The default transport: a pooled hyper 1 client over rustls (ring, Mozilla's roots), with
/// connect and request timeouts and a response body limit.
///
/// Cloning is cheap and the clones share one connection pool: build one client and clone it.
/// `https` and plain `http` URLs are both accepted (plain `http` for a local sandbox). Requests
/// must be sent from inside a tokio runtime.
///
/// A response with any HTTP status is returned as it came: a status other than 200 is reported
/// by the core's parser ([`pay123_core::ResponseError::Status`]), with the body.
#[derive(Clone)]
pub struct HyperClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for HyperClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperClient {
    /// A client with the default timeouts and body limit.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder to set the timeouts, the body limit or the TLS configuration.
    pub fn builder() -> HyperClientBuilder {
        HyperClientBuilder::default()
    }

    /// The connect timeout.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The request timeout.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The response body limit, in bytes.
    #[must_use]
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Sends a request and reads the whole response, within the request timeout, or the
    /// shorter [`RequestTimeout`](pay123_core::RequestTimeout) the request carries.
    pub async fn send(
        &self,
        mut request: Request<Bytes>,
    ) -> Result<Response<Bytes>, TransportError> {
        let url = display_url(request.uri());
        let timeout = request
            .extensions()
            .get::<pay123_core::RequestTimeout>()
            .map_or(self.request_timeout, |t| t.0.min(self.request_timeout));
        let span = tracing::info_span!(
            "pay123.http",
            method = %request.method(),
            path = request.uri().path(),
        );
        request
            .headers_mut()
            .entry(header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        async {
            let started = Instant::now();
            let result = tokio::time::timeout(timeout, self.exchange(request, &url))
                .await
                .unwrap_or_else(|_| {
                    Err(TransportError::Timeout {
                        url,
                        timeout,
                        source: std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the request timed out",
                        ),
                    })
                });
            let elapsed_ms = started.elapsed().as_millis();
            match &result {
                Ok(response) => {
                    tracing::info!(status = response.status().as_u16(), elapsed_ms, "response");
                }
                Err(error) => tracing::warn!(
                    error = %pay123_core::ErrorChain(error),
                    elapsed_ms,
                    "request failed"
                ),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn exchange(
        &self,
        request: Request<Bytes>,
        url: &str,
    ) -> Result<Response<Bytes>, TransportError> {
        let response = self
            .client
            .request(request.map(Full::new))
            .await
            .map_err(|e| TransportError::from_client(e, url.to_owned()))?;
        let (parts, body) = response.into_parts();
        let too_large = || TransportError::BodyTooLarge {
            url: url.to_owned(),
            limit: self.max_body_bytes,
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.max_body_bytes as u64) {
            return Err(too_large());
        }
        let body = Limited::new(body, self.max_body_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    too_large()
                } else {
                    TransportError::body(e, url.to_owned())
                }
            })?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

/// The future of one [`HyperClient`] call.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Bytes>, TransportError>> + Send>>;

impl pay123_core::HttpClient for HyperClient {
    type Error = TransportError;
    type Future = ResponseFuture;

    fn send(&self, request: Request<Bytes>) -> ResponseFuture {
        let client = self.clone();
        Box::pin(async move { client.send(request).await })
    }

    fn delivery(error: &TransportError) -> pay123_core::Delivery {
        if error.is_not_sent() {
            pay123_core::Delivery::NotSent
        } else if error.is_timeout() {
            pay123_core::Delivery::TimedOut
        } else {
            pay123_core::Delivery::Unknown
        }
    }
}

/// Builds a [`HyperClient`]; see [`HyperClient::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct HyperClientBuilder {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
    pool_idle_timeout: Duration,
    tls_config: Option<Arc<rustls::ClientConfig>>,
}

impl Default for HyperClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            tls_config: None,
        }
    }
}

impl HyperClientBuilder {
    pay123_core::setters! {
        /// How long opening a TCP connection may take ([`DEFAULT_CONNECT_TIMEOUT`]).
        connect_timeout(timeout: Duration) => connect_timeout;
        /// How long a whole request may take, connect and reading the body included
        /// ([`DEFAULT_REQUEST_TIMEOUT`]).
        request_timeout(timeout: Duration) => request_timeout;
        /// The largest response body read, in bytes ([`DEFAULT_MAX_BODY_BYTES`]); a larger one
        /// is [`TransportError::BodyTooLarge`].
        max_body_bytes(limit: usize) => max_body_bytes;
        /// How long an idle connection stays in the pool ([`DEFAULT_POOL_IDLE_TIMEOUT`]).
        pool_idle_timeout(timeout: Duration) => pool_idle_timeout;
    }

    /// A TLS configuration of your own (other roots, a client certificate) instead of rustls
    /// with the ring provider and Mozilla's roots.
    pub fn tls_config(mut self, config: impl Into<Arc<rustls::ClientConfig>>) -> Self {
        self.tls_config = Some(config.into());
        self
    }

    /// The client.
    #[must_use]
    pub fn build(self) -> HyperClient {
        let mut http = HttpConnector::new();
        // The HTTPS connector decides the scheme; the TCP connector must accept `https` URLs.
        http.enforce_http(false);
        http.set_connect_timeout(Some(self.connect_timeout));
        http.set_nodelay(true);
        let tls = self
            .tls_config
            .unwrap_or_else(|| Arc::new(default_tls_config()));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(Arc::unwrap_or_clone(tls))
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .build(https);
        HyperClient {
            client,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_body_bytes: self.max_body_bytes,
        }
    }
}

/// rustls with the ring provider, its default protocol versions and Mozilla's roots.
///
/// rustls 0.23.48 deprecates the ring provider for its lack of post-quantum key exchange; it
/// stays here because it builds with a C compiler alone (aws-lc-rs needs more on some
/// platforms). A client of your own choice: [`HyperClientBuilder::tls_config`].
#[allow(deprecated)]
fn default_tls_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports rustls' default protocol versions")
        .with_webpki_roots()
        .with_no_client_auth()
}

/// Scheme, host, port and path of a URL, for errors: never the query or user info.
fn display_url(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("");
    let host = uri.host().unwrap_or("");
    let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{}", uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_url_drops_query_and_user_info() {
        let uri: Uri = "https://user:pw@example.com:8443/miservice/createOrder1?token=x"
            .parse()
            .unwrap();
        assert_eq!(
            display_url(&uri),
            "https://example.com:8443/miservice/createOrder1"
        );
    }

    #[test]
    fn builder_keeps_settings_and_default_tls_builds() {
        let client = HyperClient::builder()
            .connect_timeout(Duration::from_secs(1))
            .request_timeout(Duration::from_secs(2))
            .max_body_bytes(10)
            .build();
        assert_eq!(client.connect_timeout(), Duration::from_secs(1));
        assert_eq!(client.request_timeout(), Duration::from_secs(2));
        assert_eq!(client.max_body_bytes(), 10);
        let debug = format!("{client:?}");
        assert!(debug.contains("request_timeout"), "{debug}");
    }
}
