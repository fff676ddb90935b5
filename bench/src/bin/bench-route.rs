//! One framework's server with two routes, for wrk: `POST /123pay/notify`, the adapter's notify
//! route (its handler does nothing but answer "updated"), and `POST /bare`, the framework's
//! plainest route that reads the body and answers a fixed JSON reply of the same size. Both run
//! behind the same server settings, so that their ratio is the cost of the notify route.
//!
//! ```text
//! bench-route axum|actix|rocket [--listen 127.0.0.1:8080] [--log]
//! ```
//!
//! `--log` installs an info-level `tracing_subscriber::fmt` on stderr (one span and one event
//! per notify).

use std::process::ExitCode;
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
            .merge(pay123_axum::notify_router(
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
    use pay123_actix::{BodyDeadline, notify_service};
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
                .configure(notify_service(
                    "/123pay/notify",
                    listener(),
                    |notify: Notify, _: web::Data<()>| updated(notify),
                ))
                .app_data(web::Data::new(()))
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

    runtime()?.block_on(async {
        let app = rocket::custom(rocket::Config {
            log_level: rocket::config::LogLevel::Off,
            ..rocket::Config::default()
        })
        .manage(())
        .mount("/bare", rocket::routes![bare])
        .mount(
            "/123pay/notify",
            pay123_rocket::notify_routes(listener(), |notify: Notify, _: &rocket::State<()>| {
                updated(notify)
            }),
        );
        let tcp = tokio::net::TcpListener::bind(listen).await?;
        pay123_rocket::serve(app, tcp).await?.await?;
        Ok(())
    })
}
