//! The merchant's notify code, in one shape for every framework: a verified [`Notify`] and the
//! app's state in, a [`NotifyOutcome`] (or a `Result` of it) out.

use std::fmt;
use std::future::Future;

use futures_util::FutureExt;
use futures_util::future::Map;

use crate::message::notify::Notify;
use crate::message::status::NotifyReturnCode;

/// What the merchant's code did with a verified notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyOutcome {
    /// The order was updated now: reply `1`.
    Updated,
    /// The order had been updated before (a duplicate notify): reply `2`.
    AlreadyUpdated,
    /// The notify was not processed and 123PAY should send it again: reply `-3` ("the merchant
    /// failed to update the order"). For a store that is down, a queryOrder that failed, an
    /// order not known yet. Never for a failed *payment*: a failed payment that was recorded is
    /// [`Updated`](Self::Updated); answering it `-3` makes 123PAY resend it until its retries
    /// run out.
    RetryLater,
}

impl NotifyOutcome {
    /// The reply code.
    #[must_use]
    pub fn return_code(self) -> NotifyReturnCode {
        match self {
            Self::Updated => NotifyReturnCode::Processed,
            Self::AlreadyUpdated => NotifyReturnCode::AlreadyUpdated,
            Self::RetryLater => NotifyReturnCode::UpdateFailed,
        }
    }
}

/// Why the merchant's notify code failed: the text of the error it returned. The notify is
/// answered `-3` (123PAY retries), and the text is recorded on the `pay123.notify` span and
/// logged with the `mTransactionID`: it is never lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(String);

impl HandlerError {
    /// An error with this text.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a notify handler may return: a [`NotifyOutcome`], or `Result<NotifyOutcome, E>` for any
/// `E: Display` (an error answers `-3` and is logged; `{:#}` is used, so an `anyhow::Error` shows
/// its causes).
pub trait IntoNotifyOutcome {
    /// The outcome, or the handler's error.
    fn into_outcome(self) -> Result<NotifyOutcome, HandlerError>;
}

impl IntoNotifyOutcome for NotifyOutcome {
    fn into_outcome(self) -> Result<NotifyOutcome, HandlerError> {
        Ok(self)
    }
}

impl<E: fmt::Display> IntoNotifyOutcome for Result<NotifyOutcome, E> {
    fn into_outcome(self) -> Result<NotifyOutcome, HandlerError> {
        self.map_err(|e| HandlerError(format!("{e:#}")))
    }
}

/// The merchant's notify code: a verified [`Notify`] and the app's state in, an outcome out
/// (`1` updated now, `2` already updated, `-3` could not update).
///
/// Any `async` function or closure `Fn(Notify, S) -> impl Future<Output = O>` is a handler, where
/// `O` is a [`NotifyOutcome`] or a `Result<NotifyOutcome, E>` with `E: Display`. Every adapter
/// (axum, actix-web, rocket) takes this same shape. The handler's future need not be `Send`; an
/// adapter whose framework needs it (axum) asks for it.
///
/// ```
/// use pay123_core::{Notify, NotifyHandler, NotifyOutcome};
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
/// # impl std::fmt::Display for DbError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("db") } }
/// # impl Db { fn record(&self, _: &str, _: &str) -> Result<NotifyOutcome, DbError> { Ok(NotifyOutcome::Updated) } }
/// ```
pub trait NotifyHandler<S>: Clone + Send + Sync + 'static {
    /// The handler's future.
    type Future: Future<Output = Result<NotifyOutcome, HandlerError>>;

    /// Handles a verified notify.
    fn handle(&self, notify: Notify, state: S) -> Self::Future;
}

type IntoOutcome<O> = fn(O) -> Result<NotifyOutcome, HandlerError>;

impl<S, F, Fut> NotifyHandler<S> for F
where
    F: Fn(Notify, S) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future,
    Fut::Output: IntoNotifyOutcome,
{
    type Future = Map<Fut, IntoOutcome<Fut::Output>>;

    fn handle(&self, notify: Notify, state: S) -> Self::Future {
        self(notify, state).map(IntoNotifyOutcome::into_outcome as IntoOutcome<Fut::Output>)
    }
}
