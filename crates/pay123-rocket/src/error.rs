//! [`Error`]: the core's errors as rocket responders, so that `?` works in a route.

use std::io::Cursor;

use pay123_core::{ClientError, ErrorChain, ResponseError};
use rocket::Request;
use rocket::http::Status;
use rocket::response::{self, Responder, Response};

/// Any pay123 error, answered as an HTTP response: `?` on a createOrder, a queryOrder, a
/// validation or a verification in a route that returns `Result<_, pay123_rocket::Error>`.
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
    ResponseError,
    ClientError
);

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let status = self.0.http_status();
        tracing::warn!(status, error = %ErrorChain(&self.0), "pay123 error answered");
        let body = self.0.response_text();
        Response::build()
            .status(Status::new(status))
            .raw_header("Content-Type", "text/plain; charset=utf-8")
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}
