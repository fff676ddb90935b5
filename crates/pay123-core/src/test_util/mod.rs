//! A fake 123PAY for tests (feature `test-util`): [`FakeGateway`] answers createOrder and
//! queryOrder with the gateway side of this crate, in memory, scripted per test.
//!
//! It is an [`HttpClient`], so it goes straight into a [`Client`]; behind a test HTTP server,
//! call [`FakeGateway::answer`] from the handler. [`logs`] captures what a test binary logs,
//! to check that an event was written, or that a secret never is.
//!
//! ```
//! use pay123_core::test_util::FakeGateway;
//! use pay123_core::{Client, CreateOrder, Credentials, Endpoints, QueryOrder, TransactionStatus};
//!
//! let gateway = FakeGateway::new(Credentials::sandbox());
//! let client = Client::new(gateway.clone(), Credentials::sandbox(), Endpoints::sandbox());
//! let order = CreateOrder::builder("ORDER-1", 100_000, "https://shop.example/return").build()?;
//!
//! futures_executor::block_on(async {
//!     let created = client.create_order(&order).await.unwrap();
//!     assert_eq!(created.pay123_transaction_id(), "123P0000000001");
//!
//!     // A new order is `0` until the test says otherwise.
//!     let query = QueryOrder::new("ORDER-1").unwrap();
//!     assert_eq!(client.query_order(&query).await.unwrap().status(), &TransactionStatus::New);
//!     gateway.set_status("ORDER-1", TransactionStatus::Success);
//!     let status = client.query_order(&query).await.unwrap();
//!     assert!(status.status().is_success());
//!     assert_eq!(status.total_amount_vnd(), Some(100_000));
//! });
//! assert_eq!((gateway.create_calls(), gateway.query_calls()), (1, 2));
//! assert_eq!(gateway.created("ORDER-1").unwrap().0.total_amount(), 100_000);
//! # Ok::<(), pay123_core::ValidationError>(())
//! ```

mod store;

pub use store::{MemoryStore, MemoryStoreDown, check_store};

use std::collections::HashMap;
use std::future::{Pending, Ready};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::Either;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::client::{Client, HttpClient};
use crate::gateway::{ReceivedCreateOrder, ReceivedQueryOrder, error_response};
use crate::message::bank::BankCode;
use crate::message::create_order::{CreateOrder, CreatedOrder};
use crate::message::query_order::OrderStatus;
use crate::message::secret::Credentials;
use crate::message::status::{ReturnCode, TransactionStatus};

/// What [`FakeGateway`]'s [`HttpClient`] implementation does with a call before the gateway
/// sees it. [`FakeGateway::answer`] ignores it: a test server has its own ways to fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// The call reaches the gateway, which answers.
    #[default]
    Deliver,
    /// The call fails with an [`std::io::Error`] (connection refused); the gateway never sees it.
    Fail,
    /// The call never completes (`std::future::pending`), as a gateway that does not answer.
    NeverAnswer,
}

/// The two methods, told apart by the request's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    CreateOrder,
    QueryOrder,
}

impl Method {
    fn of(request: &Request<Bytes>) -> Option<Self> {
        let path = request.uri().path();
        if path.ends_with("/createOrder1") {
            Some(Self::CreateOrder)
        } else if path.ends_with("/queryOrder1") {
            Some(Self::QueryOrder)
        } else {
            None
        }
    }
}

/// How one method is scripted.
#[derive(Debug, Default)]
struct Script {
    error: Option<ReturnCode>,
    transport: Transport,
    calls: usize,
}

#[derive(Debug, Default)]
struct State {
    create_order: Script,
    query_order: Script,
    orders: HashMap<String, (CreateOrder, CreatedOrder)>,
    statuses: HashMap<String, TransactionStatus>,
    total_amounts: HashMap<String, String>,
}

impl State {
    fn script(&mut self, method: Method) -> &mut Script {
        match method {
            Method::CreateOrder => &mut self.create_order,
            Method::QueryOrder => &mut self.query_order,
        }
    }
}

/// A fake 123PAY gateway answering createOrder and queryOrder in memory.
///
/// Requests are parsed and authenticated against the merchant's [`Credentials`] as 123PAY
/// does ([`ReceivedCreateOrder`], [`ReceivedQueryOrder`]); a refused request gets
/// [`RequestError::to_http_response`](crate::gateway::RequestError::to_http_response). A created order
/// is remembered: its 123PAY id is `123P` and ten digits counting from 1, a second createOrder
/// with its `mTransactionID` is `6206`, and queryOrder reports it with status `0` and its
/// amount until the test sets them ([`set_status`](Self::set_status),
/// [`set_total_amount`](Self::set_total_amount)). An unknown order is `-10`.
///
/// Clones share one state.
#[derive(Debug, Clone)]
pub struct FakeGateway {
    credentials: Credentials,
    state: Arc<Mutex<State>>,
}

impl FakeGateway {
    /// A gateway that knows one merchant.
    #[must_use]
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            state: Arc::default(),
        }
    }

    /// A [`Client`] for the same merchant, calling this gateway (shares its state).
    #[must_use]
    pub fn client(&self) -> Client<Self> {
        Client::new(
            self.clone(),
            self.credentials.clone(),
            crate::Endpoints::sandbox(),
        )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves the state usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes createOrder answer `[code, description]` from now on (`None`: answer normally).
    pub fn fail_create_order(&self, code: Option<ReturnCode>) {
        self.state().create_order.error = code;
    }

    /// Makes queryOrder answer `[code, description]` from now on (`None`: answer normally).
    pub fn fail_query_order(&self, code: Option<ReturnCode>) {
        self.state().query_order.error = code;
    }

    /// What the transport does with createOrder calls from now on (through [`HttpClient`]).
    pub fn set_create_order_transport(&self, transport: Transport) {
        self.state().create_order.transport = transport;
    }

    /// What the transport does with queryOrder calls from now on (through [`HttpClient`]).
    pub fn set_query_order_transport(&self, transport: Transport) {
        self.state().query_order.transport = transport;
    }

    /// The `transactionStatus` queryOrder reports for this order (`0` until set).
    pub fn set_status(&self, m_transaction_id: &str, status: TransactionStatus) {
        self.state()
            .statuses
            .insert(m_transaction_id.to_owned(), status);
    }

    /// The `totalAmount` (and `opAmount`) queryOrder reports for this order, as written (the
    /// order's amount until set).
    pub fn set_total_amount(&self, m_transaction_id: &str, amount: impl Into<String>) {
        self.state()
            .total_amounts
            .insert(m_transaction_id.to_owned(), amount.into());
    }

    /// createOrder calls received, whatever became of them.
    #[must_use]
    pub fn create_calls(&self) -> usize {
        self.state().create_order.calls
    }

    /// queryOrder calls received, whatever became of them.
    #[must_use]
    pub fn query_calls(&self) -> usize {
        self.state().query_order.calls
    }

    /// The authenticated createOrder received for this order, and the answer given.
    #[must_use]
    pub fn created(&self, m_transaction_id: &str) -> Option<(CreateOrder, CreatedOrder)> {
        self.state().orders.get(m_transaction_id).cloned()
    }

    /// The gateway's answer to a createOrder or queryOrder request (a path ending in
    /// `/createOrder1` or `/queryOrder1`; any other path is HTTP 404). The call is counted.
    #[must_use]
    pub fn answer(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let Some(method) = Method::of(request) else {
            return not_found();
        };
        let error = {
            let mut state = self.state();
            let script = state.script(method);
            script.calls += 1;
            script.error.clone()
        };
        if let Some(code) = error {
            return error_response(&code, "fake gateway error");
        }
        match method {
            Method::CreateOrder => self.create_order(request),
            Method::QueryOrder => self.query_order(request),
        }
    }

    fn create_order(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let order = match ReceivedCreateOrder::from_http_request(request)
            .and_then(|received| received.authenticate(&self.credentials))
        {
            Ok(order) => order,
            Err(refused) => return refused.to_http_response(),
        };
        let mut state = self.state();
        let id = order.m_transaction_id().to_owned();
        if state.orders.contains_key(&id) {
            let code = ReturnCode::DuplicateTransaction;
            return error_response(&code, &crate::text::unaccent(code.vietnamese()));
        }
        let transaction_id = format!("123P{:010}", state.orders.len() + 1);
        let created = CreatedOrder::new(
            transaction_id.clone(),
            format!("https://sandbox.123pay.vn/banksim/{id}.{transaction_id}.html"),
        );
        let response = created.to_http_response(self.credentials.secret_key());
        state.orders.insert(id, (order, created));
        response
    }

    fn query_order(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let query = match ReceivedQueryOrder::from_http_request(request)
            .and_then(|received| received.authenticate(&self.credentials))
        {
            Ok(query) => query,
            Err(refused) => return refused.to_http_response(),
        };
        let state = self.state();
        let id = query.m_transaction_id();
        let status = match state.orders.get(id) {
            Some((order, created)) => {
                let total = state
                    .total_amounts
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| order.total_amount().to_string());
                OrderStatus::new(
                    created.pay123_transaction_id(),
                    state
                        .statuses
                        .get(id)
                        .cloned()
                        .unwrap_or(TransactionStatus::New),
                    total.clone(),
                    total,
                    BankCode::Vietcombank,
                )
            }
            None => OrderStatus::not_found(),
        };
        status.to_http_response(self.credentials.secret_key())
    }
}

fn not_found() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(b"Not Found"));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

type Answer = Result<Response<Bytes>, std::io::Error>;

impl HttpClient for FakeGateway {
    type Error = std::io::Error;
    type Future = Either<Ready<Answer>, Pending<Answer>>;

    fn send(&self, request: Request<Bytes>) -> Self::Future {
        let transport = Method::of(&request).map(|method| {
            let mut state = self.state();
            let script = state.script(method);
            let transport = script.transport.clone();
            if transport != Transport::Deliver {
                // `answer` counts the delivered ones.
                script.calls += 1;
            }
            transport
        });
        let outcome = match transport.unwrap_or_default() {
            Transport::Deliver => Some(Ok(self.answer(&request))),
            Transport::Fail => Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            ))),
            Transport::NeverAnswer => None,
        };
        match outcome {
            Some(outcome) => Either::Left(std::future::ready(outcome)),
            None => Either::Right(std::future::pending()),
        }
    }
}

/// The notify form hidden in a signed string, if any: the first of [`notifies_hidden_in`].
#[must_use]
pub fn notify_hidden_in(signed: &str, checksum: &str, key: &crate::SecretKey) -> Option<String> {
    notifies_hidden_in(signed, checksum, key).into_iter().next()
}

/// Every notify form hidden in a signed string: cuts `signed` into the four fields of a notify
/// (`mTransactionID + bankCode + transactionStatus + ts`) in every way, and returns each form
/// that [`NotifyVerifier`](crate::NotifyVerifier) accepts with `checksum` and `key` (with any
/// `ts` window). A test that gets a signature from the code under test (a notify reply, a
/// gateway answer) asks this whether the signature also signs a notify: 123PAY joins signed
/// fields with no separator. For a genuine notify's own signed string, the answer should be that
/// notify alone.
///
/// Every field but `bankCode` may be empty (the notify table requires only it). Strings up to 48
/// characters are cut in every way; longer ones with the bank field starting at each `123P`,
/// which the verifier requires anyway.
#[must_use]
pub fn notifies_hidden_in(signed: &str, checksum: &str, key: &crate::SecretKey) -> Vec<String> {
    let verifier = crate::NotifyVerifier::new(key.clone()).with_window(std::time::Duration::MAX);
    let cuts: Vec<usize> = (0..=signed.len())
        .filter(|&i| signed.is_char_boundary(i))
        .collect();
    let starts: Vec<usize> = if signed.len() <= 48 {
        cuts.clone()
    } else {
        cuts.iter()
            .copied()
            .filter(|&i| signed[i..].starts_with("123P"))
            .collect()
    };
    let now = std::time::SystemTime::UNIX_EPOCH;
    let mut found = Vec::new();
    for &i in &starts {
        for &j in cuts.iter().filter(|&&j| j > i && j - i <= 20) {
            for &k in cuts.iter().filter(|&&k| k >= j) {
                let form = crate::gateway::answer::form_encode([
                    ("mTransactionID", &signed[..i]),
                    ("bankCode", &signed[i..j]),
                    ("transactionStatus", &signed[j..k]),
                    ("ts", &signed[k..]),
                    ("checksum", checksum),
                ]);
                if verifier.verify_form(form.as_bytes(), now).is_ok() {
                    found.push(form);
                }
            }
        }
    }
    found
}

/// What a test binary logs through `tracing` (no colours), from the first call of [`logs`] on:
/// every level of the pay123 crates, and `info` and above of everything else (other crates'
/// `trace` events print whole URLs).
#[derive(Debug, Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// The text logged so far.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// The first line logged so far that holds every one of `needles`.
    #[must_use]
    pub fn line(&self, needles: &[&str]) -> Option<String> {
        self.text()
            .lines()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_owned)
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// Installs, once per process, a global subscriber writing everything into the returned
/// [`Logs`].
///
/// A global subscriber, not a scoped one: `tracing` caches each callsite's interest for the
/// whole process, and a test thread without a subscriber would cache "never" for callsites a
/// scoped subscriber waits for. Call it at the start of every test that reads the logs.
///
/// # Panics
///
/// If another global subscriber was installed first.
pub fn logs() -> &'static Logs {
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let filter = [
            "pay123_core",
            "pay123_hyper",
            "pay123_axum",
            "pay123_sandbox",
        ]
        .iter()
        .fold(
            tracing_subscriber::EnvFilter::new("info"),
            |filter, target| {
                filter.add_directive(
                    format!("{target}=trace")
                        .parse()
                        .expect("a valid directive"),
                )
            },
        );
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_env_filter(filter)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber");
        // A callsite first hit by another thread while the global was being set is fixed here.
        tracing::callsite::rebuild_interest_cache();
        logs
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientError, Endpoints, QueryOrder};
    use futures_executor::block_on;

    fn order(id: &str) -> CreateOrder {
        CreateOrder::builder(id, 50_000, "https://shop.example/return")
            .build()
            .unwrap()
    }

    #[test]
    fn orders_are_remembered_and_reported_as_scripted() {
        let gateway = FakeGateway::new(Credentials::sandbox());
        let client = gateway.client();
        let query = QueryOrder::new("A").unwrap();
        let unknown = block_on(client.query_order(&query)).unwrap();
        assert_eq!(unknown.status(), &TransactionStatus::NotFound);

        let created = block_on(client.create_order(&order("A"))).unwrap();
        assert_eq!(gateway.created("A").unwrap().1, created);
        let duplicate = block_on(client.create_order(&order("A"))).unwrap_err();
        assert_eq!(
            duplicate.return_code(),
            Some(&ReturnCode::DuplicateTransaction)
        );

        gateway.set_status("A", TransactionStatus::AwaitingOtp);
        gateway.set_total_amount("A", "49000");
        let status = block_on(client.query_order(&query)).unwrap();
        assert_eq!(
            status.pay123_transaction_id(),
            created.pay123_transaction_id()
        );
        assert_eq!(status.status(), &TransactionStatus::AwaitingOtp);
        assert_eq!(status.total_amount_vnd(), Some(49_000));
        assert_eq!((gateway.create_calls(), gateway.query_calls()), (2, 2));
    }

    #[test]
    fn wrong_credentials_and_scripted_errors_are_refused() {
        let gateway = FakeGateway::new(Credentials::sandbox());
        let wrong = Credentials::new("MICODE", "MIPASSCODE", "OTHERKEY").unwrap();
        let client = Client::new(gateway.clone(), wrong, Endpoints::sandbox());
        let error = block_on(client.create_order(&order("A"))).unwrap_err();
        assert_eq!(error.return_code(), Some(&ReturnCode::AuthenticationFailed));
        assert!(gateway.created("A").is_none());

        gateway.fail_query_order(Some(ReturnCode::Busy));
        let query = QueryOrder::new("A").unwrap();
        let error = block_on(gateway.client().query_order(&query)).unwrap_err();
        assert_eq!(error.return_code(), Some(&ReturnCode::Busy));
        gateway.fail_query_order(None);
        assert!(block_on(gateway.client().query_order(&query)).is_ok());
    }

    #[test]
    fn a_request_without_accept_json_is_http_415_and_other_paths_404() {
        let gateway = FakeGateway::new(Credentials::sandbox());
        let mut request =
            order("A").to_http_request(&Credentials::sandbox(), &Endpoints::sandbox());
        request.headers_mut().remove(http::header::ACCEPT);
        let response = gateway.answer(&request);
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        *request.uri_mut() = http::Uri::from_static("https://sandbox.123pay.vn/elsewhere");
        assert_eq!(gateway.answer(&request).status(), StatusCode::NOT_FOUND);
        assert_eq!(gateway.create_calls(), 1);
    }

    #[test]
    fn a_failed_transport_is_counted_but_not_delivered() {
        let gateway = FakeGateway::new(Credentials::sandbox());
        gateway.set_create_order_transport(Transport::Fail);
        let error = block_on(gateway.client().create_order(&order("A"))).unwrap_err();
        assert!(matches!(error, ClientError::Transport { .. }), "{error:?}");
        assert!(error.is_not_sent(), "{error:?}");
        assert_eq!(gateway.create_calls(), 1);
        assert!(gateway.created("A").is_none());
    }

    #[test]
    fn a_gateway_that_never_answers_stays_pending() {
        let gateway = FakeGateway::new(Credentials::sandbox());
        gateway.set_query_order_transport(Transport::NeverAnswer);
        let client = gateway.client();
        let query = QueryOrder::new("A").unwrap();
        let mut call = std::pin::pin!(client.query_order(&query));
        use std::future::Future;
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        assert_eq!(gateway.query_calls(), 1);
    }
}
