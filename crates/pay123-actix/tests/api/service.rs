//! `notify_service` and `VerifiedNotify` through `actix_web::test`: every reply code, the
//! query-string form, 413, 405, app data, errors as responses.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use pay123_actix::unconfirmed::{VerifiedNotify, notify_service};
use pay123_core::{
    MAX_NOTIFY_BODY, Notify, NotifyOutcome, NotifyReturnCode, SecretKey, TransactionStatus,
};

use crate::support::{AN_HOUR, key, listener, notify, notify_at, post, reply};

const PATH: &str = "/123pay/notify";

/// The app's own state.
#[derive(Default)]
struct Shop {
    calls: AtomicUsize,
    paid: Mutex<Vec<String>>,
}

async fn mark_paid(notify: Notify, shop: web::Data<Shop>) -> Result<NotifyOutcome, String> {
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

macro_rules! app {
    ($shop:expr) => {
        init_service(
            App::new()
                .route(
                    "/",
                    web::get().to(|| async { HttpResponse::Ok().body("my shop") }),
                )
                .configure(notify_service(PATH, listener(), $shop.clone(), mark_paid)),
        )
        .await
    };
}

#[actix_web::test]
async fn the_reply_matrix() {
    let shop = web::Data::new(Shop::default());
    let app = app!(shop);
    let now = SystemTime::now();
    let code = |r: &pay123_core::NotifyReply| r.return_code().code().to_owned();

    // A verified notify: 1, then a duplicate: 2.
    let first = reply(
        call_service(&app, post(PATH, &notify("ORDER-1"), &key()).to_request()).await,
        now,
    )
    .await;
    assert_eq!(
        (code(&first), first.m_transaction_id()),
        ("1".into(), "ORDER-1")
    );
    let again = reply(
        call_service(&app, post(PATH, &notify("ORDER-1"), &key()).to_request()).await,
        now,
    )
    .await;
    assert_eq!(code(&again), "2");
    // A handler error, a Failed outcome and a panic: -3.
    for id in ["ERR", "FAIL", "PANIC"] {
        let r = reply(
            call_service(&app, post(PATH, &notify(id), &key()).to_request()).await,
            now,
        )
        .await;
        assert_eq!((code(&r), r.m_transaction_id()), ("-3".into(), id), "{id}");
    }
    assert_eq!(shop.calls.load(Ordering::SeqCst), 5);

    // Forged, stale, malformed: -1 naming no order, before the handler.
    let forged = post(PATH, &notify("ORDER-2"), &SecretKey::new("guessed"));
    let stale = post(
        PATH,
        &notify_at("ORDER-3", TransactionStatus::Success, now - AN_HOUR),
        &key(),
    );
    let malformed = TestRequest::post().uri(PATH).set_payload("hello=world");
    let json = TestRequest::post()
        .uri(PATH)
        .insert_header(("content-type", "application/json"))
        .set_payload(notify("ORDER-4").to_form(&key()));
    for request in [forged, stale, malformed, json] {
        let r = reply(call_service(&app, request.to_request()).await, now).await;
        assert_eq!((code(&r), r.m_transaction_id()), ("-1".into(), ""));
    }
    assert_eq!(shop.calls.load(Ordering::SeqCst), 5);

    // The query-string form, by GET.
    let query = notify("ORDER-5").to_form(&key());
    let by_get = TestRequest::get()
        .uri(&format!("{PATH}?{query}"))
        .to_request();
    assert_eq!(
        code(&reply(call_service(&app, by_get).await, now).await),
        "1"
    );

    // 405, and 413 declared or read.
    let put = call_service(&app, TestRequest::put().uri(PATH).to_request()).await;
    assert_eq!(put.status(), 405);
    assert!(
        put.headers()
            .get("allow")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let big = TestRequest::post()
        .uri(PATH)
        .set_payload(vec![b'a'; MAX_NOTIFY_BODY + 1]);
    assert_eq!(call_service(&app, big.to_request()).await.status(), 413);
    let exact = TestRequest::post()
        .uri(PATH)
        .set_payload(vec![b'a'; MAX_NOTIFY_BODY]);
    assert_eq!(
        code(&reply(call_service(&app, exact.to_request()).await, now).await),
        "-1"
    );
    assert_eq!(shop.calls.load(Ordering::SeqCst), 6);

    // The app's own routes still answer.
    let home = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    assert_eq!(read_body(home).await, "my shop");
}

async fn own_route(verified: VerifiedNotify) -> HttpResponse {
    let outcome = if verified.m_transaction_id() == "SEEN" {
        NotifyOutcome::AlreadyUpdated
    } else {
        NotifyOutcome::Updated
    };
    verified.reply(outcome)
}

#[actix_web::test]
async fn the_extractor_answers_as_the_service() {
    let app = init_service(
        App::new()
            .app_data(web::Data::new(listener()))
            .route(PATH, web::route().to(own_route)),
    )
    .await;
    let now = SystemTime::now();
    for (id, expected) in [("ORDER-1", "1"), ("SEEN", "2")] {
        let r = reply(
            call_service(&app, post(PATH, &notify(id), &key()).to_request()).await,
            now,
        )
        .await;
        assert_eq!(r.return_code().code(), expected);
    }
    let forged = post(PATH, &notify("ORDER-2"), &SecretKey::new("guessed"));
    let r = reply(call_service(&app, forged.to_request()).await, now).await;
    assert_eq!(r.return_code(), &NotifyReturnCode::InvalidChecksum);
    let big = TestRequest::post()
        .uri(PATH)
        .set_payload(vec![b'a'; MAX_NOTIFY_BODY + 1]);
    assert_eq!(call_service(&app, big.to_request()).await.status(), 413);
}

async fn checkout() -> Result<HttpResponse, pay123_actix::Error> {
    let order = pay123_core::CreateOrder::builder("ORDER 1", 1000, "https://shop.vn/").build()?;
    Ok(HttpResponse::Ok().body(order.m_transaction_id().to_owned()))
}

/// A checkout against a gateway that is busy.
async fn busy_checkout() -> Result<HttpResponse, pay123_actix::Error> {
    let busy = |_r: http::Request<bytes::Bytes>| async {
        Ok::<_, std::io::Error>(pay123_core::gateway::error_response(
            &pay123_core::ReturnCode::Busy,
            "x",
        ))
    };
    let client = pay123_core::Client::new(
        busy,
        pay123_core::Credentials::sandbox(),
        pay123_core::Endpoints::sandbox(),
    );
    let query = pay123_core::QueryOrder::new("ORDER-1")?;
    client.query_order(&query).await?;
    Ok(HttpResponse::Ok().finish())
}

#[actix_web::test]
async fn errors_become_responses_text_or_json_as_asked() {
    let app = init_service(
        App::new()
            // A header set inside (a request id, CORS...) stays when the body becomes JSON.
            .wrap(actix_web::middleware::DefaultHeaders::new().add(("x-request-id", "req-7")))
            .wrap(actix_web::middleware::from_fn(
                pay123_actix::negotiate_errors,
            ))
            .route("/checkout", web::post().to(checkout))
            .route("/busy", web::post().to(busy_checkout)),
    )
    .await;
    // The merchant's own mistake (an id that breaks a rule): 500, blaming nobody, the field in
    // the log only.
    let response = call_service(&app, TestRequest::post().uri("/checkout").to_request()).await;
    assert_eq!(response.status(), 500);
    let text = String::from_utf8(read_body(response).await.to_vec()).unwrap();
    assert!(
        text.starts_with("Cửa hàng gặp lỗi hệ thống (mã invalid_request)."),
        "{text}"
    );
    assert!(!text.contains("mTransactionID"), "{text}");
    let response = call_service(&app, TestRequest::post().uri("/busy").to_request()).await;
    assert_eq!(response.status(), 503);
    let text = String::from_utf8(read_body(response).await.to_vec()).unwrap();
    assert!(
        text.starts_with("Hệ thống bận (mã 5000). Vui lòng thử lại"),
        "{text}"
    );
    // An API client asked for JSON.
    let asked = TestRequest::post()
        .uri("/busy")
        .insert_header(("Accept", "application/json"))
        .to_request();
    let response = call_service(&app, asked).await;
    assert_eq!(response.status(), 503);
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(response.headers().get("x-request-id").unwrap(), "req-7");
    let json: serde_json::Value = serde_json::from_slice(&read_body(response).await).unwrap();
    assert_eq!(json["error"], "5000");
    assert_eq!(json["retryable"], true);
}

/// The core's span and events, as on every adapter; the key is never logged.
#[actix_web::test]
async fn each_notify_is_traced_without_the_secret() {
    let logs = pay123_core::test_util::logs();
    let shop = web::Data::new(Shop::default());
    let app = app!(shop);
    call_service(&app, post(PATH, &notify("ORDER-T1"), &key()).to_request()).await;
    call_service(&app, post(PATH, &notify("ERR"), &key()).to_request()).await;
    call_service(
        &app,
        post(PATH, &notify("ORDER-T2"), &SecretKey::new("guessed")).to_request(),
    )
    .await;
    let line = |needles: &[&str]| {
        logs.line(needles)
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", logs.text()))
    };
    let answered = line(&["notify answered", "ORDER-T1"]);
    assert!(answered.contains("pay123.notify"), "{answered}");
    assert!(answered.contains("returnCode=\"1\""), "{answered}");
    let failed = line(&["the orders table is locked", "answered -3"]);
    assert!(failed.contains("ERR"), "{failed}");
    assert!(line(&["notify refused", "ORDER-T2"]).contains("claimed_m_transaction_id"));
    assert!(!logs.text().contains(crate::support::SECRET));
}
