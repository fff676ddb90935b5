//! A real browser (headless Chromium through ChromeDriver) that does the guided steps itself on
//! one of pay123's demo shops, whose pages it knows.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use pay123_core::BankCode;
use pay123_sandbox::cards::TEST_ISSUE_DATE;

use super::{Guide, Input, Question, Step};

/// How long the browser waits for a page element.
const PAGE_WAIT: Duration = Duration::from_secs(20);

/// A ChromeDriver process on a free loopback port, ended on drop.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChromeDriver {
    /// Starts `chromedriver` (`$CHROMEDRIVER`, else from `PATH`) on a free loopback port and
    /// waits until it listens. The port is found by binding port 0 and releasing it; should
    /// another process take it first, chromedriver exits and is started again on another port.
    pub async fn start() -> Result<Self, String> {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        for _ in 0..5 {
            let port = StdListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            let mut child = Command::new(&binary)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    format!(
                        "cannot start {binary} ({e}): install Chromium and ChromeDriver (Debian: \
                         apt-get install chromium chromium-driver), or set CHROMEDRIVER"
                    )
                })?;
            let deadline = tokio::time::Instant::now() + PAGE_WAIT;
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Ok(Self {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                        profile: tempfile::tempdir()
                            .map_err(|e| format!("no profile directory: {e}"))?,
                    });
                }
                if child.try_wait().ok().flatten().is_some() {
                    break; // the port was taken: try another
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(format!("{binary} did not start listening"));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Err(format!("{binary} exited five times on start"))
    }

    /// A headless Chromium session (`$CHROMIUM`, else `/usr/bin/chromium`).
    pub async fn session(&self) -> Result<Client, String> {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let profile = self.profile.path().display().to_string();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                    format!("--user-data-dir={profile}"),
                ],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .map_err(|e| format!("cannot open a Chromium session: {e}"))
    }
}

/// The guided steps done by a browser on a pay123 demo shop (`cargo run -p axum-shop`, and the
/// actix-web and rocket ones): the product page's first "Mua ngay" with Vietcombank chosen,
/// then the sandbox's bank pages, then the shop's return page read for the questions.
#[derive(Debug)]
pub struct DemoShopBrowser {
    browser: Client,
    shop_url: String,
    bank_page: Option<String>,
    _driver: ChromeDriver,
}

impl DemoShopBrowser {
    /// Starts ChromeDriver and a headless Chromium for the demo shop at `shop_url`.
    pub async fn start(shop_url: impl Into<String>) -> Result<Self, String> {
        let driver = ChromeDriver::start().await?;
        let browser = driver.session().await?;
        Ok(Self {
            browser,
            shop_url: shop_url.into().trim_end_matches('/').to_owned(),
            bank_page: None,
            _driver: driver,
        })
    }

    /// Closes the browser.
    pub async fn close(self) {
        let _ = self.browser.close().await;
    }

    async fn find(&self, css: &str) -> Result<fantoccini::elements::Element, String> {
        self.browser
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("the page never showed {css} ({e})"))
    }

    async fn text(&self, css: &str) -> Result<String, String> {
        self.find(css)
            .await?
            .text()
            .await
            .map_err(|e| format!("cannot read {css}: {e}"))
    }

    async fn fill(&self, id: &str, text: &str) -> Result<(), String> {
        let input = self.find(&format!("#{id}")).await?;
        input
            .clear()
            .await
            .map_err(|e| format!("clear #{id}: {e}"))?;
        if !text.is_empty() {
            input
                .send_keys(text)
                .await
                .map_err(|e| format!("type into #{id}: {e}"))?;
        }
        Ok(())
    }

    async fn click(&self, css: &str) -> Result<(), String> {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    /// Chooses `value` in the `<select>` `#id`.
    async fn choose(&self, id: &str, value: &str) -> Result<(), String> {
        self.find(&format!("#{id}"))
            .await?
            .select_by_value(value)
            .await
            .map_err(|e| format!("choose {value} in #{id}: {e}"))
    }

    /// Waits for a form of the bank pages; on the bank choice page, chooses Vietcombank first.
    async fn form(&self, id: &str) -> Result<(), String> {
        let either = format!("#{id}, #bank_form");
        self.find(&either).await?;
        if self.browser.find(Locator::Id("bank_form")).await.is_ok() && id != "bank_form" {
            self.choose("bank_code", BankCode::Vietcombank.code())
                .await?;
            self.click("#pay").await?;
            self.find(&format!("#{id}")).await?;
        }
        Ok(())
    }

    async fn input(&self, input: &Input) -> Result<(), String> {
        match input {
            Input::Card { holder, number } => {
                self.form("card_form").await?;
                self.fill("card_holder", holder).await?;
                self.fill("card_number", number).await?;
                self.fill("issue_date", TEST_ISSUE_DATE).await?;
                self.submit().await
            }
            Input::EmptyCard => {
                self.form("card_form").await?;
                for id in ["card_holder", "card_number", "issue_date"] {
                    self.fill(id, "").await?;
                }
                self.submit().await
            }
            Input::Otp(code) => {
                self.form("otp_form").await?;
                self.fill("otp", code).await?;
                self.submit().await
            }
            Input::EmptyOtp => {
                self.form("otp_form").await?;
                self.fill("otp", "").await?;
                self.submit().await
            }
            Input::Cancel => self.click("#cancel").await,
        }
    }

    /// Presses "pay" and waits for the next page to load.
    async fn submit(&self) -> Result<(), String> {
        let before = self.browser.find(Locator::Css("form")).await.ok();
        self.click("#pay").await?;
        if let Some(form) = before {
            // The old form goes stale once the next page is there.
            let deadline = tokio::time::Instant::now() + PAGE_WAIT;
            while form.attr("id").await.is_ok() {
                if tokio::time::Instant::now() >= deadline {
                    return Err("the page did not change after \"pay\"".to_owned());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// Whether the current page is the shop's return page (waiting for it).
    async fn on_return_page(&self) -> Result<(), String> {
        self.find("#return-result").await.map(|_| ())
    }

    async fn order_page(&self, id: &str) -> Result<(), String> {
        self.browser
            .goto(&format!(
                "{}/orders/{}",
                self.shop_url,
                crate::path_segment(id)
            ))
            .await
            .map_err(|e| format!("open the order page: {e}"))?;
        self.find("#paid").await.map(|_| ())
    }

    async fn answer(&mut self, question: &Question<'_>) -> Result<bool, String> {
        match question {
            Question::ToldFailure { status, .. } => {
                self.on_return_page().await?;
                let message = self.text("#order-message").await?;
                let vietnamese = status.vietnamese().trim_end_matches('.');
                Ok(self.text("#paid").await? == "no"
                    && (message.contains(vietnamese)
                        || message.contains(&format!("mã {}", status.code()))))
            }
            Question::ToldPaid { .. } => {
                self.on_return_page().await?;
                Ok(self.text("#paid").await? == "yes")
            }
            Question::ToldPending { .. } => {
                self.on_return_page().await?;
                Ok(self.text("#order-status").await? == "pending"
                    && self.text("#paid").await? == "no")
            }
            Question::OrderPaid { id } => {
                self.order_page(id).await?;
                Ok(self.text("#paid").await? == "yes")
            }
            Question::OrderNotPaid { id } => {
                self.order_page(id).await?;
                Ok(self.text("#paid").await? == "no")
            }
        }
    }
}

impl Guide for DemoShopBrowser {
    async fn act(&mut self, step: &Step<'_>) -> Result<(), String> {
        match step {
            Step::Checkout { .. } => {
                self.browser
                    .goto(&format!("{}/", self.shop_url))
                    .await
                    .map_err(|e| format!("open the shop: {e}"))?;
                // Vietcombank in the shop: no bank choice at 123PAY.
                self.choose("bank-code", BankCode::Vietcombank.code())
                    .await?;
                self.click("button[id^='buy-']").await?;
                self.form("card_form").await?;
                self.bank_page = Some(
                    self.browser
                        .current_url()
                        .await
                        .map_err(|e| format!("the bank page's URL: {e}"))?
                        .to_string(),
                );
                Ok(())
            }
            Step::Bank(inputs) => {
                for input in *inputs {
                    self.input(input).await?;
                }
                Ok(())
            }
            Step::Leave => self
                .browser
                .goto("about:blank")
                .await
                .map_err(|e| format!("leave the page: {e}")),
            Step::Stay => Ok(()),
            Step::Reload => {
                let page = self
                    .bank_page
                    .clone()
                    .ok_or_else(|| "no bank page to reload".to_owned())?;
                self.browser
                    .goto(&page)
                    .await
                    .map_err(|e| format!("reload the bank page: {e}"))?;
                self.on_return_page().await
            }
        }
    }

    async fn confirm(&mut self, question: &Question<'_>) -> Option<bool> {
        match self.answer(question).await {
            Ok(answer) => Some(answer),
            Err(e) => {
                tracing::warn!(error = %e, "the browser could not answer");
                None
            }
        }
    }

    fn progress(&mut self, line: &str) {
        // As the terminal guide: `pay123 qc --browser` shows each case's progress.
        eprintln!("{}", super::report::clean(line));
    }

    fn describe(&self) -> String {
        format!(
            "a headless Chromium on the demo shop at {}, reading its pages",
            self.shop_url
        )
    }
}
