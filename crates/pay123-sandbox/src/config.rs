//! How a sandbox behaves: its merchants, its limits, its timeouts and the faults it injects.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use pay123_core::{BankCode, Credentials};

use pay123_core::clock::{Clock, SystemClock};

/// A merchant the sandbox knows: its credentials and where its notifies go.
#[derive(Debug, Clone)]
pub struct Merchant {
    /// Merchant code, passcode and secret key.
    pub credentials: Credentials,
    /// The merchant's notify listener (`http://` or `https://`); `None` sends no notify.
    pub notify_url: Option<String>,
}

impl Merchant {
    /// A merchant without a notify URL.
    #[must_use]
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            notify_url: None,
        }
    }

    /// Sets the notify URL.
    #[must_use]
    pub fn with_notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }
}

/// Faults the sandbox injects, to rehearse what the real gateway does on a bad day.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of createOrder and queryOrder calls answered `5000` (system busy), from 0.0 to 1.0.
    pub busy_rate: f64,
    /// Share of createOrder and queryOrder calls answered `7300` (bank communication error).
    pub bank_error_rate: f64,
    /// Delay added before each createOrder and queryOrder answer, and while the bank checks a
    /// card or an OTP (so that the pending statuses can be observed).
    pub latency: Duration,
    /// Share of notifies that are never sent (the merchant must fall back on queryOrder).
    pub drop_notify_rate: f64,
    /// Delay added after a createOrder is processed, before its answer: 123PAY has created the
    /// payment, and a merchant whose timeout is shorter never hears of it (it must find out
    /// with queryOrder).
    pub create_order_answer_delay: Duration,
}

/// The sandbox's configuration. [`Config::default`] is the specification's sandbox merchant
/// `MICODE` / `MIPASSCODE` / `MIKEY` without a notify URL.
///
/// ```
/// use std::time::Duration;
/// use pay123_sandbox::Config;
/// let config = Config {
///     session_timeout: Duration::from_secs(60),
///     ..Config::default()
/// }
/// .with_notify_url("http://127.0.0.1:3000/123pay/notify");
/// assert_eq!(config.merchants[0].credentials.merchant_code(), "MICODE");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The merchants; createOrder and queryOrder are authenticated against them.
    pub merchants: Vec<Merchant>,
    /// The base of the URLs handed out to buyers (`https://pay.example.test`); the listening
    /// address when `None`.
    pub public_url: Option<String>,
    /// How many times a notify is sent again after the first attempt fails.
    pub notify_retries: u32,
    /// The wait before the first retry; it doubles after each retry.
    pub notify_backoff: Duration,
    /// How long one notify attempt may take (connect, send, read the reply).
    pub notify_timeout: Duration,
    /// How long a buyer has on the bank pages; then the transaction fails (the buyer closed the
    /// page). 15 minutes by default.
    pub session_timeout: Duration,
    /// How long an OTP stays valid after it is sent.
    pub otp_expiry: Duration,
    /// How long a transaction stays at `20` (bank result unknown) before the bank reports
    /// success.
    pub unknown_result_delay: Duration,
    /// The largest `totalAmount` accepted; above it createOrder answers `6212`.
    pub payment_limit: u64,
    /// Banks under maintenance: createOrder with one of them answers `6203`, and the bank choice
    /// page refuses them.
    pub banks_under_maintenance: Vec<BankCode>,
    /// Banks 123PAY added after the specification (`123PKLB`), which this sandbox also pays
    /// through, to test a bank the 2017 list lacks: createOrder takes them, the bank choice page
    /// lists them, and their notifies carry their code. Each must have 123PAY's form (`123P`
    /// and capital letters).
    pub added_banks: Vec<BankCode>,
    /// Faults to inject.
    pub faults: Faults,
    /// Where the sandbox reads the time; replace it to test expiry without waiting.
    pub clock: Arc<dyn Clock>,
    /// The server's header, body and idle timeouts, body cap and connection cap (used by
    /// [`start`](crate::start)).
    pub server_limits: pay123_axum::server::Limits,
    /// Also writes the sandbox's explanation (which field, which rule, which credential) after
    /// the specification's text in error answers, as older versions of the sandbox did. Off by
    /// default: 123PAY answers the text of its table only, and the explanation is in the
    /// `X-Pay123-Sandbox-Detail` header, the log and `GET /_sandbox/refusals`.
    pub lenient: bool,
    /// Opens the admin API (`/_sandbox/...`) to clients on other machines that send it
    /// (`Authorization: Bearer <token>`); without one, only this machine may use it. See
    /// [the manual](crate::docs::manual), "Who may use the admin API".
    pub admin_token: Option<crate::AdminToken>,
    /// How many queryOrder calls about a transaction are events of its history (20): after
    /// them, only their count grows, so that a shop polling every second does not grow the
    /// record. A go-live check, which judges from those events, keeps them all.
    pub query_events_kept: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            merchants: vec![Merchant::new(Credentials::sandbox())],
            public_url: None,
            notify_retries: 5,
            notify_backoff: Duration::from_secs(1),
            notify_timeout: Duration::from_secs(10),
            session_timeout: Duration::from_secs(15 * 60),
            otp_expiry: Duration::from_secs(5 * 60),
            unknown_result_delay: Duration::from_secs(30),
            payment_limit: 100_000_000,
            banks_under_maintenance: Vec::new(),
            added_banks: Vec::new(),
            faults: Faults::default(),
            clock: Arc::new(SystemClock),
            server_limits: pay123_axum::server::Limits::default(),
            lenient: false,
            admin_token: None,
            query_events_kept: crate::gateway::QUERY_EVENTS_KEPT,
        }
    }
}

impl Config {
    /// Whether buyers may pay through `bank` here: a bank of the specification, or an
    /// [added](Self::added_banks) one.
    pub(crate) fn pays_through(&self, bank: &BankCode) -> bool {
        (bank.is_known() && *bank != BankCode::Pay123) || self.added_banks.contains(bank)
    }

    /// Sets the notify URL of the first merchant.
    #[must_use]
    pub fn with_notify_url(mut self, url: impl Into<String>) -> Self {
        if let Some(merchant) = self.merchants.first_mut() {
            merchant.notify_url = Some(url.into());
        }
        self
    }

    /// Adds a merchant, replacing one with the same merchant code.
    #[must_use]
    pub fn with_merchant(mut self, merchant: Merchant) -> Self {
        let code = merchant.credentials.merchant_code().to_owned();
        match self
            .merchants
            .iter_mut()
            .find(|m| m.credentials.merchant_code() == code)
        {
            Some(existing) => *existing = merchant,
            None => self.merchants.push(merchant),
        }
        self
    }

    /// The merchant with this code.
    #[must_use]
    pub fn merchant(&self, merchant_code: &str) -> Option<&Merchant> {
        self.merchants
            .iter()
            .find(|m| m.credentials.merchant_code() == merchant_code)
    }

    /// Checks what [`start`](crate::start) cannot work with.
    pub(crate) fn check(&self) -> io::Result<()> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        if self.merchants.is_empty() {
            return invalid("the sandbox needs at least one merchant".into());
        }
        for (i, m) in self.merchants.iter().enumerate() {
            let code = m.credentials.merchant_code();
            if self.merchants[..i]
                .iter()
                .any(|o| o.credentials.merchant_code() == code)
            {
                return invalid(format!("merchant {code} is configured twice"));
            }
            if let Some(url) = &m.notify_url {
                check_http_url(url)
                    .or_else(|e| invalid(format!("notify URL of merchant {code}: {e}")))?;
            }
        }
        if let Some(bank) = self
            .banks_under_maintenance
            .iter()
            .find(|b| !self.pays_through(b))
        {
            return invalid(format!(
                "bank {:?} under maintenance is neither a bank of the specification nor an added one",
                bank.code()
            ));
        }
        if let Some(bank) = self.added_banks.iter().find(|b| !b.is_well_formed()) {
            return invalid(format!(
                "added bank {:?} is not a bank code: 123P and capital letters, such as 123PKLB",
                bank.code()
            ));
        }
        if let Some(url) = &self.public_url
            && (!(url.starts_with("http://") || url.starts_with("https://"))
                || url.parse::<http::Uri>().is_err())
        {
            return invalid(format!("public URL {url:?} is not an http(s) URL"));
        }
        for (name, rate) in [
            ("busy rate", self.faults.busy_rate),
            ("bank error rate", self.faults.bank_error_rate),
            ("drop notify rate", self.faults.drop_notify_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return invalid(format!("{name} {rate} is not between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// Notifies go out with `pay123-hyper`: plain HTTP (a merchant's development server) or HTTPS.
fn check_http_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(format!("{url:?} is not an http(s):// URL with a host"));
    }
    Ok(())
}
