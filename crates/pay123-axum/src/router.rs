//! [`notify_router`]: the ready notify route.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use pay123_core::NotifyListener;
use tracing::Instrument;

use crate::handler::NotifyHandler;
use crate::{body, trace};

/// A router with the notify listener at `path`, to merge or nest into your own `Router<S>`.
///
/// Every request to `path` is answered by the core ([`NotifyListener::handle`]): the body is
/// read up to [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) (413 beyond), a notify that
/// fails verification (checksum, `ts` window, malformed) is answered `-1` before `handler` runs,
/// `handler`'s outcome is answered `1`, `2` or `-3` (a panic is `-3`), methods other than `GET`
/// and `POST` get 405. Replies are signed JSON with HTTP 200. `handler` receives a clone of the
/// router's state `S`.
///
/// Each notify runs in an `info` span `pay123.notify` (method, `mTransactionID`, status,
/// outcome, `returnCode`) that `handler`'s own events are nested in, and ends with an event.
///
/// # Panics
///
/// If `path` is not a valid axum route path (it must start with `/`).
pub fn notify_router<S, H>(path: &str, listener: NotifyListener, handler: H) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    H: NotifyHandler<S>,
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

async fn answer<S, H: NotifyHandler<S>>(
    listener: &NotifyListener,
    handler: &H,
    state: S,
    request: Request,
) -> Response {
    let span = trace::span(request.method());
    let request = match body::read(request).await {
        Ok(request) => request,
        Err(rejection) => {
            trace::body_refused(&span, &rejection);
            return rejection.into_response();
        }
    };
    let handled = listener
        .handle(&request, SystemTime::now(), |notify| {
            trace::verified(&span, &notify);
            handler.handle(notify, state)
        })
        .instrument(span.clone())
        .await;
    trace::answered(&span, &handled);
    handled.response.map(Body::from)
}
