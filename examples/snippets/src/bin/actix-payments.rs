//! An existing actix-web app taking payments with 123PAY: checkout, the confirmed notify, the
//! return page and the reconciler, served by actix-web's `HttpServer`.
use std::time::UNIX_EPOCH;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pay123_actix::pay123_core::payments::{Payment, Payments};
use pay123_actix::pay123_core::{Config, CreateOrder};
use pay123_actix::pay123_hyper::{self, HyperClient};
use pay123_actix::pay123_sqlx::SqlStore;
use pay123_actix::{Error, negotiate_errors, notify_service};

type Pay = web::Data<Payments<HyperClient, SqlStore>>; // registered by notify_service

async fn checkout(pay: Pay) -> Result<HttpResponse, Error> {
    let nanos = UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos();
    let id = format!("ORDER-{nanos}"); // a new id per payment (the guide, step 4)
    let order = CreateOrder::builder(&id, 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
    let to_123pay = ("Location", created.payment_url());
    Ok(HttpResponse::SeeOther().insert_header(to_123pay).finish())
}

async fn back(pay: Pay, request: HttpRequest) -> Result<String, Error> {
    // The URL is never believed: the stored payment, confirmed with queryOrder while open.
    let returned = pay.on_return(request.query_string()).await?;
    Ok(returned.response_text())
}

/// Called once 123PAY confirmed a payment (again, until it returns `Ok`): fulfil the order.
async fn paid(payment: Payment) -> Result<(), std::io::Error> {
    println!("paid: {}", payment.m_transaction_id); // e.g. UPDATE orders SET paid = true ...
    Ok(())
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init(); // pay123 logs its warnings and errors through `tracing`
    let config = Config::from_env()?; // PAY123_API_URL and your credentials
    let database = std::env::var("DATABASE_URL");
    let store = SqlStore::connect(database.as_deref().unwrap_or("sqlite://shop.db?mode=rwc"));
    let client = pay123_hyper::client(config.credentials, config.endpoints);
    let pay = Payments::new(client, store.await?, actix_web::rt::time::sleep).on_paid(paid);
    actix_web::rt::spawn(pay.reconciler().run()); // asks 123PAY about what no notify told
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(negotiate_errors)) // JSON errors to API clients
            .route("/checkout", web::post().to(checkout))
            .route("/return", web::get().to(back))
            .configure(notify_service("/123pay/notify", pay.clone())) // confirmed, stored
    })
    // Behind a reverse proxy; facing the internet, no keep-alive and pay123_actix::BodyDeadline.
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}
