//! A small axum app taking payments through pay123-axum, as a project outside pay123 writes it.
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::post;
use pay123_axum::pay123_core::payments::Payments;
use pay123_axum::pay123_core::{Config, CreateOrder};
use pay123_axum::pay123_hyper::{self, HyperClient};
use pay123_axum::pay123_sqlx::SqlStore;
use pay123_axum::{Error, notify_router};

type Pay = Payments<HyperClient, SqlStore>;

/// `POST /orders/{id}/pay`: records the payment, creates it at 123PAY and sends the buyer there.
async fn pay_order(State(pay): State<Pay>, Path(id): Path<String>) -> Result<Redirect, Error> {
    let order = CreateOrder::builder(&id, 99_000, "http://127.0.0.1:8080/").build()?;
    Ok(Redirect::to(pay.create(&order).await?.payment_url()))
}

/// The app's routes: its own and pay123's notify route.
fn app(pay: Pay) -> Router {
    Router::new()
        .route("/orders/{id}/pay", post(pay_order))
        .with_state(pay.clone())
        .merge(notify_router("/123pay/notify", pay))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init();
    let config = Config::from_env()?;
    let client = pay123_hyper::client(config.credentials, config.endpoints);
    let store = SqlStore::connect("sqlite://app.db?mode=rwc").await?;
    let pay = Payments::new(client, store, tokio::time::sleep);
    tokio::spawn(pay.reconciler().run());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    // On loopback, behind a reverse proxy with timeouts; facing the internet itself, serve it
    // with pay123_axum::server::serve (feature `server`): axum::serve times out nothing.
    axum::serve(listener, app(pay)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pay123_axum::pay123_core::Credentials;

    #[tokio::test]
    async fn a_payment_goes_to_the_local_123pay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox = pay123_sandbox::start(listener, pay123_sandbox::Config::default())
            .await
            .unwrap();
        let client = pay123_hyper::client(Credentials::sandbox(), sandbox.endpoints());
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        let pay = Payments::new(client, store, tokio::time::sleep);
        let app = app(pay);
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(server, app).await });

        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = "POST /orders/A-1/pay HTTP/1.1\r\nHost: app\r\nContent-Length: 0\r\n\
                       Connection: close\r\n\r\n";
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let page = format!("location: {}/banksim/", sandbox.base_url());
        assert!(answer.to_lowercase().contains(&page), "{answer}");
        assert_eq!(sandbox.transactions().len(), 1);
        sandbox.shutdown().await;
    }
}
