//! What the sandbox shows of a transaction: its status history and every notify attempt. These
//! are snapshots, returned by the in-process API and, as JSON, by the admin API.

use std::time::SystemTime;

use pay123_core::{BankCode, NotifyReturnCode, ReturnCode, TransactionStatus};
use serde::{Serialize, Serializer};

/// A transaction as the sandbox sees it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Transaction {
    /// The merchant that created it.
    pub merchant_code: String,
    /// The merchant's `mTransactionID`.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: String,
    /// The sandbox's `123PAYtransactionId`.
    #[serde(rename = "123PAYtransactionId")]
    pub transaction_id: String,
    /// The current status.
    pub status: TransactionStatus,
    /// The status's Vietnamese text, as in the specification.
    pub status_text: &'static str,
    /// The status's English text.
    pub status_english: &'static str,
    /// Whether the status is final (success or a final failure).
    pub is_final: bool,
    /// The `bankCode` of the createOrder (`123PAY` when the buyer chooses).
    pub requested_bank: BankCode,
    /// The bank actually used (the requested one until the buyer chooses).
    pub bank_code: BankCode,
    /// createOrder's `clientIP`: the buyer's address as the merchant saw it (`None` when absent).
    pub client_ip: Option<std::net::Ipv4Addr>,
    /// `totalAmount` in VND.
    pub total_amount: u64,
    /// `opAmount`: what the bank charged (the total amount once paid, else 0).
    pub op_amount: u64,
    /// The `totalAmount` queryOrder reports instead of [`total_amount`](Self::total_amount)
    /// (and, once paid, as `opAmount`), when set with
    /// [`Gateway::report_total_amount`](crate::Gateway::report_total_amount).
    pub reported_total_amount: Option<u64>,
    /// The order's `description`.
    pub description: String,
    /// The URL the buyer was sent to (the `redirectURL` of the createOrder answer).
    pub payment_url: String,
    /// Where 123PAY sends the buyer back: the createOrder's return URLs.
    pub return_urls: ReturnUrls,
    /// Where the buyer is in the bank pages.
    pub step: Step,
    /// When createOrder was received.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: SystemTime,
    /// When the bank pages stop accepting input and a pending transaction fails.
    #[serde(serialize_with = "rfc3339")]
    pub session_deadline: SystemTime,
    /// What happened, in order, with the status after each event.
    pub history: Vec<HistoryEntry>,
    /// Every notify attempt, in order.
    pub notify_attempts: Vec<NotifyAttempt>,
    /// Whether a notify delivery is still running (retries may follow).
    pub notify_in_progress: bool,
    /// The queryOrder calls answered about it.
    pub query_calls: u64,
}

/// The merchant's pages a buyer comes back to, as the createOrder gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReturnUrls {
    /// `redirectURL`: after a payment, or while it is pending.
    pub redirect: String,
    /// `cancelURL`, when it names another page than `redirectURL`.
    pub cancel: Option<String>,
    /// `errorURL`, when it names another page than `redirectURL`.
    pub error: Option<String>,
}

impl Transaction {
    /// The notify attempts that got a valid reply acknowledging the notify (`1` or `2`).
    pub fn acknowledged_attempts(&self) -> impl Iterator<Item = &NotifyAttempt> {
        self.notify_attempts
            .iter()
            .filter(|a| a.outcome == AttemptOutcome::Acknowledged)
    }
}

/// Where the buyer is in the bank pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// The bank choice page (createOrder with `bankCode` `123PAY`).
    ChooseBank,
    /// The card page.
    Card,
    /// The OTP page.
    Otp,
    /// Back at the merchant with status `20`; the bank's result comes later.
    AwaitingBank,
    /// The status is final.
    Finished,
}

/// What an event of a transaction's history is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The transaction's own course: created, the bank pages' steps, its status, the return.
    Step,
    /// A queryOrder call about it and its answer.
    Query,
    /// A createOrder or queryOrder about it that the sandbox refused.
    Refusal,
}

/// One event in a transaction's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// When it happened.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// The status after the event.
    pub status: TransactionStatus,
    /// What happened.
    pub event: String,
    /// What it is about.
    pub kind: EventKind,
}

/// A createOrder or queryOrder the sandbox refused, with the explanation 123PAY never gives:
/// which field, which rule, which credential. Listed by `GET /_sandbox/refusals` (newest last,
/// the last 200 kept) and sent in the `X-Pay123-Sandbox-Detail` header of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Refusal {
    /// When.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// `createOrder` or `queryOrder`.
    pub method: &'static str,
    /// The merchant code the request claimed, if it could be read.
    pub merchant_code: Option<String>,
    /// The `mTransactionID` of the request, if it could be read.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: Option<String>,
    /// The code answered (`6100`, `6000`, ...), or `415`.
    pub code: String,
    /// The description answered: the specification's text.
    pub description: String,
    /// Why, for the developer.
    pub detail: String,
    /// For a checksum that does not match, from a sender with the merchant's passcode and a body
    /// of at most 64 KiB, what `pay123 checksum explain` says of the request with the merchant's
    /// key (the fields in signing order, the passcode masked, the likely mistake). Kept here
    /// only, never in the answer to the request.
    pub explanation: Option<String>,
}

/// One notify attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotifyAttempt {
    /// The delivery this attempt belongs to (1 for the first notify, more after a resend).
    pub delivery: u32,
    /// The attempt within the delivery, from 1.
    pub attempt: u32,
    /// When it was sent (or dropped).
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// The merchant's notify URL (empty when none is configured).
    pub url: String,
    /// The status notified.
    pub status: TransactionStatus,
    /// The form body sent (empty when nothing was sent).
    pub request_body: String,
    /// When the attempt ended: the reply read, or the failure (`None` when nothing was sent).
    #[serde(serialize_with = "optional_rfc3339")]
    pub ended_at: Option<SystemTime>,
    /// The HTTP status of the reply.
    pub http_status: Option<u16>,
    /// The reply body, lossily decoded, at most 2000 characters.
    pub reply_body: Option<String>,
    /// The reply's `returnCode`, when the reply could be read.
    pub return_code: Option<NotifyReturnCode>,
    /// Whether the reply was valid: the JSON of the specification with a correct checksum,
    /// for this transaction.
    pub verified: bool,
    /// What went wrong (transport error, timeout, invalid reply).
    pub error: Option<String>,
    /// What the sandbox did next.
    pub outcome: AttemptOutcome,
}

/// What the sandbox did after a notify attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// A valid `1` or `2`: delivery done.
    Acknowledged,
    /// It will try again after the backoff.
    Retrying,
    /// The last attempt failed; no more retries.
    GaveUp,
    /// Not sent: dropped on purpose (fault injection or "drop the next notify").
    Dropped,
    /// Not sent: the merchant has no notify URL.
    NoNotifyUrl,
}

/// One of 123PAY's two methods, whose answers can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// createOrder.
    CreateOrder,
    /// queryOrder.
    QueryOrder,
}

impl Method {
    /// The method's name, as in its URL.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateOrder => "createOrder",
            Self::QueryOrder => "queryOrder",
        }
    }

    /// The method's segment in the admin API's paths (`/_sandbox/create-order/fail`).
    #[must_use]
    pub fn admin_segment(self) -> &'static str {
        match self {
            Self::CreateOrder => "create-order",
            Self::QueryOrder => "query-order",
        }
    }

    /// The codes of the method's error table in the specification: the ones a failure can be
    /// injected with.
    #[must_use]
    pub fn error_codes(self) -> &'static [ReturnCode] {
        match self {
            Self::CreateOrder => ReturnCode::CREATE_ORDER_ERRORS,
            Self::QueryOrder => ReturnCode::QUERY_ORDER_ERRORS,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Self::CreateOrder => 0,
            Self::QueryOrder => 1,
        }
    }
}

/// A failure injected with [`Gateway::fail`](crate::Gateway::fail): the method answers
/// `[code, description]` to its next authenticated calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InjectedFailure {
    /// The `returnCode` the method answers (`5000`, `7300`, ...).
    pub code: ReturnCode,
    /// How many more calls get it; `None`: every call until cleared.
    pub calls_left: Option<u32>,
}

/// Which transaction an admin action is for: an `mTransactionID`, and the merchant that created
/// it where several merchants of one sandbox use the same id. Without a merchant, the newest
/// transaction with the id.
///
/// A `&str` or `&String` converts into one with no merchant:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// # let config = pay123_sandbox::Config {
/// #     public_url: Some("http://127.0.0.1:3123".into()),
/// #     ..Default::default()
/// # };
/// # let gateway = pay123_sandbox::Gateway::new(config)?;
/// use pay123_sandbox::TransactionRef;
/// assert!(gateway.transaction("ORDER-1").is_none());
/// assert!(gateway.transaction(TransactionRef::of("MERCHANT_A", "ORDER-1")).is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionRef<'a> {
    /// The merchant code, or `None` for whichever merchant used the id last.
    pub merchant_code: Option<&'a str>,
    /// The merchant's `mTransactionID`.
    pub m_transaction_id: &'a str,
}

impl<'a> TransactionRef<'a> {
    /// The transaction `m_transaction_id` of the merchant `merchant_code`.
    #[must_use]
    pub fn of(merchant_code: &'a str, m_transaction_id: &'a str) -> Self {
        Self {
            merchant_code: Some(merchant_code),
            m_transaction_id,
        }
    }
}

impl<'a> From<&'a str> for TransactionRef<'a> {
    fn from(m_transaction_id: &'a str) -> Self {
        Self {
            merchant_code: None,
            m_transaction_id,
        }
    }
}

impl<'a> From<&'a String> for TransactionRef<'a> {
    fn from(m_transaction_id: &'a String) -> Self {
        Self::from(m_transaction_id.as_str())
    }
}

/// An in-process or admin API request the sandbox refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No transaction has this `mTransactionID`.
    #[error("no transaction with mTransactionID {0:?}")]
    NotFound(String),
    /// A listing asked for the transactions after one that does not exist.
    #[error(
        "no transaction {0:?} to list after (neither a 123PAYtransactionId nor an mTransactionID)"
    )]
    UnknownAfter(String),
    /// Only a final status can be forced.
    #[error("status {0} is not final; only a final status can be forced")]
    NotFinal(String),
    /// `-10` is 123PAY's answer about a transaction it does not have: never the status of one
    /// it has.
    #[error("status -10 means 123PAY has no such transaction; it cannot be the status of one")]
    NotAStatusOfATransaction,
    /// Only a session on the bank pages can be timed out.
    #[error("the buyer is not on the bank pages (status {0}); there is no session to time out")]
    NotOnTheBankPages(String),
    /// The transaction's status is final already.
    #[error("the transaction is final already (status {0})")]
    AlreadyFinal(String),
    /// A notify is sent only for a final status.
    #[error("the transaction is not final (status {0}); there is no notify to send")]
    Pending(String),
    /// Only a code of the method's error table can be injected (`1` is a success).
    #[error(
        "returnCode {code:?} is not in {}'s error table; inject one of {}",
        method.name(),
        method.error_codes().iter().map(ReturnCode::code).collect::<Vec<_>>().join(", ")
    )]
    NotInErrorTable {
        /// The method.
        method: Method,
        /// The code given.
        code: String,
    },
}

/// RFC 3339 in UTC with milliseconds.
fn rfc3339<S: Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*at))
}

fn optional_rfc3339<S: Serializer>(at: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, s),
        None => s.serialize_none(),
    }
}

pub(crate) fn format_time(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
