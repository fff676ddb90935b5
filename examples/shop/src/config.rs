//! The shop's configuration, from the environment.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use pay123_core::Config;
#[cfg(doc)]
use pay123_core::Credentials;
use pay123_core::proxy::TrustedProxies;
use pay123_core::reconcile::ReconcilePolicy;

use crate::reconciler::ReconcilerSettings;

/// `SHOP_ADDR` when unset.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// `SHOP_DATABASE_URL` when unset: a SQLite file `shop.db` in the working directory, created if
/// missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://shop.db?mode=rwc";

/// Where the shop listens, where buyers reach it, its database, and its gateway.
///
/// Its Debug shows the database URL without its password (see
/// [`redacted_database_url`](Self::redacted_database_url)) and no 123PAY secret.
#[derive(Clone)]
pub struct ShopConfig {
    /// `SHOP_ADDR`: the address to listen on (default `127.0.0.1:3000`).
    pub addr: SocketAddr,
    /// `SHOP_PUBLIC_URL`: the base URL buyers (and 123PAY's notify) reach the shop at, without a
    /// trailing `/` (default `http://{SHOP_ADDR}`).
    pub public_url: String,
    /// `SHOP_DATABASE_URL` (default `sqlite://shop.db?mode=rwc`). It may hold a password
    /// (`postgres://user:password@host/shop`): print
    /// [`redacted_database_url`](Self::redacted_database_url) instead.
    pub database_url: String,
    /// `SHOP_DATABASE_POOL`: the database connections of each instance (default 8).
    pub database_pool: u32,
    /// The 123PAY to talk to ([`pay123_core::Config`]); `None` when `PAY123_API_URL` is unset:
    /// the caller embeds the sandbox and uses [`Credentials::sandbox`].
    pub gateway: Option<Config>,
    /// `SHOP_GATEWAY_TIMEOUT`: how long a buyer waits for createOrder (and the return page for
    /// queryOrder) before the order is left `unsure` (default `10s`).
    pub gateway_timeout: Duration,
    /// When the reconciler asks about open orders: `SHOP_RECONCILE_AFTER`, the first check
    /// after an order is recorded (default `30s`; longer than the gateway timeout), and
    /// `PAY123_SESSION_TIMEOUT`, 123PAY's payment session, and `SHOP_RECONCILE_MARGIN`, the
    /// time added to it: after both, an order 123PAY does not know is closed (defaults `15m` and
    /// `1m`). Other fields keep [`ReconcilePolicy`]'s defaults.
    pub reconcile_policy: ReconcilePolicy,
    /// The reconciler task: `None` when `SHOP_RECONCILE` is `off`; its pass period from
    /// `SHOP_RECONCILE_PERIOD` (default `10s`).
    pub reconciler: Option<ReconcilerSettings>,
    /// `SHOP_CHECKOUTS_PER_MINUTE`: checkouts one address may make per minute (default 20; 0:
    /// no limit).
    pub checkouts_per_minute: u32,
    /// `SHOP_TRUSTED_PROXIES`: the reverse proxies in front of the shop, addresses or CIDR
    /// ranges separated by commas (default: none). Behind them, the buyer's address (for the
    /// checkout limit and createOrder's `clientIP`) is read from `X-Forwarded-For`; from anyone
    /// else that header is ignored.
    pub trusted_proxies: TrustedProxies,
}

impl fmt::Debug for ShopConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopConfig")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("database_url", &self.redacted_database_url())
            .field("database_pool", &self.database_pool)
            .field("gateway", &self.gateway)
            .field("gateway_timeout", &self.gateway_timeout)
            .field("reconcile_policy", &self.reconcile_policy)
            .field("reconciler", &self.reconciler)
            .field("checkouts_per_minute", &self.checkouts_per_minute)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
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
    /// Not a list of addresses and CIDR ranges.
    #[error("SHOP_TRUSTED_PROXIES: {0}")]
    Proxies(#[from] pay123_core::proxy::ProxyListError),
    /// `PAY123_API_URL` is set, and it or the credentials cannot be used.
    #[error(transparent)]
    Gateway(#[from] pay123_core::ConfigError),
    /// Not a duration, zero, or longer than the variable allows.
    #[error(
        "{var} must be a duration above zero and at most {max} such as 500ms, 10s, 15m or 1h, \
         not {value:?}"
    )]
    Duration {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The longest it may be, as written in the message.
        max: &'static str,
    },
    /// Not a number in range.
    #[error("{var} must be a whole number from 1 to {max}, not {value:?}")]
    Number {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The largest allowed.
        max: u32,
    },
    /// Not `on` or `off`.
    #[error("{var} must be on or off, not {value:?}")]
    Switch {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// Two settings that cannot go together.
    #[error("{0}")]
    Conflict(String),
}

impl ShopConfig {
    /// Reads `SHOP_ADDR`, `SHOP_PUBLIC_URL`, `SHOP_DATABASE_URL`, `SHOP_DATABASE_POOL`,
    /// `SHOP_GATEWAY_TIMEOUT`, `SHOP_RECONCILE`, `SHOP_RECONCILE_PERIOD`,
    /// `SHOP_RECONCILE_AFTER`, `SHOP_RECONCILE_MARGIN`, `SHOP_CHECKOUTS_PER_MINUTE`,
    /// `PAY123_SESSION_TIMEOUT`,
    /// `PAY123_API_URL`,
    /// `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and `PAY123_SECRET_KEY` (empty means unset).
    ///
    /// With `PAY123_API_URL` set, the three credentials are required
    /// ([`pay123_core::ConfigError::MissingCredentials`] names the missing ones), except for
    /// 123PAY's public sandbox ([`pay123_core::SANDBOX_API_URL`]), which uses the
    /// specification's credentials when none is
    /// set: a shop never signs for a real gateway with a public key by mistake.
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
            Some(_) => Some(Config::from_lookup(&get)?),
        };
        // Each setting has a ceiling: a value meant in other units (900000 for 15 minutes in
        // milliseconds) is refused, not read as ten days.
        let duration = |name: &'static str, default: Duration, max: (Duration, &'static str)| {
            match var(name) {
                None => Ok(default),
                Some(value) => pay123_sandbox::cli::parse_duration(&value)
                    .ok()
                    .filter(|d| !d.is_zero() && *d <= max.0)
                    .ok_or(ConfigError::Duration {
                        var: name,
                        value,
                        max: max.1,
                    }),
            }
        };
        const DAY: (Duration, &str) = (Duration::from_secs(24 * 3600), "24h");
        const HOUR: (Duration, &str) = (Duration::from_secs(3600), "1h");
        const FIVE_MINUTES: (Duration, &str) = (Duration::from_secs(300), "5m");
        let database_pool = match var("SHOP_DATABASE_POOL") {
            None => crate::store::DEFAULT_POOL_SIZE,
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or(ConfigError::Number {
                    var: "SHOP_DATABASE_POOL",
                    value,
                    max: 1000,
                })?,
        };
        let gateway_timeout = duration(
            "SHOP_GATEWAY_TIMEOUT",
            crate::DEFAULT_GATEWAY_TIMEOUT,
            FIVE_MINUTES,
        )?;
        let defaults = ReconcilePolicy::default();
        let reconcile_policy = defaults
            .with_first_check(duration("SHOP_RECONCILE_AFTER", defaults.first_check, DAY)?)
            .with_session_timeout(duration(
                "PAY123_SESSION_TIMEOUT",
                defaults.session_timeout,
                DAY,
            )?)
            .with_margin(duration("SHOP_RECONCILE_MARGIN", defaults.margin, DAY)?);
        if reconcile_policy.first_check <= gateway_timeout {
            return Err(ConfigError::Conflict(format!(
                "SHOP_RECONCILE_AFTER ({}) must be longer than SHOP_GATEWAY_TIMEOUT ({}): an order \
                 must not be asked about while its createOrder may be under way",
                humantime::format_duration(reconcile_policy.first_check),
                humantime::format_duration(gateway_timeout)
            )));
        }
        let checkouts_per_minute = match var("SHOP_CHECKOUTS_PER_MINUTE") {
            None => crate::CHECKOUTS_PER_MINUTE,
            Some(value) => value.parse::<u32>().map_err(|_| ConfigError::Number {
                var: "SHOP_CHECKOUTS_PER_MINUTE",
                value,
                max: u32::MAX,
            })?,
        };
        let trusted_proxies = var("SHOP_TRUSTED_PROXIES")
            .map(|list| list.parse::<TrustedProxies>())
            .transpose()?
            .unwrap_or_default();
        let settings = ReconcilerSettings::default();
        // An order is leased when its query starts: the lease outlasts the query (and its
        // retry), so that no other instance takes it while this one may still be asking.
        let lease = settings.lease.max(gateway_timeout.saturating_mul(2));
        let switch = var("SHOP_RECONCILE").map(|v| v.to_ascii_lowercase());
        let reconciler = match switch.as_deref() {
            None | Some("on" | "true" | "yes" | "1") => Some(
                settings
                    .with_period(duration("SHOP_RECONCILE_PERIOD", settings.period, HOUR)?)
                    .with_lease(lease),
            ),
            Some("off" | "false" | "no" | "0") => None,
            Some(_) => {
                return Err(ConfigError::Switch {
                    var: "SHOP_RECONCILE",
                    value: var("SHOP_RECONCILE").unwrap_or_default(),
                });
            }
        };
        Ok(Self {
            addr,
            public_url,
            database_url,
            database_pool,
            gateway,
            gateway_timeout,
            reconcile_policy,
            reconciler,
            checkouts_per_minute,
            trusted_proxies,
        })
    }

    /// [`database_url`](Self::database_url) fit to print or log: a password in it, in the user
    /// info or a `password` query parameter, becomes `***`
    /// (`postgres://shop:***@db.internal/shop`). A value that is not a URL is not shown at all.
    #[must_use]
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
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

/// What replaces a password.
const REDACTED: &str = "***";

/// `text` with the password of its user info and of its `password` query parameters replaced
/// by `***`; `[redacted]` when it is not a URL, or has an `@` after its host (a password with a
/// character that ends the host early, `/` or `#`): then anything in it may be a secret.
pub(crate) fn redact_url(text: &str) -> String {
    let hidden = || "[redacted]".to_owned();
    let Ok(mut url) = url::Url::parse(text) else {
        return hidden();
    };
    if url.path().contains('@') || url.fragment().is_some_and(|f| f.contains('@')) {
        return hidden();
    }
    let mut changed = false;
    if url.password().is_some() {
        if url.set_password(Some(REDACTED)).is_err() {
            return hidden();
        }
        changed = true;
    }
    let is_password = |name: &str| name.eq_ignore_ascii_case("password");
    if url.query_pairs().any(|(name, _)| is_password(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_password(&name) {
                    REDACTED.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    // Unchanged text is shown as written (the URL parser may normalise it).
    if changed {
        url.to_string()
    } else {
        text.to_owned()
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
    fn the_gateway_is_the_cores_config_when_named() {
        assert!(
            config(&[]).unwrap().gateway.is_none(),
            "unset: embedded sandbox"
        );
        let c = config(&[("PAY123_API_URL", "https://sandbox.123pay.vn/miservice/")]).unwrap();
        assert_eq!(c.gateway.unwrap().credentials.merchant_code(), "MICODE");
        let e = config(&[("PAY123_API_URL", "http://127.0.0.1:3123/miservice")]).unwrap_err();
        assert!(
            matches!(
                &e,
                ConfigError::Gateway(pay123_core::ConfigError::MissingCredentials(missing))
                    if missing.len() == 3
            ),
            "{e:?}"
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
    }

    #[test]
    fn the_database_password_is_never_shown() {
        let c = config(&[(
            "SHOP_DATABASE_URL",
            "postgres://shop:s3cr3t-pa55@db.internal:5432/shop?sslmode=require",
        )])
        .unwrap();
        assert_eq!(
            c.redacted_database_url(),
            "postgres://shop:***@db.internal:5432/shop?sslmode=require"
        );
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("postgres://shop:***@db.internal"), "{debug}");
        // The URL itself is still there for connecting.
        assert!(c.database_url.contains("s3cr3t-pa55"));

        let redacted = |url: &str| {
            config(&[("SHOP_DATABASE_URL", url)])
                .unwrap()
                .redacted_database_url()
        };
        assert_eq!(
            redacted("postgres://db.internal/shop?user=shop&password=s3cr3t&sslmode=require"),
            "postgres://db.internal/shop?user=shop&password=***&sslmode=require"
        );
        assert_eq!(
            redacted("postgres://:s3cr3t@db.internal/shop"),
            "postgres://:***@db.internal/shop"
        );
        // Without a password the URL is shown as written.
        assert_eq!(
            redacted("sqlite://shop.db?mode=rwc"),
            "sqlite://shop.db?mode=rwc"
        );
        assert_eq!(redacted("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redacted("postgres://shop@db.internal/shop"),
            "postgres://shop@db.internal/shop"
        );
        // Not a URL: nothing of it is shown.
        assert_eq!(redacted("shop:s3cr3t@db"), "[redacted]");
        assert_eq!(redacted("postgres://shop:s3cr3t#x@db/shop"), "[redacted]");
        assert_eq!(redacted("postgres://shop:1234/5678@db/shop"), "[redacted]");
        assert_eq!(redacted("postgres://shop:1234#5678@db/shop"), "[redacted]");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("SHOP_ADDR", "localhost")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_ADDR"), "{e}");
        let e = config(&[("SHOP_PUBLIC_URL", "shop.vn")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_PUBLIC_URL"), "{e}");
        let e = config(&[("PAY123_API_URL", "ftp://x")]).unwrap_err();
        assert!(e.to_string().starts_with("PAY123_API_URL"), "{e}");
        let e = config(&[("SHOP_RECONCILE_PERIOD", "often")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_RECONCILE_PERIOD"), "{e}");
        let e = config(&[("SHOP_RECONCILE", "maybe")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SHOP_RECONCILE must be on or off"),
            "{e}"
        );
        let e = config(&[("SHOP_RECONCILE_PERIOD", "0s")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_RECONCILE_PERIOD"), "{e}");
        let e = config(&[("SHOP_GATEWAY_TIMEOUT", "0ms")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_GATEWAY_TIMEOUT"), "{e}");
        // Milliseconds written as a bare number would be days of seconds: refused.
        let e = config(&[("PAY123_SESSION_TIMEOUT", "900000")]).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "PAY123_SESSION_TIMEOUT must be a duration above zero and at most 24h"
            ),
            "{e}"
        );
        assert!(config(&[("PAY123_SESSION_TIMEOUT", "24h")]).is_ok());
        let e = config(&[("SHOP_DATABASE_POOL", "0")]).unwrap_err();
        assert!(e.to_string().starts_with("SHOP_DATABASE_POOL"), "{e}");
        let e = config(&[("SHOP_RECONCILE_AFTER", "5s")]).unwrap_err();
        assert!(e.to_string().contains("SHOP_GATEWAY_TIMEOUT"), "{e}");
    }

    #[test]
    fn the_reconciler_is_on_by_default_and_configurable() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.gateway_timeout, Duration::from_secs(10));
        assert_eq!(defaults.reconcile_policy, ReconcilePolicy::default());
        assert_eq!(defaults.reconciler, Some(ReconcilerSettings::default()));
        let tuned = config(&[
            ("SHOP_RECONCILE_PERIOD", "2s"),
            ("SHOP_RECONCILE_AFTER", "1m"),
            ("PAY123_SESSION_TIMEOUT", "20m"),
            ("SHOP_RECONCILE_MARGIN", "30s"),
            ("SHOP_GATEWAY_TIMEOUT", "5s"),
            ("SHOP_DATABASE_POOL", "20"),
        ])
        .unwrap();
        assert_eq!(tuned.reconciler.unwrap().period, Duration::from_secs(2));
        assert_eq!(tuned.reconcile_policy.first_check, Duration::from_secs(60));
        assert_eq!(
            tuned.reconcile_policy.session_timeout,
            Duration::from_secs(1200)
        );
        assert_eq!(tuned.reconcile_policy.margin, Duration::from_secs(30));
        assert_eq!(tuned.gateway_timeout, Duration::from_secs(5));
        assert_eq!(tuned.database_pool, 20);
        assert_eq!(
            config(&[("SHOP_RECONCILE", "off")]).unwrap().reconciler,
            None
        );
        assert_eq!(
            config(&[("SHOP_RECONCILE", "FALSE")]).unwrap().reconciler,
            None
        );
        assert_eq!(
            config(&[("SHOP_RECONCILE_PERIOD", "5")])
                .unwrap()
                .reconciler
                .unwrap()
                .period,
            Duration::from_secs(5),
            "a bare number is seconds"
        );
        // The lease outlasts an order's query at the gateway timeout, and its retry.
        let slow = config(&[
            ("SHOP_GATEWAY_TIMEOUT", "1m"),
            ("SHOP_RECONCILE_AFTER", "2m"),
        ])
        .unwrap();
        assert_eq!(slow.reconciler.unwrap().lease, Duration::from_secs(2 * 60));
    }
}
