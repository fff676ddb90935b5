//! [`Timer`]: the runtime's sleep, which bounds every call to 123PAY and paces the reconciler.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::future::{Either, select};

/// A runtime's sleep. The core starts no runtime: the app gives it the one it runs on.
///
/// Any `Fn(Duration) -> impl Future<Output = ()> + Send` is a timer: `tokio::time::sleep` (axum,
/// actix-web and rocket all run on tokio), `async_std::task::sleep`...
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

impl<F, Fut> Timer for F
where
    F: Fn(Duration) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(self(duration))
    }
}

/// `work`'s output, or `None` when `limit` passed first.
pub(crate) async fn within<T>(
    timer: &dyn Timer,
    limit: Duration,
    work: impl Future<Output = T>,
) -> Option<T> {
    let work = std::pin::pin!(work);
    match select(work, timer.sleep(limit)).await {
        Either::Left((done, _)) => Some(done),
        Either::Right(((), _)) => None,
    }
}
