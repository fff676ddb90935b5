//! The generic client over a closure transport, against the gateway side's own builders.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_executor::block_on;
use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder, error_response};
use pay123_core::{
    BankCode, Client, ClientError, CreateOrder, CreatedOrder, Credentials, Endpoints, OrderStatus,
    QueryOrder, ResponseError, ReturnCode, SecretKey, TransactionStatus,
};

/// A fake 123PAY made of the core's gateway side, with a switchable failure.
fn gateway(
    answer_with: Arc<Mutex<Option<ReturnCode>>>,
    signing_key: &'static str,
) -> impl Fn(http::Request<Bytes>) -> std::future::Ready<Result<http::Response<Bytes>, std::io::Error>>
+ Send
+ Sync {
    move |request: http::Request<Bytes>| {
        let creds = Credentials::sandbox();
        let key = SecretKey::new(signing_key);
        if let Some(code) = answer_with.lock().unwrap().clone() {
            return std::future::ready(Ok(error_response(&code, code.vietnamese())));
        }
        let response = if request.uri().path().ends_with("createOrder1") {
            match ReceivedCreateOrder::from_http_request(&request)
                .and_then(|r| r.authenticate(&creds))
            {
                Ok(order) => CreatedOrder::new(
                    format!("123P{}", order.m_transaction_id().replace('-', "")),
                    "https://sandbox.123pay.vn/bank",
                )
                .to_http_response(&key),
                Err(e) => error_response(&e.return_code().unwrap(), &e.to_string()),
            }
        } else {
            match ReceivedQueryOrder::from_http_request(&request)
                .and_then(|r| r.authenticate(&creds))
            {
                Ok(q) => OrderStatus::new(
                    format!("123P{}", q.m_transaction_id().replace('-', "")),
                    TransactionStatus::Success,
                    "100000",
                    "90000",
                    BankCode::Vietcombank,
                )
                .to_http_response(&key),
                Err(e) => error_response(&e.return_code().unwrap(), &e.to_string()),
            }
        };
        std::future::ready(Ok(response))
    }
}

#[test]
fn create_and_query_through_a_closure_transport() {
    let failure = Arc::new(Mutex::new(None));
    let client = Client::new(
        gateway(failure.clone(), "MIKEY"),
        Credentials::sandbox(),
        Endpoints::sandbox(),
    );
    let order = CreateOrder::builder("ORDER-5", 100_000, "https://shop.vn/return")
        .build()
        .unwrap();
    let created = block_on(client.create_order(&order)).unwrap();
    assert_eq!(created.pay123_transaction_id(), "123PORDER5");
    let status = block_on(client.query_order(&QueryOrder::new("ORDER-5").unwrap())).unwrap();
    assert!(status.status().is_success());
    assert_eq!(status.op_amount_vnd(), Some(90_000));

    *failure.lock().unwrap() = Some(ReturnCode::Busy);
    let e = block_on(client.create_order(&order)).unwrap_err();
    assert_eq!(e.return_code(), Some(&ReturnCode::Busy));
    assert!(e.return_code().unwrap().is_retryable());
    assert!(e.to_string().contains("5000"), "{e}");
}

#[test]
fn wrong_credentials_give_6000_and_a_wrongly_signed_answer_is_refused() {
    let client = Client::new(
        gateway(Arc::default(), "MIKEY"),
        Credentials::new("MICODE", "MIPASSCODE", "WRONG").unwrap(),
        Endpoints::sandbox(),
    );
    let order = CreateOrder::builder("ORDER-6", 100_000, "https://shop.vn/return")
        .build()
        .unwrap();
    let e = block_on(client.create_order(&order)).unwrap_err();
    assert_eq!(e.return_code(), Some(&ReturnCode::AuthenticationFailed));

    let client = Client::new(
        gateway(Arc::default(), "NOT-MIKEY"),
        Credentials::sandbox(),
        Endpoints::sandbox(),
    );
    match block_on(client.create_order(&order)) {
        Err(ClientError::Response(ResponseError::Checksum(e))) => {
            assert_eq!(
                e.message,
                pay123_core::checksum::Message::CreateOrderResponse
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn transport_errors_and_http_statuses_are_reported() {
    let failing = |_r: http::Request<Bytes>| async {
        Err::<http::Response<Bytes>, _>(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        ))
    };
    let client = Client::new(failing, Credentials::sandbox(), Endpoints::sandbox());
    let e = block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err();
    assert!(matches!(e, ClientError::Transport { .. }));
    assert!(
        e.is_timeout() && e.is_retryable() && !e.is_not_sent(),
        "{e:?}"
    );
    let text = pay123_core::ErrorChain(&e).to_string();
    assert!(text.ends_with(": timed out"), "{text}");
    assert_eq!(text.matches("timed out").count(), 1, "{text}");

    let unsupported = |_r: http::Request<Bytes>| async {
        let mut r = http::Response::new(Bytes::from_static(b"Unsupported Media Type"));
        *r.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
        Ok::<_, std::io::Error>(r)
    };
    let client = Client::new(unsupported, Credentials::sandbox(), Endpoints::sandbox());
    match block_on(client.query_order(&QueryOrder::new("A").unwrap())) {
        Err(ClientError::Response(ResponseError::Status { status, .. })) => assert_eq!(status, 415),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_blocking_client_signs_sends_and_verifies_the_same_way() {
    let gateway = pay123_core::test_util::FakeGateway::new(Credentials::sandbox());
    let g = gateway.clone();
    let transport =
        move |request: http::Request<Bytes>| Ok::<_, std::io::Error>(g.answer(&request));
    let client =
        pay123_core::blocking::Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
    let order = CreateOrder::builder("ORDER-B", 120_000, "https://shop.vn/return")
        .client_addr("::ffff:10.1.2.3".parse().unwrap())
        .build()
        .unwrap();
    let created = client.create_order(&order).unwrap();
    assert_eq!(
        gateway.created("ORDER-B").unwrap().0.client_ip(),
        "10.1.2.3"
    );
    gateway.set_status("ORDER-B", TransactionStatus::Success);
    let status = client
        .query_order(&QueryOrder::new("ORDER-B").unwrap())
        .unwrap();
    assert_eq!(
        status.pay123_transaction_id(),
        created.pay123_transaction_id()
    );
    assert_eq!(
        status.judge(120_000, Some(created.pay123_transaction_id())),
        pay123_core::Judgement::Paid
    );
    // A transport error of any kind that boxes, here an anyhow-like boxed error.
    let failing =
        |_r: http::Request<Bytes>| -> Result<http::Response<Bytes>, pay123_core::BoxError> {
            Err("proxy said no".into())
        };
    let client =
        pay123_core::blocking::Client::new(failing, Credentials::sandbox(), Endpoints::sandbox());
    let e = client.create_order(&order).unwrap_err();
    assert!(e.is_retryable() && !e.is_not_sent());
    assert_eq!(
        pay123_core::ErrorChain(&e).to_string(),
        "the call to 123PAY failed in transport: the request may have reached 123PAY: proxy said no"
    );
}

/// A transport that is not `Send`: an `Rc` inside, as single-threaded runtimes' clients have.
#[test]
fn a_transport_that_is_not_send_works() {
    let calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let counted = calls.clone();
    let gateway = pay123_core::test_util::FakeGateway::new(Credentials::sandbox());
    let transport = move |request: http::Request<Bytes>| {
        counted.set(counted.get() + 1);
        let answer = gateway.answer(&request);
        let held = counted.clone();
        async move {
            drop(held);
            Ok::<_, std::io::Error>(answer)
        }
    };
    let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
    let status = block_on(client.query_order(&QueryOrder::new("NOPE").unwrap())).unwrap();
    assert_eq!(status.status(), &TransactionStatus::NotFound);
    assert_eq!(calls.get(), 1);
}

#[test]
fn every_error_has_the_status_and_text_an_app_answers_with() {
    let busy = |_r: http::Request<Bytes>| async {
        Ok::<_, std::io::Error>(error_response(&ReturnCode::Busy, "Hệ thống bận"))
    };
    let client = Client::new(busy, Credentials::sandbox(), Endpoints::sandbox());
    let e = pay123_core::Error::from(
        block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err(),
    );
    assert_eq!(e.http_status(), 503);
    assert!(e.is_retryable());
    assert_eq!(
        e.response_text(),
        "Hệ thống bận (mã 5000). Vui lòng thử lại sau ít phút.\n\
         System busy (code 5000). Please try again in a few minutes.\n"
    );
    let hang = |_r: http::Request<Bytes>| async {
        Err::<http::Response<Bytes>, _>(std::io::Error::new(std::io::ErrorKind::TimedOut, "slow"))
    };
    let client = Client::new(hang, Credentials::sandbox(), Endpoints::sandbox());
    let e = pay123_core::Error::from(
        block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err(),
    );
    assert_eq!(e.http_status(), 504);
    assert_eq!(
        e.response_text(),
        "123PAY không trả lời kịp thời. Vui lòng thử lại sau ít phút.\n\
         123PAY did not answer in time. Please try again in a few minutes.\n"
    );
    // The cause is for the logs, not for the buyer.
    assert!(!e.response_text().contains("slow"));
    assert!(format!("{e:#}").ends_with(": slow"), "{e:#}");
    // A value of the merchant's that breaks a rule is the shop's problem, not the buyer's: 500,
    // and the field only in the log.
    let e = pay123_core::Error::from(QueryOrder::new("A\tB").unwrap_err());
    assert_eq!(e.http_status(), 500);
    assert!(!e.is_retryable());
    assert!(
        !e.response_text().contains("mTransactionID"),
        "{}",
        e.response_text()
    );
    assert!(e.to_string().contains("mTransactionID"), "{e}");
    let auth = |_r: http::Request<Bytes>| async {
        Ok::<_, std::io::Error>(error_response(&ReturnCode::AuthenticationFailed, "x"))
    };
    let client = Client::new(auth, Credentials::sandbox(), Endpoints::sandbox());
    let e = pay123_core::Error::from(
        block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err(),
    );
    assert_eq!(e.http_status(), 500);
    assert!(
        e.response_text()
            .starts_with("Cửa hàng gặp lỗi hệ thống (mã 6000).")
    );
    assert!(!e.response_text().contains("Xác thực"));
    let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(json["error"], "6000");
}

#[test]
fn an_unsigned_failure_code_that_is_not_123pays_is_an_invalid_answer() {
    // A failure answer carries no checksum: whoever answers in 123PAY's place chooses its code.
    // Only 123PAY's form of code (digits) is taken as a code; anything else is refused as an
    // invalid answer, never shown to the buyer nor used as the error's code.
    for code in ["<script>alert(1)</script>", "6000 ", "123456789", "-1", ""] {
        let body = serde_json::json!([code, "x"]).to_string();
        let answer = move |_r: http::Request<Bytes>| {
            let body = body.clone();
            async move {
                Ok::<_, std::io::Error>(
                    http::Response::builder()
                        .header("content-type", "application/json")
                        .body(Bytes::from(body))
                        .unwrap(),
                )
            }
        };
        let client = Client::new(answer, Credentials::sandbox(), Endpoints::sandbox());
        let e = block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err();
        assert!(
            matches!(&e, ClientError::Response(ResponseError::Malformed { .. })),
            "{code:?}: {e:?}"
        );
        let e = pay123_core::Error::from(e);
        assert_eq!(e.code(), "invalid_response", "{code:?}");
        assert_eq!(e.http_status(), 502, "{code:?}");
        if !code.is_empty() {
            assert!(!e.response_text().contains(code), "{code:?}");
            assert!(!e.to_json().contains(code.trim()), "{code:?}");
        }
    }
    // 123PAY's own codes are still read as codes.
    let busy = |_r: http::Request<Bytes>| async {
        Ok::<_, std::io::Error>(error_response(&ReturnCode::Busy, "x"))
    };
    let client = Client::new(busy, Credentials::sandbox(), Endpoints::sandbox());
    let e = block_on(client.query_order(&QueryOrder::new("A").unwrap())).unwrap_err();
    assert_eq!(e.return_code(), Some(&ReturnCode::Busy));
}

#[test]
fn a_query_answer_recut_at_another_boundary_is_refused() {
    // 123PAY signs "1" + id + status + totalAmount + opAmount + bankCode with no separator: a
    // genuine answer "status 10 (checking the account), 1,250,000 VND" signs the same string as
    // "status 1 (paid), 01,250,000 VND". The forms of the fields tell them apart.
    let key = Credentials::sandbox().secret_key().clone();
    let genuine = OrderStatus::new(
        "123P1707110106640",
        TransactionStatus::from_code("10"),
        "1250000",
        "0",
        BankCode::Vietcombank,
    )
    .to_json(&key);
    let mut items: Vec<Option<String>> = serde_json::from_slice(&genuine).unwrap();
    items[2] = Some("1".into());
    items[3] = Some("01250000".into());
    let values: Vec<&str> = items[..6].iter().map(|v| v.as_deref().unwrap()).collect();
    let message = pay123_core::checksum::Message::QueryOrderResponse;
    let signed = pay123_core::checksum::compute(message, &values, &key);
    assert_eq!(
        signed.as_deref(),
        items[7].as_deref(),
        "the recut answer carries a valid checksum"
    );
    let recut = serde_json::to_vec(&items).unwrap();
    let e = OrderStatus::from_json(&recut, &key).unwrap_err();
    assert!(matches!(e, ResponseError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("totalAmount"), "{e}");
    // The genuine answer reads as it is: pending, 1,250,000 VND.
    let status = OrderStatus::from_json(&genuine, &key).unwrap();
    assert!(status.status().is_pending());
    // Other fields out of their form are refused too, whatever the checksum says.
    for (i, bad) in [(1, "ORDER-1"), (2, "01"), (4, "00"), (5, "vcb")] {
        let mut t: Vec<Option<String>> = serde_json::from_slice(&genuine).unwrap();
        t[i] = Some(bad.into());
        let e = OrderStatus::from_json(&serde_json::to_vec(&t).unwrap(), &key).unwrap_err();
        assert!(
            matches!(e, ResponseError::Malformed { .. }),
            "{i} {bad}: {e:?}"
        );
    }
}
