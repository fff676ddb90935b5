//! The gateway side is as strict as 123PAY: a notify reply of any other shape is refused, and a
//! refused request is answered with the specification's text, never with which field or which
//! credential was wrong. The bodies here are written by hand from the specification, not built
//! with this crate, so that a mistake shared by both sides cannot hide.

use bytes::Bytes;
use pay123_core::gateway::{ReceivedQueryOrder, ReplyError};
use pay123_core::{BankCode, Credentials, Notify, NotifyReply, SecretKey, TransactionStatus};
use sha1::{Digest, Sha1};

use crate::common::now;

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

fn key() -> SecretKey {
    SecretKey::new("MIKEY")
}

/// A reply written by hand: `{"mTransactionID":..,"returnCode":..,"ts":..,"checksum":..}`.
fn reply(id: &str, code: &str, ts: &str) -> String {
    let checksum = sha1_hex(&format!("{id}{code}{ts}MIKEY"));
    format!(
        r#"{{"mTransactionID":"{id}","returnCode":"{code}","ts":"{ts}","checksum":"{checksum}"}}"#
    )
}

#[test]
fn a_reply_of_the_specifications_shape_is_read() {
    let body = reply("ORDER-1", "1", "1764061255012");
    let read = NotifyReply::from_json(body.as_bytes(), &key()).unwrap();
    assert_eq!(read.m_transaction_id(), "ORDER-1");
    assert_eq!(read.return_code().code(), "1");
    assert_eq!(read.ts(), "1764061255012");
    // Any order of the keys, any whitespace.
    let checksum = sha1_hex("ORDER-111764061255012MIKEY");
    let body = format!(
        "{{ \"checksum\" : \"{checksum}\", \"ts\":\"1764061255012\",\n\"returnCode\":\"1\", \"mTransactionID\":\"ORDER-1\" }}"
    );
    assert!(NotifyReply::from_json(body.as_bytes(), &key()).is_ok());
}

#[test]
fn any_other_shape_is_refused_with_the_reason() {
    let checksum = sha1_hex("ORDER-111764061255012MIKEY");
    let cases = [
        (
            format!(
                r#"{{"mTransactionID":"ORDER-1","returnCode":1,"ts":"1764061255012","checksum":"{checksum}"}}"#
            ),
            "returnCode must be a JSON string, not a number",
        ),
        (
            format!(
                r#"{{"mTransactionID":"ORDER-1","returnCode":"1","ts":1764061255012,"checksum":"{checksum}"}}"#
            ),
            "ts must be a JSON string, not a number",
        ),
        (
            format!(
                r#"{{"mTransactionID":null,"returnCode":"1","ts":"1764061255012","checksum":"{checksum}"}}"#
            ),
            "mTransactionID must be a JSON string, not null",
        ),
        (
            format!(
                r#"{{"mTransactionID":"ORDER-1","ts":"1764061255012","checksum":"{checksum}"}}"#
            ),
            "returnCode is missing",
        ),
        (
            r#"{"mTransactionID":"ORDER-1","returnCode":"1","ts":"1764061255012"}"#.to_owned(),
            "checksum is missing",
        ),
        (
            format!(
                r#"{{"mTransactionID":"ORDER-1","returnCode":"1","ts":"1764061255012","ts":"1","checksum":"{checksum}"}}"#
            ),
            "duplicate field `ts`",
        ),
        (
            format!(
                r#"{{"mTransactionID":"ORDER-1","returnCode":"1","ts":"1764061255012","checksum":"{checksum}","extra":"x"}}"#
            ),
            "\"extra\" is not a field of the reply",
        ),
        (
            format!(r#"["ORDER-1","1","1764061255012","{checksum}"]"#),
            "must be a JSON object",
        ),
        ("not json".to_owned(), "must be a JSON object"),
        ("{\"mTransactionID\":".to_owned(), "EOF"),
    ];
    for (body, reason) in cases {
        match NotifyReply::from_json(body.as_bytes(), &key()) {
            Err(ReplyError::Malformed { reason: got, .. }) => {
                assert!(got.contains(reason), "{body}: {got}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

/// The reply table requires `returnCode` and `checksum` only: a reply that leaves out
/// `mTransactionID` or `ts` (or writes them empty, which signs the same string) is read, as a
/// reply to the notify it answers.
#[test]
fn a_reply_may_leave_out_what_the_reply_table_does_not_require() {
    let notify = Notify::new(
        "ORDER-1",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        now(),
    )
    .unwrap();
    let ts = "1499789401000";
    let window = pay123_core::DEFAULT_WINDOW;
    let for_notify =
        |body: &str| NotifyReply::from_json_for(body.as_bytes(), &notify, &key(), now(), window);
    let refusal = reply("", "-1", ts);
    assert_eq!(for_notify(&refusal).unwrap().return_code().code(), "-1");
    let ack = reply("", "1", ts);
    assert_eq!(for_notify(&ack).unwrap().return_code().code(), "1");
    let checksum = sha1_hex(&format!("1{ts}MIKEY"));
    let no_id = format!(r#"{{"returnCode":"1","ts":"{ts}","checksum":"{checksum}"}}"#);
    let read = for_notify(&no_id).unwrap();
    assert_eq!((read.m_transaction_id(), read.ts()), ("", ts));
    // Neither id nor ts: it would acknowledge any notify at any time.
    let checksum = sha1_hex("1MIKEY");
    let bare = format!(r#"{{"returnCode":"1","checksum":"{checksum}"}}"#);
    assert!(matches!(for_notify(&bare), Err(ReplyError::Ts(_))));
    assert!(matches!(
        for_notify(&reply("", "1", "")),
        Err(ReplyError::Ts(_))
    ));
    let checksum = sha1_hex(&format!("ORDER-12{ts}MIKEY"));
    let no_ts = format!(
        r#"{{"mTransactionID":"ORDER-1","returnCode":"2","checksum":"{}"}}"#,
        sha1_hex("ORDER-12MIKEY")
    );
    assert_eq!(for_notify(&no_ts).unwrap().return_code().code(), "2");
    let named = format!(
        r#"{{"mTransactionID":"ORDER-1","returnCode":"2","ts":"{ts}","checksum":"{checksum}"}}"#
    );
    assert!(for_notify(&named).is_ok());
    // Another order's reply is not this one's.
    assert!(matches!(
        for_notify(&reply("ORDER-2", "1", ts)),
        Err(ReplyError::OtherOrder { .. })
    ));
}

/// A shop's reply `2` for order `A` signs `A` + `2` + `ts`: the same string as `A2` + `1` + the
/// rest of `ts` when `ts` starts with `1`. Read with any `ts` and any code, it acknowledged order
/// `A2`'s notify, which the shop never answered. The gateway now holds the code to the reply
/// table and `ts` to the window.
#[test]
fn a_reply_for_one_order_is_not_cut_into_another_orders_acknowledgement() {
    let ts = "1499789401000";
    let genuine = reply("A", "2", ts);
    let checksum: serde_json::Value = serde_json::from_str(&genuine).unwrap();
    let checksum = checksum["checksum"].as_str().unwrap();
    let notify_a2 = Notify::new(
        "A2",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        now(),
    )
    .unwrap();
    let window = pay123_core::DEFAULT_WINDOW;
    let recut = format!(
        r#"{{"mTransactionID":"A2","returnCode":"1","ts":"{}","checksum":"{checksum}"}}"#,
        &ts[1..]
    );
    // The signature holds: only the new checks refuse it.
    assert!(NotifyReply::from_json(recut.as_bytes(), &key()).is_ok());
    let e = NotifyReply::from_json_for(recut.as_bytes(), &notify_a2, &key(), now(), window)
        .unwrap_err();
    assert!(matches!(e, ReplyError::Ts(_)), "{e:?}");
    assert!(e.to_string().contains("window"), "{e}");
    // With the digits moved into the code instead, the code is none of the table's.
    let recut = format!(
        r#"{{"mTransactionID":"A2","returnCode":"{}","ts":"","checksum":"{checksum}"}}"#,
        &ts
    );
    let e = NotifyReply::from_json_for(recut.as_bytes(), &notify_a2, &key(), now(), window)
        .unwrap_err();
    assert!(matches!(e, ReplyError::UnknownCode(_)), "{e:?}");
}

#[test]
fn a_refused_request_is_answered_with_the_specifications_text_only() {
    let body = |passcode: &str, checksum: &str| {
        format!(
            r#"{{"mTransactionID":"V1","merchantCode":"MICODE","passcode":"{passcode}","checksum":"{checksum}"}}"#
        )
    };
    let good = sha1_hex("V1MICODEMIPASSCODEMIKEY");
    for (passcode, checksum) in [("WRONG", good.as_str()), ("MIPASSCODE", "00")] {
        let received = ReceivedQueryOrder::from_json(body(passcode, checksum).as_bytes()).unwrap();
        let error = received.authenticate(&Credentials::sandbox()).unwrap_err();
        let response = error.to_http_response();
        let items: Vec<String> = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(items, ["6000", "Xác thực đối tác thất bại"]);
    }
    let missing = r#"{"merchantCode":"MICODE","passcode":"MIPASSCODE","checksum":"00"}"#;
    let error = ReceivedQueryOrder::from_json(missing.as_bytes()).unwrap_err();
    let items: Vec<String> = serde_json::from_slice(error.to_http_response().body()).unwrap();
    assert_eq!(
        items,
        ["6100", "Tham số truyền vào không đúng định dạng yêu cầu"]
    );
    assert!(error.to_string().contains("mTransactionID"), "{error}");
    let _ = Bytes::new();
}
