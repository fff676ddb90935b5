//! [`serve`]: `axum::serve` with the limits a server facing the internet needs.
//!
//! `axum::serve` never closes a connection that sends its head slowly, a body that trickles, or
//! an idle keep-alive connection; with the common limit of 1,024 open files, a thousand idle
//! sockets make a server unreachable. This server, on hyper's own HTTP/1 connection builder:
//!
//! - closes a connection that has not sent a whole request head within
//!   [`Limits::header_timeout`], counted from when the connection starts waiting for one: a
//!   slowloris head, a connection that sends nothing, and an idle keep-alive connection all end
//!   after it;
//! - fails the body of a request that has not arrived whole within [`Limits::body_timeout`] of
//!   its head (a route reading it sees an error; pay123's notify route answers 408), and caps
//!   it at [`Limits::max_body`] bytes (axum's extractors answer 413);
//! - serves at most [`Limits::max_connections`] connections at once; more wait in the kernel's
//!   backlog;
//! - gives each request the peer's address as `ConnectInfo<SocketAddr>`.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// The limits of a [`serve`]d server. Every field has a default fit for a shop's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest a connection may take to send a whole request head, counted from when it
    /// starts waiting for one (so also the longest an idle keep-alive connection is kept).
    /// 10 seconds.
    pub header_timeout: Duration,
    /// The longest a request's body may take to arrive whole, counted from its head. 10 seconds.
    pub body_timeout: Duration,
    /// The largest body read, in bytes. 1 MiB.
    pub max_body: usize,
    /// The most connections served at once. 2,048.
    pub max_connections: usize,
    /// On shutdown, how long requests under way may take to finish. 5 seconds.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            max_connections: 2048,
            grace: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// With this [`header_timeout`](Self::header_timeout).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// With this [`body_timeout`](Self::body_timeout).
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// With this [`max_body`](Self::max_body).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// With this [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// With this [`grace`](Self::grace).
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}

/// Serves `router` on `listener` with the default [`Limits`], as `axum::serve` does, until the
/// returned future is dropped, or the shutdown signal of
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown) fires.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use pay123_axum::server::{Limits, serve};
///
/// # async fn run() -> std::io::Result<()> {
/// let app = Router::new().route("/", get(|| async { "my shop" }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// serve(listener, app)
///     .limits(Limits::default().max_connections(4096))
///     .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.ok(); })
///     .await
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        limits: Limits::default(),
        signal: Box::pin(std::future::pending()),
    }
}

/// A server being set up; `.await` it to serve. See [`serve`].
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    limits: Limits,
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// With these limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Stops accepting connections when `signal` completes, then lets the requests under way
    /// finish for at most [`Limits::grace`].
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.signal = Box::pin(signal);
        self
    }

    async fn run(self) -> io::Result<()> {
        let Self {
            listener,
            router,
            limits,
            mut signal,
        } = self;
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit.map_err(io::Error::other)?,
                () = &mut signal => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, or a connection reset before it was
                        // accepted: wait a little rather than spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let mut request = request.map(|body| {
                    Body::new(DeadlineBody::new(
                        Limited::new(body, limits.max_body),
                        limits.body_timeout,
                    ))
                });
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move {
                    Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {}))
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _permit = permit;
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection closed");
                }
            });
        }
        drop(listener);
        if tokio::time::timeout(limits.grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_ms = u64::try_from(limits.grace.as_millis()).unwrap_or(u64::MAX),
                "requests still under way after the grace period"
            );
        }
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The error of a body that did not arrive within [`Limits::body_timeout`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within the server's body timeout")]
pub struct BodyTimeout;

/// Whether `error` (or one of its causes) is a [`BodyTimeout`].
pub(crate) fn is_body_timeout(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<BodyTimeout>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A body that fails once its deadline has passed.
struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<B> DeadlineBody<B> {
    fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl<B> http_body::Body for DeadlineBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
