//! The reconciler: asks 123PAY about the payments left open (a notify lost, a buyer who never
//! came back, a process stopped mid-checkout, a createOrder that timed out) and saves each answer
//! by the rule of a notify's confirmation.
//!
//! Every instance of the app runs one. An instance takes a due payment by saving it with its
//! next check moved a lease ahead (a conditional save: of two instances, one takes it); if the
//! instance stops mid-way, the payment is due again when the lease runs out. The core's
//! [`ReconcilePolicy`](crate::merchant::reconcile::ReconcilePolicy) decides when to ask and what an answer
//! settles.

use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;

use crate::client::HttpClient;
use crate::merchant::error::Error;
use crate::merchant::reconcile::Next;
use crate::message::error::ErrorChain;

use super::Payments;
use super::flow::Confirmed;
use super::handover::{HAND_OVER_RETRY, HAND_OVER_TIMEOUT};
use super::record::{Payment, Source};
use super::store::{PaymentStore, StoreError};

/// The reconciler of a [`Payments`]: [`run`](Self::run) it as a task of the app
/// (`tokio::spawn(payments.reconciler().run())`), or call [`pass`](Self::pass).
#[derive(Debug, Clone)]
pub struct Reconciler<C, S> {
    payments: Payments<C, S>,
    settings: ReconcilerSettings,
}

/// How the reconciler task runs (when a payment is asked about is the
/// [`ReconcilePolicy`](crate::merchant::reconcile::ReconcilePolicy) of its [`Payments`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcilerSettings {
    /// How often it looks for due payments (at once again after a full batch). 10 seconds.
    pub period: Duration,
    /// How long an instance keeps a payment it is asking about before another may take it (if
    /// the instance stops mid-way): at least twice the [gateway
    /// timeout](Payments::with_gateway_timeout) whatever is set here, so that it outlasts the
    /// queryOrder. 60 seconds.
    pub lease: Duration,
    /// Payments taken per pass. 32.
    pub batch: usize,
    /// queryOrder calls under way at once. 8.
    pub concurrency: usize,
}

impl Default for ReconcilerSettings {
    fn default() -> Self {
        Self {
            period: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 32,
            concurrency: 8,
        }
    }
}

impl ReconcilerSettings {
    setters! {
        /// With this [`period`](Self::period).
        #[must_use]
        with_period(period: Duration) => period;
        /// With this [`lease`](Self::lease).
        #[must_use]
        with_lease(lease: Duration) => lease;
    }

    /// With this [`batch`](Self::batch) (at least 1).
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// With this [`concurrency`](Self::concurrency) (at least 1).
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Payments taken and asked about.
    pub checked: usize,
    /// Payments whose state changed (paid, failed, review, closed, or `pending` once 123PAY
    /// turned out to have them).
    pub changed: usize,
    /// Payments still open, asked about again later.
    pub still_open: usize,
    /// queryOrder calls that failed (asked again later).
    pub failed: usize,
    /// Payments given up on (left to a person).
    pub given_up: usize,
    /// Paid payments handed over to the app's [`on_paid`](Payments::on_paid) handler again
    /// (it had failed, or the process had stopped).
    pub handed_over: usize,
    /// Hand-overs that failed again (tried again [`HAND_OVER_RETRY`] later).
    pub hand_over_failed: usize,
}

/// What became of one payment.
enum Outcome {
    Changed,
    StillOpen,
    QueryFailed,
    GivenUp,
    /// Found paid now (with a handler set: `Confirmed::Paid`), and handed over or not.
    Paid {
        handed: bool,
    },
    HandedOver,
    HandOverFailed,
    /// Another instance, a notify or the return page took or settled it meanwhile.
    Gone,
}

impl<C, S> Payments<C, S> {
    /// The reconciler, with the default [`ReconcilerSettings`]: a pass every 10 seconds, 32
    /// payments a pass, 8 queryOrders at once, a lease of 60 seconds.
    #[must_use]
    pub fn reconciler(&self) -> Reconciler<C, S> {
        Reconciler {
            payments: self.clone(),
            settings: ReconcilerSettings::default(),
        }
    }
}

impl<C, S> Reconciler<C, S> {
    /// With these settings.
    #[must_use]
    pub fn with_settings(mut self, settings: ReconcilerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &ReconcilerSettings {
        &self.settings
    }
}

impl<C: HttpClient, S: PaymentStore> Reconciler<C, S> {
    /// Runs for ever: a pass every [`period`](ReconcilerSettings::period), at once again after a full
    /// batch. A pass that fails (the store is down) is logged and tried again a period later;
    /// 123PAY unreachable never fails a payment, it is asked again later. Stop it by dropping
    /// the future (or aborting its task).
    pub async fn run(self) {
        loop {
            let full = match self.pass().await {
                Ok(report) => {
                    let taken = report.checked + report.handed_over + report.hand_over_failed;
                    if taken > 0 {
                        tracing::info!(
                            checked = report.checked,
                            changed = report.changed,
                            still_open = report.still_open,
                            failed = report.failed,
                            given_up = report.given_up,
                            handed_over = report.handed_over,
                            hand_over_failed = report.hand_over_failed,
                            "reconciler pass"
                        );
                    }
                    taken >= self.settings.batch.max(1)
                }
                Err(error) => {
                    tracing::error!(error = %ErrorChain(&error), "reconciler pass failed");
                    false
                }
            };
            if !full {
                self.payments.timer().sleep(self.settings.period).await;
            }
        }
    }

    /// [`run`](Self::run), until `stop` completes (a shutdown signal, such as rocket's
    /// `Shutdown` or tokio's `ctrl_c()`): a pass under way then is dropped, and the payments it
    /// had taken are due again when their leases run out.
    pub async fn run_until(self, stop: impl Future<Output = ()>) {
        let run = std::pin::pin!(self.run());
        let stop = std::pin::pin!(stop);
        futures_util::future::select(run, stop).await;
    }

    /// One pass: takes up to a batch of due payments, asks 123PAY about each (a few at once),
    /// and saves the answers.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub async fn pass(&self) -> Result<ReconcileReport, Error> {
        let now = self.payments.now();
        let due = self
            .payments
            .store()
            .due(now, self.settings.batch.max(1))
            .await
            .map_err(StoreError::failed)?;
        let outcomes: Vec<Result<Outcome, Error>> = futures_util::stream::iter(due)
            .map(|payment| self.check(payment))
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut report = ReconcileReport::default();
        for outcome in outcomes {
            match outcome? {
                Outcome::Changed => report.changed += 1,
                Outcome::StillOpen => report.still_open += 1,
                Outcome::QueryFailed => report.failed += 1,
                Outcome::GivenUp => report.given_up += 1,
                Outcome::Paid { handed } => {
                    report.changed += 1;
                    if handed {
                        report.handed_over += 1;
                    } else {
                        report.hand_over_failed += 1;
                    }
                }
                Outcome::HandedOver => {
                    report.handed_over += 1;
                    continue;
                }
                Outcome::HandOverFailed => {
                    report.hand_over_failed += 1;
                    continue;
                }
                Outcome::Gone => continue,
            }
            report.checked += 1;
        }
        Ok(report)
    }

    /// Takes one due payment under a lease, asks 123PAY, saves the answer, and sets when to ask
    /// next.
    async fn check(&self, payment: Payment) -> Result<Outcome, Error> {
        let payments = &self.payments;
        let id = payment.m_transaction_id.clone();
        let now = payments.now();
        if payment.next_check_at.is_none_or(|at| at > now) {
            return Ok(Outcome::Gone);
        }
        if payment.is_paid() {
            return self.hand_over(payment, now).await;
        }
        if !payment.state.is_checked() {
            return Ok(Outcome::Gone);
        }
        // The lease: the next check moved ahead, saved only if nobody changed the payment. It
        // outlasts the queryOrder (bounded by the gateway timeout) with room to save the answer.
        let lease = self
            .settings
            .lease
            .max(payments.gateway_timeout().saturating_mul(2));
        let mut claimed = payment.next(now, Source::Reconcile);
        claimed.next_check_at = Some(now + lease);
        if !payments
            .store()
            .update(&claimed, payment.version)
            .await
            .map_err(StoreError::failed)?
        {
            return Ok(Outcome::Gone);
        }
        let attempts = claimed.check_attempts.saturating_add(1);
        let answer = payments.query(&id, payments.gateway_timeout()).await;
        let now = payments.now();
        let backoff =
            match payments
                .reconcile_policy()
                .next_check(claimed.created_at, attempts, now)
            {
                Next::At(at) => Some(at),
                _ => None,
            };
        let (next, outcome) = match answer {
            Err(detail) => {
                tracing::warn!(m_transaction_id = %id, %detail, attempts, "reconciler: queryOrder failed");
                (backoff, Outcome::QueryFailed)
            }
            Ok(answer) => match payments
                .save_answer(claimed, &answer, Source::Reconcile)
                .await?
            {
                Confirmed::Paid(payment) => {
                    let handed = payments
                        .hand_over(*payment, Source::Reconcile, HAND_OVER_TIMEOUT)
                        .await?;
                    return Ok(Outcome::Paid { handed });
                }
                Confirmed::Changed(state) if !state.is_checked() => return Ok(Outcome::Changed),
                Confirmed::Changed(_) => (backoff, Outcome::Changed),
                Confirmed::AlreadyFinal => return Ok(Outcome::Gone),
                Confirmed::NotYetKnown(ask_after) => {
                    (backoff.map(|at| at.max(ask_after)), Outcome::StillOpen)
                }
                Confirmed::Pending | Confirmed::QueryFailed(_) => (backoff, Outcome::StillOpen),
            },
        };
        let outcome = if next.is_none() {
            Outcome::GivenUp
        } else {
            outcome
        };
        self.reschedule(&id, attempts, next, now).await?;
        Ok(outcome)
    }

    /// A paid payment whose hand-over is due: taken under the hand-over's lease and handed
    /// over again; an instance without a handler moves it a lease ahead (with a warning) and
    /// leaves it to an instance that has one.
    async fn hand_over(&self, payment: Payment, now: SystemTime) -> Result<Outcome, Error> {
        let payments = &self.payments;
        // Taken under the hand-over's lease; an instance without a handler only moves it out
        // of its way, for an instance that has one.
        let mut claimed = payment.next(now, Source::Reconcile);
        claimed.next_check_at = Some(now + HAND_OVER_RETRY);
        let taken = payments
            .store()
            .update(&claimed, payment.version)
            .await
            .map_err(StoreError::failed)?;
        if !taken {
            return Ok(Outcome::Gone);
        }
        if !payments.hands_over() {
            tracing::warn!(
                m_transaction_id = %payment.m_transaction_id,
                "a paid payment awaits the on_paid handler, and this instance has none; left to \
                 an instance that has one"
            );
            return Ok(Outcome::Gone);
        }
        let handed = payments
            .hand_over(claimed, Source::Reconcile, HAND_OVER_TIMEOUT)
            .await?;
        Ok(if handed {
            Outcome::HandedOver
        } else {
            Outcome::HandOverFailed
        })
    }

    /// Counts the check and sets when to ask next (`None`: gives up, with a note).
    async fn reschedule(
        &self,
        id: &str,
        attempts: u32,
        next: Option<SystemTime>,
        now: SystemTime,
    ) -> Result<(), Error> {
        let payments = &self.payments;
        let Some(current) = payments.load(id).await? else {
            return Ok(());
        };
        let saved = payments
            .change(current, |current| {
                if !current.state.is_checked() {
                    return Err(());
                }
                let mut rescheduled = current.next(now, Source::Reconcile);
                rescheduled.check_attempts = attempts;
                rescheduled.next_check_at = next;
                if next.is_none() {
                    rescheduled.note = Some(format!(
                        "the reconciler gave up after {attempts} checks: 123PAY gives no final \
                         status; check this payment with 123PAY by hand"
                    ));
                }
                Ok(rescheduled)
            })
            .await?;
        if saved.is_ok() && next.is_none() {
            tracing::error!(
                m_transaction_id = id,
                attempts,
                "reconciler gave up; check this payment with 123PAY by hand"
            );
        }
        Ok(())
    }
}
