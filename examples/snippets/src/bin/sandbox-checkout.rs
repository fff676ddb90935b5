//! A payment created against a local 123PAY started in process, as an app's tests do: the
//! sandbox, the default transport (pay123-hyper) and the payment store (pay123-sqlx).
use pay123_core::payments::Payments;
use pay123_core::{CreateOrder, Credentials};
use pay123_sqlx::SqlStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?; // a free loopback port
    let config = pay123_sandbox::Config::default();
    let sandbox = pay123_sandbox::start(listener, config).await?;
    // The sandbox's merchant (MICODE / MIPASSCODE / MIKEY) at the sandbox's addresses.
    let client = pay123_hyper::client(Credentials::sandbox(), sandbox.endpoints());
    let store = SqlStore::connect("sqlite::memory:").await?; // or sqlite://shop.db?mode=rwc
    let payments = Payments::new(client, store, tokio::time::sleep);

    let order = CreateOrder::builder("ORDER-1", 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = payments.create(&order).await?; // recorded, created at 123PAY, stored
    println!("the buyer pays at {}", created.payment_url());
    let payment = payments
        .load("ORDER-1")
        .await?
        .ok_or("the payment is recorded")?;
    println!("{}", payment.english()); // waiting for the buyer
    sandbox.shutdown().await;
    Ok(())
}
