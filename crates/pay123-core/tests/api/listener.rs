//! The notify handler shape: any incoming request in, the signed reply out.

use std::time::Duration;

use bytes::Bytes;
use futures_executor::block_on;
use pay123_core::{
    BankCode, BodyRefusal, Notify, NotifyListener, NotifyOutcome, NotifyReply, NotifyRequest,
    NotifyReturnCode, Rule, SecretKey, TransactionStatus, VerifyError,
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
        (NotifyOutcome::RetryLater, "-3"),
    ] {
        let handled = block_on(listener.handle_http(
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
    let handled = block_on(listener.handle_http(
        &notify_request(Duration::ZERO),
        now(),
        |_n| async { Err::<NotifyOutcome, &str>("database down") },
    ));
    assert_eq!(
        reply_of(&handled).return_code(),
        &NotifyReturnCode::UpdateFailed
    );
    let handled =
        block_on(
            listener.handle_http(&notify_request(Duration::ZERO), now(), |_n| async {
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
        let handled = block_on(listener.handle_http(&request, now(), |_n: Notify| async {
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
    let handled = block_on(listener.handle_http(
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
    let handled = block_on(listener.handle_http(
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
    let handled =
        block_on(listener.handle_http(&get, now(), |_n| async { NotifyOutcome::Updated }));
    assert_eq!(reply_of(&handled).return_code().code(), "1");
    let put = http::Request::put("http://shop.vn/123pay/notify")
        .body(Bytes::new())
        .unwrap();
    let handled =
        block_on(listener.handle_http(&put, now(), |_n| async { NotifyOutcome::Updated }));
    assert_eq!(handled.response.status(), 405);
    assert!(handled.reply.is_none());
}

#[test]
fn the_reply_ts_is_computed_once() {
    let listener = NotifyListener::new(key());
    let handled = block_on(listener.handle_http(
        &notify_request(Duration::ZERO),
        now(),
        |_n| async { NotifyOutcome::Updated },
    ));
    let body: serde_json::Value = serde_json::from_slice(handled.response.body()).unwrap();
    let reply = reply_of(&handled);
    assert_eq!(body["ts"].as_str(), Some(reply.ts()));
    assert_eq!(reply.ts(), "1499789401000");
    assert_eq!(
        handled.response.content_type(),
        "application/json; charset=utf-8"
    );
}

/// A notify form with any fields, signed with the merchant's key over exactly what is sent.
fn signed_form(id: &str, bank: &str, status: &str, ts: &str) -> String {
    let checksum = pay123_core::checksum::compute(
        pay123_core::checksum::Message::Notify,
        &[id, bank, status, ts],
        &key(),
    )
    .unwrap();
    form_urlencoded::Serializer::new(String::new())
        .append_pair("mTransactionID", id)
        .append_pair("bankCode", bank)
        .append_pair("transactionStatus", status)
        .append_pair("ts", ts)
        .append_pair("checksum", &checksum)
        .finish()
}

#[test]
fn the_fields_are_held_to_their_formats_before_the_checksum() {
    let logs = pay123_core::test_util::logs();
    let listener = NotifyListener::new(key());
    let ts = "1499789401000";
    let long_id = "X".repeat(51);
    // Even correctly signed, a field outside the forms 123PAY writes is refused with -1, and
    // logged as a refusal of a message that carries the merchant's signature.
    for (id, bank, status, field, rule) in [
        ("ORDER-1", "123PVCB-", "1", "bankCode", Rule::BankCodeForm),
        ("ORDER-1", "123pvcb", "1", "bankCode", Rule::BankCodeForm),
        ("ORDER-1", "VCB", "1", "bankCode", Rule::BankCodeForm),
        ("ORDER-1", "", "1", "bankCode", Rule::Required),
        (
            "ORDER-1",
            "123PVCB",
            "01",
            "transactionStatus",
            Rule::Status,
        ),
        (
            "ORDER-1",
            "123PVCB",
            "-0",
            "transactionStatus",
            Rule::Status,
        ),
        (
            "ORDER-1",
            "123PVCB",
            "1.0",
            "transactionStatus",
            Rule::Status,
        ),
        (
            "ORDER-1",
            "123PVCB",
            "12345678901",
            "transactionStatus",
            Rule::Status,
        ),
        (
            "ORDER\n1",
            "123PVCB",
            "1",
            "mTransactionID",
            Rule::Character {
                character: '\n',
                allowed: "any character but control characters",
            },
        ),
        (
            &long_id,
            "123PVCB",
            "1",
            "mTransactionID",
            Rule::TooLong {
                max: 50,
                actual: 51,
            },
        ),
    ] {
        let form = signed_form(id, bank, status, ts);
        let request = NotifyRequest::new("POST", "", None, form.as_bytes());
        let handled =
            block_on(listener.handle(&request, now(), |_n| async { NotifyOutcome::Updated }));
        assert_eq!(reply_of(&handled).return_code().code(), "-1", "{form}");
        match handled.notify {
            Err(VerifyError::Malformed { error, signed, .. }) => {
                assert_eq!((error.field, error.rule), (field, rule), "{form}");
                assert!(
                    signed,
                    "{form}: the checksum verifies over the fields received"
                );
            }
            other => panic!("{form}: {other:?}"),
        }
    }
    // Neither transactionStatus nor ts: the signed string ends with the bank code, as every
    // queryOrder answer's does.
    let form = signed_form("ORDER-1", "123PVCB", "", "");
    let refused = listener.verifier().verify_form(form.as_bytes(), now());
    assert!(
        matches!(&refused, Err(VerifyError::Malformed { error, signed: true, .. }) if error.rule == Rule::StatusOrTs),
        "{refused:?}"
    );
    let line = logs
        .line(&["notify refused although its checksum verifies", "bankCode"])
        .unwrap_or_else(|| panic!("no warning for a signed notify refused:\n{}", logs.text()));
    assert!(line.contains("WARN"), "{line}");
    // The same form with a checksum that is not the key's is a forgery, and says so.
    let forged = signed_form("ORDER-1", "123pvcb", "1", ts).replace("checksum=", "checksum=0");
    let verified = listener.verifier().verify_form(forged.as_bytes(), now());
    assert!(
        matches!(verified, Err(VerifyError::Malformed { signed: false, .. })),
        "{verified:?}"
    );
}

/// Every notify the specification allows, correctly signed, is accepted: a bank 123PAY added
/// after 2017, any status of a status's form (an unknown one read as pending), an id pay123
/// would not create, and the fields the notify table does not require left out.
#[test]
fn every_notify_the_specification_allows_is_accepted() {
    let listener = NotifyListener::new(key());
    let ts = "1499789401000";
    for (id, bank, status, ts, pending) in [
        ("ORDER-1", "123PKLB", "1", ts, false),
        ("ORDER-1", "123PABCDEFGHIJKLMNOP", "1", ts, false),
        ("ORDER-1", "123PVCB", "-1", ts, true),
        ("ORDER-1", "123PVCB", "-7", ts, true),
        ("ORDER-1", "123PVCB", "-100", ts, false),
        ("ORDER-1", "123PVCB", "4242", ts, true),
        ("ORDER 1", "123PVCB", "1", ts, false),
        ("INV-123PAY1", "123PAY", "1", ts, false),
        ("SHOP123PMB2024", "123PMB", "1", ts, false),
        ("Đơn-1", "123PVCB", "1", ts, false),
        ("ORDER-1", "123PVCB", "", ts, true),
        ("ORDER-1", "123PVCB", "1", "", false),
        ("", "123PVCB", "1", ts, false),
    ] {
        let form = signed_form(id, bank, status, ts);
        let request = NotifyRequest::new("POST", "", None, form.as_bytes());
        let handled =
            block_on(listener.handle(&request, now(), |_n| async { NotifyOutcome::Updated }));
        let notify = handled
            .notify
            .as_ref()
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(notify.m_transaction_id(), id);
        assert_eq!(notify.bank_code().code(), bank);
        assert_eq!(notify.status().code(), status);
        assert_eq!(notify.status().is_pending(), pending, "{form}");
        assert_eq!(notify.ts(), ts);
        let reply = reply_of(&handled);
        assert_eq!(reply.return_code().code(), "1", "{form}");
        // An id that ends with a bank code and digits is left out of the signed reply: with
        // the reply's digits after it, it would read as a notify of another order.
        let named = if id.ends_with("123PAY1") || id.ends_with("123PMB2024") {
            ""
        } else {
            id
        };
        assert_eq!(reply.m_transaction_id(), named, "{form}");
    }
}

#[test]
fn a_json_body_is_not_a_notify() {
    let listener = NotifyListener::new(key());
    let form = signed_form("ORDER-1", "123PVCB", "1", "1499789401000");
    let request = NotifyRequest::new("POST", "", Some("application/json"), form.as_bytes());
    let handled = block_on(listener.handle(&request, now(), |_n| async { NotifyOutcome::Updated }));
    assert_eq!(reply_of(&handled).return_code().code(), "-1");
    let error = handled.notify.unwrap_err();
    assert!(matches!(error, VerifyError::NotAForm { .. }), "{error:?}");
    assert!(error.to_string().contains("form"), "{error}");
}

#[test]
fn a_handler_error_is_logged_with_the_order_and_on_the_span() {
    let logs = pay123_core::test_util::logs();
    let listener = NotifyListener::new(key());
    let form = signed_form("ORDER-LOGGED", "123PVCB", "1", "1499789401000");
    let request = NotifyRequest::new("POST", "", None, form.as_bytes());
    let handled = block_on(listener.handle(&request, now(), |_n| async {
        Err::<NotifyOutcome, _>(std::io::Error::other("the orders database is read-only"))
    }));
    assert_eq!(reply_of(&handled).return_code().code(), "-3");
    assert_eq!(
        handled.handler_error.as_ref().map(|e| e.as_str()),
        Some("the orders database is read-only")
    );
    let line = logs
        .line(&["the orders database is read-only", "answered -3"])
        .unwrap_or_else(|| panic!("no log line for the error:\n{}", logs.text()));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("ORDER-LOGGED"), "{line}");
    assert!(line.contains("pay123.notify"), "{line}");
    assert!(!logs.text().contains("MIKEY"));
    // A refused notify logs the id it claimed, marked as a claim.
    let forged = form.replace("ORDER-LOGGED", "ORDER-CLAIMED");
    let request = NotifyRequest::new("POST", "", None, forged.as_bytes());
    block_on(listener.handle(&request, now(), |_n| async { NotifyOutcome::Updated }));
    let line = logs
        .line(&["notify refused", "ORDER-CLAIMED"])
        .unwrap_or_else(|| panic!("no log line for the refusal:\n{}", logs.text()));
    assert!(line.contains("claimed_m_transaction_id"), "{line}");
}

#[test]
fn serve_and_open_read_the_listeners_clock() {
    let clock = pay123_core::clock::ManualClock::new(now());
    let listener = NotifyListener::new(key()).with_clock(clock.clone());
    let form = signed_form("ORDER-7", "123PVCB", "1", "1499789401000");
    let request = NotifyRequest::new("POST", "", None, form.as_bytes());
    let handler = |n: Notify, (): ()| async move {
        assert_eq!(n.m_transaction_id(), "ORDER-7");
        NotifyOutcome::AlreadyUpdated
    };
    let response = block_on(listener.serve(request, (), &handler));
    let reply = NotifyReply::from_json(response.body(), &key()).unwrap();
    assert_eq!(reply.return_code().code(), "2");
    assert_eq!(reply.ts(), "1499789401000");
    // Ten minutes later the same notify is stale.
    clock.advance(Duration::from_secs(600));
    let response = block_on(listener.serve(request, (), &handler));
    let reply = NotifyReply::from_json(response.body(), &key()).unwrap();
    assert_eq!(reply.return_code().code(), "-1");
    assert_eq!(reply.ts(), "1499790001000");
    assert!(listener.open(request).is_err());
    clock.set(now());
    let verified = listener.open(request).unwrap();
    assert_eq!(verified.m_transaction_id(), "ORDER-7");
    let response = verified.reply(Err::<NotifyOutcome, _>("no database"));
    let reply = NotifyReply::from_json(response.body(), &key()).unwrap();
    assert_eq!(reply.return_code().code(), "-3");
}

#[test]
fn refused_bodies_are_answered_413_408_400() {
    let listener = NotifyListener::new(key());
    for (refusal, status) in [
        (BodyRefusal::TooLarge, 413),
        (BodyRefusal::TimedOut, 408),
        (BodyRefusal::Unreadable("reset".into()), 400),
    ] {
        let response = listener.refuse_body("POST", &refusal);
        assert_eq!(response.status(), status);
        assert!(response.content_type().starts_with("text/plain"));
        assert_eq!(response.clone().into_http().status().as_u16(), status);
    }
}

/// A field given twice could be read either way (the checksum verified over one value, the
/// order taken from the other): refused, in a notify and in a return URL.
#[test]
fn a_field_given_twice_is_refused() {
    let listener = NotifyListener::new(key());
    let ts = "1499789401000";
    let form = signed_form("ORDER-1", "123PVCB", "1", ts);
    for (extra, field) in [
        ("&transactionStatus=1", "transactionStatus"),
        ("&mTransactionID=ORDER-2", "mTransactionID"),
        ("&checksum=00", "checksum"),
        ("&ts=1499789401000", "ts"),
    ] {
        let twice = format!("{form}{extra}");
        let verified = listener.verifier().verify_form(twice.as_bytes(), now());
        match verified {
            Err(VerifyError::Malformed { error, .. }) => {
                assert_eq!(
                    (error.field, error.rule),
                    (field, Rule::Repeated),
                    "{twice}"
                );
            }
            other => panic!("{twice}: {other:?}"),
        }
    }
    assert!(
        listener
            .verifier()
            .verify_form(form.as_bytes(), now())
            .is_ok()
    );
    // The return URL's fields too.
    let ticket = pay123_core::ReturnTicket::new("ORDER-1", TransactionStatus::Success, now())
        .unwrap()
        .to_query(&key());
    let twice = format!("{ticket}&transactionID=ORDER-2");
    let refused =
        pay123_core::ReturnTicket::verify_query(&twice, &key(), now(), pay123_core::RETURN_WINDOW);
    assert!(
        matches!(&refused, Err(VerifyError::Malformed { error, .. }) if error.rule == Rule::Repeated && error.field == "transactionID"),
        "{refused:?}"
    );
}
