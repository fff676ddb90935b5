//! [`Error`]: the core's errors as actix-web responses, so that `?` works in a handler.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use pay123_core::{ClientError, ErrorChain, ResponseError as GatewayAnswerError};

/// Any pay123 error, answered as an HTTP response: `?` on a createOrder, a queryOrder, a
/// validation or a verification in a handler that returns `Result<_, pay123_actix::Error>`.
///
/// The status and the plain-text body are the core's
/// ([`pay123_core::Error::http_status`], [`pay123_core::Error::response_text`]): 400 for a
/// value that breaks the specification's rules or a refused notify, 503 (504 on a timeout) when
/// 123PAY is busy or unreachable, 502 when it refused the call or its answer is unusable. No
/// secret is ever in it. The error is logged at `warn`.
#[derive(Debug)]
pub struct Error(pay123_core::Error);

impl Error {
    /// The core's error.
    #[must_use]
    pub fn inner(&self) -> &pay123_core::Error {
        &self.0
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
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
    GatewayAnswerError,
    ClientError
);

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::BAD_GATEWAY)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        tracing::warn!(status = status.as_u16(), error = %ErrorChain(&self.0), "pay123 error answered");
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(self.0.response_text())
    }
}
