//! An existing rocket app that takes 123PAY's notifies.
use std::sync::Mutex;

use pay123_rocket::pay123_core::{Credentials, Notify, NotifyListener, NotifyOutcome};
use pay123_rocket::{notify_routes, serve};
use rocket::{State, get, routes};

#[derive(Default)]
struct Shop {
    paid: Mutex<Vec<String>>, // your database pool
}

async fn on_notify(notify: Notify, shop: &State<Shop>) -> Result<NotifyOutcome, String> {
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

#[get("/")]
fn index() -> &'static str {
    "my shop"
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = Credentials::sandbox().secret_key().clone(); // yours
    let app = rocket::build()
        .manage(Shop::default())
        .mount("/", routes![index])
        .mount(
            "/123pay/notify",
            notify_routes(NotifyListener::new(key), on_notify),
        );
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    // rocket 0.5 has no header, body or idle timeouts: serve it behind pay123's server.
    serve(app, tokio::net::TcpListener::bind(addr).await?)
        .await?
        .await?;
    Ok(())
}
