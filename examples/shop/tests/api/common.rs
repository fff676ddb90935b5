//! A fake 123PAY: a closure `HttpClient` that parses requests and answers with the core's
//! gateway-side builders (`CreatedOrder`, `OrderStatus`, `error_response`), scripted per test.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response, header};
use pay123_core::{
    BankCode, Client, CreateOrder, CreatedOrder, Credentials, Endpoints, HttpClient, Notify,
    NotifyOutcome, OrderStatus, ReceivedCreateOrder, ReceivedQueryOrder, ReturnCode, ReturnTicket,
    TransactionStatus, error_response,
};
use shop::{HistoryEntry, Order, OrderView, ReturnView, Shop, Store};
use tempfile::TempDir;

pub(crate) const PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// How the fake answers a method.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// Like 123PAY does when all is well.
    Answer,
    /// `[code, description]`.
    Error(ReturnCode),
    /// The transport fails.
    Transport,
    /// Never answers.
    Hang,
    /// Answers like [`Behaviour::Answer`], but only once the test calls [`Fake::release`]; the
    /// test learns the call arrived from [`Fake::held`]. A held createOrder has not reached
    /// 123PAY's records yet: a queryOrder meanwhile finds no such transaction (`-10`).
    Hold,
}

#[derive(Debug)]
struct State {
    create: Behaviour,
    query: Behaviour,
    orders: HashMap<String, (CreateOrder, String)>,
    status: HashMap<String, TransactionStatus>,
    total_amount: HashMap<String, String>,
    create_calls: usize,
    query_calls: usize,
    held: Option<String>,
}

/// The script and the record of the fake gateway.
#[derive(Debug, Clone)]
pub(crate) struct Fake {
    state: Arc<Mutex<State>>,
    /// Signalled when a call is held ([`Behaviour::Hold`]); its order's id is in `State::held`.
    held: Arc<tokio::sync::Notify>,
    /// Signalled by the test to let the held call answer.
    release: Arc<tokio::sync::Notify>,
}

impl Fake {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
    /// Waits (10 s at most) for a call held by [`Behaviour::Hold`]; its `mTransactionID`.
    pub(crate) async fn held(&self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.held.notified())
            .await
            .expect("a call is held within 10 s");
        self.state().held.take().expect("the held call's order")
    }
    /// Lets the call held by [`Behaviour::Hold`] answer.
    pub(crate) fn release(&self) {
        self.release.notify_one();
    }
    pub(crate) fn set_create(&self, behaviour: Behaviour) {
        self.state().create = behaviour;
    }
    pub(crate) fn set_query(&self, behaviour: Behaviour) {
        self.state().query = behaviour;
    }
    /// The `transactionStatus` queryOrder reports for this order (`0` until set).
    pub(crate) fn set_status(&self, id: &str, code: &str) {
        self.state()
            .status
            .insert(id.to_owned(), TransactionStatus::from_code(code));
    }
    /// The `totalAmount` queryOrder reports (the order's amount until set).
    pub(crate) fn set_total_amount(&self, id: &str, amount: &str) {
        self.state()
            .total_amount
            .insert(id.to_owned(), amount.to_owned());
    }
    pub(crate) fn create_calls(&self) -> usize {
        self.state().create_calls
    }
    pub(crate) fn query_calls(&self) -> usize {
        self.state().query_calls
    }
    /// The authenticated createOrder received for this order, and the 123PAY id given.
    pub(crate) fn created(&self, id: &str) -> Option<(CreateOrder, String)> {
        self.state().orders.get(id).cloned()
    }

    async fn answer(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, std::io::Error> {
        let credentials = Credentials::sandbox();
        let key = credentials.secret_key();
        let path = request.uri().path().to_owned();
        let behaviour = {
            let mut state = self.state();
            if path.ends_with("/createOrder1") {
                state.create_calls += 1;
                state.create.clone()
            } else {
                state.query_calls += 1;
                state.query.clone()
            }
        };
        match behaviour {
            Behaviour::Answer => {}
            Behaviour::Error(code) => return Ok(error_response(&code, "fake gateway error")),
            Behaviour::Transport => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                ));
            }
            Behaviour::Hang => std::future::pending::<()>().await,
            Behaviour::Hold => {
                self.state().held = Some(order_id(&request, &credentials));
                self.held.notify_one();
                self.release.notified().await;
            }
        }
        if path.ends_with("/createOrder1") {
            let order = ReceivedCreateOrder::from_http_request(&request)
                .and_then(|r| r.authenticate(&credentials))
                .expect("the shop sends a valid, authenticated createOrder");
            let mut state = self.state();
            let pay123_id = format!("123P{:010}", state.orders.len() + 1);
            let created = CreatedOrder {
                transaction_id: pay123_id.clone(),
                redirect_url: format!(
                    "https://sandbox.123pay.vn/banksim/{}.{pay123_id}.html",
                    order.m_transaction_id()
                ),
            };
            state
                .orders
                .insert(order.m_transaction_id().to_owned(), (order, pay123_id));
            Ok(created.to_http_response(key))
        } else {
            let query = ReceivedQueryOrder::from_http_request(&request)
                .and_then(|r| r.authenticate(&credentials))
                .expect("the shop sends a valid, authenticated queryOrder");
            let id = query.m_transaction_id();
            let state = self.state();
            let Some((order, pay123_id)) = state.orders.get(id) else {
                return Ok(OrderStatus {
                    transaction_id: String::new(),
                    status: TransactionStatus::NotFound,
                    total_amount: "0".into(),
                    op_amount: "0".into(),
                    bank_code: BankCode::Pay123,
                    description: None,
                }
                .to_http_response(key));
            };
            let total = state
                .total_amount
                .get(id)
                .cloned()
                .unwrap_or_else(|| order.total_amount().to_string());
            Ok(OrderStatus {
                transaction_id: pay123_id.clone(),
                status: state
                    .status
                    .get(id)
                    .cloned()
                    .unwrap_or(TransactionStatus::New),
                total_amount: total.clone(),
                op_amount: total,
                bank_code: BankCode::Vietcombank,
                description: None,
            }
            .to_http_response(key))
        }
    }
}

/// The `mTransactionID` of an authenticated createOrder or queryOrder.
fn order_id(request: &http::Request<Bytes>, credentials: &Credentials) -> String {
    if request.uri().path().ends_with("/createOrder1") {
        let order = ReceivedCreateOrder::from_http_request(request)
            .and_then(|r| r.authenticate(credentials))
            .expect("a valid, authenticated createOrder");
        order.m_transaction_id().to_owned()
    } else {
        let query = ReceivedQueryOrder::from_http_request(request)
            .and_then(|r| r.authenticate(credentials))
            .expect("a valid, authenticated queryOrder");
        query.m_transaction_id().to_owned()
    }
}

/// A shop over the fake gateway and a SQLite file in a new temporary directory.
pub(crate) struct TestShop<C> {
    pub(crate) shop: Shop<C>,
    pub(crate) fake: Fake,
    _dir: TempDir,
}

pub(crate) async fn setup() -> TestShop<impl HttpClient + Clone + 'static> {
    let fake = Fake {
        state: Arc::new(Mutex::new(State {
            create: Behaviour::Answer,
            query: Behaviour::Answer,
            orders: HashMap::new(),
            status: HashMap::new(),
            total_amount: HashMap::new(),
            create_calls: 0,
            query_calls: 0,
            held: None,
        })),
        held: Arc::new(tokio::sync::Notify::new()),
        release: Arc::new(tokio::sync::Notify::new()),
    };
    let gateway = fake.clone();
    let transport = move |request: http::Request<Bytes>| {
        let gateway = gateway.clone();
        async move { gateway.answer(request).await }
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let store = Store::connect(&url).await.unwrap();
    let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
    let shop = Shop::new(client, store, &format!("{PUBLIC_URL}/"))
        .with_gateway_timeout(Duration::from_secs(10));
    TestShop {
        shop,
        fake,
        _dir: dir,
    }
}

impl<C: HttpClient> TestShop<C> {
    /// The stored order, which must exist.
    pub(crate) async fn order(&self, id: &str) -> Order {
        self.shop.store().order(id).await.unwrap().unwrap()
    }
    /// The stored history of the order.
    pub(crate) async fn history(&self, id: &str) -> Vec<HistoryEntry> {
        self.shop.store().history(id).await.unwrap()
    }
    /// What the shop answers a verified notify ([`notify`]).
    pub(crate) async fn notified(&self, id: &str, status: &str) -> NotifyOutcome {
        self.shop.on_notify(notify(id, status)).await
    }
    /// The return page for this query string.
    pub(crate) async fn return_view(&self, query: &str) -> ReturnView {
        self.shop.on_return(query).await.unwrap()
    }
    /// The return page for a genuine ticket ([`return_query`]).
    pub(crate) async fn return_with(&self, id: &str, status: TransactionStatus) -> ReturnView {
        self.return_view(&return_query(id, status)).await
    }
    /// The order the return page for a genuine ticket shows, which must be there.
    pub(crate) async fn returned(&self, id: &str, status: TransactionStatus) -> OrderView {
        self.return_with(id, status).await.order.unwrap()
    }
    /// A `GET` request to the shop's HTTP routes.
    pub(crate) fn get(&self, uri: &str) -> Call<'_, C> {
        self.call(Method::GET, uri)
    }
    /// A `POST` request to the shop's HTTP routes.
    pub(crate) fn post(&self, uri: &str) -> Call<'_, C> {
        self.call(Method::POST, uri)
    }
    /// A request to the shop's HTTP routes.
    pub(crate) fn call(&self, method: Method, uri: &str) -> Call<'_, C> {
        Call {
            shop: &self.shop,
            request: Request::builder().method(method).uri(uri),
            body: Bytes::new(),
        }
    }
}

impl<C: HttpClient + 'static> TestShop<C> {
    /// The outcomes of `n` notifies for one order, sent at once, each on its own task.
    pub(crate) async fn notify_at_once(
        &self,
        id: &str,
        status: &str,
        n: usize,
    ) -> Vec<NotifyOutcome> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let shop = self.shop.clone();
                let n = notify(id, status);
                tokio::spawn(async move { shop.on_notify(n).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    }
}

/// A request to [`shop::http::handle`], from the buyer at `127.0.0.1`.
pub(crate) struct Call<'a, C> {
    shop: &'a Shop<C>,
    request: http::request::Builder,
    body: Bytes,
}

impl<C: HttpClient> Call<'_, C> {
    /// Asks for this media type (`Accept`).
    pub(crate) fn accept(mut self, accept: &str) -> Self {
        self.request = self.request.header(header::ACCEPT, accept);
        self
    }
    /// Sends this URL-encoded form as the body.
    pub(crate) fn form(mut self, body: &str) -> Self {
        self.request = self
            .request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.body = Bytes::from(body.to_owned());
        self
    }
    /// The shop's response.
    pub(crate) async fn send(self) -> Response<Bytes> {
        let request = self.request.body(self.body).unwrap();
        shop::http::handle(self.shop, request, Some("127.0.0.1".parse().unwrap())).await
    }
}

/// The response's body as text.
pub(crate) fn text(response: &Response<Bytes>) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

/// The response's body as JSON.
pub(crate) fn json(response: &Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap()
}

/// The order id the shop's response names (`x-order-id`), which must be there.
pub(crate) fn order_id_header(response: &Response<Bytes>) -> String {
    response.headers()[shop::http::ORDER_ID_HEADER]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The query string of a genuine return ticket, issued now.
pub(crate) fn return_query(id: &str, status: TransactionStatus) -> String {
    ReturnTicket::new(id, status, SystemTime::now())
        .unwrap()
        .to_query(Credentials::sandbox().secret_key())
}

/// A checkout that must succeed; the order's `mTransactionID`.
pub(crate) async fn checkout<C: HttpClient>(shop: &Shop<C>, product: &str) -> String {
    shop.checkout(product, None, None)
        .await
        .expect("checkout")
        .m_transaction_id
}

/// A verified notify, as the listener hands it to the shop.
pub(crate) fn notify(id: &str, status: &str) -> Notify {
    Notify::new(
        id,
        BankCode::Vietcombank,
        TransactionStatus::from_code(status),
        "",
        SystemTime::now(),
    )
    .unwrap()
}
