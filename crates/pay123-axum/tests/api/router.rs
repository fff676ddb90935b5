//! `notify_router`: every reply code, the query-string form, 413, 405, mounting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use http::{Method, StatusCode, header};
use pay123_axum::unconfirmed::notify_router;
use pay123_core::{
    MAX_NOTIFY_BODY, Notify, NotifyOutcome, NotifyReturnCode, SecretKey, TransactionStatus,
};

use crate::support::{
    AN_HOUR, body, get_with_query, key, listener, notify, notify_at, post, raw, reply, send,
};

const PATH: &str = "/123pay/notify";

/// A router whose handler answers `outcome` and counts its calls.
fn app(outcome: NotifyOutcome) -> (Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = notify_router(PATH, listener(), move |_notify: Notify, (): ()| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            outcome
        }
    });
    (router, calls)
}

#[tokio::test]
async fn a_verified_notify_is_answered_1() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let reply = reply(app, post(PATH, &notify("ORDER-1"), &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::Processed);
    assert_eq!(reply.m_transaction_id(), "ORDER-1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_duplicate_is_answered_2() {
    let (app, _) = app(NotifyOutcome::AlreadyUpdated);
    let reply = reply(app, post(PATH, &notify("ORDER-2"), &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::AlreadyUpdated);
}

#[tokio::test]
async fn the_handler_sees_the_notify_fields() {
    let seen = Arc::new(Mutex::new(None));
    let store = seen.clone();
    let app = notify_router(PATH, listener(), move |notify: Notify, (): ()| {
        let store = store.clone();
        async move {
            *store.lock().unwrap() = Some(notify);
            NotifyOutcome::Updated
        }
    });
    let sent = notify_at(
        "ORDER-F",
        TransactionStatus::from_code("7201"),
        SystemTime::now(),
    );
    reply(app, post(PATH, &sent, &key())).await;
    assert_eq!(seen.lock().unwrap().as_ref(), Some(&sent));
}

#[tokio::test]
async fn a_bad_checksum_is_answered_minus_1_before_the_handler() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let forged = post(PATH, &notify("ORDER-3"), &SecretKey::new("guessed"));
    let reply = reply(app, forged).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
    // A refused notify's claimed id is never signed.
    assert_eq!(reply.m_transaction_id(), "");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_ts_out_of_the_window_is_answered_minus_1() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let stale = notify_at(
        "ORDER-4",
        TransactionStatus::Success,
        SystemTime::now() - AN_HOUR,
    );
    let stale = reply(app.clone(), post(PATH, &stale, &key())).await;
    assert_eq!(stale.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(stale.m_transaction_id(), "");
    let future = notify_at(
        "ORDER-4",
        TransactionStatus::Success,
        SystemTime::now() + AN_HOUR,
    );
    let future = reply(app, post(PATH, &future, &key())).await;
    assert_eq!(future.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_expired_ts_is_answered_with_the_listeners_code() {
    let listener = listener().reply_expired_with(NotifyReturnCode::Expired);
    let app = notify_router(PATH, listener, |_: Notify, (): ()| async {
        NotifyOutcome::Updated
    });
    let stale = notify_at(
        "ORDER-5",
        TransactionStatus::Success,
        SystemTime::now() - AN_HOUR,
    );
    let reply = reply(app, post(PATH, &stale, &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::Expired);
}

#[tokio::test]
async fn a_malformed_body_is_answered_minus_1() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let reply = reply(app, raw(Method::POST, PATH, "hello=world&ts=yesterday")).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(reply.m_transaction_id(), "");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_handler_error_is_answered_minus_3() {
    let app = notify_router(PATH, listener(), |_: Notify, (): ()| async {
        Err::<NotifyOutcome, _>(std::io::Error::other("database down"))
    });
    let reply = reply(app, post(PATH, &notify("ORDER-6"), &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::UpdateFailed);
}

#[tokio::test]
async fn a_failed_outcome_is_answered_minus_3() {
    let (app, _) = app(NotifyOutcome::RetryLater);
    let reply = reply(app, post(PATH, &notify("ORDER-7"), &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::UpdateFailed);
}

#[tokio::test]
async fn a_handler_panic_is_answered_minus_3() {
    let app = notify_router(PATH, listener(), |notify: Notify, (): ()| async move {
        if notify.m_transaction_id() == "ORDER-8" {
            panic!("the handler crashed");
        }
        NotifyOutcome::Updated
    });
    let reply = reply(app, post(PATH, &notify("ORDER-8"), &key())).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::UpdateFailed);
    assert_eq!(reply.m_transaction_id(), "ORDER-8");
}

#[tokio::test]
async fn the_query_string_form_is_accepted() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let by_get = reply(app.clone(), get_with_query(PATH, &notify("ORDER-9"))).await;
    assert_eq!(by_get.return_code(), &NotifyReturnCode::Processed);
    assert_eq!(by_get.m_transaction_id(), "ORDER-9");
    // A POST with an empty body and the fields in the query string.
    let mut request = get_with_query(PATH, &notify("ORDER-10"));
    *request.method_mut() = Method::POST;
    let by_post = reply(app, request).await;
    assert_eq!(by_post.return_code(), &NotifyReturnCode::Processed);
    assert_eq!(by_post.m_transaction_id(), "ORDER-10");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let (app, calls) = app(NotifyOutcome::Updated);
    // No content-length: the limit applies while reading.
    let big = vec![b'a'; MAX_NOTIFY_BODY + 1];
    let response = send(app.clone(), raw(Method::POST, PATH, big)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A declared length over the limit is refused without reading.
    let mut request = raw(Method::POST, PATH, "tiny");
    request.headers_mut().insert(
        header::CONTENT_LENGTH,
        (MAX_NOTIFY_BODY + 1).to_string().parse().unwrap(),
    );
    let response = send(app.clone(), request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // At the limit, the body is read and verified (and refused as malformed).
    let exact = vec![b'a'; MAX_NOTIFY_BODY];
    let reply = reply(app, raw(Method::POST, PATH, exact)).await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn other_methods_are_405() {
    let (app, calls) = app(NotifyOutcome::Updated);
    let mut request = post(PATH, &notify("ORDER-11"), &key());
    *request.method_mut() = Method::PUT;
    let response = send(app, request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = response.headers()[header::ALLOW]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allow.contains("POST") && allow.contains("GET"), "{allow}");
    assert!(body(response).await.len() < 100);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// A user's own app state.
#[derive(Clone, Default)]
struct Shop {
    name: &'static str,
    paid: Arc<Mutex<Vec<String>>>,
}

async fn mark_paid(notify: Notify, shop: Shop) -> NotifyOutcome {
    let mut paid = shop.paid.lock().unwrap();
    let id = format!("{}:{}", shop.name, notify.m_transaction_id());
    if paid.contains(&id) {
        NotifyOutcome::AlreadyUpdated
    } else {
        paid.push(id);
        NotifyOutcome::Updated
    }
}

#[tokio::test]
async fn merged_into_a_user_router_the_handler_sees_its_state() {
    let shop = Shop {
        name: "tiem-sach",
        ..Shop::default()
    };
    let app = Router::new()
        .route(
            "/",
            get(|State(shop): State<Shop>| async move { shop.name }),
        )
        .merge(notify_router(PATH, listener(), mark_paid))
        .with_state(shop.clone());
    let first = reply(app.clone(), post(PATH, &notify("ORDER-12"), &key())).await;
    assert_eq!(first.return_code(), &NotifyReturnCode::Processed);
    let again = reply(app.clone(), post(PATH, &notify("ORDER-12"), &key())).await;
    assert_eq!(again.return_code(), &NotifyReturnCode::AlreadyUpdated);
    assert_eq!(*shop.paid.lock().unwrap(), vec!["tiem-sach:ORDER-12"]);
    // The user's own routes still answer.
    let home = send(app, raw(Method::GET, "/", "")).await;
    assert_eq!(body(home).await.as_ref(), b"tiem-sach");
}

#[tokio::test]
async fn nested_under_a_prefix() {
    let shop = Shop::default();
    let app = Router::new()
        .nest("/hooks", notify_router("/123pay", listener(), mark_paid))
        .with_state(shop.clone());
    let reply = reply(
        app.clone(),
        post("/hooks/123pay", &notify("ORDER-13"), &key()),
    )
    .await;
    assert_eq!(reply.return_code(), &NotifyReturnCode::Processed);
    assert_eq!(shop.paid.lock().unwrap().len(), 1);
    let elsewhere = send(app, post(PATH, &notify("ORDER-13"), &key())).await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
}

#[test]
#[should_panic]
fn a_path_without_a_leading_slash_panics() {
    let _: Router = notify_router("123pay/notify", listener(), |_: Notify, (): ()| async {
        NotifyOutcome::Updated
    });
}
