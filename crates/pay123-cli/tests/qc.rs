//! `pay123 qc` as a merchant runs it: its help, and a shop that answers nothing 123PAY can read.

mod common;

use axum::Router;
use common::pay123;
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_says_how_to_run_it() {
    let run = pay123(&["qc", "--help"], &[], None).await;
    run.exits(0);
    for needed in [
        "--notify-url",
        "--order-url",
        "PAY123_API_URL=http://127.0.0.1:3123/miservice",
        "MICODE",
        "NS01 and ES01-ES17",
        "qc-report.md",
        "s to skip",
        "--browser",
        "Exit code 0 when no case and no configuration check failed",
        "FAILED-NEVER-PAID",
    ] {
        assert!(
            run.stdout.contains(needed),
            "{needed} not in:\n{}",
            run.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_url_without_its_id_is_refused() {
    let run = pay123(
        &[
            "qc",
            "--notify-url",
            "http://127.0.0.1:9/123pay/notify",
            "--order-url",
            "http://127.0.0.1:9/orders",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
        None,
    )
    .await;
    run.exits(2);
    assert!(
        run.stderr.contains("--order-url must contain {id}"),
        "{}",
        run.stderr
    );
}

/// A shop that answers an HTML page to everything, and one that is not there: failed rows with
/// the reason, the report written, exit 1, never a crash. Without a tester (stdin closed) every
/// guided case is not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_that_answers_html_or_nothing_fails_with_the_reason() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let shop = format!("http://{}", listener.local_addr().expect("an address"));
    let app = Router::new().fallback(|| async {
        axum::response::Html("<html><body>Welcome to our shop</body></html>")
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("an address"))
    };
    let dir = tempfile::tempdir().expect("a directory");
    for (url, reason) in [
        (shop.as_str(), "a reply 123PAY does not accept"),
        (closed.as_str(), "did not answer"),
    ] {
        let report = dir.path().join("report");
        let run = pay123(
            &[
                "qc",
                "--notify-url",
                &format!("{url}/123pay/notify"),
                "--order-url",
                &format!("{url}/orders/{{id}}"),
                "--listen",
                "127.0.0.1:0",
                "--step-timeout",
                "1s",
                "--report",
                report.to_str().expect("a path"),
            ],
            &[],
            None,
        )
        .await;
        run.exits(1);
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(report.with_extension("json")).expect("the JSON report"),
        )
        .expect("JSON");
        let reachable = &json["configuration"][0];
        assert_eq!(reachable["verdict"], "fail", "{reachable}");
        assert!(
            reachable["detail"]
                .as_str()
                .is_some_and(|d| d.contains(reason)),
            "{reachable}"
        );
        let cases = json["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), pay123_cli::qc::CASES.len());
        assert_eq!(cases[0]["id"], "NS01");
        assert_eq!(cases[0]["verdict"], "not_run", "{}", cases[0]);
        assert!(
            cases[0]["not_run_reason"]
                .as_str()
                .is_some_and(|r| r.contains("skipped by the tester")),
            "{}",
            cases[0]
        );
        let markdown = std::fs::read_to_string(report.with_extension("md")).expect("the report");
        assert!(markdown.contains("| NS01 |"), "{markdown}");
        assert!(markdown.contains("## Configuration"), "{markdown}");
        assert!(run.stdout.contains("failed"), "{}", run.stdout);
        assert!(!run.all().contains("panicked"), "{}", run.all());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_case_is_refused_with_the_list() {
    let args = [
        "qc",
        "--notify-url",
        "http://127.0.0.1:9/123pay/notify",
        "--case",
        "ES13",
        "--listen",
        "127.0.0.1:0",
    ];
    let run = pay123(&args, &[], None).await;
    run.exits(2);
    assert!(
        run.stderr.contains("--case ES13: no such case"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ES12, ES14"), "{}", run.stderr);
}

/// While the check waits for the tester, its sandbox keeps answering, its log included: a
/// prompt never holds the terminal the log writes to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_answers_while_a_prompt_waits() {
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncReadExt;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pay123"))
        .args([
            "qc",
            "--notify-url",
            "http://127.0.0.1:9/123pay/notify",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Each request the sandbox answers is a log line.
        .env("RUST_LOG", "info")
        .current_dir(tempfile::tempdir().expect("a directory").path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("pay123 runs");
    let _stdin = child
        .stdin
        .take()
        .expect("stdin, held open: the tester is thinking");
    let mut stderr = child.stderr.take().expect("stderr");
    let seen = Arc::new(Mutex::new(String::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            log.lock()
                .expect("lock")
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !seen.lock().expect("lock").contains("Enter when done") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no prompt: {}",
            seen.lock().expect("lock")
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let http = pay123_hyper::HyperClient::new();
    let base = format!("http://127.0.0.1:{port}/_sandbox");
    for round in 0..3 {
        // Refused (not JSON): the sandbox logs a warning.
        let refused = http::Request::post(format!("{base}/reset"))
            .header("content-type", "text/plain")
            .body(bytes::Bytes::new())
            .expect("a request");
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), http.send(refused))
            .await
            .unwrap_or_else(|_| panic!("round {round}: the sandbox stopped answering"))
            .expect("an answer");
        assert_eq!(answer.status(), 415);
        let config = http::Request::get(format!("{base}/"))
            .header("accept", "application/json")
            .body(bytes::Bytes::new())
            .expect("a request");
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), http.send(config))
            .await
            .unwrap_or_else(|_| panic!("round {round}: the sandbox stopped answering"))
            .expect("an answer");
        assert_eq!(answer.status(), 200);
        // Its log line reaches the terminal while the prompt waits.
        let logged = || seen.lock().expect("lock").matches("status=415").count();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while logged() <= round {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: the refusal was not logged: {}",
                seen.lock().expect("lock")
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    child.kill().await.expect("kill");
}
