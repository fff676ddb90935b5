//! `cargo run -p axum-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` with the credentials of
//! `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (required, except for
//! 123PAY's public sandbox: see [`shop::ShopConfig::from_env`]).

use std::process::ExitCode;

use pay123_axum::server::Limits;
use shop::demo::{Demo, StartError, connection_cap};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    shop::demo::main("axum-shop", run).await
}

async fn run() -> Result<(), StartError> {
    let defaults = Limits::default();
    let limits = defaults.max_connections(connection_cap(defaults.max_connections));
    let Demo {
        config,
        gateway,
        shop,
    } = Demo::start(limits.max_connections).await?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {} (set SHOP_ADDR): {e}", config.addr))?;
    // Asks 123PAY about the orders a lost notify or a crash left open (SHOP_RECONCILE=off to
    // run without it, on an instance that serves only buyers).
    let _reconciler = config.reconciler.map(|s| shop.spawn_reconciler(s));
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum_shop::serve(listener, shop, limits, ctrl_c).await?;
    gateway.shutdown().await;
    Ok(())
}
