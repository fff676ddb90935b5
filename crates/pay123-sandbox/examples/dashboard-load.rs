//! The dashboard's list beside the admin API's listing, with many transactions stored: a
//! sandbox in this process, filled through createOrder over loopback, then each page asked for
//! in turn. Prints the median and p99 of each, in milliseconds, and the ratio of each median to
//! the admin listing's page of 50 measured in the same run (see `docs/benchmarks.md`).
//!
//! ```text
//! cargo run --release -p pay123-sandbox --example dashboard-load [TRANSACTIONS] [ROUNDS]
//! ```
//!
//! 100,000 transactions and 200 rounds by default.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, header};
use pay123_core::{Client, CreateOrder, Credentials};
use pay123_hyper::HyperClient;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let transactions: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox = pay123_sandbox::start(listener, pay123_sandbox::Config::default()).await?;
    let http = HyperClient::builder().build();
    let client = Client::new(http.clone(), Credentials::sandbox(), sandbox.endpoints());

    let started = Instant::now();
    let workers = 32;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..workers {
        let client = client.clone();
        tasks.spawn(async move {
            for i in (worker..transactions).step_by(workers) {
                let order =
                    CreateOrder::builder(format!("LOAD-{i}"), 100_000, "http://127.0.0.1/r")
                        .build()
                        .expect("a valid order");
                client.create_order(&order).await.expect("createOrder");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done?;
    }
    // A few cancelled ones for the status filter to find among all the others.
    for i in (0..transactions).step_by(10_000) {
        sandbox.force_status(
            &format!("LOAD-{i}"),
            pay123_core::TransactionStatus::Cancelled,
        )?;
    }
    println!(
        "{} transactions created in {:.1} s",
        sandbox.transaction_count(),
        started.elapsed().as_secs_f64()
    );

    // The same lists in process, without HTTP or rendering.
    for (name, filter) in [
        (
            "status -100",
            pay123_sandbox::TransactionFilter::all().status("-100"),
        ),
        (
            "order contains 999",
            pay123_sandbox::TransactionFilter::all().order("999"),
        ),
    ] {
        let started = Instant::now();
        for _ in 0..20 {
            sandbox.newest(&filter, None, 50)?;
        }
        println!(
            "in process, {name}: {:.2} ms",
            started.elapsed().as_secs_f64() * 50.0
        );
    }
    let base = sandbox.base_url();
    let pages = [
        (
            "admin listing, 50 (JSON, baseline)",
            "/_sandbox/transactions?limit=50",
            false,
        ),
        (
            "admin listing, 1,000 (JSON)",
            "/_sandbox/transactions?limit=1000",
            false,
        ),
        ("dashboard list, newest 50 (HTML)", "/_sandbox/", true),
        (
            "dashboard list, status -100 (HTML, scans all)",
            "/_sandbox/?status=-100",
            true,
        ),
        (
            "dashboard list, order contains \"999\" (HTML, scans all)",
            "/_sandbox/?order=999",
            true,
        ),
        (
            "dashboard transaction page (HTML)",
            "/_sandbox/transactions/LOAD-0",
            true,
        ),
    ];
    let mut baseline = None;
    println!("| page | median ms | p99 ms | median / baseline |\n|---|---|---|---|");
    for (name, path, html) in pages {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let mut request = Request::get(format!("{base}{path}"));
            if html {
                request = request.header(header::ACCEPT, "text/html");
            }
            let request = request.body(Bytes::new())?;
            let started = Instant::now();
            let response = http.send(request).await?;
            times.push(started.elapsed());
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
        }
        times.sort();
        let median = times[times.len() / 2];
        let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
        let base_median = *baseline.get_or_insert(median);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            ms(median),
            ms(p99),
            ms(median) / ms(base_median)
        );
    }
    sandbox.shutdown().await;
    Ok(())
}
