//! A server with the limits a server facing the internet needs (feature `server`), for the
//! framework adapters that have none of their own: pay123-axum serves an axum `Router` with it,
//! pay123-rocket a rocket app.
//!
//! A server that never closes a connection that sends its head slowly, a body that trickles, or
//! an idle keep-alive connection is made unreachable with a thousand idle sockets (the common
//! limit of open files is 1,024). This one, on hyper's own HTTP/1 connection builder:
//!
//! - closes a connection that has not sent a whole request head within
//!   [`Limits::header_timeout`], counted from when the connection starts waiting for one: a
//!   slowloris head, a connection that sends nothing, and an idle keep-alive connection all end
//!   after it;
//! - fails the body of a request that has not arrived whole within [`Limits::body_timeout`] of
//!   its head with a [`BodyTimeout`] error (pay123's notify routes answer 408), and caps it at
//!   [`Limits::max_body`] bytes with `http_body_util::LengthLimitError` (413);
//! - closes a connection that reads nothing of its answers for [`Limits::write_timeout`]: a
//!   client that pipelines requests and never reads the answers holds no connection for long;
//! - serves at most [`Limits::max_connections`] connections at once (more wait in the kernel's
//!   backlog), and applies `pay123_core::slots`'s fair share: at most
//!   [`Limits::max_connections_per_ip`] from one address, and, from an address that holds
//!   connections already, one more only while a fair share of the free slots stays for the
//!   others (more are closed at once). As the server fills, the last slots go to addresses that
//!   hold none, so a handful of clients cannot take every slot, and a buyer or 123PAY's notify
//!   still gets in. A [trusted proxy](Serve::trusted_proxies) is held to the total only;
//! - gives each request to a [`Handler`] with the peer's address.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Frame, SizeHint};
use http_body_util::Limited;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Any error, boxed.
type BoxError = Box<dyn StdError + Send + Sync>;

/// What answers the requests of a server started by [`serve`]: the framework's app.
pub trait Handler: Clone + Send + Sync + 'static {
    /// The response body.
    type Body: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static;

    /// Answers one request from `peer`.
    fn call(
        &self,
        request: Request<RequestBody>,
        peer: SocketAddr,
    ) -> impl Future<Output = Response<Self::Body>> + Send;
}

/// The limits of a server started by [`serve`]. Every field has a default fit for a shop's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest a connection may take to send a whole request head, counted from when it
    /// starts waiting for one (so also the longest an idle keep-alive connection is kept).
    /// 10 seconds.
    pub header_timeout: Duration,
    /// The longest a request's body may take to arrive whole, counted from its head. 10 seconds.
    pub body_timeout: Duration,
    /// The longest writing an answer may make no progress (the peer reads nothing) before the
    /// connection is closed. 10 seconds.
    pub write_timeout: Duration,
    /// The largest body read, in bytes. 1 MiB.
    pub max_body: usize,
    /// The most connections served at once. 2,048.
    pub max_connections: usize,
    /// The most connections served at once from one IP address: a quarter of
    /// [`max_connections`](Self::max_connections) (512). Behind a reverse proxy every
    /// connection comes from the proxy: set it to `max_connections` there, and let the proxy
    /// limit each client.
    pub max_connections_per_ip: usize,
    /// On shutdown, how long requests under way may take to finish. 5 seconds.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            max_connections: 2048,
            max_connections_per_ip: 512,
            grace: Duration::from_secs(5),
        }
    }
}

impl Limits {
    pay123_core::setters! {
        /// With this [`header_timeout`](Self::header_timeout).
        #[must_use]
        header_timeout(timeout: Duration) => header_timeout;
        /// With this [`body_timeout`](Self::body_timeout).
        #[must_use]
        body_timeout(timeout: Duration) => body_timeout;
        /// With this [`write_timeout`](Self::write_timeout).
        #[must_use]
        write_timeout(timeout: Duration) => write_timeout;
        /// With this [`max_body`](Self::max_body).
        #[must_use]
        max_body(bytes: usize) => max_body;
    }

    /// With this [`max_connections`](Self::max_connections) (at least 1), and a quarter of it
    /// per IP address (at least 1).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self.max_connections_per_ip = (self.max_connections / 4).max(1);
        self
    }

    /// With this [`max_connections_per_ip`](Self::max_connections_per_ip) (at least 1).
    #[must_use]
    pub fn max_connections_per_ip(mut self, connections: usize) -> Self {
        self.max_connections_per_ip = connections.max(1);
        self
    }

    /// With this [`grace`](Self::grace).
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}

/// Serves `handler` on `listener` with the default [`Limits`] until the returned future is
/// dropped, or the shutdown signal of [`with_graceful_shutdown`](Serve::with_graceful_shutdown)
/// fires. A framework adapter wraps its app in a [`Handler`]; `pay123_axum::server::serve` is
/// this for an axum `Router`.
pub fn serve<H: Handler>(listener: TcpListener, handler: H) -> Serve<H> {
    Serve {
        listener,
        handler,
        limits: Limits::default(),
        proxies: pay123_core::proxy::TrustedProxies::none(),
        signal: Box::pin(std::future::pending()),
    }
}

/// A server being set up; `.await` it to serve. See [`serve`].
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<H> {
    listener: TcpListener,
    handler: H,
    limits: Limits,
    proxies: pay123_core::proxy::TrustedProxies,
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl<H> std::fmt::Debug for Serve<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Serve<H> {
    /// With these limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The reverse proxies in front of the server: their connections carry many clients, so
    /// the per-address rules ([`Limits::max_connections_per_ip`] and the fair share) do not
    /// apply to them (the proxy limits each client; see [`docs::deploying`](pay123_core::docs::deploying)). The total cap
    /// still does.
    pub fn trusted_proxies(mut self, proxies: pay123_core::proxy::TrustedProxies) -> Self {
        self.proxies = proxies;
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
            handler,
            limits,
            proxies,
            mut signal,
        } = self;
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        let share = pay123_core::slots::FairShare::for_total(limits.max_connections)
            .with_max_per_ip(limits.max_connections_per_ip)
            .with_trusted_proxies(proxies);
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
            let Some(slot) = share.take(peer.ip(), permits.available_permits()) else {
                tracing::debug!(%peer, "too many connections from this address; closed");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let request = request.map(|body| RequestBody {
                    inner: Limited::new(body, limits.max_body),
                    deadline: Box::pin(tokio::time::sleep(limits.body_timeout)),
                });
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler.call(request, peer).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true)
                .serve_connection(
                    TokioIo::new(WriteTimeout::new(stream, limits.write_timeout)),
                    service,
                );
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _permit = permit;
                let _slot = slot;
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

impl<H: Handler> IntoFuture for Serve<H> {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Open files kept for everything but the served connections: a database, the connections to
/// 123PAY, notifies, the log.
const RESERVED_FILES: u64 = 256;

/// Raises the process's open files limit (many systems start a process with 1,024) to fit
/// `servers` servers of `wanted` connections each, and returns the connection cap each must use:
/// `wanted`, or fewer, with a warning, when the system's hard limit leaves room for fewer. A
/// server that accepts connections up to the limit of open files can then open nothing else (its
/// database, its calls to 123PAY). Pass it to [`Limits::max_connections`].
pub fn connection_cap(wanted: usize, servers: u64) -> usize {
    let servers = servers.max(1);
    let wanted_files = u64::try_from(wanted).unwrap_or(u64::MAX / 4);
    let limit = match rlimit::increase_nofile_limit(
        wanted_files
            .saturating_mul(servers)
            .saturating_add(RESERVED_FILES),
    ) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "could not raise the open files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    let room = limit.saturating_sub(RESERVED_FILES) / servers;
    if room < wanted_files {
        tracing::warn!(
            open_files = limit,
            connections = room,
            wanted,
            "the open files limit leaves room for fewer connections; raise it (ulimit -n)"
        );
    }
    usize::try_from(room.min(wanted_files))
        .unwrap_or(wanted)
        .max(1)
}

/// The error of a body that did not arrive within [`Limits::body_timeout`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within the server's body timeout")]
pub struct BodyTimeout;

impl BodyTimeout {
    /// Whether `error`, or one of its causes, is a [`BodyTimeout`] (which comes as the
    /// error of an `std::io::Error` of kind `TimedOut`).
    #[must_use]
    pub fn is_in(error: &(dyn StdError + 'static)) -> bool {
        let mut next = Some(error);
        while let Some(e) = next {
            if e.is::<BodyTimeout>() {
                return true;
            }
            next = match e
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => e.source(),
            };
        }
        false
    }
}

/// A request's body, as the [`Handler`] gets it: at most [`Limits::max_body`] bytes
/// (`http_body_util::LengthLimitError` beyond), failing with [`BodyTimeout`] once
/// [`Limits::body_timeout`] has passed since the head.
pub struct RequestBody {
    inner: Limited<Incoming>,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody").finish_non_exhaustive()
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            let timeout = std::io::Error::new(std::io::ErrorKind::TimedOut, BodyTimeout);
            return Poll::Ready(Some(Err(Box::new(timeout))));
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

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once they have made no progress
/// for the timeout: the peer stopped reading.
struct WriteTimeout<S> {
    stream: S,
    timeout: Duration,
    /// Started when a write first finds the socket full, dropped when a write goes through.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteTimeout<S> {
    fn new(stream: S, timeout: Duration) -> Self {
        Self {
            stream,
            timeout,
            stalled: None,
        }
    }

    /// What a write that returned `poll` means: progress resets the timer, a stall starts it,
    /// and a stall longer than the timeout is an error.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer read nothing of the answer within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_shutdown(cx);
        this.watch(cx, poll)
    }
}
