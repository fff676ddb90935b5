//! `SqlStore` on a SQLite file and on the test PostgreSQL server (`PAY123_TEST_POSTGRES_URL`,
//! started by `scripts/test`): the store contract, history, concurrent writers, and the payment
//! flow over it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use pay123_core::payments::{PaymentState, PaymentStore, Payments, Source};
use pay123_core::test_util::{FakeGateway, check_store};
use pay123_core::{BankCode, CreateOrder, Credentials, Notify, NotifyOutcome, TransactionStatus};
use pay123_sqlx::SqlStore;
use sqlx::Connection;

/// The variable that names the test PostgreSQL server.
const POSTGRES_URL_VAR: &str = "PAY123_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy)]
enum Db {
    Sqlite,
    Postgres,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A new, empty database; the temporary directory of a SQLite file lives as long as the test.
async fn fresh(db: Db) -> (String, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("pay.db").display());
            (url, Some(dir))
        }
        Db::Postgres => {
            let server = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
                panic!(
                    "{POSTGRES_URL_VAR} is not set: run the tests with scripts/test, which starts \
                     a PostgreSQL server, or point it at one (a user that may create databases)"
                )
            });
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!(
                "pay123_sqlx_{}_{}_{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.ok();
            let base = server.rsplit_once('/').expect("a URL with a database").0;
            (format!("{base}/{name}"), None)
        }
    }
}

async fn store(db: Db) -> (SqlStore, Option<tempfile::TempDir>) {
    let (url, dir) = fresh(db).await;
    (SqlStore::connect(&url).await.expect("connect"), dir)
}

async fn keeps_the_contract(db: Db) {
    let dirs = std::sync::Mutex::new(Vec::new());
    check_store(|| async {
        let (store, dir) = store(db).await;
        dirs.lock().unwrap().push(dir);
        store
    })
    .await;
}

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    keeps_the_contract(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    keeps_the_contract(Db::Postgres).await;
}

/// The flow over the store: the history is the versions with a note, written with them; the
/// tables are created once and found again by a second store on the database.
async fn the_flow_writes_its_history(db: Db) {
    let (url, _dir) = fresh(db).await;
    let store = SqlStore::connect(&url).await.unwrap();
    let gateway = FakeGateway::new(Credentials::sandbox());
    let payments = Payments::new(gateway.client(), store.clone(), tokio::time::sleep);
    let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return")
        .build()
        .unwrap();
    payments.create(&order).await.unwrap();
    gateway.set_status("ORDER-1", TransactionStatus::Success);
    let notify = Notify::new(
        "ORDER-1",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(
        payments.on_notify(notify).await.unwrap(),
        NotifyOutcome::Updated
    );

    let again = SqlStore::connect(&url)
        .await
        .expect("the tables exist already");
    let payment = again.load("ORDER-1").await.unwrap().unwrap();
    assert_eq!(payment.state, PaymentState::Paid);
    assert_eq!(payment.op_amount, Some(150_000));
    let history = again.history("ORDER-1").await.unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|h| (h.version, h.state, h.source))
        .collect();
    assert_eq!(
        steps,
        [
            (1, PaymentState::Creating, Source::Checkout),
            (2, PaymentState::Pending, Source::CreateOrder),
            (3, PaymentState::Paid, Source::Notify),
        ]
    );
    assert_eq!(
        history[2].transaction_status,
        Some(TransactionStatus::Success)
    );
    assert!(
        history[2]
            .note
            .as_deref()
            .unwrap()
            .contains("totalAmount 150000")
    );
    // A version without a note (the reconciler's schedule) is no history.
    let mut quiet = payment.clone();
    quiet.version += 1;
    quiet.note = None;
    assert!(again.update(&quiet, payment.version).await.unwrap());
    assert_eq!(again.history("ORDER-1").await.unwrap().len(), 3);
    assert!(again.history("NOT-HERE").await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_the_flow_writes_its_history() {
    the_flow_writes_its_history(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_the_flow_writes_its_history() {
    the_flow_writes_its_history(Db::Postgres).await;
}

/// Writers on several pools (several instances of an app) racing on one version: one wins.
async fn one_of_concurrent_writers_wins(db: Db) {
    let (url, _dir) = fresh(db).await;
    let stores: Vec<SqlStore> = futures(4, || SqlStore::connect(&url)).await;
    let mut payment = pay123_core::payments::Payment::restore(
        "RACE",
        1000,
        PaymentState::Pending,
        SystemTime::now(),
        1,
    );
    payment.next_check_at = Some(SystemTime::now());
    assert!(stores[0].insert(&payment).await.unwrap());
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let mut next = payment.clone();
            next.version = 2;
            next.state = PaymentState::Paid;
            next.note = Some(format!("writer {i}"));
            tokio::spawn(async move { store.update(&next, 1).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(stores[1].history("RACE").await.unwrap().len(), 1);
    // Two inserts of one id at once: one.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let mut fresh = payment.clone();
            fresh.m_transaction_id = "TWICE".to_owned();
            tokio::spawn(async move { store.insert(&fresh).await.unwrap() })
        })
        .collect();
    let mut inserted = 0;
    for task in tasks {
        inserted += usize::from(task.await.unwrap());
    }
    assert_eq!(inserted, 1);
}

async fn futures<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, pay123_sqlx::Error>>,
{
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(make().await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_one_of_concurrent_writers_wins() {
    one_of_concurrent_writers_wins(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_one_of_concurrent_writers_wins() {
    one_of_concurrent_writers_wins(Db::Postgres).await;
}
