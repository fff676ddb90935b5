//! `fairing` and `notify_routes`: the confirmed door in a rocket app, over the payment flow with
//! the fake 123PAY and the memory store, through rocket's local client.

use pay123_core::payments::{PaymentState, Payments};
use pay123_core::test_util::{FakeGateway, MemoryStore};
use pay123_core::{CreateOrder, Credentials, SecretKey, TransactionStatus};
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use rocket::response::Redirect;
use rocket::{State, post, routes};

use crate::support::notify;

const PATH: &str = "/123pay/notify";

type Pay = Payments<FakeGateway, MemoryStore>;

#[post("/checkout")]
async fn checkout(pay: &State<Pay>) -> Result<Redirect, pay123_rocket::Error> {
    let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return").build()?;
    let created = pay.create(&order).await?;
    Ok(Redirect::to(created.payment_url().to_owned()))
}

#[rocket::async_test]
async fn the_fairing_manages_the_flow_and_mounts_the_confirmed_notify() {
    let gateway = FakeGateway::new(Credentials::sandbox());
    let store = MemoryStore::default();
    let payments = Payments::new(gateway.client(), store.clone(), tokio::time::sleep);
    let rocket = rocket::build()
        .mount("/", routes![checkout])
        .attach(pay123_rocket::fairing(PATH, payments));
    let client = Client::tracked(rocket).await.unwrap();
    let created = client.post("/checkout").dispatch().await;
    assert_eq!(created.status(), Status::SeeOther);
    assert_eq!(store.get("ORDER-1").unwrap().state, PaymentState::Pending);

    let key = Credentials::sandbox().secret_key().clone();
    let code = |body: String| {
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        reply["returnCode"].as_str().unwrap().to_owned()
    };
    let forged = notify("ORDER-1").to_form(&SecretKey::new("guessed"));
    let answer = client.post(PATH).body(forged).dispatch().await;
    assert_eq!(code(answer.into_string().await.unwrap()), "-1");
    gateway.set_status("ORDER-1", TransactionStatus::Success);
    // 123PAY sends it again later (a copy within `NOTIFY_QUERY_INTERVAL` asks nothing).
    tokio::time::sleep(pay123_core::payments::NOTIFY_QUERY_INTERVAL * 2).await;
    let genuine = client
        .post(PATH)
        .body(notify("ORDER-1").to_form(&key))
        .dispatch()
        .await;
    assert_eq!(code(genuine.into_string().await.unwrap()), "1");
    assert!(store.get("ORDER-1").unwrap().is_paid());
    assert_eq!(gateway.query_calls(), 1);
}

/// A route that asks for the flow without the fairing: rocket refuses to launch, rather than
/// answering 500 per request.
#[rocket::async_test]
async fn a_route_without_the_managed_flow_fails_at_launch() {
    let rocket = rocket::build().mount("/", routes![checkout]);
    let Err(error) = Client::tracked(rocket).await else {
        panic!("a route that needs the flow launched without it");
    };
    assert!(
        matches!(error.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
        "{error:?}"
    );
}
