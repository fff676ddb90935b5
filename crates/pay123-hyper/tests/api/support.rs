//! Test servers on 127.0.0.1 with ephemeral ports.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::serve::ListenerExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An axum server that counts the TCP connections it accepts.
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl TestServer {
    pub(crate) async fn start(router: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let listener = listener.tap_io(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { addr, accepted }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A port that was bound and is closed again: connecting to it is refused.
pub(crate) async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A raw TCP server: for each connection, reads the request head (or the first bytes of a TLS
/// handshake), then writes `answer` as it is and, with `close`, closes the connection. With
/// `answer` `None`, it keeps the connection open and says nothing.
pub(crate) async fn raw_server(answer: Option<&'static [u8]>, close: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve_raw(stream, answer, close));
        }
    });
    addr
}

async fn serve_raw(mut stream: TcpStream, answer: Option<&'static [u8]>, close: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    let Some(answer) = answer else {
        // Say nothing until the client gives up.
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                return;
            }
        }
        return;
    };
    // Wait for the end of the request head, or for any bytes of a TLS handshake (0x16).
    let mut read = 0;
    loop {
        match stream.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => read += n,
        }
        if buf[0] == 0x16 || buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let _ = stream.write_all(answer).await;
    let _ = stream.flush().await;
    if close {
        return;
    }
    // Keep the connection open until the client closes it.
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}
