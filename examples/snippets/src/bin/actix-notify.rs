//! An existing actix-web app that takes 123PAY's notifies.
use std::sync::Mutex;

use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, middleware::from_fn, web};
use pay123_actix::pay123_core::{Credentials, Notify, NotifyListener, NotifyOutcome};
use pay123_actix::{BodyDeadline, notify_service};

#[derive(Default)]
struct Shop {
    paid: Mutex<Vec<String>>, // your database pool
}

async fn on_notify(notify: Notify, shop: web::Data<Shop>) -> Result<NotifyOutcome, String> {
    // Verified already. Before shipping, confirm status 1 and the amount with a queryOrder.
    if !notify.status().is_success() {
        return Ok(NotifyOutcome::Updated); // pending statuses never cancel an order
    }
    let mut paid = shop.paid.lock().map_err(|e| e.to_string())?; // an error answers -3
    let id = notify.m_transaction_id().to_owned();
    if paid.contains(&id) {
        return Ok(NotifyOutcome::AlreadyUpdated); // a duplicate: answered 2
    }
    paid.push(id);
    Ok(NotifyOutcome::Updated) // answered 1
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let key = Credentials::sandbox().secret_key().clone(); // yours
    let shop = web::Data::new(Shop::default());
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    HttpServer::new(move || {
        App::new()
            .app_data(shop.clone())
            .wrap(from_fn(
                BodyDeadline::new(std::time::Duration::from_secs(10)).middleware(),
            ))
            .route("/", web::get().to(|| async { "my shop" }))
            .configure(notify_service(
                "/123pay/notify",
                NotifyListener::new(key.clone()),
                on_notify,
            ))
    })
    .client_request_timeout(std::time::Duration::from_secs(10)) // the request head
    .keep_alive(KeepAlive::Disabled) // actix times only a connection's first head
    .bind(addr)?
    .run()
    .await
}
