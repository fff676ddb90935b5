//! One framework's server with three routes, for wrk: `POST /123pay/notify`, the adapter's
//! notify route (its handler does nothing but answer "updated"); `POST /bare`, the framework's
//! plainest route that reads the body and answers a fixed JSON reply of the same size; and
//! `POST /floor`, the least a notify route written by hand with the same crates must do (see
//! [`floor_reply`]). All run behind the same server settings, so that their ratios are the cost
//! of the notify route, and of the adapter beyond the protocol's own work.
//!
//! ```text
//! bench-route axum|actix|rocket [--listen 127.0.0.1:8080] [--log]
//! ```
//!
//! `--log` installs an info-level `tracing_subscriber::fmt` on stderr (one span and one event
//! per notify).

use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use pay123_core::{Credentials, Notify, NotifyListener, NotifyOutcome};

/// The reply the bare route answers: the size of a real one.
const BARE_REPLY: &str = r#"{"mTransactionID":"B1764576000-12345","returnCode":"1","ts":"1764576000123","checksum":"0123456789abcdef0123456789abcdef01234567"}"#;

#[derive(Parser)]
struct Args {
    /// The framework.
    framework: Framework,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Install an info-level log subscriber (on stderr).
    #[arg(long)]
    log: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Framework {
    Axum,
    Actix,
    Rocket,
}

/// The listener, with a `ts` window of a day: the bodies are signed once, before runs that last
/// longer than the default five minutes, and every one must be verified and answered `1` (the
/// window is one comparison either way).
fn listener() -> NotifyListener {
    NotifyListener::new(Credentials::sandbox().secret_key().clone())
        .with_window(Duration::from_secs(24 * 3600))
}

async fn updated(_notify: Notify) -> NotifyOutcome {
    NotifyOutcome::Updated
}

/// The reply of the floor route, as serde_json writes it.
#[derive(serde::Serialize)]
struct FloorReply<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    #[serde(rename = "returnCode")]
    return_code: &'a str,
    ts: &'a str,
    checksum: &'a str,
}

/// The floor of a notify route: what a route written by hand with the same crates does at the
/// least. The form into owned pairs (`form_urlencoded`), one SHA1 of `mTransactionID + bankCode +
/// transactionStatus + ts + key`, hex, compare; then `1` (or `-1`) signed the same way and
/// written by serde_json. No rule of the specification is checked, no `ts` window, no span,
/// no event: everything the adapter does beyond this is its own cost.
fn floor_reply(body: &[u8]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    static KEY: LazyLock<String> = LazyLock::new(|| {
        Credentials::sandbox()
            .secret_key()
            .expose_secret()
            .to_owned()
    });
    let key = KEY.as_str();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let sha1_hex = |parts: &[&str]| {
        let mut h = Sha1::new();
        for p in parts {
            h.update(p.as_bytes());
        }
        hex::encode(h.finalize())
    };
    let id = get("mTransactionID");
    let expected = sha1_hex(&[
        id,
        get("bankCode"),
        get("transactionStatus"),
        get("ts"),
        key,
    ]);
    // `==` is the floor's least work; a real listener compares in constant time (the core
    // does, with `subtle`): do not copy this route.
    let (id, code) = if expected == get("checksum") {
        (id, "1")
    } else {
        ("", "-1")
    };
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string();
    let checksum = sha1_hex(&[id, code, &ts, key]);
    serde_json::to_vec(&FloorReply {
        m_transaction_id: id,
        return_code: code,
        ts: &ts,
        checksum: &checksum,
    })
    .unwrap_or_default()
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.log {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    let result = match args.framework {
        Framework::Axum => axum_server(&args.listen),
        Framework::Actix => actix_server(&args.listen),
        Framework::Rocket => rocket_server(&args.listen),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-route: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A runtime with one worker: the server is pinned to one core by the script.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

fn axum_server(listen: &str) -> Result<(), Box<dyn std::error::Error>> {
    use axum::routing::post;
    runtime()?.block_on(async {
        let app: axum::Router = axum::Router::new()
            .route(
                "/bare",
                post(|_body: bytes::Bytes| async {
                    (
                        [(
                            http::header::CONTENT_TYPE,
                            "application/json; charset=utf-8",
                        )],
                        BARE_REPLY,
                    )
                }),
            )
            .route(
                "/floor",
                post(|body: bytes::Bytes| async move {
                    (
                        [(
                            http::header::CONTENT_TYPE,
                            "application/json; charset=utf-8",
                        )],
                        floor_reply(&body),
                    )
                }),
            )
            .merge(pay123_axum::unconfirmed::notify_router(
                "/123pay/notify",
                listener(),
                |notify: Notify, (): ()| updated(notify),
            ));
        let tcp = tokio::net::TcpListener::bind(listen).await?;
        pay123_axum::server::serve(tcp, app).await?;
        Ok(())
    })
}

fn actix_server(listen: &str) -> Result<(), Box<dyn std::error::Error>> {
    use actix_web::{App, HttpResponse, HttpServer, middleware::from_fn, web};
    use pay123_actix::BodyDeadline;
    use pay123_actix::unconfirmed::notify_service;
    let listen = listen.to_owned();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .wrap(from_fn(
                    BodyDeadline::new(Duration::from_secs(10)).middleware(),
                ))
                .route(
                    "/bare",
                    web::post().to(|_body: web::Bytes| async {
                        HttpResponse::Ok()
                            .content_type("application/json; charset=utf-8")
                            .body(BARE_REPLY)
                    }),
                )
                .route(
                    "/floor",
                    web::post().to(|body: web::Bytes| async move {
                        HttpResponse::Ok()
                            .content_type("application/json; charset=utf-8")
                            .body(floor_reply(&body))
                    }),
                )
                .configure(notify_service(
                    "/123pay/notify",
                    listener(),
                    web::Data::new(()),
                    |notify: Notify, _: web::Data<()>| updated(notify),
                ))
        })
        .workers(1)
        .client_request_timeout(Duration::from_secs(10))
        .bind(listen)?
        .run()
        .await
    })?;
    Ok(())
}

fn rocket_server(listen: &str) -> Result<(), Box<dyn std::error::Error>> {
    use rocket::data::{Data, ToByteUnit};
    use rocket::http::ContentType;

    #[rocket::post("/", data = "<body>")]
    async fn bare(body: Data<'_>) -> (ContentType, &'static str) {
        let _ = body.open(16.kibibytes()).into_bytes().await;
        (ContentType::JSON, BARE_REPLY)
    }

    #[rocket::post("/", data = "<body>")]
    async fn floor(body: Data<'_>) -> (ContentType, Vec<u8>) {
        let body = body.open(16.kibibytes()).into_bytes().await;
        let body = body.map(|b| b.into_inner()).unwrap_or_default();
        (ContentType::JSON, floor_reply(&body))
    }

    runtime()?.block_on(async {
        let addr: std::net::SocketAddr = listen.parse()?;
        let app = rocket::custom(rocket::Config {
            log_level: rocket::config::LogLevel::Off,
            address: addr.ip(),
            port: addr.port(),
            ..rocket::Config::default()
        })
        .manage(())
        .mount("/bare", rocket::routes![bare])
        .mount("/floor", rocket::routes![floor])
        .mount(
            "/123pay/notify",
            pay123_rocket::unconfirmed::notify_routes(
                listener(),
                |notify: Notify, _: &rocket::State<()>| updated(notify),
            ),
        );
        app.launch().await?;
        Ok(())
    })
}
