//! The README's and the guide's code blocks are the programs of `src/bin/`, and each program
//! runs: against a sandbox on loopback, over real HTTP.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pay123_core::{BankCode, CreateOrder, Credentials, TransactionStatus};
use pay123_sandbox::{AttemptOutcome, Config};

const DOCUMENTS: [&str; 2] = ["README.md", "docs/guide.md"];

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

/// A program of `src/bin/`, killed when dropped.
struct Running(Child);

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
    command.stdout(Stdio::null()).stderr(Stdio::inherit());
    for (name, value) in vars {
        command.env(name, value);
    }
    let running = Running(command.spawn().expect("the program starts"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_notify_serves_a_notify_that_the_sandbox_acknowledges() {
    serves_notifies_the_sandbox_acknowledges(env!("CARGO_BIN_EXE_axum-notify")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_notify_serves_a_notify_that_the_sandbox_acknowledges() {
    serves_notifies_the_sandbox_acknowledges(env!("CARGO_BIN_EXE_actix-notify")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rocket_notify_serves_a_notify_that_the_sandbox_acknowledges() {
    serves_notifies_the_sandbox_acknowledges(env!("CARGO_BIN_EXE_rocket-notify")).await;
}

async fn serves_notifies_the_sandbox_acknowledges(program: &str) {
    let addr = free_addr();
    let sandbox = sandbox(|c| {
        *c = c
            .clone()
            .with_notify_url(format!("http://{addr}/123pay/notify"));
    })
    .await;
    let _app = start(program, &[("SHOP_ADDR", addr.clone())], &addr);
    let client = pay123_hyper::client(Credentials::sandbox(), sandbox.endpoints());
    for id in ["README-1", "README-2"] {
        let order = CreateOrder::builder(id, 100_000, "https://shop.vn/return")
            .bank_code(BankCode::Vietcombank)
            .build()
            .unwrap();
        client.create_order(&order).await.unwrap();
        sandbox
            .force_status(id, TransactionStatus::Success)
            .unwrap();
        let t = sandbox
            .wait_for(id, Duration::from_secs(15), |t| {
                !t.notify_in_progress && !t.notify_attempts.is_empty()
            })
            .await
            .expect("the notify was delivered");
        let first = &t.notify_attempts[0];
        assert_eq!(first.outcome, AttemptOutcome::Acknowledged, "{first:?}");
        assert!(first.verified, "{first:?}");
    }
    // The same notify again is a duplicate: answered 2.
    sandbox.resend_notify("README-1").unwrap();
    let t = sandbox
        .wait_for("README-1", Duration::from_secs(15), |t| {
            t.notify_attempts.len() == 2 && !t.notify_in_progress
        })
        .await
        .unwrap();
    assert_eq!(
        t.notify_attempts[1].return_code.as_ref().map(|c| c.code()),
        Some("2")
    );
    sandbox.shutdown().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_program_runs_against_the_sandbox() {
    let sandbox = sandbox(|_| {}).await;
    let base = format!("{}/miservice", sandbox.base_url());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_blocking"))
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_checkout_sends_the_buyer_to_123pay_and_answers_errors() {
    let sandbox = sandbox(|_| {}).await;
    let addr = free_addr();
    let vars = [
        ("SHOP_ADDR", addr.clone()),
        (
            "PAY123_API_URL",
            format!("{}/miservice", sandbox.base_url()),
        ),
    ];
    let _app = start(env!("CARGO_BIN_EXE_axum-checkout"), &vars, &addr);
    let http = pay123_hyper::HyperClient::new();
    let post = |body: &'static str| {
        http::Request::post(format!("http://{addr}/checkout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from_static(body.as_bytes()))
            .unwrap()
    };
    let answer = http
        .send(post("product=%C3%81o+d%C3%A0i+l%E1%BB%A5a"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "{answer:?}");
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&sandbox.base_url()), "{location}");
    let t = &sandbox.transactions()[0];
    assert_eq!(t.description, "Ao dai lua");
    assert_eq!(t.requested_bank, BankCode::Pay123);
    sandbox.shutdown().await;

    // With the gateway down, `?` answers 503 with the reason in Vietnamese and English.
    let answer = http.send(post("product=x")).await.unwrap();
    assert_eq!(answer.status(), 503, "{answer:?}");
    let text = String::from_utf8_lossy(answer.body()).into_owned();
    assert!(
        text.starts_with("Không kết nối được với 123PAY\n"),
        "{text}"
    );
    assert_eq!(
        text, "Không kết nối được với 123PAY\n123PAY could not be reached\n",
        "the buyer learns nothing of the shop's network"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closure_transport_runs_against_the_sandbox_and_says_why_it_fails() {
    let sandbox = sandbox(|_| {}).await;
    let base = format!("{}/miservice", sandbox.base_url());
    let run = |base: String| {
        tokio::task::spawn_blocking(move || {
            let output = Command::new(env!("CARGO_BIN_EXE_closure-transport"))
                .env("PAY123_API_URL", base)
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            String::from_utf8(output.stdout).unwrap()
        })
    };
    let text = run(base.clone()).await.unwrap();
    assert_eq!(text.trim(), "status -10", "{text}");
    sandbox.shutdown().await;
    let text = run(base).await.unwrap();
    assert!(
        text.starts_with(
            "failed: the call to 123PAY failed in transport: the request was not sent: "
        ),
        "{text}"
    );
    assert!(text.contains("(retry may help: true)"), "{text}");
}
