//! The core's answers as axum responses.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use pay123_core::PlainResponse;

/// A core answer, written as axum writes a response.
pub(crate) fn from_core(answer: PlainResponse) -> Response {
    answer.into_http().map(Body::from).into_response()
}
