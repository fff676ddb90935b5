//! The cases of a payment: paid (NS01), failed at the bank (ES01–ES17), pending then paid,
//! another amount reported, and every failed order read again at the end.

use std::time::Duration;

use pay123_core::TransactionStatus;
use pay123_sandbox::Transaction;
use pay123_sandbox::cards::TEST_OTP;

use super::run::Run;
use super::{After, Shown, TEST_CARD, card};
use crate::qc::judge::{self, time};
use crate::qc::probe;
use crate::qc::report::{CaseReport, Check};
use crate::qc::{Guide, Input, Question, Step};

impl<G: Guide + Send> Run<'_, G> {
    /// The buyer pays `t` with the test card; once the payment is over and its notify answered,
    /// its status (1) and the notify's acknowledgement are checked.
    pub(super) async fn pay_with_test_card(
        &mut self,
        case: &mut CaseReport,
        t: &Transaction,
    ) -> Option<Transaction> {
        if !self
            .act(case, t, Step::Bank(&[TEST_CARD, Input::Otp(TEST_OTP)]))
            .await
        {
            return None;
        }
        let t = self.settled(case, t).await?;
        Self::status_check(case, &t, &["1"]);
        case.checks.push(judge::acknowledged(&t, 1));
        Some(t)
    }

    /// NS01.
    pub(super) async fn pay(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        let Some(t) = self.pay_with_test_card(case, &t).await else {
            return;
        };
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Paid, self.settings().step_timeout)
            .await;
        if let Some(view) = case.order_views.last()
            && let Some(amount) = view
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                .and_then(|v| v.get("amount").and_then(serde_json::Value::as_u64))
        {
            // What the judge of the core holds a paid order to: its totalAmount (opAmount, what
            // the bank charged, may differ).
            case.checks.push(Check::of(
                "the order's amount is the totalAmount 123PAY confirmed",
                amount == t.total_amount,
                format!(
                    "order {amount} VND, totalAmount {} VND (opAmount {} VND)",
                    t.total_amount, t.op_amount
                ),
            ));
        }
        self.page_shows(
            case,
            "the buyer is told the order is paid",
            Question::ToldPaid { id: &id },
        )
        .await;
        if t.status.is_success() {
            self.paid = Some(id);
        }
        case.transactions.push(t);
    }

    /// A failing case.
    pub(super) async fn fails(
        &mut self,
        case: &mut CaseReport,
        inputs: &'static [Input],
        after: After,
        statuses: &'static [&'static str],
    ) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !inputs.is_empty() && !self.act(case, &t, Step::Bank(inputs)).await {
            return;
        }
        let mut returned = true;
        match after {
            After::Nothing => {}
            After::Leave => {
                if !self.act(case, &t, Step::Leave).await {
                    return;
                }
                returned = false;
                self.time_out(case, &t);
            }
            After::StayThenReload => {
                if !self.act(case, &t, Step::Stay).await {
                    return;
                }
                self.time_out(case, &t);
                if !self.act(case, &t, Step::Reload).await {
                    return;
                }
            }
        }
        let Some(t) = self.settled(case, &t).await else {
            return;
        };
        Self::status_check(case, &t, statuses);
        case.checks.push(judge::acknowledged(&t, 1));
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Failed, self.settings().step_timeout)
            .await;
        if returned {
            self.page_shows(
                case,
                "the buyer is told the payment failed, with a matching message",
                Question::ToldFailure {
                    id: &id,
                    status: &t.status,
                },
            )
            .await;
        }
        if !t.status.is_success() {
            self.failed.push((case.id, id));
        }
        case.transactions.push(t);
    }

    /// Ends the session on the bank pages now, as 123PAY's 15 minutes would.
    pub(super) fn time_out(&mut self, case: &mut CaseReport, t: &Transaction) {
        let _ = self.session.sandbox.annotate(
            self.which(&t.m_transaction_id),
            "pay123 qc: the buyer left the bank page; its session is timed out now rather than \
             after 123PAY's 15 minutes",
        );
        if let Err(e) = self
            .session
            .sandbox
            .time_out(self.which(&t.m_transaction_id))
        {
            case.checks.push(Check::fail(
                "the bank page was still open when the buyer left",
                e.to_string(),
            ));
        }
    }

    /// PENDING.
    pub(super) async fn pending(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !self
            .act(
                case,
                &t,
                Step::Bank(&[card("0000000000000020"), Input::Otp(TEST_OTP)]),
            )
            .await
        {
            return;
        }
        let looked = self
            .wait(&t, |t| {
                judge::queries(t).any(|q| q.status == TransactionStatus::BankResultUnknown)
            })
            .await;
        let now = self.current(&t);
        case.checks.push(Check::of(
            "123PAY's status is 20 (the bank's result unknown)",
            now.status == TransactionStatus::BankResultUnknown,
            format!("status {} ({})", now.status.code(), now.status_english),
        ));
        case.checks.push(match &looked {
            Some(l) => {
                let q = judge::queries(l)
                    .find(|q| q.status == TransactionStatus::BankResultUnknown)
                    .expect("the wait found it");
                Check::pass(
                    "the shop asked 123PAY about the payment",
                    format!("queryOrder at {} ({})", time(q.at), q.event),
                )
            }
            None => Check::eye(
                "the shop asked 123PAY about the payment",
                "no queryOrder reported status 20 to the shop: look at what it shows",
            ),
        });
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Pending, Duration::ZERO)
            .await;
        self.page_shows(
            case,
            "the buyer is told the payment is being processed",
            Question::ToldPending { id: &id },
        )
        .await;
        // The bank's result arrives.
        if let Err(e) = self
            .session
            .sandbox
            .force_status(self.which(&id), TransactionStatus::Success)
        {
            case.checks
                .push(Check::fail("the bank's result arrives", e.to_string()));
            case.transactions.push(now);
            return;
        }
        let _ = self
            .session
            .sandbox
            .annotate(self.which(&id), "pay123 qc: the bank's result: paid");
        let Some(t) = self.settled(case, &t).await else {
            return;
        };
        case.checks.push(judge::acknowledged(&t, 1));
        self.order_is(case, &id, Shown::Paid, self.settings().step_timeout)
            .await;
        if t.status.is_success() {
            self.late = Some(id);
        }
        case.transactions.push(t);
    }

    /// AMOUNT.
    pub(super) async fn amount(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if let Err(e) = self
            .session
            .sandbox
            .report_total_amount(self.which(&t.m_transaction_id), Some(1))
        {
            case.checks
                .push(Check::fail("123PAY reports 1 VND", e.to_string()));
            return;
        }
        let _ = self.session.sandbox.annotate(
            self.which(&t.m_transaction_id),
            "pay123 qc: queryOrder reports 1 VND for this order from now on",
        );
        let Some(t) = self.pay_with_test_card(case, &t).await else {
            return;
        };
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::NotPaid, Duration::ZERO)
            .await;
        case.transactions.push(t);
    }

    /// FAILED-NEVER-PAID.
    pub(super) async fn never_paid(&mut self, case: &mut CaseReport) {
        if self.failed.is_empty() {
            case.not_run_reason = Some("no failed payment in the session".to_owned());
            return;
        }
        let Some(pattern) = self.settings().order_url.clone() else {
            case.not_run_reason =
                Some("needs the order URL (--order-url) to read the orders again".to_owned());
            return;
        };
        let mut paid = Vec::new();
        let mut unreadable = Vec::new();
        for (from, id) in self.failed.clone() {
            let view = probe::order_view(&self.http, &pattern, &id).await;
            match view.paid {
                Some(true) => paid.push(format!("{id} ({from})")),
                Some(false) => {}
                None => unreadable.push(format!("{id} ({from})")),
            }
            case.order_views.push(view);
        }
        let count = self.failed.len();
        case.checks.push(if !paid.is_empty() {
            Check::fail(
                "no failed payment is shown paid",
                format!("shown paid: {}", paid.join(", ")),
            )
        } else if !unreadable.is_empty() {
            Check::fail(
                "no failed payment is shown paid",
                format!(
                    "the order view could not be read for {}",
                    unreadable.join(", ")
                ),
            )
        } else {
            Check::pass(
                "no failed payment is shown paid",
                format!("{count} failed payments, none paid"),
            )
        });
    }
}
