//! Reading a notify body within [`MAX_NOTIFY_BODY`].

use axum::extract::Request;
use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use pay123_core::MAX_NOTIFY_BODY;

use crate::extract::NotifyRejection;

/// The request with its whole body, or 413 beyond [`MAX_NOTIFY_BODY`].
pub(crate) async fn read(request: Request) -> Result<http::Request<Bytes>, NotifyRejection> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_NOTIFY_BODY as u64) {
        return Err(NotifyRejection::TooLarge);
    }
    let (parts, body) = request.into_parts();
    match Limited::new(body, MAX_NOTIFY_BODY).collect().await {
        Ok(collected) => Ok(http::Request::from_parts(parts, collected.to_bytes())),
        Err(error) if error.is::<LengthLimitError>() => Err(NotifyRejection::TooLarge),
        Err(error) => Err(NotifyRejection::Body(error)),
    }
}
