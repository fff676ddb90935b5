//! The go-live self-check (`pay123 qc`) against the demo shops, in a real browser, and against a
//! deliberately broken shop, whose faults it must name.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use pay123_cli::qc::{
    DemoShopBrowser, Guide, Input, Question, Report, Session, Settings, Step, Verdict,
};
use pay123_core::checksum::{self, Message};
use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::{
    BankCode, CreateOrder, Credentials, NotifyVerifier, QueryOrder, SecretKey, TransactionStatus,
};
use pay123_sandbox::cards::TEST_ISSUE_DATE;
use shop::ReconcilerSettings;
use tokio::net::TcpListener;

use crate::AbortOnDrop;
use crate::buyer::{Buyer, Page};
use crate::world::{Launcher, ShopSetup};

/// How long a step of the check may take in the tests.
const STEP: Duration = Duration::from_secs(20);

/// Starts a check's session on a free port for a shop at `shop_url`.
async fn session(shop_url: &str) -> Session {
    session_of(shop_url, &[]).await
}

/// [`session`] running the cases `only` (every case when empty).
async fn session_of(shop_url: &str, only: &[&str]) -> Session {
    let settings = Settings::new(format!("{shop_url}/123pay/notify"))
        .with_only(only.iter().copied())
        .with_order_url(format!("{shop_url}/orders/{{id}}"))
        .with_step_timeout(STEP)
        .with_lost_notify_wait(STEP);
    Session::start(
        TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the check's sandbox"),
        Credentials::sandbox(),
        settings,
    )
    .await
    .expect("the check's sandbox starts")
}

/// Every case that ends otherwise than `pass`, with why.
fn not_passed(report: &Report) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("{} {}: {}", c.id, c.verdict.label(), c.why()))
        .collect()
}

/// A demo shop, pointed at the check's sandbox, passes every case and every configuration
/// check, with the guided steps done by Chromium on its pages.
pub async fn demo_shop_passes<L: Launcher>(launcher: &L) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the shop");
    let shop_url = format!("http://{}", listener.local_addr().expect("an address"));
    let session = session(&shop_url).await;
    let mut setup = ShopSetup::new(
        listener,
        shop_url.clone(),
        launcher.database().fresh(dir.path()).await,
        session.sandbox().endpoints(),
        Credentials::sandbox(),
    );
    // A lost notify is found within seconds, as a merchant's reconciler finds it in a minute.
    setup.reconcile_policy = ReconcilePolicy::default().with_first_check(Duration::from_secs(2));
    setup.reconciler = ReconcilerSettings::default().with_period(Duration::from_millis(200));
    let _shop: Box<dyn Any + Send> = launcher.launch(setup).await;
    let mut browser = DemoShopBrowser::start(shop_url)
        .await
        .expect("Chromium and ChromeDriver (scripts/test installs them)");
    let report = session.run(&mut browser).await;
    browser.close().await;
    let seen = checksums_seen(&session);
    session.shutdown().await;
    let markdown = report.to_markdown();
    assert_eq!(not_passed(&report), Vec::<String>::new(), "{markdown}");
    assert_no_checksum(&report, &seen);
    assert!(markdown.contains("(hidden)"), "{markdown}");
    assert!(report.passed(), "{markdown}");
    assert_eq!(report.summary.pass, report.cases.len());
    for check in &report.configuration {
        assert_eq!(check.verdict, Verdict::Pass, "{check:?}\n{markdown}");
    }
    // The evidence is there: NS01's transaction with its notify and the shop's reply.
    let ns01 = report.case("NS01").expect("NS01");
    let t = &ns01.transactions[0];
    assert!(
        t.history.iter().any(|e| e.event == "pay123 qc: case NS01"),
        "{t:?}"
    );
    assert!(t.notify_attempts.iter().any(|a| a.verified), "{t:?}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON");
    assert_eq!(
        json["cases"].as_array().map(Vec::len),
        Some(report.cases.len())
    );
    assert_eq!(json["cases"][0]["id"], "NS01");
    assert_eq!(json["cases"][0]["verdict"], "pass");
}

/// The faults a [`BrokenShop`] can have.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Its listener believes the notify: no queryOrder before acting on it.
    pub trusts_the_notify: bool,
    /// Its listener answers `1` to a notify it cannot verify (wrong checksum, old `ts`).
    pub acknowledges_forged: bool,
    /// A pending status (`0`, `10`, `11`, `20`) on the return URL or from queryOrder marks the
    /// order failed.
    pub pending_as_failed: bool,
    /// No reconciler: after a lost notify it never asks again.
    pub never_looks_again: bool,
    /// Its listener does not check the checksum or the `ts` window, but confirms every notify
    /// with queryOrder (a forged notify costs a query and reaches the order code).
    pub unverified_but_confirms: bool,
    /// It pays an order whatever amount 123PAY reports.
    pub ignores_the_amount: bool,
    /// Not a fault of its listener: it signs its requests with a secret key other than the
    /// check's (a configuration mistake the check must name at once).
    pub wrong_key: bool,
}

impl Faults {
    /// All four.
    pub const ALL: Self = Self {
        trusts_the_notify: true,
        acknowledges_forged: true,
        pending_as_failed: true,
        never_looks_again: true,
        unverified_but_confirms: false,
        ignores_the_amount: false,
        wrong_key: false,
    };
}

/// What every order of the broken shop costs, in VND.
const AMOUNT: u64 = 58_000;

#[derive(Debug, Clone)]
struct Order {
    state: &'static str,
    /// Whether 123PAY's final status is known.
    settled: bool,
    /// When the reconciler last asked about it.
    asked: Option<std::time::Instant>,
    created: std::time::Instant,
}

struct Inner {
    orders: Mutex<HashMap<String, Order>>,
    client: pay123_core::Client<pay123_hyper::HyperClient>,
    key: SecretKey,
    faults: Faults,
    url: String,
    next: AtomicU64,
}

/// A small shop written the way the go-live check must catch: each [`Faults`] one mistake of a
/// hand-written integration. Without faults it confirms every notify with queryOrder, answers
/// as 123PAY expects and runs a reconciler, and passes.
pub struct BrokenShop {
    /// Its base URL.
    pub url: String,
    _tasks: Box<dyn Any + Send>,
}

impl BrokenShop {
    /// Starts it on a free port, against `session`'s sandbox.
    pub async fn start(faults: Faults, listener: TcpListener, session: &Session) -> Self {
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let credentials = Credentials::sandbox();
        let signing = if faults.wrong_key {
            Credentials::new("MICODE", "MIPASSCODE", "NOT-THE-KEY").expect("credentials")
        } else {
            credentials.clone()
        };
        let inner = Arc::new(Inner {
            orders: Mutex::new(HashMap::new()),
            client: pay123_hyper::client(signing, session.sandbox().endpoints()),
            key: credentials.secret_key().clone(),
            faults,
            url: url.clone(),
            next: AtomicU64::new(1),
        });
        let app = axum::Router::new()
            .route("/checkout", post(checkout))
            .route("/return", get(return_page))
            .route("/orders/{id}", get(order))
            .route("/123pay/notify", post(notify))
            .with_state(inner.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let reconciler = (!faults.never_looks_again).then(|| tokio::spawn(reconcile(inner)));
        Self {
            url,
            _tasks: Box::new((AbortOnDrop(server), reconciler.map(AbortOnDrop))),
        }
    }
}

async fn checkout(State(shop): State<Arc<Inner>>) -> Response {
    let id = format!("BROKEN-{}", shop.next.fetch_add(1, Ordering::Relaxed));
    let order = CreateOrder::builder(id.as_str(), AMOUNT, format!("{}/return", shop.url))
        .bank_code(BankCode::Vietcombank)
        .build()
        .expect("an order");
    shop.orders.lock().expect("lock").insert(
        id.clone(),
        Order {
            state: "pending",
            settled: false,
            asked: None,
            created: std::time::Instant::now(),
        },
    );
    match shop.client.create_order(&order).await {
        Ok(created) => Redirect::to(created.payment_url()).into_response(),
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn return_page(
    State(shop): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let id = query.get("transactionID").cloned().unwrap_or_default();
    let status = TransactionStatus::from_code(query.get("status").map_or("", String::as_str));
    // The classic mistake: any status but 1 on the return URL is a failure.
    if shop.faults.pending_as_failed
        && status.is_pending()
        && let Some(order) = shop.orders.lock().expect("lock").get_mut(&id)
        && order.state == "pending"
    {
        order.state = "failed";
    }
    let state = shop
        .orders
        .lock()
        .expect("lock")
        .get(&id)
        .map_or("unknown", |o| o.state);
    axum::response::Html(format!(
        "<h1 id=\"return-result\">Order {id}</h1><p id=\"order-status\">{state}</p>"
    ))
    .into_response()
}

async fn order(State(shop): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    match shop.orders.lock().expect("lock").get(&id) {
        Some(o) => axum::Json(serde_json::json!({"paid": o.state == "paid", "status": o.state}))
            .into_response(),
        None => (http::StatusCode::NOT_FOUND, "no such order").into_response(),
    }
}

/// Applies 123PAY's status: the reply code (`1` changed, `2` already so, `-3` not final).
/// `amount` is the `totalAmount` queryOrder reported (`None` when the status was taken from the
/// notify, which carries no amount).
fn apply(shop: &Inner, id: &str, status: &TransactionStatus, amount: Option<u64>) -> &'static str {
    let mut orders = shop.orders.lock().expect("lock");
    let Some(order) = orders.get_mut(id) else {
        return "-3";
    };
    if status.is_success() {
        order.settled = true;
        if order.state == "paid" || order.state == "review" {
            return "2";
        }
        // Paid for another amount: held for a person, never delivered.
        let mismatch = amount.is_some_and(|a| a != AMOUNT);
        order.state = if mismatch && !shop.faults.ignores_the_amount {
            "review"
        } else {
            "paid"
        };
        "1"
    } else if status.is_final() {
        order.settled = true;
        if order.state != "pending" {
            return "2";
        }
        order.state = "failed";
        "1"
    } else {
        if shop.faults.pending_as_failed && order.state == "pending" {
            order.state = "failed";
        }
        "-3"
    }
}

/// The reply JSON, signed from the checksum table as a tool does.
fn reply(key: &SecretKey, id: &str, code: &str) -> Response {
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        .to_string();
    let checksum = checksum::compute(Message::NotifyReply, &[id, code, &ts], key)
        .expect("a value for each field of the reply");
    axum::Json(serde_json::json!({
        "mTransactionID": id, "returnCode": code, "ts": ts, "checksum": checksum,
    }))
    .into_response()
}

async fn notify(State(shop): State<Arc<Inner>>, body: Bytes) -> Response {
    let claimed: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let id = claimed.get("mTransactionID").cloned().unwrap_or_default();
    let verified = if shop.faults.unverified_but_confirms {
        None
    } else {
        Some(NotifyVerifier::new(shop.key.clone()).verify_form(&body, SystemTime::now()))
    };
    let notify = match verified {
        // Whatever it says, 123PAY is asked.
        None => {
            let query = QueryOrder::new(id.as_str()).expect("a query");
            return match shop.client.query_order(&query).await {
                Ok(answer) => {
                    let code = apply(&shop, &id, answer.status(), answer.total_amount_vnd());
                    reply(&shop.key, &id, code)
                }
                Err(_) => reply(&shop.key, &id, "-3"),
            };
        }
        Some(Ok(notify)) => notify,
        // "Answer 1 so that 123PAY stops sending it."
        Some(Err(_)) if shop.faults.acknowledges_forged => return reply(&shop.key, &id, "1"),
        Some(Err(_)) => return reply(&shop.key, "", "-1"),
    };
    let (status, amount) = if shop.faults.trusts_the_notify {
        (notify.status().clone(), None)
    } else {
        let query = QueryOrder::new(id.as_str()).expect("a query");
        match shop.client.query_order(&query).await {
            Ok(answer) => (answer.status().clone(), answer.total_amount_vnd()),
            Err(_) => return reply(&shop.key, &id, "-3"),
        }
    };
    let code = apply(&shop, &id, &status, amount);
    reply(&shop.key, &id, code)
}

/// Asks 123PAY about each order whose final status is unknown, from 5 seconds after it was
/// created (so that a notify comes first when there is one), at most every 2 seconds an order.
async fn reconcile(shop: Arc<Inner>) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let open: Vec<String> = shop
            .orders
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, o)| {
                !o.settled
                    && o.created.elapsed() > Duration::from_secs(5)
                    && o.asked
                        .is_none_or(|at| at.elapsed() > Duration::from_secs(2))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in open {
            if let Some(order) = shop.orders.lock().expect("lock").get_mut(&id) {
                order.asked = Some(std::time::Instant::now());
            }
            let query = QueryOrder::new(id.as_str()).expect("a query");
            if let Ok(answer) = shop.client.query_order(&query).await {
                apply(&shop, &id, answer.status(), answer.total_amount_vnd());
            }
        }
    }
}

/// A buyer without a browser, doing the guided steps with HTTP requests on the bank pages'
/// forms; it cannot tell what a page says.
pub struct HttpGuide {
    buyer: Buyer,
    shop_url: String,
    page: Option<Page>,
    bank_page: Option<String>,
}

impl HttpGuide {
    /// A guide for the shop at `shop_url`, which starts a checkout on `POST /checkout`.
    pub fn new(shop_url: &str) -> Self {
        Self {
            buyer: Buyer::new(),
            shop_url: shop_url.to_owned(),
            page: None,
            bank_page: None,
        }
    }

    async fn input(&mut self, input: &Input) -> Result<(), String> {
        let page = self.page.take().ok_or("no page open")?;
        let form = ["card_form", "otp_form", "bank_form"]
            .into_iter()
            .find(|f| page.contains(&format!("id=\"{f}\"")))
            .ok_or_else(|| format!("no form on {}", page.url))?;
        let next = match input {
            Input::Card { holder, number } => {
                let fields = [
                    ("card_holder", *holder),
                    ("card_number", *number),
                    ("issue_date", TEST_ISSUE_DATE),
                ];
                self.buyer.submit(&page, form, &fields, "pay").await
            }
            Input::EmptyCard => {
                let fields = [("card_holder", ""), ("card_number", ""), ("issue_date", "")];
                self.buyer.submit(&page, form, &fields, "pay").await
            }
            Input::Otp(code) => {
                self.buyer
                    .submit(&page, form, &[("otp", *code)], "pay")
                    .await
            }
            Input::EmptyOtp => self.buyer.submit(&page, form, &[("otp", "")], "pay").await,
            Input::Cancel => self.buyer.submit(&page, form, &[], "cancel").await,
            other => return Err(format!("unknown input {other:?}")),
        };
        self.page = Some(next);
        Ok(())
    }
}

impl Guide for HttpGuide {
    async fn act(&mut self, step: &Step<'_>) -> Result<(), String> {
        match step {
            Step::Checkout { .. } => {
                let answer = self
                    .buyer
                    .post_form(
                        &format!("{}/checkout", self.shop_url),
                        &[("product_id", "ao-dai")],
                    )
                    .await;
                let page = self.buyer.follow(answer).await;
                self.bank_page = Some(page.url.clone());
                self.page = Some(page);
                Ok(())
            }
            Step::Bank(inputs) => {
                for input in *inputs {
                    self.input(input).await?;
                }
                Ok(())
            }
            Step::Leave => {
                self.page = None;
                Ok(())
            }
            Step::Stay => Ok(()),
            Step::Reload => {
                let url = self.bank_page.clone().ok_or("no bank page")?;
                let page = self.buyer.get(&url).await;
                self.page = Some(self.buyer.follow(page).await);
                Ok(())
            }
            other => Err(format!("unknown step {other:?}")),
        }
    }

    /// It cannot tell what a shop's page says: every question is left to a person.
    async fn confirm(&mut self, _question: &Question<'_>) -> Option<bool> {
        None
    }

    fn progress(&mut self, _line: &str) {}
}

/// Runs the check against a broken shop with `faults`.
pub async fn check_broken_shop(faults: Faults) -> Report {
    check_broken_shop_cases(faults, &[]).await
}

/// Runs the cases `only` (every case when empty) against a broken shop with `faults`.
pub async fn check_broken_shop_cases(faults: Faults, only: &[&str]) -> Report {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the shop");
    let shop_url = format!("http://{}", listener.local_addr().expect("an address"));
    let session = session_of(&shop_url, only).await;
    let shop = BrokenShop::start(faults, listener, &session).await;
    let report = session.run(&mut HttpGuide::new(&shop.url)).await;
    let seen = checksums_seen(&session);
    session.shutdown().await;
    assert_no_checksum(&report, &seen);
    report
}

/// The checksums the sandbox saw in the session: of each notify it sent and of each reply.
pub fn checksums_seen(session: &Session) -> Vec<String> {
    let transactions = session.sandbox().transactions();
    let mut seen: Vec<String> = transactions
        .iter()
        .flat_map(|t| &t.notify_attempts)
        .flat_map(|a| {
            let sent = form_urlencoded::parse(a.request_body.as_bytes())
                .find(|(name, _)| name == "checksum")
                .map(|(_, value)| value.into_owned());
            let replied = a
                .reply_body
                .as_deref()
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                .and_then(|v| Some(v.get("checksum")?.as_str()?.to_owned()));
            [sent, replied]
        })
        .flatten()
        .filter(|c| !c.is_empty())
        .collect();
    seen.sort();
    seen.dedup();
    seen
}

/// No checksum is left in the report: none of those the sandbox saw (`seen`), and no run of 40
/// or 32 hexadecimal digits (a SHA-1 or MD5 checksum) at all.
pub fn assert_no_checksum(report: &Report, seen: &[String]) {
    for (name, text) in [
        ("JSON", report.to_json()),
        ("Markdown", report.to_markdown()),
    ] {
        for checksum in seen {
            assert!(
                !text.contains(checksum.as_str()),
                "the checksum {checksum} in the {name} report:\n{text}"
            );
        }
        let mut run = 0;
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() {
                run += 1;
            } else {
                assert!(
                    run != 40 && run != 32,
                    "a checksum in the {name} report:\n{text}"
                );
                run = 0;
            }
        }
    }
}

/// The cases that failed.
pub fn failed(report: &Report) -> Vec<&'static str> {
    report
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| c.id)
        .collect()
}
