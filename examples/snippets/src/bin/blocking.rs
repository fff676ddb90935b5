//! createOrder and queryOrder from a blocking program, with `ureq` as the transport.
use bytes::Bytes;
use pay123_core::blocking::Client;
use pay123_core::{BankCode, CreateOrder, Credentials, Endpoints, QueryOrder};

/// One request with `ureq`, the whole response back (any status: the core reads it). Errors
/// become `io::Error`s, whose kind tells the client whether the request was sent at all.
fn send(
    agent: &ureq::Agent,
    request: http::Request<Bytes>,
) -> std::io::Result<http::Response<Bytes>> {
    let response = agent
        .run(request.map(|body| body.to_vec()))
        .map_err(ureq::Error::into_io)?;
    let (parts, mut body) = response.into_parts();
    let body = body.read_to_vec().map_err(ureq::Error::into_io)?;
    Ok(http::Response::from_parts(parts, Bytes::from(body)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 123PAY's sandbox by default; PAY123_API_URL=http://127.0.0.1:3123/miservice for a local one.
    let endpoints = match std::env::var("PAY123_API_URL") {
        Ok(base) => Endpoints::from_base(&base)?,
        Err(_) => Endpoints::sandbox(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let client = Client::new(move |r| send(&agent, r), Credentials::sandbox(), endpoints);

    let id = format!("BLOCKING-{}", std::process::id());
    let order = CreateOrder::builder(&id, 100_000, "https://shop.vn/return")
        .bank_code(BankCode::Vietcombank)
        .build()?;
    let created = client.create_order(&order)?; // signed, sent, answer verified
    println!("created {id}: send the buyer to {}", created.redirect_url());
    let status = client.query_order(&QueryOrder::new(&id)?)?;
    println!(
        "status {}: {}",
        status.status().code(),
        status.status().english()
    );
    Ok(())
}
