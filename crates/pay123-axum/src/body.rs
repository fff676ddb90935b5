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
    let collect = Limited::new(body, MAX_NOTIFY_BODY).collect();
    let read = match tokio::time::timeout(timeout, collect).await {
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
