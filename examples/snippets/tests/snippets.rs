//! The README's and the guide's code blocks are the programs of `src/bin/`, and each program
//! runs: against a sandbox on loopback, over real HTTP.

use std::io::{BufRead, BufReader};
use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pay123_core::TransactionStatus;
use pay123_core::payments::PaymentStore;
use pay123_sandbox::{AttemptOutcome, Config};

/// The documents whose rust blocks are programs of `src/bin/`: the README, the guide, and the
/// README of each package (what crates.io shows).
const DOCUMENTS: [&str; 9] = [
    "README.md",
    "docs/guide.md",
    "crates/pay123-core/README.md",
    "crates/pay123-hyper/README.md",
    "crates/pay123-sqlx/README.md",
    "crates/pay123-axum/README.md",
    "crates/pay123-actix/README.md",
    "crates/pay123-rocket/README.md",
    "crates/pay123-sandbox/README.md",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the workspace")
}

/// Every ```rust block of the documents, with the file its marker names.
fn blocks() -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for document in DOCUMENTS {
        let text = std::fs::read_to_string(root().join(document)).expect("the document");
        let mut marker: Option<String> = None;
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(path) = line
                .trim()
                .strip_prefix("<!-- snippet: ")
                .and_then(|rest| rest.strip_suffix(" -->"))
            {
                marker = Some(path.to_owned());
            } else if line.trim_start().starts_with("```rust") {
                let block: Vec<&str> = lines
                    .by_ref()
                    .take_while(|l| !l.starts_with("```"))
                    .collect();
                let path = marker
                    .take()
                    .unwrap_or_else(|| panic!("{document}: a rust block without a snippet marker"));
                found.push((document.to_owned(), path, block.join("\n")));
            }
        }
    }
    found
}

/// Rewrites each marked block of the documents with its file (`UPDATE_SNIPPETS=1 cargo test -p
/// snippets`), after a change to a program or `cargo fmt`.
fn update_documents() {
    for document in DOCUMENTS {
        let path = root().join(document);
        let text = std::fs::read_to_string(&path).expect("the document");
        let mut out = Vec::new();
        let mut lines = text.lines();
        let mut marker: Option<String> = None;
        while let Some(line) = lines.next() {
            out.push(line.to_owned());
            if let Some(file) = line
                .trim()
                .strip_prefix("<!-- snippet: ")
                .and_then(|rest| rest.strip_suffix(" -->"))
            {
                marker = Some(file.to_owned());
            } else if line.trim_start().starts_with("```rust")
                && let Some(file) = marker.take()
            {
                lines
                    .by_ref()
                    .take_while(|l| !l.starts_with("```"))
                    .for_each(drop);
                let program = std::fs::read_to_string(root().join(file)).expect("the program");
                out.extend(program.trim().lines().map(str::to_owned));
                out.push("```".to_owned());
            }
        }
        std::fs::write(&path, out.join("\n") + "\n").expect("the document is written");
    }
}

#[test]
fn each_code_block_is_a_program_that_is_compiled_here() {
    if std::env::var_os("UPDATE_SNIPPETS").is_some() {
        update_documents();
    }
    let blocks = blocks();
    assert!(blocks.len() >= 4, "{blocks:?}");
    for (document, path, block) in blocks {
        let file = std::fs::read_to_string(root().join(&path))
            .unwrap_or_else(|e| panic!("{document}: {path}: {e}"));
        assert_eq!(
            block.trim(),
            file.trim(),
            "{document}: the block marked {path} differs from the file \
             (UPDATE_SNIPPETS=1 cargo test -p snippets rewrites it)"
        );
    }
}

/// A program of `src/bin/`, killed when dropped, and what it has printed so far.
struct Running(Child, Arc<Mutex<String>>);

impl Running {
    /// Its standard output so far.
    fn stdout(&self) -> String {
        self.1.lock().unwrap().clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> String {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Starts a program with these variables and waits until `addr` accepts connections.
fn start(program: &str, vars: &[(&str, String)], addr: &str) -> Running {
    let mut command = Command::new(program);
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the program starts");
    let printed = Arc::new(Mutex::new(String::new()));
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let sink = Arc::clone(&printed);
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let mut printed = sink.lock().unwrap();
            printed.push_str(&line);
            printed.push('\n');
        }
    });
    let running = Running(child, printed);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "{program} never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

async fn sandbox(tweak: impl FnOnce(&mut Config)) -> pay123_sandbox::Sandbox {
    let mut config = Config::default();
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    pay123_sandbox::start(listener, config).await.unwrap()
}

/// A complete integration (checkout, the confirmed notify, the return page, the reconciler)
/// takes a payment against the sandbox: 303 to 123PAY's page; a paid notify confirmed with
/// queryOrder before it is answered `1`; the return page says paid; a duplicate is `2`; a
/// payment whose notify is lost is paid by the reconciler.
async fn takes_payments_end_to_end(program: &str) {
    let addr = free_addr();
    let sandbox = sandbox(|c| {
        *c = c
            .clone()
            .with_notify_url(format!("http://{addr}/123pay/notify"));
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let (host, port) = addr.rsplit_once(':').unwrap();
    let vars = [
        ("SHOP_ADDR", addr.clone()),
        ("ROCKET_ADDRESS", host.to_owned()),
        ("ROCKET_PORT", port.to_owned()),
        (
            "PAY123_API_URL",
            format!("{}/miservice", sandbox.base_url()),
        ),
        // The sandbox's merchant, named: only 123PAY's public sandbox goes without.
        ("PAY123_MERCHANT_CODE", "MICODE".to_owned()),
        ("PAY123_PASSCODE", "MIPASSCODE".to_owned()),
        ("PAY123_SECRET_KEY", "MIKEY".to_owned()),
        ("DATABASE_URL", database.clone()),
    ];
    let app = start(program, &vars, &addr);
    let http = pay123_hyper::HyperClient::new();
    let checkout = || {
        http::Request::post(format!("http://{addr}/checkout"))
            .body(bytes::Bytes::new())
            .unwrap()
    };
    let answer = http.send(checkout()).await.unwrap();
    assert_eq!(answer.status(), 303, "{answer:?}");
    let location = answer.headers()["location"].to_str().unwrap();
    let t = &sandbox.transactions()[0];
    assert_eq!(location, t.payment_url);
    assert_eq!(t.total_amount, 150_000);
    let id = t.m_transaction_id.clone();

    sandbox
        .force_status(&id, TransactionStatus::Success)
        .unwrap();
    let t = sandbox
        .wait_for(&id, Duration::from_secs(15), |t| {
            !t.notify_in_progress && !t.notify_attempts.is_empty()
        })
        .await
        .expect("the notify was delivered");
    let first = &t.notify_attempts[0];
    assert_eq!(first.outcome, AttemptOutcome::Acknowledged, "{first:?}");
    assert_eq!(first.return_code.as_ref().map(|c| c.code()), Some("1"));
    assert!(first.verified, "{first:?}");
    assert!(
        t.query_calls >= 1,
        "confirmed with queryOrder before it was answered: {t:?}"
    );
    let back = http::Request::get(format!("http://{addr}/return?transactionID={id}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let page = http.send(back).await.unwrap();
    let text = String::from_utf8_lossy(page.body()).into_owned();
    assert!(text.starts_with("Thanh toán thành công."), "{text}");
    assert!(text.contains("Payment successful."), "{text}");
    // The app's `on_paid` handler was given the payment, once.
    let paid = |id: &str| {
        let line = format!("paid: {id}");
        app.stdout().lines().filter(|l| *l == line).count()
    };
    assert_eq!(paid(&id), 1, "{}", app.stdout());
    // The same notify again is a duplicate: answered 2.
    sandbox.resend_notify(&id).unwrap();
    let t = sandbox
        .wait_for(&id, Duration::from_secs(15), |t| {
            t.notify_attempts.len() == 2 && !t.notify_in_progress
        })
        .await
        .unwrap();
    assert_eq!(
        t.notify_attempts[1].return_code.as_ref().map(|c| c.code()),
        Some("2")
    );

    // A paid payment whose notify is lost, and whose buyer never comes back: the reconciler
    // finds it (first asked 30 s after checkout, then every few seconds).
    let answer = http.send(checkout()).await.unwrap();
    assert_eq!(answer.status(), 303, "{answer:?}");
    let lost = sandbox
        .transactions()
        .into_iter()
        .find(|t| t.m_transaction_id != id)
        .unwrap()
        .m_transaction_id;
    sandbox.drop_next_notify();
    sandbox
        .force_status(&lost, TransactionStatus::Success)
        .unwrap();
    let store = pay123_sqlx::SqlStore::connect(&database).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let payment = store.load(&lost).await.unwrap().unwrap();
        if payment.is_paid() && payment.next_check_at.is_none() {
            assert_eq!(payment.source, pay123_core::payments::Source::Reconcile);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reconciler never paid {lost}: {payment:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Handed over too, and the first payment not again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while paid(&lost) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((paid(&lost), paid(&id)), (1, 1), "{}", app.stdout());
    sandbox.shutdown().await;
}

/// A deployment that forgot its gateway does not start (and never takes sandbox payments for
/// real ones).
fn refuses_to_start_without_its_gateway(program: &str) {
    let output = Command::new(program)
        .env_remove("PAY123_API_URL")
        .env("SHOP_ADDR", free_addr())
        .env("ROCKET_PORT", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PAY123_API_URL is not set"), "{stderr}");
}

#[test]
fn the_integrations_refuse_to_start_without_their_gateway() {
    refuses_to_start_without_its_gateway(env!("CARGO_BIN_EXE_axum-payments"));
    refuses_to_start_without_its_gateway(env!("CARGO_BIN_EXE_actix-payments"));
    refuses_to_start_without_its_gateway(env!("CARGO_BIN_EXE_rocket-payments"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_integration_takes_payments_end_to_end() {
    takes_payments_end_to_end(env!("CARGO_BIN_EXE_axum-payments")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_integration_takes_payments_end_to_end() {
    takes_payments_end_to_end(env!("CARGO_BIN_EXE_actix-payments")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rocket_integration_takes_payments_end_to_end() {
    takes_payments_end_to_end(env!("CARGO_BIN_EXE_rocket-payments")).await;
}

#[test]
fn core_sign_prints_the_signed_string_and_the_reply() {
    let output = Command::new(env!("CARGO_BIN_EXE_core-sign"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("POST https://sandbox.123pay.vn/miservice/createOrder1"),
        "{text}"
    );
    assert!(
        text.contains("signed: ORDER-1001|MICODE|123PVCB|150000|203.113.1.10|Nguyen Van Anh|"),
        "{text}"
    );
    assert!(text.contains("<passcode, 10 chars>|<secretKey>"), "{text}");
    assert!(text.contains("notify: V20170711001 successful"), "{text}");
    assert!(
        text.contains(r#"reply: 200 {"mTransactionID":"V20170711001","returnCode":"1""#),
        "{text}"
    );
    assert!(
        !text.contains("MIKEY") && !text.contains("MIPASSCODE"),
        "{text}"
    );
}

#[test]
fn the_sandbox_checkout_pays_at_the_local_123pay_and_the_reconciler_confirms_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_sandbox-checkout"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    // The sandbox's own bank page, on the port it was given; then the payment, paid at the
    // sandbox and found by the reconciler, stored paid.
    assert!(
        text.contains("the buyer pays at http://127.0.0.1:") && text.contains("/banksim/"),
        "{text}"
    );
    assert!(text.contains("Payment successful."), "{text}");
}

/// A gateway that accepts connections and never answers.
fn silent_gateway() -> (std::net::TcpListener, String) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/miservice", listener.local_addr().unwrap());
    (listener, base)
}

/// Runs a program of `src/bin/` with `PAY123_API_URL=base`; it must succeed. Its stdout.
async fn run(program: &'static str, base: String) -> String {
    let output = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .env("PAY123_API_URL", base)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_program_runs_and_knows_a_timeout() {
    let program = env!("CARGO_BIN_EXE_blocking");
    let sandbox = sandbox(|_| {}).await;
    let text = run(program, format!("{}/miservice", sandbox.base_url())).await;
    let transactions = sandbox.transactions();
    assert_eq!(transactions.len(), 1);
    let t = &transactions[0];
    assert!(
        text.contains(&format!(
            "created {}: send the buyer to {}",
            t.m_transaction_id, t.payment_url
        )),
        "{text}"
    );
    assert!(text.contains("status 0: new"), "{text}");
    sandbox.shutdown().await;
    // A gateway that never answers: given up after the call's deadline, as a timeout.
    let (_silent, base) = silent_gateway();
    let started = Instant::now();
    let text = run(program, base).await;
    assert!(text.contains("(timeout: true, not sent: false)"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // Nobody listening: the request never left.
    let text = run(program, format!("http://{}/miservice", free_addr())).await;
    assert!(text.contains("(timeout: false, not sent: true)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reqwest_transport_runs_and_says_why_it_fails() {
    let program = env!("CARGO_BIN_EXE_reqwest-transport");
    let sandbox = sandbox(|_| {}).await;
    let text = run(program, format!("{}/miservice", sandbox.base_url())).await;
    assert_eq!(text.trim(), "status -10", "{text}");
    sandbox.shutdown().await;
    let text = run(program, format!("http://{}/miservice", free_addr())).await;
    assert!(
        text.starts_with(
            "failed: the call to 123PAY failed in transport: the request was not sent: "
        ),
        "{text}"
    );
    assert!(
        text.contains("(timeout: false, not sent: true, retry may help: true)"),
        "{text}"
    );
    let (_silent, base) = silent_gateway();
    let text = run(program, base).await;
    assert!(
        text.contains("(timeout: true, not sent: false, retry may help: true)"),
        "{text}"
    );
}
