//! The merchant's payment rule: what a queryOrder answer means for an order.
//!
//! A notify carries no amount and the return redirect's status is a hint, so an order is paid
//! only when a queryOrder says status `1`, reports the order's amount **and** names the 123PAY
//! transaction createOrder returned (without one, it is held for review). Every other status is
//! either a final failure or pending; pending statuses (`0`, `10`, `11`, `20`, and any code the specification does not
//! list) never cancel an order.

use std::fmt;

use crate::message::query_order::OrderStatus;

/// What 123PAY's answer means for the order: see [`OrderStatus::judge`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Judgement {
    /// Status `1`, the amount and the transaction match: the order is paid.
    Paid,
    /// A final failure (cancelled, declined, unknown transaction...).
    Failed,
    /// Not final yet: ask again later; never cancel on it.
    Pending,
    /// Status `1`, but not for this order as the merchant knows it: hold it for a person to
    /// check, never pay it automatically.
    Review(Mismatch),
}

/// A payment 123PAY reports that does not match the order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// `totalAmount` is not the order's amount (or not a number).
    Amount {
        /// What 123PAY reported, as sent.
        reported: String,
        /// The order's amount in VND.
        expected: u64,
    },
    /// `123PAYtransactionId` is not the one createOrder returned for the order.
    Transaction {
        /// What 123PAY reported.
        reported: String,
        /// What the merchant recorded.
        known: String,
    },
    /// A payment for an order whose createOrder answer never arrived: 123PAY's answer does not
    /// sign the merchant's `mTransactionID`, so nothing ties the reported transaction to this
    /// order (another order's genuine answer would read the same).
    UnknownTransaction {
        /// What 123PAY reported.
        reported: String,
    },
}

impl Mismatch {
    /// A short code to store: `amount_mismatch`, `transaction_mismatch` or
    /// `transaction_not_known`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Amount { .. } => "amount_mismatch",
            Self::Transaction { .. } => "transaction_mismatch",
            Self::UnknownTransaction { .. } => "transaction_not_known",
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Amount { reported, expected } => write!(
                f,
                "123PAY reports totalAmount {reported:?} for an order of {expected} VND"
            ),
            Self::Transaction { reported, known } => write!(
                f,
                "123PAY reports transaction {reported:?}, the order has {known:?}"
            ),
            Self::UnknownTransaction { reported } => write!(
                f,
                "123PAY reports a payment (transaction {reported:?}) for an order whose \
                 createOrder answer never arrived: nothing ties it to this order"
            ),
        }
    }
}

impl OrderStatus {
    /// Judges this answer against the order: its amount in VND and, when known, the
    /// `123PAYtransactionId` createOrder returned for it (`None` when createOrder's answer was
    /// lost).
    ///
    /// 123PAY's answer signs its fields, not the merchant's `mTransactionID`: another order's
    /// genuine answer verifies too. So the answer is compared with what the merchant knows. A
    /// success must report the order's amount and, when the order's 123PAY transaction is
    /// known, that transaction; a success for an order whose transaction is not known is held
    /// for review ([`Mismatch::UnknownTransaction`]). A final failure of a known transaction
    /// must name it (`-10`, "no such transaction", names none); one that names another is held
    /// for review too, never applied.
    ///
    /// ```
    /// use pay123_core::{BankCode, Judgement, Mismatch, OrderStatus, TransactionStatus};
    /// let paid = OrderStatus::new("123P1", TransactionStatus::Success, "100000", "100000", BankCode::Vietcombank);
    /// assert_eq!(paid.judge(100_000, Some("123P1")), Judgement::Paid);
    /// assert!(matches!(paid.judge(150_000, Some("123P1")), Judgement::Review(Mismatch::Amount { .. })));
    /// assert!(matches!(paid.judge(100_000, None), Judgement::Review(Mismatch::UnknownTransaction { .. })));
    /// let otp = OrderStatus::new("123P1", TransactionStatus::AwaitingOtp, "100000", "0", BankCode::Vietcombank);
    /// assert_eq!(otp.judge(100_000, None), Judgement::Pending);
    /// ```
    #[must_use]
    pub fn judge(&self, amount_vnd: u64, known_pay123_transaction_id: Option<&str>) -> Judgement {
        let status = self.status();
        let reported = self.pay123_transaction_id();
        let other_transaction = |known: &str| Mismatch::Transaction {
            reported: reported.to_owned(),
            known: known.to_owned(),
        };
        if status.is_success() {
            if self.total_amount_vnd() != Some(amount_vnd) {
                return Judgement::Review(Mismatch::Amount {
                    reported: self.total_amount().to_owned(),
                    expected: amount_vnd,
                });
            }
            match known_pay123_transaction_id {
                Some(known) if known != reported => Judgement::Review(other_transaction(known)),
                Some(_) => Judgement::Paid,
                None => Judgement::Review(Mismatch::UnknownTransaction {
                    reported: reported.to_owned(),
                }),
            }
        } else if status.is_failure() {
            match known_pay123_transaction_id {
                Some(known)
                    if known != reported && *status != crate::TransactionStatus::NotFound =>
                {
                    Judgement::Review(other_transaction(known))
                }
                _ => Judgement::Failed,
            }
        } else {
            Judgement::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BankCode, TransactionStatus};

    fn answer(status: &str, total: &str, id: &str) -> OrderStatus {
        OrderStatus::new(
            id,
            TransactionStatus::from_code(status),
            total,
            total,
            BankCode::Vietcombank,
        )
    }

    #[test]
    fn paid_only_on_status_1_with_the_amount_and_the_transaction() {
        let known = Some("123P1");
        assert_eq!(
            answer("1", "100000", "123P1").judge(100_000, known),
            Judgement::Paid
        );
        for (total, what) in [
            ("99999", "less"),
            ("100000.0", "a decimal"),
            ("", "nothing"),
        ] {
            assert_eq!(
                answer("1", total, "123P1").judge(100_000, known),
                Judgement::Review(Mismatch::Amount {
                    reported: total.to_owned(),
                    expected: 100_000
                }),
                "{what}"
            );
        }
        let other = answer("1", "100000", "123P2").judge(100_000, known);
        assert!(matches!(&other, Judgement::Review(m) if m.code() == "transaction_mismatch"));
        // createOrder's answer was lost: nothing ties the payment to the order.
        assert_eq!(
            answer("1", "100000", "123P9").judge(100_000, None),
            Judgement::Review(Mismatch::UnknownTransaction {
                reported: "123P9".to_owned()
            })
        );
        for pending in ["0", "10", "11", "20", "4242"] {
            assert_eq!(
                answer(pending, "100000", "123P1").judge(100_000, known),
                Judgement::Pending,
                "{pending}"
            );
        }
        for failed in ["-100", "-10", "7224", "5000"] {
            assert_eq!(
                answer(failed, "100000", "123P1").judge(100_000, known),
                Judgement::Failed,
                "{failed}"
            );
            // Without a known transaction, a failure is a failure.
            assert_eq!(
                answer(failed, "100000", "123P9").judge(100_000, None),
                Judgement::Failed,
                "{failed}"
            );
        }
        // Another transaction's failure is not this order's: held, never applied.
        let other = answer("7201", "100000", "123P2").judge(100_000, known);
        assert!(matches!(&other, Judgement::Review(m) if m.code() == "transaction_mismatch"));
        let unnamed = answer("-100", "100000", "").judge(100_000, known);
        assert!(matches!(&unnamed, Judgement::Review(m) if m.code() == "transaction_mismatch"));
        // "No such transaction" names none.
        assert_eq!(
            answer("-10", "0", "").judge(100_000, known),
            Judgement::Failed
        );
    }
}
