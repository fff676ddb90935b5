//! [`Error`]: the core's errors as axum responses, so that `?` works in a handler.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pay123_core::{ClientError, ErrorChain, ResponseError};

/// Any pay123 error, answered as an HTTP response: `?` on a createOrder, a queryOrder, a
/// validation or a verification in a handler that returns `Result<_, pay123_axum::Error>`.
///
/// The status and the plain-text body are the core's
/// ([`pay123_core::Error::http_status`], [`pay123_core::Error::response_text`]): 400 for a
/// value that breaks the specification's rules or a refused notify, 503 (504 on a timeout) when
/// 123PAY is busy or unreachable, 502 when it refused the call or its answer is unusable. No
/// secret is ever in it. The error is logged at `warn`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(pay123_core::Error);

impl Error {
    /// The core's error.
    #[must_use]
    pub fn inner(&self) -> &pay123_core::Error {
        &self.0
    }

    /// The HTTP status it is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::BAD_GATEWAY)
    }
}

macro_rules! from_core {
    ($($error:ty),*) => {$(
        impl From<$error> for Error {
            fn from(error: $error) -> Self {
                Self(error.into())
            }
        }
    )*};
}

from_core!(
    pay123_core::Error,
    pay123_core::ValidationError,
    pay123_core::VerifyError,
    pay123_core::ChecksumError,
    ResponseError,
    ClientError
);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        tracing::warn!(status = status.as_u16(), error = %ErrorChain(&self), "pay123 error answered");
        (
            status,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.0.response_text(),
        )
            .into_response()
    }
}
