//! Shared fixtures and proptest strategies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pay123_core::{BankCode, CreateOrder, Gender, TransactionStatus};
use proptest::prelude::*;

/// A fixed "now": 2017-07-11, the date of the spec's examples.
pub(crate) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_499_789_401)
}

/// An id of up to `max` characters that createOrder accepts: visible ASCII, and not ending
/// with a bank code and digits (see `Rule::EndsWithBankCode`).
pub(crate) fn token(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9._-]{{1,{max}}}"))
        .unwrap()
        .prop_filter("ends with a bank code", |id| {
            pay123_core::QueryOrder::new(id.as_str()).is_ok()
        })
}

pub(crate) fn bank() -> impl Strategy<Value = BankCode> {
    prop_oneof![
        Just(BankCode::Pay123),
        proptest::sample::select(BankCode::BANKS.to_vec()),
    ]
}

pub(crate) fn status() -> impl Strategy<Value = TransactionStatus> {
    prop_oneof![
        proptest::sample::select(TransactionStatus::KNOWN.to_vec()),
        (-99_999i64..99_999).prop_map(|n| TransactionStatus::from_code(&n.to_string())),
    ]
}

/// A status a notify may carry: the specification's, or an unknown code of its form (digits).
pub(crate) fn notify_status() -> impl Strategy<Value = TransactionStatus> {
    prop_oneof![
        proptest::sample::select(TransactionStatus::KNOWN.to_vec()),
        (0u64..9_999_999_999).prop_map(|n| TransactionStatus::from_code(&n.to_string())),
    ]
}

/// An `mTransactionID` 123PAY may send back: up to 50 characters, any but control characters
/// (an order created by another system included), or none.
pub(crate) fn received_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{1,30}",
        "[A-Za-z0-9]{0,8}123P[A-Z]{1,4}[-0-9]{0,4}",
        "[a-zA-Z0-9 ĐđơưÀ-ỹ-]{1,20}",
    ]
}

/// A bank code of 123PAY's form: one of the specification, or one added later.
pub(crate) fn bank_form() -> impl Strategy<Value = String> {
    prop_oneof![bank().prop_map(|b| b.code().to_owned()), "123P[A-Z]{1,16}",]
}

fn ascii_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9 ,./-]{{0,{max}}}")).unwrap()
}

fn url() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        "[a-z]{1,20}",
        "[a-zA-Z0-9/_-]{0,60}",
    )
        .prop_map(|(scheme, host, path)| format!("{scheme}://{host}.vn/{path}"))
}

fn dob() -> impl Strategy<Value = String> {
    (1u32..=28, 1u32..=12, 1900u32..=2020).prop_map(|(d, m, y)| format!("{d:02}/{m:02}/{y}"))
}

pub(crate) fn create_order() -> impl Strategy<Value = CreateOrder> {
    (
        (
            token(50),
            bank(),
            1u64..=999_999_999_999,
            proptest::option::of(any::<[u8; 4]>()),
        ),
        (
            ascii_text(64),
            ascii_text(255),
            0usize..3,
            proptest::option::of(dob()),
        ),
        (
            "[0-9]{0,20}",
            proptest::option::of("[a-z]{1,10}@[a-z]{1,10}\\.vn"),
            "[A-Za-z0-9 .:,_-]{0,255}",
        ),
        (
            url(),
            proptest::option::of(url()),
            proptest::option::of(url()),
        ),
        proptest::collection::vec("[A-Za-z0-9 ]{0,20}", 0..3),
    )
        .prop_map(
            |(
                (id, bank, amount, ip),
                (name, address, gender, dob),
                (phone, mail, description),
                (redirect, cancel, error),
                info,
            )| {
                let mut b = CreateOrder::builder(id, amount, redirect)
                    .bank_code(bank)
                    .customer_name(name)
                    .customer_address(address)
                    .customer_gender([Gender::Male, Gender::Female, Gender::Unknown][gender])
                    .customer_phone(phone)
                    .description(description);
                if let Some(ip) = ip {
                    b = b.client_ip(std::net::Ipv4Addr::from(ip).to_string());
                }
                if let Some(d) = dob {
                    b = b.customer_dob(d);
                }
                if let Some(m) = mail {
                    b = b.customer_mail(m);
                }
                if let Some(c) = cancel {
                    b = b.cancel_url(c);
                }
                if let Some(e) = error {
                    b = b.error_url(e);
                }
                for i in info {
                    b = b.add_info(i);
                }
                b.build().expect("the strategy makes valid orders")
            },
        )
}
