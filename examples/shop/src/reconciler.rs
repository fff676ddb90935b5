//! The reconciler: a background task that asks 123PAY about the orders left open (a notify
//! lost, a buyer who never came back, a process stopped mid-checkout, a createOrder that timed
//! out) and applies each answer through the same code as a notify's confirmation.
//!
//! Every instance of the shop runs one. The store leases each due order to one instance at a
//! time ([`Store::claim_due`](crate::Store::claim_due)); the answer is applied by conditional
//! updates, so an answer applied by one instance, a notify and the return page at once changes
//! the order once. The core's [`ReconcilePolicy`](pay123_core::reconcile::ReconcilePolicy)
//! decides when to ask and what an answer settles.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use pay123_core::reconcile::Next;
use pay123_core::{HttpClient, SendHttpClient};
use rand::Rng;

use crate::shop::{Confirmed, Shop};
use crate::store::{Order, Source, StoreError};

/// How the reconciler task runs (the policy of when to ask is the shop's
/// [`reconcile_policy`](Shop::reconcile_policy)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcilerSettings {
    /// How often the task looks for due orders. 10 seconds.
    pub period: Duration,
    /// How long an instance keeps an order it is asking about before another may take it (if
    /// the instance stops mid-way). Longer than a pass takes: 60 seconds.
    pub lease: Duration,
    /// Orders taken per pass. 32.
    pub batch: u32,
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
    /// With this [`period`](Self::period).
    #[must_use]
    pub fn with_period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// With this [`lease`](Self::lease).
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Orders taken and asked about.
    pub checked: usize,
    /// Orders whose state changed (paid, failed, review, closed, or `pending` once 123PAY
    /// turned out to know them).
    pub changed: usize,
    /// Orders still open, asked about again later.
    pub still_open: usize,
    /// queryOrder calls that failed (asked again later).
    pub failed: usize,
    /// Orders given up on (left to a person).
    pub given_up: usize,
}

/// What became of one order.
enum Outcome {
    Changed,
    StillOpen,
    QueryFailed,
    GivenUp,
    /// Another instance or a notify settled it meanwhile.
    Gone,
}

/// A running reconciler task; dropping it stops the task.
#[derive(Debug)]
pub struct ReconcilerHandle {
    task: tokio::task::JoinHandle<()>,
    owner: String,
}

impl ReconcilerHandle {
    /// The name this instance leases orders under.
    #[must_use]
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

impl Drop for ReconcilerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A name for this instance's leases: the process and a random part.
#[must_use]
pub fn instance_name() -> String {
    format!(
        "pid{}-{:08x}",
        std::process::id(),
        rand::rng().random::<u32>()
    )
}

impl<C: HttpClient> Shop<C> {
    /// One pass: takes up to `settings.batch` due orders under a lease for `owner`, asks 123PAY
    /// about each (`settings.concurrency` at once) and applies the answers.
    pub async fn reconcile_due(
        &self,
        owner: &str,
        settings: &ReconcilerSettings,
    ) -> Result<ReconcileReport, StoreError> {
        let now = SystemTime::now();
        let due = self
            .store()
            .claim_due(owner, now, now + settings.lease, settings.batch)
            .await?;
        let mut report = ReconcileReport::default();
        let outcomes: Vec<Result<Outcome, StoreError>> = futures_util::stream::iter(due)
            .map(|order| self.reconcile_order(order, owner))
            .buffer_unordered(settings.concurrency.max(1))
            .collect()
            .await;
        for outcome in outcomes {
            report.checked += 1;
            match outcome? {
                Outcome::Changed => report.changed += 1,
                Outcome::StillOpen => report.still_open += 1,
                Outcome::QueryFailed => report.failed += 1,
                Outcome::GivenUp => report.given_up += 1,
                Outcome::Gone => {}
            }
        }
        Ok(report)
    }

    async fn reconcile_order(&self, order: Order, owner: &str) -> Result<Outcome, StoreError> {
        let id = order.m_transaction_id.as_str();
        let attempts = order.check_attempts.saturating_add(1);
        let answer = self.query_order(id, Source::Reconcile).await;
        let now = SystemTime::now();
        let policy = self.reconcile_policy();
        let backoff = match policy.next_check(order.created_at, attempts, now) {
            Next::At(at) => Some(at),
            _ => None,
        };
        let (next, outcome) = match answer {
            Err(detail) => {
                tracing::warn!(m_transaction_id = id, %detail, attempts, "reconciler: queryOrder failed");
                (backoff, Outcome::QueryFailed)
            }
            Ok(answer) => match self
                .apply_answer(&order, &answer, Source::Reconcile, now)
                .await?
            {
                Confirmed::Changed(state) => {
                    tracing::info!(
                        m_transaction_id = id,
                        from = order.state.as_str(),
                        to = state.as_str(),
                        status = answer.status().code(),
                        "reconciler: order settled"
                    );
                    if !state.is_reconciled() {
                        // The change ended the checks and the lease.
                        return Ok(Outcome::Changed);
                    }
                    (backoff, Outcome::Changed)
                }
                // Settled meanwhile by a notify, the return page or another instance.
                Confirmed::AlreadyFinal => return Ok(Outcome::Gone),
                Confirmed::NotYetKnown(ask_after) => {
                    (backoff.map(|at| at.max(ask_after)), Outcome::StillOpen)
                }
                Confirmed::Pending(_) | Confirmed::QueryFailed(_) => (backoff, Outcome::StillOpen),
            },
        };
        let outcome = if next.is_none() {
            let note = format!(
                "the reconciler gave up after {attempts} checks: 123PAY gives no final status; \
                 check this order with 123PAY by hand"
            );
            tracing::error!(m_transaction_id = id, state = order.state.as_str(), %note, "reconciler gave up");
            self.store().note(id, &note, Source::Reconcile, now).await?;
            Outcome::GivenUp
        } else {
            outcome
        };
        if !self.store().reschedule(id, owner, next).await? {
            tracing::debug!(
                m_transaction_id = id,
                "reconciler: the lease was lost meanwhile"
            );
        }
        Ok(outcome)
    }
}

impl<C: SendHttpClient + 'static> Shop<C> {
    /// Starts the reconciler on the current Tokio runtime: a pass every `settings.period` (at
    /// once again after a full batch). Stops when the handle is dropped.
    pub fn spawn_reconciler(&self, settings: ReconcilerSettings) -> ReconcilerHandle {
        let owner = instance_name();
        let shop = self.clone();
        let name = owner.clone();
        let task = tokio::spawn(async move {
            loop {
                let full = match shop.reconcile_due(&name, &settings).await {
                    Ok(report) => {
                        if report.checked > 0 {
                            tracing::info!(
                                checked = report.checked,
                                changed = report.changed,
                                still_open = report.still_open,
                                failed = report.failed,
                                given_up = report.given_up,
                                "reconciler pass"
                            );
                        }
                        report.checked >= settings.batch as usize
                    }
                    Err(error) => {
                        tracing::error!(%error, "reconciler pass failed");
                        false
                    }
                };
                if !full {
                    tokio::time::sleep(settings.period).await;
                }
            }
        });
        ReconcilerHandle { task, owner }
    }
}
