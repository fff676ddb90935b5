//! Over real HTTP: a rocket app served by `pay123_rocket::serve`, with its timeouts.

use std::time::{Duration, Instant, SystemTime};

use pay123_core::{Notify, NotifyOutcome, NotifyReply};
use pay123_rocket::unconfirmed::notify_routes;
use pay123_rocket::{Limits, serve};
use rocket::{State, get, routes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{key, listener, notify};

async fn on_notify(_notify: Notify, _state: &State<()>) -> NotifyOutcome {
    NotifyOutcome::Updated
}

#[get("/peer")]
fn peer(addr: std::net::SocketAddr) -> String {
    addr.ip().to_string()
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
    let rocket = rocket::build()
        .configure(rocket::Config {
            log_level: rocket::config::LogLevel::Off,
            ..rocket::Config::debug_default()
        })
        .manage(())
        .mount("/", routes![peer])
        .mount("/123pay/notify", notify_routes(listener(), on_notify));
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap().to_string();
    let limits = Limits::default()
        .header_timeout(Duration::from_millis(500))
        .body_timeout(Duration::from_millis(500));
    let server = serve(rocket, tcp).await.unwrap().limits(limits);
    tokio::spawn(server.into_future());

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
    // The peer's address reaches rocket's guards.
    let response = http
        .send(
            http::Request::get(format!("http://{addr}/peer"))
                .body(bytes::Bytes::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.body().as_ref(), b"127.0.0.1");

    // A slow head is cut.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed.expect("cut") < Duration::from_secs(3));

    // A trickling body: 408, before rocket sees the request.
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
}
