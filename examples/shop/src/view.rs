//! What the pages and the JSON API show of an order.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use pay123_core::TransactionStatus;
use serde::Serialize;

use pay123_core::payments::{PaymentState, Source};
use pay123_sqlx::HistoryEntry;

use crate::catalog::format_vnd;
use crate::store::Order;

/// An order as shown to buyers, and as JSON (`GET /orders/{mTransactionID}` with
/// `Accept: application/json`):
///
/// ```json
/// {"mTransactionID": "SHOP20250102030405A1B2C3D4E5F6", "status": "paid", "paid": true,
///  "productId": "ao-dai", "productName": "Áo dài lụa tơ tằm", "amount": 450000,
///  "opAmount": 450000, "bankCode": "123PAY", "paidBankCode": "123PVCB",
///  "123PAYtransactionId": "123P2501020000001", "transactionStatus": "1", "errorCode": null,
///  "messageVi": "...", "messageEn": "...", "createdAt": "2025-01-02T03:04:05.000Z",
///  "updatedAt": "...", "history": [{"seq": 1, "status": "creating", ...}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OrderView {
    /// `mTransactionID`.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: String,
    /// The payment's state (`creating`, `not_created`, `unsure`, `pending`, `paid`, `failed`,
    /// `review`, `closed`).
    pub status: PaymentState,
    /// Paid.
    pub paid: bool,
    /// The product's id.
    #[serde(rename = "productId")]
    pub product_id: String,
    /// The product's name.
    #[serde(rename = "productName")]
    pub product_name: String,
    /// The amount in VND.
    pub amount: u64,
    /// What the bank charged (`opAmount`), once 123PAY reported it.
    #[serde(rename = "opAmount")]
    pub op_amount: Option<u64>,
    /// The bank chosen at checkout (`123PAY`: chosen at 123PAY).
    #[serde(rename = "bankCode")]
    pub bank_code: String,
    /// The bank actually used, as 123PAY reported it.
    #[serde(rename = "paidBankCode")]
    pub paid_bank_code: Option<String>,
    /// `123PAYtransactionId`.
    #[serde(rename = "123PAYtransactionId")]
    pub pay123_transaction_id: Option<String>,
    /// 123PAY's last `transactionStatus`.
    #[serde(rename = "transactionStatus")]
    pub transaction_status: Option<String>,
    /// Why the payment was not created or is held for review.
    #[serde(rename = "errorCode")]
    pub error_code: Option<String>,
    /// What the status means for the buyer, in Vietnamese.
    #[serde(rename = "messageVi")]
    pub message_vi: String,
    /// The same in English.
    #[serde(rename = "messageEn")]
    pub message_en: String,
    /// When the order was recorded (RFC 3339, UTC).
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// When it last changed (RFC 3339, UTC).
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    /// Every change, oldest first.
    pub history: Vec<HistoryView>,
    #[serde(skip)]
    created_at_vn: String,
}

/// One change of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HistoryView {
    /// 1, 2, 3... per order.
    pub seq: u64,
    /// The state after the change.
    pub status: PaymentState,
    /// 123PAY's `transactionStatus` after the change.
    #[serde(rename = "transactionStatus")]
    pub transaction_status: Option<String>,
    /// What caused it.
    pub source: Source,
    /// A note.
    pub note: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
    #[serde(skip)]
    at_vn: String,
}

impl OrderView {
    /// The view of an order and its payment's history.
    #[must_use]
    pub fn new(order: &Order, history: &[HistoryEntry]) -> Self {
        let payment = order.payment.as_ref();
        let (message_vi, message_en) = match payment {
            Some(payment) => (payment.vietnamese(), payment.english()),
            // The process stopped between recording the order and its payment: nothing was
            // sent to 123PAY.
            None => (
                "Chưa tạo được giao dịch thanh toán cho đơn hàng này; quý khách chưa bị trừ tiền."
                    .to_owned(),
                "No payment was created for this order; you have not been charged.".to_owned(),
            ),
        };
        let updated_at = payment.map_or(order.created_at, |p| p.updated_at);
        Self {
            m_transaction_id: order.m_transaction_id.clone(),
            status: payment.map_or(PaymentState::NotCreated, |p| p.state),
            paid: payment.is_some_and(pay123_core::payments::Payment::is_paid),
            product_id: order.product_id.clone(),
            product_name: order.product_name.clone(),
            amount: order.amount,
            op_amount: payment.and_then(|p| p.op_amount),
            bank_code: order.bank_code.code().to_owned(),
            paid_bank_code: payment
                .and_then(|p| p.bank_code.as_ref())
                .map(|b| b.code().to_owned()),
            pay123_transaction_id: payment.and_then(|p| p.pay123_transaction_id.clone()),
            transaction_status: payment
                .and_then(|p| p.transaction_status.as_ref())
                .map(|s| s.code().to_owned()),
            error_code: payment.and_then(|p| p.error_code.clone()),
            message_vi,
            message_en,
            created_at: rfc3339(order.created_at),
            updated_at: rfc3339(updated_at),
            created_at_vn: vietnam_time(order.created_at),
            history: history
                .iter()
                .zip(1..)
                .map(|(h, seq)| HistoryView {
                    seq,
                    status: h.state,
                    transaction_status: h.transaction_status.as_ref().map(|s| s.code().to_owned()),
                    source: h.source,
                    note: h.note.clone(),
                    at: rfc3339(h.changed_at),
                    at_vn: vietnam_time(h.changed_at),
                })
                .collect(),
        }
    }

    /// The JSON form.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a view of strings, numbers and lists serializes")
    }

    /// The amount as buyers read it (`450.000 ₫`).
    #[must_use]
    pub fn amount_text(&self) -> String {
        format_vnd(self.amount)
    }

    /// `yes` or `no`.
    #[must_use]
    pub fn paid_text(&self) -> &'static str {
        if self.paid { "yes" } else { "no" }
    }

    /// When the order was recorded, in Vietnam's time (`02/01/2025 10:04:05`).
    #[must_use]
    pub fn created_at_vn(&self) -> &str {
        &self.created_at_vn
    }

    /// The chosen bank for buyers: a bank's name, or 123PAY's page.
    #[must_use]
    pub fn bank_text(&self) -> &'static str {
        pay123_core::BankCode::from_code(&self.bank_code).name()
    }
}

impl HistoryView {
    /// When, in Vietnam's time.
    #[must_use]
    pub fn at_vn(&self) -> &str {
        &self.at_vn
    }
}

/// Whether the return redirect's ticket verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketCheck {
    /// The ticket verified; the status on the URL (a hint only).
    Verified(TransactionStatus),
    /// The URL carries no ticket.
    Absent,
    /// The ticket is wrong, malformed or expired (why).
    Invalid(String),
}

/// The return page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReturnView {
    /// The order the return is about, if the URL names one.
    pub m_transaction_id: Option<String>,
    /// The ticket's check.
    pub ticket: TicketCheck,
    /// The order after the queryOrder, `None` when unknown.
    pub order: Option<OrderView>,
    /// The queryOrder failed (the order is shown as stored): the detail, for the logs. The page
    /// tells the buyer only that the check failed.
    pub query_error: Option<String>,
}

fn rfc3339(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Vietnam is UTC+7 all year.
fn vietnam_time(time: SystemTime) -> String {
    let utc = DateTime::<Utc>::from(time);
    match FixedOffset::east_opt(7 * 3600) {
        Some(offset) => utc
            .with_timezone(&offset)
            .format("%d/%m/%Y %H:%M:%S")
            .to_string(),
        None => utc.format("%d/%m/%Y %H:%M:%S UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_in_utc_and_vietnam() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_735_787_045_123);
        assert_eq!(rfc3339(t), "2025-01-02T03:04:05.123Z");
        assert_eq!(vietnam_time(t), "02/01/2025 10:04:05");
    }
}
