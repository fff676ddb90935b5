//! An existing axum app taking payments with 123PAY: checkout, the confirmed notify, the return
//! page and the reconciler, served by `axum::serve`.
use std::time::UNIX_EPOCH;

use axum::extract::{FromRef, RawQuery, State};
use axum::response::Redirect;
use axum::{Router, routing::get, routing::post};
use pay123_axum::pay123_core::payments::{Payment, Payments};
use pay123_axum::pay123_core::{Config, CreateOrder};
use pay123_axum::pay123_hyper::{self, HyperClient};
use pay123_axum::pay123_sqlx::SqlStore;
use pay123_axum::{Error, negotiate_errors, notify_router};

type Pay = Payments<HyperClient, SqlStore>;

#[derive(Clone, FromRef)] // axum's `macros` feature
struct App {
    pay: Pay, // beside your own state: pools, templates...
}

async fn checkout(State(pay): State<Pay>) -> Result<Redirect, Error> {
    let nanos = UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos();
    let id = format!("ORDER-{nanos}"); // a new id per payment (the guide, step 4)
    let order = CreateOrder::builder(&id, 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
    Ok(Redirect::to(created.payment_url())) // 303 to 123PAY's page
}

async fn back(State(pay): State<Pay>, RawQuery(query): RawQuery) -> Result<String, Error> {
    // The URL is never believed: the stored payment, confirmed with queryOrder while open.
    let returned = pay.on_return(query.as_deref().unwrap_or_default()).await?;
    Ok(returned.response_text())
}

/// Called once 123PAY confirmed a payment (again, until it returns `Ok`): fulfil the order.
async fn paid(payment: Payment) -> Result<(), std::io::Error> {
    println!("paid: {}", payment.m_transaction_id); // e.g. UPDATE orders SET paid = true ...
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init(); // pay123 logs its warnings and errors through `tracing`
    let config = Config::from_env()?; // PAY123_API_URL and your credentials
    let database = std::env::var("DATABASE_URL");
    let store = SqlStore::connect(database.as_deref().unwrap_or("sqlite://shop.db?mode=rwc"));
    let client = pay123_hyper::client(config.credentials, config.endpoints);
    let pay = Payments::new(client, store.await?, tokio::time::sleep).on_paid(paid);
    tokio::spawn(pay.reconciler().run()); // asks 123PAY about what no notify told
    let app = Router::new()
        .route("/checkout", post(checkout))
        .route("/return", get(back))
        .merge(notify_router("/123pay/notify", pay.clone())) // confirmed, stored, answered
        .layer(axum::middleware::from_fn(negotiate_errors)) // JSON errors to API clients
        .with_state(App { pay });
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    // Behind a reverse proxy; facing the internet, pay123_axum::server::serve (the guide).
    axum::serve(tokio::net::TcpListener::bind(addr).await?, app).await?;
    Ok(())
}
