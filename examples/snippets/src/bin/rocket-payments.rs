//! An existing rocket app taking payments with 123PAY: checkout, the confirmed notify, the
//! return page and the reconciler, launched by rocket (`#[launch]`).
use std::time::UNIX_EPOCH;

use pay123_rocket::Error;
use pay123_rocket::pay123_core::payments::{Payment, Payments};
use pay123_rocket::pay123_core::{Config, CreateOrder};
use pay123_rocket::pay123_hyper::{self, HyperClient};
use pay123_rocket::pay123_sqlx::SqlStore;
use rocket::http::uri::Origin;
use rocket::response::Redirect;
use rocket::{State, get, launch, post, routes};

type Pay = Payments<HyperClient, SqlStore>; // managed by pay123_rocket::fairing

#[post("/checkout")]
async fn checkout(pay: &State<Pay>) -> Result<Redirect, Error> {
    let nanos = UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos();
    let id = format!("ORDER-{nanos}"); // a new id per payment (the guide, step 4)
    let order = CreateOrder::builder(&id, 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
    Ok(Redirect::to(created.payment_url().to_owned())) // 303 to 123PAY's page
}

#[get("/return")]
async fn back(pay: &State<Pay>, uri: &Origin<'_>) -> Result<String, Error> {
    // The URL is never believed: the stored payment, confirmed with queryOrder while open.
    let returned = pay
        .on_return(uri.query().map_or("", |q| q.as_str()))
        .await?;
    Ok(returned.response_text())
}

/// Called once 123PAY confirmed a payment (again, until it returns `Ok`): fulfil the order.
async fn paid(payment: Payment) -> Result<(), std::io::Error> {
    println!("paid: {}", payment.m_transaction_id); // e.g. UPDATE orders SET paid = true ...
    Ok(())
}

#[launch]
async fn rocket() -> _ {
    let config = Config::from_env().unwrap_or_else(|e| {
        eprintln!("{e}"); // PAY123_API_URL and your credentials
        std::process::exit(1)
    });
    let database = std::env::var("DATABASE_URL");
    let store = SqlStore::connect(database.as_deref().unwrap_or("sqlite://shop.db?mode=rwc"));
    let client = pay123_hyper::client(config.credentials, config.endpoints);
    let store = store.await.expect("the database");
    let pay = Payments::new(client, store, rocket::tokio::time::sleep).on_paid(paid);
    rocket::build()
        .mount("/", routes![checkout, back])
        // Manages `pay`, mounts the confirmed notify, runs the reconciler.
        .attach(pay123_rocket::fairing("/123pay/notify", pay))
}
