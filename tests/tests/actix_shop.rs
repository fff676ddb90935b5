//! The conformance list against the actix-web demo shop.

use std::any::Any;

use pay123_tests::{Launcher, ShopSetup};

struct ActixShop;

impl Launcher for ActixShop {
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
        .with_checkouts_per_minute(setup.checkouts_per_minute)
        .with_trusted_proxies(setup.trusted_proxies);
        let reconciler = shop.spawn_reconciler(setup.reconciler);
        let listener = setup.listener.into_std().expect("a std listener");
        let limits = actix_shop::Limits {
            header: setup.header_timeout,
            body: setup.body_timeout,
            write: setup.write_timeout,
            ..actix_shop::Limits::default()
        };
        let (server, handle) = actix_shop::serve(listener, shop, limits).expect("the server");
        tokio::spawn(server);
        Box::new((StopOnDrop(handle), reconciler))
    }
}

struct StopOnDrop(actix_web::dev::ServerHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        drop(self.0.stop(false));
    }
}

pay123_tests::conformance!(ActixShop);

/// The go-live self-check (`pay123 qc`) against this shop: every case passes, the guided ones
/// done by Chromium on the shop's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_live_check_passes_every_case() {
    pay123_tests::qc::demo_shop_passes(&ActixShop).await;
}
