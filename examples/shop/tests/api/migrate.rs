//! Migration 0003 on a database the shop of migrations 0001 and 0002 filled: every order, its
//! payment, its schedule and its history carried over to the shop's and pay123's tables.

use std::path::Path;

use pay123_core::payments::{PaymentState, Source};
use pay123_core::{BankCode, TransactionStatus};
use shop::Store;
use sqlx::AnyPool;

/// A database at `url` with only the migrations before 0003, and two orders in it as the old
/// shop wrote them: one paid (three changes), one pending with a reconciler's schedule and a
/// lease (two changes).
async fn old_shop(url: &str) {
    sqlx::any::install_default_drivers();
    let old = tempfile::tempdir().unwrap();
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in ["0001_orders.sql", "0002_reconcile.sql"] {
        std::fs::copy(migrations.join(name), old.path().join(name)).unwrap();
    }
    let pool = AnyPool::connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let orders = [
        "INSERT INTO orders (m_transaction_id, product_id, product_name, amount, bank_code, \
         client_ip, status, paid, pay123_transaction_id, redirect_url, transaction_status, \
         paid_bank_code, op_amount, error_code, error_message, created_at, updated_at, \
         next_check_at, check_attempts, lease_owner, lease_until) VALUES \
         ('OLD-PAID', 'ao-dai', 'Ao dai', 450000, '123PAY', '10.0.0.7', 'paid', 1, \
          '123P-OLD-PAID', 'https://sandbox.123pay.vn/bank?x', '1', '123PVCB', 445000, NULL, \
          NULL, 1000, 3000, NULL, 0, NULL, NULL)",
        "INSERT INTO orders (m_transaction_id, product_id, product_name, amount, bank_code, \
         client_ip, status, paid, pay123_transaction_id, redirect_url, transaction_status, \
         paid_bank_code, op_amount, error_code, error_message, created_at, updated_at, \
         next_check_at, check_attempts, lease_owner, lease_until) VALUES \
         ('OLD-OPEN', 'non-la', 'Non la', 120000, '123PVTB', NULL, 'pending', 0, \
          '123P-OLD-OPEN', 'https://sandbox.123pay.vn/bank?y', '11', NULL, NULL, NULL, NULL, \
          5000, 6000, 90000, 2, 'instance-a', 99000)",
    ];
    let history = [
        (
            "OLD-PAID", 1, "creating", None, "checkout", "recorded", 1000,
        ),
        (
            "OLD-PAID",
            2,
            "pending",
            None,
            "create_order",
            "created",
            2000,
        ),
        (
            "OLD-PAID",
            3,
            "paid",
            Some("1"),
            "notify",
            "paid: confirmed",
            3000,
        ),
        (
            "OLD-OPEN", 1, "creating", None, "checkout", "recorded", 5000,
        ),
        (
            "OLD-OPEN",
            2,
            "pending",
            Some("11"),
            "return",
            "waiting for OTP",
            6000,
        ),
    ];
    for sql in orders {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    for (id, seq, status, transaction_status, source, note, at) in history {
        sqlx::query(
            "INSERT INTO order_history (m_transaction_id, seq, status, transaction_status, \
             source, note, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(seq)
        .bind(status)
        .bind(transaction_status)
        .bind(source)
        .bind(note)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

async fn carries_everything_over(url: &str) {
    old_shop(url).await;
    let store = Store::connect(url).await.unwrap();

    let order = store.order("OLD-PAID").await.unwrap().expect("the order");
    assert_eq!(order.product_name, "Ao dai");
    assert_eq!(order.amount, 450_000);
    assert_eq!(order.bank_code, BankCode::from_code("123PAY"));
    assert_eq!(order.client_ip.as_deref(), Some("10.0.0.7"));
    let paid = pay123_core::payments::PaymentStore::load(store.payments(), "OLD-PAID")
        .await
        .unwrap()
        .expect("the payment");
    assert_eq!(paid.state, PaymentState::Paid);
    assert_eq!(paid.version, 3, "the last change's number");
    assert_eq!(paid.source, Source::Notify);
    assert_eq!(paid.note.as_deref(), Some("paid: confirmed"));
    assert_eq!(paid.pay123_transaction_id.as_deref(), Some("123P-OLD-PAID"));
    assert_eq!(paid.transaction_status, Some(TransactionStatus::Success));
    assert_eq!(paid.bank_code, Some(BankCode::Vietcombank), "the bank used");
    assert_eq!(paid.op_amount, Some(445_000));
    assert_eq!(
        paid.next_check_at, None,
        "final: not asked about, not handed over"
    );
    let history = store.history("OLD-PAID").await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| (h.version, h.state, h.note.as_deref()))
            .collect::<Vec<_>>(),
        [
            (1, PaymentState::Creating, Some("recorded")),
            (2, PaymentState::Pending, Some("created")),
            (3, PaymentState::Paid, Some("paid: confirmed")),
        ]
    );

    let open = pay123_core::payments::PaymentStore::load(store.payments(), "OLD-OPEN")
        .await
        .unwrap()
        .expect("the payment");
    assert_eq!(open.state, PaymentState::Pending);
    assert_eq!(open.version, 2);
    assert_eq!(open.check_attempts, 2);
    assert_eq!(
        open.next_check_at,
        Some(pay123_core::payments::Payment::from_millis(90_000)),
        "the reconciler's schedule kept"
    );
    // The reconciler finds it due.
    let due = pay123_core::payments::PaymentStore::due(
        store.payments(),
        pay123_core::payments::Payment::from_millis(100_000),
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        due.iter()
            .map(|p| p.m_transaction_id.as_str())
            .collect::<Vec<_>>(),
        ["OLD-OPEN"]
    );
    // The next change saves on top of the carried version.
    let mut next = open.clone();
    next.version = 3;
    assert!(
        pay123_core::payments::PaymentStore::update(store.payments(), &next, 2)
            .await
            .unwrap()
    );
    // And the migrated database opens again as it is.
    drop(store);
    Store::connect(url).await.unwrap();
}

#[tokio::test]
async fn an_old_sqlite_database_is_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    carries_everything_over(&url).await;
}

#[tokio::test]
async fn an_old_postgres_database_is_carried_over() {
    // Run by scripts/test, which starts a PostgreSQL server and names it here.
    let Ok(server) = std::env::var("PAY123_TEST_POSTGRES_URL") else {
        eprintln!("PAY123_TEST_POSTGRES_URL is not set: PostgreSQL not tested here");
        return;
    };
    use sqlx::Connection;
    let name = format!("shop_migrate_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = server.rsplit_once('/').expect("a URL with a database").0;
    carries_everything_over(&format!("{base}/{name}")).await;
}
