//! Signed notifies, as 123PAY sends them, and reply checks, through the core.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::TestRequest;
use pay123_core::{BankCode, Notify, NotifyListener, NotifyReply, SecretKey, TransactionStatus};

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
pub(crate) fn post(path: &str, notify: &Notify, key: &SecretKey) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(notify.to_form(key))
}

fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap().as_millis()
}

/// Checks the answer is a signed reply (HTTP 200, JSON) whose `ts` was taken after `before`.
pub(crate) async fn reply<B: MessageBody>(
    response: ServiceResponse<B>,
    before: SystemTime,
) -> NotifyReply {
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = actix_web::test::read_body(response).await;
    let reply = NotifyReply::from_json(&body, &key())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    let ts: u128 = reply.ts().parse().unwrap();
    assert!(millis(before) <= ts && ts <= millis(SystemTime::now()));
    reply
}

pub(crate) const AN_HOUR: Duration = Duration::from_secs(3600);
