//! Handing a paid payment over to the app ([`Payments::on_paid`]): at least once, after the
//! payment is saved paid.
//!
//! A payment saved paid while a handler is set keeps a [`next_check_at`](Payment::next_check_at)
//! (a paid payment has none otherwise): the hand-over is due. The flow calls the handler at once;
//! when it returns `Ok` the mark is cleared. When it fails, or the process stops first, the
//! reconciler finds the payment due and calls the handler again, [`HAND_OVER_RETRY`] later,
//! until it succeeds.

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

/// How long after a hand-over starts it is tried again if it has not succeeded by then (the
/// handler failed, or the process stopped): the lease of a hand-over.
pub const HAND_OVER_RETRY: Duration = Duration::from_secs(60);

/// The app's handler of paid payments.
pub(super) type PaidHandler =
    Arc<dyn Fn(Payment) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

impl<C, S> Payments<C, S> {
    /// Hands every payment that becomes paid to `handler`: mark the app's order paid, send the
    /// e-mail, ship. The payment given is already confirmed with 123PAY (status `1`, the
    /// order's amount) and saved [`paid`](PaymentState::Paid); its
    /// [`m_transaction_id`](Payment::m_transaction_id) is the order's id given to
    /// [`create`](Self::create).
    ///
    /// The handler is called **at least once** per paid payment, whichever part of the flow
    /// found it paid (the notify, the return page, the reconciler): right after the payment is
    /// saved, before the notify is answered or the return page shown. When it returns an error,
    /// or the process stops before it returns, the [reconciler](Self::reconciler) calls it
    /// again [`HAND_OVER_RETRY`] later, until it returns `Ok`. So make it idempotent (an
    /// `UPDATE orders SET paid = true WHERE id = $1` is) and short (123PAY waits about 10
    /// seconds for the notify's answer; queue long work).
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
    /// Calls the handler with `payment` (saved paid, its hand-over due) and clears the mark when
    /// it succeeds. `Ok(false)`: the handler failed or none is set (logged); the reconciler
    /// tries again.
    ///
    /// # Errors
    ///
    /// The store failed to clear the mark (the handler then runs again later).
    pub(super) async fn hand_over(&self, payment: Payment, source: Source) -> Result<bool, Error> {
        let Some(handler) = self.config.on_paid.clone() else {
            return Ok(false);
        };
        let id = payment.m_transaction_id.clone();
        if let Err(error) = handler(payment.clone()).await {
            tracing::error!(
                m_transaction_id = %id,
                error = %ErrorChain(error.as_ref()),
                retry_in_s = HAND_OVER_RETRY.as_secs(),
                "the on_paid handler failed; the reconciler calls it again"
            );
            return Ok(false);
        }
        let cleared = self
            .change(payment, |current| {
                if current.state != PaymentState::Paid || current.next_check_at.is_none() {
                    return Err(());
                }
                let mut next = current.next(self.now(), source);
                next.next_check_at = None;
                next.note = Some("handed over to the app (on_paid)".to_owned());
                Ok(next)
            })
            .await?;
        if cleared.is_ok() {
            tracing::info!(m_transaction_id = %id, "payment handed over");
        }
        Ok(true)
    }
}
