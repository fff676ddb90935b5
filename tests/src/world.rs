//! A shop and the sandbox, started in-process on ephemeral loopback ports.

use std::any::Any;
use std::future::Future;

use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::{Credentials, Endpoints};
use pay123_sandbox::{Config, Sandbox};
use shop::ReconcilerSettings;
use tempfile::TempDir;
use tokio::net::TcpListener;

use crate::buyer::Buyer;
use crate::database::Database;
use crate::nginx::Nginx;

/// The server limits a shop under test is started with, short so that the tests of slow
/// connections run fast. Each launcher sets them in its framework's own way.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);
/// See [`HEADER_TIMEOUT`].
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);
/// See [`HEADER_TIMEOUT`].
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// What a shop under test is started with.
#[derive(Debug)]
pub struct ShopSetup {
    /// The longest a connection may take to send a request head, and stay idle: [`HEADER_TIMEOUT`].
    pub header_timeout: std::time::Duration,
    /// The longest a request body may take to arrive: [`BODY_TIMEOUT`].
    pub body_timeout: std::time::Duration,
    /// The longest an answer may wait for the client to read it: [`WRITE_TIMEOUT`].
    pub write_timeout: std::time::Duration,
    /// The listener to serve on (127.0.0.1, ephemeral port).
    pub listener: TcpListener,
    /// The shop's public base URL (`http://127.0.0.1:PORT`).
    pub public_url: String,
    /// A fresh database: a SQLite file in a temporary directory, or a new database on the test
    /// PostgreSQL server (see [`Launcher::database`]).
    pub database_url: String,
    /// How long the shop waits for createOrder and queryOrder: 5 s.
    pub gateway_timeout: std::time::Duration,
    /// When the reconciler asks about open orders. By default its first check comes after 10
    /// minutes, so that it stays out of the scenarios that settle orders otherwise; the
    /// reconciler's own scenarios shorten it.
    pub reconcile_policy: ReconcilePolicy,
    /// The reconciler task, running in every shop under test: a pass every 100 ms.
    pub reconciler: ReconcilerSettings,
    /// Checkouts one address may make per minute: no limit (0) by default, every buyer of the
    /// tests being on 127.0.0.1.
    pub checkouts_per_minute: u32,
    /// The reverse proxies the shop trusts: nginx's address ([`crate::nginx::PROXY_ADDR`])
    /// behind nginx, none otherwise.
    pub trusted_proxies: pay123_core::proxy::TrustedProxies,
    /// The sandbox's endpoints.
    pub endpoints: Endpoints,
    /// The merchant's credentials at the sandbox.
    pub credentials: Credentials,
}

impl ShopSetup {
    /// A shop served on `listener` with the tests' defaults (the fields' documentation says
    /// which), its database, and the sandbox it pays through.
    pub fn new(
        listener: TcpListener,
        public_url: String,
        database_url: String,
        endpoints: Endpoints,
        credentials: Credentials,
    ) -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            listener,
            public_url,
            database_url,
            gateway_timeout: std::time::Duration::from_secs(5),
            reconcile_policy: ReconcilePolicy::default()
                .with_first_check(std::time::Duration::from_secs(600)),
            reconciler: ReconcilerSettings::default()
                .with_period(std::time::Duration::from_millis(100)),
            checkouts_per_minute: 0,
            trusted_proxies: pay123_core::proxy::TrustedProxies::none(),
            endpoints,
            credentials,
        }
    }
}

/// Starts a shop; the returned value keeps it running until dropped.
pub trait Launcher: Sync {
    /// Starts the shop.
    fn launch(&self, setup: ShopSetup) -> impl Future<Output = Box<dyn Any + Send>> + Send;

    /// The database the shop is started on: SQLite unless the launcher says otherwise.
    fn database(&self) -> Database {
        Database::Sqlite
    }

    /// Whether the shop is reached through nginx (`docs/deploying.md`'s configuration, with
    /// the tests' short timeouts) rather than directly.
    fn behind_nginx(&self) -> bool {
        false
    }
}

/// A launcher's shop behind nginx.
#[derive(Debug, Clone, Copy)]
pub struct BehindNginx<L>(pub L);

impl<L: Launcher> Launcher for BehindNginx<L> {
    fn launch(&self, setup: ShopSetup) -> impl Future<Output = Box<dyn Any + Send>> + Send {
        self.0.launch(setup)
    }

    fn database(&self) -> Database {
        self.0.database()
    }

    fn behind_nginx(&self) -> bool {
        true
    }
}

/// A launcher's shop on PostgreSQL instead of SQLite.
#[derive(Debug, Clone, Copy)]
pub struct OnPostgres<L>(pub L);

impl<L: Launcher> Launcher for OnPostgres<L> {
    fn launch(&self, setup: ShopSetup) -> impl Future<Output = Box<dyn Any + Send>> + Send {
        self.0.launch(setup)
    }

    fn database(&self) -> Database {
        Database::Postgres
    }

    fn behind_nginx(&self) -> bool {
        self.0.behind_nginx()
    }
}

/// A shop, the sandbox, and a buyer.
pub struct World {
    /// The sandbox.
    pub sandbox: Sandbox,
    /// The shop's base URL.
    pub shop_url: String,
    /// A buyer.
    pub buyer: Buyer,
    /// nginx in front of the shop, when the launcher asks for it.
    pub nginx: Option<Nginx>,
    _shop: Box<dyn Any + Send>,
    _dir: TempDir,
}

impl World {
    /// Starts the sandbox (with `tweak` applied to its configuration) and the shop.
    pub async fn start<L: Launcher>(launcher: &L, tweak: impl FnOnce(&mut Config)) -> World {
        Self::start_with(launcher, tweak, |_| {}).await
    }

    /// Like [`start`](Self::start), with `shop_tweak` applied to the shop's setup.
    pub async fn start_with<L: Launcher>(
        launcher: &L,
        tweak: impl FnOnce(&mut Config),
        shop_tweak: impl FnOnce(&mut ShopSetup),
    ) -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the shop");
        let shop_addr = listener.local_addr().expect("an address");
        // Behind nginx, buyers and 123PAY reach the shop at nginx's address.
        let nginx = launcher
            .behind_nginx()
            .then(|| Nginx::start(shop_addr, HEADER_TIMEOUT));
        let shop_url = format!("http://{}", nginx.as_ref().map_or(shop_addr, Nginx::addr));
        let mut config = Config::default().with_notify_url(format!("{shop_url}/123pay/notify"));
        config.notify_backoff = std::time::Duration::from_millis(50);
        tweak(&mut config);
        let credentials = config.merchants[0].credentials.clone();
        let sandbox = pay123_sandbox::start(
            TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the sandbox"),
            config,
        )
        .await
        .expect("the sandbox starts");
        let database_url = launcher.database().fresh(dir.path()).await;
        let mut setup = ShopSetup::new(
            listener,
            shop_url.clone(),
            database_url,
            sandbox.endpoints(),
            credentials,
        );
        if nginx.is_some() {
            setup.trusted_proxies = crate::nginx::PROXY_ADDR
                .to_string()
                .parse()
                .expect("an address");
        }
        shop_tweak(&mut setup);
        let shop = launcher.launch(setup).await;
        World {
            sandbox,
            shop_url,
            buyer: Buyer::new(),
            nginx,
            _shop: shop,
            _dir: dir,
        }
    }

    /// The shop's JSON view of an order.
    pub async fn order(&self, m_transaction_id: &str) -> serde_json::Value {
        self.buyer
            .get_json(&format!("{}/orders/{m_transaction_id}", self.shop_url))
            .await
    }
}
