//! [`serve`]: a rocket app behind pay123-hyper's server, with the timeouts rocket 0.5 lacks.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError};
use pay123_hyper::server::{BodyTimeout, Handler, RequestBody, Serve};
use rocket::http::{Header, Method};
use rocket::local::asynchronous::Client;
use rocket::{Build, Rocket};
use tokio::net::TcpListener;

pub use pay123_hyper::server::Limits;

/// Serves `rocket` on `listener` with the default [`Limits`] until the returned future is
/// dropped, or the shutdown signal of [`with_graceful_shutdown`](Serve::with_graceful_shutdown)
/// fires. The app is ignited and its liftoff fairings run before the first request.
///
/// Each connection is held to pay123-hyper's limits (a request head within
/// [`Limits::header_timeout`], also the idle time between requests; a body within
/// [`Limits::body_timeout`] and [`Limits::max_body`]); each request, read whole, goes through
/// rocket's own request handling (`rocket::local`: its routes, guards, fairings, catchers, with
/// the peer's address as the client's), and its response is sent back. Responses are sent whole
/// (no streaming, no upgrades).
///
/// ```no_run
/// use pay123_rocket::{Limits, serve};
/// use rocket::{get, routes};
///
/// #[get("/")]
/// fn index() -> &'static str {
///     "my shop"
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let rocket = rocket::build().mount("/", routes![index]);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// serve(rocket, listener).await?.limits(Limits::default()).await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// When the app does not ignite (a configuration error, a failing ignite fairing).
pub async fn serve(
    rocket: Rocket<Build>,
    listener: TcpListener,
) -> Result<Serve<impl Handler>, rocket::Error> {
    let client = Client::untracked(rocket).await?;
    Ok(pay123_hyper::server::serve(listener, App(Arc::new(client))))
}

/// A rocket app as the server's handler.
#[derive(Clone)]
struct App(Arc<Client>);

impl Handler for App {
    type Body = Full<Bytes>;

    async fn call(
        &self,
        request: http::Request<RequestBody>,
        peer: SocketAddr,
    ) -> http::Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return plain(413, "request body too large");
            }
            Err(error) if BodyTimeout::is_in(error.as_ref()) => {
                return plain(408, "request body not received in time");
            }
            Err(_) => return plain(400, "could not read the request body"),
        };
        let Ok(method) = parts.method.as_str().parse::<Method>() else {
            return plain(501, "method not implemented");
        };
        let uri = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        let mut local = self.0.req(method, uri).remote(peer);
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                local.add_header(Header::new(name.as_str().to_owned(), value.to_owned()));
            }
        }
        let response = local.body(body).dispatch().await;
        let mut answer = http::Response::builder().status(response.status().code);
        for header in response.headers().iter() {
            answer = answer.header(header.name().as_str(), header.value());
        }
        let body = response.into_bytes().await.unwrap_or_default();
        answer
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|_| plain(500, "invalid response"))
    }
}

fn plain(status: u16, text: &'static str) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
