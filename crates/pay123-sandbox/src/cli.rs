//! The sandbox's command line: its options ([`Args`], for clap) and what running it does
//! ([`run`]). The `pay123-sandbox` binary and `pay123 sandbox` both use it.
//!
//! ```text
//! cargo run -p pay123-sandbox -- --listen 127.0.0.1:3123 \
//!     --notify-url http://127.0.0.1:3000/123pay/notify
//! ```
//!
//! More merchants come from `PAY123_SANDBOX_MERCHANTS` (or `--merchant`, which `ps` and the
//! shell history see); their passcodes and keys are never printed, not even in an error.

use std::ffi::OsStr;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::{Config, Faults, Merchant, SystemClock, cards};
use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use pay123_core::{BankCode, Credentials};

/// The sandbox's options. The specification's sandbox merchant MICODE / MIPASSCODE / MIKEY is
/// configured by default. Durations are written like 500ms, 2s, 15m or 1h.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "PAY123_SANDBOX_LISTEN", default_value = "127.0.0.1:3123")]
    listen: SocketAddr,

    /// Base of the URLs handed out to buyers (default: http:// + the listening address).
    #[arg(long, env = "PAY123_SANDBOX_PUBLIC_URL")]
    public_url: Option<String>,

    /// Notify listener of the MICODE merchant.
    #[arg(long, env = "PAY123_SANDBOX_NOTIFY_URL")]
    notify_url: Option<String>,

    /// Another merchant (repeatable, or comma-separated); the same code as MICODE replaces it.
    /// Prefer the environment variable: a command line is visible to `ps` and kept in the
    /// shell history. The command line, when given, replaces the variable.
    #[arg(
        long = "merchant",
        value_name = "CODE:PASSCODE:SECRET[:NOTIFY_URL]",
        env = "PAY123_SANDBOX_MERCHANTS",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = MerchantParser
    )]
    merchants: Vec<MerchantArg>,

    /// Notify retries after a failed first attempt.
    #[arg(long, default_value_t = 5)]
    notify_retries: u32,

    /// Wait before the first notify retry; doubles after each retry.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    notify_backoff: Duration,

    /// Time allowed for one notify attempt.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    notify_timeout: Duration,

    /// Time a buyer has on the bank pages before the payment fails (the page was closed).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    session_timeout: Duration,

    /// Validity of an OTP.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    otp_expiry: Duration,

    /// Time a payment stays at status 20 (card 0000000000000020) before it succeeds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    unknown_result_delay: Duration,

    /// Largest totalAmount in VND; above it createOrder answers 6212.
    #[arg(long, default_value_t = 100_000_000)]
    payment_limit: u64,

    /// Bank under maintenance (repeatable or comma-separated, e.g. 123PVCB,123PACB): 6203.
    #[arg(long = "maintenance", value_name = "BANK_CODE", value_delimiter = ',', value_parser = parse_bank)]
    maintenance: Vec<BankCode>,

    /// A bank 123PAY added after the specification, to pay through here too (repeatable or
    /// comma-separated, e.g. 123PKLB).
    #[arg(long = "add-bank", value_name = "BANK_CODE", value_delimiter = ',', value_parser = parse_added_bank)]
    added_banks: Vec<BankCode>,

    /// Share of createOrder/queryOrder calls answered 5000 (busy), 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    busy_rate: f64,

    /// Share of createOrder/queryOrder calls answered 7300 (bank error), 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    bank_error_rate: f64,

    /// Latency added to API answers and to the bank's card and OTP checks.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    latency: Duration,

    /// Share of notifies never sent, 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    drop_notify_rate: f64,

    /// Delay between processing a createOrder and answering it (the payment exists; a merchant
    /// with a shorter timeout never hears of it).
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    create_order_answer_delay: Duration,

    /// Also write the sandbox's explanation after the specification's text in error answers
    /// (123PAY never does; by default it is only in the X-Pay123-Sandbox-Detail header).
    #[arg(long)]
    lenient: bool,

    /// Time a connection has to send a whole request head (also the keep-alive idle time).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,

    /// Time a request body has to arrive whole.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    body_timeout: Duration,

    /// Time an answer may wait, without progress, for the client to read it.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    write_timeout: Duration,

    /// Opens the admin API (/_sandbox/) to other machines that send this token
    /// (Authorization: Bearer TOKEN); without it, only this machine may use it.
    #[arg(long, env = "PAY123_SANDBOX_ADMIN_TOKEN", hide_env_values = true, value_parser = parse_token)]
    admin_token: Option<crate::AdminToken>,
}

#[derive(Clone)]
struct MerchantArg(Merchant);

impl std::fmt::Debug for MerchantArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MerchantArg")
            .field(&self.0.credentials.merchant_code())
            .finish()
    }
}

/// Reads `CODE:PASSCODE:SECRET[:NOTIFY_URL]`. clap's own errors repeat the value given, which
/// holds secrets: these errors name the problem and never the value.
#[derive(Clone)]
struct MerchantParser;

impl TypedValueParser for MerchantParser {
    type Value = MerchantArg;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<MerchantArg, clap::Error> {
        let parsed = value
            .to_str()
            .ok_or_else(|| "it is not UTF-8".to_owned())
            .and_then(parse_merchant);
        parsed.map_err(|reason| {
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!(
                    "invalid merchant in --merchant or PAY123_SANDBOX_MERCHANTS (the value is \
                     not shown: it holds secrets): {reason}\n"
                ),
            )
            .with_cmd(cmd)
        })
    }
}

/// Errors name the problem, never the passcode or the key.
fn parse_merchant(value: &str) -> Result<MerchantArg, String> {
    let mut parts = value.trim().splitn(4, ':');
    let (Some(code), Some(passcode), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected CODE:PASSCODE:SECRET[:NOTIFY_URL]".into());
    };
    // The core's validation errors name the field and the rule, not the value.
    let credentials = Credentials::new(code, passcode, secret).map_err(|e| e.to_string())?;
    let mut merchant = Merchant::new(credentials);
    if let Some(url) = parts.next().filter(|u| !u.is_empty()) {
        merchant = merchant.with_notify_url(url);
    }
    Ok(MerchantArg(merchant))
}

fn parse_bank(value: &str) -> Result<BankCode, String> {
    let bank = BankCode::from_code(value.trim());
    if bank.is_well_formed() && bank != BankCode::Pay123 {
        Ok(bank)
    } else {
        Err(format!(
            "{value:?} is not a bank code: 123P and capital letters, such as 123PVCB"
        ))
    }
}

/// Errors never repeat the token.
fn parse_token(value: &str) -> Result<crate::AdminToken, String> {
    crate::AdminToken::new(value).ok_or_else(|| "the admin token is empty".to_owned())
}

fn parse_added_bank(value: &str) -> Result<BankCode, String> {
    let bank = BankCode::from_code(value.trim());
    if bank.is_well_formed() && !bank.is_known() {
        Ok(bank)
    } else if bank.is_known() {
        Err(format!("{value:?} is a bank of the specification already"))
    } else {
        Err(format!(
            "{value:?} is not a bank code: 123P and capital letters, such as 123PKLB"
        ))
    }
}

/// A share from 0 to 1.
fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "{value:?} is not a share from 0 to 1 (such as 0.25)"
        )),
    }
}

/// `500ms`, `2s`, `15m`, `1h`, `1h 30m` (humantime's form); a bare number is seconds. The rule
/// of every pay123 program that reads a duration: the sandbox's options and the demo shops'
/// settings.
///
/// # Errors
/// Why the value is not such a duration.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| format!("{value:?} is too long"));
    }
    humantime::parse_duration(value)
        .map_err(|e| format!("{value:?} is not a duration such as 500ms, 2s, 15m or 1h: {e}"))
}

impl Args {
    /// The sandbox's configuration from these options.
    #[must_use]
    pub fn config(self) -> Config {
        let mut config = Config {
            public_url: self.public_url,
            notify_retries: self.notify_retries,
            notify_backoff: self.notify_backoff,
            notify_timeout: self.notify_timeout,
            session_timeout: self.session_timeout,
            otp_expiry: self.otp_expiry,
            unknown_result_delay: self.unknown_result_delay,
            payment_limit: self.payment_limit,
            banks_under_maintenance: self.maintenance,
            added_banks: self.added_banks,
            faults: Faults {
                busy_rate: self.busy_rate,
                bank_error_rate: self.bank_error_rate,
                latency: self.latency,
                drop_notify_rate: self.drop_notify_rate,
                create_order_answer_delay: self.create_order_answer_delay,
            },
            clock: Arc::new(SystemClock),
            server_limits: crate::Limits::default()
                .header_timeout(self.header_timeout)
                .body_timeout(self.body_timeout)
                .write_timeout(self.write_timeout),
            lenient: self.lenient,
            admin_token: self.admin_token,
            ..Config::default()
        };
        if let Some(url) = self.notify_url {
            config = config.with_notify_url(url);
        }
        for MerchantArg(merchant) in self.merchants {
            config = config.with_merchant(merchant);
        }
        config
    }
}

/// Runs the sandbox with `args` until Ctrl-C: prints where it listens (never a secret), serves,
/// and shuts down. Call it within a Tokio runtime, with logging set up.
pub async fn run(args: Args) -> ExitCode {
    let listen = args.listen;
    let mut config = args.config();
    let admin_token = config.admin_token.is_some();
    let public_url = config.public_url.clone();
    config.server_limits = config.server_limits.max_connections(crate::connection_cap(
        config.server_limits.max_connections,
        1,
    ));
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("pay123-sandbox: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The port bound when `--listen` asked for any (`:0`); the address as asked (`0.0.0.0` says
    // every interface, where the sandbox's own URLs name loopback).
    let listen = listener.local_addr().unwrap_or(listen);
    let merchants: Vec<(String, Option<String>)> = config
        .merchants
        .iter()
        .map(|m| {
            (
                m.credentials.merchant_code().to_owned(),
                m.notify_url.clone(),
            )
        })
        .collect();
    let sandbox = match crate::start(listener, config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("pay123-sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    let endpoints = sandbox.endpoints();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "pay123-sandbox listening on http://{listen}");
    if !listen.ip().is_loopback() {
        let admin = if admin_token {
            "clients that send the admin token"
        } else {
            "this machine only (--admin-token opens it to others)"
        };
        let _ = writeln!(
            out,
            "  WARNING: reachable from other machines; the admin API answers {admin}"
        );
    }
    let buyer_urls = public_url.unwrap_or_else(|| sandbox.base_url());
    if buyer_urls != format!("http://{listen}") {
        let _ = writeln!(out, "  buyer URLs   {buyer_urls}");
    }
    let _ = writeln!(out, "  createOrder  {}", endpoints.create_order());
    let _ = writeln!(out, "  queryOrder   {}", endpoints.query_order());
    let _ = writeln!(
        out,
        "  dashboard    {}/_sandbox/  (in a browser; JSON admin API at the same URLs)",
        sandbox.base_url()
    );
    for (code, notify_url) in merchants {
        let _ = writeln!(
            out,
            "  merchant {code}: notify {}",
            notify_url.as_deref().unwrap_or("(none)")
        );
    }
    let _ = writeln!(
        out,
        "  test card: {} / {} / OTP {}",
        cards::TEST_CARD_HOLDER,
        cards::TEST_CARD_NUMBER,
        cards::TEST_OTP
    );
    let _ = out.flush();
    drop(out);
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("pay123-sandbox: cannot wait for Ctrl-C: {e}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The options as a command of their own, as the binary has them.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    impl Args {
        fn parse_from<const N: usize>(argv: [&str; N]) -> Self {
            Cli::parse_from(argv).args
        }
        fn try_parse_from<const N: usize>(argv: [&str; N]) -> Result<Self, clap::Error> {
            Cli::try_parse_from(argv).map(|c| c.args)
        }
    }

    #[test]
    fn defaults_match_the_library() {
        let args = Args::parse_from(["pay123-sandbox"]);
        assert_eq!(args.listen.to_string(), "127.0.0.1:3123");
        let config = args.config();
        let lib = Config::default();
        assert_eq!(config.notify_retries, lib.notify_retries);
        assert_eq!(config.notify_backoff, lib.notify_backoff);
        assert_eq!(config.notify_timeout, lib.notify_timeout);
        assert_eq!(config.session_timeout, lib.session_timeout);
        assert_eq!(config.otp_expiry, lib.otp_expiry);
        assert_eq!(config.unknown_result_delay, lib.unknown_result_delay);
        assert_eq!(config.payment_limit, lib.payment_limit);
        assert_eq!(config.merchants.len(), 1);
        assert_eq!(config.merchants[0].credentials.merchant_code(), "MICODE");
        assert!(config.merchants[0].notify_url.is_none());
    }

    #[test]
    fn knobs() {
        let args = Args::parse_from([
            "pay123-sandbox",
            "--notify-url",
            "http://127.0.0.1:3000/123pay/notify",
            "--merchant",
            "SHOP2:PASS2:KEY2:http://127.0.0.1:4000/notify",
            "--merchant",
            "SHOP3:PASS3:KEY3",
            "--maintenance",
            "123PVCB,123PACB",
            "--session-timeout",
            "90s",
            "--latency",
            "150ms",
            "--busy-rate",
            "0.25",
        ]);
        let config = args.config();
        assert_eq!(config.merchants.len(), 3);
        assert_eq!(
            config.merchants[0].notify_url.as_deref(),
            Some("http://127.0.0.1:3000/123pay/notify")
        );
        assert_eq!(
            config.merchants[1].notify_url.as_deref(),
            Some("http://127.0.0.1:4000/notify")
        );
        assert_eq!(config.merchants[2].credentials.merchant_code(), "SHOP3");
        assert_eq!(
            config.banks_under_maintenance,
            vec![BankCode::Vietcombank, BankCode::Acb]
        );
        assert_eq!(config.session_timeout, Duration::from_secs(90));
        assert_eq!(config.faults.latency, Duration::from_millis(150));
        assert!((config.faults.busy_rate - 0.25).abs() < f64::EPSILON);
        assert!(Args::try_parse_from(["pay123-sandbox", "--maintenance", "NOPE"]).is_err());
        assert!(Args::try_parse_from(["pay123-sandbox", "--maintenance", "123PAY"]).is_err());
        // An added bank may be under maintenance; an unknown one may not.
        let added = Args::try_parse_from([
            "pay123-sandbox",
            "--add-bank",
            "123PKLB",
            "--maintenance",
            "123PKLB",
        ])
        .unwrap();
        assert!(added.config().check().is_ok());
        let unknown = Args::try_parse_from(["pay123-sandbox", "--maintenance", "123PKLB"]).unwrap();
        assert!(unknown.config().check().is_err());
        // The admin token is never in Debug.
        let token = Args::try_parse_from(["pay123-sandbox", "--admin-token", "T0K3N"]).unwrap();
        assert!(!format!("{token:?}").contains("T0K3N"));
        assert!(Args::try_parse_from(["pay123-sandbox", "--merchant", "ONLYCODE"]).is_err());
    }

    #[test]
    fn merchant_errors_never_show_the_value() {
        for value in [
            "SHOP2:S3CRET-PASS",
            "SHOP2::S3CRET-KEY",
            "SHOP2:S3CRET-PASS:",
            "SHOP-WITH-A-CODE-FAR-TOO-LONG:S3CRET-PASS:S3CRET-KEY",
            "SHOP2:S3CRET-PASS:S3CRET-KEY,S3CRET-ALONE",
        ] {
            let Err(error) = Args::try_parse_from(["pay123-sandbox", "--merchant", value]) else {
                panic!("{value} was accepted");
            };
            assert_eq!(error.kind(), ErrorKind::ValueValidation);
            let shown = error.render().to_string();
            assert!(!shown.contains("S3CRET"), "{shown}");
            assert!(shown.contains("value is not shown"), "{shown}");
        }
        // Two merchants in one value, as in PAY123_SANDBOX_MERCHANTS.
        let args = Args::parse_from([
            "pay123-sandbox",
            "--merchant",
            "SHOP2:PASS2:KEY2:http://127.0.0.1:4000/notify,SHOP3:PASS3:KEY3",
        ]);
        let codes: Vec<_> = args
            .config()
            .merchants
            .iter()
            .map(|m| m.credentials.merchant_code().to_owned())
            .collect();
        assert_eq!(codes, ["MICODE", "SHOP2", "SHOP3"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("1 fortnight").is_err());
        assert!(parse_duration(&format!("{}h", u64::MAX)).is_err());
        assert!(parse_duration("ms").is_err());
    }
}
