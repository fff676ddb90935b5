//! `cargo run -p rocket-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` with the credentials of
//! `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (required, except for
//! 123PAY's public sandbox: see [`ShopConfig::from_env`]). Launched by rocket: Ctrl-C or SIGTERM
//! stops it.

use pay123_rocket::pay123_hyper;
use rocket::fairing::AdHoc;
use rocket::{Build, Rocket, launch};
use shop::demo::DemoGateway;
use shop::{ShopConfig, Store};

#[launch]
async fn rocket() -> _ {
    if let Some(code) = shop::demo::command_line("rocket-shop") {
        std::process::exit(code.into());
    }
    shop::demo::init_logging();
    build().await.unwrap_or_else(|e| {
        eprintln!("rocket-shop: {e}");
        std::process::exit(1)
    })
}

async fn build() -> Result<Rocket<Build>, Box<dyn std::error::Error>> {
    let config = ShopConfig::from_env()?;
    // rocket's own server has no connection cap: the sandbox takes the demo's default.
    let gateway = DemoGateway::start(&config, shop::demo::connection_cap(2048)).await?;
    let store = Store::connect_with(&config.database_url, config.database_pool).await?;
    let client = pay123_hyper::client(gateway.credentials.clone(), gateway.endpoints.clone());
    let shop = shop::Shop::new(client, store, &config.public_url)
        .with_gateway_timeout(config.gateway_timeout)
        .with_reconcile_policy(config.reconcile_policy)
        .with_checkouts_per_minute(config.checkouts_per_minute);
    print!("{}", gateway.banner(&config));
    // SHOP_RECONCILE=off runs it without the reconciler (an instance that serves only buyers).
    let rocket = rocket_shop::rocket(shop, rocket_shop::figment(config.addr), config.reconciler);
    Ok(
        rocket.attach(AdHoc::on_shutdown("the embedded sandbox", |_| {
            Box::pin(gateway.shutdown())
        })),
    )
}
