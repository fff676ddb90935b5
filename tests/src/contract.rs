//! The shop's HTTP contract, the same for every framework: routes, status codes, headers, page
//! ids and the JSON view; and the limits of its server: slow and idle connections are cut.

use std::time::{Duration, Instant};

use http::{Method, StatusCode, header};
use pay123_core::BankCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::scenarios::{checkout, wait_order};
use crate::world::{BODY_TIMEOUT, HEADER_TIMEOUT, Launcher, WRITE_TIMEOUT, World};

fn request(method: Method, url: &str) -> http::request::Builder {
    http::Request::builder().method(method).uri(url)
}

/// The product page, the checkout's answers, the order page and its JSON, and what unknown
/// routes and methods get.
pub async fn http_contract<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let shop = world.shop_url.clone();
    let buyer = &world.buyer;

    // GET /: a buy button per product, and every bank.
    let page = buyer.get(&format!("{shop}/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.contains(r#"action="/checkout""#));
    for product in shop::CATALOG {
        assert!(
            page.contains(&format!(r#"id="buy-{}""#, product.id)),
            "{}",
            product.id
        );
        assert!(page.contains(product.name));
    }
    assert!(page.contains("450.000 ₫"));
    assert!(page.contains("123PAY: chọn ngân hàng tại 123PAY"));
    for bank in BankCode::BANKS {
        assert!(
            page.contains(&format!(r#"value="{}""#, bank.code())),
            "{bank}"
        );
    }

    // POST /checkout answering JSON.
    let answer = buyer
        .send(
            request(Method::POST, &format!("{shop}/checkout"))
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(bytes::Bytes::from_static(
                    b"product_id=non-la&bank_code=123PVCB",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let id = body["mTransactionID"].as_str().unwrap().to_owned();
    assert_eq!(answer.headers[shop::web::ORDER_ID_HEADER], id.as_str());
    assert_eq!(
        answer.headers[header::LOCATION],
        body["redirectURL"].as_str().unwrap()
    );
    assert!(
        answer
            .location()
            .unwrap()
            .starts_with(&world.sandbox.base_url())
    );

    // Bad forms record nothing.
    let before = world.sandbox.transactions().len();
    for (form, status) in [
        (&[("product_id", "xe-may")][..], StatusCode::NOT_FOUND),
        (&[("bank_code", "123PVCB")][..], StatusCode::BAD_REQUEST),
        (
            &[("product_id", "ao-dai"), ("bank_code", "JCB")][..],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let answer = buyer.post_form(&format!("{shop}/checkout"), form).await;
        assert_eq!(answer.status, status, "{form:?}: {}", answer.body);
        assert!(answer.headers.get(shop::web::ORDER_ID_HEADER).is_none());
    }
    let big = "a".repeat(shop::web::MAX_FORM_BODY);
    let answer = buyer
        .post_form(
            &format!("{shop}/checkout"),
            &[("product_id", "ao-dai"), ("x", &big)],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(world.sandbox.transactions().len(), before);

    // The order's JSON and page.
    let order = world.order(&id).await;
    assert_eq!(order["mTransactionID"], id.as_str());
    assert_eq!(order["status"], "pending");
    assert_eq!(order["paid"], false);
    assert_eq!(order["amount"], 85_000);
    assert_eq!(order["productId"], "non-la");
    assert_eq!(order["bankCode"], "123PVCB");
    let t = world.sandbox.transaction(&id).unwrap();
    assert_eq!(order["123PAYtransactionId"], t.transaction_id.as_str());
    assert_eq!(order["history"][0]["status"], "creating");
    assert_eq!(order["history"][1]["source"], "create_order");
    let page = buyer.get(&format!("{shop}/orders/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text_of("order-id").as_deref(), Some(id.as_str()));
    assert_eq!(page.text_of("order-status").as_deref(), Some("pending"));
    assert_eq!(page.text_of("paid").as_deref(), Some("no"));
    assert_eq!(page.text_of("amount").as_deref(), Some("85.000 ₫"));

    // A return without any order named.
    let page = buyer.get(&format!("{shop}/return")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.contains(r#"id="order-not-found""#));

    // Unknown routes, unknown orders and other methods.
    for (method, path, status) in [
        (Method::GET, "/nothing", StatusCode::NOT_FOUND),
        (Method::GET, "/orders/SHOP-NOT-HERE", StatusCode::NOT_FOUND),
        (Method::GET, "/checkout", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/", StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/return", StatusCode::METHOD_NOT_ALLOWED),
        (Method::DELETE, "/orders/x", StatusCode::METHOD_NOT_ALLOWED),
        (
            Method::PUT,
            "/123pay/notify",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let answer = buyer
            .send(
                request(method.clone(), &format!("{shop}{path}"))
                    .body(bytes::Bytes::new())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, status, "{method} {path}");
    }
    let missing = buyer
        .send(
            request(Method::GET, &format!("{shop}/orders/SHOP-NOT-HERE"))
                .header(header::ACCEPT, "application/json")
                .body(bytes::Bytes::new())
                .unwrap(),
        )
        .await;
    let body: serde_json::Value = serde_json::from_str(&missing.body).unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["mTransactionID"].is_null());
    // The page of a paid order.
    let (paid, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    drop(page);
    world
        .sandbox
        .force_status(&paid, pay123_core::TransactionStatus::Success)
        .unwrap();
    wait_order(&world, &paid, |o| o["paid"] == true).await;
    let page = buyer.get(&format!("{shop}/orders/{paid}")).await;
    assert_eq!(page.text_of("order-status").as_deref(), Some("paid"));
    assert!(page.contains("Đã thanh toán"));
}

/// Reads until the server closes the connection (or `limit` passes): what was read and when.
async fn read_until_closed(
    stream: &mut (impl AsyncReadExt + Unpin),
    limit: Duration,
) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&read).into_owned(), None),
            Ok(Ok(0) | Err(_)) => {
                return (
                    String::from_utf8_lossy(&read).into_owned(),
                    Some(started.elapsed()),
                );
            }
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
        }
    }
}

/// A slowloris head, a trickling notify body and an idle keep-alive connection are cut within
/// the configured times; a thousand idle connections leave the shop reachable.
pub async fn slow_and_idle_connections_are_cut<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let addr = world.shop_url.trim_start_matches("http://").to_owned();
    let cut = HEADER_TIMEOUT.max(BODY_TIMEOUT).max(WRITE_TIMEOUT) * 3;

    // A head that never ends.
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut stream, cut * 2).await;
    let closed = closed.expect("a slowloris head is cut");
    assert!(closed < cut, "cut after {closed:?}");

    // A notify body at one byte every 200 ms: cut (408, or closed) while it trickles.
    let (mut reader, mut writer) = TcpStream::connect(&addr).await.unwrap().into_split();
    let body = "mTransactionID=SLOW-1&bankCode=123PVCB&transactionStatus=1&ts=1&checksum=00";
    let head = format!(
        "POST /123pay/notify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for byte in body.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    };
    let (answer, _) = tokio::select! {
        read = read_until_closed(&mut reader, cut * 2) => read,
        () = trickle => panic!("the trickling body was waited for"),
    };
    assert!(started.elapsed() < cut, "cut after {:?}", started.elapsed());
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "a trickling body is answered 408 or closed: {answer}"
    );

    // A GET with a chunked body that never ends: answered, and the connection closed, not held
    // while the server waits for the rest of a body no route reads.
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut stream, cut * 2).await;
    let closed = closed.expect("a never-ending body no route reads does not hold the connection");
    assert!(closed < cut, "cut after {closed:?}: {answer}");

    // An idle keep-alive connection.
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut stream, cut * 2).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed.expect("an idle connection is closed") < cut);

    // A client that pipelines requests and reads none of the answers: the connection is closed
    // once the answers have filled the socket's buffers and made no progress for a while,
    // long before every answer is written.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    const PIPELINED: usize = 20_000;
    let pipeline = tokio::spawn(async move {
        let requests = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(PIPELINED);
        let _ = writer.write_all(&requests).await;
        writer
    });
    tokio::time::sleep(cut).await;
    let (answers, closed) = read_until_closed(&mut reader, cut * 4).await;
    let answered = answers.matches("HTTP/1.1 200").count();
    assert!(closed.is_some(), "a client that reads nothing is cut");
    assert!(
        answered < PIPELINED,
        "every one of {PIPELINED} pipelined answers waited for a client that read none"
    );
    pipeline.abort();

    // A thousand idle connections while the shop answers (from 127.0.0.2, the buyer being on
    // 127.0.0.1: a server may cap the connections of one address).
    rlimit::increase_nofile_limit(8192).expect("a higher open files limit");
    let mut idle = Vec::new();
    for _ in 0..1000 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        idle.push(socket.connect(addr.parse().unwrap()).await.unwrap());
    }
    let page = world.buyer.get(&format!("{}/", world.shop_url)).await;
    assert_eq!(page.status, StatusCode::OK);
    drop(idle);
}

/// Behind the reverse proxy the buyer's address is the one nginx saw, for createOrder's
/// `clientIP` and the checkout limit: the shop trusts `X-Forwarded-For` from nginx's address
/// only, and a buyer who writes the header gains nothing.
pub async fn the_buyers_address_through_the_proxy<L: Launcher>(launcher: &L) {
    let world = World::start_with(launcher, |_| {}, |s| s.checkouts_per_minute = 3).await;
    assert!(world.nginx.is_some(), "a test of the proxied shop");
    let spoofed = |ip: &'static str| {
        http::Request::post(format!("{}/checkout", world.shop_url))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", ip)
            .body(bytes::Bytes::from_static(
                b"product_id=ao-dai&bank_code=123PVCB",
            ))
            .expect("a request")
    };
    // nginx reaches the shop from 127.0.0.2; the buyer is 127.0.0.1, whatever it writes.
    let answer = world.buyer.send(spoofed("203.0.113.66")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer
        .headers
        .get(shop::web::ORDER_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .expect("the order id")
        .to_owned();
    let created = world.sandbox.transaction(&id).expect("created at 123PAY");
    assert_eq!(
        created.client_ip,
        Some(std::net::Ipv4Addr::LOCALHOST),
        "{created:?}"
    );
    // The buyer's own allowance (3 a minute), not one shared through nginx's address, and not
    // a fresh one for each address the buyer writes.
    for n in 0..2 {
        let answer = world
            .buyer
            .send(spoofed(["198.51.100.1", "198.51.100.2"][n]))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    }
    let answer = world.buyer.send(spoofed("198.51.100.3")).await;
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
}
