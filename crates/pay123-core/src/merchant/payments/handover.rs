//! Handing a paid payment over to the app ([`Payments::on_paid`]): at least once, after the
//! payment is saved paid.
//!
//! A payment saved paid while a handler is set keeps a [`next_check_at`](Payment::next_check_at)
//! (a paid payment has none otherwise): the hand-over is due, and the time is its lease. The
//! part of the flow that saved it calls the handler at once (within what is left of its own
//! time, at most [`HAND_OVER_TIMEOUT`]); when it returns `Ok` the mark is cleared. When it fails,
//! is cut off, or the process stops first, the reconciler finds the payment due and calls the
//! handler again, [`HAND_OVER_RETRY`] later, then twice as long after each failure (at most
//! [`HAND_OVER_RETRY_MAX`]), until it succeeds.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::client::{BoxError, HttpClient};
use crate::merchant::error::Error;
use crate::message::error::ErrorChain;

use super::Payments;
use super::record::{Payment, PaymentState, Source};
use super::store::PaymentStore;
use super::timer::within;

/// How long after a hand-over starts it is tried again if it has not succeeded by then (the
/// handler failed, or the process stopped): the lease of a hand-over, twice
/// [`HAND_OVER_TIMEOUT`]. 60 seconds.
pub const HAND_OVER_RETRY: Duration = Duration::from_secs(60);

/// The longest a call of the app's handler may take: it is cut off (dropped at its current
/// `await`) after that, and called again later. Shorter than [`HAND_OVER_RETRY`], so that one
/// instance's call is over before another may start one. 30 seconds.
pub const HAND_OVER_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest wait between two tries of a hand-over that keeps failing. One hour.
pub const HAND_OVER_RETRY_MAX: Duration = Duration::from_secs(3600);

/// When a hand-over that failed `failures` times is tried again: [`HAND_OVER_RETRY`], doubled
/// after each failure, at most [`HAND_OVER_RETRY_MAX`].
fn retry_after(failures: u32) -> Duration {
    HAND_OVER_RETRY
        .saturating_mul(1 << failures.saturating_sub(1).min(6))
        .min(HAND_OVER_RETRY_MAX)
}

/// The app's handler of paid payments.
pub(super) type PaidHandler =
    Arc<dyn Fn(Payment) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

impl<C, S> Payments<C, S> {
    /// Hands every payment that becomes paid to `handler`: mark the app's order paid, send the
    /// e-mail, ship. The payment given is already confirmed with 123PAY (status `1`, the
    /// order's amount) and saved [`paid`](PaymentState::Paid); its
    /// [`m_transaction_id`](Payment::m_transaction_id) is the payment's id given to
    /// [`create`](Self::create): one per payment, apart from your order's number when an order
    /// may be paid again after a refusal (`ORDER-17-1`, `ORDER-17-2`; see [`docs::guide`](crate::docs::guide)).
    ///
    /// The handler is called **at least once** per paid payment, by whichever part of the flow
    /// found it paid: the notify (after its answer is decided: `1` whatever the handler does,
    /// within what is left of the notify's budget), the return page (before the page is shown,
    /// within the gateway timeout) or the reconciler. A call is cut off after
    /// [`HAND_OVER_TIMEOUT`] at the latest, dropped at the `await` it is at. When it returns an
    /// error, is cut off, or the process stops, the [reconciler](Self::reconciler) calls it
    /// again [`HAND_OVER_RETRY`] later, then twice as long after each failure (at most
    /// [`HAND_OVER_RETRY_MAX`]), until it returns `Ok`; each failure is logged as an error.
    ///
    /// So make it idempotent (`UPDATE orders SET paid = true WHERE id = $1` is), safe to stop
    /// at any `await`, and short; queue long work (an e-mail) rather than doing it here. Set the
    /// same handler on every instance that shares the store: an instance without one leaves
    /// the hand-overs it finds to the others. Two instances whose clocks differ by more than
    /// [`HAND_OVER_RETRY`] − [`HAND_OVER_TIMEOUT`] may call it twice at once: keep the clocks
    /// in sync (NTP).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use pay123_core::payments::Payments;
    /// # use pay123_core::test_util::{FakeGateway, MemoryStore};
    /// # use pay123_core::Credentials;
    /// # let gateway = FakeGateway::new(Credentials::sandbox());
    /// # let sleep = |_: Duration| std::future::pending::<()>();
    /// let payments = Payments::new(gateway.client(), MemoryStore::default(), sleep)
    ///     .on_paid(|payment| async move {
    ///         // e.g. sqlx::query("UPDATE orders SET paid = true WHERE id = $1")
    ///         println!("order {} is paid", payment.m_transaction_id);
    ///         Ok::<(), std::io::Error>(())
    ///     });
    /// ```
    #[must_use]
    pub fn on_paid<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(Payment) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let handler: PaidHandler = Arc::new(move |payment| {
            let done = handler(payment);
            Box::pin(async move { done.await.map_err(Into::into) })
        });
        self.config.on_paid = Some(handler);
        self
    }

    /// Whether a handler of paid payments is set.
    pub(super) fn hands_over(&self) -> bool {
        self.config.on_paid.is_some()
    }
}

impl<C: HttpClient, S: PaymentStore> Payments<C, S> {
    /// [`hand_over`](Self::hand_over), its store error logged (the handler runs again later).
    pub(super) async fn hand_over_logged(&self, payment: Payment, source: Source, limit: Duration) {
        let id = payment.m_transaction_id.clone();
        if let Err(e) = self.hand_over(payment, source, limit).await {
            tracing::error!(
                m_transaction_id = %id,
                error = %ErrorChain(&e),
                "could not save the hand-over; the handler runs again later"
            );
        }
    }

    /// Calls the handler with `payment` (saved paid, its hand-over due and held by the caller)
    /// for at most `limit` (and [`HAND_OVER_TIMEOUT`]), and clears the mark when it succeeds.
    /// `Ok(false)`: the handler failed or was cut off (logged; tried again later), or none is
    /// set.
    ///
    /// # Errors
    ///
    /// The store failed to save the outcome (the handler then runs again later).
    pub(super) async fn hand_over(
        &self,
        payment: Payment,
        source: Source,
        limit: Duration,
    ) -> Result<bool, Error> {
        let Some(handler) = self.config.on_paid.clone() else {
            return Ok(false);
        };
        let id = payment.m_transaction_id.clone();
        let limit = limit.min(HAND_OVER_TIMEOUT);
        let failure = match within(self.timer(), limit, handler(payment.clone())).await {
            Some(Ok(())) => None,
            Some(Err(error)) => Some(ErrorChain(error.as_ref()).to_string()),
            None => Some(format!("cut off after {} ms", limit.as_millis())),
        };
        let failures = payment.check_attempts.saturating_add(1);
        let saved = self
            .change(payment, |current| {
                if current.state != PaymentState::Paid || current.next_check_at.is_none() {
                    return Err(());
                }
                let mut next = current.next(self.now(), source);
                match &failure {
                    None => {
                        next.next_check_at = None;
                        next.note = Some("handed over to the app (on_paid)".to_owned());
                    }
                    Some(_) => {
                        next.check_attempts = failures;
                        next.next_check_at = Some(self.now() + retry_after(failures));
                    }
                }
                Ok(next)
            })
            .await?;
        match failure {
            None => {
                if saved.is_ok() {
                    tracing::info!(m_transaction_id = %id, "payment handed over");
                }
                Ok(true)
            }
            Some(error) => {
                tracing::error!(
                    m_transaction_id = %id,
                    %error,
                    failures,
                    retry_in_s = retry_after(failures).as_secs(),
                    "the on_paid handler did not succeed; the reconciler calls it again"
                );
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<u64> = (1..=9).map(|n| retry_after(n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }
}
