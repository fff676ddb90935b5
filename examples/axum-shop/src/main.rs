//! `cargo run -p axum-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` with the credentials of
//! `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (required, except for
//! 123PAY's public sandbox: see [`ShopConfig::from_env`]).

use std::process::ExitCode;

use pay123_axum::pay123_hyper;
use pay123_axum::server::Limits;
use shop::demo::{DemoGateway, connection_cap};
use shop::{ShopConfig, Store};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(code) = shop::demo::command_line("axum-shop") {
        return ExitCode::from(code);
    }
    shop::demo::init_logging();
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
    let defaults = Limits::default();
    let limits = defaults.max_connections(connection_cap(defaults.max_connections));
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {} (set SHOP_ADDR): {e}", config.addr))?;
    let gateway = DemoGateway::start(&config, limits.max_connections).await?;
    let store = Store::connect_with(&config.database_url, config.database_pool).await?;
    let client = pay123_hyper::client(gateway.credentials.clone(), gateway.endpoints.clone());
    let shop = shop::Shop::new(client, store, &config.public_url)
        .with_gateway_timeout(config.gateway_timeout)
        .with_reconcile_policy(config.reconcile_policy)
        .with_checkouts_per_minute(config.checkouts_per_minute);
    // Asks 123PAY about the orders a lost notify or a crash left open (SHOP_RECONCILE=off to
    // run without it, on an instance that serves only buyers).
    let _reconciler = config
        .reconciler
        .map(|settings| shop.spawn_reconciler(settings));
    print!("{}", gateway.banner(&config));
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum_shop::serve(listener, shop, limits, ctrl_c).await?;
    gateway.shutdown().await;
    Ok(())
}
