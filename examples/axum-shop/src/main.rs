//! `cargo run -p axum-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` with the credentials of
//! `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (required, except for
//! 123PAY's public sandbox: see [`ShopConfig::from_env`]).

use std::process::ExitCode;

use pay123_axum::pay123_hyper;
use pay123_axum::server::Limits;
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
    // Room for the connection cap: many systems start a process with 1,024 open files.
    let limits = Limits::default();
    if let Err(e) = rlimit::increase_nofile_limit(limits.max_connections as u64 * 2 + 256) {
        tracing::warn!(error = %e, "could not raise the open files limit");
    }
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

    let gateway = match &sandbox {
        Some(sandbox) => format!(
            "sandbox (123PAY):  {}  (test card: Nguyen Van A / 0000000000000000 / OTP 00000000)",
            sandbox.base_url()
        ),
        None => format!("gateway:           {}", endpoints.create_order()),
    };
    print!("{}", banner(&config, &gateway));

    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum_shop::serve(listener, shop, limits, ctrl_c).await?;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}

/// What the shop prints at start: where to open it, its gateway and its database. The database
/// URL may carry a password: only its redacted form is shown.
fn banner(config: &ShopConfig, gateway: &str) -> String {
    let public_url = &config.public_url;
    format!(
        "\n  pay123 demo shop:  {public_url}/\n  {gateway}\n  orders database:   {}\n\n  \
         Open {public_url}/ in a browser and buy something.\n\n",
        config.redacted_database_url()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_never_shows_the_database_password() {
        let config = ShopConfig::from_lookup(|name| {
            (name == "SHOP_DATABASE_URL")
                .then(|| "postgres://shop:s3cr3t-pa55@db.internal/shop".to_owned())
        })
        .unwrap();
        let banner = banner(
            &config,
            "gateway:           https://mi.123pay.vn/createOrder1",
        );
        assert!(!banner.contains("s3cr3t"), "{banner}");
        assert!(
            banner.contains("orders database:   postgres://shop:***@db.internal/shop\n"),
            "{banner}"
        );
        assert!(
            banner.contains("pay123 demo shop:  http://127.0.0.1:3000/\n"),
            "{banner}"
        );
    }
}
