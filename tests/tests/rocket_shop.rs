//! The conformance list against the rocket demo shop, served by rocket itself; its slow and idle
//! connections are tried behind nginx, the deployment rocket 0.5 needs (it has no header or
//! idle timeouts of its own).

use std::any::Any;
use std::time::{Duration, Instant};

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
        .with_checkouts_per_minute(setup.checkouts_per_minute)
        .with_trusted_proxies(setup.trusted_proxies)
        .with_notify_body_timeout(setup.body_timeout);
        // rocket binds the address itself: the test's listener makes way for it.
        let addr = setup.listener.local_addr().expect("an address");
        drop(setup.listener);
        let figment = rocket_shop::figment(addr).merge(("shutdown.ctrlc", false));
        let rocket = rocket_shop::rocket(shop, figment, Some(setup.reconciler))
            .ignite()
            .await
            .expect("the shop ignites");
        let server = tokio::spawn(async move {
            if let Err(e) = rocket.launch().await {
                panic!("the rocket shop stopped: {e}");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "rocket never listened on {addr}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Box::new(pay123_tests::AbortOnDrop(server))
    }
}

pay123_tests::conformance!(RocketShop, proxied);

/// The go-live self-check (`pay123 qc`) against this shop: every case passes, the guided ones
/// done by Chromium on the shop's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_live_check_passes_every_case() {
    pay123_tests::qc::demo_shop_passes(&RocketShop).await;
}
