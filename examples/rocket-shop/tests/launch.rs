//! The rocket shop as a program: launched by rocket (`#[launch]`), serving on `SHOP_ADDR`, and
//! stopped by Ctrl-C (SIGINT) or SIGTERM, as rocket's own apps are.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shop's process, killed if a test leaves it running.
struct Shop(Child);

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(signal: &str) {
    let sandbox = pay123_sandbox::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        pay123_sandbox::Config::default(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut shop = Shop(
        Command::new(env!("CARGO_BIN_EXE_rocket-shop"))
            .env("SHOP_ADDR", addr.to_string())
            .env(
                "PAY123_API_URL",
                format!("{}/miservice", sandbox.base_url()),
            )
            .env("PAY123_MERCHANT_CODE", "MICODE")
            .env("PAY123_PASSCODE", "MIPASSCODE")
            .env("PAY123_SECRET_KEY", "MIKEY")
            .env(
                "SHOP_DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display()),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the shop starts"),
    );
    // Ready once its home page answers 200: a connection accepted while the shop is still
    // starting and closed without an answer is tried again, until the deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut answer = String::new();
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            answer.clear();
            let request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            if stream.write_all(request).await.is_ok() {
                let _ = stream.read_to_string(&mut answer).await;
            }
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(shop.0.try_wait().unwrap().is_none(), "the shop exited");
        assert!(
            Instant::now() < deadline,
            "the shop never answered 200 on {addr}; its last answer: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = shop.0.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = shop.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the shop kept running after {signal}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_it() {
    start("-INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_it() {
    start("-TERM").await;
}
