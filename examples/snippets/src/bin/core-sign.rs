//! Signing a createOrder and answering a notify with the core alone, without a framework.
use std::time::{Duration, SystemTime};

use pay123_core::text::unaccent;
use pay123_core::{BankCode, CreateOrder, Credentials, Endpoints, NotifyListener, NotifyOutcome};
use pay123_core::{NotifyRequest, ValidationError};

#[tokio::main]
async fn main() -> Result<(), ValidationError> {
    let credentials = Credentials::sandbox(); // MICODE / MIPASSCODE / MIKEY
    let order = CreateOrder::builder("ORDER-1001", 150_000, "https://shop.vn/return")
        .bank_code(BankCode::Vietcombank)
        .client_addr("203.113.1.10".parse().expect("an address")) // IPv4 or ::ffff:a.b.c.d
        .customer_name(unaccent("Nguyễn Văn Ánh")) // 123PAY wants ASCII
        .build()?; // every rule of the specification's table; the error names the field
    let request = order.to_http_request(&credentials, &Endpoints::sandbox());
    println!("POST {}", request.uri()); // send it with any HTTP client, or use pay123_core::Client
    // When 123PAY answers 6000, compare this with the string your own code hashed.
    println!("signed: {}", order.signing_string_masked(&credentials));

    // A notify as 123PAY posts it (method, query, content type, body), answered by the listener.
    let body = b"mTransactionID=V20170711001&bankCode=123PVTB&transactionStatus=1\
                 &description=&ts=1499789401525&checksum=25ec3dad7b9a4a5c70d1119d8c21fe9425343ffd";
    let received = NotifyRequest::new("POST", "", Some("application/x-www-form-urlencoded"), body);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_499_789_460); // SystemTime::now()
    let listener = NotifyListener::new(credentials.secret_key().clone());
    let handled = listener
        .handle(&received, now, |notify| async move {
            // Verified: fields, checksum, ts window. A forged or stale one never gets here. Its
            // status is still a claim: confirm with queryOrder (`OrderStatus::judge`) before
            // calling an order paid, as `Payments::serve_notify` does for you.
            println!(
                "notify: {} {}",
                notify.m_transaction_id(),
                notify.status().english()
            );
            NotifyOutcome::Updated // or AlreadyUpdated (a duplicate), or RetryLater (-3)
        })
        .await;
    let reply = handled.response; // status, content type, signed JSON body
    println!(
        "reply: {} {}",
        reply.status(),
        String::from_utf8_lossy(reply.body())
    );
    Ok(())
}
