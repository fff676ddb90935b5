//! A whole payment, timed stage by stage: the axum demo shop and the sandbox in this process
//! (SQLite file on the temporary directory, no artificial delay), and a buyer on loopback.
//! Prints the median and p90 of each stage over the payments, in microseconds.
//!
//! ```text
//! bench-payment [PAYMENTS]        # 300 by default, after 30 to warm up
//! ```

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use pay123_hyper::HyperClient;
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE, TEST_OTP};
use tokio::net::TcpListener;

const STAGES: [&str; 6] = [
    "checkout (order recorded, createOrder, 303)",
    "bank card page (GET)",
    "card details (POST, 303)",
    "OTP (POST: paid, 303 to the shop)",
    "notify: delivered, confirmed by queryOrder, order paid, reply",
    "return page (GET)",
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payments: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let shop_tcp = TcpListener::bind("127.0.0.1:0").await?;
    let shop_url = format!("http://{}", shop_tcp.local_addr()?);
    let mut config = pay123_sandbox::Config::default()
        .with_notify_url(format!("{shop_url}{}", shop::NOTIFY_PATH));
    config.notify_backoff = Duration::from_millis(10);
    let sandbox = pay123_sandbox::start(TcpListener::bind("127.0.0.1:0").await?, config).await?;
    let credentials = sandbox.gateway().config().merchants[0].credentials.clone();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let store = shop::Store::connect(&database).await?;
    let shop = shop::Shop::new(
        pay123_hyper::client(credentials, sandbox.endpoints()),
        store.clone(),
        &shop_url,
    )
    // Every payment comes from one address here: no per-address limit.
    .with_checkouts_per_minute(0);
    tokio::spawn(axum_shop::serve(
        shop_tcp,
        shop,
        pay123_axum::server::Limits::default(),
        std::future::pending(),
    ));

    let buyer = HyperClient::builder()
        .request_timeout(Duration::from_secs(10))
        .build();
    let mut times: Vec<[Duration; 6]> = Vec::new();
    for n in 0..payments + 30 {
        let stages = pay(&buyer, &shop_url, &sandbox).await?;
        if n >= 30 {
            times.push(stages);
        }
    }
    println!("whole payments: {payments} (after 30 to warm up), microseconds");
    println!("{:<64} {:>8} {:>8}", "stage", "median", "p90");
    let mut totals: Vec<Duration> = times.iter().map(|t| t.iter().sum()).collect();
    for (i, stage) in STAGES.iter().enumerate() {
        let mut column: Vec<Duration> = times.iter().map(|t| t[i]).collect();
        let (median, p90) = percentiles(&mut column);
        println!("{stage:<64} {median:>8} {p90:>8}");
    }
    let (median, p90) = percentiles(&mut totals);
    println!("{:<64} {median:>8} {p90:>8}", "whole payment");
    Ok(())
}

fn percentiles(values: &mut [Duration]) -> (u128, u128) {
    values.sort();
    let at = |q: f64| {
        let i = ((values.len() as f64 - 1.0) * q).round() as usize;
        values[i].as_micros()
    };
    (at(0.5), at(0.9))
}

fn form(url: &str, fields: &[(&str, &str)]) -> Request<Bytes> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('/', "%2F")))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(body))
        .expect("a request")
}

fn location(response: &http::Response<Bytes>) -> Result<String, Box<dyn std::error::Error>> {
    if response.status() != StatusCode::SEE_OTHER {
        return Err(format!(
            "expected 303, got {}: {}",
            response.status(),
            String::from_utf8_lossy(response.body())
        )
        .into());
    }
    Ok(response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("no Location")?
        .to_owned())
}

async fn pay(
    buyer: &HyperClient,
    shop_url: &str,
    sandbox: &pay123_sandbox::Sandbox,
) -> Result<[Duration; 6], Box<dyn std::error::Error>> {
    let mut stages = [Duration::ZERO; 6];
    let started = Instant::now();
    let answer = buyer
        .send(form(
            &format!("{shop_url}/checkout"),
            &[("product_id", "non-la"), ("bank_code", "123PVCB")],
        ))
        .await?;
    let page = location(&answer)?;
    let id = answer
        .headers()
        .get(shop::web::ORDER_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or("no order id")?
        .to_owned();
    stages[0] = started.elapsed();

    let started = Instant::now();
    let shown = buyer.send(Request::get(&page).body(Bytes::new())?).await?;
    if shown.status() != StatusCode::OK {
        return Err(format!("card page: {}", shown.status()).into());
    }
    stages[1] = started.elapsed();

    let started = Instant::now();
    let answer = buyer
        .send(form(
            &format!("{page}/card"),
            &[
                ("card_holder", TEST_CARD_HOLDER),
                ("card_number", TEST_CARD_NUMBER),
                ("issue_date", TEST_ISSUE_DATE),
                ("action", "pay"),
            ],
        ))
        .await?;
    location(&answer)?;
    stages[2] = started.elapsed();

    let started = Instant::now();
    let answer = buyer
        .send(form(
            &format!("{page}/otp"),
            &[("otp", TEST_OTP), ("action", "pay")],
        ))
        .await?;
    let back = location(&answer)?;
    stages[3] = started.elapsed();

    // The notify: sent by the sandbox when the OTP was accepted; done when its reply is in.
    let started = Instant::now();
    let notified = sandbox
        .wait_for(&id, Duration::from_secs(10), |t| {
            t.acknowledged_attempts().next().is_some()
        })
        .await
        .ok_or("no acknowledged notify")?;
    if !notified.status.is_success() {
        return Err("not paid".into());
    }
    stages[4] = started.elapsed();

    let started = Instant::now();
    let returned = buyer.send(Request::get(&back).body(Bytes::new())?).await?;
    if returned.status() != StatusCode::OK {
        return Err(format!("return page: {}", returned.status()).into());
    }
    stages[5] = started.elapsed();
    Ok(stages)
}
