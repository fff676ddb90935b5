//! [`Payment`]: what the merchant's store keeps of one payment, and its [`PaymentState`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::message::bank::BankCode;
use crate::message::status::TransactionStatus;

/// The state of a payment, as the merchant knows it.
///
/// `creating`, `not_created`, `unsure` and `pending` are open: a notify or a queryOrder can still
/// move the payment, and the reconciler asks 123PAY about every open one but `not_created`.
/// `paid`, `failed`, `review` and `closed` are final: nothing changes them automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Recorded; createOrder has not answered yet.
    Creating,
    /// createOrder failed (busy, refused, the request never left): 123PAY has no payment for it.
    NotCreated,
    /// createOrder was sent and gave no usable answer (a timeout, a connection lost): 123PAY may
    /// have created the payment. The buyer was not sent to pay; the reconciler asks 123PAY until
    /// it knows.
    Unsure,
    /// 123PAY created the payment; waiting for the buyer and the result.
    Pending,
    /// Paid: 123PAY confirmed status 1 and the amount with a queryOrder.
    Paid,
    /// The payment failed or was cancelled (a final status of 123PAY, confirmed by queryOrder).
    Failed,
    /// 123PAY reports a payment that does not match the order (amount, transaction id), or a
    /// payment on an order the merchant had closed: held for a person to check, never paid
    /// automatically.
    Review,
    /// 123PAY has no payment for the order (`-10`) and the buyer's session is over: closed by
    /// the reconciler. Nothing was charged.
    Closed,
}

impl PaymentState {
    /// Every state.
    pub const ALL: [Self; 8] = [
        Self::Creating,
        Self::NotCreated,
        Self::Unsure,
        Self::Pending,
        Self::Paid,
        Self::Failed,
        Self::Review,
        Self::Closed,
    ];

    /// The name stored and shown in JSON (`not_created`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::NotCreated => "not_created",
            Self::Unsure => "unsure",
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Review => "review",
            Self::Closed => "closed",
        }
    }

    /// The state from its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// `paid`, `failed`, `review` or `closed`.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Failed | Self::Review | Self::Closed
        )
    }

    /// Whether the reconciler asks 123PAY about a payment in this state: `creating`, `unsure`
    /// and `pending` (a `not_created` one was refused by 123PAY, or never left).
    #[must_use]
    pub const fn is_checked(self) -> bool {
        matches!(self, Self::Creating | Self::Unsure | Self::Pending)
    }

    /// A label for buyers, in Vietnamese.
    #[must_use]
    pub const fn vietnamese(self) -> &'static str {
        match self {
            Self::Creating => "Đang tạo đơn hàng",
            Self::NotCreated => "Chưa tạo được giao dịch",
            Self::Unsure => "Đang xác minh với 123PAY",
            Self::Pending => "Đang chờ thanh toán",
            Self::Paid => "Đã thanh toán",
            Self::Failed => "Thanh toán không thành công",
            Self::Review => "Đang kiểm tra",
            Self::Closed => "Đã đóng",
        }
    }

    /// The label in English.
    #[must_use]
    pub const fn english(self) -> &'static str {
        match self {
            Self::Creating => "creating the order",
            Self::NotCreated => "payment not created",
            Self::Unsure => "checking with 123PAY",
            Self::Pending => "waiting for payment",
            Self::Paid => "paid",
            Self::Failed => "payment failed",
            Self::Review => "held for review",
            Self::Closed => "closed",
        }
    }
}

impl std::fmt::Display for PaymentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What made a version of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The buyer checked out: the payment was recorded.
    Checkout,
    /// createOrder answered (the payment was created, or not).
    CreateOrder,
    /// A notify from 123PAY: a final status confirmed by a queryOrder, a pending one recorded as
    /// sent.
    Notify,
    /// The buyer came back: a queryOrder made by the return page.
    Return,
    /// The reconciler asked 123PAY about a payment left open.
    Reconcile,
}

impl Source {
    /// Every source.
    pub const ALL: [Self; 5] = [
        Self::Checkout,
        Self::CreateOrder,
        Self::Notify,
        Self::Return,
        Self::Reconcile,
    ];

    /// The name stored and shown in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::CreateOrder => "create_order",
            Self::Notify => "notify",
            Self::Return => "return",
            Self::Reconcile => "reconcile",
        }
    }

    /// The source from its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One payment (one `mTransactionID`), as the merchant's [store](super::PaymentStore) keeps it.
///
/// The library writes every field; a store saves and loads them as they are. Each save makes a
/// new [`version`](Self::version): the store replaces a payment only if the version it holds is
/// the one the change was made from, so that of two changes made at once (a notify, the
/// reconciler, the return page, on one instance or several) one is saved and the other is made
/// again from the saved payment.
///
/// `Payment` is `Serialize` and `Deserialize`: a store may keep it as one JSON value, or a
/// column per field (times as unix milliseconds: [`to_millis`](Self::to_millis)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Payment {
    /// The merchant's id of the payment, sent to 123PAY as `mTransactionID`.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: String,
    /// The order's amount in VND: what 123PAY must confirm before the payment is paid.
    pub amount: u64,
    /// The state.
    pub state: PaymentState,
    /// `123PAYtransactionId`, once 123PAY gave it (createOrder's answer, or queryOrder's).
    pub pay123_transaction_id: Option<String>,
    /// 123PAY's page the buyer is sent to (createOrder's answer).
    pub payment_url: Option<String>,
    /// The last `transactionStatus` 123PAY reported.
    pub transaction_status: Option<TransactionStatus>,
    /// The bank actually used, as 123PAY reported it.
    pub bank_code: Option<BankCode>,
    /// `opAmount`: what the bank charged, from the queryOrder that confirmed the payment.
    pub op_amount: Option<u64>,
    /// Why the payment was not created (`5000`, `timeout`, `transport`, `invalid_response`...),
    /// is held for review (`amount_mismatch`, `transaction_mismatch`, `transaction_not_known`,
    /// `paid_after_failure`, `paid_after_not_created`) or was closed (`never_created`).
    pub error_code: Option<String>,
    /// The technical detail of that error, for the operator (English; no secret).
    pub error_detail: Option<String>,
    /// What this version changed, in English, for the payment's history; `None` for a version
    /// that only moved the reconciler's schedule.
    pub note: Option<String>,
    /// What made this version.
    pub source: Source,
    /// When the payment was recorded.
    #[serde(with = "millis")]
    pub created_at: SystemTime,
    /// When this version was made.
    #[serde(with = "millis")]
    pub updated_at: SystemTime,
    /// When the reconciler asks 123PAY about the payment next; `None` when it does not. While an
    /// instance asks, this is its lease: the end of the time it keeps the payment to itself.
    #[serde(with = "optional_millis")]
    pub next_check_at: Option<SystemTime>,
    /// The reconciler's checks so far.
    pub check_attempts: u32,
    /// Saves so far: 1 for the payment as recorded, then one more for each change.
    pub version: u64,
}

impl Payment {
    /// A payment as recorded before createOrder is sent: `creating`, version 1, first checked by
    /// the reconciler at `first_check` (if the process stops before createOrder answers).
    pub(crate) fn recorded(
        m_transaction_id: &str,
        amount: u64,
        now: SystemTime,
        first_check: SystemTime,
    ) -> Self {
        Self {
            note: Some("recorded; createOrder is sent next".to_owned()),
            next_check_at: Some(first_check),
            ..Self::restore(m_transaction_id, amount, PaymentState::Creating, now, 1)
        }
    }

    /// A payment read back from a store that keeps a column per field: the id, the amount, the
    /// state, when it was recorded and its version; set the other fields from their columns.
    #[must_use]
    pub fn restore(
        m_transaction_id: impl Into<String>,
        amount: u64,
        state: PaymentState,
        created_at: SystemTime,
        version: u64,
    ) -> Self {
        Self {
            m_transaction_id: m_transaction_id.into(),
            amount,
            state,
            pay123_transaction_id: None,
            payment_url: None,
            transaction_status: None,
            bank_code: None,
            op_amount: None,
            error_code: None,
            error_detail: None,
            note: None,
            source: Source::Checkout,
            created_at,
            updated_at: created_at,
            next_check_at: None,
            check_attempts: 0,
            version,
        }
    }

    /// The next version: a copy made at `now` by `source`, with no note yet.
    pub(crate) fn next(&self, now: SystemTime, source: Source) -> Self {
        Self {
            version: self.version.saturating_add(1),
            updated_at: now,
            source,
            note: None,
            ..self.clone()
        }
    }

    /// The next version in `state`; a final state ends the reconciler's checks.
    pub(crate) fn moved(&self, state: PaymentState, now: SystemTime, source: Source) -> Self {
        let mut next = self.next(now, source);
        next.state = state;
        if !state.is_checked() {
            next.next_check_at = None;
        }
        next
    }

    /// Whether 123PAY confirmed the payment (state `paid`).
    #[must_use]
    pub fn is_paid(&self) -> bool {
        self.state == PaymentState::Paid
    }

    /// A time as unix milliseconds, the way a store without a time type keeps it.
    #[must_use]
    pub fn to_millis(time: SystemTime) -> i64 {
        time.duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// The time of unix milliseconds (before 1970 reads as 1970).
    #[must_use]
    pub fn from_millis(millis: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

/// `SystemTime` as unix milliseconds.
mod millis {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::Payment;

    pub(super) fn serialize<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(Payment::to_millis(*time))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        i64::deserialize(d).map(Payment::from_millis)
    }
}

/// `Option<SystemTime>` as unix milliseconds or `null`.
mod optional_millis {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::Payment;

    pub(super) fn serialize<S: Serializer>(
        time: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => s.serialize_some(&Payment::to_millis(*time)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(Payment::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_checked_states_are_open() {
        for state in PaymentState::ALL {
            assert_eq!(PaymentState::from_name(state.as_str()), Some(state));
            if state.is_checked() {
                assert!(!state.is_final(), "{state}");
            }
        }
        for source in Source::ALL {
            assert_eq!(Source::from_name(source.as_str()), Some(source));
        }
        assert_eq!(PaymentState::from_name("PAID"), None);
    }

    #[test]
    fn a_payment_survives_json() {
        let now = UNIX_EPOCH + Duration::from_millis(1_499_789_401_525);
        let mut payment = Payment::recorded("ORDER-1", 100_000, now, now);
        payment.transaction_status = Some(TransactionStatus::from_code("4242"));
        payment.bank_code = Some(BankCode::Vietcombank);
        let json = serde_json::to_string(&payment).unwrap();
        assert!(json.contains(r#""transaction_status":"4242""#), "{json}");
        assert!(json.contains(r#""created_at":1499789401525"#), "{json}");
        assert_eq!(serde_json::from_str::<Payment>(&json).unwrap(), payment);
    }
}
