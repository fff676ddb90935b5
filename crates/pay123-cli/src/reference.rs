//! `pay123 banks` and `pay123 codes`: the specification's tables, in Vietnamese and English.

use pay123_core::{BankCode, NotifyReturnCode, ReturnCode, TransactionStatus};
use serde_json::json;

use crate::out::{Out, yes_no};
use crate::{Exit, Outcome};

pub(crate) fn banks(out: &Out) -> Outcome {
    let banks: Vec<&BankCode> = std::iter::once(&BankCode::Pay123)
        .chain(BankCode::BANKS.iter())
        .collect();
    if out.json() {
        out.value(&json!(
            banks
                .iter()
                .map(|b| json!({"code": b.code(), "name": b.name(), "vietnamese": b.vietnamese_name()}))
                .collect::<Vec<_>>()
        ));
    } else {
        out.table(
            &["bankCode", "name", "Vietnamese name"],
            banks
                .iter()
                .map(|b| [b.code(), b.name(), b.vietnamese_name()]),
        );
    }
    Ok(Exit::Ok)
}

pub(crate) fn codes(out: &Out) -> Outcome {
    if out.json() {
        out.value(&json!({
            "return_codes": ReturnCode::KNOWN.iter().map(|c| json!({
                "code": c.code(), "vietnamese": c.vietnamese(), "english": c.english(),
                "retryable": c.is_retryable(),
            })).collect::<Vec<_>>(),
            "transaction_statuses": TransactionStatus::KNOWN.iter().map(|s| json!({
                "code": s.code(), "vietnamese": s.vietnamese(), "english": s.english(),
                "kind": s.outcome(), "final": s.is_final(),
            })).collect::<Vec<_>>(),
            "notify_return_codes": NotifyReturnCode::KNOWN.iter().map(|c| json!({
                "code": c.code(), "vietnamese": c.vietnamese(), "english": c.english(),
                "acknowledged": c.is_acknowledged(),
            })).collect::<Vec<_>>(),
        }));
        return Ok(Exit::Ok);
    }
    out.line("returnCode of createOrder and queryOrder");
    out.table(
        &["code", "Vietnamese", "English", "retry later"],
        ReturnCode::KNOWN.iter().map(|c| {
            vec![
                c.code().to_owned(),
                c.vietnamese().to_owned(),
                c.english().to_owned(),
                yes_no(c.is_retryable()),
            ]
        }),
    );
    out.line("");
    out.line("transactionStatus (queryOrder and notify); any other code is pending");
    out.table(
        &["code", "kind", "Vietnamese", "English"],
        TransactionStatus::KNOWN
            .iter()
            .map(|s| [s.code(), s.outcome(), s.vietnamese(), s.english()]),
    );
    out.line("");
    out.line("returnCode of a notify reply (123PAY stops on 1 and 2)");
    out.table(
        &["code", "Vietnamese", "English"],
        NotifyReturnCode::KNOWN
            .iter()
            .map(|c| [c.code(), c.vietnamese(), c.english()]),
    );
    Ok(Exit::Ok)
}
