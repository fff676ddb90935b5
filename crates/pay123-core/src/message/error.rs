//! Errors of the protocol core. Each names the message, field or rule involved, never a secret,
//! and says its cause once: in its message, or as its [`source`](std::error::Error::source),
//! never both. [`ErrorChain`] prints an error with its causes.

use std::error::Error as StdError;
use std::fmt;

use crate::message::checksum::{ChecksumError, Message};
use crate::message::rule::ValidationError;
use crate::message::status::ReturnCode;

/// An error and its causes, outermost first, joined by `: ` (`the call to 123PAY failed in
/// transport: the request was not sent: connection refused`). A cause whose text the previous
/// one already says is left out.
///
/// ```
/// use pay123_core::ErrorChain;
/// let error = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"));
/// assert_eq!(ErrorChain(&error).to_string(), "timed out");
/// ```
#[derive(Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = String::new();
        for error in chain(self.0) {
            let text = error.to_string();
            if text.is_empty() || said.contains(&text) {
                continue;
            }
            if !said.is_empty() {
                said.push_str(": ");
            }
            said.push_str(&text);
        }
        f.write_str(&said)
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The errors of a chain, outermost first, descending into `io::Error`s (whose `source()` skips
/// the error they carry).
pub(crate) fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

/// A response of 123PAY (createOrder or queryOrder) that could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// 123PAY answered with an error code (`[returnCode, description]`).
    #[error(
        "123PAY answered {code} ({}): {description}{}",
        code.english(),
        if *code == ReturnCode::AuthenticationFailed {
            " (check the merchant code, the passcode, and the checksum: `pay123 checksum explain` \
             shows what the checksum signs)"
        } else {
            ""
        }
    )]
    Gateway {
        /// The code.
        code: ReturnCode,
        /// The gateway's description.
        description: String,
    },
    /// The HTTP status was not 200 (415 means the `Accept: application/json` header was missing).
    #[error("HTTP status {status} from 123PAY; body: {body}")]
    Status {
        /// The HTTP status.
        status: http::StatusCode,
        /// The body, lossily decoded.
        body: String,
    },
    /// The body was not the JSON array the specification describes.
    #[error("unexpected response body ({reason}): {body}")]
    Malformed {
        /// What was wrong.
        reason: String,
        /// The body, lossily decoded.
        body: String,
    },
    /// A success answer whose checksum did not verify.
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
}

impl ResponseError {
    /// The gateway's return code, when 123PAY answered with one.
    #[must_use]
    pub fn return_code(&self) -> Option<&ReturnCode> {
        match self {
            Self::Gateway { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A notify, or a return redirect, refused before the merchant's code sees it.
///
/// Where the request claimed a well-formed `mTransactionID` (the return redirect's
/// `transactionID`), the error keeps it for logs:
/// [`claimed_m_transaction_id`](Self::claimed_m_transaction_id). It is a claim, not a fact: the
/// request failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A field is missing or breaks the specification's format.
    #[error("malformed {message}: {error}")]
    Malformed {
        /// The message: notify or return ticket.
        message: Message,
        /// The field and rule.
        error: ValidationError,
        /// The `mTransactionID` claimed, when well formed.
        m_transaction_id: Option<String>,
        /// The checksum verifies over the fields as received: the message was signed with the
        /// merchant's key, by 123PAY in a form this version does not read, or cut out of another
        /// signed string. A refused notify of this kind is logged at `warn` apart from forgeries:
        /// 123PAY retries it a few times, then gives up (the reconciler still finds the payment).
        signed: bool,
    },
    /// The checksum did not verify.
    #[error("{error}")]
    Checksum {
        /// What was wrong with it.
        error: ChecksumError,
        /// The `mTransactionID` claimed, when well formed.
        m_transaction_id: Option<String>,
    },
    /// The HTTP method is neither `POST` nor `GET`.
    #[error("HTTP method {0} is not accepted for a notify; 123PAY uses POST")]
    Method(String),
    /// The body is JSON: a notify is a form (`application/x-www-form-urlencoded`).
    #[error("a notify is a form (application/x-www-form-urlencoded), not {content_type}")]
    NotAForm {
        /// The content type received.
        content_type: String,
    },
    /// `ts` is outside the accepted window around `now`.
    #[error("{field} {ts} is {age_seconds} s away from now, outside the {window_seconds} s window")]
    Expired {
        /// `ts` (notify) or `time` (return redirect).
        field: &'static str,
        /// The ts received.
        ts: String,
        /// How far from now it is, in seconds.
        age_seconds: u64,
        /// The window, in seconds.
        window_seconds: u64,
        /// The `mTransactionID` claimed.
        m_transaction_id: Option<String>,
    },
}

impl VerifyError {
    /// The `mTransactionID` (or return `transactionID`) the refused request claimed, when it was
    /// well formed: for logs and for finding the order, never to be trusted.
    #[must_use]
    pub fn claimed_m_transaction_id(&self) -> Option<&str> {
        match self {
            Self::Malformed {
                m_transaction_id, ..
            }
            | Self::Checksum {
                m_transaction_id, ..
            }
            | Self::Expired {
                m_transaction_id, ..
            } => m_transaction_id.as_deref(),
            Self::Method(_) | Self::NotAForm { .. } => None,
        }
    }

    /// The same error, naming this claimed id.
    pub(crate) fn with_m_transaction_id(mut self, claimed: Option<String>) -> Self {
        if let Self::Malformed {
            m_transaction_id, ..
        }
        | Self::Checksum {
            m_transaction_id, ..
        }
        | Self::Expired {
            m_transaction_id, ..
        } = &mut self
        {
            *m_transaction_id = claimed;
        }
        self
    }
}
