//! The lower door: notifies verified (fields, checksum, `ts` window) but **not confirmed** with
//! queryOrder. A notify carries no amount and is only a hint: code that takes this door must
//! confirm the payment itself ([`OrderStatus::judge`](pay123_core::OrderStatus::judge) after
//! a queryOrder) before calling it paid. [`notify_router`](crate::notify_router) does all of it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::response::Response;
use axum::routing::any;
use pay123_core::{NotifyHandler, NotifyListener};

pub use crate::extract::{NotifyRejection, VerifiedNotify};
use crate::{body, neutral, response};

/// A router with the notify listener at `path`, calling `handler` with each verified (not
/// confirmed) notify and a `T` taken from the router's state (`T: FromRef<S>`: the state itself,
/// or a part of it such as your client or pool).
///
/// `handler`'s outcome is answered `1`, `2` or `-3` (an error or a panic is `-3`, and the error
/// is logged with the order); a forged, malformed or stale notify is answered `-1` before it
/// runs; the body limits are [`notify_router`](crate::notify_router)'s.
///
/// ```
/// use axum::Router;
/// use pay123_axum::unconfirmed::notify_router;
/// use pay123_axum::pay123_core::{Notify, NotifyListener, NotifyOutcome, SecretKey};
///
/// #[derive(Clone)]
/// struct Shop; // your state: a pool, a client...
///
/// async fn on_notify(notify: Notify, shop: Shop) -> Result<NotifyOutcome, String> {
///     // Not confirmed: ask 123PAY (queryOrder) and judge the answer before calling it paid.
///     Ok(NotifyOutcome::RetryLater)
/// }
///
/// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
/// let app: Router = Router::new()
///     .merge(notify_router("/123pay/notify", listener, on_notify))
///     .with_state(Shop);
/// ```
///
/// # Panics
///
/// If `path` is not a valid axum route path (it must start with `/`).
pub fn notify_router<S, T, H>(path: &str, listener: NotifyListener, handler: H) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    T: FromRef<S> + Send + 'static,
    H: NotifyHandler<T>,
    H::Future: Send,
{
    let listener = Arc::new(listener);
    Router::new().route(
        path,
        any(move |State(state): State<S>, request: Request| {
            let listener = listener.clone();
            let handler = handler.clone();
            async move { answer(&listener, &handler, T::from_ref(&state), request).await }
        }),
    )
}

async fn answer<T, H: NotifyHandler<T>>(
    listener: &NotifyListener,
    handler: &H,
    state: T,
    request: Request,
) -> Response {
    let (parts, read) = body::read(request, listener.body_timeout()).await;
    let answer = match read {
        Ok(body) => listener.serve(neutral(&parts, &body), state, handler).await,
        Err(refusal) => listener.refuse_body(parts.method.as_str(), &refusal),
    };
    response::from_core(answer)
}
