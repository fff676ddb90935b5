//! 123PAY for actix-web: a ready notify service, a verified-notify extractor, `?` for pay123's
//! errors, and a body deadline for every route. Glue only: every rule is `pay123-core`'s.
//!
//! [`notify_service`] mounts 123PAY's notify listener into your app with `App::configure`: you
//! give it the path, your [`NotifyListener`](pay123_core::NotifyListener) and a
//! [`NotifyHandler`](pay123_core::NotifyHandler) (an `async fn` of a verified
//! [`Notify`](pay123_core::Notify) and your `web::Data<T>`, returning a
//! [`NotifyOutcome`](pay123_core::NotifyOutcome) or a `Result` of it). The service reads the body
//! within the core's size limit and the listener's deadline, calls
//! [`NotifyListener::serve`](pay123_core::NotifyListener::serve), and writes its answer. For a
//! route of your own, use the [`VerifiedNotify`] extractor.
//!
//! actix-web is built on `http` 0.2: this crate converts no types, the core takes the method,
//! query string, content type and body as they are.
//!
//! # Server settings
//!
//! actix-web's own settings cover the request head (`client_request_timeout`) and idle
//! keep-alive connections (`keep_alive`), but its head timeout only runs for a connection's
//! first request: with keep-alive on, a client can stall the head of a second request for ever.
//! Serve a notify listener with keep-alive off, or behind a proxy, and with [`BodyDeadline`] on
//! the app for the bodies of every route: see `docs/guide.md`.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`], the default createOrder/queryOrder
//!   transport (actix-web runs on tokio). Turn it off when your app brings its own HTTP client.

mod body;
mod error;
mod extract;
mod service;

pub use body::{BodyDeadline, DeadlineBody};
pub use error::Error;
pub use extract::{NotifyRejection, VerifiedNotify};
pub use pay123_core;
#[cfg(feature = "hyper")]
pub use pay123_hyper;
pub use service::notify_service;

use actix_web::HttpRequest;
use actix_web::http::header;
use pay123_core::{NotifyRequest, NotifyResponse};

/// The parts of a request as the core takes them.
fn neutral<'a>(request: &'a HttpRequest, body: &'a [u8]) -> NotifyRequest<'a> {
    NotifyRequest::new(
        request.method().as_str(),
        request.query_string(),
        request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        body,
    )
}

/// A core answer, as actix-web writes a response.
fn respond(answer: NotifyResponse) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(answer.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = actix_web::HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, answer.content_type()));
    if let Some(allow) = answer.allow() {
        response.insert_header((header::ALLOW, allow));
    }
    response.body(answer.into_body())
}
