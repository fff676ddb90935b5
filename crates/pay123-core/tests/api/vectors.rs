//! The specification's test vectors (key `MIKEY`), and the return ticket of the field.

use pay123_core::checksum::{Message, compute};
use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder};
use pay123_core::{
    BankCode, ChecksumFault, CreateOrder, CreatedOrder, Credentials, Endpoints, Gender,
    OrderStatus, QueryOrder, ResponseError, ReturnTicket, SecretKey, TransactionStatus,
};

const REDIRECT: &str = "https://sandbox.123pay.vn/banksim/index.SMARTLINK.123P1707110106638.MICODE.accountNoName.100000.1499789401525.8d538c668ae7c6eac606f28b98aea13d70d14fe0.VjIwMTcwNzExMDAw.123PVTB.html";

fn spec_order() -> CreateOrder {
    CreateOrder::builder("V20170711001", 100_000, "https://www.google.com.vn/")
        .bank_code(BankCode::Vietinbank)
        .client_ip("127.0.0.1")
        .customer_gender(Gender::Male)
        .cancel_url("https://www.google.com.vn/")
        .error_url("https://www.google.com.vn/")
        .build()
        .unwrap()
}

#[test]
fn create_order_request() {
    let creds = Credentials::sandbox();
    assert_eq!(
        spec_order().checksum(&creds),
        "50a98e764eb6ab1a00d80735fd37dcf582c6b217"
    );
    let request = spec_order().to_http_request(&creds, &Endpoints::sandbox());
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.headers()["accept"], "application/json");
    assert_eq!(
        request.uri(),
        "https://sandbox.123pay.vn/miservice/createOrder1"
    );
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(body["checksum"], "50a98e764eb6ab1a00d80735fd37dcf582c6b217");
    assert_eq!(body["totalAmount"], "100000", "the amount is a JSON string");
    assert_eq!(body["passcode"], "MIPASSCODE");
    assert!(body.get("custName").is_none(), "absent fields are left out");
}

#[test]
fn create_order_request_as_the_spec_prints_it_is_accepted_by_the_gateway_side() {
    let body = br#"{ "bankCode": "123PVTB", "totalAmount": "100000", "errorURL": "https://www.google.com.vn/", "merchantCode": "MICODE", "cancelURL": "https://www.google.com.vn/", "redirectURL": "https://www.google.com.vn/", "custGender": "M", "clientIP": "127.0.0.1", "checksum": "50a98e764eb6ab1a00d80735fd37dcf582c6b217", "mTransactionID": "V20170711001", "passcode": "MIPASSCODE" }"#;
    let received = ReceivedCreateOrder::from_json(body).unwrap();
    assert_eq!(received.merchant_code(), "MICODE");
    let order = received.authenticate(&Credentials::sandbox()).unwrap();
    assert_eq!(order, spec_order());
}

#[test]
fn create_order_response() {
    let body = format!(
        r#"["1", "123P1707110106638", "{}", "a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4"]"#,
        REDIRECT.replace('/', "\\/")
    );
    let created = CreatedOrder::from_json(body.as_bytes(), &SecretKey::new("MIKEY")).unwrap();
    assert_eq!(created.pay123_transaction_id(), "123P1707110106638");
    assert_eq!(created.payment_url(), REDIRECT, "escaped slashes are read");
    // The gateway side signs it the same way.
    let resp = created.to_http_response(&SecretKey::new("MIKEY"));
    let v: Vec<String> = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(v[3], "a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4");
}

#[test]
fn query_order_request() {
    let creds = Credentials::sandbox();
    let query = QueryOrder::new("V20170711001")
        .unwrap()
        .with_client_ip("127.0.0.1")
        .unwrap();
    assert_eq!(
        query.checksum(&creds),
        "a297d98f538840bac33a666d4d54ced219cebca1"
    );
    let body = br#"{ "merchantCode": "MICODE", "clientIP": "127.0.0.1", "checksum": "a297d98f538840bac33a666d4d54ced219cebca1", "mTransactionID": "V20170711001", "passcode": "MIPASSCODE" }"#;
    let received = ReceivedQueryOrder::from_json(body).unwrap();
    assert_eq!(received.authenticate(&creds).unwrap(), query);
}

/// The spec prints status "1" with a checksum that only verifies with status "10": the example
/// was edited after it was signed. The corrected vector is tested; the printed one must fail.
#[test]
fn query_order_response_corrected_vector() {
    let key = SecretKey::new("MIKEY");
    let corrected = br#"["1", "123P1707110106640", "10", "100000", "100000", "123PVTB", null, "6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
    let status = OrderStatus::from_json(corrected, &key).unwrap();
    assert_eq!(status.status(), &TransactionStatus::CheckingAccount);
    assert_eq!(status.total_amount_vnd(), Some(100_000));
    assert_eq!(status.op_amount_vnd(), Some(100_000));
    assert_eq!(status.bank_code(), &BankCode::Vietinbank);
    assert_eq!(status.description(), None);

    let as_printed = br#"["1", "123P1707110106640", "1", "100000", "100000", "123PVTB", null, "6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
    match OrderStatus::from_json(as_printed, &key) {
        Err(ResponseError::Checksum(e)) => assert_eq!(e.fault, ChecksumFault::Mismatch),
        other => panic!("the misprinted vector must not verify: {other:?}"),
    }
}

#[test]
fn return_ticket_md5() {
    let key = SecretKey::new("MIKEY");
    assert_eq!(
        compute(
            Message::ReturnTicket,
            &["1", "1349164000", "123P1210020000506"],
            &key
        )
        .unwrap(),
        "0d5b8e8d4aea134c3cd159dd500f3598"
    );
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_349_164_100);
    let ticket = ReturnTicket::verify_query(
        "transactionID=123P1210020000506&time=1349164000&status=1&ticket=0d5b8e8d4aea134c3cd159dd500f3598",
        &key,
        now,
        pay123_core::RETURN_WINDOW,
    )
    .unwrap();
    assert!(ticket.status().is_success());
    assert_eq!(ticket.m_transaction_id(), "123P1210020000506");
}

#[test]
fn compute_matches_the_message_types() {
    let key = SecretKey::new("MIKEY");
    assert_eq!(
        compute(
            Message::CreateOrderResponse,
            &["1", "123P1707110106638", REDIRECT],
            &key
        )
        .unwrap(),
        "a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4"
    );
    assert_eq!(
        compute(
            Message::QueryOrderRequest,
            &["V20170711001", "MICODE", "127.0.0.1", "MIPASSCODE"],
            &key
        )
        .unwrap(),
        "a297d98f538840bac33a666d4d54ced219cebca1"
    );
}

#[test]
fn the_masked_signing_string_shows_the_fields_but_no_secret() {
    let creds = Credentials::sandbox();
    let s = spec_order().signing_string_masked(&creds);
    assert_eq!(
        s,
        "V20170711001|MICODE|123PVTB|100000|127.0.0.1|||M||||https://www.google.com.vn/|https://www.google.com.vn/|https://www.google.com.vn/|<passcode, 10 chars>|<secretKey>"
    );
    assert!(!s.contains("MIKEY") && !s.contains("MIPASSCODE"));
}
