//! `notify_router`: the confirmed door, over the payment flow with the fake 123PAY and the
//! memory store.

use http::{Method, StatusCode};
use pay123_axum::notify_router;
use pay123_core::payments::{PaymentState, Payments};
use pay123_core::test_util::{FakeGateway, MemoryStore};
use pay123_core::{CreateOrder, Credentials, NotifyReturnCode, SecretKey, TransactionStatus};

use crate::support::{body, notify, post, raw, send};

const PATH: &str = "/123pay/notify";

async fn paying() -> (axum::Router, FakeGateway, MemoryStore) {
    let gateway = FakeGateway::new(Credentials::sandbox());
    let store = MemoryStore::default();
    let payments = Payments::new(gateway.client(), store.clone(), tokio::time::sleep);
    let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return")
        .build()
        .unwrap();
    payments.create(&order).await.unwrap();
    (notify_router(PATH, payments), gateway, store)
}

async fn reply_code(app: axum::Router, request: http::Request<axum::body::Body>) -> String {
    let response = send(app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
    reply["returnCode"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_notify_is_confirmed_stored_and_answered() {
    let (app, gateway, store) = paying().await;
    let key = Credentials::sandbox().secret_key().clone();
    // 123PAY does not confirm it yet: -3, nothing stored, 123PAY sends it again.
    let code = reply_code(app.clone(), post(PATH, &notify("ORDER-1"), &key)).await;
    assert_eq!(code, NotifyReturnCode::UpdateFailed.code());
    assert_eq!(store.get("ORDER-1").unwrap().state, PaymentState::Pending);
    gateway.set_status("ORDER-1", TransactionStatus::Success);
    // 123PAY sends it again later (a copy within `NOTIFY_QUERY_INTERVAL` asks nothing).
    tokio::time::sleep(pay123_core::payments::NOTIFY_QUERY_INTERVAL * 2).await;
    let code = reply_code(app.clone(), post(PATH, &notify("ORDER-1"), &key)).await;
    assert_eq!(code, "1");
    assert!(store.get("ORDER-1").unwrap().is_paid());
    assert_eq!(
        gateway.query_calls(),
        2,
        "each notify was confirmed with queryOrder"
    );
    // A duplicate: 2, without asking again.
    let code = reply_code(app.clone(), post(PATH, &notify("ORDER-1"), &key)).await;
    assert_eq!(code, "2");
    assert_eq!(gateway.query_calls(), 2);
}

#[tokio::test]
async fn a_forged_notify_is_refused_before_anything_is_read() {
    let (app, gateway, store) = paying().await;
    gateway.set_status("ORDER-1", TransactionStatus::Success);
    let forged = post(PATH, &notify("ORDER-1"), &SecretKey::new("guessed"));
    assert_eq!(reply_code(app.clone(), forged).await, "-1");
    assert_eq!(gateway.query_calls(), 0);
    assert_eq!(store.get("ORDER-1").unwrap().state, PaymentState::Pending);
    // Methods and bodies: the listener's answers.
    let put = send(app.clone(), raw(Method::PUT, PATH, "")).await;
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    let large = raw(
        Method::POST,
        PATH,
        vec![b'a'; pay123_core::MAX_NOTIFY_BODY + 1],
    );
    assert_eq!(
        send(app, large).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}
