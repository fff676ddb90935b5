//! Every answer of createOrder and queryOrder that is not a success, as 123PAY gives it.

use std::time::Duration;

use http::StatusCode;
use pay123_core::{
    BankCode, Client, ClientError, CreateOrder, Credentials, QueryOrder, TransactionStatus,
};

use super::support::{Harness, REDIRECT_URL, detail, gateway_error};

fn code_of(error: &ClientError) -> String {
    error
        .return_code()
        .unwrap_or_else(|| panic!("no return code in {error}"))
        .code()
        .to_owned()
}

/// The signed JSON body of an order, as a value to tamper with.
fn signed_order(id: &str) -> serde_json::Value {
    let order = Harness::order(id, BankCode::Vietinbank);
    serde_json::from_slice(&order.to_json(&Credentials::sandbox())).unwrap()
}

fn signed_query(id: &str) -> serde_json::Value {
    let query = QueryOrder::new(id).unwrap();
    serde_json::from_slice(&query.to_json(&Credentials::sandbox())).unwrap()
}

#[tokio::test]
async fn missing_accept_header_is_http_415() {
    let h = Harness::new(|_| {}).await;
    let create = h.url("/miservice/createOrder1");
    let query = h.url("/miservice/queryOrder1");
    let response = h.http.post_raw(&create, &signed_order("E415"), false).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = h.http.post_raw(&query, &signed_query("E415"), false).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // With the header the same bodies are fine, and no order was created by the refused call.
    let response = h.http.post_raw(&create, &signed_order("E415"), true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let items: Vec<String> = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(items[0], "1", "{items:?}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_http_413_and_changes_nothing() {
    let h = Harness::new(|_| {}).await;
    for (path, mut body) in [
        ("/miservice/createOrder1", signed_order("E413")),
        ("/miservice/queryOrder1", signed_query("E413")),
    ] {
        // A signed request, padded past axum's default limit of 2 MB with a member 123PAY
        // does not read.
        body["padding"] = serde_json::Value::String("x".repeat(3 << 20));
        let response = h.http.post_raw(&h.url(path), &body, true).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    let gateway = h.sandbox.gateway();
    assert_eq!(gateway.transaction_count(), 0, "no order was created");
    assert_eq!(gateway.query_order_calls(), 0, "no query was answered");
    // The same bodies without the padding are taken.
    let response = h
        .http
        .post_raw(
            &h.url("/miservice/createOrder1"),
            &signed_order("E413"),
            true,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// A change to a signed body.
type Tamper = fn(&mut serde_json::Value);

#[tokio::test]
async fn malformed_or_missing_fields_are_6100_naming_the_field() {
    let h = Harness::new(|_| {}).await;
    let create = h.url("/miservice/createOrder1");
    let cases: Vec<(&str, Tamper)> = vec![
        ("custGender", |v| {
            drop(v.as_object_mut().unwrap().remove("custGender"))
        }),
        ("mTransactionID", |v| {
            drop(v.as_object_mut().unwrap().remove("mTransactionID"))
        }),
        ("redirectURL", |v| {
            drop(v.as_object_mut().unwrap().remove("redirectURL"))
        }),
        ("totalAmount", |v| v["totalAmount"] = "100000.0".into()),
        ("totalAmount", |v| v["totalAmount"] = 100_000.into()),
        ("custGender", |v| v["custGender"] = "X".into()),
        ("clientIP", |v| v["clientIP"] = "not-an-ip".into()),
        ("custName", |v| v["custName"] = "Nguyễn Văn A".into()),
        ("description", |v| v["description"] = "Giam 50% !".into()),
        ("merchantCode", |v| {
            drop(v.as_object_mut().unwrap().remove("merchantCode"))
        }),
    ];
    for (i, (field, tamper)) in cases.iter().enumerate() {
        let mut body = signed_order(&format!("E6100-{i}"));
        tamper(&mut body);
        let response = h.http.post_raw(&create, &body, true).await;
        let (code, description) = gateway_error(&response);
        assert_eq!(code, "6100", "case {i} ({field}): {description}");
        // The body holds the specification's text only; the field is named for the developer.
        assert_eq!(
            description,
            "Tham số truyền vào không đúng định dạng yêu cầu"
        );
        let detail = detail(&response);
        assert!(detail.contains(field), "case {i}: {detail:?} names {field}");
        if *field == "custName" {
            // The character refused is named as it was sent (`ễ`, escaped in the ASCII header),
            // not as its unaccented letter.
            assert!(detail.contains("\\u{1ec5}"), "{detail}");
            assert!(!detail.contains("'e'"), "{detail}");
        }
    }
    // Not JSON at all.
    let response = h
        .http
        .post_raw(
            &create,
            &serde_json::Value::String("not an object".into()),
            true,
        )
        .await;
    assert_eq!(gateway_error(&response).0, "6100");
    // queryOrder too.
    let query = h.url("/miservice/queryOrder1");
    let mut body = signed_query("E6100-Q");
    body.as_object_mut().unwrap().remove("passcode");
    let response = h.http.post_raw(&query, &body, true).await;
    assert_eq!(gateway_error(&response).0, "6100");
    assert!(
        detail(&response).contains("passcode"),
        "{}",
        detail(&response)
    );
    assert!(h.sandbox.transactions().is_empty());
}

#[tokio::test]
async fn bad_checksum_or_credentials_are_6000() {
    let h = Harness::new(|_| {}).await;
    let create = h.url("/miservice/createOrder1");
    let query = h.url("/miservice/queryOrder1");

    let mut body = signed_order("E6000-1");
    body["checksum"] = "0000000000000000000000000000000000000000".into();
    assert_eq!(
        gateway_error(&h.http.post_raw(&create, &body, true).await).0,
        "6000"
    );
    // A field changed after signing.
    let mut body = signed_order("E6000-2");
    body["totalAmount"] = "1000".into();
    assert_eq!(
        gateway_error(&h.http.post_raw(&create, &body, true).await).0,
        "6000"
    );
    let mut body = signed_order("E6000-3");
    body.as_object_mut().unwrap().remove("checksum");
    assert_eq!(
        gateway_error(&h.http.post_raw(&create, &body, true).await).0,
        "6000"
    );
    let mut body = signed_query("E6000-4");
    body["checksum"] = "0000000000000000000000000000000000000000".into();
    assert_eq!(
        gateway_error(&h.http.post_raw(&query, &body, true).await).0,
        "6000"
    );

    let order = Harness::order("E6000-5", BankCode::Vietinbank);
    let wrong = [
        Credentials::new("MICODE", "WRONGPASS", "MIKEY").unwrap(),
        Credentials::new("MICODE", "MIPASSCODE", "WRONGKEY").unwrap(),
        Credentials::new("NOSUCHSHOP", "MIPASSCODE", "MIKEY").unwrap(),
    ];
    for credentials in wrong {
        let client = Client::new(h.http.clone(), credentials, h.sandbox.endpoints());
        let e = client.create_order(&order).await.unwrap_err();
        assert_eq!(code_of(&e), "6000", "{e}");
        let e = client
            .query_order(&QueryOrder::new("E6000-5").unwrap())
            .await
            .unwrap_err();
        assert_eq!(code_of(&e), "6000", "{e}");
    }
    assert!(h.sandbox.transactions().is_empty());
}

#[tokio::test]
async fn a_reused_m_transaction_id_is_6206() {
    let h = Harness::new(|_| {}).await;
    h.create("E6206", BankCode::Vietinbank).await;
    let e = h
        .client
        .create_order(&Harness::order("E6206", BankCode::Acb))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "6206");
    assert_eq!(h.sandbox.transactions().len(), 1);
}

#[tokio::test]
async fn over_the_payment_limit_is_6212() {
    let h = Harness::new(|c| c.payment_limit = 1_000_000).await;
    let at_limit = CreateOrder::builder("E6212-OK", 1_000_000, REDIRECT_URL)
        .build()
        .unwrap();
    h.client.create_order(&at_limit).await.unwrap();
    let over = CreateOrder::builder("E6212", 1_000_001, REDIRECT_URL)
        .build()
        .unwrap();
    let e = h.client.create_order(&over).await.unwrap_err();
    assert_eq!(code_of(&e), "6212");
    assert!(h.sandbox.transaction("E6212").is_none());
}

#[tokio::test]
async fn a_bank_under_maintenance_is_6203() {
    let h = Harness::new(|c| c.banks_under_maintenance = vec![BankCode::Vietcombank]).await;
    let e = h
        .client
        .create_order(&Harness::order("E6203", BankCode::Vietcombank))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "6203");
    h.create("E6203-OK", BankCode::Acb).await;
    // On the bank choice page it is refused with a message; another bank works.
    let page = h.start_payment("E6203-CHOICE", BankCode::Pay123).await;
    assert!(
        page.body
            .contains("123PVCB\">Ngân hàng Ngoại Thương Việt Nam (Vietcombank) (đang bảo trì)")
    );
    let again = h.choose_bank(&page, "123PVCB").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.form_id(), "bank_form");
    assert!(
        again.message().unwrap().contains("bảo trì"),
        "{:?}",
        again.message()
    );
    let card = h.choose_bank(&again, "123PACB").await;
    assert_eq!(card.form_id(), "card_form");
}

#[tokio::test]
async fn an_unknown_bank_code_is_6100() {
    let h = Harness::new(|_| {}).await;
    let order = Harness::order("E-BANK", BankCode::from_code("123PJCB"));
    let e = h.client.create_order(&order).await.unwrap_err();
    assert_eq!(code_of(&e), "6100");
    let refusal = h
        .sandbox
        .gateway()
        .refusals()
        .pop()
        .expect("the refusal is listed");
    assert_eq!(refusal.code, "6100");
    assert_eq!(refusal.m_transaction_id.as_deref(), Some("E-BANK"));
    assert!(refusal.detail.contains("bankCode"), "{refusal:?}");
}

#[tokio::test]
async fn query_of_an_unknown_id_is_status_minus_10() {
    let h = Harness::new(|_| {}).await;
    let status = h.query("NEVER-CREATED").await;
    assert_eq!(status.status(), TransactionStatus::NotFound);
    assert!(status.status().is_final() && !status.status().is_success());
}

#[tokio::test]
async fn injected_busy_answers_are_5000() {
    let h = Harness::new(|c| c.faults.busy_rate = 1.0).await;
    let e = h
        .client
        .create_order(&Harness::order("E5000", BankCode::Acb))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "5000");
    assert!(e.return_code().unwrap().is_retryable());
    let e = h
        .client
        .query_order(&QueryOrder::new("E5000").unwrap())
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "5000");
    assert!(h.sandbox.transactions().is_empty());
}

#[tokio::test]
async fn injected_bank_errors_are_7300() {
    let h = Harness::new(|c| c.faults.bank_error_rate = 1.0).await;
    let e = h
        .client
        .create_order(&Harness::order("E7300", BankCode::Acb))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "7300");
    let e = h
        .client
        .query_order(&QueryOrder::new("E7300").unwrap())
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "7300");
}

#[tokio::test]
async fn added_latency_changes_no_answer() {
    // Added latency delays answers without changing them.
    let h = Harness::new(|c| c.faults.latency = Duration::from_millis(20)).await;
    h.create("LATE-1", BankCode::Acb).await;
    assert_eq!(h.status("LATE-1").await, TransactionStatus::New);
}

#[tokio::test]
async fn production_paths_answer_too() {
    let h = Harness::new(|_| {}).await;
    let endpoints = pay123_core::Endpoints::from_base(&h.sandbox.base_url()).unwrap();
    let client = Client::new(h.http.clone(), Credentials::sandbox(), endpoints);
    client
        .create_order(&Harness::order("PROD-PATH", BankCode::Acb))
        .await
        .unwrap();
    let status = client
        .query_order(&QueryOrder::new("PROD-PATH").unwrap())
        .await
        .unwrap();
    assert_eq!(status.status(), TransactionStatus::New);
}
