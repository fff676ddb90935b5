//! The reconciler task of a demo shop: the library's reconciler
//! ([`pay123_core::payments::Reconciler`]), run with the settings of the shop's configuration
//! and stopped when its handle is dropped.

use pay123_core::SendHttpClient;
use pay123_core::payments::Reconciler;
pub use pay123_core::payments::ReconcilerSettings;
use pay123_sqlx::SqlStore;

use crate::shop::Shop;

/// A running reconciler task; dropping it stops the task.
#[derive(Debug)]
pub struct ReconcilerHandle(tokio::task::JoinHandle<()>);

impl Drop for ReconcilerHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<C: SendHttpClient> Shop<C> {
    /// The library's reconciler with these settings.
    #[must_use]
    pub fn reconciler(&self, settings: ReconcilerSettings) -> Reconciler<C, SqlStore> {
        self.payments().reconciler().with_settings(settings)
    }

    /// Starts the reconciler on the current Tokio runtime. Stops when the handle is dropped.
    pub fn spawn_reconciler(&self, settings: ReconcilerSettings) -> ReconcilerHandle {
        ReconcilerHandle(tokio::spawn(self.reconciler(settings).run()))
    }
}
