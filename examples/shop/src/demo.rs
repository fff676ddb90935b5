//! What every demo shop's `main` does besides serving: its command line and log, its gateway
//! (the one the environment names, or a sandbox embedded in the process), its store and shop,
//! and where it runs ([`Demo::start`], [`main`]).

use std::future::Future;
use std::io::Write as _;
use std::process::ExitCode;

use pay123_core::{Credentials, Endpoints};
use pay123_hyper::HyperClient;
use pay123_sandbox::Sandbox;
use tokio::net::TcpListener;

use crate::config::ShopConfig;
use crate::shop::Shop;
use crate::store::Store;

/// A demo shop's error, printed as `name: error` when it cannot start.
pub type StartError = Box<dyn std::error::Error>;

/// A demo shop's `main` around its `run`: `--help` and refused arguments ([`command_line`]),
/// the log ([`init_logging`]), then `run`, whose error is printed as `name: error`.
pub async fn main<F: Future<Output = Result<(), StartError>>>(
    name: &str,
    run: impl FnOnce() -> F,
) -> ExitCode {
    if let Some(code) = command_line(name) {
        return ExitCode::from(code);
    }
    init_logging();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A demo shop ready to serve: its configuration, its gateway and the shop over them.
#[derive(Debug)]
pub struct Demo {
    /// The configuration, from the environment.
    pub config: ShopConfig,
    /// The gateway (stop an embedded sandbox with [`DemoGateway::shutdown`] once served).
    pub gateway: DemoGateway,
    /// The shop.
    pub shop: Shop<HyperClient>,
}

impl Demo {
    /// Reads the configuration ([`ShopConfig::from_env`]), starts the gateway (a sandbox serving
    /// at most `max_connections`, when none is named), opens the store, builds the shop with
    /// the configuration's settings, and prints where it runs.
    ///
    /// # Errors
    ///
    /// A setting is invalid, the sandbox or the store cannot start.
    pub async fn start(max_connections: usize) -> Result<Self, StartError> {
        let config = ShopConfig::from_env()?;
        let gateway = DemoGateway::start(&config, max_connections).await?;
        let store = Store::connect_with(&config.database_url, config.database_pool).await?;
        let client = pay123_hyper::client(gateway.credentials.clone(), gateway.endpoints.clone());
        let shop = Shop::new(client, store, &config.public_url)
            .with_gateway_timeout(config.gateway_timeout)
            .with_reconcile_policy(config.reconcile_policy)
            .with_checkouts_per_minute(config.checkouts_per_minute)
            .with_trusted_proxies(config.trusted_proxies.clone());
        print!("{}", gateway.banner(&config));
        Ok(Self {
            config,
            gateway,
            shop,
        })
    }
}

/// What `--help` prints for a demo shop: it takes no arguments, only the environment.
pub const HELP: &str = "\
Runs the pay123 demo shop. It takes no arguments; it reads its settings from the environment:

  SHOP_ADDR                  where to listen (127.0.0.1:3000)
  SHOP_PUBLIC_URL            the URL buyers and 123PAY reach it at (http://SHOP_ADDR)
  SHOP_DATABASE_URL          sqlite://shop.db?mode=rwc, or postgres://user:password@host/shop
  SHOP_DATABASE_POOL         database connections (8)
  SHOP_GATEWAY_TIMEOUT       how long a buyer waits for createOrder (10s)
  SHOP_CHECKOUTS_PER_MINUTE  checkouts per address and minute (20; 0: no limit)
  SHOP_TRUSTED_PROXIES       reverse proxies whose X-Forwarded-For is believed (none)
  SHOP_RECONCILE             on or off (on)
  SHOP_RECONCILE_PERIOD      the reconciler's pass period (10s)
  SHOP_RECONCILE_AFTER       first check of an order after checkout (30s)
  SHOP_RECONCILE_MARGIN      added to the session timeout before closing an order (1m)
  PAY123_SESSION_TIMEOUT     123PAY's payment session (15m)
  PAY123_API_URL             the gateway (unset: a sandbox embedded on 127.0.0.1:3123)
  PAY123_MERCHANT_CODE, PAY123_PASSCODE, PAY123_SECRET_KEY
  PAY123_INSECURE_HTTP_HOST  a test network's sandbox reached over plain http (never in production)
  RUST_LOG                   the log filter (info), on stderr

See docs/deploying.md.
";

/// Handles a demo shop's command line: `--help` prints [`HELP`] (`Some(0)`), anything else is
/// refused (`Some(2)`), nothing runs the shop (`None`).
#[must_use]
pub fn command_line(name: &str) -> Option<u8> {
    let first = std::env::args_os().nth(1)?;
    match first.to_str() {
        Some("--help" | "-h") => {
            // A closed stdout is no reason to panic.
            let _ = write!(std::io::stdout(), "{name}: {HELP}");
            Some(0)
        }
        _ => {
            eprintln!("{name}: unknown argument {first:?}; see {name} --help");
            Some(2)
        }
    }
}

/// The log every demo shop writes: `RUST_LOG` (default `info`, without sqlx's notices), on
/// stderr, in colour only on a terminal.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Where the embedded sandbox listens.
pub const SANDBOX_ADDR: &str = "127.0.0.1:3123";

/// The 123PAY a shop talks to: the gateway of its configuration, or a sandbox embedded in the
/// process (running until this value is dropped or [`shutdown`](Self::shutdown)).
#[derive(Debug)]
pub struct DemoGateway {
    /// The merchant's credentials there.
    pub credentials: Credentials,
    /// Its createOrder and queryOrder URLs.
    pub endpoints: Endpoints,
    sandbox: Option<Sandbox>,
}

impl DemoGateway {
    /// The gateway of `config`, or, when it names none, a sandbox on [`SANDBOX_ADDR`] sending
    /// its notifies to the shop and serving at most `max_connections` connections (see
    /// [`connection_cap`]). Call it within a Tokio runtime.
    pub async fn start(
        config: &ShopConfig,
        max_connections: usize,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        if let Some(gateway) = &config.gateway {
            return Ok(Self {
                credentials: gateway.credentials.clone(),
                endpoints: gateway.endpoints.clone(),
                sandbox: None,
            });
        }
        let listener = TcpListener::bind(SANDBOX_ADDR)
            .await
            .map_err(|e| format!("cannot start the embedded sandbox on {SANDBOX_ADDR}: {e}"))?;
        let mut sandbox_config =
            pay123_sandbox::Config::default().with_notify_url(config.notify_url());
        sandbox_config.server_limits = sandbox_config
            .server_limits
            .max_connections(max_connections);
        let sandbox = pay123_sandbox::start(listener, sandbox_config).await?;
        Ok(Self {
            credentials: sandbox.gateway().config().merchants[0].credentials.clone(),
            endpoints: sandbox.endpoints(),
            sandbox: Some(sandbox),
        })
    }

    /// Stops the embedded sandbox, if any.
    pub async fn shutdown(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }

    /// What the shop prints at start: where to open it, its gateway and its database. The
    /// database URL may carry a password: only its redacted form is shown.
    #[must_use]
    pub fn banner(&self, config: &ShopConfig) -> String {
        let gateway = match &self.sandbox {
            Some(sandbox) => format!(
                "sandbox (123PAY):  {}  (test card: Nguyen Van A / 0000000000000000 / OTP 00000000)\n  \
                 its dashboard:     {}/_sandbox/  (every transaction, its notifies and replies)",
                sandbox.base_url(),
                sandbox.base_url()
            ),
            None => format!(
                "gateway:           {}",
                crate::config::redact_url(&without_query(self.endpoints.create_order()))
            ),
        };
        banner(config, &gateway)
    }
}

/// A URL without its query string (which may hold a token) for the banner.
fn without_query(uri: &http::Uri) -> String {
    let mut text = uri.to_string();
    if let Some(at) = text.find('?') {
        text.truncate(at);
    }
    text
}

fn banner(config: &ShopConfig, gateway: &str) -> String {
    let public_url = &config.public_url;
    let policy = &config.reconcile_policy;
    let reconciler = match &config.reconciler {
        Some(settings) => format!(
            "on: first check {} after checkout, a pass every {}, session {}",
            humantime::format_duration(policy.first_check),
            humantime::format_duration(settings.period),
            humantime::format_duration(policy.session_timeout)
        ),
        None => "off (SHOP_RECONCILE)".to_owned(),
    };
    format!(
        "\n  pay123 demo shop:  {public_url}/\n  {gateway}\n  orders database:   {}\n  \
         reconciler:        {reconciler}\n\n  Open {public_url}/ in a browser and buy something.\n\n",
        config.redacted_database_url()
    )
}

/// Raises the process's open files limit to fit two servers of `connections` connections each
/// (the shop's and the embedded sandbox's), and returns the cap each must use (see
/// [`pay123_sandbox::connection_cap`]).
pub fn connection_cap(connections: usize) -> usize {
    pay123_sandbox::connection_cap(connections, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_is_shown_without_its_query() {
        let uri: http::Uri = "https://mi.123pay.vn/createOrder1?token=T0kenS3cret"
            .parse()
            .unwrap();
        assert_eq!(without_query(&uri), "https://mi.123pay.vn/createOrder1");
    }

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
