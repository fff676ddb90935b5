//! Checkout in an axum app: createOrder, then send the buyer to 123PAY. `?` answers an error.
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, State};
use axum::response::Redirect;
use axum::{Form, Router, routing::post};
use pay123_axum::pay123_core::{BankCode, CreateOrder, Credentials, Endpoints, text};
use pay123_axum::pay123_hyper::{self, Pay123Client};
use pay123_axum::{Error, server};

#[derive(serde::Deserialize)]
struct Checkout {
    product: String,
}

async fn checkout(
    State(client): State<Pay123Client>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<Checkout>,
) -> Result<Redirect, Error> {
    // Record the order in your database first (so that a failure loses nothing), then:
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let id = format!("ORDER-{}", nanos.as_nanos());
    let order = CreateOrder::builder(&id, 150_000, "http://127.0.0.1:3000/return")
        .bank_code(BankCode::Pay123) // the buyer chooses the bank at 123PAY
        .client_addr(peer.ip())
        .description(text::description(&form.product)) // ASCII, allowed characters only
        .build()?; // 400, naming the field and the rule
    // A buyer is waiting: give up after 10 s (503 busy, 504 timeout, 502 refused).
    let created = client
        .create_order_within(&order, Duration::from_secs(10))
        .await?;
    Ok(Redirect::to(created.redirect_url())) // 303 to 123PAY's page
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base).map_err(std::io::Error::other)?,
        Err(_) => Endpoints::sandbox(),
    };
    let client = pay123_hyper::client(Credentials::sandbox(), endpoints);
    let app = Router::new()
        .route("/checkout", post(checkout))
        .with_state(client);
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    server::serve(tokio::net::TcpListener::bind(addr).await?, app).await
}
