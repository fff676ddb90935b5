//! notify: 123PAY tells the merchant's listener the result of a transaction.
//!
//! The notify is a form (`application/x-www-form-urlencoded`) POST; the same fields in the query
//! string are accepted too. It carries no amount: confirm the amount with a queryOrder before
//! fulfilling. Gateway side: [`Notify::new`] -> [`Notify::to_http_request`]. Merchant side:
//! [`NotifyVerifier::verify_request`].

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Request, Uri, header};

use crate::bank::BankCode;
use crate::checksum::{Field, Message, Signed};
use crate::error::{ValidationError, VerifyError};
use crate::secret::SecretKey;
use crate::status::TransactionStatus;
use crate::{timestamp, validate, wire};

/// A notify whose checksum and timestamp have been verified (or one the gateway is about to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    m_transaction_id: String,
    bank_code: BankCode,
    status: TransactionStatus,
    description: String,
    ts: String,
}

impl Notify {
    /// A notify for the gateway to send, with `ts` in milliseconds taken from `now`.
    pub fn new(
        m_transaction_id: impl Into<String>,
        bank_code: BankCode,
        status: TransactionStatus,
        description: impl Into<String>,
        now: SystemTime,
    ) -> Result<Self, ValidationError> {
        let notify = Self {
            m_transaction_id: m_transaction_id.into(),
            bank_code,
            status,
            description: description.into(),
            ts: timestamp::unix_millis(now).to_string(),
        };
        notify.validate()?;
        validate::max_len("description", &notify.description, 255)?;
        Ok(notify)
    }

    /// The signed fields. The description is informative and not signed: a received one is
    /// kept whatever its length.
    fn validate(&self) -> Result<(), ValidationError> {
        validate::required("mTransactionID", &self.m_transaction_id)?;
        validate::token("mTransactionID", &self.m_transaction_id, 50)?;
        validate::required("bankCode", self.bank_code.code())?;
        validate::token("bankCode", self.bank_code.code(), 20)?;
        validate::code("transactionStatus", self.status.code())?;
        validate::number("ts", &self.ts, 30)?;
        Ok(())
    }

    /// `mTransactionID`: the merchant's order.
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
    }
    /// `bankCode`: the bank actually used.
    #[must_use]
    pub fn bank_code(&self) -> &BankCode {
        &self.bank_code
    }
    /// `transactionStatus`.
    #[must_use]
    pub fn status(&self) -> &TransactionStatus {
        &self.status
    }
    /// `description` (not signed: informative only).
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }
    /// `ts` as received.
    #[must_use]
    pub fn ts(&self) -> &str {
        &self.ts
    }

    /// The signed form body (gateway side).
    #[must_use]
    pub fn to_form(&self, key: &SecretKey) -> String {
        let checksum = self.checksum(key);
        wire::form_encode([
            ("mTransactionID", self.m_transaction_id.as_str()),
            ("bankCode", self.bank_code.code()),
            ("transactionStatus", self.status.code()),
            ("description", self.description.as_str()),
            ("ts", self.ts.as_str()),
            ("checksum", checksum.as_str()),
        ])
    }

    /// The signed form POST to a merchant's listener (gateway side).
    #[must_use]
    pub fn to_http_request(&self, listener: &Uri, key: &SecretKey) -> Request<Bytes> {
        let mut request = Request::new(Bytes::from(self.to_form(key)));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = listener.clone();
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request
    }
}

impl Signed for Notify {
    const MESSAGE: Message = Message::Notify;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::MTransactionId => &self.m_transaction_id,
            Field::BankCode => self.bank_code.code(),
            Field::TransactionStatus => self.status.code(),
            Field::Ts => &self.ts,
            _ => "",
        }
    }
}

/// The default `ts` window: 5 minutes, as the specification suggests.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// Verifies notifies: the checksum, then `ts` against `now`.
#[derive(Debug, Clone)]
pub struct NotifyVerifier {
    key: SecretKey,
    window: Duration,
}

impl NotifyVerifier {
    /// A verifier with the merchant's key and the default 5-minute window.
    #[must_use]
    pub fn new(key: SecretKey) -> Self {
        Self {
            key,
            window: DEFAULT_WINDOW,
        }
    }

    /// Accepts a `ts` at most `window` away from `now` (either side).
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Verifies a request: the form body when there is one, else the query string.
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: SystemTime,
    ) -> Result<Notify, VerifyError> {
        self.verify_pairs(&request_pairs(request), now)
    }

    /// Verifies a form-urlencoded body (or a query string: the format is the same).
    pub fn verify_form(&self, form: &[u8], now: SystemTime) -> Result<Notify, VerifyError> {
        self.verify_pairs(&wire::form_pairs(form), now)
    }

    fn verify_pairs(
        &self,
        pairs: &[(String, String)],
        now: SystemTime,
    ) -> Result<Notify, VerifyError> {
        let malformed = |error| VerifyError::Malformed {
            message: Message::Notify,
            error,
        };
        let field = |name: &'static str| wire::form_field(pairs, name).unwrap_or("").to_owned();
        let notify = Notify {
            m_transaction_id: field("mTransactionID"),
            bank_code: BankCode::from_code(&field("bankCode")),
            status: TransactionStatus::from_code(&field("transactionStatus")),
            description: field("description"),
            ts: field("ts"),
        };
        notify.validate().map_err(malformed)?;
        notify
            .verify(&self.key, wire::form_field(pairs, "checksum"))
            .map_err(VerifyError::Checksum)?;
        timestamp::check_window(Message::Notify, "ts", &notify.ts, now, self.window)?;
        Ok(notify)
    }
}

/// The form pairs of a notify request: its body if it has one, else its query string.
pub(crate) fn request_pairs<B: AsRef<[u8]>>(request: &Request<B>) -> Vec<(String, String)> {
    let body = request.body().as_ref();
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        wire::form_pairs(body)
    } else {
        wire::form_pairs(request.uri().query().unwrap_or("").as_bytes())
    }
}
