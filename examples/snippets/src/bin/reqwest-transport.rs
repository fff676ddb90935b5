//! A transport of your own: a closure that sends with reqwest, honours the deadline the client
//! asks for (`*_within`), and says whether a failed request timed out or never left.
use std::time::Duration;

use bytes::Bytes;
use pay123_core::{Client, Credentials, Delivery, Endpoints, QueryOrder};
use pay123_core::{RequestTimeout, TransportError};

/// One request with reqwest; the whole response back (any status: the core reads it).
async fn send(
    http: reqwest::Client,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, TransportError> {
    let deadline = request.extensions().get::<RequestTimeout>().map(|t| t.0);
    let mut request = reqwest::Request::try_from(request).map_err(TransportError::not_sent)?;
    *request.timeout_mut() = Some(deadline.unwrap_or(Duration::from_secs(30)));
    let response = http.execute(request).await.map_err(transport_error)?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await.map_err(transport_error)?;
    answer
        .body(body)
        .map_err(|e| TransportError::new(Delivery::Unknown, e))
}

fn transport_error(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::timed_out(error)
    } else if error.is_connect() {
        TransportError::not_sent(error) // no connection: the request never left
    } else {
        TransportError::new(Delivery::Unknown, error)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base)?,
        Err(_) => Endpoints::sandbox(),
    };
    let http = reqwest::Client::new();
    let transport = move |request| send(http.clone(), request);
    let client = Client::new(transport, Credentials::sandbox(), endpoints);
    let query = QueryOrder::new("ORDER-1")?;
    match client
        .query_order_within(&query, Duration::from_secs(2))
        .await
    {
        Ok(status) => println!("status {}", status.status().code()),
        Err(e) => println!(
            "failed: {e:#} (timeout: {}, not sent: {}, retry may help: {})",
            e.is_timeout(),
            e.is_not_sent(),
            e.is_retryable()
        ),
    }
    Ok(())
}
