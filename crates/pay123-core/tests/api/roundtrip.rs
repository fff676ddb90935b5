//! Build -> parse round trips for every message in both directions, and tamper tests: changing
//! any signed field, or the key, makes verification fail.

use std::time::Duration;

use pay123_core::checksum::{Field, Message};
use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder, RequestError};
use pay123_core::{
    BankCode, CreatedOrder, Credentials, Endpoints, Notify, NotifyListener, NotifyOutcome,
    NotifyReply, NotifyRequest, NotifyVerifier, OrderStatus, QueryOrder, ReturnTicket, SecretKey,
    TransactionStatus,
};
use proptest::prelude::*;

use crate::common::{bank, create_order, notify_status, now, status, token};

fn creds() -> Credentials {
    Credentials::new("MICODE", "MIPASSCODE", "MIKEY").unwrap()
}

/// Changes a string so that it differs but stays of the same kind.
fn alter(value: &str) -> String {
    match value.chars().last() {
        None => "1".to_owned(),
        Some(c) => {
            let mut s = value.to_owned();
            s.pop();
            s.push(match c {
                '9' => '8',
                c if c.is_ascii_digit() => ((c as u8) + 1) as char,
                'z' => 'y',
                'Z' => 'Y',
                '/' => 'x',
                c if c.is_ascii_alphabetic() => ((c as u8) + 1) as char,
                _ => 'a',
            });
            s
        }
    }
}

/// Every field of a JSON request the checksum covers (merchant code and passcode fail earlier).
fn signed_request_fields(message: Message) -> Vec<&'static str> {
    message
        .fields()
        .iter()
        .filter(|f| !matches!(f, Field::SecretKey | Field::Passcode | Field::MerchantCode))
        .map(|f| f.as_str())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn create_order_round_trip(order in create_order()) {
        let request = order.to_http_request(&creds(), &Endpoints::sandbox());
        let received = ReceivedCreateOrder::from_http_request(&request).unwrap();
        prop_assert_eq!(received.authenticate(&creds()).unwrap(), order);
    }

    #[test]
    fn create_order_tampered(order in create_order(), pick in any::<prop::sample::Index>()) {
        let body: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&order.to_json(&creds())).unwrap();
        let fields = signed_request_fields(Message::CreateOrderRequest);
        let field = fields[pick.index(fields.len())];
        let mut tampered = body.clone();
        let old = tampered.get(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let new = match field {
            "custGender" => if old == "M" { "F".to_owned() } else { "M".to_owned() },
            "clientIP" => if old == "10.0.0.1" { "10.0.0.2".to_owned() } else { "10.0.0.1".to_owned() },
            "custDOB" => if old == "01/01/2000" { "02/01/2000".to_owned() } else { "01/01/2000".to_owned() },
            "custMail" => format!("x{}", if old.is_empty() { "a@b.vn" } else { &old }),
            "totalAmount" => (old.parse::<u64>().unwrap() % 1_000_000 + 1_000_001).to_string(),
            "bankCode" => if old == "123PVCB" { "123PACB".to_owned() } else { "123PVCB".to_owned() },
            "mTransactionID" => alter(&old),
            _ if old.starts_with("http") => format!("{old}x"),
            _ => alter(&old),
        };
        prop_assume!(new != old);
        tampered.insert(field.to_owned(), serde_json::Value::String(new));
        let bytes = serde_json::to_vec(&tampered).unwrap();
        let received = ReceivedCreateOrder::from_json(&bytes).unwrap();
        let err = received.authenticate(&creds()).unwrap_err();
        // The merchant code and passcode are untouched: the checksum is what fails.
        prop_assert!(matches!(err, RequestError::Checksum(_)), "{field}: {err}");
        // And the original with another key.
        let other = Credentials::new("MICODE", "MIPASSCODE", "MIKEY2").unwrap();
        let original = ReceivedCreateOrder::from_json(&serde_json::to_vec(&body).unwrap()).unwrap();
        prop_assert!(original.authenticate(&other).is_err());
    }

    #[test]
    fn query_order_round_trip_and_tamper(id in token(50), ip in proptest::option::of(any::<[u8; 4]>())) {
        let mut query = QueryOrder::new(id).unwrap();
        if let Some(ip) = ip {
            let ip = std::net::Ipv4Addr::from(ip).to_string();
            // The queryOrder table gives clientIP 10 characters.
            match query.clone().with_client_ip(ip.as_str()) {
                Ok(with_ip) => query = with_ip,
                Err(e) => prop_assert!(ip.len() > 10, "{}: {}", ip, e),
            }
        }
        let request = query.to_http_request(&creds(), &Endpoints::sandbox());
        let received = ReceivedQueryOrder::from_http_request(&request).unwrap();
        prop_assert_eq!(received.authenticate(&creds()).unwrap(), query.clone());

        for field in signed_request_fields(Message::QueryOrderRequest) {
            let mut body: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&query.to_json(&creds())).unwrap();
            let old = body.get(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let new = if field == "clientIP" {
                if old == "10.0.0.1" { "10.0.0.2".to_owned() } else { "10.0.0.1".to_owned() }
            } else {
                alter(&old)
            };
            body.insert(field.to_owned(), serde_json::Value::String(new));
            let received = ReceivedQueryOrder::from_json(&serde_json::to_vec(&body).unwrap()).unwrap();
            prop_assert!(received.authenticate(&creds()).is_err(), "{}", field);
        }
        let wrong_passcode = Credentials::new("MICODE", "OTHER", "MIKEY").unwrap();
        let received = ReceivedQueryOrder::from_http_request(&request).unwrap();
        prop_assert!(received.authenticate(&wrong_passcode).is_err());
    }

    #[test]
    fn created_order_round_trip_and_tamper(id in "123P[A-Z0-9]{1,16}", path in "[a-z0-9/]{0,40}") {
        let key = SecretKey::new("MIKEY");
        let created = CreatedOrder::new(id, format!("https://pay.vn/{path}"));
        let response = created.to_http_response(&key);
        prop_assert_eq!(&CreatedOrder::from_http_response(&response, &key).unwrap(), &created);
        prop_assert!(CreatedOrder::from_http_response(&response, &SecretKey::new("K2")).is_err());
        let items: Vec<String> = serde_json::from_slice(response.body()).unwrap();
        for i in 1..3 {
            let mut t = items.clone();
            t[i] = alter(&t[i]);
            prop_assert!(CreatedOrder::from_json(&serde_json::to_vec(&t).unwrap(), &key).is_err());
        }
    }

    #[test]
    fn order_status_round_trip_and_tamper(
        id in "123P[A-Z0-9]{1,16}", st in status(), total in 1u64..1_000_000_000, op in 0u64..1_000_000_000,
        bank in bank(), description in proptest::option::of("[a-z ]{0,20}"),
    ) {
        let key = SecretKey::new("MIKEY");
        let mut status = OrderStatus::new(id, st, total.to_string(), op.to_string(), bank);
        if let Some(description) = description {
            status = status.with_description(description);
        }
        let response = status.to_http_response(&key);
        prop_assert_eq!(&OrderStatus::from_http_response(&response, &key).unwrap(), &status);
        prop_assert!(OrderStatus::from_http_response(&response, &SecretKey::new("K2")).is_err());
        let items: Vec<Option<String>> = serde_json::from_slice(response.body()).unwrap();
        for i in 1..6 {
            let mut t = items.clone();
            t[i] = Some(alter(t[i].as_deref().unwrap()));
            prop_assert!(OrderStatus::from_json(&serde_json::to_vec(&t).unwrap(), &key).is_err(), "item {}", i);
        }
        // The description is not signed.
        let mut t = items.clone();
        t[6] = Some("changed".into());
        prop_assert!(OrderStatus::from_json(&serde_json::to_vec(&t).unwrap(), &key).is_ok());
    }

    #[test]
    fn notify_round_trip_and_tamper(id in token(50), bank in bank(), st in notify_status(), description in "[A-Za-z ]{0,40}", skew in 0u64..300) {
        let key = SecretKey::new("MIKEY");
        let notify = Notify::new(id, bank, st, description, now()).unwrap();
        let verifier = NotifyVerifier::new(key.clone());
        let at = now() + Duration::from_secs(skew);
        let form = notify.to_form(&key);
        prop_assert_eq!(&verifier.verify_form(form.as_bytes(), at).unwrap(), &notify);
        // The same fields in the query string of a bodiless request.
        let request = http::Request::builder()
            .uri(format!("http://shop.vn/123pay/notify?{form}"))
            .body(bytes::Bytes::new())
            .unwrap();
        prop_assert_eq!(&verifier.verify_request(&request, at).unwrap(), &notify);
        // A form POST.
        let post = notify.to_http_request(&"http://shop.vn/123pay/notify".parse().unwrap(), &key);
        prop_assert_eq!(&verifier.verify_request(&post, at).unwrap(), &notify);
        prop_assert_eq!(post.headers()["content-type"].to_str().unwrap(), "application/x-www-form-urlencoded");

        prop_assert!(NotifyVerifier::new(SecretKey::new("K2")).verify_form(form.as_bytes(), at).is_err());
        let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        for field in ["mTransactionID", "bankCode", "transactionStatus", "ts"] {
            let tampered: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|(k, v)| {
                    let v = if k == field {
                        if field == "ts" { (v.parse::<u64>().unwrap() - 1).to_string() } else { alter(v) }
                    } else { v.clone() };
                    (k.clone(), v)
                }))
                .finish();
            prop_assert!(verifier.verify_form(tampered.as_bytes(), at).is_err(), "{}", field);
        }
    }

    #[test]
    fn notify_reply_round_trip_and_tamper(id in token(50), outcome in 0usize..3, skew in 0u64..10_000) {
        let key = SecretKey::new("MIKEY");
        let outcome = [NotifyOutcome::Updated, NotifyOutcome::AlreadyUpdated, NotifyOutcome::RetryLater][outcome];
        // Replies come from the listener only, answering a verified notify.
        let notify = Notify::new(id.as_str(), BankCode::Vietcombank, TransactionStatus::Success, "", now()).unwrap();
        let form = notify.to_form(&key);
        let at = now() + Duration::from_millis(skew);
        let listener = NotifyListener::new(key.clone());
        let request = NotifyRequest::new("POST", "", None, form.as_bytes());
        let handled = futures_executor::block_on(listener.handle(&request, at, |_| async move { outcome }));
        let reply = handled.reply.unwrap();
        let body = handled.response.body().to_vec();
        prop_assert_eq!(&NotifyReply::from_json(&body, &key).unwrap(), &reply);
        prop_assert_eq!(reply.m_transaction_id(), id.as_str());
        prop_assert_eq!(reply.return_code(), &outcome.return_code());
        prop_assert!(NotifyReply::from_json(&body, &SecretKey::new("K2")).is_err());
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&body).unwrap();
        for field in ["mTransactionID", "returnCode", "ts"] {
            let mut t = obj.clone();
            let old = t[field].as_str().unwrap().to_owned();
            t.insert(field.to_owned(), serde_json::Value::String(alter(&old)));
            prop_assert!(NotifyReply::from_json(&serde_json::to_vec(&t).unwrap(), &key).is_err(), "{}", field);
        }
        // The gateway side also checks that the reply is about the notified order.
        let window = pay123_core::DEFAULT_WINDOW;
        prop_assert!(NotifyReply::from_json_for(&body, &notify, &key, at, window).is_ok());
        let other = Notify::new(alter(reply.m_transaction_id()), BankCode::Vietcombank, TransactionStatus::Success, "", now()).unwrap();
        let is_other_order = matches!(
            NotifyReply::from_json_for(&body, &other, &key, at, window),
            Err(pay123_core::gateway::ReplyError::OtherOrder { .. })
        );
        prop_assert!(is_other_order);
        // Every value is a string and the ts signed is the ts sent, taken from the reply's time.
        for field in ["mTransactionID", "returnCode", "ts", "checksum"] {
            prop_assert!(obj[field].is_string());
        }
        prop_assert_eq!(obj["ts"].as_str().unwrap(), reply.ts());
        prop_assert_eq!(reply.ts(), (1_499_789_401_000 + skew).to_string());
    }

    #[test]
    fn return_ticket_round_trip_and_tamper(id in token(50), st in status(), skew in 0u64..300) {
        let key = SecretKey::new("MIKEY");
        let ticket = ReturnTicket::new(id, st, now()).unwrap();
        let url = ticket.redirect_url("https://shop.vn/return?from=123pay", &key);
        let query = url.split_once('?').unwrap().1;
        let at = now() + Duration::from_secs(skew);
        prop_assert_eq!(&ReturnTicket::verify_query(query, &key, at, pay123_core::RETURN_WINDOW).unwrap(), &ticket);
        prop_assert!(ReturnTicket::verify_query(query, &SecretKey::new("K2"), at, pay123_core::RETURN_WINDOW).is_err());
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        for field in ["transactionID", "status", "time"] {
            let tampered: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|(k, v)| {
                    let v = if k == field {
                        if field == "time" { (v.parse::<u64>().unwrap() - 1).to_string() } else { alter(v) }
                    } else { v.clone() };
                    (k.clone(), v)
                }))
                .finish();
            prop_assert!(ReturnTicket::verify_query(&tampered, &key, at, pay123_core::RETURN_WINDOW).is_err(), "{}", field);
        }
    }
}

#[test]
fn the_notify_description_is_not_signed_but_everything_else_is() {
    let key = SecretKey::new("MIKEY");
    let notify = Notify::new(
        "A1",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "ok",
        now(),
    )
    .unwrap();
    let form = notify
        .to_form(&key)
        .replace("description=ok", "description=changed");
    let verified = NotifyVerifier::new(key)
        .verify_form(form.as_bytes(), now())
        .unwrap();
    assert_eq!(verified.description(), "changed");
}
