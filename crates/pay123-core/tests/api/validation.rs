//! Every validation rule of the specification's table, with accented and over-long input.

use pay123_core::text::{description, unaccent};
use pay123_core::{
    BankCode, CreateOrder, Credentials, Endpoints, QueryOrder, Rule, ValidationError,
};

fn order() -> pay123_core::CreateOrderBuilder {
    CreateOrder::builder("ORDER-1", 100_000, "https://shop.vn/return")
}

fn err(result: Result<CreateOrder, ValidationError>) -> ValidationError {
    result.expect_err("must be refused")
}

#[test]
fn a_minimal_order_is_valid_and_defaults_follow_the_faq() {
    let o = order().build().unwrap();
    assert_eq!(o.bank_code().code(), "123PAY");
    assert_eq!(o.customer_gender().code(), "U");
    assert_eq!(o.cancel_url(), "https://shop.vn/return");
    assert_eq!(o.error_url(), "https://shop.vn/return");
}

#[test]
fn required_fields() {
    let e = err(CreateOrder::builder("", 1, "https://shop.vn/").build());
    assert_eq!((e.field, e.rule), ("mTransactionID", Rule::Required));
    let e = err(CreateOrder::builder("A", 1, "").build());
    assert_eq!((e.field, e.rule), ("redirectURL", Rule::Required));
    let e = err(CreateOrder::builder("A", 0, "https://shop.vn/").build());
    assert_eq!((e.field, e.rule), ("totalAmount", Rule::ZeroAmount));
    assert_eq!(QueryOrder::new("").unwrap_err().field, "mTransactionID");
    assert_eq!(
        Credentials::new("", "p", "k").unwrap_err().field,
        "merchantCode"
    );
    assert_eq!(
        Credentials::new("M", "", "k").unwrap_err().field,
        "passcode"
    );
    assert_eq!(
        Credentials::new("M", "p", "").unwrap_err().field,
        "secretKey"
    );
}

#[test]
fn lengths() {
    type Make = Box<dyn Fn(String) -> pay123_core::CreateOrderBuilder>;
    let cases: Vec<(&str, Make, usize)> = vec![
        ("custName", Box::new(|s| order().customer_name(s)), 64),
        (
            "custAddress",
            Box::new(|s| order().customer_address(s)),
            255,
        ),
        ("description", Box::new(|s| order().description(s)), 255),
    ];
    for (field, make, max) in cases {
        assert!(make("a".repeat(max)).build().is_ok(), "{field} at {max}");
        let e = err(make("a".repeat(max + 1)).build());
        assert_eq!(e.field, field);
        assert_eq!(
            e.rule,
            Rule::TooLong {
                max,
                actual: max + 1
            }
        );
        assert!(e.to_string().contains(&format!("at most {max}")), "{e}");
    }
    let e = err(CreateOrder::builder("x".repeat(51), 1, "https://shop.vn/").build());
    assert_eq!(
        (e.field, e.rule),
        (
            "mTransactionID",
            Rule::TooLong {
                max: 50,
                actual: 51
            }
        )
    );
    let e = err(order().customer_phone("1".repeat(21)).build());
    assert_eq!(e.field, "custPhone");
    let e = err(order()
        .customer_mail(format!("{}@x.vn", "a".repeat(60)))
        .build());
    assert_eq!(e.field, "custMail");
    let long_url = format!("https://shop.vn/{}", "p".repeat(990));
    assert_eq!(
        err(order().cancel_url(long_url.clone()).build()).field,
        "cancelURL"
    );
    assert_eq!(err(order().error_url(long_url).build()).field, "errorURL");
    assert!(
        Credentials::new("M".repeat(21), "p", "k")
            .unwrap_err()
            .to_string()
            .contains("merchantCode")
    );
    // createOrder's table allows 255, queryOrder's 20: 123PAY's one passcode goes into both.
    assert_eq!(
        Credentials::new("M", "p".repeat(256), "k")
            .unwrap_err()
            .rule,
        Rule::TooLong {
            max: 255,
            actual: 256
        }
    );
    assert!(Credentials::new("M", "p".repeat(20), "k").is_ok());
    assert_eq!(
        err(order()
            .bank_code(pay123_core::BankCode::Unknown("B".repeat(21)))
            .build())
        .field,
        "bankCode"
    );
}

#[test]
fn accented_vietnamese_is_refused_and_points_to_the_helper() {
    for (field, builder) in [
        ("custName", order().customer_name("Nguyễn Văn Ánh")),
        (
            "custAddress",
            order().customer_address("12 Trần Phú, Đà Nẵng"),
        ),
        ("description", order().description("Áo thun")),
    ] {
        let e = err(builder.build());
        assert_eq!(e.field, field);
        assert!(matches!(e.rule, Rule::NotAscii { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("không dấu") && text.contains("unaccent"),
            "{text}"
        );
    }
    assert!(
        order()
            .customer_name(unaccent("Nguyễn Văn Ánh"))
            .build()
            .is_ok()
    );
    assert!(
        order()
            .customer_address(unaccent("12 Trần Phú, Đà Nẵng"))
            .build()
            .is_ok()
    );
    assert_eq!(unaccent("12 Trần Phú, Đà Nẵng"), "12 Tran Phu, Da Nang");
    assert_eq!(unaccent("ĐỨC ĐẠT ơ ư"), "DUC DAT o u");
}

#[test]
fn description_character_set() {
    assert!(
        order()
            .description("Don hang 12: ao, size M - mau_do.")
            .build()
            .is_ok()
    );
    for bad in ["50%", "a/b", "x!", "(M)", "a\"b", "a\nb"] {
        assert_eq!(
            err(order().description(bad).build()).field,
            "description",
            "{bad}"
        );
    }
    let cleaned = description("Đơn hàng #12 (áo thun) – 50% giảm!");
    assert_eq!(cleaned, "Don hang 12 ao thun - 50 giam");
    assert!(order().description(cleaned).build().is_ok());
}

#[test]
fn gender_dob_ip_url_and_mail() {
    assert_eq!(
        pay123_core::Gender::from_code("X").unwrap_err().rule,
        Rule::Gender
    );
    assert_eq!(
        pay123_core::Gender::from_code("m").unwrap_err().rule,
        Rule::Gender
    );
    assert!(order().customer_dob("29/02/2000").build().is_ok());
    assert_eq!(
        err(order().customer_dob("30/02/2000").build()).rule,
        Rule::Date
    );
    assert_eq!(
        err(order().customer_dob("2000-02-01").build()).rule,
        Rule::DateFormat
    );
    assert_eq!(
        err(order().customer_dob("1/2/2000").build()).rule,
        Rule::DateFormat
    );
    assert_eq!(err(order().client_ip("::1").build()).rule, Rule::Ipv4);
    assert_eq!(err(order().client_ip("300.1.1.1").build()).rule, Rule::Ipv4);
    assert_eq!(
        QueryOrder::new("A")
            .unwrap()
            .with_client_ip("x")
            .unwrap_err()
            .rule,
        Rule::Ipv4
    );
    let e = err(CreateOrder::builder("A", 1, "shop.vn/return").build());
    assert_eq!(e.field, "redirectURL");
    assert!(matches!(e.rule, Rule::Url(_)));
    assert!(matches!(
        err(CreateOrder::builder("A", 1, "ftp://shop.vn/").build()).rule,
        Rule::Url(_)
    ));
    assert_eq!(
        err(order().customer_mail("not-an-address").build()).field,
        "custMail"
    );
    assert_eq!(
        err(order().customer_phone("09x").build()).field,
        "custPhone"
    );
    assert_eq!(
        err(CreateOrder::builder("A B", 1, "https://shop.vn/").build()).field,
        "mTransactionID"
    );
}

#[test]
fn the_amount_is_always_a_string_of_digits_on_the_wire() {
    let o = CreateOrder::builder("A", 1_234_567, "https://shop.vn/")
        .build()
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&o.to_json(&Credentials::sandbox())).unwrap();
    assert_eq!(body["totalAmount"], serde_json::json!("1234567"));
    // The gateway side refuses numbers and decimals with 6100 naming the field.
    for (amount, rule) in [
        (serde_json::json!(100000), Rule::NotAString),
        (serde_json::json!("100000.0"), Rule::Amount),
        (serde_json::json!("-1"), Rule::Amount),
    ] {
        let mut b = body.clone();
        b["totalAmount"] = amount;
        let e =
            pay123_core::gateway::ReceivedCreateOrder::from_json(&serde_json::to_vec(&b).unwrap())
                .unwrap_err();
        assert_eq!(e.return_code().unwrap().code(), "6100");
        match e {
            pay123_core::gateway::RequestError::Field(v) => {
                assert_eq!((v.field, v.rule), ("totalAmount", rule))
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_gateway_side_names_missing_fields_and_wants_json_accept() {
    let o = order().build().unwrap();
    let mut request = o.to_http_request(&Credentials::sandbox(), &Endpoints::sandbox());
    request.headers_mut().remove("accept");
    let e = pay123_core::gateway::ReceivedCreateOrder::from_http_request(&request).unwrap_err();
    assert!(matches!(
        e,
        pay123_core::gateway::RequestError::NotAcceptable
    ));
    assert_eq!(e.return_code(), None);
    assert_eq!(e.to_http_response().status(), 415);
    // Any Accept that takes JSON is enough; one that names JSON with q=0 or only another type
    // is not.
    for (accept, ok) in [
        ("application/json", true),
        ("*/*", true),
        ("application/*", true),
        ("text/html, application/json;q=0.5", true),
        ("text/html", false),
        ("application/json;q=0", false),
        ("text/*", false),
    ] {
        request
            .headers_mut()
            .insert("accept", http::HeaderValue::from_static(accept));
        let read = pay123_core::gateway::ReceivedCreateOrder::from_http_request(&request);
        assert_eq!(read.is_ok(), ok, "{accept}: {read:?}");
    }
    // Other refusals are answered [code, description] with HTTP 200.
    let e = pay123_core::gateway::ReceivedCreateOrder::from_json(b"{}").unwrap_err();
    let answer = e.to_http_response();
    assert_eq!(answer.status(), 200);
    let items: Vec<String> = serde_json::from_slice(answer.body()).unwrap();
    // The description is the specification's text; the field is named for the gateway's log.
    assert_eq!(
        items,
        ["6100", "Tham số truyền vào không đúng định dạng yêu cầu"]
    );
    assert!(e.to_string().contains("merchantCode"), "{e}");
    for field in [
        "merchantCode",
        "passcode",
        "totalAmount",
        "custGender",
        "redirectURL",
        "mTransactionID",
    ] {
        let mut b: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&o.to_json(&Credentials::sandbox())).unwrap();
        b.remove(field);
        let e =
            pay123_core::gateway::ReceivedCreateOrder::from_json(&serde_json::to_vec(&b).unwrap())
                .unwrap_err();
        assert!(e.to_string().contains(field), "{field}: {e}");
        assert_eq!(e.return_code().unwrap().code(), "6100");
    }
    let e = pay123_core::gateway::ReceivedCreateOrder::from_json(b"[1,2]").unwrap_err();
    assert_eq!(e.return_code().unwrap().code(), "6100");
}

#[test]
fn endpoints() {
    assert_eq!(
        Endpoints::production().create_order(),
        "https://mi.123pay.vn/createOrder1"
    );
    assert_eq!(
        Endpoints::production().query_order(),
        "https://mi.123pay.vn/queryOrder1"
    );
    let local = Endpoints::from_base("http://127.0.0.1:3123/miservice/").unwrap();
    assert_eq!(
        local.create_order(),
        "http://127.0.0.1:3123/miservice/createOrder1"
    );
    assert_eq!(
        local.query_order(),
        "http://127.0.0.1:3123/miservice/queryOrder1"
    );
    assert!(Endpoints::custom("nope", "http://x.vn/q").is_err());
}

#[test]
fn an_empty_bank_code_is_the_default_and_signed_as_empty() {
    let creds = Credentials::sandbox();
    let o = order().build().unwrap();
    let mut body: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&o.to_json(&creds)).unwrap();
    body.insert("bankCode".into(), serde_json::json!(""));
    // What a merchant that sends "bankCode": "" signs: the empty string in its place.
    let values: Vec<String> = pay123_core::checksum::Message::CreateOrderRequest
        .fields()
        .iter()
        .filter(|f| **f != pay123_core::checksum::Field::SecretKey)
        .map(|f| {
            body.get(f.as_str())
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let checksum = pay123_core::checksum::compute(
        pay123_core::checksum::Message::CreateOrderRequest,
        &values,
        creds.secret_key(),
    )
    .unwrap();
    body.insert("checksum".into(), serde_json::json!(checksum));
    let received =
        pay123_core::gateway::ReceivedCreateOrder::from_json(&serde_json::to_vec(&body).unwrap())
            .unwrap();
    let order = received.authenticate(&creds).unwrap();
    assert_eq!(order.bank_code(), pay123_core::BankCode::Pay123);
}

#[test]
fn a_received_notify_keeps_a_long_description_it_does_not_sign() {
    use pay123_core::{BankCode, Notify, NotifyVerifier, SecretKey, TransactionStatus};
    let key = SecretKey::new("MIKEY");
    let now = std::time::SystemTime::now();
    let notify = Notify::new(
        "A1",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "ok",
        now,
    )
    .unwrap();
    let long = "x".repeat(400);
    let form = notify
        .to_form(&key)
        .replace("description=ok", &format!("description={long}"));
    let verified = NotifyVerifier::new(key)
        .verify_form(form.as_bytes(), now)
        .unwrap();
    assert_eq!(verified.description(), long);
    // Building one (the gateway side) still follows the table.
    let e = Notify::new(
        "A1",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        long,
        now,
    )
    .unwrap_err();
    assert_eq!(e.field, "description");
}

#[test]
fn the_buyers_address_is_taken_in_any_form() {
    // createOrder's table gives clientIP 15 characters, queryOrder's 10: read as a misprint,
    // both take a real IPv4 address.
    for (addr, create, query) in [
        ("203.113.1.10", "203.113.1.10", "203.113.1.10"),
        ("::ffff:203.113.1.10", "203.113.1.10", "203.113.1.10"),
        ("255.255.255.255", "255.255.255.255", "255.255.255.255"),
        ("10.0.0.7", "10.0.0.7", "10.0.0.7"),
        ("::ffff:10.0.0.7", "10.0.0.7", "10.0.0.7"),
        ("2001:db8::1", "", ""),
        ("::1", "", ""),
    ] {
        let o = order().client_addr(addr.parse().unwrap()).build().unwrap();
        assert_eq!(o.client_ip(), create, "{addr}");
        let q = QueryOrder::new("A1")
            .unwrap()
            .with_client_addr(addr.parse().unwrap());
        assert_eq!(q.client_ip(), query, "{addr}");
    }
    let q = QueryOrder::new("A1")
        .unwrap()
        .with_client_ip("203.113.1.10")
        .unwrap();
    assert_eq!(q.client_ip(), "203.113.1.10");
    let e = QueryOrder::new("A1")
        .unwrap()
        .with_client_ip("203.113.1.010")
        .unwrap_err();
    assert_eq!((e.field, e.rule), ("clientIP", Rule::Ipv4));
}

#[test]
fn an_id_that_ends_with_a_bank_code_is_refused_with_the_reason() {
    let e = err(CreateOrder::builder("ORDER123PVCB", 1000, "https://shop.vn/").build());
    assert_eq!(e.field, "mTransactionID");
    assert_eq!(
        e.rule,
        Rule::EndsWithBankCode {
            bank: "123PVCB".to_owned()
        }
    );
    assert!(e.to_string().contains("no separator"), "{e}");
    // Any code of 123PAY's form, known or not, at any place.
    for id in ["ORDER123PKLB7", "123PVCB1", "A-123PAY-1"] {
        let e = err(CreateOrder::builder(id, 1000, "https://shop.vn/").build());
        assert!(matches!(e.rule, Rule::EndsWithBankCode { .. }), "{id}");
    }
    assert!(
        CreateOrder::builder("ORDER-123PVCB-A", 1000, "https://shop.vn/")
            .build()
            .is_ok()
    );
    // An order created elsewhere can still be queried: the request goes to 123PAY only.
    assert!(QueryOrder::new("ORDER123PAY1").is_ok());
    assert!(QueryOrder::new("ORDER 1").is_ok());
    assert!(QueryOrder::new("ORDER\n1").is_err());
    assert!(QueryOrder::new("").is_err());
}

#[test]
fn one_rule_for_a_bank_code_in_the_builder_and_the_listener() {
    // A bank added after the specification: created, and its notify accepted.
    let order = CreateOrder::builder("ORDER-1", 1000, "https://shop.vn/")
        .bank_code(BankCode::from_code("123PKLB"))
        .build()
        .unwrap();
    assert_eq!(order.bank_code().code(), "123PKLB");
    for code in ["123pklb", "KLB", "123PKLB1", "123P"] {
        let e = err(CreateOrder::builder("ORDER-1", 1000, "https://shop.vn/")
            .bank_code(BankCode::from_code(code))
            .build());
        assert_eq!(
            (e.field, e.rule),
            ("bankCode", Rule::BankCodeForm),
            "{code}"
        );
    }
}

#[test]
fn a_passcode_as_long_as_create_orders_table_allows() {
    let long = "p".repeat(255);
    let credentials = Credentials::new("MICODE", long.as_str(), "MIKEY").unwrap();
    assert_eq!(credentials.passcode().expose_secret(), long);
    let e = Credentials::new("MICODE", "p".repeat(256), "MIKEY").unwrap_err();
    assert_eq!(
        (e.field, e.rule),
        (
            "passcode",
            Rule::TooLong {
                max: 255,
                actual: 256
            }
        )
    );
}
