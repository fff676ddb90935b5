//! The cases of the notify listener: genuine notifies confirmed, a duplicate, the probes
//! (forged, stale, unconfirmed) and a lost notify found with queryOrder.

use std::time::{Duration, SystemTime};

use pay123_core::{NotifyReturnCode, TransactionStatus};

use super::run::Run;
use super::{CASES, Shown, TEST_CARD};
use crate::qc::judge::{self, time};
use crate::qc::probe::{self, Kind};
use crate::qc::report::{CaseReport, Check};
use crate::qc::{Guide, Input, Step};

impl<G: Guide + Send> Run<'_, G> {
    /// NOTIFY-GENUINE: the notify of NS01's payment, which races the buyer's return (the
    /// return page may confirm it first: then `2`), and the notify of PENDING's late result,
    /// sent while the buyer is gone: no page of the shop but its listener can have asked
    /// 123PAY while it was answered.
    pub(super) fn genuine(&mut self, case: &mut CaseReport) {
        let mut judged = false;
        for m_id in [self.paid.clone(), self.late.clone()].into_iter().flatten() {
            let Some(t) = self.session.sandbox.transaction(self.which(&m_id)) else {
                continue;
            };
            case.checks.push(judge::acknowledged(&t, 1));
            case.checks.push(judge::confirmed_before_acknowledging(&t));
            case.transactions.push(t);
            judged = true;
        }
        if !judged {
            case.not_run_reason =
                Some("runs with NS01's and PENDING's payments, which did not end paid".into());
        }
    }

    /// NOTIFY-DUPLICATE.
    pub(super) async fn duplicate(&mut self, case: &mut CaseReport) {
        let Some(m_id) = self.paid.clone() else {
            case.not_run_reason = Some("runs with NS01's payment, which did not end paid".into());
            return;
        };
        let t = self.current(
            &self
                .session
                .sandbox
                .transaction(self.which(&m_id))
                .expect("NS01's transaction stays in the sandbox"),
        );
        let before = t
            .notify_attempts
            .iter()
            .map(|a| a.delivery)
            .max()
            .unwrap_or(0);
        if let Err(e) = self.session.sandbox.resend_notify(self.which(&m_id)) {
            case.checks
                .push(Check::fail("the notify can be sent again", e.to_string()));
            return;
        }
        let Some(t) = self
            .wait(&t, |t| {
                !t.notify_in_progress && t.notify_attempts.iter().any(|a| a.delivery > before)
            })
            .await
        else {
            case.checks.push(Check::fail(
                "the second notify is answered",
                format!(
                    "no answer in {}",
                    humantime::format_duration(self.settings().step_timeout)
                ),
            ));
            return;
        };
        let delivery = before + 1;
        let first = judge::delivery(&t, delivery).into_iter().next().cloned();
        const WHAT: &str = "the duplicate is answered 2 (already handled)";
        case.checks.push(match &first {
            Some(a) if a.verified && a.return_code == Some(NotifyReturnCode::AlreadyUpdated) => {
                Check::pass(WHAT, judge::attempt_line(a))
            }
            Some(a) if a.return_code == Some(NotifyReturnCode::Processed) => Check::fail(
                WHAT,
                format!(
                    "{}: answered 1, as if the order were paid again (a shop that fulfils on each \
                     1 ships twice)",
                    judge::attempt_line(a)
                ),
            ),
            Some(a) => Check::fail(WHAT, judge::attempt_line(a)),
            None => Check::fail(WHAT, "no attempt"),
        });
        let m_id = t.m_transaction_id.clone();
        self.order_is(case, &m_id, Shown::Paid, Duration::ZERO)
            .await;
        case.transactions.push(t);
    }

    /// NOTIFY-FORGED, NOTIFY-STALE and NOTIFY-UNCONFIRMED, on one pending payment.
    pub(super) async fn probes(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        let def = |id: &str| {
            CASES
                .iter()
                .find(|c| c.id == id)
                .expect("the probes' cases are in the table")
        };
        let mut stale = CaseReport::new(def("NOTIFY-STALE"));
        let mut unconfirmed = CaseReport::new(def("NOTIFY-UNCONFIRMED"));
        let key = self.session.credentials.secret_key().clone();
        let url = self.settings().notify_url.clone();
        let id = t.m_transaction_id.clone();
        let bank = t.bank_code.clone();
        let bank = if bank == pay123_core::BankCode::Pay123 {
            pay123_core::BankCode::Vietcombank
        } else {
            bank
        };
        let http = self.http.clone();
        let send = |kind| {
            probe::notify(
                &http,
                &url,
                &key,
                kind,
                &id,
                bank.clone(),
                TransactionStatus::Success,
            )
        };
        // Each probe, then the order read: none of them may change it.
        for (row, kind, expected) in [
            (&mut *case, Kind::Forged, &["-1"][..]),
            (&mut stale, Kind::Stale, &["-1", "-2"][..]),
        ] {
            let p = send(kind).await;
            let what = format!("answered {}", expected.join(" or "));
            row.checks.push(if judge::acknowledges(&p) {
                Check::fail(
                    what,
                    format!(
                        "{}: the shop acknowledged a notify 123PAY never sent",
                        judge::probe_line(&p)
                    ),
                )
            } else if p.verified
                && (p.return_code.as_ref()).is_some_and(|c| expected.contains(&c.code()))
            {
                Check::pass(what, judge::probe_line(&p))
            } else if p.verified {
                Check::eye(
                    what,
                    format!(
                        "{}: refused, but not as a notify that does not verify ({}): does the \
                         listener check it?",
                        judge::probe_line(&p),
                        expected.join(" or ")
                    ),
                )
            } else {
                Check::fail(what, judge::probe_line(&p))
            });
            // A listener that checks the checksum and the ts first never asks 123PAY about a
            // notify that fails them.
            let now = self.current(&t);
            row.checks.push(match judge::queried_between(&now, p.at, p.ended_at) {
                None => Check::pass(
                    "refused before anything else: no queryOrder while answering",
                    judge::probe_line(&p),
                ),
                Some(q) => Check::fail(
                    "refused before anything else: no queryOrder while answering",
                    format!(
                        "the shop asked queryOrder at {} about a notify that does not verify: it \
                         acts on a notify before checking its checksum and ts",
                        time(q.at)
                    ),
                ),
            });
            row.probes.push(p);
            self.order_is(row, &id, Shown::NotPaid, Duration::ZERO)
                .await;
        }
        // The unconfirmed notify: the shop must ask 123PAY, hear "pending", and not acknowledge.
        let unconfirmed_probe = send(Kind::Unconfirmed).await;
        let now = self.current(&t);
        let what = "not acknowledged (123PAY says the payment is pending)";
        unconfirmed
            .checks
            .push(if judge::acknowledges(&unconfirmed_probe) {
                Check::fail(
                    what,
                    format!(
                        "{}: the shop acknowledged a payment 123PAY does not confirm (status {})",
                        judge::probe_line(&unconfirmed_probe),
                        now.status.code()
                    ),
                )
            } else if unconfirmed_probe.verified {
                Check::pass(what, judge::probe_line(&unconfirmed_probe))
            } else {
                Check::fail(what, judge::probe_line(&unconfirmed_probe))
            });
        unconfirmed.checks.push(
            match judge::queried_between(&now, unconfirmed_probe.at, unconfirmed_probe.ended_at) {
                Some(q) => Check::pass(
                    "the shop asked queryOrder before answering",
                    format!("queryOrder at {} ({})", time(q.at), q.event),
                ),
                None => Check::fail(
                    "the shop asked queryOrder before answering",
                    format!(
                        "no queryOrder about {id} between the notify ({}) and the reply ({})",
                        time(unconfirmed_probe.at),
                        time(unconfirmed_probe.ended_at)
                    ),
                ),
            },
        );
        unconfirmed.probes.push(unconfirmed_probe);
        self.order_is(&mut unconfirmed, &id, Shown::NotPaid, Duration::ZERO)
            .await;
        // The buyer ends the payment.
        if self.act(case, &t, Step::Bank(&[Input::Cancel])).await {
            let _ = self.settled(case, &t).await;
        }
        let t = self.current(&t);
        if t.is_final && !t.status.is_success() {
            self.failed.push((case.id, t.m_transaction_id.clone()));
        }
        // Once each (a cancel the guide could not do put it there already).
        case.transactions.clear();
        for row in [&mut *case, &mut stale, &mut unconfirmed] {
            row.transactions.push(t.clone());
        }
        stale.conclude();
        unconfirmed.conclude();
        let mut forged_row = case.clone();
        forged_row.conclude();
        self.probes = Some([forged_row, stale, unconfirmed]);
    }

    /// ES14.
    pub(super) async fn lost_notify(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !self.act(case, &t, Step::Bank(&[TEST_CARD])).await
            || !self.act(case, &t, Step::Leave).await
        {
            return;
        }
        let paid_at = SystemTime::now();
        self.session.sandbox.drop_next_notify();
        let forced = self
            .session
            .sandbox
            .force_status(self.which(&t.m_transaction_id), TransactionStatus::Success);
        let _ = self.session.sandbox.annotate(
            self.which(&t.m_transaction_id),
            "pay123 qc: the bank paid it; its notify is lost and the buyer does not come back",
        );
        if let Err(e) = forced {
            case.checks
                .push(Check::fail("the bank pays the order", e.to_string()));
            case.transactions.push(self.current(&t));
            return;
        }
        // The drop is the next delivery's, whichever it is: this one's, unless another started
        // at the same moment.
        let lost = self
            .wait(&t, |t| !t.notify_attempts.is_empty())
            .await
            .is_some_and(|t| {
                t.notify_attempts[0].outcome == pay123_sandbox::AttemptOutcome::Dropped
            });
        if !lost {
            case.not_run_reason = Some(
                "the notify could not be lost (another delivery took the drop): run ES14 again"
                    .to_owned(),
            );
            case.transactions.push(self.current(&t));
            return;
        }
        let wait = self.settings().lost_notify_wait;
        let found = self
            .wait_for(&t, wait, |t| {
                judge::queries(t).any(|q| q.at >= paid_at && q.status.is_success())
            })
            .await;
        let t = self.current(&t);
        case.checks.push(match &found {
            Some(found) => {
                let q = judge::queries(found)
                    .find(|q| q.at >= paid_at && q.status.is_success())
                    .expect("the wait found it");
                Check::pass(
                    "the shop asks queryOrder after the lost notify",
                    format!(
                        "queryOrder at {}, {} after the payment ({})",
                        time(q.at),
                        humantime::format_duration(
                            q.at.duration_since(paid_at).unwrap_or_default()
                        ),
                        q.event
                    ),
                )
            }
            None => Check::fail(
                "the shop asks queryOrder after the lost notify",
                format!(
                    "no queryOrder about {} in the {} after the payment: a payment whose notify \
                     is lost is never found (run a reconciler)",
                    t.m_transaction_id,
                    humantime::format_duration(wait)
                ),
            ),
        });
        let id = t.m_transaction_id.clone();
        let patience = if found.is_some() {
            self.settings().step_timeout
        } else {
            Duration::ZERO
        };
        self.order_is(case, &id, Shown::Paid, patience).await;
        case.transactions.push(t);
    }
}
