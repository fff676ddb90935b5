//! [`Error`]: the core's errors as axum responses, so that `?` works in a handler.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pay123_core::{ClientError, ErrorChain, ResponseError};

/// Any pay123 error, answered as an HTTP response: `?` on a createOrder, a queryOrder, a
/// validation or a verification in a handler that returns `Result<_, pay123_axum::Error>`.
///
/// | error | status |
/// |---|---|
/// | a value breaks the specification's rules (`ValidationError`) | 400 |
/// | a notify or return redirect refused (`VerifyError`) | 400 |
/// | 123PAY busy or unreachable (`ClientError::is_retryable`) | 503, or 504 on a timeout |
/// | 123PAY refused the call, or its answer is unusable | 502 |
///
/// The body is plain text: a line in Vietnamese (123PAY's text for its code, when it gave one)
/// and one in English with the causes. No secret is ever in it. The error is logged at `warn`.
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
        match &self.0 {
            pay123_core::Error::Validation(_) | pay123_core::Error::Verify(_) => {
                StatusCode::BAD_REQUEST
            }
            pay123_core::Error::Client(e) if e.is_timeout() => StatusCode::GATEWAY_TIMEOUT,
            pay123_core::Error::Client(e) if e.is_retryable() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    fn vietnamese(&self) -> &'static str {
        let code = match &self.0 {
            pay123_core::Error::Client(e) => e.return_code(),
            pay123_core::Error::Response(e) => e.return_code(),
            _ => None,
        };
        match (code, self.status()) {
            (Some(code), _) => code.vietnamese(),
            (None, StatusCode::BAD_REQUEST) => "Thông tin không hợp lệ",
            (None, StatusCode::GATEWAY_TIMEOUT) => "123PAY không trả lời kịp thời",
            (None, StatusCode::SERVICE_UNAVAILABLE) => "Không kết nối được với 123PAY",
            (None, _) => "Phản hồi của 123PAY không hợp lệ",
        }
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
        let causes = ErrorChain(&self).to_string();
        tracing::warn!(status = status.as_u16(), error = %causes, "pay123 error answered");
        let body = format!("{}\n{causes}\n", self.vietnamese());
        (
            status,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    }
}
