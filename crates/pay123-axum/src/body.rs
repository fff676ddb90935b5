//! Reading a notify body within the core's size limit and deadline.

use axum::extract::Request;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::Duration;

use pay123_core::{BodyRefusal, MAX_NOTIFY_BODY};

/// The whole body, or why not: more than [`MAX_NOTIFY_BODY`] bytes (declared or read), not
/// received within the listener's body timeout, or a failed connection.
pub(crate) async fn read(
    request: Request,
    timeout: Duration,
) -> (http::request::Parts, Result<Bytes, BodyRefusal>) {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_NOTIFY_BODY as u64) {
        return (parts, Err(BodyRefusal::TooLarge));
    }
    let mut collect = std::pin::pin!(Limited::new(body, MAX_NOTIFY_BODY).collect());
    // A notify's body almost always comes with its head: read it without arming a timer.
    let ready = std::future::poll_fn(|cx| std::task::Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match ready {
        std::task::Poll::Ready(done) => Ok(done),
        std::task::Poll::Pending => tokio::time::timeout(timeout, collect).await,
    };
    let read = match collected {
        Err(_) => Err(BodyRefusal::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(BodyRefusal::TooLarge),
        Ok(Err(error)) if pay123_hyper::server::BodyTimeout::is_in(error.as_ref()) => {
            Err(BodyRefusal::TimedOut)
        }
        Ok(Err(error)) => Err(BodyRefusal::Unreadable(error.to_string())),
    };
    (parts, read)
}
