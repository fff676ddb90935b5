//! Errors of the protocol core. Each names the message, field or rule involved, never a secret,
//! and says its cause once: in its message, or as its [`source`](std::error::Error::source),
//! never both. [`ErrorChain`] prints an error with its causes.

use std::error::Error as StdError;
use std::fmt;

use crate::checksum::Message;
use crate::status::ReturnCode;

/// A result whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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

/// Any error a merchant meets with this crate, for `?` in code that does several things.
///
/// Every error says, the same way in every framework adapter, whether trying again may help
/// ([`is_retryable`](Self::is_retryable)), the HTTP status to answer
/// ([`http_status`](Self::http_status)), what to tell the buyer, in Vietnamese and English
/// ([`vietnamese`](Self::vietnamese), [`english`](Self::english)), and what the operator needs
/// ([`ErrorChain`], or `{:#}`). See [`Failure`](crate::Failure) for the classes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value broke a rule of the specification.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A checksum did not verify.
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
    /// A response of 123PAY could not be used.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// A notify or a return redirect was refused.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A createOrder or queryOrder call failed.
    #[error(transparent)]
    Client(#[from] crate::ClientError),
    /// The merchant's payment store failed.
    #[error(transparent)]
    Store(#[from] crate::payments::StoreError),
    /// createOrder did not create the payment; the order is recorded.
    #[error(transparent)]
    NotCreated(#[from] crate::payments::NotCreated),
    /// A notify reply could not be used (gateway side).
    #[cfg(feature = "gateway")]
    #[error(transparent)]
    Reply(#[from] ReplyError),
    /// A request to the gateway could not be used (gateway side).
    #[cfg(feature = "gateway")]
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// A field broke a rule of the specification's parameter tables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    /// The field, spelled as on the wire (`custName`, `totalAmount`, ...).
    pub field: &'static str,
    /// The rule it broke.
    pub rule: Rule,
}

impl ValidationError {
    pub(crate) fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

/// A rule of the specification's parameter tables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The field is required and was missing or empty.
    Required,
    /// The field is longer than the specification allows (in characters).
    TooLong {
        /// The maximum length.
        max: usize,
        /// The length given.
        actual: usize,
    },
    /// A character outside ASCII ("Tiếng Việt không dấu" is required).
    NotAscii {
        /// The first offending character.
        character: char,
    },
    /// A character the field does not allow.
    Character {
        /// The first offending character.
        character: char,
        /// What the field allows.
        allowed: &'static str,
    },
    /// `custGender` must be `M`, `F` or `U`.
    Gender,
    /// A date must be written `dd/MM/yyyy`.
    DateFormat,
    /// The date does not exist.
    Date,
    /// An IPv4 address in dotted form was expected.
    Ipv4,
    /// An e-mail address (`name@domain`) was expected.
    Email,
    /// An absolute `http` or `https` URL was expected.
    Url(String),
    /// The amount must be a positive whole number of VND written with digits only.
    Amount,
    /// A whole number written with digits (a timestamp, a code) was expected.
    Number,
    /// A JSON string was expected; 123PAY wants every value as a string.
    NotAString,
    /// A bank code of the specification (or `123PAY`) was expected.
    UnknownBank,
    /// A number (`ts`, `time`) must not start with `0`: with leading zeros allowed, the end of
    /// one signed field could be moved into the next (a status `-100` and a `ts` `T` sign the
    /// same string as a status `-10` and a `ts` `0T`).
    LeadingZero,
    /// A transaction status must be `0`, digits without a leading zero, `-10` or `-100`.
    Status,
    /// An `mTransactionID` must not end with a bank code, alone or followed by digits: joined
    /// with the digits of a return code and a `ts`, it would read as a notify of another order.
    EndsWithBankCode {
        /// The bank code found.
        bank: &'static str,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("is required"),
            Self::TooLong { max, actual } => {
                write!(f, "is {actual} characters long, at most {max} are allowed")
            }
            Self::NotAscii { character } => write!(
                f,
                "contains {character:?}: values must be Vietnamese without diacritics \
                 (Tiếng Việt không dấu); convert with pay123_core::text::unaccent"
            ),
            Self::Character { character, allowed } => {
                write!(f, "contains {character:?}; allowed: {allowed}")
            }
            Self::Gender => f.write_str("must be M, F or U"),
            Self::DateFormat => f.write_str("must be written dd/MM/yyyy"),
            Self::Date => f.write_str("is not a real date"),
            Self::Ipv4 => f.write_str("must be an IPv4 address such as 203.113.1.10"),
            Self::Email => f.write_str("must be an e-mail address such as an@shop.vn"),
            Self::Url(reason) => write!(f, "must be an absolute http(s) URL: {reason}"),
            Self::Amount => f.write_str(
                "must be a positive whole number of VND with digits only (\"100000\", not \"100000.0\")",
            ),
            Self::Number => f.write_str("must be a whole number written with digits"),
            Self::LeadingZero => f.write_str(
                "must be written without a leading zero: 123PAY joins signed fields with no \
                 separator, so a leading zero could belong to the field before it",
            ),
            Self::NotAString => f.write_str("must be a JSON string"),
            Self::UnknownBank => f.write_str(
                "must be a bank code of the specification, such as 123PVCB, or 123PAY",
            ),
            Self::Status => f.write_str(
                "must be a status of the specification: 0, digits without a leading zero, -10 or -100",
            ),
            Self::EndsWithBankCode { bank } => write!(
                f,
                "ends with the bank code {bank} (and digits): 123PAY joins signed fields with no \
                 separator, so a signature over this id would also sign a notify of another order; \
                 choose an id that does not end that way"
            ),
        }
    }
}

/// What went wrong with a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumFault {
    /// No checksum was given.
    Missing,
    /// The checksum is not hex of the right length.
    Malformed,
    /// The checksum is well formed but does not match.
    Mismatch,
}

/// A checksum did not verify. Says which message and field order were used, never the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{fault_text} checksum on {message}: expected {algorithm} of {order}")]
pub struct ChecksumError {
    /// The message whose checksum failed.
    pub message: Message,
    /// What was wrong.
    pub fault: ChecksumFault,
    fault_text: &'static str,
    algorithm: &'static str,
    order: String,
}

impl ChecksumError {
    pub(crate) fn new(message: Message, fault: ChecksumFault) -> Self {
        Self {
            message,
            fault,
            fault_text: match fault {
                ChecksumFault::Missing => "missing",
                ChecksumFault::Malformed => "malformed",
                ChecksumFault::Mismatch => "wrong",
            },
            algorithm: message.algorithm_name(),
            order: message.field_order(),
        }
    }
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

/// A request to the gateway (createOrder, queryOrder) that the gateway side refuses.
#[cfg(feature = "gateway")]
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
    /// Wrong merchant code, passcode or checksum: 123PAY answers 6000.
    #[error("merchant authentication failed: {0}")]
    Authentication(String),
}

#[cfg(feature = "gateway")]
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
            Some(code) => crate::wire::error_response(&code, code.vietnamese()),
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
            Self::Authentication(_) => Some(ReturnCode::AuthenticationFailed),
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

/// A notify reply that the gateway side cannot use.
#[cfg(feature = "gateway")]
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
    /// A valid reply, but about another order than the notify it answers.
    #[error("the reply is about mTransactionID {got:?}, the notify was about {expected:?}")]
    OtherOrder {
        /// The notify's mTransactionID.
        expected: String,
        /// The reply's mTransactionID.
        got: String,
    },
}
