//! A transport of your own: a closure that sends with your HTTP client (here pay123-hyper's,
//! with a header of yours) and honours the deadline the client asks for.
use std::time::Duration;

use bytes::Bytes;
use pay123_core::{BoxError, Client, Credentials, Endpoints, QueryOrder, RequestTimeout};
use pay123_hyper::HyperClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base)?,
        Err(_) => Endpoints::sandbox(),
    };
    let http = HyperClient::new();
    let transport = move |mut request: http::Request<Bytes>| {
        let http = http.clone();
        async move {
            request
                .headers_mut()
                .insert("x-shop", http::HeaderValue::from_static("tiem-sach"));
            // Set by query_order_within and create_order_within.
            let deadline = request.extensions().get::<RequestTimeout>();
            let deadline = deadline.map_or(Duration::from_secs(30), |t| t.0);
            match tokio::time::timeout(deadline, http.send(request)).await {
                Ok(answer) => answer.map_err(BoxError::from), // any error that boxes
                // An io::Error of kind TimedOut tells the client the call timed out.
                Err(_) => {
                    Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out").into())
                }
            }
        }
    };
    let client = Client::new(transport, Credentials::sandbox(), endpoints);
    let query = QueryOrder::new("ORDER-1")?;
    match client
        .query_order_within(&query, Duration::from_secs(5))
        .await
    {
        Ok(status) => println!("status {}", status.status().code()),
        Err(e) => println!("failed: {e:#} (retry may help: {})", e.is_retryable()),
    }
    Ok(())
}
