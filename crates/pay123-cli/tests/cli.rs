//! `pay123` run as a process: against the sandbox, a notify listener, and bad input. Outputs,
//! exit codes (0 ok, 1 refused, 2 bad input, 3 network), and no secret anywhere.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use common::{Run, at, pay123, sandbox, vars};
use pay123_axum::unconfirmed::notify_router;
use pay123_core::{BankCode, Credentials, Notify, NotifyListener, NotifyOutcome};
use pay123_sandbox::Merchant;
use tokio::net::TcpListener;

/// A merchant's notify listener (the axum adapter) for `key`: `1` the first time an order is
/// notified, `2` after; its URL.
async fn listener(credentials: &Credentials) -> String {
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let app: Router = notify_router(
        "/123pay/notify",
        NotifyListener::new(credentials.secret_key().clone()),
        |notify: Notify, seen: Arc<Mutex<HashSet<String>>>| async move {
            if seen
                .lock()
                .unwrap()
                .insert(notify.m_transaction_id().to_owned())
            {
                NotifyOutcome::Updated
            } else {
                NotifyOutcome::AlreadyUpdated
            }
        },
    )
    .with_state(seen);
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/123pay/notify", tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(tcp, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banks_codes_and_completions() {
    let banks = pay123(&["banks"], &[], None).await;
    banks.exits(0);
    assert!(banks.stdout.contains("123PVCB"), "{}", banks.stdout);
    assert!(banks.stdout.contains("Vietcombank"));
    let json = pay123(&["banks", "--json"], &[], None).await.json();
    assert_eq!(json.as_array().unwrap().len(), BankCode::BANKS.len() + 1);

    let codes = pay123(&["codes"], &[], None).await;
    codes.exits(0);
    assert!(
        codes
            .stdout
            .contains("Không đủ tiền trong tài khoản thanh toán")
    );
    assert!(codes.stdout.contains("insufficient funds"));
    let json = pay123(&["codes", "--json"], &[], None).await.json();
    assert_eq!(json["transaction_statuses"].as_array().unwrap().len(), 41);
    let seven = json["transaction_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "7201")
        .unwrap();
    assert_eq!(seven["kind"], "failure");
    assert_eq!(json["notify_return_codes"][0]["code"], "1");

    let completions = pay123(&["completions", "bash"], &[], None).await;
    completions.exits(0);
    assert!(completions.stdout.contains("_pay123()"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_created_and_queried_at_the_sandbox() {
    let sandbox = sandbox(|c| c.banks_under_maintenance = vec![BankCode::Acb]).await;
    let env = at(&sandbox);
    let env = vars(&env);

    let created = pay123(
        &[
            "order", "create", "--amount", "150000", "--id", "CLI-1001", "--bank", "123PVCB",
        ],
        &env,
        None,
    )
    .await;
    created.exits(0);
    let t = sandbox
        .transaction("CLI-1001")
        .expect("created at the sandbox");
    assert!(
        created.stdout.contains(&t.transaction_id),
        "{}",
        created.stdout
    );
    assert!(created.stdout.contains(&t.payment_url));
    assert_eq!(t.total_amount, 150_000);

    let query = pay123(&["order", "query", "CLI-1001", "--json"], &env, None).await;
    query.exits(0);
    let json = query.json();
    assert_eq!(json["transactionStatus"], "0");
    assert_eq!(json["final"], false);
    assert_eq!(json["kind"], "pending");
    assert_eq!(json["totalAmount"], "150000");

    sandbox
        .gateway()
        .force_status(
            "CLI-1001",
            pay123_core::TransactionStatus::from_code("7201"),
        )
        .unwrap();
    let query = pay123(&["order", "query", "CLI-1001"], &env, None).await;
    query.exits(0);
    assert!(
        query
            .stdout
            .contains("7201 (Không đủ tiền trong tài khoản thanh toán, insufficient funds)"),
        "{}",
        query.stdout
    );
    assert!(query.stdout.contains("final                yes") || query.stdout.contains("yes"));

    // A refusal of 123PAY's: exit 1, with its code and meaning.
    let refused = pay123(
        &[
            "order", "create", "--amount", "1000", "--id", "CLI-1002", "--bank", "123PACB",
        ],
        &env,
        None,
    )
    .await;
    refused.exits(1);
    assert!(
        refused.stdout.contains("6203 (Ngân hàng đang bảo trì"),
        "{}",
        refused.stdout
    );
    let duplicate = pay123(
        &[
            "order", "create", "--amount", "150000", "--id", "CLI-1001", "--json",
        ],
        &env,
        None,
    )
    .await;
    duplicate.exits(1);
    assert_eq!(duplicate.json()["returnCode"], "6206");

    // --wait polls until final, with progress on stderr; here the wait runs out first.
    pay123(
        &["order", "create", "--amount", "1000", "--id", "CLI-1003"],
        &env,
        None,
    )
    .await
    .exits(0);
    let waited = pay123(
        &["order", "query", "CLI-1003", "--wait", "1500ms"],
        &env,
        None,
    )
    .await;
    waited.exits(0);
    assert!(
        waited.stderr.contains("not final; asking again"),
        "{}",
        waited.stderr
    );
    assert!(waited.stdout.contains("final                no") || waited.stdout.contains("no"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notify_is_sent_verified_repeated_tampered() {
    let credentials = Credentials::sandbox();
    let url = listener(&credentials).await;

    let sent = pay123(
        &[
            "notify", "send", "--to", &url, "--order", "CLI-2001", "--status", "1", "--repeat", "2",
        ],
        &[],
        None,
    )
    .await;
    sent.exits(0);
    assert!(
        sent.stdout.contains(
            "attempt 1: returnCode 1 (Notify thành công, notify processed), reply signed correctly"
        ),
        "{}",
        sent.stdout
    );
    assert!(
        sent.stdout.contains("attempt 2: returnCode 2"),
        "{}",
        sent.stdout
    );
    assert!(sent.stderr.contains("notify 2/2"), "{}", sent.stderr);

    // A forged checksum and a stale ts: the listener refuses them, as it should (exit 0).
    let tampered = pay123(
        &[
            "notify", "send", "--to", &url, "--order", "CLI-2002", "--status", "1", "--tamper",
            "--json",
        ],
        &[],
        None,
    )
    .await;
    tampered.exits(0);
    let json = tampered.json();
    assert_eq!(json["attempts"][0]["returnCode"], "-1");
    assert_eq!(json["expected"], "refused");
    assert_eq!(json["as_expected"], true);
    let old = pay123(
        &[
            "notify",
            "send",
            "--to",
            &url,
            "--order",
            "CLI-2003",
            "--status",
            "-100",
            "--ts",
            "1499789401525",
        ],
        &[],
        None,
    )
    .await;
    old.exits(0);
    assert!(old.stdout.contains("returnCode -1"), "{}", old.stdout);

    // Signed with another key than the listener's: refused.
    let other_key = pay123(
        &[
            "notify", "send", "--to", &url, "--order", "CLI-2004", "--status", "1",
        ],
        &[("PAY123_SECRET_KEY", "NOT-THE-KEY")],
        None,
    )
    .await;
    other_key.exits(1);

    // Nobody listening: a network failure.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/n", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = pay123(
        &[
            "notify", "send", "--to", &nowhere, "--order", "A", "--status", "1",
        ],
        &[],
        None,
    )
    .await;
    unreachable.exits(3);
    assert!(
        unreachable.stderr.starts_with("pay123: cannot reach"),
        "{}",
        unreachable.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_is_driven_through_its_admin_api() {
    let listener_credentials = Credentials::sandbox();
    let notify_url = listener(&listener_credentials).await;
    let sandbox = sandbox(|c| *c = std::mem::take(c).with_notify_url(notify_url.clone())).await;
    let env = at(&sandbox);
    let env = vars(&env);
    pay123(
        &["order", "create", "--amount", "50000", "--id", "CLI-3001"],
        &env,
        None,
    )
    .await
    .exits(0);

    let set = pay123(&["sandbox", "status", "CLI-3001", "--set", "1"], &env, None).await;
    set.exits(0);
    assert!(
        set.stdout.contains("status               1 (Thành công"),
        "{}",
        set.stdout
    );
    let t = sandbox
        .wait_for("CLI-3001", std::time::Duration::from_secs(10), |t| {
            t.acknowledged_attempts().next().is_some()
        })
        .await
        .expect("the notify reached the listener");
    assert!(t.status.is_success());

    let resend = pay123(&["sandbox", "resend", "CLI-3001"], &env, None).await;
    resend.exits(0);

    // The buyer of another order leaves the bank pages: its session ends now.
    pay123(
        &["order", "create", "--amount", "50000", "--id", "CLI-3009"],
        &env,
        None,
    )
    .await
    .exits(0);
    let left = pay123(&["sandbox", "time-out", "CLI-3009"], &env, None).await;
    left.exits(0);
    assert!(left.stdout.contains("timed out"), "{}", left.stdout);
    let t = sandbox.transaction("CLI-3009").expect("the transaction");
    assert_eq!(t.status.code(), "7210");
    let again = pay123(&["sandbox", "time-out", "CLI-3009"], &env, None).await;
    again.exits(1);
    assert!(
        again.stderr.contains("not on the bank pages"),
        "{}",
        again.stderr
    );
    let list = pay123(&["sandbox", "transactions"], &env, None).await;
    list.exits(0);
    assert!(list.stdout.contains("CLI-3001"), "{}", list.stdout);
    let one = pay123(
        &["sandbox", "transactions", "CLI-3001", "--json"],
        &env,
        None,
    )
    .await;
    assert_eq!(one.exits(0).json()["status"], "1");

    pay123(
        &["sandbox", "fail-query", "5000", "--calls", "1"],
        &env,
        None,
    )
    .await
    .exits(0);
    let busy = pay123(&["order", "query", "CLI-3001"], &env, None).await;
    busy.exits(1);
    assert!(
        busy.stdout.contains("5000 (Hệ thống bận"),
        "{}",
        busy.stdout
    );
    pay123(&["order", "query", "CLI-3001"], &env, None)
        .await
        .exits(0);
    pay123(&["sandbox", "fail-query", "7300"], &env, None)
        .await
        .exits(0);
    pay123(&["sandbox", "clear-query"], &env, None)
        .await
        .exits(0);
    pay123(&["order", "query", "CLI-3001"], &env, None)
        .await
        .exits(0);
    pay123(&["sandbox", "drop-next-notify"], &env, None)
        .await
        .exits(0);
    // createOrder's error table, 6200 included, which no request can provoke.
    pay123(
        &["sandbox", "fail-create", "6200", "--calls", "1"],
        &env,
        None,
    )
    .await
    .exits(0);
    let create = [
        "order", "create", "--amount", "1000", "--id", "CLI-3002", "--bank", "123PACB",
    ];
    let refused = pay123(&create, &env, None).await;
    refused.exits(1);
    assert!(refused.stdout.contains("6200"), "{}", refused.stdout);
    pay123(&create, &env, None).await.exits(0);
    pay123(&["sandbox", "fail-create", "7200"], &env, None)
        .await
        .exits(0);
    pay123(&["sandbox", "clear-create"], &env, None)
        .await
        .exits(0);
    // A code outside the method's table is refused before any call.
    let wrong = pay123(&["sandbox", "fail-query", "6200"], &env, None).await;
    wrong.exits(2);
    assert!(
        wrong.stderr.contains("5000, 6000, 6100, 7300"),
        "{}",
        wrong.stderr
    );

    // The sandbox's refusals: exit 1 with its reason.
    let unknown = pay123(&["sandbox", "status", "NOPE", "--set", "1"], &env, None).await;
    unknown.exits(1);
    assert!(
        unknown.stderr.starts_with("pay123: the sandbox refused:"),
        "{}",
        unknown.stderr
    );
    let pending = pay123(&["sandbox", "status", "CLI-3001", "--set", "0"], &env, None).await;
    pending.exits(1);
    // No sandbox there: a network failure.
    let gone = pay123(
        &["sandbox", "transactions"],
        &[("PAY123_SANDBOX_URL", "http://127.0.0.1:9")],
        None,
    )
    .await;
    gone.exits(3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_are_listed_a_page_at_a_time() {
    let sandbox = sandbox(|_| {}).await;
    let env = at(&sandbox);
    let env = vars(&env);
    for id in ["CLI-6001", "CLI-6002", "CLI-6003"] {
        pay123(
            &["order", "create", "--amount", "20000", "--id", id],
            &env,
            None,
        )
        .await
        .exits(0);
    }
    let ids = |run: &Run| -> Vec<String> {
        run.json()
            .as_array()
            .expect("a list")
            .iter()
            .map(|t| t["mTransactionID"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // A full page says how to go on.
    let first = pay123(
        &["sandbox", "transactions", "--limit", "2", "--json"],
        &env,
        None,
    )
    .await;
    assert_eq!(ids(first.exits(0)), ["CLI-6001", "CLI-6002"]);
    // The note names the last transaction by 123PAY's id, which no two transactions share.
    let second = sandbox.transaction("CLI-6002").unwrap().transaction_id;
    assert!(
        first.stderr.contains(&format!("--after {second}")),
        "{}",
        first.stderr
    );
    let rest = pay123(
        &[
            "sandbox",
            "transactions",
            "--limit",
            "2",
            "--after",
            &second,
            "--json",
        ],
        &env,
        None,
    )
    .await;
    assert_eq!(ids(rest.exits(0)), ["CLI-6003"]);
    assert!(!rest.stderr.contains("--after"), "{}", rest.stderr);
    // An mTransactionID names a transaction as well.
    let by_order = pay123(
        &["sandbox", "transactions", "--after", "CLI-6001", "--json"],
        &env,
        None,
    )
    .await;
    assert_eq!(ids(by_order.exits(0)), ["CLI-6002", "CLI-6003"]);
    // Every page, followed to the end.
    let all = pay123(
        &["sandbox", "transactions", "--all", "--limit", "2", "--json"],
        &env,
        None,
    )
    .await;
    assert_eq!(ids(all.exits(0)), ["CLI-6001", "CLI-6002", "CLI-6003"]);
    let table = pay123(&["sandbox", "transactions", "--all"], &env, None).await;
    for id in ["CLI-6001", "CLI-6002", "CLI-6003"] {
        assert!(table.exits(0).stdout.contains(id), "{}", table.stdout);
    }
    // An id to list after that the sandbox does not know: refused, not an empty page.
    let unknown = pay123(&["sandbox", "transactions", "--after", "NOPE"], &env, None).await;
    unknown.exits(1);
    assert!(
        unknown.stderr.contains("\"NOPE\" to list after"),
        "{}",
        unknown.stderr
    );
    // Out of range, or with an id: refused before anything is asked.
    pay123(&["sandbox", "transactions", "--limit", "0"], &env, None)
        .await
        .exits(2);
    pay123(
        &["sandbox", "transactions", "CLI-6001", "--all"],
        &env,
        None,
    )
    .await
    .exits(2);
}

/// A full page of 1,000 transactions with long descriptions and histories is more than a
/// MiB of JSON: it is listed whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_page_of_long_transactions_is_listed() {
    let sandbox = sandbox(|_| {}).await;
    let client = pay123_core::Client::new(
        pay123_hyper::HyperClient::new(),
        Credentials::sandbox(),
        sandbox.endpoints(),
    );
    let description = "Don hang ".repeat(28);
    for n in 0..1000 {
        let id = format!("LONG-{n:045}");
        let order = pay123_core::CreateOrder::builder(&id, 10_000, "https://shop.example/return")
            .description(&description)
            .client_ip("127.0.0.1")
            .build()
            .unwrap();
        client.create_order(&order).await.unwrap();
        sandbox
            .force_status(&id, pay123_core::TransactionStatus::Success)
            .unwrap();
    }
    let env = at(&sandbox);
    let env = vars(&env);
    let list = pay123(&["sandbox", "transactions", "--json"], &env, None).await;
    let json = list.exits(0).json();
    assert_eq!(json.as_array().map(Vec::len), Some(1000));
    assert!(list.stdout.len() > 1 << 20, "{} bytes", list.stdout.len());
}

/// `--all` against a server that answers the same full page whatever `after` says: one more
/// page asked, then exit 1, not a loop without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_does_not_move_on_is_refused() {
    use axum::routing::get;
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    let app = Router::new().route(
        "/_sandbox/transactions",
        get(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async { r#"[{"mTransactionID":"SAME","123PAYtransactionId":"123P2612010000001"}]"# }
        }),
    );
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(tcp, app).await });
    let run = pay123(
        &["sandbox", "transactions", "--all", "--limit", "1"],
        &[("PAY123_SANDBOX_URL", &url)],
        None,
    )
    .await;
    run.exits(1);
    assert!(run.stderr.contains("the same page again"), "{}", run.stderr);
    assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_names_its_merchant_where_two_use_one_id() {
    let shop = Credentials::new("SHOP2", "PASS2", "KEY2").unwrap();
    let sandbox = sandbox(|c| *c = std::mem::take(c).with_merchant(Merchant::new(shop))).await;
    let env = at(&sandbox);
    let env = vars(&env);
    let create = ["order", "create", "--amount", "50000", "--id", "CLI-5001"];
    pay123(&create, &env, None).await.exits(0);
    let mut shop_env = env.clone();
    shop_env.extend([
        ("PAY123_MERCHANT_CODE", "SHOP2"),
        ("PAY123_PASSCODE", "PASS2"),
        ("PAY123_SECRET_KEY", "KEY2"),
    ]);
    pay123(&create, &shop_env, None).await.exits(0);
    let merchant_of = |code| pay123_sandbox::TransactionRef::of(code, "CLI-5001");
    let status_of = |code| sandbox.transaction(merchant_of(code)).unwrap().status;

    // MICODE's is not the newest: without --merchant, SHOP2's would end.
    let set = [
        "sandbox",
        "status",
        "CLI-5001",
        "--set",
        "7201",
        "--merchant",
        "MICODE",
    ];
    pay123(&set, &env, None).await.exits(0);
    assert_eq!(status_of("MICODE").code(), "7201");
    assert_eq!(status_of("SHOP2").code(), "0");
    let one = pay123(
        &[
            "sandbox",
            "transactions",
            "CLI-5001",
            "--merchant",
            "MICODE",
            "--json",
        ],
        &env,
        None,
    )
    .await;
    one.exits(0);
    assert_eq!(one.json()["merchant_code"], "MICODE");
    let resend = ["sandbox", "resend", "CLI-5001", "--merchant", "MICODE"];
    pay123(&resend, &env, None).await.exits(0);
    let unknown = ["sandbox", "time-out", "CLI-5001", "--merchant", "NOBODY"];
    pay123(&unknown, &env, None).await.exits(1);
    assert_eq!(status_of("SHOP2").code(), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay123_sandbox_runs_a_gateway() {
    // Any free port: the banner says which one it bound.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pay123"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut banner)
        .await
        .unwrap();
    let listen = banner
        .trim()
        .strip_prefix("pay123-sandbox listening on http://")
        .unwrap_or_else(|| panic!("{banner}"))
        .to_owned();
    let port: u16 = listen.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_ne!(port, 0, "{banner}");
    let api = format!("http://{listen}/miservice");
    let created = pay123(
        &[
            "order", "create", "--amount", "99000", "--id", "CLI-4001", "--json",
        ],
        &[("PAY123_API_URL", &api)],
        None,
    )
    .await;
    created.exits(0);
    assert!(
        created.json()["redirectURL"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://{listen}/banksim/"))
    );
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_ever_printed_even_under_trace() {
    const KEY: &str = "K3Y-V3RY-S3CR3T-0042";
    const PASSCODE: &str = "PASSC0DE-S3CR3T-77";
    let credentials = Credentials::new("MYSHOP", PASSCODE, KEY).unwrap();
    let listener_url = listener(&credentials).await;
    let sandbox = sandbox(|c| {
        *c = std::mem::take(c).with_merchant(Merchant::new(credentials.clone()));
    })
    .await;
    let base = at(&sandbox);
    let mut env = vars(&base);
    env.extend([
        ("PAY123_MERCHANT_CODE", "MYSHOP"),
        ("PAY123_PASSCODE", PASSCODE),
        ("PAY123_SECRET_KEY", KEY),
        ("RUST_LOG", "trace"),
    ]);
    let signed_body = pay123(
        &["checksum", "sign", "--message", "create-order-request"],
        &env,
        Some(&format!(
            r#"{{"mTransactionID":"S1","merchantCode":"MYSHOP","totalAmount":"1000","redirectURL":"http://x.vn/r","custGender":"U","passcode":"{PASSCODE}"}}"#
        )),
    )
    .await;
    // The signed body is printed with its passcode masked: put it back to send it.
    let mut body: serde_json::Value = serde_json::from_str(&signed_body.stdout).unwrap();
    assert_eq!(body["passcode"], "<passcode>");
    body["passcode"] = serde_json::Value::String(PASSCODE.to_owned());
    let body = body.to_string();
    let runs = [
        pay123(
            &["order", "create", "--amount", "1000", "--id", "CLI-5001"],
            &env,
            None,
        )
        .await,
        pay123(&["order", "query", "CLI-5001", "--json"], &env, None).await,
        pay123(&["order", "query", "CLI-5001", "--wait", "1s"], &env, None).await,
        pay123(
            &[
                "notify",
                "send",
                "--to",
                &listener_url,
                "--order",
                "CLI-5001",
                "--status",
                "1",
            ],
            &env,
            None,
        )
        .await,
        pay123(
            &[
                "notify",
                "send",
                "--to",
                &listener_url,
                "--order",
                "CLI-5001",
                "--status",
                "1",
                "--tamper",
            ],
            &env,
            None,
        )
        .await,
        pay123(&["checksum", "explain"], &env, Some(&body)).await,
        pay123(&["checksum", "explain", "--json"], &env, Some(&body)).await,
        pay123(
            &["order", "create", "--amount", "1000", "--id", "CLI-5001"],
            &env,
            None,
        )
        .await,
        pay123(&["sandbox", "transactions", "CLI-5001"], &env, None).await,
    ];
    assert_eq!(runs[0].code, 0, "{:?}", runs[0]);
    assert_eq!(runs[3].code, 0, "{:?}", runs[3]);
    assert_eq!(runs[5].code, 0, "{:?}", runs[5]);
    assert!(
        runs[0].stderr.contains("TRACE") || runs[0].stderr.contains("DEBUG"),
        "logging is on: {}",
        runs[0].stderr
    );
    for run in runs.iter().chain([&signed_body]) {
        for secret in [KEY, PASSCODE] {
            assert!(
                !run.all().contains(secret),
                "a secret in the output: {}",
                run.all()
            );
        }
    }
    // The passcode's place is shown masked.
    assert!(
        runs[5].stdout.contains("<passcode, 18 characters>"),
        "{}",
        runs[5].stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_one_clear_line_and_exit_2() {
    let cases: [(&[&str], &str); 8] = [
        (&["order", "create", "--amount", "0"], "totalAmount"),
        (
            &["order", "create", "--amount", "1000", "--bank", "123pxyz"],
            "--bank",
        ),
        (
            &["order", "create", "--amount", "1000", "--id", "Đơn-1"],
            "mTransactionID",
        ),
        (&["order", "query", "ORDER\t1"], "mTransactionID"),
        (
            &[
                "notify",
                "send",
                "--to",
                "not a url",
                "--order",
                "A",
                "--status",
                "1",
            ],
            "--to",
        ),
        (
            &[
                "notify",
                "send",
                "--to",
                "http://127.0.0.1:9/",
                "--order",
                "A",
                "--status",
                "01",
            ],
            "transactionStatus",
        ),
        (&["checksum", "explain"], "empty"),
        (&["checksum", "explain", "/no/such/file"], "cannot read"),
    ];
    for (args, needle) in cases {
        let run = pay123(args, &[], None).await;
        run.exits(2);
        assert!(
            run.stderr.starts_with("pay123: "),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(!run.all().contains("panicked"), "{args:?}");
    }
    let garbage = pay123(&["checksum", "explain"], &[], Some("hello")).await;
    garbage.exits(2);
    assert!(
        garbage.stderr.contains("cannot tell which message"),
        "{}",
        garbage.stderr
    );
    // A gateway other than a sandbox, without credentials and without a terminal to ask on.
    let production = pay123(
        &["order", "query", "CLI-1"],
        &[("PAY123_API_URL", "https://mi.123pay.vn")],
        None,
    )
    .await;
    production.exits(2);
    assert!(
        production
            .stderr
            .contains("PAY123_MERCHANT_CODE is not set"),
        "{}",
        production.stderr
    );
    // clap's own usage errors are exit 2 as well.
    pay123(&["order", "create"], &[], None).await.exits(2);
    pay123(&["frobnicate"], &[], None).await.exits(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksum_explain_answers_6000() {
    // The specification's vectors: four match; the misprinted queryOrder answer is explained.
    let vectors = [
        r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","bankCode":"123PVTB","totalAmount":"100000","clientIP":"127.0.0.1","custName":"","custAddress":"","custGender":"M","custDOB":"","custPhone":"","custMail":"","cancelURL":"https://www.google.com.vn/","redirectURL":"https://www.google.com.vn/","errorURL":"https://www.google.com.vn/","passcode":"MIPASSCODE","checksum":"50a98e764eb6ab1a00d80735fd37dcf582c6b217"}"#,
        r#"["1","123P1707110106638","https://sandbox.123pay.vn/banksim/index.SMARTLINK.123P1707110106638.MICODE.accountNoName.100000.1499789401525.8d538c668ae7c6eac606f28b98aea13d70d14fe0.VjIwMTcwNzExMDAw.123PVTB.html","a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4"]"#,
        r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","clientIP":"127.0.0.1","passcode":"MIPASSCODE","checksum":"a297d98f538840bac33a666d4d54ced219cebca1"}"#,
        "http://shop.vn/return?transactionID=123P1210020000506&time=1349164000&status=1&ticket=0d5b8e8d4aea134c3cd159dd500f3598",
    ];
    for vector in vectors {
        let run = pay123(&["checksum", "explain"], &[], Some(vector)).await;
        run.exits(0);
        assert!(
            run.stdout.contains("the checksum matches"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("MIPASSCODE"), "{}", run.stdout);
    }
    let misprint = r#"["1","123P1707110106640","1","100000","100000","123PVTB","Thanh cong","6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
    let run = pay123(&["checksum", "explain", "--json"], &[], Some(misprint)).await;
    run.exits(1);
    let json = run.json();
    assert_eq!(json["verdict"], "mismatch");
    assert_eq!(json["message"], "queryOrder response");
    assert!(
        json["cause"]
            .as_str()
            .unwrap()
            .contains(r#"transactionStatus "10""#)
    );

    // A mistake: signed with the public sandbox key, checked with the merchant's.
    let run = pay123(
        &["checksum", "explain"],
        &[("PAY123_SECRET_KEY", "PRODUCTION-KEY")],
        Some(vectors[0]),
    )
    .await;
    run.exits(1);
    assert!(
        run.stdout.contains("public sandbox key MIKEY"),
        "{}",
        run.stdout
    );
    // A number sent as a JSON number: the checksum matches, 123PAY refuses it anyway.
    let number = vectors[0].replace(r#""totalAmount":"100000""#, r#""totalAmount":100000"#);
    let run = pay123(&["checksum", "explain"], &[], Some(&number)).await;
    run.exits(0);
    assert!(
        run.stdout.contains("warning: totalAmount is a JSON number"),
        "{}",
        run.stdout
    );
    // Fields in the wrong order.
    let swapped = vectors[2].replace(
        r#""mTransactionID":"V20170711001","merchantCode":"MICODE""#,
        r#""mTransactionID":"MICODE","merchantCode":"V20170711001""#,
    );
    let run = pay123(&["checksum", "explain"], &[], Some(&swapped)).await;
    run.exits(1);
    assert!(
        run.stdout
            .contains("mTransactionID and merchantCode in each other's place"),
        "{}",
        run.stdout
    );

    // sign, then explain: it matches; a notify given as a query string is read too.
    let signed = pay123(
        &["checksum", "sign"],
        &[],
        Some("mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&ts=1499789401525"),
    )
    .await;
    signed.exits(0);
    let url = format!("http://shop.vn/123pay/notify?{}", signed.stdout.trim());
    pay123(&["checksum", "explain"], &[], Some(&url))
        .await
        .exits(0);
    let failure = pay123(
        &["checksum", "explain", "--message", "create-order-response"],
        &[],
        Some(r#"["6000","Xac thuc doi tac that bai"]"#),
    )
    .await;
    failure.exits(2);
    assert!(
        failure.stderr.contains("carries no checksum"),
        "{}",
        failure.stderr
    );
}

/// On a terminal, a missing secret is asked for without echo (`script` gives the process a
/// terminal; bsdutils, in every Debian).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_is_asked_for_without_echo() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","clientIP":"127.0.0.1","passcode":"MIPASSCODE","checksum":"a297d98f538840bac33a666d4d54ced219cebca1"}"#,
    )
    .unwrap();
    let command = format!(
        "{} checksum explain {}",
        env!("CARGO_BIN_EXE_pay123"),
        file.path().display()
    );
    let mut child = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PAY123_API_URL", "https://mi.123pay.vn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("script runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    // The prompt first; the key is typed once echo is off.
    while !String::from_utf8_lossy(&seen).contains("PAY123_SECRET_KEY: ") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stdout.read(&mut buf))
            .await
            .expect("a prompt within 10 s")
            .unwrap();
        assert!(n > 0, "no prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let mut stdin = child.stdin.take().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stdin.write_all(b"MIKEY\n").await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stdout.read_to_end(&mut rest),
    )
    .await
    .expect("pay123 ends")
    .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&seen),
        String::from_utf8_lossy(&rest)
    );
    assert!(
        all.contains("the checksum matches"),
        "the key typed is used: {all}"
    );
    assert!(!all.contains("MIKEY"), "the key typed is not echoed: {all}");
}

/// A listener that answers every notify with a correctly signed `1`, whatever it is.
async fn accepting_listener() -> String {
    use axum::routing::post;
    let app = Router::new().route(
        "/123pay/notify",
        post(|body: bytes::Bytes| async move {
            let id = form_urlencoded::parse(&body)
                .find(|(k, _)| k == "mTransactionID")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                .to_string();
            let checksum = pay123_core::checksum::compute(
                pay123_core::checksum::Message::NotifyReply,
                &[&id, "1", &ts],
                Credentials::sandbox().secret_key(),
            )
            .unwrap();
            format!(r#"{{"mTransactionID":"{id}","returnCode":"1","ts":"{ts}","checksum":"{checksum}"}}"#)
        }),
    );
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/123pay/notify", tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(tcp, app).await });
    url
}

/// A listener that takes a forged or stale notify fails the test loudly (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_accepts_a_forged_notify_fails() {
    let url = accepting_listener().await;
    let forged = pay123(
        &[
            "notify", "send", "--to", &url, "--order", "F1", "--status", "1", "--tamper",
        ],
        &[],
        None,
    )
    .await;
    forged.exits(1);
    assert!(
        forged
            .stdout
            .contains("accepted a notify with a forged checksum"),
        "{}",
        forged.stdout
    );
    let stale = pay123(
        &[
            "notify",
            "send",
            "--to",
            &url,
            "--order",
            "F2",
            "--status",
            "1",
            "--ts",
            "1499789401525",
        ],
        &[],
        None,
    )
    .await;
    stale.exits(1);
    assert!(
        stale.stdout.contains("outside its 5-minute ts window"),
        "{}",
        stale.stdout
    );
}

/// What a listener or a gateway sends back never drives the user's terminal: its control
/// characters are printed escaped (seen on a terminal, which `script` gives).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_from_the_other_side_are_shown_escaped() {
    use axum::routing::post;
    let app = Router::new().route(
        "/n",
        post(|| async {
            (
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "\x1b]0;evil title\x07\x1b[2Jgone\rattempt 1: returnCode 1",
            )
        }),
    );
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/n", tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(tcp, app).await });
    let command = format!(
        "{} notify send --to {url} --order E1 --status 1",
        env!("CARGO_BIN_EXE_pay123")
    );
    let output = tokio::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .await
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(!shown.contains("\x1b]0;"), "{shown:?}");
    assert!(!shown.contains("\x1b[2J"), "{shown:?}");
    assert!(!shown.contains("gone\rattempt"), "{shown:?}");
    assert!(shown.contains("\\u{1b}[2J"), "shown escaped: {shown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_bad_input_and_json_errors() {
    pay123(&["sandbox", "fail-query", "abc"], &[], None)
        .await
        .exits(2);
    pay123(&["sandbox", "--busy-rate", "NaN"], &[], None)
        .await
        .exits(2);
    let huge = "x".repeat(2 * 1024 * 1024);
    let run = pay123(&["checksum", "explain"], &[], Some(&huge)).await;
    run.exits(2);
    assert!(run.stderr.contains("over 1 MiB"), "{}", run.stderr);
    let run = pay123(&["order", "create", "--amount", "0", "--json"], &[], None).await;
    run.exits(2);
    assert_eq!(run.json()["exit"], 2);
    assert!(
        run.json()["error"]
            .as_str()
            .unwrap()
            .contains("totalAmount")
    );
    // The configured credentials are compared with a request's, without showing them.
    let body = r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","clientIP":"127.0.0.1","passcode":"MIPASSCODE","checksum":"a297d98f538840bac33a666d4d54ced219cebca1"}"#;
    let run = pay123(
        &["checksum", "explain"],
        &[
            ("PAY123_PASSCODE", "0THER-PASS"),
            ("PAY123_SECRET_KEY", "MIKEY"),
        ],
        Some(body),
    )
    .await;
    run.exits(0);
    assert!(
        run.stdout.contains("passcode is not PAY123_PASSCODE"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains("0THER-PASS"));
}

/// A sandbox started with an admin token answers the commands that send it
/// (`PAY123_SANDBOX_ADMIN_TOKEN`), and refuses the others with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_is_sent_when_set() {
    let sandbox = sandbox(|c| c.admin_token = pay123_sandbox::AdminToken::new("T0KEN-42")).await;
    let mut env = at(&sandbox);
    let refused = pay123(&["sandbox", "transactions"], &vars(&env), None).await;
    refused.exits(1);
    assert!(refused.stderr.contains("admin token"), "{}", refused.stderr);
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    env.push(("PAY123_SANDBOX_ADMIN_TOKEN", "T0KEN-42".to_owned()));
    let listed = pay123(&["sandbox", "transactions"], &vars(&env), None).await;
    listed.exits(0);
    assert!(!listed.all().contains("T0KEN-42"), "{}", listed.all());
}

/// The CLI holds 123PAY's URL to `Config`'s rule: plain http only to this machine or to the host
/// `PAY123_INSECURE_HTTP_HOST` names, never to 123PAY's own hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_123pay_is_refused() {
    let run = pay123(
        &["order", "query", "ORDER-1"],
        &[
            ("PAY123_API_URL", "http://mi.123pay.vn"),
            ("PAY123_INSECURE_HTTP_HOST", "mi.123pay.vn"),
        ],
        None,
    )
    .await;
    run.exits(2);
    assert!(
        run.stderr.contains("plain http to mi.123pay.vn"),
        "{}",
        run.stderr
    );
    let run = pay123(
        &["order", "query", "ORDER-1"],
        &[("PAY123_API_URL", "http://192.0.2.7:3123/miservice")],
        None,
    )
    .await;
    run.exits(2);
    assert!(
        run.stderr.contains("PAY123_INSECURE_HTTP_HOST"),
        "{}",
        run.stderr
    );
}
