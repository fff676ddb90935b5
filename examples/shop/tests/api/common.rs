//! The core's fake 123PAY (`pay123_core::test_util::FakeGateway`), scripted per test, with one
//! behaviour of the shop's own: holding a call until the test releases it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use pay123_core::test_util::{FakeGateway, Transport};
use pay123_core::{
    BankCode, Client, CreateOrder, Credentials, Endpoints, HttpClient, Notify, NotifyOutcome,
    ReceivedCreateOrder, ReceivedQueryOrder, ReturnCode, ReturnTicket, TransactionStatus,
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
    /// 123PAY processes the call (a createOrder creates the payment), and its answer is lost:
    /// the caller never hears back.
    LoseAnswer,
}

#[derive(Debug, Default)]
struct Holds {
    /// The paths (`/createOrder1`, `/queryOrder1`) whose calls are held.
    paths: HashMap<&'static str, bool>,
    /// The paths whose answers are lost.
    lost: HashMap<&'static str, bool>,
    /// The `mTransactionID` of the call held now.
    held: Option<String>,
}

/// The script and the record of the fake gateway.
#[derive(Debug, Clone)]
pub(crate) struct Fake {
    gateway: FakeGateway,
    holds: Arc<Mutex<Holds>>,
    /// Signalled when a call is held ([`Behaviour::Hold`]); its order's id is in `Holds::held`.
    held: Arc<tokio::sync::Notify>,
    /// Signalled by the test to let the held call answer.
    release: Arc<tokio::sync::Notify>,
}

impl Fake {
    fn holds(&self) -> MutexGuard<'_, Holds> {
        self.holds.lock().unwrap()
    }
    /// Waits (10 s at most) for a call held by [`Behaviour::Hold`]; its `mTransactionID`.
    pub(crate) async fn held(&self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.held.notified())
            .await
            .expect("a call is held within 10 s");
        self.holds().held.take().expect("the held call's order")
    }
    /// Lets the call held by [`Behaviour::Hold`] answer.
    pub(crate) fn release(&self) {
        self.release.notify_one();
    }
    pub(crate) fn set_create(&self, behaviour: Behaviour) {
        let (error, transport) = self.script("/createOrder1", behaviour);
        self.gateway.fail_create_order(error);
        self.gateway.set_create_order_transport(transport);
    }
    pub(crate) fn set_query(&self, behaviour: Behaviour) {
        let (error, transport) = self.script("/queryOrder1", behaviour);
        self.gateway.fail_query_order(error);
        self.gateway.set_query_order_transport(transport);
    }
    /// Records whether the method's calls are held; the gateway's script for the rest.
    fn script(&self, path: &'static str, behaviour: Behaviour) -> (Option<ReturnCode>, Transport) {
        let hold = matches!(behaviour, Behaviour::Hold);
        self.holds().paths.insert(path, hold);
        let lose = matches!(behaviour, Behaviour::LoseAnswer);
        self.holds().lost.insert(path, lose);
        match behaviour {
            Behaviour::Answer | Behaviour::Hold | Behaviour::LoseAnswer => {
                (None, Transport::Deliver)
            }
            Behaviour::Error(code) => (Some(code), Transport::Deliver),
            Behaviour::Transport => (None, Transport::Fail),
            Behaviour::Hang => (None, Transport::NeverAnswer),
        }
    }
    /// The `transactionStatus` queryOrder reports for this order (`0` until set).
    pub(crate) fn set_status(&self, id: &str, code: &str) {
        self.gateway
            .set_status(id, TransactionStatus::from_code(code));
    }
    /// The `totalAmount` queryOrder reports (the order's amount until set).
    pub(crate) fn set_total_amount(&self, id: &str, amount: &str) {
        self.gateway.set_total_amount(id, amount);
    }
    pub(crate) fn create_calls(&self) -> usize {
        self.gateway.create_calls()
    }
    pub(crate) fn query_calls(&self) -> usize {
        self.gateway.query_calls()
    }
    /// The authenticated createOrder received for this order, and the 123PAY id given.
    pub(crate) fn created(&self, id: &str) -> Option<(CreateOrder, String)> {
        self.gateway
            .created(id)
            .map(|(order, answer)| (order, answer.pay123_transaction_id().to_owned()))
    }

    async fn answer(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, std::io::Error> {
        let path = request.uri().path();
        let hold = self
            .holds()
            .paths
            .iter()
            .any(|(method, hold)| *hold && path.ends_with(method));
        if hold {
            self.holds().held = Some(order_id(&request, &Credentials::sandbox()));
            self.held.notify_one();
            self.release.notified().await;
        }
        let lose = self
            .holds()
            .lost
            .iter()
            .any(|(method, lose)| *lose && path.ends_with(method));
        let answer = self.gateway.send(request).await;
        if lose {
            std::future::pending::<()>().await;
        }
        answer
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

pub(crate) async fn setup() -> TestShop<impl pay123_core::SendHttpClient> {
    let fake = Fake {
        gateway: FakeGateway::new(Credentials::sandbox()),
        holds: Arc::default(),
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
        .with_gateway_timeout(Duration::from_secs(10))
        // Tests reload the return page at once; `return_queries_are_limited` tests the interval.
        .with_return_query_interval(Duration::ZERO);
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
        self.shop.on_notify(notify(id, status)).await.unwrap()
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
}

impl<C: pay123_core::SendHttpClient> TestShop<C> {
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
                tokio::spawn(async move { shop.on_notify(n).await.unwrap() })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    }
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
