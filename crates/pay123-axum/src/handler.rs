//! [`NotifyHandler`]: the merchant's code that receives a verified notify.

use std::future::Future;

use pay123_core::{Notify, NotifyOutcome};

/// The merchant's notify code: a verified [`Notify`] and the app's state in, a
/// [`NotifyOutcome`] out (`1` updated now, `2` already updated, `-3` could not update).
///
/// Any `async` function or closure `Fn(Notify, S) -> impl Future<Output = O>` is a handler,
/// where `O` is a [`NotifyOutcome`] or a `Result<NotifyOutcome, E>` (an error answers `-3`, so
/// that 123PAY retries). A panic also answers `-3`.
///
/// ```
/// use pay123_axum::NotifyHandler;
/// use pay123_axum::pay123_core::{Notify, NotifyOutcome};
///
/// async fn on_notify(notify: Notify, db: Db) -> Result<NotifyOutcome, DbError> {
///     db.record(notify.m_transaction_id(), notify.status().code())
/// }
///
/// fn is_handler<S, H: NotifyHandler<S>>(_: &H) {}
/// is_handler::<Db, _>(&on_notify);
///
/// # #[derive(Clone)] struct Db;
/// # #[derive(Debug)] struct DbError;
/// # impl Db { fn record(&self, _: &str, _: &str) -> Result<NotifyOutcome, DbError> { Ok(NotifyOutcome::Updated) } }
/// ```
pub trait NotifyHandler<S>: Clone + Send + Sync + 'static {
    /// Handles a verified notify.
    fn handle(&self, notify: Notify, state: S) -> impl Future<Output = NotifyOutcome> + Send;
}

impl<S, F, Fut, O> NotifyHandler<S> for F
where
    F: Fn(Notify, S) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = O> + Send,
    O: Into<NotifyOutcome>,
{
    fn handle(&self, notify: Notify, state: S) -> impl Future<Output = NotifyOutcome> + Send {
        let future = self(notify, state);
        async move { future.await.into() }
    }
}
