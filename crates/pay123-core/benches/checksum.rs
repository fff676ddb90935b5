//! The core's hot paths, each beside its floor: the least work that does the same job with the
//! same crates (parse, one SHA1, hex, compare, serialize), measured in the same run. The ratio
//! to the floor is the figure that matters (`docs/benchmarks.md`).
#![allow(missing_docs)] // criterion_group! generates undocumented items
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pay123_core::{
    BankCode, CreateOrder, Credentials, Gender, Notify, NotifyListener, NotifyOutcome,
    NotifyVerifier, OrderStatus, TransactionStatus,
};
use sha1::{Digest, Sha1};

/// The createOrder body, as the floor serializes it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateOrderBody<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    merchant_code: &'a str,
    bank_code: &'a str,
    total_amount: &'a str,
    #[serde(rename = "clientIP")]
    client_ip: &'a str,
    cust_name: &'a str,
    cust_address: &'a str,
    cust_gender: &'a str,
    #[serde(rename = "custDOB")]
    cust_dob: &'a str,
    cust_phone: &'a str,
    cust_mail: &'a str,
    #[serde(rename = "cancelURL")]
    cancel_url: &'a str,
    #[serde(rename = "redirectURL")]
    redirect_url: &'a str,
    #[serde(rename = "errorURL")]
    error_url: &'a str,
    passcode: &'a str,
    checksum: &'a str,
}

/// A notify reply, as the floor serializes it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplyBody<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    return_code: &'a str,
    ts: &'a str,
    checksum: &'a str,
}

/// SHA1 of the parts, lowercase hex.
fn sha1_hex(parts: &[&str]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn create_order(c: &mut Criterion) {
    let credentials = Credentials::sandbox();
    let build = || {
        CreateOrder::builder("V20170711001", 100_000, "https://www.google.com.vn/")
            .bank_code(BankCode::Vietinbank)
            .client_ip("127.0.0.1")
            .customer_gender(Gender::Male)
            .build()
            .expect("valid order")
    };
    let order = build();
    let url = "https://www.google.com.vn/";
    let mut group = c.benchmark_group("createOrder");
    // The floor of signing and serializing: one SHA1 of the fields, hex, and the JSON body.
    group.bench_function("floor: sign and serialize", |b| {
        b.iter(|| {
            let fields = black_box([
                "V20170711001",
                "MICODE",
                "123PVTB",
                "100000",
                "127.0.0.1",
                "",
                "",
                "M",
                "",
                "",
                "",
                url,
                url,
                url,
                "MIPASSCODE",
            ]);
            let mut parts = fields.to_vec();
            parts.push("MIKEY");
            let checksum = sha1_hex(&parts);
            serde_json::to_vec(&CreateOrderBody {
                m_transaction_id: fields[0],
                merchant_code: fields[1],
                bank_code: fields[2],
                total_amount: fields[3],
                client_ip: fields[4],
                cust_name: fields[5],
                cust_address: fields[6],
                cust_gender: fields[7],
                cust_dob: fields[8],
                cust_phone: fields[9],
                cust_mail: fields[10],
                cancel_url: fields[11],
                redirect_url: fields[12],
                error_url: fields[13],
                passcode: fields[14],
                checksum: &checksum,
            })
            .unwrap()
        })
    });
    group.bench_function("CreateOrder::to_json", |b| {
        b.iter(|| black_box(&order).to_json(&credentials))
    });
    group.bench_function("builder().build() + to_json", |b| {
        b.iter(|| build().to_json(black_box(&credentials)))
    });
    group.finish();
}

fn notify(c: &mut Criterion) {
    let credentials = Credentials::sandbox();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let notify = Notify::new(
        "V20170711001",
        BankCode::Vietinbank,
        TransactionStatus::Success,
        "ok",
        now,
    )
    .expect("valid notify");
    // 1,024 notifies of different orders, taken in turn: their checksums differ as a server's
    // do (one form verified again and again would let the branch predictor learn its digits).
    let forms: Vec<String> = (0..1024)
        .map(|i| {
            Notify::new(
                format!("V20170711-{i}"),
                BankCode::Vietinbank,
                TransactionStatus::Success,
                "ok",
                now,
            )
            .expect("valid notify")
            .to_form(credentials.secret_key())
        })
        .collect();
    let mut turn = forms.iter().cycle();
    let mut next_form = move || turn.next().map_or(&[][..], |f| f.as_bytes());
    let verifier = NotifyVerifier::new(credentials.secret_key().clone());
    let mut group = c.benchmark_group("notify");
    // The floor: the same form into owned pairs, one SHA1 of the signed fields, hex, compare.
    group.bench_function("floor: parse, SHA1, hex, compare", |b| {
        b.iter(|| {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(black_box(next_form()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let get = |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == n)
                    .map_or("", |(_, v)| v.as_str())
            };
            let computed = sha1_hex(&[
                get("mTransactionID"),
                get("bankCode"),
                get("transactionStatus"),
                get("ts"),
                "MIKEY",
            ]);
            computed == get("checksum")
        })
    });
    group.bench_function("NotifyVerifier::verify_form", |b| {
        b.iter(|| verifier.verify_form(black_box(next_form()), black_box(now)))
    });
    group.finish();

    // The reply: the floor signs and serializes the four fields.
    let listener = NotifyListener::new(credentials.secret_key().clone());
    let mut group = c.benchmark_group("notify reply");
    group.bench_function("floor: SHA1, hex, JSON", |b| {
        b.iter(|| {
            let ts = black_box(1_700_000_000_123_u64).to_string();
            let checksum = sha1_hex(&["V20170711001", "1", &ts, "MIKEY"]);
            serde_json::to_vec(&ReplyBody {
                m_transaction_id: "V20170711001",
                return_code: "1",
                ts: &ts,
                checksum: &checksum,
            })
            .unwrap()
        })
    });
    group.bench_function("NotifyListener::reply", |b| {
        b.iter_batched(
            || notify.clone(),
            |notify| listener.reply(notify, NotifyOutcome::Updated, black_box(now)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn query_order(c: &mut Criterion) {
    let credentials = Credentials::sandbox();
    let answer = OrderStatus::new(
        "123P1707110106640",
        TransactionStatus::CheckingAccount,
        "100000",
        "100000",
        BankCode::Vietinbank,
    )
    .with_description("Thanh cong")
    .to_json(credentials.secret_key());
    let mut group = c.benchmark_group("queryOrder answer");
    // The floor: serde_json of the array, one SHA1, hex, compare.
    group.bench_function("floor: JSON array, SHA1, hex, compare", |b| {
        b.iter(|| {
            let items: Vec<Option<String>> = serde_json::from_slice(black_box(&answer)).unwrap();
            let s = |i: usize| items[i].as_deref().unwrap_or("");
            let computed = sha1_hex(&[s(0), s(1), s(2), s(3), s(4), s(5), "MIKEY"]);
            computed == s(7)
        })
    });
    group.bench_function("OrderStatus::from_json", |b| {
        b.iter(|| OrderStatus::from_json(black_box(&answer), credentials.secret_key()))
    });
    group.finish();
}

criterion_group!(core, create_order, notify, query_order);
criterion_main!(core);
