//! What every demo shop's `main` does besides serving: find its gateway (the one the environment
//! names, or a sandbox embedded in the process), raise the open files limit, and say where it
//! runs.

use pay123_core::{Credentials, Endpoints};
use pay123_sandbox::Sandbox;
use tokio::net::TcpListener;

use crate::config::ShopConfig;

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
                "sandbox (123PAY):  {}  (test card: Nguyen Van A / 0000000000000000 / OTP 00000000)",
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
    format!(
        "\n  pay123 demo shop:  {public_url}/\n  {gateway}\n  orders database:   {}\n\n  \
         Open {public_url}/ in a browser and buy something.\n\n",
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
