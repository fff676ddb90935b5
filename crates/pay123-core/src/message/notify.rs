//! notify: 123PAY tells the merchant's listener the result of a transaction.
//!
//! The notify is a form (`application/x-www-form-urlencoded`) POST; the same fields in the query
//! string are accepted too. It carries no amount: confirm the amount with a queryOrder before
//! fulfilling. Merchant side: [`NotifyVerifier::verify`] (or the [`NotifyListener`], which also
//! answers). Gateway side (feature `gateway`): `Notify::new` -> `Notify::to_http_request`.
//!
//! [`NotifyListener`]: crate::NotifyListener

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use crate::message::bank::BankCode;
use crate::message::checksum::{Field, Message, Signed};
use crate::message::error::VerifyError;
use crate::message::rule::{Rule, ValidationError};
use crate::message::secret::SecretKey;
use crate::message::status::TransactionStatus;
use crate::{message::timestamp, message::validate, message::wire};

/// A notify whose fields, checksum and timestamp have been verified (or, on the gateway side, one
/// about to be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub(crate) m_transaction_id: String,
    pub(crate) bank_code: BankCode,
    pub(crate) status: TransactionStatus,
    pub(crate) description: String,
    pub(crate) ts: String,
}

impl Notify {
    /// The signed fields, held to the forms 123PAY writes them in before any checksum is
    /// computed or checked, refusing nothing the specification allows. `bankCode`, the one
    /// required signed field, is of 123PAY's form (`123P` and capital letters, a bank added
    /// later included); `transactionStatus`, when present, has a status's form (digits without a
    /// leading zero, a `-` before them or not); `ts`, when present, is digits without a leading
    /// zero, and one of the two is present (a notify that ended with its bank code could be a
    /// queryOrder answer re-cut), and a notify without `ts` carries a status of the table;
    /// `mTransactionID` holds no control character. With these alphabets no two ways of
    /// splitting a signed string into the fields both pass (see [`docs::protocol`](crate::docs::protocol)). The
    /// description is informative and not signed: a received one is kept whatever its length.
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::received_m_transaction_id("mTransactionID", &self.m_transaction_id)?;
        validate::required("bankCode", self.bank_code.code())?;
        validate::bank_code("bankCode", self.bank_code.code())?;
        if !self.status.code().is_empty() {
            validate::status("transactionStatus", self.status.code())?;
        }
        if !self.ts.is_empty() {
            validate::number("ts", &self.ts, 30)?;
        }
        if self.status.code().is_empty() && self.ts.is_empty() {
            // Every queryOrder answer signs `... + opAmount + bankCode`: read as a notify, it
            // ends with its bank code. A notify with neither field would carry no news anyway.
            return Err(ValidationError::new("transactionStatus", Rule::StatusOrTs));
        }
        if self.ts.is_empty() && matches!(self.status, TransactionStatus::Unknown(_)) {
            // Without `ts`, a notify is never out of date: an unknown status there could be the
            // `ts` of a genuine notify without a status (`"" + T` read as `T + ""`), replayable
            // for ever. Only the table's statuses may come without a `ts`.
            return Err(ValidationError::new(
                "transactionStatus",
                Rule::UnknownWithoutTs,
            ));
        }
        Ok(())
    }

    /// `mTransactionID`: the merchant's order. 123PAY's notify table does not require it: a
    /// notify without one is verified, and names no order.
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
    }
    /// `bankCode`: the bank actually used.
    #[must_use]
    pub fn bank_code(&self) -> &BankCode {
        &self.bank_code
    }
    /// `transactionStatus`. A notify without one (the notify table does not require it) reads
    /// as an unknown status (`Unknown("")`), pending: ask 123PAY with a queryOrder.
    #[must_use]
    pub fn status(&self) -> &TransactionStatus {
        &self.status
    }
    /// `description` (not signed: informative only).
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }
    /// `ts` as received; empty when the notify had none (the notify table does not require it):
    /// such a notify cannot be dated, and is accepted without the window's check. Its status
    /// is only a claim to confirm with queryOrder, as every notify's is.
    #[must_use]
    pub fn ts(&self) -> &str {
        &self.ts
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

#[cfg(test)]
impl Notify {
    /// A notify of these fields, unchecked, with `ts` in milliseconds from `now`.
    pub(crate) fn for_tests(id: &str, bank: &str, status: &str, now: SystemTime) -> Self {
        Self {
            m_transaction_id: id.to_owned(),
            bank_code: BankCode::from_code(bank),
            status: TransactionStatus::from_code(status),
            description: String::new(),
            ts: timestamp::unix_millis(now).to_string(),
        }
    }
}

/// The default `ts` window: 5 minutes, as the specification suggests.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// Verifies notifies: the fields' formats, the checksum, then `ts` against `now`.
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

    /// Verifies a notify as any framework receives it: its form body when it has one, else its
    /// query string. A JSON body is refused: a notify is a form.
    pub fn verify(
        &self,
        request: &crate::NotifyRequest<'_>,
        now: SystemTime,
    ) -> Result<Notify, VerifyError> {
        if let Some(content_type) = request.content_type() {
            let media = content_type.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case("application/json") {
                return Err(VerifyError::NotAForm {
                    content_type: wire::lossy(media.as_bytes()),
                });
            }
        }
        self.verify_form(request.form(), now)
    }

    /// Verifies an `http` request: the form body when there is one, else the query string.
    pub fn verify_request<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        now: SystemTime,
    ) -> Result<Notify, VerifyError> {
        self.verify(&crate::NotifyRequest::from_http(request), now)
    }

    /// Verifies a form-urlencoded body (or a query string: the format is the same).
    pub fn verify_form(&self, form: &[u8], now: SystemTime) -> Result<Notify, VerifyError> {
        let (
            [
                m_transaction_id,
                bank_code,
                status,
                description,
                ts,
                checksum,
            ],
            repeated,
        ) = wire::form_fields(
            form,
            [
                "mTransactionID",
                "bankCode",
                "transactionStatus",
                "description",
                "ts",
                "checksum",
            ],
        );
        let field = |value: Option<Cow<'_, str>>| value.map(Cow::into_owned).unwrap_or_default();
        let notify = Notify {
            m_transaction_id: field(m_transaction_id),
            bank_code: BankCode::from_code(bank_code.as_deref().unwrap_or("")),
            status: TransactionStatus::from_code(status.as_deref().unwrap_or("")),
            description: field(description),
            ts: field(ts),
        };
        // The claimed id, for logs and errors, only when it is a well-formed id.
        let claimed = || {
            let id = &notify.m_transaction_id;
            (!id.is_empty() && validate::received_m_transaction_id("mTransactionID", id).is_ok())
                .then(|| id.clone())
        };
        // A field given twice could be read either way: 123PAY sends each once.
        let repeated = repeated.map(|field| ValidationError::new(field, Rule::Repeated));
        if let Err(error) = repeated.map_or_else(|| notify.validate(), Err) {
            // Signed with the key although its form is refused: 123PAY's, in a form this
            // version does not read, or a re-cut of another signed string. Said in the error so
            // that the listener logs it apart from a forgery.
            let signed = notify.verify(&self.key, checksum.as_deref()).is_ok();
            return Err(VerifyError::Malformed {
                message: Message::Notify,
                error,
                m_transaction_id: claimed(),
                signed,
            });
        }
        notify
            .verify(&self.key, checksum.as_deref())
            .map_err(|error| VerifyError::Checksum {
                error,
                m_transaction_id: claimed(),
            })?;
        if !notify.ts.is_empty() {
            timestamp::check_window(
                Message::Notify,
                "ts",
                &notify.ts,
                now,
                self.window,
                timestamp::Unit::SecondsOrMillis,
            )
            .map_err(|e| e.with_m_transaction_id(claimed()))?;
        }
        Ok(notify)
    }
}
