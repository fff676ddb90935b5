//! [`TransportError`]: why a request got no usable response.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use pay123_core::ClientError;

/// A boxed error from hyper, hyper-util or rustls, kept as the [`source`](StdError::source).
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// A request that got no usable response.
///
/// A response with a status other than 200 is *not* an error here: [`HyperClient`] returns it,
/// and the core's parser reports it as [`pay123_core::ResponseError::Status`] with the body.
///
/// The URL in each variant is scheme, host, port and path: never a query string or user info.
///
/// [`HyperClient`]: crate::HyperClient
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No whole response within the request timeout. The request may have reached the gateway:
    /// for a createOrder, ask with a queryOrder before creating the order again.
    #[error("no response from {url} within {timeout:?}")]
    Timeout {
        /// The URL called.
        url: String,
        /// The request timeout.
        timeout: Duration,
        /// An `io::Error` of kind `TimedOut`, so that a timeout is known as one even when this
        /// error is wrapped in another (an `anyhow::Error`, a box).
        #[source]
        source: io::Error,
    },
    /// No connection could be opened (refused, unreachable, DNS failure, connect timeout): the
    /// request was not sent. The cause is the [`source`](StdError::source).
    #[error("could not connect to {url}")]
    Connect {
        /// The URL called.
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed (an untrusted certificate, a name mismatch, no common protocol):
    /// the request was not sent.
    #[error("TLS handshake with {url} failed")]
    Tls {
        /// The URL called.
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The response body is larger than the configured limit.
    #[error("the response body from {url} is larger than {limit} bytes")]
    BodyTooLarge {
        /// The URL called.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// Any other HTTP failure: the connection closed before the whole response arrived, a
    /// response that is not HTTP, a request hyper refuses (a URL without a host...).
    #[error("HTTP error with {url}")]
    Http {
        /// The URL called.
        url: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl TransportError {
    /// The URL called (scheme, host, port and path).
    #[must_use]
    pub fn url(&self) -> &str {
        match self {
            Self::Timeout { url, .. }
            | Self::Connect { url, .. }
            | Self::Tls { url, .. }
            | Self::BodyTooLarge { url, .. }
            | Self::Http { url, .. } => url,
        }
    }

    /// A request timeout, or a connect error caused by the connect timeout.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            Self::Connect { source, .. } => {
                find_io(source.as_ref()).is_some_and(|e| e.kind() == io::ErrorKind::TimedOut)
            }
            _ => false,
        }
    }

    /// The request surely did not reach the server (connect and TLS failures), so sending it
    /// again cannot duplicate anything.
    #[must_use]
    pub fn is_not_sent(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Tls { .. })
    }

    /// The transport error inside a [`ClientError::Transport`], when the client used
    /// [`HyperClient`](crate::HyperClient).
    #[must_use]
    pub fn of(error: &ClientError) -> Option<&Self> {
        match error {
            ClientError::Transport { source, .. } => source.downcast_ref::<Self>(),
            _ => None,
        }
    }

    /// Sorts an error of hyper-util's client.
    pub(crate) fn from_client(error: hyper_util::client::legacy::Error, url: String) -> Self {
        let tls = find::<rustls::Error>(&error).is_some();
        let connect = error.is_connect();
        let source: BoxError = Box::new(error);
        if tls {
            Self::Tls { url, source }
        } else if connect {
            Self::Connect { url, source }
        } else {
            Self::Http { url, source }
        }
    }

    /// An error while reading the response body (not the size limit).
    pub(crate) fn body(source: BoxError, url: String) -> Self {
        Self::Http { url, source }
    }
}

/// The errors of a chain, descending into `io::Error`s, whose `source()` skips their payload.
fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    chain(error).find_map(|e| e.downcast_ref::<T>())
}

fn find_io<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    chain(error)
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .find(|e| e.kind() != io::ErrorKind::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_descends_into_io_errors() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        let outer = io::Error::other(inner);
        let error: BoxError = Box::new(outer);
        assert_eq!(
            find_io(error.as_ref()).map(io::Error::kind),
            Some(io::ErrorKind::ConnectionRefused)
        );
    }

    #[test]
    fn connect_timeout_is_a_timeout() {
        let source: BoxError = Box::new(io::Error::new(io::ErrorKind::TimedOut, "connect timeout"));
        let error = TransportError::Connect {
            url: "http://127.0.0.1:1/".into(),
            source,
        };
        assert!(error.is_timeout());
        assert!(error.is_not_sent());
        // The cause is said once, by the source.
        assert_eq!(
            error.to_string(),
            "could not connect to http://127.0.0.1:1/"
        );
        assert_eq!(
            pay123_core::ErrorChain(&error).to_string(),
            "could not connect to http://127.0.0.1:1/: connect timeout"
        );
        let source: BoxError = Box::new(io::Error::new(io::ErrorKind::ConnectionRefused, "no"));
        let error = TransportError::Connect {
            url: "http://127.0.0.1:1/".into(),
            source,
        };
        assert!(!error.is_timeout());
    }
}
