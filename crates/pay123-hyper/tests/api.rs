//! pay123-hyper against real HTTP servers on 127.0.0.1.

#[path = "api/support.rs"]
mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request as AxumRequest;
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use http::{Method, Request, header};
use pay123_core::test_util::FakeGateway;
use pay123_core::{
    ClientError, CreateOrder, CreatedOrder, Credentials, Endpoints, QueryOrder, ResponseError,
    ReturnCode, TransactionStatus,
};
use pay123_hyper::{HyperClient, Pay123Client, TransportError};

use support::{TestServer, closed_port, raw_server};

fn get_request(url: &str) -> Request<Bytes> {
    Request::get(url).body(Bytes::new()).unwrap()
}

fn short_timeouts() -> HyperClient {
    HyperClient::builder()
        .connect_timeout(Duration::from_secs(5))
        .request_timeout(Duration::from_millis(300))
        .build()
}

// --- the transport --------------------------------------------------------------------------

#[tokio::test]
async fn round_trip_sends_method_headers_and_body() {
    let router = Router::new().route(
        "/echo",
        post(|request: AxumRequest| async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1024).await.unwrap();
            let header = |name| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            format!(
                "{} {} accept={} ua={} host={} body={}",
                parts.method,
                parts.uri,
                header(header::ACCEPT),
                header(header::USER_AGENT),
                header(header::HOST),
                String::from_utf8_lossy(&body),
            )
        }),
    );
    let server = TestServer::start(router).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(server.url("/echo?x=1"))
        .header(header::ACCEPT, "application/json")
        .body(Bytes::from_static(b"{\"a\":\"1\"}"))
        .unwrap();
    let response = HyperClient::new().send(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(
        body,
        format!(
            "POST /echo?x=1 accept=application/json ua=pay123/{} host={} body={{\"a\":\"1\"}}",
            env!("CARGO_PKG_VERSION"),
            server.addr
        )
    );
}

#[tokio::test]
async fn a_status_other_than_200_is_returned_with_its_body() {
    let router = Router::new().route(
        "/busy",
        get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "try later") }),
    );
    let server = TestServer::start(router).await;
    let response = HyperClient::new()
        .send(get_request(&server.url("/busy")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.body().as_ref(), b"try later");
}

#[tokio::test]
async fn clones_share_one_pool_and_reuse_the_connection() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let server = TestServer::start(router).await;
    let client = HyperClient::new();
    const REQUESTS: usize = 10;
    for _ in 0..REQUESTS {
        let response = client
            .clone()
            .send(get_request(&server.url("/")))
            .await
            .unwrap();
        assert_eq!(response.body().as_ref(), b"ok");
    }
    // Without a pool every request opens a connection. With one, a request that starts while
    // the previous connection is on its way back to the pool may open one more connection
    // (hyper-util races the pool against a new connect); after that, one is always idle. On
    // the test's one-thread runtime the pool wins, so this is 1 in practice.
    let accepted = server.accepted();
    assert!(
        (1..=2).contains(&accepted),
        "{accepted} connections for {REQUESTS} sequential requests"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_a_timeout() {
    let addr = raw_server(None, false).await;
    let url = format!("http://{addr}/miservice/queryOrder1");
    let error = short_timeouts().send(get_request(&url)).await.unwrap_err();
    assert!(
        matches!(&error, TransportError::Timeout { timeout, .. } if *timeout == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_timeout());
    assert!(!error.is_not_sent());
    assert_eq!(error.url(), url);
    assert!(error.to_string().contains("no response from"), "{error}");
}

#[tokio::test]
async fn the_timeout_covers_reading_the_body() {
    // The head arrives at once, the body never does.
    let addr = raw_server(
        Some(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nten bytes."),
        false,
    )
    .await;
    let error = short_timeouts()
        .send(get_request(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error:?}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let port = closed_port().await;
    let url = format!("http://127.0.0.1:{port}/miservice/createOrder1");
    let error = HyperClient::new()
        .send(get_request(&url))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
    assert!(error.is_not_sent());
    assert!(!error.is_timeout());
    assert_eq!(error.url(), url);
    // The cause is in the chain, said once, not only "client error (Connect)".
    let text = pay123_core::ErrorChain(&error).to_string();
    assert!(text.contains("refused"), "{text}");
    assert_eq!(text.matches("refused").count(), 1, "{text}");
}

#[tokio::test]
async fn an_https_url_on_a_closed_port_is_a_connect_error() {
    let port = closed_port().await;
    let url = format!("https://127.0.0.1:{port}/miservice/createOrder1");
    let error = HyperClient::new()
        .send(get_request(&url))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Connect { .. }), "{error:?}");
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_is_a_tls_error() {
    // A plain HTTP server answering the TLS ClientHello with an HTTP error.
    let addr = raw_server(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"), false).await;
    let url = format!("https://{addr}/miservice/createOrder1");
    let error = HyperClient::new()
        .send(get_request(&url))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    assert!(error.is_not_sent());
    assert!(
        error.to_string().starts_with("TLS handshake with"),
        "{error}"
    );
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_body_too_large() {
    let router = Router::new()
        .route("/big", get(|| async { vec![b'x'; 1001] }))
        .route("/fits", get(|| async { vec![b'x'; 1000] }));
    let server = TestServer::start(router).await;
    let client = HyperClient::builder().max_body_bytes(1000).build();
    let error = client
        .send(get_request(&server.url("/big")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::BodyTooLarge { limit: 1000, .. }),
        "{error:?}"
    );
    let response = client
        .send(get_request(&server.url("/fits")))
        .await
        .unwrap();
    assert_eq!(response.body().len(), 1000);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_body_too_large() {
    // No content-length: the limit applies while reading.
    let addr = raw_server(
        Some(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
              10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
        ),
        false,
    )
    .await;
    let client = HyperClient::builder().max_body_bytes(20).build();
    let error = client
        .send(get_request(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::BodyTooLarge { limit: 20, .. }),
        "{error:?}"
    );
    let client = HyperClient::builder().max_body_bytes(32).build();
    let response = client
        .send(get_request(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(
        response.body().as_ref(),
        b"0123456789abcdef0123456789abcdef"
    );
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_an_http_error() {
    let addr = raw_server(
        Some(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nten bytes."),
        true,
    )
    .await;
    let error = HyperClient::new()
        .send(get_request(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Http { .. }), "{error:?}");
    assert!(!error.is_not_sent());
}

// --- through the core's Client ------------------------------------------------------------

/// The core's fake 123PAY behind `/miservice/{createOrder1,queryOrder1}`, and a gateway too old
/// to speak JSON behind `/old`.
fn gateway(fake: &FakeGateway) -> Router {
    let fake = fake.clone();
    Router::new()
        .route(
            "/miservice/{method}",
            post(move |request: AxumRequest| async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 64 * 1024).await.unwrap();
                fake.answer(&Request::from_parts(parts, body))
                    .map(Body::from)
            }),
        )
        .route(
            "/old/createOrder1",
            post(|| async { (StatusCode::UNSUPPORTED_MEDIA_TYPE, "no json") }),
        )
}

fn sandbox_gateway() -> FakeGateway {
    FakeGateway::new(Credentials::sandbox())
}

fn order() -> CreateOrder {
    CreateOrder::builder("ORDER-1", 100_000, "http://127.0.0.1:3000/return")
        .client_ip("127.0.0.1")
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_order_and_query_order_through_the_client() {
    let fake = sandbox_gateway();
    let server = TestServer::start(gateway(&fake)).await;
    let endpoints = Endpoints::from_base(&server.url("/miservice")).unwrap();
    let client: Pay123Client = pay123_hyper::client(Credentials::sandbox(), endpoints);
    let created = client.create_order(&order()).await.unwrap();
    assert_eq!(
        created,
        CreatedOrder::new(
            "123P0000000001",
            "https://sandbox.123pay.vn/banksim/ORDER-1.123P0000000001.html"
        )
    );
    assert_eq!(
        fake.created("ORDER-1").map(|(_, answer)| answer),
        Some(created)
    );
    fake.set_status("ORDER-1", TransactionStatus::Success);
    let status = client
        .query_order(&QueryOrder::new("ORDER-1").unwrap())
        .await
        .unwrap();
    assert!(status.status().is_success());
    assert_eq!(status.total_amount_vnd(), Some(100_000));
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_gateway_side() {
    let server = TestServer::start(gateway(&sandbox_gateway())).await;
    let endpoints = Endpoints::from_base(&server.url("/miservice")).unwrap();
    let wrong = Credentials::new("MICODE", "MIPASSCODE", "OTHERKEY").unwrap();
    let error = pay123_hyper::client(wrong, endpoints)
        .create_order(&order())
        .await
        .unwrap_err();
    assert_eq!(error.return_code(), Some(&ReturnCode::AuthenticationFailed));
}

#[tokio::test]
async fn a_gateway_error_code_comes_through_the_client() {
    let fake = sandbox_gateway();
    fake.fail_create_order(Some(ReturnCode::Busy));
    let server = TestServer::start(gateway(&fake)).await;
    let endpoints = Endpoints::from_base(&server.url("/miservice")).unwrap();
    let error = pay123_hyper::client(Credentials::sandbox(), endpoints)
        .create_order(&order())
        .await
        .unwrap_err();
    assert_eq!(error.return_code(), Some(&ReturnCode::Busy));
    assert!(TransportError::of(&error).is_none());
}

#[tokio::test]
async fn an_http_status_is_reported_by_the_core_parser() {
    let server = TestServer::start(gateway(&sandbox_gateway())).await;
    let endpoints = Endpoints::from_base(&server.url("/old")).unwrap();
    let error = pay123_hyper::client(Credentials::sandbox(), endpoints)
        .create_order(&order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ClientError::Response(ResponseError::Status { status, body })
                if *status == StatusCode::UNSUPPORTED_MEDIA_TYPE && body == "no json"
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_transport_error_is_found_in_the_client_error() {
    let port = closed_port().await;
    let endpoints = Endpoints::from_base(&format!("http://127.0.0.1:{port}/miservice")).unwrap();
    let error = pay123_hyper::client(Credentials::sandbox(), endpoints)
        .create_order(&order())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport { .. }), "{error:?}");
    assert!(error.is_not_sent() && error.is_retryable(), "{error:?}");
    let transport = TransportError::of(&error).expect("a TransportError");
    assert!(matches!(transport, TransportError::Connect { .. }));
    // The passcode and the key never appear in an error.
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains("MIPASSCODE") && !text.contains("MIKEY"),
        "{text}"
    );
}

// --- tracing ----------------------------------------------------------------------------------

#[tokio::test]
async fn each_call_is_traced_without_the_body() {
    let logs = pay123_core::test_util::logs();

    let server = TestServer::start(gateway(&sandbox_gateway())).await;
    let endpoints = Endpoints::from_base(&server.url("/miservice")).unwrap();
    pay123_hyper::client(Credentials::sandbox(), endpoints)
        .create_order(&order())
        .await
        .unwrap();
    let port = closed_port().await;
    let endpoints = Endpoints::from_base(&format!("http://127.0.0.1:{port}/traced")).unwrap();
    pay123_hyper::client(Credentials::sandbox(), endpoints)
        .create_order(&order())
        .await
        .unwrap_err();

    let line = |needles: &[&str]| {
        logs.line(needles)
            .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", logs.text()))
    };
    let logs = logs.text();
    let ok = line(&["response", "/miservice/createOrder1"]);
    for field in [
        "pay123.http",
        "method=POST",
        "path=\"/miservice/createOrder1\"",
        "status=200",
        "elapsed_ms=",
    ] {
        assert!(ok.contains(field), "{field} missing: {ok}");
    }
    let failed = line(&["request failed", "path=\"/traced/createOrder1\""]);
    assert!(failed.contains("could not connect"), "{failed}");
    assert!(failed.contains("refused"), "{failed}");
    assert!(
        !logs.contains("MIPASSCODE") && !logs.contains("MIKEY"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_request_timeout_from_the_core_shortens_the_clients() {
    let addr = raw_server(None, false).await;
    let endpoints = Endpoints::from_base(&format!("http://{addr}/miservice")).unwrap();
    let client = pay123_hyper::client(Credentials::sandbox(), endpoints);
    let started = std::time::Instant::now();
    let error = client
        .query_order_within(
            &pay123_core::QueryOrder::new("ORDER-1").unwrap(),
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        matches!(TransportError::of(&error), Some(TransportError::Timeout { timeout, .. }) if *timeout == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

mod server {
    //! The server's cap on the connections of one address.

    use std::net::SocketAddr;
    use std::time::Duration;

    use bytes::Bytes;
    use http::{Request, Response};
    use http_body_util::Full;
    use pay123_hyper::server::{Handler, Limits, RequestBody};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpSocket, TcpStream};

    #[derive(Clone)]
    struct Hello;

    impl Handler for Hello {
        type Body = Full<Bytes>;
        async fn call(&self, _: Request<RequestBody>, _: SocketAddr) -> Response<Full<Bytes>> {
            Response::new(Full::new(Bytes::from_static(b"hello")))
        }
    }

    async fn from(ip: &str, server: SocketAddr) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        socket.connect(server).await.unwrap()
    }

    /// Whether the server closes the connection (EOF) within a second, without a request.
    async fn closed_at_once(stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 16];
        matches!(
            tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    async fn answered(stream: &mut TcpStream) -> bool {
        if stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_err()
        {
            return false;
        }
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await,
            Ok(Ok(n)) if buf[..n].starts_with(b"HTTP/1.1 200")
        )
    }

    /// The hello server with these limits (and trusted proxies), on a free loopback port.
    async fn hello_with(limits: Limits, proxies: Option<&str>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut serve = pay123_hyper::server::serve(listener, Hello).limits(limits);
        if let Some(proxies) = proxies {
            serve = serve.trusted_proxies(proxies.parse().unwrap());
        }
        tokio::spawn(serve.into_future());
        addr
    }

    #[tokio::test]
    async fn one_address_cannot_take_every_connection() {
        let limits = Limits::default()
            .max_connections(64)
            .max_connections_per_ip(3);
        let addr = hello_with(limits, None).await;
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(from("127.0.0.3", addr).await);
        }
        // The fourth from the same address is closed at once; another address is served.
        let mut fourth = from("127.0.0.3", addr).await;
        assert!(closed_at_once(&mut fourth).await);
        let mut other = from("127.0.0.4", addr).await;
        assert!(answered(&mut other).await);
        // The held ones are served, and once one ends, the address may connect again.
        assert!(answered(&mut held[0]).await);
        drop(held.remove(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut again = from("127.0.0.3", addr).await;
        assert!(answered(&mut again).await);
    }

    /// Five addresses that take every connection they can and hold them (as a handful of
    /// attackers did, with a per-address cap of a quarter) leave room for others: a buyer and
    /// 123PAY's notify from addresses that hold nothing are still served.
    #[tokio::test]
    async fn a_handful_of_addresses_cannot_take_every_connection() {
        // Idle connections are not cut during the test: the attackers' stay held.
        let limits = Limits::default()
            .max_connections(40)
            .header_timeout(Duration::from_secs(120));
        assert_eq!(limits.max_connections_per_ip, 10);
        let addr = hello_with(limits, None).await;
        let mut held = Vec::new();
        for attacker in 10..15 {
            for _ in 0..12 {
                let mut stream = from(&format!("127.0.0.{attacker}"), addr).await;
                let mut buf = [0u8; 1];
                let closed = matches!(
                    tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await,
                    Ok(Ok(0) | Err(_))
                );
                if !closed {
                    held.push(stream);
                }
            }
        }
        // Every connection the server kept is served; together they hold less than all.
        assert!(held.len() < 40, "{} held", held.len());
        for (buyer, notify) in [("127.0.0.20", "127.0.0.21"), ("127.0.0.22", "127.0.0.23")] {
            let mut buyer = from(buyer, addr).await;
            assert!(answered(&mut buyer).await, "a buyer is served");
            let mut notify = from(notify, addr).await;
            assert!(answered(&mut notify).await, "a notify is served");
        }
    }

    /// A trusted proxy carries many clients: the per-address rules do not hold it back.
    #[tokio::test]
    async fn a_trusted_proxy_is_held_to_the_total_only() {
        let limits = Limits::default()
            .max_connections(64)
            .max_connections_per_ip(3);
        let addr = hello_with(limits, Some("127.0.0.5")).await;
        let mut held = Vec::new();
        for _ in 0..20 {
            held.push(from("127.0.0.5", addr).await);
        }
        for stream in &mut held {
            assert!(answered(stream).await);
        }
        // Anyone else still has the per-address cap.
        let mut others = Vec::new();
        for _ in 0..3 {
            others.push(from("127.0.0.6", addr).await);
        }
        let mut fourth = from("127.0.0.6", addr).await;
        assert!(closed_at_once(&mut fourth).await);
    }
}
