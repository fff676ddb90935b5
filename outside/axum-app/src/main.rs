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
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use pay123_axum::pay123_core::payments::Payment;
    use pay123_axum::pay123_core::{Credentials, TransactionStatus};
    use pay123_sandbox::AttemptOutcome;

    /// `POST path` to the app, by hand (no client that would follow the redirect): the answer.
    async fn post(addr: std::net::SocketAddr, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: app\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
            .await
            .unwrap();
        let mut answer = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
            .await
            .unwrap();
        answer
    }

    /// The app's own routes against the local 123PAY, as an app's tests do: the buyer sent to
    /// 123PAY, the bank's result, the notify confirmed and handed to `on_paid` once.
    #[tokio::test]
    async fn a_payment_goes_to_the_local_123pay_and_comes_back_paid() {
        // The app's port first: the sandbox sends the merchant's notifies there.
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let config = pay123_sandbox::Config::default()
            .with_notify_url(format!("http://{addr}/123pay/notify"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox = pay123_sandbox::start(listener, config).await.unwrap();
        let client = pay123_hyper::client(Credentials::sandbox(), sandbox.endpoints());
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        let fulfilled = Arc::new(Mutex::new(Vec::new()));
        let orders = fulfilled.clone();
        let pay = Payments::new(client, store, tokio::time::sleep).on_paid(move |p: Payment| {
            orders.lock().unwrap().push(p.m_transaction_id);
            async { Ok::<(), std::io::Error>(()) }
        });
        let app = app(pay.clone());
        tokio::spawn(async move { axum::serve(server, app).await });

        let answer = post(addr, "/orders/A-1/pay").await;
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let page = format!("location: {}/banksim/", sandbox.base_url());
        assert!(answer.to_lowercase().contains(&page), "{answer}");

        // The buyer pays (a browser would, on the bank pages): 123PAY notifies the app, which
        // confirms the payment with queryOrder before it answers.
        sandbox
            .force_status("A-1", TransactionStatus::Success)
            .unwrap();
        let t = sandbox
            .wait_for("A-1", Duration::from_secs(10), |t| {
                !t.notify_in_progress && !t.notify_attempts.is_empty()
            })
            .await
            .expect("the notify was delivered");
        assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::Acknowledged);
        assert!(pay.load("A-1").await.unwrap().unwrap().is_paid());
        assert_eq!(*fulfilled.lock().unwrap(), ["A-1"]);
        sandbox.shutdown().await;
    }
}
