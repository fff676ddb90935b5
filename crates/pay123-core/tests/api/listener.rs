//! The notify handler shape: any incoming request in, the signed reply out.

use std::time::Duration;

use bytes::Bytes;
use futures_executor::block_on;
use pay123_core::{
    BankCode, Notify, NotifyListener, NotifyOutcome, NotifyReply, NotifyReturnCode, SecretKey,
    TransactionStatus, VerifyError,
};

use crate::common::now;

fn key() -> SecretKey {
    SecretKey::new("MIKEY")
}

fn notify_request(ts_offset: Duration) -> http::Request<Bytes> {
    let notify = Notify::new(
        "ORDER-9",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "Giao dich thanh cong",
        now() - ts_offset,
    )
    .unwrap();
    notify.to_http_request(&"http://shop.vn/123pay/notify".parse().unwrap(), &key())
}

fn reply_of(handled: &pay123_core::Handled) -> NotifyReply {
    assert_eq!(handled.response.status(), 200);
    let reply = NotifyReply::from_json(handled.response.body(), &key()).expect("a signed reply");
    assert_eq!(Some(&reply), handled.reply.as_ref());
    reply
}

#[test]
fn outcomes_map_to_1_2_and_minus_3() {
    let listener = NotifyListener::new(key());
    for (outcome, code) in [
        (NotifyOutcome::Updated, "1"),
        (NotifyOutcome::AlreadyUpdated, "2"),
        (NotifyOutcome::Failed, "-3"),
    ] {
        let handled = block_on(listener.handle(
            &notify_request(Duration::ZERO),
            now(),
            |n: Notify| async move {
                assert_eq!(n.m_transaction_id(), "ORDER-9");
                outcome
            },
        ));
        let reply = reply_of(&handled);
        assert_eq!(reply.return_code().code(), code);
        assert_eq!(reply.m_transaction_id(), "ORDER-9");
        assert_eq!(handled.outcome, Some(outcome));
    }
}

#[test]
fn a_handler_error_or_panic_is_minus_3() {
    let listener = NotifyListener::new(key());
    let handled = block_on(
        listener.handle(&notify_request(Duration::ZERO), now(), |_n| async {
            Err::<NotifyOutcome, &str>("database down")
        }),
    );
    assert_eq!(
        reply_of(&handled).return_code(),
        &NotifyReturnCode::UpdateFailed
    );
    let handled = block_on(
        listener.handle(&notify_request(Duration::ZERO), now(), |_n| async {
            if true {
                panic!("handler bug");
            }
            NotifyOutcome::Updated
        }),
    );
    assert!(handled.panicked);
    assert_eq!(
        reply_of(&handled).return_code(),
        &NotifyReturnCode::UpdateFailed
    );
}

#[test]
fn refused_notifies_get_minus_1_before_user_code_runs() {
    let listener = NotifyListener::new(key());
    let mut forged = notify_request(Duration::ZERO);
    let body = String::from_utf8(forged.body().to_vec())
        .unwrap()
        .replace("transactionStatus=1", "transactionStatus=-100");
    *forged.body_mut() = Bytes::from(body);
    let stale = notify_request(Duration::from_secs(301));
    let json = http::Request::post("http://shop.vn/n")
        .body(Bytes::from_static(br#"{"mTransactionID":"ORDER-9"}"#))
        .unwrap();
    for (request, what) in [(forged, "forged"), (stale, "stale"), (json, "json")] {
        let handled = block_on(listener.handle(&request, now(), |_n: Notify| async {
            panic!("user code must not run for a {what} notify");
            #[allow(unreachable_code)]
            NotifyOutcome::Updated
        }));
        let reply = reply_of(&handled);
        assert_eq!(
            reply.return_code(),
            &NotifyReturnCode::InvalidChecksum,
            "{what}"
        );
        assert!(
            handled.notify.is_err() && handled.outcome.is_none(),
            "{what}"
        );
    }
    // 123PAY's sample code answers -2 for an expired ts: configurable.
    let listener = NotifyListener::new(key()).reply_expired_with(NotifyReturnCode::Expired);
    let handled = block_on(listener.handle(
        &notify_request(Duration::from_secs(400)),
        now(),
        |_n| async { NotifyOutcome::Updated },
    ));
    assert_eq!(reply_of(&handled).return_code().code(), "-2");
    assert!(matches!(
        handled.notify,
        Err(VerifyError::Expired {
            age_seconds: 400,
            ..
        })
    ));
    // A wider window accepts it.
    let listener = NotifyListener::new(key()).with_window(Duration::from_secs(600));
    let handled = block_on(listener.handle(
        &notify_request(Duration::from_secs(400)),
        now(),
        |_n| async { NotifyOutcome::Updated },
    ));
    assert_eq!(reply_of(&handled).return_code().code(), "1");
}

#[test]
fn query_string_form_and_methods() {
    let listener = NotifyListener::new(key());
    let post = notify_request(Duration::ZERO);
    let query = String::from_utf8(post.body().to_vec()).unwrap();
    let get = http::Request::get(format!("http://shop.vn/123pay/notify?{query}"))
        .body(Bytes::new())
        .unwrap();
    let handled = block_on(listener.handle(&get, now(), |_n| async { NotifyOutcome::Updated }));
    assert_eq!(reply_of(&handled).return_code().code(), "1");
    let put = http::Request::put("http://shop.vn/123pay/notify")
        .body(Bytes::new())
        .unwrap();
    let handled = block_on(listener.handle(&put, now(), |_n| async { NotifyOutcome::Updated }));
    assert_eq!(handled.response.status(), 405);
    assert!(handled.reply.is_none());
}

#[test]
fn the_reply_ts_is_computed_once() {
    let listener = NotifyListener::new(key());
    let handled = block_on(
        listener.handle(&notify_request(Duration::ZERO), now(), |_n| async {
            NotifyOutcome::Updated
        }),
    );
    let body: serde_json::Value = serde_json::from_slice(handled.response.body()).unwrap();
    let reply = reply_of(&handled);
    assert_eq!(body["ts"].as_str(), Some(reply.ts()));
    assert_eq!(reply.ts(), "1499789401000");
    assert_eq!(
        handled.response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
}
