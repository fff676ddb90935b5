//! [`PaymentStore`]: what the library needs from the merchant's database.

use std::future::Future;
use std::time::SystemTime;

use crate::client::{BoxError, ClientError};

use super::record::{Payment, PaymentState};

/// The merchant's payments, as the library needs them: record one, read one, save a change
/// only if nobody saved another since, and list the ones the reconciler should ask about.
///
/// Five methods; every write is conditional, so that two instances of the app, a notify, the
/// return page and the reconciler never undo each other's work. `pay123-sqlx` implements it
/// on SQLite and PostgreSQL; `pay123_core::test_util::MemoryStore` in memory (tests);
/// `pay123_core::test_util::check_store` checks an implementation of your own.
///
/// The futures must be `Send` (every framework adapter runs on a multi-threaded runtime); an
/// `async fn` in the `impl` is enough.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use std::time::SystemTime;
/// use pay123_core::payments::{Payment, PaymentStore};
///
/// /// In memory, for the example: a real store is the merchant's database.
/// #[derive(Clone, Default)]
/// struct Memory(Arc<Mutex<HashMap<String, Payment>>>);
///
/// impl PaymentStore for Memory {
///     type Error = std::convert::Infallible;
///
///     async fn insert(&self, payment: &Payment) -> Result<bool, Self::Error> {
///         let mut all = self.0.lock().unwrap();
///         if all.contains_key(&payment.m_transaction_id) {
///             return Ok(false); // one payment per mTransactionID
///         }
///         all.insert(payment.m_transaction_id.clone(), payment.clone());
///         Ok(true)
///     }
///
///     async fn load(&self, m_transaction_id: &str) -> Result<Option<Payment>, Self::Error> {
///         Ok(self.0.lock().unwrap().get(m_transaction_id).cloned())
///     }
///
///     async fn load_by_pay123_transaction_id(&self, id: &str) -> Result<Option<Payment>, Self::Error> {
///         let all = self.0.lock().unwrap();
///         Ok(all.values().find(|p| p.pay123_transaction_id.as_deref() == Some(id)).cloned())
///     }
///
///     async fn update(&self, payment: &Payment, expected_version: u64) -> Result<bool, Self::Error> {
///         let mut all = self.0.lock().unwrap();
///         match all.get_mut(&payment.m_transaction_id) {
///             Some(stored) if stored.version == expected_version => {
///                 *stored = payment.clone();
///                 Ok(true)
///             }
///             _ => Ok(false), // changed meanwhile: the library reads it again
///         }
///     }
///
///     async fn due(&self, now: SystemTime, limit: usize) -> Result<Vec<Payment>, Self::Error> {
///         let all = self.0.lock().unwrap();
///         let mut due: Vec<Payment> = all
///             .values()
///             .filter(|p| p.next_check_at.is_some_and(|at| at <= now))
///             .cloned()
///             .collect();
///         due.sort_by_key(|p| p.next_check_at);
///         due.truncate(limit);
///         Ok(due)
///     }
/// }
/// # futures_executor::block_on(pay123_core::test_util::check_store(|| async { Memory::default() }));
/// ```
pub trait PaymentStore: Send + Sync + 'static {
    /// The store's error (a database error...): it answers a notify `-3` (123PAY sends it
    /// again) and a checkout 500, and is logged.
    type Error: Into<BoxError> + Send + 'static;

    /// Records a new payment (version 1). `Ok(false)` when a payment with this `mTransactionID`
    /// exists already: nothing is written (an `INSERT` that keeps the first row).
    fn insert(&self, payment: &Payment) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The payment with this `mTransactionID`, as last saved.
    fn load(
        &self,
        m_transaction_id: &str,
    ) -> impl Future<Output = Result<Option<Payment>, Self::Error>> + Send;

    /// The payment whose [`pay123_transaction_id`](Payment::pay123_transaction_id) is `id`
    /// (`WHERE pay123_transaction_id = $id`, an index on that column): the return page's
    /// `transactionID` may carry 123PAY's id rather than the merchant's.
    fn load_by_pay123_transaction_id(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Payment>, Self::Error>> + Send;

    /// Replaces the stored payment with `payment` only if the stored one's version is
    /// `expected_version` (`payment.version` is the next one): `UPDATE .. WHERE m_transaction_id
    /// = $id AND version = $expected_version`. `Ok(false)` when it was changed meanwhile, or
    /// does not exist: nothing is written, and the library reads it again.
    ///
    /// A store that keeps a history writes an entry for each version with a
    /// [`note`](Payment::note) (versions without one only move the reconciler's schedule).
    fn update(
        &self,
        payment: &Payment,
        expected_version: u64,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The payments whose [`next_check_at`](Payment::next_check_at) is `now` or earlier, the
    /// earliest first, at most `limit`: `WHERE next_check_at <= $now ORDER BY next_check_at
    /// LIMIT $limit`, whatever their state. (The library sets `next_check_at` only on payments
    /// the reconciler should ask about or hand over to [`on_paid`](super::Payments::on_paid),
    /// and moves it forward while an instance works on one.)
    fn due(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Payment>, Self::Error>> + Send;
}

/// The payment store failed, or refused a payment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store returned an error (the database is down, a statement failed...).
    #[error("the payment store failed")]
    Failed(#[source] BoxError),
    /// A payment with this `mTransactionID` is recorded already: each payment needs an id of
    /// its own (123PAY refuses an id used twice with `6206`).
    #[error("a payment with mTransactionID {0} is recorded already")]
    Duplicate(String),
}

impl StoreError {
    /// The store's own error.
    pub(crate) fn failed(error: impl Into<BoxError>) -> Self {
        Self::Failed(error.into())
    }
}

/// createOrder did not create a payment. The payment is recorded as
/// [`not_created`](PaymentState::NotCreated) (123PAY surely has no payment for it) or
/// [`unsure`](PaymentState::Unsure) (it may have one: the reconciler asks until it knows, and
/// the buyer must not pay again under another id).
#[derive(Debug, thiserror::Error)]
#[error("payment for order {m_transaction_id} {}", if *state == PaymentState::Unsure { "unsure" } else { "not created" })]
#[non_exhaustive]
pub struct NotCreated {
    /// The payment's `mTransactionID`.
    pub m_transaction_id: String,
    /// [`PaymentState::NotCreated`] or [`PaymentState::Unsure`].
    pub state: PaymentState,
    /// Why createOrder failed.
    #[source]
    pub cause: ClientError,
}
