//! The conformance list against the axum demo shop.

use std::any::Any;

use pay123_tests::{Launcher, ShopSetup};

struct AxumShop;

impl Launcher for AxumShop {
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
        let limits = pay123_axum::server::Limits::default()
            .header_timeout(setup.header_timeout)
            .body_timeout(setup.body_timeout)
            .write_timeout(setup.write_timeout);
        let server = tokio::spawn(axum_shop::serve(
            setup.listener,
            shop,
            limits,
            std::future::pending(),
        ));
        Box::new((AbortOnDrop(server), reconciler))
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pay123_tests::conformance!(AxumShop);

/// The sandbox's dashboard in a real browser, after a payment in the shop (once: the dashboard
/// is the sandbox's, whichever shop pays).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_dashboard_shows_the_payment_and_resends_its_notify() {
    pay123_tests::browser::browser_dashboard(&AxumShop).await;
}

/// The go-live self-check (`pay123 qc`) against this shop: every case passes, the guided ones
/// done by Chromium on the shop's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_live_check_passes_every_case() {
    pay123_tests::qc::demo_shop_passes(&AxumShop).await;
}
