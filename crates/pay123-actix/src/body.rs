//! Reading a notify body within the core's size limit and the listener's deadline.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use futures_util::StreamExt;
use pay123_core::BodyRefusal;

/// The whole notify body, or why not: more than
/// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) bytes (declared or read), not received
/// within `timeout` (or a body deadline), or a failed connection.
pub(crate) async fn read(
    request: &HttpRequest,
    payload: Payload,
    timeout: Duration,
) -> Result<Vec<u8>, BodyRefusal> {
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH);
    let chunks = payload.map(|chunk| {
        chunk.map_err(|e| match e {
            PayloadError::Io(io) => io,
            other => std::io::Error::other(other),
        })
    });
    let read = pay123_core::read_notify_body(declared.and_then(|v| v.to_str().ok()), chunks);
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyRefusal::TimedOut))
}
