//! The conformance list against the rocket demo shop.

use std::any::Any;

use pay123_tests::{Launcher, ShopSetup};

struct RocketShop;

impl Launcher for RocketShop {
    async fn launch(&self, setup: ShopSetup) -> Box<dyn Any + Send> {
        let store = shop::Store::connect(&setup.database_url)
            .await
            .expect("the shop's database");
        let shop = shop::Shop::new(
            pay123_hyper::client(setup.credentials, setup.endpoints),
            store,
            &setup.public_url,
        )
        .with_gateway_timeout(setup.gateway_timeout)
        .with_reconcile_policy(setup.reconcile_policy)
        .with_checkouts_per_minute(setup.checkouts_per_minute);
        let reconciler = shop.spawn_reconciler(setup.reconciler);
        let limits = pay123_rocket::Limits::default()
            .header_timeout(setup.header_timeout)
            .body_timeout(setup.body_timeout)
            .write_timeout(setup.write_timeout);
        let server = tokio::spawn(async move {
            if let Err(e) =
                rocket_shop::serve(setup.listener, shop, limits, std::future::pending()).await
            {
                panic!("the rocket shop stopped: {e}");
            }
        });
        Box::new((AbortOnDrop(server), reconciler))
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pay123_tests::conformance!(RocketShop);
