//! 123PAY for rocket: ready notify routes, a verified-notify data guard, pay123's errors as
//! responders, and a server with the timeouts rocket 0.5 lacks. Glue only: every rule is
//! `pay123-core`'s.
//!
//! [`notify_routes`] are the notify listener for `rocket.mount(path, ...)`: you give them your
//! [`NotifyListener`](pay123_core::NotifyListener) and a
//! [`NotifyHandler`](pay123_core::NotifyHandler) (an `async fn` of a verified
//! [`Notify`](pay123_core::Notify) and your managed `&State<T>`, returning a
//! [`NotifyOutcome`](pay123_core::NotifyOutcome) or a `Result` of it). They read the body within
//! the core's size limit and the listener's deadline, call
//! [`NotifyListener::serve`](pay123_core::NotifyListener::serve), and write its answer. For a route
//! of your own, use the [`VerifiedNotify`] data guard with [`catchers`].
//!
//! rocket is built on `http` 0.2 and types of its own: this crate converts no types, the core
//! takes the method, query string, content type and body as they are.
//!
//! # Serving
//!
//! rocket 0.5 sets no timeout on a request's head, none on an idle keep-alive connection, and
//! waits for the first bytes of every body before routing; it cannot serve on a listener of
//! your own. [`serve`] runs your rocket app behind pay123-hyper's server (header, body and idle
//! timeouts, a body cap, a connection cap), handing each request, read whole, to rocket's own
//! routing, guards, fairings and catchers. See `docs/guide.md`.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`] with its client, the default
//!   createOrder/queryOrder transport.

mod answer;
mod error;
mod guard;
mod routes;
mod serve;

pub use answer::NotifyAnswer;
pub use error::Error;
pub use guard::{NOTIFY_LIMIT, NotifyRejection, VerifiedNotify, catchers};
pub use pay123_core;
pub use pay123_hyper;
pub use routes::notify_routes;
pub use serve::{Limits, serve};

use pay123_core::NotifyRequest;
use rocket::Request;

/// The parts of a request as the core takes them.
fn neutral<'a>(request: &'a Request<'_>, body: &'a [u8]) -> NotifyRequest<'a> {
    NotifyRequest::new(
        request.method().as_str(),
        request.uri().query().map_or("", |q| q.as_str()),
        request.headers().get_one("Content-Type"),
        body,
    )
}
