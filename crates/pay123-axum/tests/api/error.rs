//! `pay123_axum::Error`: `?` on the core's errors in a handler, answered with a status a client
//! can act on.

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{Method, StatusCode, header};
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
        Ok(pay123_core::gateway::error_response(
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
        .route("/limit", get(|| order_page("6212")))
        .route("/down", get(|| order_page("refused")))
        .route("/bad", get(bad_order));
    for (path, status, first_line) in [
        (
            "/busy",
            StatusCode::SERVICE_UNAVAILABLE,
            "Hệ thống bận (mã 5000). Vui lòng thử lại sau ít phút.",
        ),
        // The merchant's own mistakes are a 500 that blames nobody.
        (
            "/auth",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cửa hàng gặp lỗi hệ thống (mã 6000). Vui lòng thử lại sau hoặc liên hệ cửa hàng.",
        ),
        (
            "/limit",
            StatusCode::BAD_GATEWAY,
            "Vượt quá giới hạn thanh toán / giao dịch (mã 6212). Vui lòng liên hệ cửa hàng.",
        ),
        (
            "/down",
            StatusCode::SERVICE_UNAVAILABLE,
            "Không kết nối được với 123PAY. Vui lòng thử lại sau ít phút.",
        ),
        (
            "/bad",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cửa hàng gặp lỗi hệ thống (mã invalid_request). Vui lòng thử lại sau hoặc liên hệ cửa hàng.",
        ),
    ] {
        let response = send(app.clone(), raw(Method::GET, path, "")).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
            "{path}"
        );
        let text = String::from_utf8(body(response).await.to_vec()).unwrap();
        assert_eq!(text.lines().next(), Some(first_line), "{path}: {text}");
        assert!(
            !text.contains("MIKEY") && !text.contains("MIPASSCODE"),
            "{text}"
        );
        assert!(!text.contains("Xác thực"), "{text}");
    }
    // The field that broke the rule is the operator's to read, in the log, not the buyer's.
    let response = send(app, raw(Method::GET, "/bad", "")).await;
    let text = String::from_utf8(body(response).await.to_vec()).unwrap();
    assert!(!text.contains("mTransactionID"), "{text}");
}

#[tokio::test]
async fn an_api_client_gets_json_when_the_router_negotiates() {
    let app = Router::new()
        .route("/busy", get(|| order_page("5000")))
        .route("/fine", get(|| async { "fine" }))
        // A header set inside (a request id, CORS...) stays when the body becomes JSON.
        .layer(axum::middleware::from_fn(
            |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let mut response = next.run(request).await;
                let id = http::HeaderValue::from_static("req-7");
                response.headers_mut().insert("x-request-id", id);
                response
            },
        ))
        .layer(axum::middleware::from_fn(pay123_axum::negotiate_errors));
    let ask = |accept: &str| {
        http::Request::get("/busy")
            .header(header::ACCEPT, accept)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let response = send(app.clone(), ask("application/json")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(response.headers()["x-request-id"], "req-7");
    let json: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
    assert_eq!(json["error"], "5000");
    assert_eq!(json["retryable"], true);
    assert!(
        json["messageVi"]
            .as_str()
            .unwrap()
            .starts_with("Hệ thống bận")
    );
    assert!(
        json["messageEn"]
            .as_str()
            .unwrap()
            .starts_with("System busy")
    );
    // A browser gets text; other answers pass untouched.
    let response = send(app.clone(), ask("text/html,*/*;q=0.8")).await;
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let fine = http::Request::get("/fine")
        .header(header::ACCEPT, "application/json")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(&body(send(app, fine).await).await[..], b"fine");
}
