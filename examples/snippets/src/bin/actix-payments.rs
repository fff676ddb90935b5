//! An existing actix-web app taking payments with 123PAY: checkout, the confirmed notify, the
//! return page and the reconciler, served by actix-web's `HttpServer`.
use std::time::UNIX_EPOCH;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pay123_actix::pay123_core::payments::Payments;
use pay123_actix::pay123_core::{CreateOrder, Credentials, Endpoints};
use pay123_actix::pay123_hyper::{self, HyperClient};
use pay123_actix::pay123_sqlx::SqlStore;
use pay123_actix::{Error, notify_service};

type Pay = web::Data<Payments<HyperClient, SqlStore>>; // registered by notify_service

async fn checkout(pay: Pay) -> Result<HttpResponse, Error> {
    let nanos = UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos();
    let id = format!("ORDER-{nanos}"); // your order's id: one per payment
    let order = CreateOrder::builder(&id, 150_000, "http://127.0.0.1:3000/return").build()?;
    let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
    let to_123pay = ("Location", created.payment_url());
    Ok(HttpResponse::SeeOther().insert_header(to_123pay).finish())
}

async fn back(pay: Pay, request: HttpRequest) -> Result<String, Error> {
    // The ticket checked; a payment still open confirmed with queryOrder.
    let returned = pay.on_return(request.query_string()).await?;
    let (vi, en) = (returned.vietnamese(), returned.english());
    Ok(format!("{vi}\n{en}\n"))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base)?, // your gateway; 123PAY's sandbox by default
        Err(_) => Endpoints::sandbox(),
    };
    let database = std::env::var("DATABASE_URL");
    let store = SqlStore::connect(database.as_deref().unwrap_or("sqlite://shop.db?mode=rwc"));
    let client = pay123_hyper::client(Credentials::sandbox(), endpoints); // your credentials
    let pay = Payments::new(client, store.await?, tokio::time::sleep);
    tokio::spawn(pay.reconciler().run()); // asks 123PAY about what no notify told
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    HttpServer::new(move || {
        App::new()
            .route("/checkout", web::post().to(checkout))
            .route("/return", web::get().to(back))
            .configure(notify_service("/123pay/notify", pay.clone())) // confirmed, stored
    })
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}
