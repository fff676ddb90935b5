//! The tracing of a notify: the span's fields are recorded, the secret key never is.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use http::Method;
use pay123_axum::notify_router;
use pay123_core::{Notify, NotifyOutcome, SecretKey};
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{SECRET, key, listener, notify, post, raw, send};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// Everything logged by this test binary, once this is first called.
///
/// A global subscriber, not a scoped one: tracing caches each callsite's interest for the
/// whole process, and a test thread without a subscriber would cache "never" for the
/// callsites a scoped subscriber waits for.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        // A callsite first hit by another thread while the global was being set is fixed here.
        tracing::callsite::rebuild_interest_cache();
        captured
    })
}

#[tokio::test]
async fn each_notify_is_traced_without_the_secret() {
    let captured = logs();

    let app = notify_router("/n", listener(), |_: Notify, (): ()| async {
        tracing::info!("inside the handler");
        NotifyOutcome::Updated
    });
    send(app.clone(), post("/n", &notify("ORDER-T1"), &key())).await;
    send(
        app.clone(),
        post("/n", &notify("ORDER-T2"), &SecretKey::new("guessed")),
    )
    .await;
    send(app, raw(Method::DELETE, "/n", "x")).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = |needles: &[&str]| {
        logs.lines()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{logs}"))
            .to_owned()
    };
    let handler = line(&["inside the handler"]);
    assert!(handler.contains("pay123.notify"), "{handler}");
    assert!(handler.contains("mTransactionID=\"ORDER-T1\""), "{handler}");
    assert!(handler.contains("status=\"1\""), "{handler}");
    let answered = line(&["notify answered", "ORDER-T1"]);
    assert!(answered.contains("returnCode=\"1\""), "{answered}");
    assert!(answered.contains("outcome=Updated"), "{answered}");
    let refused = line(&["ORDER-T2"]);
    assert!(refused.contains("notify refused"), "{refused}");
    assert!(refused.contains("returnCode=\"-1\""), "{refused}");
    assert!(line(&["method=DELETE"]).contains("notify refused"));
    // Every test of this binary logs here from now on: none may log the key.
    assert!(!logs.contains(SECRET), "{logs}");
}
