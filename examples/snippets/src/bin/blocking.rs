//! createOrder and queryOrder from a blocking program, with `ureq` as the transport: the
//! per-call deadline honoured, and a timeout reported as a timeout.
use std::time::Duration;

use bytes::Bytes;
use pay123_core::blocking::Client;
use pay123_core::{BankCode, CreateOrder, Credentials, Endpoints, QueryOrder};
use pay123_core::{RequestTimeout, TransportError};
use ureq::RequestExt;

/// One request with `ureq` within the deadline the client asks for (`*_within`), the whole
/// response back (any status: the core reads it). The error says whether the request timed
/// out or never left, so that the client knows (`is_timeout`, `is_not_sent`).
fn send(
    agent: &ureq::Agent,
    request: http::Request<Bytes>,
) -> Result<http::Response<Bytes>, TransportError> {
    let deadline = request.extensions().get::<RequestTimeout>().map(|t| t.0);
    let response = request
        .map(|body| body.to_vec())
        .with_agent(agent)
        .configure()
        .timeout_global(deadline.or(Some(Duration::from_secs(30))))
        .run()
        .map_err(transport_error)?;
    let (parts, mut body) = response.into_parts();
    let body = body.read_to_vec().map_err(transport_error)?;
    Ok(http::Response::from_parts(parts, Bytes::from(body)))
}

fn transport_error(error: ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(_) => TransportError::timed_out(error),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            TransportError::not_sent(error)
        }
        ureq::Error::Io(io) => TransportError::from_io(io), // refused: never left; timed out
        other => TransportError::new(pay123_core::Delivery::Unknown, other),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 123PAY's sandbox by default; PAY123_API_URL=http://127.0.0.1:3123/miservice for a local one.
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base)?,
        Err(_) => Endpoints::sandbox(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let client = Client::new(move |r| send(&agent, r), Credentials::sandbox(), endpoints);

    let id = format!("BLOCKING-{}", std::process::id());
    let order = CreateOrder::builder(&id, 100_000, "https://shop.vn/return")
        .bank_code(BankCode::Vietcombank)
        .build()?;
    // Signed, sent within 5 s, answer verified.
    let created = match client.create_order_within(&order, Duration::from_secs(5)) {
        Ok(created) => created,
        Err(e) => {
            println!(
                "failed: {e:#} (timeout: {}, not sent: {})",
                e.is_timeout(),
                e.is_not_sent()
            );
            return Ok(());
        }
    };
    println!("created {id}: send the buyer to {}", created.payment_url());
    let status = client.query_order_within(&QueryOrder::new(&id)?, Duration::from_secs(5))?;
    println!(
        "status {}: {}",
        status.status().code(),
        status.status().english()
    );
    Ok(())
}
