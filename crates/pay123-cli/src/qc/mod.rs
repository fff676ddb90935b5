//! The go-live self-check: 123PAY's merchant QC cases (NS01, ES01–ES17) and pay123's notify
//! checks, run against a merchant's own shop, whatever it is written in.
//!
//! A [`Session`] starts a sandbox (the local 123PAY of `pay123-sandbox`) for the check; the shop
//! points its gateway URL at it ([`Session::gateway_url`]) and its notify URL is given in
//! [`Settings`]. [`Session::run`] then goes through the cases. What needs no shop page (the
//! notify replies, queryOrder calls, a lost notify) it does itself and judges from what the
//! sandbox saw; what needs the shop's checkout page it asks a [`Guide`] to do, one step at a
//! time: a person at a terminal ([`TerminalGuide`]), a browser on one of pay123's demo shops
//! ([`DemoShopBrowser`]), or a test's own buyer. The [`Report`] has one row per case (pass, fail,
//! not run, or needs a person's eye) with its evidence, in JSON and in Markdown.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use pay123_cli::qc::{Session, Settings, TerminalGuide};
//!
//! let settings = Settings::new("http://127.0.0.1:3000/123pay/notify")
//!     .with_order_url("http://127.0.0.1:3000/orders/{id}");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3123").await?;
//! let session = Session::start(listener, pay123_core::Credentials::sandbox(), settings).await?;
//! println!("point the shop at {}", session.gateway_url());
//! let report = session.run(&mut TerminalGuide::new()).await;
//! std::fs::write("qc-report.md", report.to_markdown())?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::time::{Duration, SystemTime};

use pay123_core::{Credentials, TransactionStatus};
use pay123_sandbox::cards::TEST_ISSUE_DATE;
use pay123_sandbox::{Config, Merchant, Sandbox};
use tokio::net::TcpListener;

mod browser;
mod cases;
mod judge;
mod probe;
mod report;
mod terminal;

pub use browser::{ChromeDriver, DemoShopBrowser};
pub use cases::{CASES, CaseDef, Origin};
pub use report::{CaseReport, Check, OrderView, Probe, Report, Summary, Verdict};
pub use terminal::TerminalGuide;

/// What the check is told about the shop, and how long it waits.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// The shop's notify URL, where the sandbox sends notifies.
    pub notify_url: String,
    /// A URL of the shop that answers an order as JSON, with `{id}` where the `mTransactionID`
    /// goes (`http://127.0.0.1:3000/orders/{id}`): a JSON object with a boolean `paid` and,
    /// optionally, a string `status` (`pending`, `paid`, or `failed` once the shop gave the
    /// order up) and a number `amount`. Without it, the guide is asked what the shop shows.
    pub order_url: Option<String>,
    /// The cases to run, by id (`NS01`, `ES03`, `NOTIFY-FORGED`...); empty: every case.
    pub only: Vec<String>,
    /// How long one step may take: the checkout to reach the sandbox, a payment to end, a
    /// notify to be answered, the shop to show an order's new state.
    pub step_timeout: Duration,
    /// How long the shop has to find a payment whose notify was lost (ES14) with queryOrder.
    pub lost_notify_wait: Duration,
}

impl Settings {
    /// Every case, 5 minutes a step and 5 minutes for a lost notify.
    pub fn new(notify_url: impl Into<String>) -> Self {
        Self {
            notify_url: notify_url.into(),
            order_url: None,
            only: Vec::new(),
            step_timeout: Duration::from_secs(300),
            lost_notify_wait: Duration::from_secs(300),
        }
    }

    /// Sets [`order_url`](Self::order_url).
    #[must_use]
    pub fn with_order_url(mut self, pattern: impl Into<String>) -> Self {
        self.order_url = Some(pattern.into());
        self
    }

    /// Sets [`only`](Self::only).
    #[must_use]
    pub fn with_only(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.only = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`step_timeout`](Self::step_timeout).
    #[must_use]
    pub fn with_step_timeout(mut self, timeout: Duration) -> Self {
        self.step_timeout = timeout;
        self
    }

    /// Sets [`lost_notify_wait`](Self::lost_notify_wait).
    #[must_use]
    pub fn with_lost_notify_wait(mut self, wait: Duration) -> Self {
        self.lost_notify_wait = wait;
        self
    }
}

/// Something the buyer does on the bank pages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// The card page filled with this holder and number (and the issue date `01/15`), then
    /// "Thanh toán".
    Card {
        /// The holder's name.
        holder: &'static str,
        /// The card number.
        number: &'static str,
    },
    /// "Thanh toán" pressed on the card page with every field empty.
    EmptyCard,
    /// The OTP page filled with this code, then "Xác nhận".
    Otp(&'static str),
    /// "Xác nhận" pressed on the OTP page with the field empty.
    EmptyOtp,
    /// "Hủy giao dịch" pressed.
    Cancel,
}

impl Input {
    /// What a person is told to do.
    #[must_use]
    pub fn instruction(&self) -> String {
        match self {
            Self::Card { holder, number } => format!(
                "on the card page, enter holder \"{holder}\", card number {number}, issue date \
                 {TEST_ISSUE_DATE}, and press \"Thanh toán\""
            ),
            Self::EmptyCard => {
                "on the card page, leave every field empty and press \"Thanh toán\"".to_owned()
            }
            Self::Otp(code) => format!("on the OTP page, enter {code} and press \"Xác nhận\""),
            Self::EmptyOtp => {
                "on the OTP page, leave the field empty and press \"Xác nhận\"".to_owned()
            }
            Self::Cancel => "press \"Hủy giao dịch\" (cancel)".to_owned(),
        }
    }
}

/// A step of a case that needs the shop's pages or the bank pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step<'a> {
    /// Start a checkout in the shop (any product) and go on to 123PAY's pages; choose any bank
    /// if 123PAY asks.
    Checkout {
        /// The case it is for.
        case: &'a str,
    },
    /// On the bank pages, these inputs in order.
    Bank(&'a [Input]),
    /// Close the bank page's tab (the buyer leaves).
    Leave,
    /// Leave the bank page open and do nothing (its session is about to time out).
    Stay,
    /// Reload the bank page: its session timed out, so the buyer is sent back to the shop.
    Reload,
}

impl Step<'_> {
    /// What a person is told to do.
    #[must_use]
    pub fn instruction(&self) -> String {
        match self {
            Self::Checkout { case } => format!(
                "[{case}] In your shop, buy any product and go on to pay with 123PAY (if 123PAY \
                 asks for a bank, choose any, e.g. Vietcombank)."
            ),
            Self::Bank(inputs) => {
                let steps: Vec<String> = inputs.iter().map(Input::instruction).collect();
                format!("On the bank pages: {}.", steps.join("; then "))
            }
            Self::Leave => {
                "Close the bank page's tab now, without going back to the shop.".to_owned()
            }
            Self::Stay => "Leave the bank page open and do nothing; the check times its session \
                           out now, as 123PAY does after 15 minutes."
                .to_owned(),
            Self::Reload => "Reload the bank page: 123PAY sends you back to the shop.".to_owned(),
        }
    }
}

/// A question about what a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question<'a> {
    /// The shop's page the buyer came back to says the payment failed, with a message that
    /// matches the status.
    ToldFailure {
        /// The order.
        id: &'a str,
        /// The status 123PAY reported.
        status: &'a TransactionStatus,
    },
    /// The shop's page the buyer came back to says the order is paid.
    ToldPaid {
        /// The order.
        id: &'a str,
    },
    /// The shop's page the buyer came back to says the payment is being processed (not failed,
    /// not paid).
    ToldPending {
        /// The order.
        id: &'a str,
    },
    /// The shop's own view of the order (its admin pages) shows it paid.
    OrderPaid {
        /// The order.
        id: &'a str,
    },
    /// The shop's own view of the order shows it not paid.
    OrderNotPaid {
        /// The order.
        id: &'a str,
    },
}

impl Question<'_> {
    /// The question, as a person is asked it.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::ToldFailure { id, status } => format!(
                "Does your shop's page (order {id}) tell the buyer that the payment did not go \
                 through, with a message that matches \"{}\" ({}, code {})?",
                status.vietnamese(),
                status.english(),
                status.code()
            ),
            Self::ToldPaid { id } => {
                format!("Does your shop's page tell the buyer that order {id} is paid?")
            }
            Self::ToldPending { id } => format!(
                "Does your shop's page tell the buyer that the payment of order {id} is being \
                 processed (neither paid nor failed)?"
            ),
            Self::OrderPaid { id } => format!("Does your shop show order {id} as paid?"),
            Self::OrderNotPaid { id } => {
                format!("Does your shop show order {id} as NOT paid (not to be delivered)?")
            }
        }
    }
}

/// Who carries out the steps that need the shop's pages: a person, a browser, a test's buyer.
pub trait Guide {
    /// Does what `step` says; `Err` says why it could not (the case then fails, or is not run
    /// when the step was skipped: see [`SKIPPED`]).
    fn act(&mut self, step: &Step<'_>) -> impl Future<Output = Result<(), String>> + Send;

    /// Answers `question`: `None` when it cannot tell (the row then needs a person's eye).
    fn confirm(&mut self, question: &Question<'_>) -> impl Future<Output = Option<bool>> + Send;

    /// Told what the check is doing (a case starts, its verdict).
    fn progress(&mut self, line: &str);

    /// Who does the steps and answers, as the report says it ("the tester at a terminal").
    fn describe(&self) -> String {
        "the guide".to_owned()
    }
}

/// The error text of a step the guide chose not to do: the case is "not run".
pub const SKIPPED: &str = "skipped by the tester";

/// A go-live check: the sandbox it started, and what it knows of the shop.
#[derive(Debug)]
pub struct Session {
    sandbox: Sandbox,
    credentials: Credentials,
    settings: Settings,
    started_at: SystemTime,
}

impl Session {
    /// Starts a sandbox on `listener` for the merchant `credentials` (the shop's own
    /// credentials for this check, or [`Credentials::sandbox`]), which sends notifies to the
    /// shop's notify URL.
    pub async fn start(
        listener: TcpListener,
        credentials: Credentials,
        settings: Settings,
    ) -> std::io::Result<Self> {
        let config = Config {
            merchants: vec![
                Merchant::new(credentials.clone()).with_notify_url(settings.notify_url.clone()),
            ],
            notify_backoff: Duration::from_millis(500),
            notify_retries: 3,
            notify_timeout: Duration::from_secs(10),
            // The check ends the payments of status 20 itself, once it has looked at the shop.
            unknown_result_delay: Duration::from_secs(24 * 3600),
            // Every queryOrder about a transaction: the cases judge from them.
            query_events_kept: u32::MAX,
            ..Config::default()
        };
        let sandbox = pay123_sandbox::start(listener, config).await?;
        Ok(Self {
            sandbox,
            credentials,
            settings,
            started_at: SystemTime::now(),
        })
    }

    /// The base URL the shop sends createOrder and queryOrder to (`PAY123_API_URL` of the demo
    /// shops): the sandbox's `/miservice`.
    #[must_use]
    pub fn gateway_url(&self) -> String {
        format!("{}/miservice", self.sandbox.base_url())
    }

    /// The sandbox of the check (its dashboard shows the session's transactions, each labelled
    /// with its case).
    #[must_use]
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs every case (or those of [`Settings::only`]) with `guide`, and reports.
    pub async fn run<G: Guide + Send>(&self, guide: &mut G) -> Report {
        cases::run(self, guide).await
    }

    /// Stops the sandbox.
    pub async fn shutdown(self) {
        self.sandbox.shutdown().await;
    }
}
