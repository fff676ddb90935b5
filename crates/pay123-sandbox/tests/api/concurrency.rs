//! Concurrent createOrder calls, and logs that never show a secret.

use std::collections::HashSet;

use pay123_core::{BankCode, Client, Credentials, QueryOrder};
use pay123_sandbox::Merchant;

use super::support::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distinct_ids_all_succeed() {
    let h = Harness::new(|_| {}).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let client = h.client.clone();
        tasks.push(tokio::spawn(async move {
            let order = Harness::order(&format!("PAR-{i}"), BankCode::Acb);
            client.create_order(&order).await
        }));
    }
    let mut ids = HashSet::new();
    let mut urls = HashSet::new();
    for task in tasks {
        let created = task.await.unwrap().expect("every distinct id succeeds");
        ids.insert(created.pay123_transaction_id().to_owned());
        urls.insert(created.payment_url().to_owned());
    }
    assert_eq!(ids.len(), 64, "123PAY transaction ids are unique");
    assert_eq!(urls.len(), 64, "payment URLs are unique");
    assert_eq!(h.sandbox.transactions().len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duplicate_id_yields_exactly_one_success() {
    let h = Harness::new(|_| {}).await;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let client = h.client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .create_order(&Harness::order("SAME-ID", BankCode::Acb))
                .await
        }));
    }
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => successes += 1,
            Err(e) => assert_eq!(e.return_code().map(|c| c.code()), Some("6206"), "{e}"),
        }
    }
    assert_eq!(successes, 1);
    assert_eq!(h.sandbox.transactions().len(), 1);
}

#[tokio::test]
async fn logs_never_show_a_secret() {
    let logs = pay123_core::test_util::logs();
    let shop = Credentials::new("SHOP9", "PASS-SECRET-9", "KEY-SECRET-9").unwrap();
    let h = Harness::with_sink(vec![], |c| {
        *c = c.clone().with_merchant(Merchant::new(shop.clone()));
    })
    .await;
    // A payment with its notify, a wrong passcode, a query.
    h.pay("LOGGED-1").await;
    h.settled("LOGGED-1").await;
    let client = Client::new(h.http.clone(), shop.clone(), h.sandbox.endpoints());
    client
        .create_order(&Harness::order("LOGGED-2", BankCode::Acb))
        .await
        .unwrap();
    let wrong = Credentials::new("SHOP9", "PASS-SECRET-WRONG", "KEY-SECRET-9").unwrap();
    let client = Client::new(h.http.clone(), wrong, h.sandbox.endpoints());
    assert!(
        client
            .query_order(&QueryOrder::new("LOGGED-2").unwrap())
            .await
            .is_err()
    );
    let log = logs.text();
    // The sandbox's own lines (the test's HTTP client, the buyer's browser here, logs its URLs).
    let sandbox_log: String = log
        .lines()
        .filter(|l| l.contains(" pay123_sandbox"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(log.contains("order created"), "{log}");
    assert!(log.contains("notify attempt"), "{log}");
    assert!(log.contains("request refused"), "{log}");
    // Nor the bank page session id, which lets anyone act for the buyer.
    let payment_url = h.sandbox.transaction("LOGGED-1").unwrap().payment_url;
    let session = payment_url.rsplit('/').next().unwrap();
    assert!(sandbox_log.contains("/banksim/"), "{sandbox_log}");
    assert!(
        !sandbox_log.contains(session),
        "{session} in the logs:\n{sandbox_log}"
    );
    for secret in ["MIPASSCODE", "MIKEY", "PASS-SECRET", "KEY-SECRET"] {
        assert!(!log.contains(secret), "{secret} in the logs:\n{log}");
    }
}
