//! `cargo run -p rocket-shop`: the demo shop on 127.0.0.1:3000 with the sandbox embedded on
//! 127.0.0.1:3123, or talking to the gateway named by `PAY123_API_URL` with the credentials of
//! `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (required, except for
//! 123PAY's public sandbox: see [`shop::ShopConfig::from_env`]). Launched by rocket: Ctrl-C or
//! SIGTERM stops it.

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket, launch};
use shop::demo::{Demo, StartError};

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

async fn build() -> Result<Rocket<Build>, StartError> {
    // rocket's own server has no connection cap: the sandbox takes the demo's default.
    let Demo {
        config,
        gateway,
        shop,
    } = Demo::start(shop::demo::connection_cap(2048)).await?;
    // SHOP_RECONCILE=off runs it without the reconciler (an instance that serves only buyers).
    let rocket = rocket_shop::rocket(shop, rocket_shop::figment(config.addr), config.reconciler);
    let sandbox = AdHoc::on_shutdown("the embedded sandbox", |_| Box::pin(gateway.shutdown()));
    Ok(rocket.attach(sandbox))
}
