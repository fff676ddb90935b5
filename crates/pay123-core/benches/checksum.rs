//! Checksum and notify verification throughput, against a bare SHA1 of the same bytes.
#![allow(missing_docs)] // criterion_group! generates undocumented items
use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use pay123_core::{
    BankCode, CreateOrder, Credentials, Gender, Notify, NotifyVerifier, TransactionStatus,
};
use sha1::{Digest, Sha1};

fn benches(c: &mut Criterion) {
    let credentials = Credentials::sandbox();
    let order = CreateOrder::builder("V20170711001", 100_000, "https://www.google.com.vn/")
        .bank_code(BankCode::Vietinbank)
        .client_ip("127.0.0.1")
        .customer_gender(Gender::Male)
        .build()
        .expect("valid order");
    let plain = "V20170711001MICODE123PVTB100000127.0.0.1Mhttps://www.google.com.vn/https://www.google.com.vn/https://www.google.com.vn/MIPASSCODEMIKEY";
    let mut group = c.benchmark_group("createOrder");
    group.bench_function("baseline: sha1 of the concatenated string", |b| {
        b.iter(|| hex::encode(Sha1::digest(black_box(plain).as_bytes())))
    });
    group.bench_function("CreateOrder::checksum", |b| {
        b.iter(|| black_box(&order).checksum(&credentials))
    });
    group.bench_function("CreateOrder::to_json", |b| {
        b.iter(|| black_box(&order).to_json(&credentials))
    });
    group.finish();

    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let notify = Notify::new(
        "V20170711001",
        BankCode::Vietinbank,
        TransactionStatus::Success,
        "ok",
        now,
    )
    .expect("valid notify");
    let form = notify.to_form(credentials.secret_key());
    let verifier = NotifyVerifier::new(credentials.secret_key().clone());
    let mut group = c.benchmark_group("notify");
    group.bench_function("baseline: form parse only", |b| {
        b.iter(|| form_urlencoded::parse(black_box(form.as_bytes())).count())
    });
    group.bench_function("NotifyVerifier::verify_form", |b| {
        b.iter(|| verifier.verify_form(black_box(form.as_bytes()), black_box(now)))
    });
    group.finish();
}

criterion_group!(checksum, benches);
criterion_main!(checksum);
