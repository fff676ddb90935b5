//! An existing axum app that takes 123PAY's notifies.
use std::sync::{Arc, Mutex};

use axum::{Router, routing::get};
use pay123_axum::pay123_core::{Credentials, Notify, NotifyListener, NotifyOutcome};
use pay123_axum::{notify_router, server};

#[derive(Clone, Default)]
struct App {
    paid: Arc<Mutex<Vec<String>>>, // your database pool
}

async fn on_notify(notify: Notify, app: App) -> Result<NotifyOutcome, String> {
    // Verified already: fields, checksum, ts window. Before shipping, confirm status 1 and
    // the amount with a queryOrder (the notify has none): OrderStatus::judge.
    if !notify.status().is_success() {
        return Ok(NotifyOutcome::Updated); // pending statuses never cancel an order
    }
    let mut paid = app.paid.lock().map_err(|e| e.to_string())?; // an error answers -3
    let id = notify.m_transaction_id().to_owned();
    if paid.contains(&id) {
        return Ok(NotifyOutcome::AlreadyUpdated); // a duplicate: answered 2
    }
    paid.push(id);
    Ok(NotifyOutcome::Updated) // answered 1
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let credentials = Credentials::sandbox(); // yours: Credentials::new(code, passcode, key)
    let listener = NotifyListener::new(credentials.secret_key().clone());
    let app = Router::new()
        .route("/", get(|| async { "my shop" }))
        .merge(notify_router("/123pay/notify", listener, on_notify))
        .with_state(App::default());
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let tcp = tokio::net::TcpListener::bind(addr).await?;
    server::serve(tcp, app).await // axum::serve, with header, body and idle timeouts
}
