//! The demo shop killed (SIGKILL) during 50 concurrent checkouts, then started again on the same
//! database: its reconciler settles every order to what 123PAY knows, and none is paid without
//! 123PAY's confirmation. The shop runs as its real binary; 123PAY is the sandbox.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use pay123_axum::pay123_hyper::HyperClient;
use pay123_sandbox::Config;
use shop::{OrderState, Store};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

/// A free loopback port (bound, then released for the child).
async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the shop's binary on `port` with these variables; waits until it answers.
async fn start_shop(port: u16, vars: &[(&str, String)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_axum-shop"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOP_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    let child = command.spawn().expect("the shop starts");
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(2))
        .build();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let request = http::Request::get(format!("http://127.0.0.1:{port}/"))
            .body(Bytes::new())
            .unwrap();
        if let Ok(response) = http.send(request).await
            && response.status() == http::StatusCode::OK
        {
            return child;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the shop never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn counts(store: &Store) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for order in store.recent_orders(u32::MAX).await.unwrap() {
        *counts.entry(order.state().as_str()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_killed_mid_checkout_ends_with_every_order_settled() {
    let session = Duration::from_secs(3);
    let port = free_port().await;
    let shop_url = format!("http://127.0.0.1:{port}");
    let mut config = Config::default().with_notify_url(format!("{shop_url}{}", shop::NOTIFY_PATH));
    // createOrder takes 200 ms to process and 300 ms more to answer: a kill finds orders never
    // sent, orders 123PAY is creating, and orders it created whose answer was never heard.
    config.faults.latency = Duration::from_millis(200);
    config.faults.create_order_answer_delay = Duration::from_millis(300);
    config.session_timeout = session;
    let sandbox = pay123_sandbox::start(TcpListener::bind("127.0.0.1:0").await.unwrap(), config)
        .await
        .unwrap();
    let credentials = sandbox.gateway().config().merchants[0].credentials.clone();
    let api_url = sandbox
        .endpoints()
        .create_order()
        .to_string()
        .trim_end_matches("/createOrder1")
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let vars = vec![
        ("SHOP_DATABASE_URL", database_url.clone()),
        ("PAY123_API_URL", api_url),
        (
            "PAY123_MERCHANT_CODE",
            credentials.merchant_code().to_owned(),
        ),
        (
            "PAY123_PASSCODE",
            credentials.passcode().expose_secret().to_owned(),
        ),
        (
            "PAY123_SECRET_KEY",
            credentials.secret_key().expose_secret().to_owned(),
        ),
        ("SHOP_GATEWAY_TIMEOUT", "2s".to_owned()),
        ("SHOP_RECONCILE_AFTER", "2500ms".to_owned()),
        ("SHOP_RECONCILE_PERIOD", "200ms".to_owned()),
        ("PAY123_SESSION_TIMEOUT", "3s".to_owned()),
        ("SHOP_RECONCILE_MARGIN", "500ms".to_owned()),
        ("SHOP_CHECKOUTS_PER_MINUTE", "0".to_owned()),
    ];
    let mut first = start_shop(port, &vars).await;

    // 50 checkouts at once; the shop is killed while they are under way.
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(10))
        .build();
    let checkouts: Vec<_> = (0..50)
        .map(|i| {
            let http = http.clone();
            let url = format!("{shop_url}/checkout");
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 8)).await;
                let request = http::Request::post(url)
                    .header(
                        http::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(Bytes::from("product_id=non-la&bank_code=123PVCB"))
                    .unwrap();
                http.send(request).await.map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(450)).await;
    first.kill().await.expect("SIGKILL");
    let mut answered = 0;
    for checkout in checkouts {
        if checkout.await.unwrap().is_ok() {
            answered += 1;
        }
    }
    let store = Store::connect(&database_url).await.unwrap();
    let at_kill = counts(&store).await;
    let created_at_123pay = sandbox.transactions().len();
    assert!(
        at_kill.get("creating").copied().unwrap_or(0) > 0,
        "the kill came while createOrders were under way: {at_kill:?}"
    );

    // Started again on the same database: the reconciler settles what the crash left.
    let _second = start_shop(port, &vars).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let orders = loop {
        let orders = store.recent_orders(1000).await.unwrap();
        if orders
            .iter()
            .all(|o| o.state().is_final() || o.state() == OrderState::NotCreated)
        {
            break orders;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "orders left open: {:?}, such as {:?}",
            counts(&store).await,
            orders.iter().find(|o| !o.state().is_final())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for order in &orders {
        let id = &order.m_transaction_id;
        let payment = order.payment.as_ref();
        assert!(
            !payment.is_some_and(|p| p.is_paid()),
            "{id} paid without a payment"
        );
        match (order.state(), sandbox.transaction(id)) {
            (OrderState::Failed, Some(t)) => {
                assert!(t.is_final && !t.status.is_success());
                let status = payment.and_then(|p| p.transaction_status.as_ref());
                assert_eq!(status, Some(&t.status), "{id}");
            }
            (OrderState::Closed | OrderState::NotCreated, None) => {}
            (state, t) => panic!("{id} ended {state:?}, 123PAY has {t:?}"),
        }
    }
    eprintln!(
        "killed during 50 checkouts ({answered} answered before the kill): {} orders recorded, \
         at the kill {at_kill:?}, {created_at_123pay} payments at 123PAY; after the restart \
         {:?}",
        orders.len(),
        counts(&store).await
    );
}
