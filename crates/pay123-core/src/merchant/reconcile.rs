//! The reconciler's rule: which orders to ask 123PAY about, when, and what its answer settles.
//! No IO: the merchant's store keeps the orders and a task of the merchant's asks queryOrder;
//! this module decides.
//!
//! A notify or a return redirect can be lost (the buyer closes the browser, the merchant's server
//! restarts), a process can stop between recording an order and hearing createOrder's answer, and
//! createOrder can time out after 123PAY created the payment. In each case the order is left
//! [open](Left), and only queryOrder can settle it. The [`ReconcilePolicy`] says when to ask
//! ([`first_check`](ReconcilePolicy::first_check), then [`next_check`](ReconcilePolicy::next_check)
//! with a backoff) and what an answer settles ([`settle`](ReconcilePolicy::settle)):
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use pay123_core::reconcile::{Next, ReconcilePolicy, Settlement};
//! use pay123_core::{Judgement, OrderStatus, SecretKey};
//!
//! let policy = ReconcilePolicy::default();
//! let created = SystemTime::UNIX_EPOCH + Duration::from_secs(1_499_789_401);
//! // First asked about 30 s after it was recorded; then every 30 s, then every 60 s while the
//! // buyer's session may still run (so a payment whose notify is lost is seen within about a
//! // minute); after the session, less and less often.
//! assert_eq!(policy.first_check(created), created + Duration::from_secs(30));
//! let now = created + Duration::from_secs(31);
//! assert_eq!(policy.next_check(created, 1, now), Next::At(now + Duration::from_secs(30)));
//! assert_eq!(policy.next_check(created, 5, now), Next::At(now + Duration::from_secs(60)));
//!
//! // 123PAY's answer, as queryOrder reads it (here "no such transaction", -10): createOrder
//! // timed out and 123PAY does not know the order. Ask again once the buyer's session is over;
//! // then it is closed.
//! let key = SecretKey::new("MIKEY");
//! let signed = pay123_core::checksum::compute(
//!     pay123_core::checksum::Message::QueryOrderResponse,
//!     &["1", "", "-10", "0", "0", ""],
//!     &key,
//! ).unwrap();
//! let body = format!(r#"["1","","-10","0","0","","",{signed:?}]"#);
//! let unknown = OrderStatus::from_json(body.as_bytes(), &key)?;
//! let settled = policy.settle(created, &unknown, 100_000, None, now);
//! assert_eq!(settled, Settlement::NotYetKnown { ask_after: policy.session_end(created) });
//! let later = created + Duration::from_secs(3600);
//! assert_eq!(policy.settle(created, &unknown, 100_000, None, later), Settlement::NeverCreated);
//! # Ok::<(), pay123_core::ResponseError>(())
//! ```
//!
//! # The loop of a store of your own
//!
//! For each open order (your store marks it [`Left::Creating`] when recorded,
//! [`Left::Unsure`] after a failed createOrder that [`Left::after_failed_create_order`] says may
//! have reached 123PAY, [`Left::Pending`] once created), with a check count `attempts`:
//!
//! 1. at [`first_check`](ReconcilePolicy::first_check)`(created_at)`, or the time you stored,
//!    call queryOrder;
//! 2. if the call failed, count the attempt and store
//!    [`next_check`](ReconcilePolicy::next_check)`(created_at, attempts + 1, now)`;
//! 3. else apply [`settle`](ReconcilePolicy::settle): a final [`Judgement`] ends the checks; a
//!    pending one counts the attempt and stores `next_check`; [`Settlement::NotYetKnown`]
//!    counts it too and stores the later of `next_check` and `ask_after`;
//!    [`Settlement::NeverCreated`] closes the order;
//! 4. on [`Next::GiveUp`], stop and leave the order to a person.
//!
//! Give every instance of your app the same policy: whichever instance takes an order applies
//! its own.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::client::ClientError;
use crate::merchant::judge::Judgement;
use crate::message::error::ResponseError;
use crate::message::query_order::OrderStatus;
use crate::message::status::TransactionStatus;

/// How an order was left open: what the merchant knows of it at 123PAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Left {
    /// Recorded, with no answer from createOrder: the process stopped before or while sending
    /// it. 123PAY may or may not have the payment.
    Creating,
    /// createOrder was sent and gave no usable answer (a timeout, a connection lost, an answer
    /// that could not be read): 123PAY may have created the payment.
    Unsure,
    /// 123PAY created the payment; no final status has been heard.
    Pending,
}

/// `at + by`, or a moment far beyond any order's life when that is past what `SystemTime` holds
/// (a duration configured absurdly long never panics).
fn later(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_add(by).unwrap_or_else(|| {
        // The year 2286: later than any `at` and `by` a reconciler meets.
        SystemTime::UNIX_EPOCH + Duration::from_secs(10_000_000_000)
    })
}

impl Left {
    /// How a createOrder that failed with `error` leaves its order: `None` when 123PAY surely
    /// has no payment for it (it answered with an error code, or the request never left), and
    /// [`Left::Unsure`] when it may have one (a timeout, a connection lost mid-way, an HTTP error
    /// status, an answer that could not be read or verified).
    ///
    /// `6206` (the `mTransactionID` was used before) is `None` too: the client never sends a
    /// createOrder twice, so the payment 123PAY holds under that id is another order's (a
    /// database restored from a backup, two shops on one merchant code). Reading its status as
    /// this order's could mark the order paid with another payment's money.
    ///
    /// An unsure order must not be created again under another id before it is settled: the
    /// buyer could pay twice.
    #[must_use]
    pub fn after_failed_create_order(error: &ClientError) -> Option<Self> {
        match error {
            ClientError::Transport { .. } if error.is_not_sent() => None,
            ClientError::Response(ResponseError::Gateway { .. }) => None,
            _ => Some(Self::Unsure),
        }
    }
}

/// When the reconciler asks 123PAY about an open order, and when it stops. The defaults suit a
/// shop: a payment whose notify is lost is seen within about a minute of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcilePolicy {
    /// How long after an order is recorded it is first asked about: long enough for the notify
    /// to come first in the common case, and longer than the createOrder timeout, so that no
    /// order is asked about while its createOrder may still be under way. 30 seconds.
    pub first_check: Duration,
    /// The wait after the first check that left the order open (or failed), doubled after
    /// each one, up to [`in_session_interval`](Self::in_session_interval) while the buyer's
    /// session may still run. 30 seconds.
    pub interval: Duration,
    /// The longest wait between two checks while the session may still run: a payment whose
    /// notify is lost is seen this long after it, at the latest. 60 seconds.
    pub in_session_interval: Duration,
    /// The longest wait between two checks after the session: the wait grows with the time
    /// since the session ended, up to this. 10 minutes.
    pub max_interval: Duration,
    /// How long 123PAY keeps a payment session open for the buyer: after it, a payment 123PAY
    /// does not know (`-10`) never will be. 15 minutes.
    pub session_timeout: Duration,
    /// Time added to the session timeout before an unknown payment is given up on, for clocks
    /// that differ and requests under way. 1 minute.
    pub margin: Duration,
    /// How long after an order is recorded the reconciler stops asking about it (123PAY still
    /// reporting it pending, or failing to answer): it is left to a person. 7 days.
    pub give_up_after: Duration,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            first_check: Duration::from_secs(30),
            interval: Duration::from_secs(30),
            in_session_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(10 * 60),
            session_timeout: Duration::from_secs(15 * 60),
            margin: Duration::from_secs(60),
            give_up_after: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// When to ask next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Ask at this time.
    At(SystemTime),
    /// Stop asking: the order is older than [`ReconcilePolicy::give_up_after`].
    GiveUp,
}

/// What a queryOrder answer settles for an open order: see [`ReconcilePolicy::settle`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// 123PAY knows the payment: apply the judgement as for a notify's confirmation (paid,
    /// failed, held for review; [`Judgement::Pending`]: record the status and ask again at
    /// [`ReconcilePolicy::next_check`]).
    Judged(Judgement),
    /// 123PAY does not know the payment (`-10`) while it may still come: a createOrder may
    /// reach it late, or the buyer may be on its pages. Change nothing; ask again after
    /// `ask_after`, the end of the session.
    NotYetKnown {
        /// When the session is over (with the margin).
        ask_after: SystemTime,
    },
    /// 123PAY does not know the payment and the session is over: it never will. Close the
    /// order as never created.
    NeverCreated,
}

impl ReconcilePolicy {
    /// With this [`interval`](Self::interval) (and a [`max_interval`](Self::max_interval) no
    /// shorter).
    #[must_use]
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    setters! {
        /// With this [`first_check`](Self::first_check).
        #[must_use]
        with_first_check(after: Duration) => first_check;
        /// With this [`in_session_interval`](Self::in_session_interval).
        #[must_use]
        with_in_session_interval(interval: Duration) => in_session_interval;
        /// With this [`max_interval`](Self::max_interval).
        #[must_use]
        with_max_interval(max: Duration) => max_interval;
        /// With this [`session_timeout`](Self::session_timeout).
        #[must_use]
        with_session_timeout(timeout: Duration) => session_timeout;
        /// With this [`margin`](Self::margin).
        #[must_use]
        with_margin(margin: Duration) => margin;
        /// With this [`give_up_after`](Self::give_up_after).
        #[must_use]
        with_give_up_after(after: Duration) => give_up_after;
    }

    /// When an order recorded at `created_at` is first asked about.
    #[must_use]
    pub fn first_check(&self, created_at: SystemTime) -> SystemTime {
        later(created_at, self.first_check)
    }

    /// When to ask next about an order recorded at `created_at`, after `attempts` checks (at
    /// least 1) that left it open or failed, from `now`:
    ///
    /// - while the buyer's session may still run: [`interval`](Self::interval), doubled for
    ///   each earlier attempt, at most [`in_session_interval`](Self::in_session_interval) (the
    ///   buyer may pay at any moment of the session);
    /// - after it: as long as the session has been over, at least `interval`, at most
    ///   [`max_interval`](Self::max_interval);
    /// - [`Next::GiveUp`] once the order is older than [`give_up_after`](Self::give_up_after).
    #[must_use]
    pub fn next_check(&self, created_at: SystemTime, attempts: u32, now: SystemTime) -> Next {
        let age = now.duration_since(created_at).unwrap_or_default();
        if age >= self.give_up_after {
            return Next::GiveUp;
        }
        let end = self.session_end(created_at);
        let wait = match now.duration_since(end) {
            // The session may still run.
            Err(_) => {
                let doublings = attempts.saturating_sub(1).min(30);
                self.interval
                    .saturating_mul(1 << doublings)
                    .min(self.in_session_interval.max(self.interval))
            }
            Ok(since_end) => since_end.clamp(self.interval, self.max_interval.max(self.interval)),
        };
        Next::At(later(now, wait))
    }

    /// The end of the session of an order recorded at `created_at`, with the margin: from then
    /// on a payment 123PAY does not know never will be.
    #[must_use]
    pub fn session_end(&self, created_at: SystemTime) -> SystemTime {
        later(created_at, self.session_timeout.saturating_add(self.margin))
    }

    /// What 123PAY's `answer` settles for an open order recorded at `created_at`, of
    /// `amount_vnd`, with the `123PAYtransactionId` createOrder returned if known. Every status
    /// but `-10` is judged by [`OrderStatus::judge`], the rule of a notify's confirmation. `-10`
    /// (no such transaction) closes the order only once its session is over: before, a
    /// createOrder may still reach 123PAY, or the buyer may still be paying.
    #[must_use]
    pub fn settle(
        &self,
        created_at: SystemTime,
        answer: &OrderStatus,
        amount_vnd: u64,
        known_pay123_transaction_id: Option<&str>,
        now: SystemTime,
    ) -> Settlement {
        if *answer.status() == TransactionStatus::NotFound {
            let ask_after = self.session_end(created_at);
            return if now < ask_after {
                Settlement::NotYetKnown { ask_after }
            } else {
                Settlement::NeverCreated
            };
        }
        Settlement::Judged(answer.judge(amount_vnd, known_pay123_transaction_id))
    }
}

impl fmt::Display for Left {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Creating => "recorded, createOrder unanswered",
            Self::Unsure => "createOrder sent, no usable answer",
            Self::Pending => "created at 123PAY, no final status",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BankCode;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_499_789_401 + secs)
    }

    fn answer(status: &str) -> OrderStatus {
        OrderStatus::new(
            "123P1",
            TransactionStatus::from_code(status),
            "100000",
            "100000",
            BankCode::Vietcombank,
        )
    }

    #[test]
    fn the_wait_doubles_up_to_the_maximum_then_gives_up() {
        let policy = ReconcilePolicy::default();
        let created = at(0);
        let now = at(100);
        let waits: Vec<u64> = (1..=7)
            .map(|n| match policy.next_check(created, n, now) {
                Next::At(t) => t.duration_since(now).unwrap().as_secs(),
                Next::GiveUp => panic!("gave up at attempt {n}"),
            })
            .collect();
        // While the session may run: 30 s, then at most 60 s.
        assert_eq!(waits, [30, 60, 60, 60, 60, 60, 60]);
        // No overflow with absurd attempt counts.
        assert_eq!(
            policy.next_check(created, u32::MAX, now),
            Next::At(now + policy.in_session_interval)
        );
        // After the session: as long as it has been over, from 30 s to 10 minutes.
        let end = policy.session_end(created);
        let wait_at =
            |after: u64| match policy.next_check(created, 40, end + Duration::from_secs(after)) {
                Next::At(t) => t
                    .duration_since(end + Duration::from_secs(after))
                    .unwrap()
                    .as_secs(),
                Next::GiveUp => panic!("gave up"),
            };
        assert_eq!(
            [wait_at(0), wait_at(100), wait_at(400), wait_at(5000)],
            [30, 100, 400, 600]
        );
        let old = created + policy.give_up_after;
        assert_eq!(policy.next_check(created, 1, old), Next::GiveUp);
        // A clock that went backwards is not an old order.
        assert!(matches!(policy.next_check(at(100), 1, at(0)), Next::At(_)));
    }

    #[test]
    fn not_found_closes_only_after_the_session() {
        let policy = ReconcilePolicy::default()
            .with_session_timeout(Duration::from_secs(600))
            .with_margin(Duration::from_secs(60));
        let created = at(0);
        let end = at(660);
        assert_eq!(
            policy.settle(created, &answer("-10"), 100_000, None, at(659)),
            Settlement::NotYetKnown { ask_after: end }
        );
        assert_eq!(
            policy.settle(created, &answer("-10"), 100_000, None, end),
            Settlement::NeverCreated
        );
    }

    #[test]
    fn every_other_status_is_judged_as_a_notify_would_be() {
        let policy = ReconcilePolicy::default();
        let settle = |status: &str, amount: u64| {
            policy.settle(at(0), &answer(status), amount, Some("123P1"), at(40))
        };
        assert_eq!(settle("1", 100_000), Settlement::Judged(Judgement::Paid));
        assert!(matches!(
            settle("1", 90_000),
            Settlement::Judged(Judgement::Review(_))
        ));
        for pending in ["0", "10", "11", "20", "4242"] {
            assert_eq!(
                settle(pending, 100_000),
                Settlement::Judged(Judgement::Pending),
                "{pending}"
            );
        }
        for failed in ["-100", "7210", "7224"] {
            assert_eq!(
                settle(failed, 100_000),
                Settlement::Judged(Judgement::Failed),
                "{failed}"
            );
        }
    }

    #[test]
    fn a_failed_create_order_is_unsure_unless_123pay_surely_has_nothing() {
        use crate::client::Delivery;
        use crate::message::status::ReturnCode;
        let transport = |delivery| ClientError::Transport {
            delivery,
            source: "boom".into(),
        };
        assert_eq!(
            Left::after_failed_create_order(&transport(Delivery::NotSent)),
            None
        );
        assert_eq!(
            Left::after_failed_create_order(&transport(Delivery::TimedOut)),
            Some(Left::Unsure)
        );
        assert_eq!(
            Left::after_failed_create_order(&transport(Delivery::Unknown)),
            Some(Left::Unsure)
        );
        let refused = ClientError::Response(ResponseError::Gateway {
            code: ReturnCode::Busy,
            description: String::new(),
        });
        assert_eq!(Left::after_failed_create_order(&refused), None);
        // 6206: the transaction 123PAY has under this id is another order's.
        let duplicate = ClientError::Response(ResponseError::Gateway {
            code: ReturnCode::DuplicateTransaction,
            description: String::new(),
        });
        assert_eq!(Left::after_failed_create_order(&duplicate), None);
    }

    #[test]
    fn absurdly_long_settings_never_panic() {
        let policy = ReconcilePolicy::default()
            .with_session_timeout(Duration::MAX)
            .with_margin(Duration::MAX)
            .with_first_check(Duration::MAX)
            .with_interval(Duration::MAX);
        let created = at(0);
        assert!(policy.first_check(created) > at(365 * 24 * 3600));
        assert!(policy.session_end(created) > at(365 * 24 * 3600));
        match policy.next_check(created, 3, at(60)) {
            Next::At(when) => assert!(when > at(60)),
            Next::GiveUp => panic!("an order a minute old is not given up"),
        }
    }
}
