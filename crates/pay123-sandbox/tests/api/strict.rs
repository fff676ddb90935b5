//! The sandbox holds a merchant to what 123PAY accepts. Every request and reply here is written
//! by hand from the specification (its field orders, SHA1, strings), not built with the core, so
//! that a mistake shared by the core and the sandbox cannot hide.

use std::time::{Duration, SystemTime};

use http::StatusCode;
use pay123_core::{BankCode, Credentials, SecretKey, TransactionStatus};
use pay123_sandbox::{AttemptOutcome, Merchant, Transaction};
use proptest::prelude::*;

use super::support::{Answer, Harness, detail, gateway_error, sha1_hex};

/// A queryOrder body as the specification describes it, signed over
/// `mTransactionID + merchantCode + clientIP + passcode + secretKey`.
fn query_body(id: &str, merchant: &str, ip: &str, passcode: &str, key: &str) -> serde_json::Value {
    let checksum = sha1_hex(&format!("{id}{merchant}{ip}{passcode}{key}"));
    let mut body = serde_json::json!({
        "mTransactionID": id, "merchantCode": merchant, "passcode": passcode, "checksum": checksum,
    });
    if !ip.is_empty() {
        body["clientIP"] = ip.into();
    }
    body
}

#[tokio::test]
async fn a_6000_never_says_which_credential_was_wrong() {
    let h = Harness::new(|_| {}).await;
    let url = h.url("/miservice/queryOrder1");
    let cases = [
        (
            "unknown merchant",
            query_body("Q1", "NOBODY", "", "MIPASSCODE", "MIKEY"),
            "merchantCode",
        ),
        (
            "wrong passcode",
            query_body("Q1", "MICODE", "", "WRONGCODE", "MIKEY"),
            "passcode",
        ),
        (
            "wrong key",
            query_body("Q1", "MICODE", "", "MIPASSCODE", "NOTMIKEY"),
            "checksum",
        ),
    ];
    for (what, body, named) in cases {
        let response = h.http.post_raw(&url, &body, true).await;
        assert_eq!(
            gateway_error(&response),
            ("6000".to_owned(), "Xác thực đối tác thất bại".to_owned()),
            "{what}"
        );
        // The developer learns which, from the header, the log and the admin API.
        let detail = detail(&response);
        assert!(detail.contains(named), "{what}: {detail}");
        let listed = h.sandbox.gateway().refusals().pop().unwrap();
        assert_eq!(listed.detail, detail, "{what}");
        assert!(
            !detail.contains("MIPASSCODE") && !detail.contains("MIKEY"),
            "{detail}"
        );
    }
    // The right one is answered.
    let ok = h
        .http
        .post_raw(
            &url,
            &query_body("Q1", "MICODE", "", "MIPASSCODE", "MIKEY"),
            true,
        )
        .await;
    let items: Vec<Option<String>> = serde_json::from_slice(ok.body()).unwrap();
    assert_eq!(items[0].as_deref(), Some("1"));
    assert_eq!(items[2].as_deref(), Some("-10"));
}

/// The queryOrder table's limits (passcode 20, clientIP 10) would refuse most real buyers'
/// addresses and any passcode 123PAY handed out longer than 20 characters, which createOrder's
/// table takes: queryOrder takes what createOrder takes (255, a dotted IPv4 address), and
/// refuses beyond it with `6100`.
#[tokio::test]
async fn query_order_takes_what_create_order_takes() {
    let long = Credentials::new("LONGPASS", "P".repeat(40), "LONGKEY").unwrap();
    let h = Harness::new(|c| *c = c.clone().with_merchant(Merchant::new(long.clone()))).await;
    let url = h.url("/miservice/queryOrder1");
    for (what, body, field) in [
        (
            "256-character passcode",
            query_body("Q2", "MICODE", "", &"P".repeat(256), "MIKEY"),
            "passcode",
        ),
        (
            "a clientIP that is no address",
            query_body("Q2", "MICODE", "10.10.10.10.1", "MIPASSCODE", "MIKEY"),
            "clientIP",
        ),
    ] {
        let response = h.http.post_raw(&url, &body, true).await;
        assert_eq!(gateway_error(&response).0, "6100", "{what}");
        assert!(
            detail(&response).contains(field),
            "{what}: {}",
            detail(&response)
        );
    }
    let response = h
        .http
        .post_raw(
            &url,
            &query_body("Q2", "MICODE", "", &"P".repeat(21), "MIKEY"),
            true,
        )
        .await;
    assert_eq!(
        gateway_error(&response).0,
        "6000",
        "a 21-character passcode has 123PAY's form (and is not MICODE's)"
    );
    let response = h
        .http
        .post_raw(
            &url,
            &query_body("Q2", "MICODE", "203.113.100.200", "MIPASSCODE", "MIKEY"),
            true,
        )
        .await;
    let items: Vec<Option<String>> = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(items[0].as_deref(), Some("1"), "a 15-character clientIP");
    // A merchant whose passcode is 40 characters creates and queries its orders.
    let client = pay123_core::Client::new(h.http.clone(), long, h.sandbox.endpoints());
    client
        .create_order(&Harness::order("LONG-1", BankCode::Acb))
        .await
        .unwrap();
    let query = pay123_core::QueryOrder::new("LONG-1")
        .unwrap()
        .with_client_addr("203.113.100.200".parse().unwrap());
    assert_eq!(query.client_ip(), "203.113.100.200");
    let status = client.query_order(&query).await.unwrap();
    assert_eq!(status.status(), &TransactionStatus::New);
}

#[tokio::test]
async fn lenient_also_writes_the_explanation_in_the_body() {
    let h = Harness::new(|c| c.lenient = true).await;
    let url = h.url("/miservice/queryOrder1");
    let response = h
        .http
        .post_raw(
            &url,
            &query_body("Q3", "MICODE", "", "WRONGCODE", "MIKEY"),
            true,
        )
        .await;
    let (code, description) = gateway_error(&response);
    assert_eq!(code, "6000");
    assert!(
        description.starts_with("Xác thực đối tác thất bại: "),
        "{description}"
    );
    assert!(description.contains("passcode"), "{description}");
}

fn outcomes(t: &Transaction) -> Vec<AttemptOutcome> {
    t.notify_attempts.iter().map(|a| a.outcome).collect()
}

/// A reply body written by hand, signed correctly for `id` over `code` and `ts`.
fn reply_json(id: &str, code: &str, ts: &str, shape: &str) -> String {
    let checksum = sha1_hex(&format!("{id}{code}{ts}MIKEY"));
    match shape {
        "numbers" => format!(
            r#"{{"mTransactionID":"{id}","returnCode":{code},"ts":{ts},"checksum":"{checksum}"}}"#
        ),
        "no code" => {
            format!(r#"{{"mTransactionID":"{id}","ts":"{ts}","checksum":"{checksum}"}}"#)
        }
        "no ts" => {
            let checksum = sha1_hex(&format!("{id}{code}MIKEY"));
            format!(r#"{{"mTransactionID":"{id}","returnCode":"{code}","checksum":"{checksum}"}}"#)
        }
        "no id" => {
            let checksum = sha1_hex(&format!("{code}{ts}MIKEY"));
            format!(r#"{{"returnCode":"{code}","ts":"{ts}","checksum":"{checksum}"}}"#)
        }
        "two ts" => format!(
            r#"{{"mTransactionID":"{id}","returnCode":"{code}","ts":"{ts}","ts":"1","checksum":"{checksum}"}}"#
        ),
        "extra" => format!(
            r#"{{"mTransactionID":"{id}","returnCode":"{code}","ts":"{ts}","checksum":"{checksum}","note":"ok"}}"#
        ),
        _ => format!(
            r#"{{"mTransactionID":"{id}","returnCode":"{code}","ts":"{ts}","checksum":"{checksum}"}}"#
        ),
    }
}

#[tokio::test]
async fn a_reply_123pay_would_not_accept_is_not_acknowledged_and_retried() {
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    for (shape, reason) in [
        ("numbers", "returnCode must be a JSON string, not a number"),
        ("no code", "returnCode is missing"),
        ("two ts", "duplicate field `ts`"),
        ("extra", "\"note\" is not a field of the reply"),
    ] {
        let id = format!("STRICT-{}", shape.replace(' ', "-"));
        let h = Harness::with_sink(vec![Answer::Raw(reply_json(&id, "1", &ts, shape))], |c| {
            c.notify_retries = 3
        })
        .await;
        h.pay(&id).await;
        let t = h.settled(&id).await;
        // Refused, then the notify is sent again and the listener's own reply acknowledges it.
        assert_eq!(
            outcomes(&t),
            [AttemptOutcome::Retrying, AttemptOutcome::Acknowledged],
            "{shape}"
        );
        let first = &t.notify_attempts[0];
        assert!(!first.verified, "{shape}");
        let error = first.error.as_deref().unwrap();
        assert!(error.contains(reason), "{shape}: {error}");
    }
    // The well-formed reply, written the same way, is acknowledged at once; so is one without
    // the fields the reply table does not require (`mTransactionID`, `ts`), signed without them.
    for shape in ["strings", "no ts", "no id"] {
        let id = format!("STRICT-OK-{}", shape.replace(' ', "-"));
        let h =
            Harness::with_sink(vec![Answer::Raw(reply_json(&id, "1", &ts, shape))], |_| {}).await;
        h.pay(&id).await;
        let t = h.settled(&id).await;
        assert_eq!(outcomes(&t), [AttemptOutcome::Acknowledged], "{shape}");
    }
    let _ = (StatusCode::OK, Duration::ZERO);
}

fn is_a_notify(signed: &str, checksum: &str) -> bool {
    pay123_core::test_util::notify_hidden_in(signed, checksum, &SecretKey::new("MIKEY")).is_some()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The sandbox signs with the merchant's key too: no answer it gives to requests of anyone's
    /// choosing is a notify.
    #[test]
    fn no_answer_of_the_sandbox_is_a_notify(ids in proptest::collection::vec("[A-Za-z0-9]{1,6}(123P[A-Z]{2,3})?[0-9]{0,3}", 1..4)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async {
            let h = Harness::new(|_| {}).await;
            let create = h.url("/miservice/createOrder1");
            let query = h.url("/miservice/queryOrder1");
            for id in &ids {
                let mut order = serde_json::from_slice::<serde_json::Value>(
                    &Harness::order("X", pay123_core::BankCode::Pay123).to_json(&pay123_core::Credentials::sandbox())
                ).unwrap();
                order["mTransactionID"] = id.as_str().into();
                let fields = ["mTransactionID", "merchantCode", "bankCode", "totalAmount", "clientIP", "custName",
                    "custAddress", "custGender", "custDOB", "custPhone", "custMail", "cancelURL", "redirectURL",
                    "errorURL", "passcode"];
                let signed: String = fields.iter().map(|f| order[*f].as_str().unwrap_or("").to_owned()).collect();
                order["checksum"] = sha1_hex(&format!("{signed}MIKEY")).into();
                for (url, body) in [
                    (&create, order.clone()),
                    (&query, query_body(id, "MICODE", "", "MIPASSCODE", "MIKEY")),
                ] {
                    let response = h.http.post_raw(url, &body, true).await;
                    let items: Vec<Option<String>> = serde_json::from_slice(response.body()).unwrap();
                    if items[0].as_deref() != Some("1") {
                        continue; // an error answer carries no checksum
                    }
                    let (values, checksum) = items.split_at(items.len() - 1);
                    // The signed values: all but the checksum, without queryOrder's description.
                    let signed: String = values
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !(values.len() == 7 && *i == 6))
                        .map(|(_, v)| v.clone().unwrap_or_default())
                        .collect();
                    assert_eq!(sha1_hex(&format!("{signed}MIKEY")), checksum[0].clone().unwrap(), "{items:?}");
                    assert!(!is_a_notify(&signed, checksum[0].as_deref().unwrap()), "{items:?}");
                }
            }
        });
    }
}
