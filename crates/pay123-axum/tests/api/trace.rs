//! The tracing of a notify: the span's fields are recorded, the secret key never is.

use http::Method;
use pay123_axum::unconfirmed::notify_router;
use pay123_core::{Notify, NotifyOutcome, SecretKey};

use crate::support::{SECRET, key, listener, notify, post, raw, send};

#[tokio::test]
async fn each_notify_is_traced_without_the_secret() {
    let logs = pay123_core::test_util::logs();

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

    let line = |needles: &[&str]| {
        logs.line(needles)
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", logs.text()))
    };
    let handler = line(&["inside the handler"]);
    assert!(handler.contains("pay123.notify"), "{handler}");
    assert!(handler.contains("mTransactionID=\"ORDER-T1\""), "{handler}");
    assert!(handler.contains("status=\"1\""), "{handler}");
    let answered = line(&["notify answered", "ORDER-T1"]);
    assert!(answered.contains("returnCode=\"1\""), "{answered}");
    assert!(answered.contains("outcome=Updated"), "{answered}");
    let refused = line(&["notify refused", "ORDER-T2"]);
    assert!(refused.contains("claimed_m_transaction_id"), "{refused}");
    assert!(refused.contains("returnCode=\"-1\""), "{refused}");
    assert!(line(&["method=\"DELETE\""]).contains("notify refused"));
    // Every test of this binary logs here from now on: none may log the key.
    assert!(!logs.text().contains(SECRET), "{}", logs.text());
}
