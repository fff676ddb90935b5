//! nginx in front of a shop, as `docs/deploying.md` configures it, with the short limits of the
//! tests: a private instance (`$NGINX`, else Debian's `/usr/sbin/nginx`, installed by
//! `scripts/test`) on a free loopback port, in a temporary directory, stopped when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The nginx binary: `$NGINX`, else Debian's `/usr/sbin/nginx`.
fn binary() -> String {
    std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned())
}

/// A running nginx proxying to one upstream.
pub struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
}

/// The address nginx connects to the shop from: the shop's trusted proxy in the tests.
pub const PROXY_ADDR: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

impl Nginx {
    /// Starts nginx on a free loopback port, proxying to `upstream`, with `timeout` as its
    /// header, body, send and keep-alive timeouts.
    pub fn start(upstream: SocketAddr, timeout: Duration) -> Self {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let dir = tempfile::tempdir().expect("a temporary directory");
            let conf = dir.path().join("nginx.conf");
            std::fs::write(&conf, config(dir.path(), addr, upstream, timeout))
                .expect("nginx.conf is written");
            let mut child = Command::new(binary())
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {} ({e}): install nginx (scripts/test does), or set NGINX",
                        binary()
                    )
                });
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if std::net::TcpStream::connect(addr).is_ok() {
                    return Self { child, addr, dir };
                }
                if child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                    // Another process took the port first: try another.
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("nginx did not start; see its error log above");
    }

    /// Where nginx listens: the shop's public address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// nginx's error log so far.
    #[must_use]
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration of `docs/deploying.md`, with the tests' short `timeout` and paths in
/// `dir`; one process (no master), so that it runs as whoever runs the tests.
fn config(
    dir: &std::path::Path,
    listen: SocketAddr,
    upstream: SocketAddr,
    timeout: Duration,
) -> String {
    let dir = dir.display();
    let t = timeout.as_millis();
    format!(
        "daemon off;
master_process off;
worker_rlimit_nofile 8192;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    client_header_timeout {t}ms;
    client_body_timeout {t}ms;
    send_timeout {t}ms;
    keepalive_timeout {t}ms;
    client_max_body_size 1m;
    limit_conn_zone $binary_remote_addr zone=per_client:10m;

    upstream shop {{ server {upstream}; }}

    server {{
        listen {listen};
        limit_conn per_client 64;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # The shop trusts X-Forwarded-For from this address only (SHOP_TRUSTED_PROXIES): the
        # buyers of the tests come from 127.0.0.1, nginx reaches the shop from 127.0.0.2.
        proxy_bind {PROXY_ADDR};
        proxy_connect_timeout 5s;
        proxy_send_timeout 15s;
        proxy_read_timeout 15s;

        location / {{
            proxy_pass http://shop;
        }}
        # The notify's body goes to the shop as it arrives: the shop's deadline for the whole
        # body cuts one that trickles (nginx times only the gap between two reads).
        location = /123pay/notify {{
            limit_conn per_client 8;
            proxy_request_buffering off;
            proxy_pass http://shop;
        }}
    }}
}}
"
    )
}
