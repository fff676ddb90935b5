//! [`Error`]: pay123's errors as rocket responders, so that `?` works in a route.

use pay123_core::{ClientError, ResponseError};
use rocket::Request;
use rocket::response::{self, Responder};

use crate::answer::NotifyAnswer;

/// Any pay123 error, answered as an HTTP response: `?` on a checkout
/// ([`Payments::create`](pay123_core::payments::Payments::create)), a return page, a
/// createOrder, a queryOrder or a validation in a route that returns `Result<_,
/// pay123_rocket::Error>`.
///
/// The status and the body are the core's ([`pay123_core::Error::to_response`]): 500 for the
/// merchant's own mistakes (a value that breaks a rule, wrong credentials, the store failing),
/// 503 (504 on a timeout) when 123PAY is busy or unreachable, 502 when it refused the payment,
/// 400 for a refused notify or return redirect. The body tells the buyer what happened and what
/// to do, in Vietnamese then English: JSON when the request's `Accept` asks for JSON, text
/// otherwise. No secret and no cause is in it: the cause is logged (`error` for a 500, `warn`
/// otherwise).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(pay123_core::Error);

impl Error {
    /// The core's error.
    #[must_use]
    pub fn inner(&self) -> &pay123_core::Error {
        &self.0
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
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let json = pay123_core::wants_json(request.headers().get("Accept"));
        let answer = self.0.to_response(json);
        self.0.log_answered(answer.status());
        NotifyAnswer(answer).respond_to(request)
    }
}
