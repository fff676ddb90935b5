//! Reading a notify body within the core's size limit and the listener's deadline.

use std::time::Duration;

use axum::extract::Request;
use pay123_core::BodyRefusal;

/// The whole body, or why not: more than [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY)
/// bytes (declared or read), not received within `timeout` (or the server's body deadline), or
/// a failed connection.
pub(crate) async fn read(
    request: Request,
    timeout: Duration,
) -> (http::request::Parts, Result<Vec<u8>, BodyRefusal>) {
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(http::header::CONTENT_LENGTH);
    let read = pay123_core::read_notify_body(
        declared.and_then(|v| v.to_str().ok()),
        body.into_data_stream(),
    );
    let read = tokio::time::timeout(timeout, read).await;
    (parts, read.unwrap_or(Err(BodyRefusal::TimedOut)))
}
