//! `notify_service`: the confirmed door, over the payment flow with the fake 123PAY and the
//! memory store; its `web::Data<Payments>` reaches the app's own handlers.

use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use pay123_actix::notify_service;
use pay123_core::payments::{PaymentState, Payments};
use pay123_core::test_util::{FakeGateway, MemoryStore};
use pay123_core::{CreateOrder, Credentials, SecretKey, TransactionStatus};

use crate::support::{notify, post};

const PATH: &str = "/123pay/notify";

type Pay = web::Data<Payments<FakeGateway, MemoryStore>>;

async fn checkout(pay: Pay) -> Result<HttpResponse, pay123_actix::Error> {
    let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return").build()?;
    let created = pay.create(&order).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", created.payment_url()))
        .finish())
}

#[actix_web::test]
async fn a_notify_is_confirmed_stored_and_answered() {
    let gateway = FakeGateway::new(Credentials::sandbox());
    let store = MemoryStore::default();
    let payments = Payments::new(gateway.client(), store.clone(), tokio::time::sleep);
    let app = init_service(
        App::new()
            .route("/checkout", web::post().to(checkout))
            .configure(notify_service(PATH, payments)),
    )
    .await;
    // The app's own handler reaches the flow the service registered.
    let created = call_service(&app, TestRequest::post().uri("/checkout").to_request()).await;
    assert_eq!(created.status(), 303);
    assert_eq!(store.get("ORDER-1").unwrap().state, PaymentState::Pending);

    let key = Credentials::sandbox().secret_key().clone();
    let code = |body: &[u8]| {
        let reply: serde_json::Value = serde_json::from_slice(body).unwrap();
        reply["returnCode"].as_str().unwrap().to_owned()
    };
    let forged = post(PATH, &notify("ORDER-1"), &SecretKey::new("guessed")).to_request();
    assert_eq!(
        code(&read_body(call_service(&app, forged).await).await),
        "-1"
    );
    let early = post(PATH, &notify("ORDER-1"), &key).to_request();
    assert_eq!(
        code(&read_body(call_service(&app, early).await).await),
        "-3"
    );
    gateway.set_status("ORDER-1", TransactionStatus::Success);
    // 123PAY sends it again later (a copy within `NOTIFY_QUERY_INTERVAL` asks nothing).
    tokio::time::sleep(pay123_core::payments::NOTIFY_QUERY_INTERVAL * 2).await;
    let genuine = post(PATH, &notify("ORDER-1"), &key).to_request();
    assert_eq!(
        code(&read_body(call_service(&app, genuine).await).await),
        "1"
    );
    assert!(store.get("ORDER-1").unwrap().is_paid());
    assert_eq!(gateway.query_calls(), 2);
}
