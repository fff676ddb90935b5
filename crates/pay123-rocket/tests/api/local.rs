//! `notify_routes` and `VerifiedNotify` through rocket's local client: every reply code, the
//! query-string form, 413, 405, managed state, errors as responders, the core's span.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use pay123_core::{
    MAX_NOTIFY_BODY, Notify, NotifyOutcome, NotifyReturnCode, SecretKey, TransactionStatus,
};
use pay123_rocket::NotifyAnswer;
use pay123_rocket::unconfirmed::{NotifyRejection, VerifiedNotify, notify_routes};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use rocket::{State, get, post, routes};

use crate::support::{AN_HOUR, SECRET, key, listener, notify, notify_at, reply};

const PATH: &str = "/123pay/notify";

/// The app's own state.
#[derive(Default)]
struct Shop {
    calls: AtomicUsize,
    paid: Mutex<Vec<String>>,
}

async fn mark_paid(notify: Notify, shop: &State<Shop>) -> Result<NotifyOutcome, String> {
    shop.calls.fetch_add(1, Ordering::SeqCst);
    match notify.m_transaction_id() {
        "ERR" => return Err("the orders table is locked".to_owned()),
        "PANIC" => panic!("the handler crashed"),
        "FAIL" => return Ok(NotifyOutcome::RetryLater),
        _ => {}
    }
    let mut paid = shop.paid.lock().map_err(|e| e.to_string())?;
    let id = notify.m_transaction_id().to_owned();
    if paid.contains(&id) {
        Ok(NotifyOutcome::AlreadyUpdated)
    } else {
        paid.push(id);
        Ok(NotifyOutcome::Updated)
    }
}

#[get("/")]
fn home() -> &'static str {
    "my shop"
}

async fn client() -> Client {
    let rocket = rocket::build()
        .manage(Shop::default())
        .mount("/", routes![home])
        .mount(PATH, notify_routes(listener(), mark_paid));
    Client::untracked(rocket).await.unwrap()
}

fn calls(client: &Client) -> usize {
    client
        .rocket()
        .state::<Shop>()
        .unwrap()
        .calls
        .load(Ordering::SeqCst)
}

#[rocket::async_test]
async fn the_reply_matrix() {
    let client = client().await;
    let now = SystemTime::now();
    let post = |body: String| client.post(PATH).header(ContentType::Form).body(body);
    let code = |r: &pay123_core::NotifyReply| r.return_code().code().to_owned();

    let first = reply(
        post(notify("ORDER-1").to_form(&key())).dispatch().await,
        now,
    )
    .await;
    assert_eq!(
        (code(&first), first.m_transaction_id()),
        ("1".into(), "ORDER-1")
    );
    let again = reply(
        post(notify("ORDER-1").to_form(&key())).dispatch().await,
        now,
    )
    .await;
    assert_eq!(code(&again), "2");
    for id in ["ERR", "FAIL", "PANIC"] {
        let r = reply(post(notify(id).to_form(&key())).dispatch().await, now).await;
        assert_eq!((code(&r), r.m_transaction_id()), ("-3".into(), id), "{id}");
    }
    assert_eq!(calls(&client), 5);

    let forged = notify("ORDER-2").to_form(&SecretKey::new("guessed"));
    let stale = notify_at("ORDER-3", TransactionStatus::Success, now - AN_HOUR).to_form(&key());
    for body in [forged, stale, "hello=world".to_owned()] {
        let r = reply(post(body).dispatch().await, now).await;
        assert_eq!((code(&r), r.m_transaction_id()), ("-1".into(), ""));
    }
    let json = client
        .post(PATH)
        .header(ContentType::JSON)
        .body(notify("ORDER-4").to_form(&key()))
        .dispatch()
        .await;
    assert_eq!(code(&reply(json, now).await), "-1");
    assert_eq!(calls(&client), 5);

    let query = notify("ORDER-5").to_form(&key());
    let by_get = client.get(format!("{PATH}?{query}")).dispatch().await;
    assert_eq!(code(&reply(by_get, now).await), "1");

    let put = client.put(PATH).dispatch().await;
    assert_eq!(put.status(), Status::MethodNotAllowed);
    assert!(put.headers().get_one("Allow").unwrap().contains("POST"));
    let big = client
        .post(PATH)
        .body(vec![b'a'; MAX_NOTIFY_BODY + 1])
        .dispatch()
        .await;
    assert_eq!(big.status(), Status::PayloadTooLarge);
    let exact = client
        .post(PATH)
        .body(vec![b'a'; MAX_NOTIFY_BODY])
        .dispatch()
        .await;
    assert_eq!(code(&reply(exact, now).await), "-1");
    assert_eq!(calls(&client), 6);

    let home = client.get("/").dispatch().await;
    assert_eq!(home.into_string().await.unwrap(), "my shop");
}

#[post("/", data = "<notify>")]
fn own_route(
    notify: Result<VerifiedNotify, NotifyRejection>,
) -> Result<NotifyAnswer, NotifyRejection> {
    let notify = notify?;
    let outcome = if notify.m_transaction_id() == "SEEN" {
        NotifyOutcome::AlreadyUpdated
    } else {
        NotifyOutcome::Updated
    };
    Ok(notify.reply(outcome))
}

#[rocket::async_test]
async fn the_data_guard_answers_as_the_routes() {
    let rocket = rocket::build()
        .manage(listener())
        .mount(PATH, routes![own_route]);
    let client = Client::untracked(rocket).await.unwrap();
    let now = SystemTime::now();
    for (id, expected) in [("ORDER-1", "1"), ("SEEN", "2")] {
        let response = client
            .post(PATH)
            .body(notify(id).to_form(&key()))
            .dispatch()
            .await;
        assert_eq!(reply(response, now).await.return_code().code(), expected);
    }
    let forged = notify("ORDER-2").to_form(&SecretKey::new("guessed"));
    let r = reply(client.post(PATH).body(forged).dispatch().await, now).await;
    assert_eq!(r.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(r.m_transaction_id(), "");
    let big = client
        .post(PATH)
        .body(vec![b'a'; MAX_NOTIFY_BODY + 1])
        .dispatch()
        .await;
    assert_eq!(big.status(), Status::PayloadTooLarge);
}

/// A route that takes the guard in an app without the listener: rocket refuses to launch.
#[rocket::async_test]
async fn the_data_guard_without_its_listener_fails_at_launch() {
    let rocket = rocket::build().mount(PATH, routes![own_route]);
    let Err(error) = Client::untracked(rocket).await else {
        panic!("launched without the listener");
    };
    assert!(
        matches!(error.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
        "{error:?}"
    );
}

#[get("/checkout")]
fn checkout() -> Result<String, pay123_rocket::Error> {
    let order = pay123_core::CreateOrder::builder("ORDER 1", 1000, "https://shop.vn/").build()?;
    Ok(order.m_transaction_id().to_owned())
}

#[rocket::async_test]
async fn errors_become_responders_text_or_json_as_asked() {
    let client = Client::untracked(rocket::build().mount("/", routes![checkout]))
        .await
        .unwrap();
    // The merchant's own mistake: 500, blaming nobody, the field in the log only.
    let response = client.get("/checkout").dispatch().await;
    assert_eq!(response.status(), Status::InternalServerError);
    assert_eq!(response.content_type(), Some(ContentType::Plain));
    let text = response.into_string().await.unwrap();
    assert!(
        text.starts_with("Cửa hàng gặp lỗi hệ thống (mã invalid_request)."),
        "{text}"
    );
    assert!(!text.contains("mTransactionID"), "{text}");
    let response = client
        .get("/checkout")
        .header(rocket::http::Accept::JSON)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::InternalServerError);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let json: serde_json::Value =
        serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(json["error"], "invalid_request");
    assert_eq!(json["retryable"], false);
}

#[rocket::async_test]
async fn each_notify_is_traced_without_the_secret() {
    let logs = pay123_core::test_util::logs();
    let client = client().await;
    for (id, key) in [
        ("ORDER-T1", key()),
        ("ERR", key()),
        ("ORDER-T2", SecretKey::new("guessed")),
    ] {
        client
            .post(PATH)
            .body(notify(id).to_form(&key))
            .dispatch()
            .await;
    }
    let line = |needles: &[&str]| {
        logs.line(needles)
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", logs.text()))
    };
    let answered = line(&["notify answered", "ORDER-T1"]);
    assert!(answered.contains("pay123.notify"), "{answered}");
    assert!(line(&["the orders table is locked", "answered -3"]).contains("ERR"));
    assert!(line(&["notify refused", "ORDER-T2"]).contains("claimed_m_transaction_id"));
    assert!(!logs.text().contains(SECRET));
}
