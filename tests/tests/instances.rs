//! Two instances of the axum demo shop on one PostgreSQL database, as a merchant past one
//! machine runs them: notifies split between them, both reconcilers running, and one instance
//! killed mid-burst. Each test prints its figures (run with `--nocapture` to see them).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::{BankCode, Notify, NotifyReply, SecretKey, TransactionStatus};
use pay123_hyper::HyperClient;
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE, TEST_OTP};
use pay123_sandbox::{Config, Sandbox};
use pay123_tests::database::fresh_postgres;
use pay123_tests::{Buyer, Page};
use shop::{OrderState, ReconcilerSettings, Store};
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(30);

/// One shop instance: its URL, and what keeps it running.
struct Instance {
    url: String,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
    _reconciler: shop::ReconcilerHandle,
}

/// Starts an instance on the current runtime.
async fn instance(
    database_url: &str,
    sandbox: &Sandbox,
    policy: ReconcilePolicy,
    settings: ReconcilerSettings,
) -> Instance {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store = Store::connect_with(database_url, 8).await.unwrap();
    let credentials = sandbox.gateway().config().merchants[0].credentials.clone();
    let shop = shop::Shop::new(
        pay123_hyper::client(credentials, sandbox.endpoints()),
        store,
        &url,
    )
    .with_gateway_timeout(Duration::from_secs(5))
    .with_reconcile_policy(policy)
    .with_checkouts_per_minute(0);
    let reconciler = shop.spawn_reconciler(settings);
    let server = tokio::spawn(axum_shop::serve(
        listener,
        shop,
        pay123_axum::server::Limits::default(),
        std::future::pending(),
    ));
    Instance {
        url,
        _server: server,
        _reconciler: reconciler,
    }
}

/// An instance on a runtime of its own, on its own thread: `kill` drops the runtime, which
/// ends its server, its connections, its requests under way and its reconciler at once.
struct KillableInstance {
    url: String,
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KillableInstance {
    fn start(
        database_url: String,
        sandbox: &Sandbox,
        policy: ReconcilePolicy,
        settings: ReconcilerSettings,
    ) -> Self {
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
        let credentials = sandbox.gateway().config().merchants[0].credentials.clone();
        let endpoints = sandbox.endpoints();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}", listener.local_addr().unwrap());
                let store = Store::connect_with(&database_url, 8).await.unwrap();
                let shop =
                    shop::Shop::new(pay123_hyper::client(credentials, endpoints), store, &url)
                        .with_gateway_timeout(Duration::from_secs(5))
                        .with_reconcile_policy(policy)
                        .with_checkouts_per_minute(0);
                std::mem::forget(shop.spawn_reconciler(settings));
                tokio::spawn(axum_shop::serve(
                    listener,
                    shop,
                    pay123_axum::server::Limits::default(),
                    std::future::pending(),
                ));
                url_tx.send(url).unwrap();
            });
            let _ = kill_rx.recv();
            runtime.shutdown_background();
        });
        Self {
            url: url_rx.recv().unwrap(),
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }

    fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for KillableInstance {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn sandbox() -> Sandbox {
    let mut config = Config::default().with_notify_url("http://127.0.0.1:9/unused");
    // The sandbox's own notifies are lost: the tests send the notifies themselves.
    config.faults.drop_notify_rate = 1.0;
    pay123_sandbox::start(TcpListener::bind("127.0.0.1:0").await.unwrap(), config)
        .await
        .unwrap()
}

fn key(sandbox: &Sandbox) -> SecretKey {
    sandbox.gateway().config().merchants[0]
        .credentials
        .secret_key()
        .clone()
}

/// Checks out at `shop_url` (bank Vietcombank); the order's id and the gateway's card page.
async fn checkout(buyer: &Buyer, shop_url: &str) -> (String, Page) {
    let answer = buyer
        .post_form(
            &format!("{shop_url}/checkout"),
            &[("product_id", "non-la"), ("bank_code", "123PVCB")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer.headers[shop::web::ORDER_ID_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    (id, buyer.follow(answer).await)
}

/// Pays on the card page with the test card, and closes the browser before coming back.
async fn pay_and_leave(buyer: &Buyer, card_page: &Page) {
    let otp_page = buyer
        .submit(
            card_page,
            "card_form",
            &[
                ("card_holder", TEST_CARD_HOLDER),
                ("card_number", TEST_CARD_NUMBER),
                ("issue_date", TEST_ISSUE_DATE),
            ],
            "pay",
        )
        .await;
    let answer = buyer
        .submit_only(&otp_page, "otp_form", &[("otp", TEST_OTP)], "pay")
        .await;
    assert!(answer.status.is_redirection(), "{}", answer.body);
}

/// What a notify POST got: the HTTP status and the reply's return code, if the reply verified.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Reply {
    Code(String),
    Invalid(String),
    NoAnswer,
}

async fn send_notify(
    http: &HyperClient,
    shop_url: &str,
    notify: &Notify,
    key: &SecretKey,
) -> Reply {
    let request = Request::post(format!("{shop_url}{}", shop::NOTIFY_PATH))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(notify.to_form(key)))
        .unwrap();
    let Ok(response) = http.send(request).await else {
        return Reply::NoAnswer;
    };
    if response.status() != StatusCode::OK {
        return Reply::Invalid(format!("HTTP {}", response.status()));
    }
    let (now, window) = (std::time::SystemTime::now(), pay123_core::DEFAULT_WINDOW);
    match NotifyReply::from_json_for(response.body(), notify, key, now, window) {
        Ok(reply) => Reply::Code(reply.return_code().code().to_owned()),
        Err(e) => Reply::Invalid(e.to_string()),
    }
}

fn notify(id: &str) -> Notify {
    Notify::new(
        id,
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .unwrap()
}

/// How many history entries of the order say `paid`.
async fn paid_changes(store: &Store, id: &str) -> usize {
    store
        .history(id)
        .await
        .unwrap()
        .iter()
        .filter(|h| h.state == OrderState::Paid)
        .count()
}

fn quiet_policy() -> ReconcilePolicy {
    ReconcilePolicy::default().with_first_check(Duration::from_secs(600))
}

fn raise_open_files() {
    rlimit::increase_nofile_limit(16_384).expect("a higher open files limit");
}

/// 1,000 valid notifies for one paid order at once, half to each instance: exactly one change
/// to paid, and every reply valid JSON, correctly signed, acknowledging the notify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_notifies_split_across_two_instances_pay_once() {
    raise_open_files();
    let sandbox = sandbox().await;
    let database = fresh_postgres().await;
    let settings = ReconcilerSettings::default();
    let a = instance(&database, &sandbox, quiet_policy(), settings).await;
    let b = instance(&database, &sandbox, quiet_policy(), settings).await;
    let buyer = Buyer::new();
    let (id, page) = checkout(&buyer, &a.url).await;
    pay_and_leave(&buyer, &page).await;
    assert!(sandbox.transaction(&id).unwrap().status.is_success());

    let key = key(&sandbox);
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(60))
        .build();
    let queries_before = sandbox.gateway().query_order_calls();
    let sends = (0..1000).map(|i| {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        let (http, key, id) = (http.clone(), key.clone(), id.clone());
        let url = url.clone();
        tokio::spawn(async move { send_notify(&http, &url, &notify(&id), &key).await })
    });
    let mut replies: BTreeMap<Reply, usize> = BTreeMap::new();
    for send in sends.collect::<Vec<_>>() {
        *replies.entry(send.await.unwrap()).or_default() += 1;
    }
    let queries = sandbox.gateway().query_order_calls() - queries_before;
    let store = Store::connect(&database).await.unwrap();
    let changes = paid_changes(&store, &id).await;
    eprintln!(
        "two instances, one order: 1000 notifies sent; replies {replies:?}; changes to paid: \
         {changes}; queryOrder calls: {queries}"
    );
    assert_eq!(changes, 1);
    assert_eq!(
        replies.get(&Reply::Code("1".into())),
        Some(&1),
        "{replies:?}"
    );
    for reply in replies.keys() {
        assert!(
            matches!(reply, Reply::Code(code) if code == "1" || code == "2"),
            "every reply acknowledges the notify: {replies:?}"
        );
    }
    assert!((1..=1000).contains(&queries), "{queries}");
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!(order.state(), OrderState::Paid);
}

/// Both instances' reconcilers running over 30 open orders, 20 of them paid at 123PAY with
/// every notify lost: each paid order is asked about once (by one instance), and every open one
/// exactly as often as its checks say: no order is asked about by both at once, no answer is
/// applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_reconcilers_ask_about_each_order_once_at_a_time() {
    let sandbox = sandbox().await;
    let database = fresh_postgres().await;
    let policy = ReconcilePolicy::default()
        .with_first_check(Duration::from_secs(1))
        .with_interval(Duration::from_millis(400));
    let settings = ReconcilerSettings::default()
        .with_period(Duration::from_millis(50))
        .with_lease(Duration::from_secs(30));
    // The orders are made before the reconcilers start, then both start at once.
    let maker = instance(&database, &sandbox, quiet_policy(), settings).await;
    let buyer = Buyer::new();
    let mut paid = Vec::new();
    let mut open = Vec::new();
    for i in 0..30 {
        let (id, page) = checkout(&buyer, &maker.url).await;
        if i % 3 == 0 {
            open.push(id);
        } else {
            pay_and_leave(&buyer, &page).await;
            paid.push(id);
        }
    }
    drop(maker);
    let store = Store::connect(&database).await.unwrap();
    // The maker's policy scheduled them 10 minutes ahead: bring them due now.
    sqlx::query("UPDATE pay123_payments SET next_check_at = 0")
        .execute(store.pool())
        .await
        .unwrap();
    let _a = instance(&database, &sandbox, policy, settings).await;
    let _b = instance(&database, &sandbox, policy, settings).await;

    let deadline = tokio::time::Instant::now() + WAIT;
    for id in &paid {
        loop {
            let order = store.order(id).await.unwrap().unwrap();
            if order.state() == OrderState::Paid {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{order:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Let a few more passes run over the open orders.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut asked_open = 0;
    for id in &paid {
        let t = sandbox.transaction(id).unwrap();
        assert_eq!(
            t.query_calls, 1,
            "{id} was asked about {} times",
            t.query_calls
        );
        assert_eq!(paid_changes(&store, id).await, 1);
        let history = store.history(id).await.unwrap();
        assert_eq!(history.last().unwrap().source, shop::Source::Reconcile);
    }
    for id in &open {
        let order = store.order(id).await.unwrap().unwrap();
        let t = sandbox.transaction(id).unwrap();
        assert_eq!(order.state(), OrderState::Pending);
        assert!(
            order.payment.as_ref().unwrap().check_attempts >= 2,
            "{order:?}"
        );
        // A check in flight has been answered but not yet counted.
        let counted = u64::from(order.payment.as_ref().unwrap().check_attempts);
        assert!(
            t.query_calls == counted || t.query_calls == counted + 1,
            "{id}: asked {} times, {} checks counted",
            t.query_calls,
            counted
        );
        asked_open += t.query_calls;
    }
    eprintln!(
        "two reconcilers: {} paid orders settled with {} queryOrder calls; {} open orders asked \
         about {asked_open} times",
        paid.len(),
        paid.len(),
        open.len()
    );
}

/// 200 paid orders whose notifies are split between two instances; one instance is killed
/// half-way through the burst, and what it did not answer is sent again to the other (as
/// 123PAY retries, and a proxy routes to the instance left). A third of the orders get no
/// notify at all and are left to the reconcilers, the killed one holding leases. Nothing is
/// lost: every order ends paid, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_killed_mid_burst_loses_nothing() {
    raise_open_files();
    let sandbox = sandbox().await;
    let database = fresh_postgres().await;
    let policy = ReconcilePolicy::default()
        .with_first_check(Duration::from_secs(600))
        .with_interval(Duration::from_millis(300));
    let settings = ReconcilerSettings::default()
        .with_period(Duration::from_millis(50))
        .with_lease(Duration::from_secs(2));
    let a = instance(&database, &sandbox, policy, settings).await;
    let mut b = KillableInstance::start(database.clone(), &sandbox, policy, settings);

    let buyer = Buyer::new();
    let mut ids = Vec::new();
    // Checkouts and payments, 20 at a time, half through each instance.
    let mut futures = Vec::new();
    for i in 0..200 {
        let buyer = buyer.clone();
        let url = if i % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        futures.push(async move {
            let (id, page) = checkout(&buyer, &url).await;
            pay_and_leave(&buyer, &page).await;
            id
        });
        if futures.len() == 20 {
            ids.extend(futures_util::future::join_all(futures.drain(..)).await);
        }
    }
    assert_eq!(ids.len(), 200);
    let store = Store::connect(&database).await.unwrap();
    let (notified, silent) = ids.split_at(ids.len() * 2 / 3);
    // The silent orders are due for the reconcilers now.
    for id in silent {
        sqlx::query("UPDATE pay123_payments SET next_check_at = 0 WHERE m_transaction_id = $1")
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
    }

    let key = key(&sandbox);
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(30))
        .build();
    let answered_by_b = Arc::new(AtomicUsize::new(0));
    let queries_before = sandbox.gateway().query_order_calls();
    let sends: Vec<_> = notified
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (http, key, id) = (http.clone(), key.clone(), id.clone());
            let (url_a, url_b) = (a.url.clone(), b.url.clone());
            let answered_by_b = Arc::clone(&answered_by_b);
            tokio::spawn(async move {
                let notify = notify(&id);
                let mut replies = Vec::new();
                if i % 2 == 1 {
                    let reply = send_notify(&http, &url_b, &notify, &key).await;
                    let acknowledged = matches!(&reply, Reply::Code(c) if c == "1" || c == "2");
                    replies.push(reply);
                    if acknowledged {
                        answered_by_b.fetch_add(1, Ordering::SeqCst);
                        return replies;
                    }
                }
                // Sent (again) to the instance left.
                replies.push(send_notify(&http, &url_a, &notify, &key).await);
                replies
            })
        })
        .collect();
    // Kill B once it has answered a few notifies.
    let deadline = tokio::time::Instant::now() + WAIT;
    while answered_by_b.load(Ordering::SeqCst) < 20 {
        assert!(tokio::time::Instant::now() < deadline, "B answers nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.kill();
    let killed_after = answered_by_b.load(Ordering::SeqCst);

    let mut replies: BTreeMap<Reply, usize> = BTreeMap::new();
    for send in sends {
        for reply in send.await.unwrap() {
            *replies.entry(reply).or_default() += 1;
        }
    }
    // Every order ends paid, once: the notified ones by their notifies, the silent ones by the
    // reconciler left (after the killed one's leases ran out).
    let deadline = tokio::time::Instant::now() + WAIT;
    for id in &ids {
        loop {
            let order = store.order(id).await.unwrap().unwrap();
            if order.state() == OrderState::Paid {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{order:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(paid_changes(&store, id).await, 1, "{id}");
    }
    let queries = sandbox.gateway().query_order_calls() - queries_before;
    let notifies: usize = replies.values().sum();
    eprintln!(
        "one instance killed after answering {killed_after} notifies: {} orders notified with \
         {notifies} notifies sent; replies {replies:?}; {} orders left to the reconcilers; \
         changes to paid: {} (one per order); queryOrder calls: {queries}",
        notified.len(),
        silent.len(),
        ids.len()
    );
    for reply in replies.keys() {
        assert!(
            matches!(reply, Reply::Code(c) if c == "1" || c == "2") || *reply == Reply::NoAnswer,
            "a reply is an acknowledgement, or none (the instance was killed): {replies:?}"
        );
    }
}
