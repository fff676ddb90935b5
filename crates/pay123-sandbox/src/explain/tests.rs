//! The explainer against the specification's vectors and the usual mistakes.

use super::*;
use pay123_core::checksum;

fn key() -> SecretKey {
    SecretKey::new("MIKEY")
}

/// `input` read by [`parse`], then explained with `key`.
fn explain(
    input: &[u8],
    message: Option<Message>,
    key: &SecretKey,
) -> Result<Explanation, ExplainError> {
    parse(input, message).map(|parsed| super::explain(parsed, key))
}

const CREATE_ORDER: &str = r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","bankCode":"123PVTB","totalAmount":"100000","clientIP":"127.0.0.1","custName":"","custAddress":"","custGender":"M","custDOB":"","custPhone":"","custMail":"","cancelURL":"https://www.google.com.vn/","redirectURL":"https://www.google.com.vn/","errorURL":"https://www.google.com.vn/","passcode":"MIPASSCODE","checksum":"50a98e764eb6ab1a00d80735fd37dcf582c6b217"}"#;

#[test]
fn the_specifications_vectors_match() {
    let vectors: [(&str, Message); 4] = [
        (CREATE_ORDER, Message::CreateOrderRequest),
        (
            r#"["1","123P1707110106638","https://sandbox.123pay.vn/banksim/index.SMARTLINK.123P1707110106638.MICODE.accountNoName.100000.1499789401525.8d538c668ae7c6eac606f28b98aea13d70d14fe0.VjIwMTcwNzExMDAw.123PVTB.html","a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4"]"#,
            Message::CreateOrderResponse,
        ),
        (
            r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","clientIP":"127.0.0.1","passcode":"MIPASSCODE","checksum":"a297d98f538840bac33a666d4d54ced219cebca1"}"#,
            Message::QueryOrderRequest,
        ),
        (
            "https://shop.vn/return?transactionID=123P1210020000506&time=1349164000&status=1&ticket=0d5b8e8d4aea134c3cd159dd500f3598",
            Message::ReturnTicket,
        ),
    ];
    for (input, message) in vectors {
        assert_eq!(guess(input.as_bytes()), Some(message), "{input}");
        let explained = explain(input.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Matches, "{message}");
        assert!(explained.warnings.is_empty(), "{:?}", explained.warnings);
    }
}

#[test]
fn the_misprinted_query_order_answer_is_explained() {
    let printed = r#"["1","123P1707110106640","1","100000","100000","123PVTB","Thanh cong","6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
    let explained = explain(printed.as_bytes(), None, &key()).unwrap();
    assert_eq!(explained.verdict, Verdict::Mismatch);
    assert_eq!(
        explained.cause,
        Some(Cause::ValueChanged {
            field: "transactionStatus",
            signed: "10".into()
        })
    );
    let corrected = printed.replacen(r#""1","100000""#, r#""10","100000""#, 1);
    let explained = explain(corrected.as_bytes(), None, &key()).unwrap();
    assert_eq!(explained.verdict, Verdict::Matches);
}

/// The CREATE_ORDER vector signed with a mistake, then sent as it should be.
fn with(signed_change: impl Fn(&mut serde_json::Map<String, serde_json::Value>)) -> String {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(CREATE_ORDER).unwrap();
    let mut signed = object.clone();
    signed_change(&mut signed);
    let signed = serde_json::to_string(&signed).unwrap();
    let parsed = parse(signed.as_bytes(), Some(Message::CreateOrderRequest)).unwrap();
    let resigned = sign(parsed, &key());
    let resigned: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&resigned).unwrap();
    object.insert("checksum".into(), resigned["checksum"].clone());
    serde_json::to_string(&object).unwrap()
}

fn cause_of(input: &str) -> Option<Cause> {
    let explained = explain(input.as_bytes(), None, &key()).unwrap();
    assert_eq!(explained.verdict, Verdict::Mismatch, "{input}");
    explained.cause
}

#[test]
fn each_common_mistake_is_named() {
    // Signed "100000.0", sent "100000".
    let input = with(|o| {
        o.insert("totalAmount".into(), "100000.0".into());
    });
    assert_eq!(
        cause_of(&input),
        Some(Cause::NumberFormat {
            field: "totalAmount",
            signed: "100000.0".into()
        })
    );
    // Sent as a JSON number: the same string is signed, and 123PAY refuses the number.
    let number = CREATE_ORDER.replace(r#""totalAmount":"100000""#, r#""totalAmount":100000"#);
    let explained = explain(number.as_bytes(), None, &key()).unwrap();
    assert_eq!(explained.verdict, Verdict::Matches);
    assert!(explained.warnings[0].contains("totalAmount is a JSON number"));
    // Signed without diacritics, sent with them.
    let input = with(|o| {
        o.insert("custName".into(), "Nguyen Van A".into());
    })
    .replace(r#""custName":"""#, r#""custName":"Nguyễn Văn A""#);
    assert_eq!(
        cause_of(&input),
        Some(Cause::Diacritics {
            fields: vec!["custName"]
        })
    );
    // Signed trimmed, sent with a space.
    let input = with(|_| {}).replace(r#""custGender":"M""#, r#""custGender":" M ""#);
    assert_eq!(
        cause_of(&input),
        Some(Cause::Whitespace {
            fields: vec!["custGender"]
        })
    );
    // Two fields in each other's place.
    let input = with(|o| {
        o.insert("bankCode".into(), "100000".into());
        o.insert("totalAmount".into(), "123PVTB".into());
    });
    assert_eq!(
        cause_of(&input),
        Some(Cause::Swapped {
            first: "bankCode",
            second: "totalAmount"
        })
    );
    // The public sandbox key in production.
    let explained = explain(CREATE_ORDER.as_bytes(), None, &SecretKey::new("PRODKEY")).unwrap();
    assert_eq!(explained.cause, Some(Cause::SandboxKey));
}

#[test]
fn an_unsigned_description_or_a_missing_passcode_is_found() {
    let key = key();
    let notify = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&description=Thanh+cong&ts=1499789401525";
    let with_description = checksum::compute(
        Message::Notify,
        &["V1", "123PVTB", "1Thanh cong", "1499789401525"],
        &key,
    )
    .unwrap();
    let input = format!("{notify}&checksum={with_description}");
    assert_eq!(
        cause_of(&input),
        Some(Cause::UnsignedFieldSigned {
            field: "description",
            before: Some("ts")
        })
    );
    let without_passcode =
        checksum::compute(Message::QueryOrderRequest, &["V1", "MICODE", "", ""], &key).unwrap();
    let input = format!(
        r#"{{"mTransactionID":"V1","merchantCode":"MICODE","passcode":"MIPASSCODE","checksum":"{without_passcode}"}}"#
    );
    assert_eq!(
        cause_of(&input),
        Some(Cause::FieldLeftOut { field: "passcode" })
    );
}

#[test]
fn sign_writes_the_message_back_with_its_checksum() {
    let form = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&ts=1499789401525";
    let signed = sign(parse(form.as_bytes(), None).unwrap(), &key());
    assert!(signed.starts_with(form), "{signed}");
    assert_eq!(
        explain(signed.as_bytes(), None, &key()).unwrap().verdict,
        Verdict::Matches
    );
    let url = "https://shop.vn/return?transactionID=V1&time=1349164000&status=1";
    let signed = sign(parse(url.as_bytes(), None).unwrap(), &key());
    assert!(signed.starts_with("https://shop.vn/return?transactionID=V1"));
    assert!(signed.contains("&ticket="));
}

#[test]
fn the_passcode_is_never_shown() {
    let explained = explain(CREATE_ORDER.as_bytes(), None, &key()).unwrap();
    let debug = format!("{explained:?}");
    assert!(!debug.contains("MIPASSCODE"), "{debug}");
    assert!(!debug.contains("MIKEY"), "{debug}");
    assert!(
        explained
            .parsed
            .masked_values()
            .iter()
            .any(|(f, v)| *f == Field::Passcode && v == "<passcode, 10 characters>")
    );
}

#[test]
fn unreadable_input_is_named() {
    assert_eq!(guess(b"hello"), None);
    // A notify reply may leave out its ts: `returnCode` alone names it.
    assert_eq!(
        guess(br#"{"mTransactionID":"A","returnCode":"1","checksum":"00"}"#),
        Some(Message::NotifyReply)
    );
    assert_eq!(explain(b"hello", None, &key()), Err(ExplainError::Unknown));
    let failure = explain(
        br#"["6000","Sai checksum"]"#,
        Some(Message::CreateOrderResponse),
        &key(),
    );
    assert_eq!(
        failure,
        Err(ExplainError::FailureAnswer {
            code: "6000".into()
        })
    );
    let e = explain(b"[1,2,3]", Some(Message::QueryOrderResponse), &key()).unwrap_err();
    assert!(e.to_string().contains("8 items are expected"), "{e}");
}

fn sha1(text: &str) -> String {
    use sha1::{Digest, Sha1};
    hex::encode(Sha1::digest(text.as_bytes()))
}

#[test]
fn hand_made_mistakes_are_named() {
    let form = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&ts=1499789401525";
    let with = |checksum: String| format!("{form}&checksum={checksum}");
    let concat = "V1123PVTB11499789401525";
    assert_eq!(
        cause_of(&with(sha1(&format!("MIKEY{concat}")))),
        Some(Cause::KeyFirst)
    );
    assert_eq!(cause_of(&with(sha1(concat))), Some(Cause::KeyLeftOut));
    assert_eq!(
        cause_of(&with(sha1("V1|123PVTB|1|1499789401525|MIKEY"))),
        Some(Cause::Separator { separator: '|' })
    );
    assert_eq!(
        cause_of(&with(sha1(&format!("{concat}MIKEY\n")))),
        Some(Cause::TrailingNewline)
    );
    assert_eq!(
        cause_of(&with("ab".repeat(32))),
        Some(Cause::WrongDigest {
            found: 64,
            expected: 40
        })
    );
    // A space signed, not sent.
    assert_eq!(
        cause_of(&with(sha1("V1 123PVTB11499789401525MIKEY"))),
        Some(Cause::Whitespace {
            fields: vec!["mTransactionID"]
        })
    );
    // A reply whose ts was read twice from the clock.
    let reply = format!(
        r#"{{"mTransactionID":"V1","returnCode":"1","ts":"1499789401526","checksum":"{}"}}"#,
        sha1("V111499789401525MIKEY")
    );
    assert_eq!(
        cause_of(&reply),
        Some(Cause::TsComputedTwice {
            signed: "1499789401525".into()
        })
    );
    // Uppercase hex matches, with a warning.
    let upper = with(sha1(&format!("{concat}MIKEY")).to_uppercase());
    let explained = explain(upper.as_bytes(), None, &key()).unwrap();
    assert_eq!(explained.verdict, Verdict::Matches);
    assert!(explained.warnings.iter().any(|w| w.contains("uppercase")));
}
