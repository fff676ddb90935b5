//! The queryOrder knobs of the admin API: an injected failure for the next calls or until
//! cleared, and another `totalAmount` reported for one transaction.

use http::StatusCode;
use pay123_core::{BankCode, ClientError, QueryOrder, ReturnCode, TransactionStatus};
use pay123_sandbox::{AdminError, Method};

use super::support::{AMOUNT, Harness};

async fn query_error(h: &Harness, id: &str) -> ClientError {
    h.client
        .query_order(&QueryOrder::new(id).unwrap())
        .await
        .expect_err("an injected failure")
}

fn code_of(error: &ClientError) -> &str {
    error
        .return_code()
        .unwrap_or_else(|| panic!("no return code in {error}"))
        .code()
}

#[tokio::test]
async fn query_order_fails_for_the_next_calls_only() {
    let h = Harness::new(|_| {}).await;
    h.create("QF-1", BankCode::Acb).await;
    let failure = h
        .sandbox
        .fail(Method::QueryOrder, ReturnCode::Busy, Some(2))
        .unwrap()
        .expect("a failure in force");
    assert_eq!(failure.calls_left, Some(2));
    // createOrder is not affected, and does not count.
    h.create("QF-2", BankCode::Acb).await;
    // A call refused before authentication does not count either.
    let mut body: serde_json::Value = serde_json::from_slice(
        &QueryOrder::new("QF-1")
            .unwrap()
            .to_json(&pay123_core::Credentials::sandbox()),
    )
    .unwrap();
    body["checksum"] = "0000000000000000000000000000000000000000".into();
    let refused = h
        .http
        .post_raw(&h.url("/miservice/queryOrder1"), &body, true)
        .await;
    assert_eq!(super::support::gateway_error(&refused).0, "6000");

    for _ in 0..2 {
        let e = query_error(&h, "QF-1").await;
        assert_eq!(code_of(&e), "5000", "{e}");
    }
    assert_eq!(h.sandbox.gateway().failure(Method::QueryOrder), None);
    assert_eq!(h.status("QF-1").await, TransactionStatus::New);
}

#[tokio::test]
async fn query_order_fails_until_cleared() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.sandbox
        .fail(Method::QueryOrder, ReturnCode::BankCommunication, None)
        .unwrap();
    for id in ["QC-1", "QC-2", "NEVER-CREATED"] {
        if id != "NEVER-CREATED" {
            h.create(id, BankCode::Acb).await;
        }
        assert_eq!(code_of(&query_error(&h, id).await), "7300");
    }
    // A payment and its notify go on as usual.
    h.pay("QC-PAID").await;
    h.settled("QC-PAID").await;
    assert_eq!(h.sink().received()[0].status, TransactionStatus::Success);
    assert_eq!(code_of(&query_error(&h, "QC-PAID").await), "7300");
    h.sandbox.clear_failure(Method::QueryOrder);
    assert_eq!(h.status("QC-PAID").await, TransactionStatus::Success);
    assert_eq!(h.status("QC-1").await, TransactionStatus::New);

    // Only codes of queryOrder's error table: `1` is not an error, and `6200` is createOrder's.
    for code in ["1", "6200", "6203", "6206", "6212", "7200", "4242"] {
        let e = h
            .sandbox
            .fail(Method::QueryOrder, ReturnCode::from_code(code), None)
            .unwrap_err();
        assert_eq!(
            e,
            AdminError::NotInErrorTable {
                method: Method::QueryOrder,
                code: code.into()
            }
        );
        assert!(e.to_string().contains("5000, 6000, 6100, 7300"), "{e}");
    }
    // Zero calls clears; reset clears.
    h.sandbox
        .fail(Method::QueryOrder, ReturnCode::Busy, None)
        .unwrap();
    assert_eq!(
        h.sandbox
            .fail(Method::QueryOrder, ReturnCode::Busy, Some(0)),
        Ok(None)
    );
    assert_eq!(h.status("QC-PAID").await, TransactionStatus::Success);
    h.sandbox
        .fail(Method::QueryOrder, ReturnCode::Busy, None)
        .unwrap();
    h.sandbox.reset();
    assert_eq!(h.status("QC-PAID").await, TransactionStatus::NotFound);
}

#[tokio::test]
async fn query_order_failures_through_the_admin_api() {
    let h = Harness::new(|_| {}).await;
    h.create("QH-1", BankCode::Acb).await;
    let fail = h.url("/_sandbox/query-order/fail");
    let (status, body) = h
        .http
        .post_json(&fail, r#"{"code": "5000", "calls": 1}"#)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], "5000");
    assert_eq!(body["calls_left"], 1);
    let (_, index) = h.http.get_json(&h.url("/_sandbox/")).await;
    assert_eq!(index["query_order_failure"]["code"], "5000");
    assert_eq!(code_of(&query_error(&h, "QH-1").await), "5000");
    assert_eq!(h.status("QH-1").await, TransactionStatus::New);
    let (_, index) = h.http.get_json(&h.url("/_sandbox/")).await;
    assert!(index["query_order_failure"].is_null(), "{index}");

    // Without `calls`: until cleared.
    let (status, body) = h.http.post_json(&fail, r#"{"code": "6100"}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["calls_left"].is_null());
    for _ in 0..3 {
        assert_eq!(code_of(&query_error(&h, "QH-1").await), "6100");
    }
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/query-order/clear"), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h.status("QH-1").await, TransactionStatus::New);

    for bad in [
        r#"{"code": "1"}"#,
        r#"{"code": "7200"}"#,
        r#"{"code": ""}"#,
        r#"{"code": 5000}"#,
        r#"{"code": "5000", "times": 2}"#,
        "code=5000",
    ] {
        let (status, body) = h.http.post_json(&fail, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"].is_string());
    }
    // A method the sandbox does not have: 404 naming the two it has, before the body is read.
    for route in ["/_sandbox/notify-order/fail", "/_sandbox/queryOrder/clear"] {
        let (status, body) = h.http.post_json(&h.url(route), "not JSON").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{route}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains("create-order or query-order"), "{body}");
    }
    assert_eq!(h.status("QH-1").await, TransactionStatus::New);
}

#[tokio::test]
async fn query_order_reports_another_total_amount() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.create("QA-1", BankCode::Acb).await;
    h.create("QA-OTHER", BankCode::Acb).await;
    let t = h.sandbox.report_total_amount("QA-1", Some(1)).unwrap();
    assert_eq!(t.reported_total_amount, Some(1));
    assert_eq!(t.total_amount, AMOUNT);
    let status = h.query("QA-1").await;
    assert_eq!(status.total_amount(), "1");
    assert_eq!(status.op_amount(), "0");
    // Only that transaction.
    assert_eq!(h.query("QA-OTHER").await.total_amount_vnd(), Some(AMOUNT));

    // The buyer pays the order's amount; the notify goes out; queryOrder says 1 VND.
    let page = h.card_page("QA-PAID").await;
    h.sandbox.report_total_amount("QA-PAID", Some(1)).unwrap();
    assert!(
        page.body.contains("150.000"),
        "the bank page shows the order's amount"
    );
    let page = h.test_card(&page).await;
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
    let t = h.settled("QA-PAID").await;
    assert_eq!(t.op_amount, AMOUNT);
    assert_eq!(h.sink().received()[0].status, TransactionStatus::Success);
    let status = h.query("QA-PAID").await;
    assert_eq!(status.status(), TransactionStatus::Success);
    assert_eq!(status.total_amount_vnd(), Some(1));
    assert_eq!(status.op_amount_vnd(), Some(1));

    // `None` reports the order's amount again.
    h.sandbox.report_total_amount("QA-PAID", None).unwrap();
    let status = h.query("QA-PAID").await;
    assert_eq!(status.total_amount_vnd(), Some(AMOUNT));
    assert_eq!(status.op_amount_vnd(), Some(AMOUNT));
    assert!(matches!(
        h.sandbox.report_total_amount("NOPE", Some(1)),
        Err(AdminError::NotFound(_))
    ));
}

#[tokio::test]
async fn another_total_amount_through_the_admin_api() {
    let h = Harness::new(|_| {}).await;
    h.create("QAH-1", BankCode::Acb).await;
    let url = h.url("/_sandbox/transactions/QAH-1/total-amount");
    let (status, t) = h.http.post_json(&url, r#"{"total_amount": 1}"#).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["reported_total_amount"], 1);
    assert_eq!(t["total_amount"], AMOUNT);
    assert_eq!(h.query("QAH-1").await.total_amount(), "1");
    let (status, t) = h.http.post_json(&url, r#"{"total_amount": null}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t["reported_total_amount"].is_null());
    assert_eq!(h.query("QAH-1").await.total_amount_vnd(), Some(AMOUNT));

    for bad in [
        "{}",
        r#"{"totalAmount": 1}"#,
        r#"{"total_amount": "1"}"#,
        r#"{"total_amount": -1}"#,
    ] {
        let (status, body) = h.http.post_json(&url, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = h
        .http
        .post_json(
            &h.url("/_sandbox/transactions/NOPE/total-amount"),
            r#"{"total_amount": 1}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every code of createOrder's error table can be rehearsed, `6200` and `7200` included, which
/// no request of the merchant's can provoke in the sandbox; queryOrder is not affected.
#[tokio::test]
async fn create_order_fails_with_any_code_of_its_table() {
    let h = Harness::new(|_| {}).await;
    h.create("CF-0", BankCode::Acb).await;
    for code in Method::CreateOrder.error_codes() {
        h.sandbox
            .fail(Method::CreateOrder, code.clone(), Some(1))
            .unwrap();
        let order = pay123_core::CreateOrder::builder(
            format!("CF-{}", code.code()),
            AMOUNT,
            "https://shop.example/return",
        )
        .build()
        .unwrap();
        let e = h.client.create_order(&order).await.unwrap_err();
        assert_eq!(e.return_code(), Some(code), "{e}");
        assert_eq!(h.status("CF-0").await, TransactionStatus::New);
    }
    assert_eq!(h.sandbox.gateway().failure(Method::CreateOrder), None);
    // The order refused with an injected code was not created: the same id works now.
    h.create("CF-6200", BankCode::Acb).await;
    assert_eq!(
        h.sandbox
            .fail(Method::CreateOrder, ReturnCode::Success, None)
            .unwrap_err()
            .to_string(),
        "returnCode \"1\" is not in createOrder's error table; inject one of 5000, 6000, 6100, \
         6200, 6203, 6206, 6212, 7200, 7300"
    );
    // Through the admin API.
    let (status, body) = h
        .http
        .post_json(&h.url("/_sandbox/create-order/fail"), r#"{"code": "7200"}"#)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, index) = h.http.get_json(&h.url("/_sandbox/")).await;
    assert_eq!(index["create_order_failure"]["code"], "7200");
    let order = pay123_core::CreateOrder::builder("CF-API", AMOUNT, "https://shop.example/return")
        .build()
        .unwrap();
    let e = h.client.create_order(&order).await.unwrap_err();
    assert_eq!(e.return_code(), Some(&ReturnCode::InvalidPaymentInfo));
    let (status, _) = h
        .http
        .post_json(&h.url("/_sandbox/create-order/clear"), "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    h.create("CF-API", BankCode::Acb).await;
}
