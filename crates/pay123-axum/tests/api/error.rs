//! `pay123_axum::Error`: `?` on the core's errors in a handler, answered with a status a client
//! can act on.

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{Method, StatusCode};
use pay123_core::{Client, CreateOrder, Credentials, Endpoints, QueryOrder, ReturnCode};

use crate::support::{body, raw, send};

async fn order_page(answer: &'static str) -> Result<String, pay123_axum::Error> {
    let gateway = move |_request: http::Request<Bytes>| async move {
        if answer == "refused" {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "refused",
            ));
        }
        Ok(pay123_core::error_response(
            &ReturnCode::from_code(answer),
            "x",
        ))
    };
    let client = Client::new(gateway, Credentials::sandbox(), Endpoints::sandbox());
    let status = client.query_order(&QueryOrder::new("ORDER-1")?).await?;
    Ok(status.status().code().to_owned())
}

async fn bad_order() -> Result<String, pay123_axum::Error> {
    let order = CreateOrder::builder("ORDER 1", 1000, "https://shop.vn/").build()?;
    Ok(order.m_transaction_id().to_owned())
}

#[tokio::test]
async fn errors_become_responses() {
    let app = Router::new()
        .route("/busy", get(|| order_page("5000")))
        .route("/auth", get(|| order_page("6000")))
        .route("/down", get(|| order_page("refused")))
        .route("/bad", get(bad_order));
    for (path, status, first_line) in [
        ("/busy", StatusCode::SERVICE_UNAVAILABLE, "Hệ thống bận"),
        (
            "/auth",
            StatusCode::BAD_GATEWAY,
            "Xác thực đối tác thất bại",
        ),
        (
            "/down",
            StatusCode::SERVICE_UNAVAILABLE,
            "Không kết nối được với 123PAY",
        ),
        ("/bad", StatusCode::BAD_REQUEST, "Thông tin không hợp lệ"),
    ] {
        let response = send(app.clone(), raw(Method::GET, path, "")).await;
        assert_eq!(response.status(), status, "{path}");
        let text = String::from_utf8(body(response).await.to_vec()).unwrap();
        assert_eq!(text.lines().next(), Some(first_line), "{path}: {text}");
        assert!(
            !text.contains("MIKEY") && !text.contains("MIPASSCODE"),
            "{text}"
        );
    }
    let response = send(app, raw(Method::GET, "/bad", "")).await;
    let text = String::from_utf8(body(response).await.to_vec()).unwrap();
    assert!(text.contains("mTransactionID"), "{text}");
}
