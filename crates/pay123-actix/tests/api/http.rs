//! Over real HTTP: an actix-web server on loopback with the notify service and the body deadline,
//! the request head and idle timeouts of actix-web's own settings.

use std::time::{Duration, Instant, SystemTime};

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use pay123_actix::BodyDeadline;
use pay123_actix::unconfirmed::notify_service;
use pay123_core::{Notify, NotifyOutcome, NotifyReply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{key, listener, notify};

async fn on_notify(_notify: Notify, _data: web::Data<()>) -> NotifyOutcome {
    NotifyOutcome::Updated
}

/// Serves on a loopback port with short limits; the handle stops it.
fn start() -> (String, actix_web::dev::ServerHandle) {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap().to_string();
    let server = HttpServer::new(|| {
        App::new()
            .wrap(from_fn(
                BodyDeadline::new(Duration::from_millis(500)).middleware(),
            ))
            .configure(notify_service(
                "/123pay/notify",
                listener().with_body_timeout(Duration::from_millis(500)),
                web::Data::new(()),
                on_notify,
            ))
    })
    .workers(1)
    .client_request_timeout(Duration::from_millis(500))
    .keep_alive(Duration::from_millis(500))
    .disable_signals()
    .shutdown_timeout(1)
    .listen(tcp)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, handle)
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_real_http() {
    let (addr, handle) = start();
    // Wait for the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&addr).await.is_err() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let http = pay123_hyper::HyperClient::new();
    let request = notify("ORDER-H").to_http_request(
        &format!("http://{addr}/123pay/notify").parse().unwrap(),
        &key(),
    );
    let before = SystemTime::now();
    let response = http.send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let reply = NotifyReply::from_json(response.body(), &key()).unwrap();
    assert_eq!(reply.return_code().code(), "1");
    assert!(
        reply.ts().parse::<u128>().unwrap()
            >= before
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis()
    );

    // A slow head on a fresh connection is cut.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed.expect("cut") < Duration::from_secs(3));

    // A trickling notify body: 408 from the service.
    let (mut reader, mut writer) = TcpStream::connect(&addr).await.unwrap().into_split();
    let body = notify("ORDER-T").to_form(&key());
    writer
        .write_all(
            format!(
                "POST /123pay/notify HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let trickle = async {
        for byte in body.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    };
    let (answer, _) = tokio::select! {
        read = read_until_closed(&mut reader, Duration::from_secs(5)) => read,
        () = trickle => panic!("the trickling body was waited for"),
    };
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // An idle keep-alive connection is closed.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /123pay/notify HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed.expect("closed") < Duration::from_secs(3));
    handle.stop(false).await;
}

/// Five addresses that take every connection they can and hold them leave room for others: a
/// buyer and 123PAY's notify from addresses that hold nothing are still answered.
#[actix_web::test]
async fn a_handful_of_addresses_cannot_take_every_connection() {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = tcp.local_addr().unwrap();
    let fair = pay123_actix::FairSlots::new(40).max_connections_per_ip(10);
    let server = HttpServer::new(|| App::new().route("/", web::get().to(|| async { "hello" })))
        .workers(1)
        .max_connections(40)
        // Idle connections are not cut during the test: the attackers' stay held.
        .client_request_timeout(Duration::from_secs(120))
        .on_connect(fair.on_connect())
        .disable_signals()
        .shutdown_timeout(1)
        .listen(tcp)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    let from = |ip: String| async move {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap()
    };
    let mut held = Vec::new();
    for attacker in 10..15 {
        for _ in 0..12 {
            let mut stream = from(format!("127.0.0.{attacker}")).await;
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
    assert!(held.len() < 40, "{} held", held.len());
    for ip in ["127.0.0.20", "127.0.0.21", "127.0.0.22"] {
        let mut stream = from(ip.to_owned()).await;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .expect("answered in time")
            .unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{ip}");
    }
    handle.stop(false).await;
}
