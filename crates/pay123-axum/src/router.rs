//! [`notify_router`]: the ready notify route.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use pay123_core::{NotifyHandler, NotifyListener};

use crate::{body, neutral, response};

/// A router with the notify listener at `path`, to merge or nest into your own `Router<S>`.
///
/// Every request to `path` is answered by the core
/// ([`NotifyListener::serve`](pay123_core::NotifyListener::serve)): the body is read up to
/// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) (413 beyond) within
/// [`NOTIFY_BODY_TIMEOUT`](pay123_core::NOTIFY_BODY_TIMEOUT) (408 past it); a notify that fails
/// verification is answered `-1` before `handler` runs; `handler`'s outcome is answered `1`, `2`
/// or `-3` (an error or a panic is `-3`, and the error is logged with the order); methods other
/// than `GET` and `POST` get 405. `handler` receives a clone of the router's state `S`.
///
/// Each notify runs in the core's `info` span `pay123.notify`, which `handler`'s own events are
/// nested in, and ends with one event.
///
/// # Panics
///
/// If `path` is not a valid axum route path (it must start with `/`).
pub fn notify_router<S, H>(path: &str, listener: NotifyListener, handler: H) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    H: NotifyHandler<S>,
    H::Future: Send,
{
    let listener = Arc::new(listener);
    Router::new().route(
        path,
        any(move |State(state): State<S>, request: Request| {
            let listener = listener.clone();
            let handler = handler.clone();
            async move { answer(&listener, &handler, state, request).await }
        }),
    )
}

async fn answer<S, H>(
    listener: &NotifyListener,
    handler: &H,
    state: S,
    request: Request,
) -> Response
where
    H: NotifyHandler<S>,
{
    let (parts, read) = body::read(request, listener.body_timeout()).await;
    let answer = match read {
        Ok(body) => listener.serve(neutral(&parts, &body), state, handler).await,
        Err(refusal) => listener.refuse_body(parts.method.as_str(), &refusal),
    };
    response::from_core(answer)
}
