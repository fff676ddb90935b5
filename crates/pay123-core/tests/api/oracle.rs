//! No sequence of requests turns the listener into a signing oracle: whatever is sent, no reply
//! it signs is also a valid notify. 123PAY joins the signed fields with no separator, so a reply
//! signs `mTransactionID + returnCode + ts` and a notify `mTransactionID + bankCode +
//! transactionStatus + ts`; the test splits every reply's signed string in every way into those
//! four notify fields and asks the real verifier to accept the reply's checksum for it.

use std::time::Duration;

use pay123_core::{
    BankCode, Notify, NotifyListener, NotifyOutcome, NotifyRequest, NotifyVerifier, SecretKey,
    TransactionStatus,
};
use proptest::prelude::*;

use crate::common::now;

const KEY: &str = "MIKEY";

/// Ids an attacker would try: a prefix, maybe a bank code (of the specification or of its
/// form only), maybe digits and signs after it.
fn crafted_id() -> impl Strategy<Value = String> {
    let bank = prop_oneof![
        Just(String::new()),
        Just("123PAY".to_owned()),
        proptest::sample::select(BankCode::BANKS.to_vec()).prop_map(|b| b.code().to_owned()),
        "123P[A-Z]{1,3}",
    ];
    ("[A-Za-z0-9]{0,6}", bank, "[-0-9]{0,4}").prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-0-9]{0,6}",
        "123P[A-Z]{0,4}-?",
        proptest::sample::select(BankCode::BANKS.to_vec()).prop_map(|b| b.code().to_owned()),
        "[ -~]{0,8}",
    ]
}

/// One request to the listener.
#[derive(Debug, Clone)]
enum Sent {
    /// Fields of the attacker's choice, with a checksum that is not the merchant's.
    Forged {
        id: String,
        bank: String,
        status: String,
        ts: String,
        checksum: String,
    },
    /// A notify 123PAY signed (the attacker may replay one), answered with an outcome.
    Genuine {
        id: String,
        status: TransactionStatus,
        outcome: usize,
    },
}

fn sent() -> impl Strategy<Value = Sent> {
    prop_oneof![
        (
            crafted_id(),
            field_value(),
            field_value(),
            "[0-9]{0,14}",
            "[0-9a-f]{0,40}"
        )
            .prop_map(|(id, bank, status, ts, checksum)| Sent::Forged {
                id,
                bank,
                status,
                ts,
                checksum
            }),
        // Any id 123PAY may notify, one that ends with a bank code included (an order created
        // by another system).
        (crafted_id(), 0usize..3, 0usize..41).prop_map(|(id, outcome, status)| Sent::Genuine {
            id,
            status: TransactionStatus::KNOWN[status].clone(),
            outcome,
        }),
    ]
}

fn as_notify(signed: &str, checksum: &str) -> Option<String> {
    pay123_core::test_util::notify_hidden_in(signed, checksum, &SecretKey::new(KEY))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_reply_is_a_notify(requests in proptest::collection::vec(sent(), 1..6)) {
        let key = SecretKey::new(KEY);
        let listener = NotifyListener::new(key.clone());
        for (n, request) in requests.into_iter().enumerate() {
            // Each reply gets its own fresh ts.
            let at = now() + Duration::from_millis(n as u64 * 7);
            let body = match &request {
                Sent::Forged { id, bank, status, ts, checksum } => {
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("mTransactionID", id)
                        .append_pair("bankCode", bank)
                        .append_pair("transactionStatus", status)
                        .append_pair("ts", ts)
                        .append_pair("checksum", checksum)
                        .finish()
                }
                Sent::Genuine { id, status, .. } => {
                    signed_form(&[id, "123PVCB", status.code(), &now_ms()], &key)
                }
            };
            let outcome = match &request {
                Sent::Genuine { outcome, .. } => *outcome,
                Sent::Forged { .. } => 0,
            };
            let outcome = [NotifyOutcome::Updated, NotifyOutcome::AlreadyUpdated, NotifyOutcome::RetryLater][outcome];
            let wire = NotifyRequest::new("POST", "", None, body.as_bytes());
            let handled = futures_executor::block_on(listener.handle(&wire, at, |_| async move { outcome }));
            let reply: serde_json::Value = serde_json::from_slice(handled.response.body()).unwrap();
            let signed = format!(
                "{}{}{}",
                reply["mTransactionID"].as_str().unwrap(),
                reply["returnCode"].as_str().unwrap(),
                reply["ts"].as_str().unwrap()
            );
            prop_assert_eq!(reply["ts"].as_str().unwrap(), (1_499_789_401_000 + n as u64 * 7).to_string());
            if matches!(request, Sent::Forged { .. }) {
                prop_assert_eq!(reply["mTransactionID"].as_str(), Some(""), "{:?}", request);
            }
            let forged = as_notify(&signed, reply["checksum"].as_str().unwrap());
            prop_assert!(forged.is_none(), "{:?} gave a reply that verifies as the notify {:?}", request, forged);
        }
    }
}

/// The attack that was reported: a refused notify for `<ORDER>123PVCB` used to be answered with
/// a reply signed over that id, which was a valid notify `<ORDER>`, `123PVCB`, `-1`.
#[test]
fn the_reported_attack_no_longer_works() {
    let listener = NotifyListener::new(SecretKey::new(KEY));
    let body = b"mTransactionID=SHOP1123PVCB&bankCode=123PVCB&transactionStatus=1&ts=1&checksum=00";
    let handled = futures_executor::block_on(listener.handle(
        &NotifyRequest::new("POST", "", None, body),
        now(),
        |_| async { NotifyOutcome::Updated },
    ));
    let reply: serde_json::Value = serde_json::from_slice(handled.response.body()).unwrap();
    assert_eq!(reply["returnCode"], "-1");
    assert_eq!(reply["mTransactionID"], "");
    let forged = format!(
        "mTransactionID=SHOP1&bankCode=123PVCB&transactionStatus=-1&ts={}&checksum={}",
        reply["ts"].as_str().unwrap(),
        reply["checksum"].as_str().unwrap()
    );
    let verifier = NotifyVerifier::new(SecretKey::new(KEY)).with_window(Duration::MAX);
    assert!(verifier.verify_form(forged.as_bytes(), now()).is_err());
    // And the tool the test uses finds such a notify when one exists: a reply signed over the
    // claimed id would be caught.
    let key = SecretKey::new(KEY);
    let signed = format!("SHOP1123PVCB1{}", reply["ts"].as_str().unwrap());
    let checksum = pay123_core::checksum::compute(
        pay123_core::checksum::Message::NotifyReply,
        &["SHOP1123PVCB", "1", reply["ts"].as_str().unwrap()],
        &key,
    )
    .unwrap();
    assert!(as_notify(&signed, &checksum).is_some());
}

/// The fields of a form body, in order, without `description` and `checksum`.
fn signed_fields(form: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(form.as_bytes())
        .filter(|(k, _)| k != "description" && k != "checksum")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A genuine notify's signature signs that notify only: cutting its signed string into the
    /// four fields in any other way gives a notify the listener refuses (an id ending with a
    /// bank code is refused by createOrder's rule, a status or ts with a leading zero by the
    /// fixed forms, and a digit moved between status and ts puts the ts out of the window).
    #[test]
    fn a_genuine_notify_cannot_be_cut_another_way(
        id in crate::common::token(20),
        bank in crate::common::bank(),
        status in crate::common::notify_status(),
        millis in 0u64..10_000_000,
    ) {
        let key = SecretKey::new(KEY);
        let at = now() + Duration::from_millis(millis);
        let notify = Notify::new(id.as_str(), bank.clone(), status.clone(), "", at).unwrap();
        let form = notify.to_form(&key);
        let signed = format!("{id}{}{}{}", bank.code(), status.code(), notify.ts());
        let checksum = form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == "checksum")
            .unwrap()
            .1
            .into_owned();
        let verifier = NotifyVerifier::new(key.clone());
        let accepted: Vec<_> = pay123_core::test_util::notifies_hidden_in(&signed, &checksum, &key)
            .into_iter()
            .filter(|f| verifier.verify_form(f.as_bytes(), at).is_ok())
            .map(|f| signed_fields(&f))
            .collect();
        prop_assert_eq!(accepted, vec![signed_fields(&form)]);
    }
}

/// The current test time in milliseconds, as a notify's `ts`.
fn now_ms() -> String {
    now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string()
}

/// A notify form of exactly these signed fields (`mTransactionID`, `bankCode`,
/// `transactionStatus`, `ts`), signed with `key`; an empty field is left out of the form.
fn signed_form(fields: &[&str; 4], key: &SecretKey) -> String {
    let checksum =
        pay123_core::checksum::compute(pay123_core::checksum::Message::Notify, fields, key)
            .unwrap();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in ["mTransactionID", "bankCode", "transactionStatus", "ts"]
        .into_iter()
        .zip(fields)
    {
        if !value.is_empty() {
            form.append_pair(name, value);
        }
    }
    form.append_pair("description", "Giao dich thanh cong");
    form.append_pair("checksum", &checksum);
    form.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every notify the specification's tables allow, correctly signed, is accepted: any bank
    /// code of 123PAY's form, any status of the table or an unknown positive one, the fields
    /// the notify table does not require left out, any id 123PAY may send back. And its
    /// signature signs that notify only: every other cut of its signed string is refused.
    #[test]
    fn every_genuine_notify_is_accepted_and_no_other_cut(
        id in crate::common::received_id(),
        bank in crate::common::bank_form(),
        status in prop_oneof![Just(None), crate::common::notify_status().prop_map(Some)],
        with_ts in any::<bool>(),
        millis in 0u64..10_000_000,
    ) {
        let key = SecretKey::new(KEY);
        let at = now() + Duration::from_millis(millis);
        let ts = if with_ts {
            at.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis().to_string()
        } else {
            String::new()
        };
        let status = status.as_ref().map_or("", TransactionStatus::code);
        let form = signed_form(&[&id, &bank, status, &ts], &key);
        let verifier = NotifyVerifier::new(key.clone());
        let notify = verifier.verify_form(form.as_bytes(), at);
        if status.is_empty() && ts.is_empty() {
            // Neither: the signed string would end with the bank code, as a queryOrder answer's.
            let refused = matches!(&notify, Err(pay123_core::VerifyError::Malformed { error, signed: true, .. }) if error.rule == pay123_core::Rule::StatusOrTs);
            prop_assert!(refused, "{form}: {notify:?}");
            return Ok(());
        }
        if ts.is_empty() && !TransactionStatus::KNOWN.iter().any(|known| known.code() == status) {
            // Without ts, only the table's statuses: an unknown one could be another's ts.
            let refused = matches!(&notify, Err(pay123_core::VerifyError::Malformed { error, signed: true, .. }) if error.rule == pay123_core::Rule::UnknownWithoutTs);
            prop_assert!(refused, "{form}: {notify:?}");
            return Ok(());
        }
        prop_assert!(notify.is_ok(), "{form}: {notify:?}");
        let notify = notify.unwrap();
        prop_assert_eq!(
            (notify.m_transaction_id(), notify.bank_code().code(), notify.status().code(), notify.ts()),
            (id.as_str(), bank.as_str(), status, ts.as_str())
        );
        let signed = format!("{id}{bank}{status}{ts}");
        let checksum = form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == "checksum")
            .unwrap()
            .1
            .into_owned();
        let accepted: Vec<_> = pay123_core::test_util::notifies_hidden_in(&signed, &checksum, &key)
            .into_iter()
            .filter(|f| verifier.verify_form(f.as_bytes(), at).is_ok())
            .map(|f| signed_fields(&f))
            .collect();
        let original: Vec<_> = signed_fields(&form)
            .into_iter()
            .collect();
        prop_assert_eq!(accepted.len(), 1, "{:?}", accepted);
        // The hidden form writes every field, empty or not.
        let written: Vec<_> = accepted[0].iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        prop_assert_eq!(written, original);
    }
}

/// A genuine notify without a status signs `id + bank + ts`: read with the `ts` as its status
/// and no `ts`, it would be a notify that never goes out of date. Without `ts`, only the
/// table's statuses are read.
#[test]
fn a_notify_without_status_cannot_become_one_without_ts() {
    let key = SecretKey::new(KEY);
    let ts = now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let genuine = signed_form(&["ORDER-1", "123PVCB", "", &ts], &key);
    let verifier = NotifyVerifier::new(key.clone());
    assert!(verifier.verify_form(genuine.as_bytes(), now()).is_ok());
    let checksum = form_urlencoded::parse(genuine.as_bytes())
        .find(|(k, _)| k == "checksum")
        .unwrap()
        .1
        .into_owned();
    let recut = format!(
        "mTransactionID=ORDER-1&bankCode=123PVCB&transactionStatus={ts}&checksum={checksum}"
    );
    let refused = verifier.verify_form(recut.as_bytes(), now() + Duration::from_secs(86_400 * 30));
    assert!(
        matches!(&refused, Err(pay123_core::VerifyError::Malformed { error, signed: true, .. }) if error.rule == pay123_core::Rule::UnknownWithoutTs),
        "{refused:?}"
    );
}

/// `-100` followed by `ts` is the same signed string as `-10` followed by `0` and `ts`: the
/// listener refuses the second reading, so a failed payment's notify cannot be re-read as
/// another status.
#[test]
fn a_status_cannot_lend_its_last_digit_to_ts() {
    let key = SecretKey::new(KEY);
    let notify = Notify::new(
        "SHOP1",
        BankCode::Vietcombank,
        TransactionStatus::from_code("-100"),
        "",
        now(),
    )
    .unwrap();
    let form = notify.to_form(&key);
    let moved = form
        .replace("transactionStatus=-100", "transactionStatus=-10")
        .replace(
            &format!("ts={}", notify.ts()),
            &format!("ts=0{}", notify.ts()),
        );
    let verifier = NotifyVerifier::new(key);
    assert!(verifier.verify_form(form.as_bytes(), now()).is_ok());
    let error = verifier.verify_form(moved.as_bytes(), now()).unwrap_err();
    assert!(error.to_string().contains("ts"), "{error}");
    assert!(error.to_string().contains("leading zero"), "{error}");
}

/// A genuine return ticket for the order `100042` signs `status + time + "100042"`, the same
/// string as `status + (time + "100") + "042"`: with `time` read in seconds only, the second
/// reading is a ticket from the far future, refused.
#[test]
fn a_ticket_cannot_lend_digits_of_its_order_to_its_time() {
    use pay123_core::{ReturnCheck, ReturnTicket};
    let key = SecretKey::new(KEY);
    let genuine = ReturnTicket::new("100042", TransactionStatus::Success, now())
        .unwrap()
        .to_query(&key);
    assert!(matches!(
        ReturnTicket::check(&genuine, &key, now()),
        ReturnCheck::Verified(_)
    ));
    let time = form_urlencoded::parse(genuine.as_bytes())
        .find(|(k, _)| k == "time")
        .unwrap()
        .1
        .into_owned();
    let moved = genuine
        .replace("transactionID=100042", "transactionID=042")
        .replace(&format!("time={time}"), &format!("time={time}100"));
    assert!(
        matches!(
            ReturnTicket::check(&moved, &key, now()),
            ReturnCheck::Invalid { .. }
        ),
        "{moved}"
    );
}
