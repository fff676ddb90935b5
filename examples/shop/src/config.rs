//! The shop's configuration, from the environment.

use std::fmt;
use std::net::SocketAddr;

use pay123_core::{Credentials, Endpoints, ValidationError};

/// `SHOP_ADDR` when unset.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// `SHOP_DATABASE_URL` when unset: a SQLite file `shop.db` in the working directory, created if
/// missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://shop.db?mode=rwc";

/// Where the shop listens, where buyers reach it, its database, and its gateway.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// `SHOP_ADDR`: the address to listen on (default `127.0.0.1:3000`).
    pub addr: SocketAddr,
    /// `SHOP_PUBLIC_URL`: the base URL buyers (and 123PAY's notify) reach the shop at, without a
    /// trailing `/` (default `http://{SHOP_ADDR}`).
    pub public_url: String,
    /// `SHOP_DATABASE_URL` (default `sqlite://shop.db?mode=rwc`).
    pub database_url: String,
    /// The 123PAY to talk to; `None` when `PAY123_API_URL` is unset: the caller embeds the
    /// sandbox and uses [`Credentials::sandbox`].
    pub gateway: Option<GatewayConfig>,
}

/// A 123PAY gateway (real or a sandbox elsewhere).
#[derive(Clone)]
pub struct GatewayConfig {
    /// `PAY123_API_URL`: the base URL of the methods: `{base}/createOrder1` and
    /// `{base}/queryOrder1` (`https://sandbox.123pay.vn/miservice`, `https://mi.123pay.vn`).
    pub api_url: String,
    /// The endpoints derived from it.
    pub endpoints: Endpoints,
    /// `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE`, `PAY123_SECRET_KEY`; the sandbox's public
    /// `MICODE` / `MIPASSCODE` / `MIKEY` when none of the three is set.
    pub credentials: Credentials,
}

impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("api_url", &self.api_url)
            .field("merchant_code", &self.credentials.merchant_code())
            .finish_non_exhaustive()
    }
}

/// A configuration value that cannot be used. Names the variable, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a socket address.
    #[error("{var} must be a socket address such as 127.0.0.1:3000, not {value:?}")]
    Addr {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// Not an absolute http(s) URL.
    #[error("{var} must be an absolute http(s) URL such as http://127.0.0.1:3000: {reason}")]
    Url {
        /// The variable.
        var: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// One credential is set and this one is not.
    #[error(
        "{0} is not set: set all of PAY123_MERCHANT_CODE, PAY123_PASSCODE and PAY123_SECRET_KEY, \
         or none of them to use the sandbox's public credentials"
    )]
    MissingCredential(&'static str),
    /// The credentials break a rule (the field is named, not its value).
    #[error("invalid 123PAY credentials: {0}")]
    Credentials(#[source] ValidationError),
}

impl ShopConfig {
    /// Reads `SHOP_ADDR`, `SHOP_PUBLIC_URL`, `SHOP_DATABASE_URL`, `PAY123_API_URL`,
    /// `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (empty means unset).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let addr_text = var("SHOP_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr: SocketAddr = addr_text.parse().map_err(|_| ConfigError::Addr {
            var: "SHOP_ADDR",
            value: addr_text.clone(),
        })?;
        let public_url = var("SHOP_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let public_url = http_url("SHOP_PUBLIC_URL", &public_url)?;
        let database_url =
            var("SHOP_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let gateway = match var("PAY123_API_URL") {
            None => None,
            Some(api_url) => {
                let api_url = http_url("PAY123_API_URL", &api_url)?;
                let endpoints = Endpoints::from_base(&api_url).map_err(|e| ConfigError::Url {
                    var: "PAY123_API_URL",
                    reason: e.to_string(),
                })?;
                let names = [
                    "PAY123_MERCHANT_CODE",
                    "PAY123_PASSCODE",
                    "PAY123_SECRET_KEY",
                ];
                let values = names.map(var);
                let credentials = if values.iter().all(Option::is_none) {
                    Credentials::sandbox()
                } else {
                    let [code, passcode, key] = values;
                    let missing = |i: usize| ConfigError::MissingCredential(names[i]);
                    Credentials::new(
                        code.ok_or_else(|| missing(0))?,
                        passcode.ok_or_else(|| missing(1))?,
                        key.ok_or_else(|| missing(2))?,
                    )
                    .map_err(ConfigError::Credentials)?
                };
                Some(GatewayConfig {
                    api_url,
                    endpoints,
                    credentials,
                })
            }
        };
        Ok(Self {
            addr,
            public_url,
            database_url,
            gateway,
        })
    }

    /// `{public_url}/return`.
    #[must_use]
    pub fn return_url(&self) -> String {
        format!("{}{}", self.public_url, crate::RETURN_PATH)
    }

    /// `{public_url}/123pay/notify`: where 123PAY (or the sandbox) sends notifies.
    #[must_use]
    pub fn notify_url(&self) -> String {
        format!("{}{}", self.public_url, crate::NOTIFY_PATH)
    }
}

/// An absolute http(s) URL with a host, without a trailing `/`.
fn http_url(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let parsed = url::Url::parse(value).map_err(|e| ConfigError::Url {
        var,
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::Url {
            var,
            reason: format!("{value:?} is not an http(s) URL with a host"),
        });
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<ShopConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ShopConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_embed_the_sandbox() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite://shop.db?mode=rwc");
        assert!(c.gateway.is_none());
        assert_eq!(c.return_url(), "http://127.0.0.1:3000/return");
        assert_eq!(c.notify_url(), "http://127.0.0.1:3000/123pay/notify");
        let c = config(&[
            ("SHOP_ADDR", "0.0.0.0:8080"),
            ("SHOP_PUBLIC_URL", "https://shop.vn/"),
        ])
        .unwrap();
        assert_eq!(c.addr.port(), 8080);
        assert_eq!(c.public_url, "https://shop.vn");
    }

    #[test]
    fn a_gateway_with_all_or_no_credentials() {
        let c = config(&[("PAY123_API_URL", "https://sandbox.123pay.vn/miservice/")]).unwrap();
        let g = c.gateway.unwrap();
        assert_eq!(g.credentials.merchant_code(), "MICODE");
        assert_eq!(
            g.endpoints.create_order(),
            "https://sandbox.123pay.vn/miservice/createOrder1"
        );
        let c = config(&[
            ("PAY123_API_URL", "https://mi.123pay.vn"),
            ("PAY123_MERCHANT_CODE", "SHOPVN"),
            ("PAY123_PASSCODE", "very-secret-passcode"),
            ("PAY123_SECRET_KEY", "very-secret-key"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("SHOPVN"), "{debug}");
        assert!(!debug.contains("very-secret"), "{debug}");
        let e = config(&[
            ("PAY123_API_URL", "https://mi.123pay.vn"),
            ("PAY123_MERCHANT_CODE", "SHOPVN"),
            ("PAY123_SECRET_KEY", "very-secret-key"),
        ])
        .unwrap_err();
        assert_eq!(e, ConfigError::MissingCredential("PAY123_PASSCODE"));
        assert!(!e.to_string().contains("very-secret"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("SHOP_ADDR", "localhost")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_ADDR"), "{e}");
        let e = config(&[("SHOP_PUBLIC_URL", "shop.vn")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_PUBLIC_URL"), "{e}");
        let e = config(&[("PAY123_API_URL", "ftp://x")]).unwrap_err();
        assert!(e.to_string().starts_with("PAY123_API_URL"), "{e}");
    }
}
