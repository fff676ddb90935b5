//! [`notify_router`]: the ready notify route, confirming each payment with queryOrder.

use axum::Router;
use axum::extract::Request;
use axum::routing::any;
use pay123_core::SendHttpClient;
use pay123_core::payments::{PaymentStore, Payments};

use crate::{body, neutral, response};

/// A router with 123PAY's notify listener at `path`, to merge or nest into your own `Router<S>`:
/// each notify is verified, confirmed with queryOrder and stored by `payments`
/// ([`Payments::serve_notify`]), and answered `1`, `2` or `-3`. Your code stores nothing: the
/// payment is in your [`PaymentStore`] when the reply leaves.
///
/// The body is read up to [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) (413 beyond)
/// within the listener's body timeout (408 past it); a forged, malformed or stale notify is
/// answered `-1`; methods other than `GET` and `POST` get 405. Each notify runs in the core's
/// `info` span `pay123.notify`.
///
/// ```
/// use axum::{Router, routing::get};
/// use pay123_axum::notify_router;
/// use pay123_axum::pay123_core::payments::Payments;
/// use pay123_axum::pay123_core::test_util::{FakeGateway, MemoryStore};
/// use pay123_axum::pay123_core::Credentials;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = FakeGateway::new(Credentials::sandbox()).client(); // pay123_hyper::client(..)
/// let payments = Payments::new(client, MemoryStore::default(), tokio::time::sleep);
/// let app: Router = Router::new()
///     .route("/", get(|| async { "my shop" }))
///     .merge(notify_router("/123pay/notify", payments.clone()));
/// # }
/// ```
///
/// # Panics
///
/// If `path` is not a valid axum route path (it must start with `/`).
pub fn notify_router<S, C, St>(path: &str, payments: Payments<C, St>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    C: SendHttpClient,
    St: PaymentStore,
{
    Router::new().route(
        path,
        any(move |request: Request| {
            let payments = payments.clone();
            async move {
                let listener = payments.listener();
                let (parts, read) = body::read(request, listener.body_timeout()).await;
                let answer = match read {
                    Ok(body) => payments.serve_notify(neutral(&parts, &body)).await,
                    Err(refusal) => listener.refuse_body(parts.method.as_str(), &refusal),
                };
                response::from_core(answer)
            }
        }),
    )
}
