//! Signed notifies and reply checks, all through the core.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use pay123_core::{BankCode, Notify, NotifyListener, NotifyReply, SecretKey, TransactionStatus};
use tower::ServiceExt;

/// A key nobody would log by accident.
pub(crate) const SECRET: &str = "s3cr3t-KEY-never-logged";

pub(crate) fn key() -> SecretKey {
    SecretKey::new(SECRET)
}

pub(crate) fn listener() -> NotifyListener {
    NotifyListener::new(key())
}

pub(crate) fn notify_at(id: &str, status: TransactionStatus, at: SystemTime) -> Notify {
    Notify::new(id, BankCode::Vietcombank, status, "", at).unwrap()
}

pub(crate) fn notify(id: &str) -> Notify {
    notify_at(id, TransactionStatus::Success, SystemTime::now())
}

/// The form POST 123PAY sends, signed with `key`.
pub(crate) fn post(path: &str, notify: &Notify, key: &SecretKey) -> Request<Body> {
    let uri = format!("http://shop.example{path}").parse().unwrap();
    notify.to_http_request(&uri, key).map(Body::from)
}

/// The same fields in the query string of a `GET`, with an empty body.
pub(crate) fn get_with_query(path: &str, notify: &Notify) -> Request<Body> {
    Request::get(format!("{path}?{}", notify.to_form(&key())))
        .body(Body::empty())
        .unwrap()
}

pub(crate) fn raw(method: Method, path: &str, body: impl Into<Bytes>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.into()))
        .unwrap()
}

pub(crate) async fn send(app: Router, request: Request<Body>) -> Response {
    app.oneshot(request).await.unwrap()
}

pub(crate) async fn body(response: Response) -> Bytes {
    axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
}

fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap().as_millis()
}

/// Sends `request` and checks the answer is a signed reply (HTTP 200, JSON) whose `ts`, the
/// one in its checksum, was taken during the call.
pub(crate) async fn reply(app: Router, request: Request<Body>) -> NotifyReply {
    let before = SystemTime::now();
    let response = send(app, request).await;
    let after = SystemTime::now();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = body(response).await;
    // from_json verifies the checksum, which covers the `ts` field.
    let reply = NotifyReply::from_json(&body, &key()).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&body));
    });
    let ts: u128 = reply.ts().parse().unwrap();
    assert!(
        millis(before) <= ts && ts <= millis(after),
        "ts {ts} not taken during the call"
    );
    reply
}

pub(crate) const AN_HOUR: Duration = Duration::from_secs(3600);
