//! The payment rules, with no IO: what 123PAY's answer does to a payment, and what a notify on
//! a final payment calls for. The flows of [`Payments`](super::Payments) save what these decide.

use std::time::SystemTime;

use crate::merchant::judge::Judgement;
use crate::merchant::reconcile::{ReconcilePolicy, Settlement};
use crate::message::query_order::OrderStatus;
use crate::message::status::TransactionStatus;

use super::record::{Payment, PaymentState, Source};

/// What applying an answer to a payment decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Save this version.
    Save(Box<Payment>),
    /// Nothing to save.
    Keep(Kept),
}

/// Why nothing is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// The payment is final already.
    Final,
    /// 123PAY says pending, as already recorded.
    Pending,
    /// 123PAY does not know the payment (`-10`) while its session may still run: ask again
    /// after this time.
    NotYetKnown(SystemTime),
}

/// What 123PAY's `answer` about an open payment means, by the one rule of a notify's
/// confirmation, the return page and the reconciler ([`ReconcilePolicy::settle`]): paid only on
/// status 1 with the payment's amount (and transaction), a mismatch held for review, a failure
/// failed, a pending status recorded (and a payment 123PAY turns out to have, `creating` or
/// `unsure`, made `pending`), and "no such transaction" (`-10`) closes the payment only once
/// the buyer's session is over.
pub(crate) fn apply(
    payment: &Payment,
    answer: &OrderStatus,
    policy: &ReconcilePolicy,
    now: SystemTime,
    source: Source,
) -> Decision {
    if payment.state.is_final() {
        return Decision::Keep(Kept::Final);
    }
    if payment.state == PaymentState::NotCreated {
        return not_created(payment, answer, now, source);
    }
    let status = answer.status();
    let code = status.code();
    let settlement = policy.settle(
        payment.created_at,
        answer,
        payment.amount,
        payment.pay123_transaction_id.as_deref(),
        now,
    );
    let heard = |mut next: Payment| {
        next.transaction_status = Some(status.clone());
        if !answer.bank_code().code().is_empty() {
            next.bank_code = Some(answer.bank_code().clone());
        }
        next
    };
    let next = match settlement {
        Settlement::NotYetKnown { ask_after } => {
            return Decision::Keep(Kept::NotYetKnown(ask_after));
        }
        Settlement::NeverCreated => {
            let mut next = heard(payment.moved(PaymentState::Closed, now, source));
            next.error_code = Some("never_created".to_owned());
            next.note = Some(format!(
                "queryOrder: status {code}: 123PAY has no such payment and the buyer's session is \
                 over; closed, nothing was charged"
            ));
            next
        }
        Settlement::Judged(Judgement::Pending) => {
            if matches!(payment.state, PaymentState::Creating | PaymentState::Unsure) {
                // createOrder's answer was lost, but 123PAY has the payment. Its transaction id
                // is not adopted: the answer does not sign the order's id, so nothing ties the
                // transaction it names to this order, and a payment reported later is held for
                // review (`Mismatch::UnknownTransaction`).
                let mut next = heard(payment.moved(PaymentState::Pending, now, source));
                next.note = Some(format!(
                    "queryOrder: 123PAY has a payment (transaction {:?}), status {code}; \
                     createOrder's answer was lost, so a payment reported for it is held for \
                     review",
                    answer.pay123_transaction_id()
                ));
                next
            } else if payment.transaction_status.as_ref() != Some(status) {
                let mut next = heard(payment.next(now, source));
                next.note = Some(format!("queryOrder: status {code}: {}", status.english()));
                next
            } else {
                return Decision::Keep(Kept::Pending);
            }
        }
        Settlement::Judged(Judgement::Paid) => {
            let mut next = heard(payment.moved(PaymentState::Paid, now, source));
            next.op_amount = answer.op_amount_vnd();
            next.pay123_transaction_id = Some(answer.pay123_transaction_id().to_owned());
            next.note = Some(format!(
                "queryOrder: status 1, totalAmount {}, opAmount {}",
                answer.total_amount(),
                answer.op_amount()
            ));
            next
        }
        Settlement::Judged(Judgement::Review(mismatch)) => {
            let mut next = heard(payment.moved(PaymentState::Review, now, source));
            next.op_amount = answer.op_amount_vnd();
            next.error_code = Some(mismatch.code().to_owned());
            next.error_detail = Some(mismatch.to_string());
            next.note = Some(mismatch.to_string());
            next
        }
        Settlement::Judged(Judgement::Failed) => {
            let mut next = heard(payment.moved(PaymentState::Failed, now, source));
            next.note = Some(format!("queryOrder: status {code}: {}", status.english()));
            next
        }
    };
    Decision::Save(Box::new(next))
}

/// What 123PAY's answer does to a payment whose createOrder it refused, or that never left:
/// 123PAY has no payment of the merchant's under this id, so a payment it reports is someone
/// else's (an id used twice, `6206`) or a mistake. A success is held for review, never paid;
/// anything else changes nothing.
fn not_created(
    payment: &Payment,
    answer: &OrderStatus,
    now: SystemTime,
    source: Source,
) -> Decision {
    if !answer.status().is_success() {
        return Decision::Keep(Kept::Final);
    }
    let note = format!(
        "123PAY reports a payment (status 1, transaction {}, totalAmount {}) for an order whose \
         payment it never created ({}): check it, then ship or refund",
        answer.pay123_transaction_id(),
        answer.total_amount(),
        payment.error_code.as_deref().unwrap_or("not created")
    );
    let mut next = payment.moved(PaymentState::Review, now, source);
    next.transaction_status = Some(answer.status().clone());
    next.op_amount = answer.op_amount_vnd();
    next.error_code = Some("paid_after_not_created".to_owned());
    next.error_detail = Some(note.clone());
    next.note = Some(note);
    Decision::Save(Box::new(next))
}

/// What a notify's `status` calls for on a payment that is final already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFinal {
    /// It agrees (paid and `1`, failed or closed and a failure), says pending, or the payment
    /// is held for review: answer `2`, change nothing.
    Agrees,
    /// It contradicts the payment (a failure on a paid one, `1` on a failed one): ask 123PAY.
    Ask,
}

/// The final-payment rule for a notify.
pub(crate) fn on_final(state: PaymentState, status: &TransactionStatus) -> OnFinal {
    let agrees = (state == PaymentState::Paid && status.is_success())
        || (matches!(state, PaymentState::Failed | PaymentState::Closed) && status.is_failure());
    if status.is_pending() || agrees || state == PaymentState::Review {
        OnFinal::Agrees
    } else {
        OnFinal::Ask
    }
}

/// What 123PAY's `answer` does to a final payment that a notify contradicted: a payment 123PAY
/// confirms on a failed or closed payment is held for review (never paid automatically, never
/// ignored); a paid payment never becomes failed, and what 123PAY says is kept in its history.
pub(crate) fn contradicted(
    payment: &Payment,
    notified: &TransactionStatus,
    answer: &OrderStatus,
    now: SystemTime,
) -> Option<Payment> {
    let judged = answer.judge(payment.amount, payment.pay123_transaction_id.as_deref());
    match (payment.state, &judged) {
        // A payment 123PAY reports (its failure naming another transaction is no payment).
        (PaymentState::Failed | PaymentState::Closed, Judgement::Paid | Judgement::Review(_))
            if answer.status().is_success() =>
        {
            let note = format!(
                "123PAY confirms a payment (status 1, totalAmount {}, opAmount {}) for a payment \
                 marked {}: check it, then ship or refund",
                answer.total_amount(),
                answer.op_amount(),
                payment.state
            );
            let mut next = payment.moved(PaymentState::Review, now, Source::Notify);
            next.transaction_status = Some(answer.status().clone());
            next.op_amount = answer.op_amount_vnd();
            next.error_code = Some("paid_after_failure".to_owned());
            next.error_detail = Some(note.clone());
            next.note = Some(note);
            Some(next)
        }
        (PaymentState::Paid, judged) if *judged != Judgement::Paid => {
            let mut next = payment.next(now, Source::Notify);
            next.note = Some(format!(
                "a notify said {} and queryOrder says {} for this paid payment; it stays paid",
                notified.code(),
                answer.status().code()
            ));
            Some(next)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::BankCode;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_499_789_401 + secs)
    }

    fn payment(state: PaymentState) -> Payment {
        let mut p = Payment::recorded("ORDER-1", 100_000, at(0), at(30));
        p.state = state;
        p.pay123_transaction_id = Some("123P1".to_owned());
        p
    }

    fn answer(status: &str, total: &str) -> OrderStatus {
        OrderStatus::new(
            "123P1",
            TransactionStatus::from_code(status),
            total,
            "99000",
            BankCode::Vietcombank,
        )
    }

    fn saved(decision: Decision) -> Payment {
        match decision {
            Decision::Save(next) => *next,
            Decision::Keep(kept) => panic!("kept: {kept:?}"),
        }
    }

    #[test]
    fn paid_only_on_status_1_with_the_amount() {
        let policy = ReconcilePolicy::default();
        let pending = payment(PaymentState::Pending);
        let paid = saved(apply(
            &pending,
            &answer("1", "100000"),
            &policy,
            at(40),
            Source::Notify,
        ));
        assert_eq!(paid.state, PaymentState::Paid);
        assert_eq!(paid.version, 2);
        assert_eq!(paid.op_amount, Some(99_000));
        assert_eq!(
            paid.next_check_at, None,
            "a final payment is not checked again"
        );
        assert_eq!(paid.bank_code, Some(BankCode::Vietcombank));
        let review = saved(apply(
            &pending,
            &answer("1", "90000"),
            &policy,
            at(40),
            Source::Notify,
        ));
        assert_eq!(review.state, PaymentState::Review);
        assert_eq!(review.error_code.as_deref(), Some("amount_mismatch"));
        let failed = saved(apply(
            &pending,
            &answer("7224", "100000"),
            &policy,
            at(40),
            Source::Return,
        ));
        assert_eq!(failed.state, PaymentState::Failed);
        assert_eq!(failed.source, Source::Return);
        // Nothing changes a final payment.
        assert_eq!(
            apply(
                &paid,
                &answer("-100", "100000"),
                &policy,
                at(50),
                Source::Notify
            ),
            Decision::Keep(Kept::Final)
        );
    }

    #[test]
    fn pending_is_recorded_once_and_never_cancels() {
        let policy = ReconcilePolicy::default();
        let pending = payment(PaymentState::Pending);
        let otp = saved(apply(
            &pending,
            &answer("11", "100000"),
            &policy,
            at(40),
            Source::Notify,
        ));
        assert_eq!(otp.state, PaymentState::Pending);
        assert_eq!(otp.transaction_status, Some(TransactionStatus::AwaitingOtp));
        assert_eq!(otp.next_check_at, pending.next_check_at);
        assert_eq!(
            apply(
                &otp,
                &answer("11", "100000"),
                &policy,
                at(41),
                Source::Notify
            ),
            Decision::Keep(Kept::Pending)
        );
        // An unsure payment 123PAY has becomes pending; the transaction id its answer names is
        // not adopted, so a payment reported later is held for review.
        let mut unsure = payment(PaymentState::Unsure);
        unsure.pay123_transaction_id = None;
        let found = saved(apply(
            &unsure,
            &answer("0", "100000"),
            &policy,
            at(40),
            Source::Reconcile,
        ));
        assert_eq!(found.state, PaymentState::Pending);
        assert_eq!(found.pay123_transaction_id, None);
        let held = saved(apply(
            &found,
            &answer("1", "100000"),
            &policy,
            at(50),
            Source::Reconcile,
        ));
        assert_eq!(held.state, PaymentState::Review);
        assert_eq!(held.error_code.as_deref(), Some("transaction_not_known"));
    }

    #[test]
    fn a_payment_never_created_is_never_paid() {
        let policy = ReconcilePolicy::default();
        let mut refused = payment(PaymentState::NotCreated);
        refused.pay123_transaction_id = None;
        refused.error_code = Some("6206".to_owned());
        // Another order's payment under the same id, paid: held for a person.
        let held = saved(apply(
            &refused,
            &answer("1", "100000"),
            &policy,
            at(40),
            Source::Notify,
        ));
        assert_eq!(held.state, PaymentState::Review);
        assert_eq!(held.error_code.as_deref(), Some("paid_after_not_created"));
        for status in ["0", "7224", "-10"] {
            assert_eq!(
                apply(
                    &refused,
                    &answer(status, "100000"),
                    &policy,
                    at(40),
                    Source::Notify
                ),
                Decision::Keep(Kept::Final),
                "{status}"
            );
        }
    }

    #[test]
    fn not_found_closes_only_after_the_session() {
        let policy = ReconcilePolicy::default();
        let unsure = payment(PaymentState::Unsure);
        let early = apply(
            &unsure,
            &answer("-10", "0"),
            &policy,
            at(60),
            Source::Reconcile,
        );
        assert_eq!(
            early,
            Decision::Keep(Kept::NotYetKnown(policy.session_end(at(0))))
        );
        let late = saved(apply(
            &unsure,
            &answer("-10", "0"),
            &policy,
            at(3600),
            Source::Reconcile,
        ));
        assert_eq!(late.state, PaymentState::Closed);
        assert_eq!(late.error_code.as_deref(), Some("never_created"));
    }

    #[test]
    fn a_contradicting_notify_follows_123pay_but_never_unpays() {
        assert_eq!(
            on_final(PaymentState::Paid, &TransactionStatus::Success),
            OnFinal::Agrees
        );
        assert_eq!(
            on_final(PaymentState::Paid, &TransactionStatus::New),
            OnFinal::Agrees
        );
        assert_eq!(
            on_final(PaymentState::Review, &TransactionStatus::Cancelled),
            OnFinal::Agrees
        );
        assert_eq!(
            on_final(PaymentState::Failed, &TransactionStatus::Cancelled),
            OnFinal::Agrees
        );
        assert_eq!(
            on_final(PaymentState::Paid, &TransactionStatus::Cancelled),
            OnFinal::Ask
        );
        assert_eq!(
            on_final(PaymentState::Closed, &TransactionStatus::Success),
            OnFinal::Ask
        );

        let failed = payment(PaymentState::Failed);
        let review = contradicted(
            &failed,
            &TransactionStatus::Success,
            &answer("1", "100000"),
            at(90),
        )
        .expect("held for review");
        assert_eq!(review.state, PaymentState::Review);
        assert_eq!(review.error_code.as_deref(), Some("paid_after_failure"));
        let paid = payment(PaymentState::Paid);
        let kept = contradicted(
            &paid,
            &TransactionStatus::Cancelled,
            &answer("-100", "100000"),
            at(90),
        )
        .expect("a note");
        assert_eq!(kept.state, PaymentState::Paid);
        assert!(kept.note.as_deref().unwrap().contains("it stays paid"));
        assert_eq!(
            contradicted(
                &failed,
                &TransactionStatus::Success,
                &answer("-100", "100000"),
                at(90)
            ),
            None
        );
    }
}
