//! Test support: a small hyper client, a buyer that posts the bank pages' forms, a merchant
//! notify listener with scripted answers, and a sandbox on an ephemeral port with a manual clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::routing::post;
use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response, StatusCode, header};
use pay123_core::{
    BankCode, Client, CreateOrder, CreatedOrder, Credentials, HttpClient, NotifyListener,
    NotifyOutcome, NotifyRequest, NotifyReturnCode, OrderStatus, QueryOrder, RETURN_WINDOW,
    ReturnTicket, TransactionStatus,
};
use pay123_hyper::{HyperClient, TransportError};
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE, TEST_OTP};
use pay123_sandbox::{Clock, Config, ManualClock, Sandbox, Transaction};
use tokio::sync::oneshot;

/// The merchant's site in the tests' orders.
pub(crate) const SHOP: &str = "https://shop.test";
pub(crate) const REDIRECT_URL: &str = "https://shop.test/return";
pub(crate) const CANCEL_URL: &str = "https://shop.test/cancel";
pub(crate) const ERROR_URL: &str = "https://shop.test/error";
/// The longest a test waits for something asynchronous (a notify delivery).
pub(crate) const WAIT: Duration = Duration::from_secs(10);
pub(crate) const AMOUNT: u64 = 150_000;

// ---- HTTP -------------------------------------------------------------------------------------

/// `pay123-hyper`'s client (it follows no redirect, so the tests see every 303); also the
/// core's `HttpClient`.
#[derive(Clone)]
pub(crate) struct Http(HyperClient);

impl Http {
    pub(crate) fn new() -> Self {
        Self(
            HyperClient::builder()
                .request_timeout(Duration::from_secs(10))
                .build(),
        )
    }

    pub(crate) async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.0.send(request).await.expect("HTTP exchange")
    }

    pub(crate) async fn get(&self, url: &str) -> Page {
        let request = Request::get(url).body(Bytes::new()).unwrap();
        Page::from(url, self.send(request).await)
    }

    pub(crate) async fn post_form(&self, url: &str, pairs: &[(&str, &str)]) -> Page {
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                form.append_pair(k, v);
            }
            form.finish()
        };
        let request = Request::post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from(body))
            .unwrap();
        Page::from(url, self.send(request).await)
    }

    pub(crate) async fn get_json(&self, url: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::get(url).body(Bytes::new()).unwrap();
        json_of(self.send(request).await)
    }

    pub(crate) async fn post_json(&self, url: &str, body: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        json_of(self.send(request).await)
    }

    /// A raw JSON body to a gateway method, with or without `Accept: application/json`.
    pub(crate) async fn post_raw(
        &self,
        url: &str,
        body: &serde_json::Value,
        accept_json: bool,
    ) -> Response<Bytes> {
        let mut request = Request::post(url).header(header::CONTENT_TYPE, "application/json");
        if accept_json {
            request = request.header(header::ACCEPT, "application/json");
        }
        self.send(request.body(Bytes::from(body.to_string())).unwrap())
            .await
    }
}

fn json_of(response: Response<Bytes>) -> (StatusCode, serde_json::Value) {
    let value = if response.body().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(response.body()).expect("a JSON body")
    };
    (response.status(), value)
}

impl HttpClient for Http {
    type Error = TransportError;
    type Future = pay123_hyper::ResponseFuture;

    fn send(&self, request: Request<Bytes>) -> Self::Future {
        HttpClient::send(&self.0, request)
    }
}

/// The body of a gateway error answer `[code, description]`.
pub(crate) fn gateway_error(response: &Response<Bytes>) -> (String, String) {
    assert_eq!(response.status(), StatusCode::OK, "{response:?}");
    let items: Vec<String> = serde_json::from_slice(response.body()).expect("a JSON array");
    assert_eq!(items.len(), 2, "{items:?}");
    (items[0].clone(), items[1].clone())
}

/// The sandbox's explanation of a refusal, from its `X-Pay123-Sandbox-Detail` header.
pub(crate) fn detail(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get("x-pay123-sandbox-detail")
        .expect("the X-Pay123-Sandbox-Detail header")
        .to_str()
        .unwrap()
        .to_owned()
}

// ---- pages ------------------------------------------------------------------------------------

/// A response to a page request.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) url: String,
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: String,
}

/// A form found in a page: where it posts, and the names of its fields and buttons.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    pub(crate) action: String,
    pub(crate) method: String,
    pub(crate) names: Vec<String>,
    pub(crate) html: String,
}

impl Page {
    fn from(url: &str, response: Response<Bytes>) -> Self {
        Self {
            url: url.to_owned(),
            status: response.status(),
            location: response
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(response.body()).into_owned(),
        }
    }

    /// The form with this `id`; panics (showing the page) if there is none.
    pub(crate) fn form(&self, id: &str) -> Form {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker).unwrap_or_else(|| {
            panic!(
                "no form {id} in {} {}:\n{}",
                self.status, self.url, self.body
            )
        });
        let start = self.body[..at].rfind("<form").expect("<form");
        let end = start + self.body[start..].find("</form>").expect("</form>");
        let html = &self.body[start..end];
        let tag = &html[..html.find('>').unwrap()];
        Form {
            action: unescape(&attribute(tag, "action").expect("a form action")),
            method: attribute(tag, "method").unwrap_or_default(),
            names: html
                .match_indices("name=\"")
                .map(|(i, _)| {
                    let rest = &html[i + 6..];
                    rest[..rest.find('"').unwrap()].to_owned()
                })
                .collect(),
            html: html.to_owned(),
        }
    }

    /// The id of the form on the page: `bank_form`, `card_form` or `otp_form`.
    pub(crate) fn form_id(&self) -> &'static str {
        ["bank_form", "card_form", "otp_form"]
            .into_iter()
            .find(|id| self.body.contains(&format!("<form id=\"{id}\"")))
            .unwrap_or_else(|| {
                panic!(
                    "no bank form in {} {}:\n{}",
                    self.status, self.url, self.body
                )
            })
    }

    /// The text of the message paragraph, if any.
    pub(crate) fn message(&self) -> Option<String> {
        let at = self.body.find("id=\"message\"")?;
        let rest = &self.body[at..];
        let text = &rest[rest.find('>')? + 1..rest.find("</p>")?];
        Some(unescape(text))
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The buyer back at the merchant: where, and the verified return parameters.
#[derive(Debug, Clone)]
pub(crate) struct Returned {
    pub(crate) url: String,
    pub(crate) status: TransactionStatus,
    pub(crate) m_transaction_id: String,
}

// ---- the merchant's notify listener -----------------------------------------------------------

/// How the test listener answers one notify.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// The core listener's signed reply for this outcome (`1`, `2` or `-3`).
    Outcome(NotifyOutcome),
    /// This HTTP status, no reply.
    Status(StatusCode),
    /// HTTP 200 with this body.
    Body(&'static str),
    /// A reply `1` signed with the wrong key.
    WrongKey,
    /// Waits this long, then answers `1` (too late when it exceeds the notify timeout).
    Hang(Duration),
    /// A correctly signed reply with this code.
    Code(NotifyReturnCode),
    /// A correctly signed `1` about another mTransactionID.
    OtherTransaction,
    /// HTTP 200 with this JSON body, as written.
    Raw(String),
}

/// A notify the listener verified.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) m_transaction_id: String,
    pub(crate) status: TransactionStatus,
    pub(crate) bank_code: BankCode,
}

#[derive(Clone)]
struct SinkState {
    script: Arc<Mutex<VecDeque<Answer>>>,
    received: Arc<Mutex<Vec<Received>>>,
    requests: Arc<Mutex<usize>>,
    listener: NotifyListener,
    clock: ManualClock,
}

/// A merchant's notify listener (axum + the core's `NotifyListener`) with scripted answers;
/// after the script it answers `1`.
pub(crate) struct NotifySink {
    pub(crate) url: String,
    state: SinkState,
    _stop: oneshot::Sender<()>,
}

impl NotifySink {
    pub(crate) async fn start(clock: ManualClock, script: Vec<Answer>) -> Self {
        let state = SinkState {
            script: Arc::new(Mutex::new(script.into())),
            received: Arc::default(),
            requests: Arc::default(),
            listener: NotifyListener::new(Credentials::sandbox().secret_key().clone()),
            clock,
        };
        let app = axum::Router::new()
            .route("/123pay/notify", post(sink_handler))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/123pay/notify", listener.local_addr().unwrap());
        let (stop, signal) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = signal.await;
                })
                .await
        });
        Self {
            url,
            state,
            _stop: stop,
        }
    }

    /// The verified notifies, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Polls (every 20 ms, for at most [`WAIT`]) until `predicate` holds for the verified
    /// notifies received so far.
    pub(crate) async fn wait_until(
        &self,
        predicate: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let received = self.received();
            if predicate(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the notifies never came: {received:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many requests arrived, verified or not.
    pub(crate) fn requests(&self) -> usize {
        *self.state.requests.lock().unwrap()
    }
}

async fn sink_handler(
    State(state): State<SinkState>,
    parts: Parts,
    body: Bytes,
) -> axum::response::Response {
    let request = Request::from_parts(parts, body);
    let wire = NotifyRequest::from_http(&request);
    *state.requests.lock().unwrap() += 1;
    let now = state.clock.now();
    // The core reads and verifies the form; the test listener keeps what it says.
    let verified = state.listener.verifier().verify(&wire, now).ok();
    if let Some(notify) = &verified {
        state.received.lock().unwrap().push(Received {
            m_transaction_id: notify.m_transaction_id().to_owned(),
            status: notify.status().clone(),
            bank_code: notify.bank_code().clone(),
        });
    }
    let answer = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Outcome(NotifyOutcome::Updated));
    let response = match answer {
        Answer::Outcome(outcome) => state
            .listener
            .handle(&wire, now, |_| async move { outcome })
            .await
            .response
            .into_http(),
        Answer::Status(status) => {
            let mut response = Response::new(Bytes::from_static(b"listener failed"));
            *response.status_mut() = status;
            response
        }
        Answer::Body(body) => Response::new(Bytes::from_static(body.as_bytes())),
        Answer::WrongKey => {
            let notify = verified.expect("the sandbox's notify verifies");
            signed_reply(notify.m_transaction_id(), "1", now, "NOT-THE-KEY")
        }
        Answer::Code(code) => {
            let notify = verified.expect("the sandbox's notify verifies");
            signed_reply(notify.m_transaction_id(), code.code(), now, "MIKEY")
        }
        Answer::OtherTransaction => signed_reply("SOMEONE-ELSE", "1", now, "MIKEY"),
        Answer::Hang(duration) => {
            tokio::time::sleep(duration).await;
            state
                .listener
                .handle(&wire, now, |_| async { NotifyOutcome::Updated })
                .await
                .response
                .into_http()
        }
        Answer::Raw(body) => {
            let mut response = Response::new(Bytes::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
    };
    response.map(axum::body::Body::from)
}

/// A notify reply written by hand from the specification: every value a string, the checksum
/// SHA1 of `mTransactionID + returnCode + ts + key`.
pub(crate) fn signed_reply(id: &str, code: &str, now: SystemTime, key: &str) -> Response<Bytes> {
    let ts = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let checksum = sha1_hex(&format!("{id}{code}{ts}{key}"));
    let body = serde_json::json!({
        "mTransactionID": id, "returnCode": code, "ts": ts, "checksum": checksum,
    });
    let mut response = Response::new(Bytes::from(body.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Lowercase hex SHA1, as the specification computes checksums.
pub(crate) fn sha1_hex(text: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(text.as_bytes()))
}

// ---- the sandbox ------------------------------------------------------------------------------

/// Short retries and a clock that moves only when the test says so.
pub(crate) fn test_config(clock: &ManualClock) -> Config {
    Config {
        notify_retries: 3,
        notify_backoff: Duration::from_millis(10),
        notify_timeout: Duration::from_secs(3),
        session_timeout: Duration::from_secs(60),
        otp_expiry: Duration::from_secs(30),
        unknown_result_delay: Duration::from_secs(90),
        payment_limit: 50_000_000,
        clock: Arc::new(clock.clone()),
        ..Config::default()
    }
}

/// A sandbox on an ephemeral port, a client for it, a buyer, and maybe a notify listener.
pub(crate) struct Harness {
    pub(crate) sandbox: Sandbox,
    pub(crate) clock: ManualClock,
    pub(crate) http: Http,
    pub(crate) client: Client<Http>,
    pub(crate) sink: Option<NotifySink>,
}

impl Harness {
    /// No notify listener.
    pub(crate) async fn new(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::build(None, tweak).await
    }

    /// With a notify listener answering `script`, then `1`.
    pub(crate) async fn with_sink(script: Vec<Answer>, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::build(Some(script), tweak).await
    }

    async fn build(script: Option<Vec<Answer>>, tweak: impl FnOnce(&mut Config)) -> Self {
        let clock = ManualClock::starting_now();
        let mut config = test_config(&clock);
        let sink = match script {
            Some(script) => {
                let sink = NotifySink::start(clock.clone(), script).await;
                config = config.with_notify_url(&sink.url);
                Some(sink)
            }
            None => None,
        };
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox = pay123_sandbox::start(listener, config).await.unwrap();
        let http = Http::new();
        let client = Client::new(http.clone(), Credentials::sandbox(), sandbox.endpoints());
        Self {
            sandbox,
            clock,
            http,
            client,
            sink,
        }
    }

    pub(crate) fn sink(&self) -> &NotifySink {
        self.sink
            .as_ref()
            .expect("a harness with a notify listener")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub(crate) fn order(id: &str, bank: BankCode) -> CreateOrder {
        CreateOrder::builder(id, AMOUNT, REDIRECT_URL)
            .bank_code(bank)
            .cancel_url(CANCEL_URL)
            .error_url(ERROR_URL)
            .client_ip("127.0.0.1")
            .customer_name("Nguyen Van A")
            .description("Don hang thu nghiem")
            .build()
            .unwrap()
    }

    pub(crate) async fn create(&self, id: &str, bank: BankCode) -> CreatedOrder {
        self.client
            .create_order(&Self::order(id, bank))
            .await
            .unwrap_or_else(|e| panic!("createOrder {id}: {e}"))
    }

    pub(crate) async fn query(&self, id: &str) -> OrderStatus {
        self.client
            .query_order(&QueryOrder::new(id).unwrap())
            .await
            .unwrap_or_else(|e| panic!("queryOrder {id}: {e}"))
    }

    /// The status queryOrder answers.
    pub(crate) async fn status(&self, id: &str) -> TransactionStatus {
        self.query(id).await.status().clone()
    }

    /// Follows 303s within the sandbox; stops at a page or at the merchant.
    pub(crate) async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..5 {
            match &page.location {
                Some(location)
                    if page.status == StatusCode::SEE_OTHER
                        && location.starts_with(&self.sandbox.base_url()) =>
                {
                    let location = location.clone();
                    page = self.http.get(&location).await;
                }
                _ => return page,
            }
        }
        page
    }

    /// Opens the payment URL of a created order.
    pub(crate) async fn open(&self, created: &CreatedOrder) -> Page {
        self.follow(self.http.get(created.payment_url()).await)
            .await
    }

    /// Creates an order and opens its first page.
    pub(crate) async fn start_payment(&self, id: &str, bank: BankCode) -> Page {
        let created = self.create(id, bank).await;
        self.open(&created).await
    }

    /// Posts the bank choice form.
    pub(crate) async fn choose_bank(&self, page: &Page, bank_code: &str) -> Page {
        let form = page.form("bank_form");
        let posted = self
            .http
            .post_form(&form.action, &[("bank_code", bank_code), ("action", "pay")])
            .await;
        self.follow(posted).await
    }

    /// Posts the card form.
    pub(crate) async fn card(&self, page: &Page, holder: &str, number: &str, date: &str) -> Page {
        let form = page.form("card_form");
        let posted = self
            .http
            .post_form(
                &form.action,
                &[
                    ("card_holder", holder),
                    ("card_number", number),
                    ("issue_date", date),
                    ("action", "pay"),
                ],
            )
            .await;
        self.follow(posted).await
    }

    /// Posts the test card.
    pub(crate) async fn test_card(&self, page: &Page) -> Page {
        self.card(page, TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE)
            .await
    }

    /// Posts the OTP form.
    pub(crate) async fn otp(&self, page: &Page, otp: &str) -> Page {
        let form = page.form("otp_form");
        let posted = self
            .http
            .post_form(&form.action, &[("otp", otp), ("action", "pay")])
            .await;
        self.follow(posted).await
    }

    pub(crate) async fn test_otp(&self, page: &Page) -> Page {
        self.otp(page, TEST_OTP).await
    }

    /// A whole successful payment with the test card.
    pub(crate) async fn pay(&self, id: &str) -> Page {
        let page = self.otp_page(id, TEST_CARD_NUMBER).await;
        let back = self.test_otp(&page).await;
        assert_eq!(self.returned(&back).status, TransactionStatus::Success);
        back
    }

    /// Presses the cancel button of the page's form.
    pub(crate) async fn cancel(&self, page: &Page) -> Page {
        let form = page.form(page.form_id());
        assert!(form.html.contains("id=\"cancel\""), "{}", form.html);
        let posted = self
            .http
            .post_form(&form.action, &[("action", "cancel")])
            .await;
        self.follow(posted).await
    }

    /// The card page of a new order paid through a bank code.
    pub(crate) async fn card_page(&self, id: &str) -> Page {
        let page = self.start_payment(id, BankCode::Vietcombank).await;
        assert_eq!(page.form_id(), "card_form");
        page
    }

    /// The OTP page of a new order paid with `card_number`.
    pub(crate) async fn otp_page(&self, id: &str, card_number: &str) -> Page {
        let page = self.card_page(id).await;
        let page = self
            .card(&page, TEST_CARD_HOLDER, card_number, TEST_ISSUE_DATE)
            .await;
        assert_eq!(page.form_id(), "otp_form", "{}", page.body);
        page
    }

    /// The buyer's redirect to the merchant, with the ticket verified by the core.
    pub(crate) fn returned(&self, page: &Page) -> Returned {
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{page:?}");
        let location = page.location.clone().expect("a Location");
        assert!(location.starts_with(SHOP), "{location}");
        let (url, query) = location.split_once('?').expect("return parameters");
        let ticket = ReturnTicket::verify_query(
            query,
            Credentials::sandbox().secret_key(),
            self.clock.now(),
            RETURN_WINDOW,
        )
        .unwrap_or_else(|e| panic!("return ticket of {location}: {e}"));
        Returned {
            url: url.to_owned(),
            status: ticket.status().clone(),
            m_transaction_id: ticket.m_transaction_id().to_owned(),
        }
    }

    /// Waits until the transaction is final and its notify deliveries have ended.
    pub(crate) async fn settled(&self, id: &str) -> Transaction {
        self.sandbox
            // The predicate `docs/sandbox.md` shows: a notify counts as in progress from the
            // moment the status is final.
            .wait_for(id, WAIT, |t| t.is_final && !t.notify_in_progress)
            .await
            .unwrap_or_else(|| panic!("{id} did not settle: {:#?}", self.sandbox.transaction(id)))
    }
}
