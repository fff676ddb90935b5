//! The gateway side's errors: a request or a notify reply it cannot use.

use crate::message::checksum::ChecksumError;
use crate::message::rule::ValidationError;
use crate::message::status::ReturnCode;

/// A request to the gateway (createOrder, queryOrder) that the gateway side refuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No `Accept: application/json` header: 123PAY answers HTTP 415.
    #[error("the request has no `Accept: application/json` header")]
    NotAcceptable,
    /// The body is not a JSON object.
    #[error("the body is not a JSON object: {0}")]
    Json(String),
    /// A field is missing or malformed: 123PAY answers 6100.
    #[error(transparent)]
    Field(#[from] ValidationError),
    /// Wrong merchant code or passcode: 123PAY answers 6000.
    #[error("merchant authentication failed: {0}")]
    Authentication(String),
    /// The merchant code and the passcode are right, the checksum is not: 123PAY answers 6000.
    /// Only then may a gateway look closer at the request for its own operator (the sandbox
    /// explains the mismatch on its admin API, never to the sender).
    #[error("merchant authentication failed: {0}")]
    Checksum(ChecksumError),
}

impl RequestError {
    /// A merchant code the gateway does not know: failed authentication (`6000`).
    pub(crate) fn unknown_merchant(merchant_code: &str) -> Self {
        Self::Authentication(format!("unknown merchantCode {merchant_code:?}"))
    }

    /// 123PAY's answer to this error: HTTP 415 for a missing `Accept: application/json`, else
    /// `[returnCode, description]` with HTTP 200: 6100 for a missing or malformed field, 6000 for
    /// failed authentication. The description is the specification's text for the code, exactly
    /// as 123PAY sends it (`Xác thực đối tác thất bại`): it never says which field or which
    /// credential was wrong. That explanation is this error's `Display`, for the gateway's own
    /// log.
    #[must_use]
    pub fn to_http_response(&self) -> http::Response<bytes::Bytes> {
        match self.return_code() {
            Some(code) => super::answer::error_response(&code, code.vietnamese()),
            None => {
                let mut response = http::Response::new(bytes::Bytes::from_static(
                    b"Unsupported Media Type: send the header Accept: application/json",
                ));
                *response.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
                response
            }
        }
    }

    /// The return code 123PAY answers this error with (`None` for HTTP 415).
    #[must_use]
    pub fn return_code(&self) -> Option<ReturnCode> {
        match self {
            Self::NotAcceptable => None,
            Self::Json(_) | Self::Field(_) => Some(ReturnCode::InvalidParameter),
            Self::Authentication(_) | Self::Checksum(_) => Some(ReturnCode::AuthenticationFailed),
        }
    }
}

/// A notify reply that the gateway side cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// Not the JSON object of the specification.
    #[error("malformed notify reply ({reason}): {body}")]
    Malformed {
        /// What was wrong.
        reason: String,
        /// The body, lossily decoded.
        body: String,
    },
    /// The checksum did not verify.
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
    /// A signed reply whose `returnCode` is none of the reply table's.
    #[error("the reply's returnCode {0:?} is none of 1, 2, -1, -2, -3")]
    UnknownCode(String),
    /// A signed reply whose `ts` is not a timestamp within the window.
    #[error("the reply's ts: {0}")]
    Ts(String),
    /// A valid reply, but about another order than the notify it answers.
    #[error("the reply is about mTransactionID {got:?}, the notify was about {expected:?}")]
    OtherOrder {
        /// The notify's mTransactionID.
        expected: String,
        /// The reply's mTransactionID.
        got: String,
    },
}
