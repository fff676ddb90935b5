//! [`serve`]: `axum::serve` with the limits a server facing the internet needs.
//!
//! `axum::serve` never closes a connection that sends its head slowly, a body that trickles, or
//! an idle keep-alive connection. This serves a `Router` on pay123-hyper's server instead (see
//! [`pay123_hyper::server`]): header, body and idle timeouts, a body cap and a connection cap,
//! and the peer's address as `ConnectInfo<SocketAddr>` for each request.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use pay123_hyper::server::{Handler, RequestBody};
use tokio::net::TcpListener;
use tower::ServiceExt;

pub use pay123_hyper::server::{BodyTimeout, Limits, Serve, connection_cap};

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
pub fn serve(listener: TcpListener, router: Router) -> Serve<impl Handler> {
    pay123_hyper::server::serve(listener, App(router))
}

/// An axum app as the server's handler.
#[derive(Clone)]
struct App(Router);

impl Handler for App {
    type Body = axum::body::Body;

    async fn call(
        &self,
        request: http::Request<RequestBody>,
        peer: SocketAddr,
    ) -> http::Response<axum::body::Body> {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}
