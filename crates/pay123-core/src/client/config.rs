//! Which 123PAY to talk to, and as which merchant: from the app's environment, with no silent
//! default.

use std::fmt;

use crate::message::endpoint::Endpoints;
use crate::message::rule::ValidationError;
use crate::message::secret::Credentials;

/// The `PAY123_API_URL` of 123PAY's public sandbox: the one gateway whose credentials are public
/// (the specification's `MICODE` / `MIPASSCODE` / `MIKEY`).
pub const SANDBOX_API_URL: &str = "https://sandbox.123pay.vn/miservice";

/// The `PAY123_API_URL` of 123PAY's production.
pub const PRODUCTION_API_URL: &str = "https://mi.123pay.vn";

/// Names the one host plain `http` may reach when it is not on this machine: a sandbox on a test
/// network. Never in production.
const INSECURE_HTTP_HOST: &str = "PAY123_INSECURE_HTTP_HOST";

/// The variables, in the order of [`Credentials::new`].
const CREDENTIALS: [&str; 3] = [
    "PAY123_MERCHANT_CODE",
    "PAY123_PASSCODE",
    "PAY123_SECRET_KEY",
];

/// The gateway (`PAY123_API_URL`) and the merchant's credentials (`PAY123_MERCHANT_CODE`,
/// `PAY123_PASSCODE`, `PAY123_SECRET_KEY`), as an app reads them at startup.
///
/// Nothing is assumed: without `PAY123_API_URL` it is an error (a deployment that forgot it
/// must not take sandbox payments as real ones), and the three credentials are required, except
/// for 123PAY's public sandbox ([`SANDBOX_API_URL`]), which uses the specification's when none is
/// set. `Debug` shows the URL and the merchant code, never the passcode or the key.
///
/// ```
/// use pay123_core::{Config, ConfigError};
///
/// let env = |name: &str| match name {
///     "PAY123_API_URL" => Some("https://mi.123pay.vn".to_owned()),
///     "PAY123_MERCHANT_CODE" => Some("SHOPVN".to_owned()),
///     _ => None,
/// };
/// let error = Config::from_lookup(env).unwrap_err();
/// assert_eq!(
///     error,
///     ConfigError::MissingCredentials(vec!["PAY123_PASSCODE", "PAY123_SECRET_KEY"])
/// );
/// // In an app: let config = Config::from_env()?;
/// //            let client = pay123_hyper::client(config.credentials, config.endpoints);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// `PAY123_API_URL` without a trailing `/`: the base of `{base}/createOrder1` and
    /// `{base}/queryOrder1`.
    pub api_url: String,
    /// The endpoints derived from it.
    pub endpoints: Endpoints,
    /// The merchant's credentials.
    pub credentials: Credentials,
}

/// A variable that is missing or cannot be used. Names the variables, never a secret's value.
///
/// Its `Debug` is its message, so that `fn main() -> Result<(), Box<dyn Error>>` prints what to
/// set rather than a variant's name.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `PAY123_API_URL` is not set.
    #[error(
        "PAY123_API_URL is not set: set it to 123PAY's URL ({PRODUCTION_API_URL}), its public \
         sandbox's ({SANDBOX_API_URL}) or a local sandbox's"
    )]
    MissingUrl,
    /// `PAY123_API_URL` is not an absolute http(s) URL with a host.
    #[error("PAY123_API_URL must be an absolute http(s) URL such as {SANDBOX_API_URL}: {0}")]
    Url(String),
    /// `PAY123_API_URL` is plain `http` to another machine. 123PAY's answers do not sign the
    /// order's id: only TLS keeps someone in between from answering for one order with
    /// another's. A sandbox on a test network may be named in `PAY123_INSECURE_HTTP_HOST`;
    /// 123PAY's own hosts never.
    #[error(
        "PAY123_API_URL is plain http to {host}: 123PAY's answers must come over https (they do \
         not sign the order's id, so anyone in between could answer for one order with \
         another's). http is for a sandbox on this machine, or on a test network whose host is \
         named in PAY123_INSECURE_HTTP_HOST (the host alone, such as `sandbox`; never one of \
         123PAY's)"
    )]
    PlainHttp {
        /// The host of the URL.
        host: String,
    },
    /// These credential variables are not set (in the order `PAY123_MERCHANT_CODE`,
    /// `PAY123_PASSCODE`, `PAY123_SECRET_KEY`).
    #[error(
        "not set: {}; PAY123_MERCHANT_CODE, PAY123_PASSCODE and PAY123_SECRET_KEY are required \
         (only 123PAY's public sandbox, {SANDBOX_API_URL}, has default credentials)",
        .0.join(", ")
    )]
    MissingCredentials(Vec<&'static str>),
    /// The credentials break a rule (the field is named, not its value).
    #[error("invalid 123PAY credentials: {0}")]
    Credentials(#[source] ValidationError),
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Config {
    /// The rule `Config` holds 123PAY's URL to, for a program that builds its [`Endpoints`]
    /// itself: `https`, or plain `http` to this machine (a local sandbox), or to the one host
    /// named in `PAY123_INSECURE_HTTP_HOST` (read through `get`; a sandbox on a test network,
    /// warned about) but never to 123PAY's own hosts.
    ///
    /// # Errors
    ///
    /// [`ConfigError::PlainHttp`] otherwise.
    pub fn check_transport(
        endpoints: &Endpoints,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if endpoints.is_on_this_machine() {
            return Ok(());
        }
        let allowed = get(INSECURE_HTTP_HOST);
        for uri in [endpoints.create_order(), endpoints.query_order()] {
            if uri.scheme_str() != Some("http") {
                continue;
            }
            // `mi.123pay.vn.` is `mi.123pay.vn`.
            let host = uri.host().unwrap_or("").trim_end_matches('.');
            // A sandbox on a test network (another container) is reached by its name, in the
            // open: allowed only for the host named in a variable that says what it costs, and
            // never for 123PAY's own hosts.
            let pay123 = host.eq_ignore_ascii_case("123pay.vn")
                || host.to_ascii_lowercase().ends_with(".123pay.vn");
            let named = allowed.as_deref().is_some_and(|allowed| {
                let allowed = allowed.trim().trim_start_matches("http://");
                let allowed = allowed.split(['/', ':']).next().unwrap_or("");
                allowed.trim_end_matches('.').eq_ignore_ascii_case(host)
            });
            if !named || pay123 {
                return Err(ConfigError::PlainHttp {
                    host: host.to_owned(),
                });
            }
            tracing::warn!(
                host,
                "PAY123_INSECURE_HTTP_HOST: 123PAY's answers are read over plain http: anyone on \
                 the network between can answer for one order with another's; for a test \
                 network only"
            );
        }
        Ok(())
    }

    /// Reads `PAY123_API_URL`, `PAY123_MERCHANT_CODE`, `PAY123_PASSCODE` and
    /// `PAY123_SECRET_KEY` (an empty value is unset).
    ///
    /// # Errors
    ///
    /// A variable is missing or invalid: [`ConfigError`] names it.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading the variables through `get`.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let api_url = var("PAY123_API_URL").ok_or(ConfigError::MissingUrl)?;
        let api_url = api_url.trim_end_matches('/').to_owned();
        let endpoints =
            Endpoints::from_base(&api_url).map_err(|e| ConfigError::Url(e.to_string()))?;
        // The URL's scheme and host are checked by `Endpoints`, which also refuses user info
        // and a query: nothing secret is left in `api_url`.
        Self::check_transport(&endpoints, &get)?;
        let values = CREDENTIALS.map(var);
        let credentials = match values {
            [Some(code), Some(passcode), Some(key)] => {
                Credentials::new(code, passcode, key).map_err(ConfigError::Credentials)?
            }
            [None, None, None] if endpoints == Endpoints::sandbox() => Credentials::sandbox(),
            _ => {
                let missing = CREDENTIALS
                    .iter()
                    .zip(&values)
                    .filter(|(_, value)| value.is_none())
                    .map(|(name, _)| *name)
                    .collect();
                return Err(ConfigError::MissingCredentials(missing));
            }
        };
        Ok(Self {
            api_url,
            endpoints,
            credentials,
        })
    }

    /// Whether this is 123PAY's public sandbox.
    #[must_use]
    pub fn is_public_sandbox(&self) -> bool {
        self.endpoints == Endpoints::sandbox()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_url", &self.api_url)
            .field("merchant_code", &self.credentials.merchant_code())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn no_url_is_an_error_not_the_sandbox() {
        assert_eq!(config(&[]).unwrap_err(), ConfigError::MissingUrl);
        let e = config(&[("PAY123_API_URL", "  ")]).unwrap_err();
        assert_eq!(e, ConfigError::MissingUrl);
        assert!(
            e.to_string().starts_with("PAY123_API_URL is not set"),
            "{e}"
        );
    }

    #[test]
    fn the_public_sandbox_alone_has_default_credentials() {
        let c = config(&[("PAY123_API_URL", "https://sandbox.123pay.vn/miservice/")]).unwrap();
        assert_eq!(c.credentials.merchant_code(), "MICODE");
        assert!(c.is_public_sandbox());
        assert_eq!(c.api_url, SANDBOX_API_URL);
        for api_url in [
            PRODUCTION_API_URL,
            "http://127.0.0.1:3123/miservice",
            "https://sandbox.123pay.vn/other",
        ] {
            let e = config(&[("PAY123_API_URL", api_url)]).unwrap_err();
            assert_eq!(
                e,
                ConfigError::MissingCredentials(CREDENTIALS.to_vec()),
                "{api_url}"
            );
        }
        // Half the sandbox's credentials is a mistake too.
        let e = config(&[
            ("PAY123_API_URL", SANDBOX_API_URL),
            ("PAY123_PASSCODE", "MIPASSCODE"),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            ConfigError::MissingCredentials(vec!["PAY123_MERCHANT_CODE", "PAY123_SECRET_KEY"])
        );
    }

    #[test]
    fn secrets_stay_out_of_errors_and_debug() {
        let c = config(&[
            ("PAY123_API_URL", "https://mi.123pay.vn/"),
            ("PAY123_MERCHANT_CODE", "SHOPVN"),
            ("PAY123_PASSCODE", "very-secret-passcode"),
            ("PAY123_SECRET_KEY", "very-secret-key"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("SHOPVN"), "{debug}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let e = config(&[
            ("PAY123_API_URL", PRODUCTION_API_URL),
            ("PAY123_MERCHANT_CODE", "SHOPVN"),
            ("PAY123_SECRET_KEY", "very-secret-key"),
        ])
        .unwrap_err();
        assert!(
            e.to_string().starts_with("not set: PAY123_PASSCODE;"),
            "{e}"
        );
        assert!(!e.to_string().contains("very-secret"), "{e}");
        assert!(!e.to_string().contains("SHOPVN"), "{e}");
        let e = config(&[("PAY123_API_URL", "ftp://user:hunter2@host/x")]).unwrap_err();
        assert!(matches!(e, ConfigError::Url(_)), "{e:?}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn plain_http_only_to_this_machine_and_no_password_in_the_url() {
        let creds = [
            ("PAY123_MERCHANT_CODE", "MICODE"),
            ("PAY123_PASSCODE", "MIPASSCODE"),
            ("PAY123_SECRET_KEY", "MIKEY"),
        ];
        let with = |url: &'static str| {
            let mut vars = creds.to_vec();
            vars.push(("PAY123_API_URL", url));
            config(&vars)
        };
        for local in [
            "http://127.0.0.1:3123/miservice",
            "http://localhost:3123/miservice",
            "http://[::1]:3123/miservice",
        ] {
            assert!(with(local).is_ok(), "{local}");
        }
        for remote in [
            "http://sandbox.123pay.vn/miservice",
            "http://10.0.0.5/miservice",
        ] {
            let e = with(remote).unwrap_err();
            assert!(
                matches!(e, ConfigError::PlainHttp { .. }),
                "{remote}: {e:?}"
            );
            assert!(e.to_string().contains("https"), "{e}");
            assert!(e.to_string().contains("PAY123_INSECURE_HTTP_HOST"), "{e}");
        }
        // A sandbox on a test network: only the host the variable names.
        let on_network = |url: &'static str, allowed: &'static str| {
            let mut vars = creds.to_vec();
            vars.push(("PAY123_API_URL", url));
            vars.push(("PAY123_INSECURE_HTTP_HOST", allowed));
            config(&vars)
        };
        assert!(on_network("http://sandbox:3123/miservice", "sandbox").is_ok());
        assert!(on_network("http://sandbox:3123/miservice", "sandbox:3123").is_ok());
        assert!(on_network("http://sandbox:3123/miservice", "other").is_err());
        assert!(on_network("http://10.0.0.5/miservice", "sandbox").is_err());
        // Never 123PAY's own hosts, however written.
        for url in [
            "http://mi.123pay.vn",
            "http://sandbox.123pay.vn/miservice",
            "http://mi.123pay.vn./",
            "http://MI.123PAY.VN",
        ] {
            let host = url.trim_start_matches("http://").split('/').next().unwrap();
            let e = on_network(url, host).unwrap_err();
            assert!(matches!(e, ConfigError::PlainHttp { .. }), "{url}: {e:?}");
        }
        // Both methods are held to it: an https createOrder does not excuse an http queryOrder.
        let mixed = Endpoints::custom(
            "https://mi.123pay.vn/createOrder1",
            "http://mi.123pay.vn/queryOrder1",
        )
        .unwrap();
        let e = Config::check_transport(&mixed, |_| None).unwrap_err();
        assert!(matches!(e, ConfigError::PlainHttp { .. }), "{e:?}");
        let e = with("https://user:hunter2@mi.123pay.vn").unwrap_err();
        assert!(e.to_string().contains("user info"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = with("https://mi.123pay.vn/?token=T0KEN").unwrap_err();
        assert!(e.to_string().contains("no query"), "{e}");
    }
}
