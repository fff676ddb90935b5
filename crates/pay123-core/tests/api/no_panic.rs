//! Arbitrary input to every parser returns an error (or a value), never a panic.

use std::time::Duration;

use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder};
use pay123_core::{
    CreatedOrder, NotifyReply, NotifyVerifier, OrderStatus, ReturnTicket, SecretKey,
};
use proptest::prelude::*;

use crate::common::now;

fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        "[\\[\\]{}\",:0-9a-zA-Z nul\\\\-]{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(
            prop_oneof![
                Just("\"1\"".to_owned()),
                Just("null".to_owned()),
                "\"[a-z0-9]{0,8}\"",
                "-?[0-9]{1,25}",
                Just("{}".to_owned()),
                Just("[]".to_owned())
            ],
            0..10
        )
        .prop_map(|items| format!("[{}]", items.join(",")).into_bytes()),
    ]
}

fn form_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,200}",
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("mTransactionID"),
                    Just("bankCode"),
                    Just("transactionStatus"),
                    Just("ts"),
                    Just("checksum"),
                    Just("description"),
                    Just("status"),
                    Just("time"),
                    Just("ticket"),
                    Just("transactionID")
                ],
                "[ -~%]{0,30}"
            ),
            0..8
        )
        .prop_map(|pairs| pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_parsers(body in json_ish()) {
        let key = SecretKey::new("MIKEY");
        let _ = CreatedOrder::from_json(&body, &key);
        let _ = OrderStatus::from_json(&body, &key);
        let _ = NotifyReply::from_json(&body, &key);
        let _ = ReceivedCreateOrder::from_json(&body);
        let _ = ReceivedQueryOrder::from_json(&body);
        let response = http::Response::builder().status(200).body(body.clone()).unwrap();
        let _ = CreatedOrder::from_http_response(&response, &key);
        let _ = OrderStatus::from_http_response(&response, &key);
    }

    #[test]
    fn form_parsers(form in form_ish(), secs in any::<u64>()) {
        let key = SecretKey::new("MIKEY");
        let at = std::time::UNIX_EPOCH + Duration::from_secs(secs % 10_000_000_000);
        let verifier = NotifyVerifier::new(key.clone());
        prop_assert!(verifier.verify_form(form.as_bytes(), now()).is_err());
        let _ = verifier.verify_form(form.as_bytes(), at);
        let _ = ReturnTicket::verify_query(&form, &key, at, Duration::from_secs(300));
        if let Ok(request) = http::Request::builder().uri(format!("http://x/?{form}")).body(Vec::<u8>::new()) {
            let _ = verifier.verify_request(&request, at);
        }
    }
}
