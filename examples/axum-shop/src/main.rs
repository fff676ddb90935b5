//! `cargo run -p axum-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` and its credentials.

use std::process::ExitCode;

use pay123_axum::pay123_hyper;
use shop::{ShopConfig, Store};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Where the embedded sandbox listens.
const SANDBOX_ADDR: &str = "127.0.0.1:3123";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum-shop: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = ShopConfig::from_env()?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {} (set SHOP_ADDR): {e}", config.addr))?;

    // Either the gateway of the environment, or the sandbox in this process.
    let (credentials, endpoints, sandbox) = match &config.gateway {
        Some(gateway) => (gateway.credentials.clone(), gateway.endpoints.clone(), None),
        None => {
            let sandbox_listener = TcpListener::bind(SANDBOX_ADDR)
                .await
                .map_err(|e| format!("cannot start the embedded sandbox on {SANDBOX_ADDR}: {e}"))?;
            let sandbox = pay123_sandbox::start(
                sandbox_listener,
                pay123_sandbox::Config::default().with_notify_url(config.notify_url()),
            )
            .await?;
            let credentials = sandbox.gateway().config().merchants[0].credentials.clone();
            (credentials, sandbox.endpoints(), Some(sandbox))
        }
    };
    let store = Store::connect(&config.database_url).await?;
    let shop = shop::Shop::new(
        pay123_hyper::client(credentials, endpoints.clone()),
        store,
        &config.public_url,
    );

    println!();
    println!("  pay123 demo shop:  {}/", config.public_url);
    match &sandbox {
        Some(sandbox) => println!(
            "  sandbox (123PAY):  {}  (test card: Nguyen Van A / 0000000000000000 / OTP 00000000)",
            sandbox.base_url()
        ),
        None => println!("  gateway:           {}", endpoints.create_order()),
    }
    println!("  orders database:   {}", config.database_url);
    println!();
    println!(
        "  Open {}/ in a browser and buy something.",
        config.public_url
    );
    println!();

    tokio::select! {
        served = axum_shop::serve(listener, shop) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}
