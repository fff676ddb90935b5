//! A payment made against a local 123PAY started in process, as an app's tests do: the sandbox,
//! the default transport (pay123-hyper) and the payment store (pay123-sqlx). With an adapter,
//! name them through it: `pay123_axum::pay123_core`, `pay123_axum::pay123_hyper`,
//! `pay123_axum::pay123_sqlx`.
use std::sync::Arc;

use pay123_core::clock::ManualClock;
use pay123_core::payments::Payments;
use pay123_core::{CreateOrder, Credentials, TransactionStatus};
use pay123_sqlx::SqlStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::starting_now(); // moved by hand: no test waits for the reconciler
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?; // a free loopback port
    let config = pay123_sandbox::Config {
        clock: Arc::new(clock.clone()),
        ..pay123_sandbox::Config::default()
    };
    let sandbox = pay123_sandbox::start(listener, config).await?;
    // The sandbox's merchant (MICODE / MIPASSCODE / MIKEY) at the sandbox's addresses.
    let client = pay123_hyper::client(Credentials::sandbox(), sandbox.endpoints());
    let store = SqlStore::connect("sqlite::memory:").await?; // or sqlite://shop.db?mode=rwc
    let payments = Payments::new(client, store, tokio::time::sleep).with_clock(clock.clone());

    let order = CreateOrder::builder("ORDER-1", 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = payments.create(&order).await?; // recorded, created at 123PAY, stored
    println!("the buyer pays at {}", created.payment_url());

    // The buyer pays (or a browser does, on the bank pages); no notify reaches this program, so
    // the reconciler finds the payment once its first check is due, and confirms it.
    sandbox.force_status("ORDER-1", TransactionStatus::Success)?;
    clock.advance(payments.reconcile_policy().first_check);
    payments.reconciler().pass().await?;
    let payment = payments.load("ORDER-1").await?.ok_or("recorded")?;
    println!("{}", payment.english()); // "Payment successful. Thank you!": paid
    sandbox.shutdown().await;
    Ok(())
}
