//! The fake 123PAY scripted per test, with two behaviours of its own (holding a call until the
//! test releases it, losing an answer), and a flow over it and a memory store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder};
use pay123_core::payments::{Payment, Payments, Returned};
use pay123_core::test_util::{FakeGateway, MemoryStore, Transport};
use pay123_core::{
    BankCode, Client, CreateOrder, CreatedOrder, Credentials, Endpoints, Notify, NotifyOutcome,
    ReturnCode, ReturnTicket, SendHttpClient, TransactionStatus,
};

/// How the fake answers a method.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// Like 123PAY does when all is well.
    Answer,
    /// `[code, description]`.
    Error(ReturnCode),
    /// The transport fails (connection refused).
    Transport,
    /// Never answers.
    Hang,
    /// Answers like [`Behaviour::Answer`], but only once the test calls [`Fake::release`]; the
    /// test learns the call arrived from [`Fake::held`]. A held createOrder has not reached
    /// 123PAY's records yet: a queryOrder meanwhile finds no such transaction (`-10`).
    Hold,
    /// 123PAY processes the call (a createOrder creates the payment), and its answer is lost.
    LoseAnswer,
}

#[derive(Debug, Default)]
struct Holds {
    paths: HashMap<&'static str, bool>,
    lost: HashMap<&'static str, bool>,
    held: Option<String>,
    /// queryOrder answers for these orders replaced by another order's genuine answer.
    swapped: HashMap<String, String>,
}

/// The script and the record of the fake gateway.
#[derive(Debug, Clone)]
pub(crate) struct Fake {
    gateway: FakeGateway,
    holds: Arc<Mutex<Holds>>,
    held: Arc<tokio::sync::Notify>,
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
    fn script(&self, path: &'static str, behaviour: Behaviour) -> (Option<ReturnCode>, Transport) {
        self.holds()
            .paths
            .insert(path, matches!(behaviour, Behaviour::Hold));
        self.holds()
            .lost
            .insert(path, matches!(behaviour, Behaviour::LoseAnswer));
        match behaviour {
            Behaviour::Answer | Behaviour::Hold | Behaviour::LoseAnswer => {
                (None, Transport::Deliver)
            }
            Behaviour::Error(code) => (Some(code), Transport::Deliver),
            Behaviour::Transport => (None, Transport::Fail),
            Behaviour::Hang => (None, Transport::NeverAnswer),
        }
    }
    /// Someone between the shop and 123PAY: a queryOrder for `id` gets 123PAY's genuine answer
    /// for `other` (its checksum verifies; it does not sign the order's id).
    pub(crate) fn swap_answer(&self, id: &str, other: &str) {
        self.holds().swapped.insert(id.to_owned(), other.to_owned());
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
    /// The authenticated createOrder received for this order, and 123PAY's answer.
    pub(crate) fn created(&self, id: &str) -> Option<(CreateOrder, CreatedOrder)> {
        self.gateway.created(id)
    }

    async fn answer(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, std::io::Error> {
        let path = request.uri().path().to_owned();
        let matches = |map: &HashMap<&'static str, bool>| {
            map.iter().any(|(method, on)| *on && path.ends_with(method))
        };
        if matches(&self.holds().paths) {
            self.holds().held = Some(order_id(&request));
            self.held.notify_one();
            self.release.notified().await;
        }
        let lose = matches(&self.holds().lost);
        let swapped = path
            .ends_with("/queryOrder1")
            .then(|| self.holds().swapped.get(&order_id(&request)).cloned())
            .flatten();
        let request = match swapped {
            Some(other) => pay123_core::QueryOrder::new(other)
                .unwrap()
                .to_http_request(&Credentials::sandbox(), &Endpoints::sandbox()),
            None => request,
        };
        let answer = pay123_core::HttpClient::send(&self.gateway, request).await;
        if lose {
            std::future::pending::<()>().await;
        }
        answer
    }
}

/// The `mTransactionID` of an authenticated createOrder or queryOrder.
fn order_id(request: &http::Request<Bytes>) -> String {
    let credentials = Credentials::sandbox();
    if request.uri().path().ends_with("/createOrder1") {
        let order = ReceivedCreateOrder::from_http_request(request)
            .and_then(|r| r.authenticate(&credentials))
            .expect("a valid, authenticated createOrder");
        order.m_transaction_id().to_owned()
    } else {
        let query = ReceivedQueryOrder::from_http_request(request)
            .and_then(|r| r.authenticate(&credentials))
            .expect("a valid, authenticated queryOrder");
        query.m_transaction_id().to_owned()
    }
}

/// A flow over the fake gateway and a memory store.
pub(crate) struct World<C> {
    pub(crate) payments: Payments<C, MemoryStore>,
    pub(crate) store: MemoryStore,
    pub(crate) fake: Fake,
}

pub(crate) fn world() -> World<impl SendHttpClient> {
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
    let store = MemoryStore::default();
    let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
    let payments = Payments::new(client, store.clone(), tokio::time::sleep)
        .with_gateway_timeout(Duration::from_secs(10))
        // Tests reload the return page at once; `return_queries_are_limited` tests the interval.
        .with_return_query_interval(Duration::ZERO);
    World {
        payments,
        store,
        fake,
    }
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// A new order of `amount` VND.
pub(crate) fn order(amount: u64) -> CreateOrder {
    let id = format!("ORDER-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    CreateOrder::builder(id, amount, "https://shop.vn/return")
        .build()
        .unwrap()
}

impl<C: SendHttpClient> World<C> {
    /// The stored payment, which must exist.
    pub(crate) fn payment(&self, id: &str) -> Payment {
        self.store.get(id).expect("the payment is stored")
    }
    /// The versions with a note.
    pub(crate) fn history(&self, id: &str) -> Vec<Payment> {
        self.store.history(id)
    }
    /// A checkout of 450,000 VND that must succeed; the order's `mTransactionID`.
    pub(crate) async fn checkout(&self) -> String {
        self.checkout_with(&self.payments).await
    }
    pub(crate) async fn checkout_with(&self, payments: &Payments<C, MemoryStore>) -> String {
        let order = order(450_000);
        payments.create(&order).await.expect("checkout");
        order.m_transaction_id().to_owned()
    }
    /// What the flow answers a verified notify.
    pub(crate) async fn notified(&self, id: &str, status: &str) -> NotifyOutcome {
        self.payments.on_notify(notify(id, status)).await.unwrap()
    }
    /// The return page for this query string.
    pub(crate) async fn returned_for(&self, query: &str) -> Returned {
        self.payments.on_return(query).await.unwrap()
    }
    /// The payment the return page for a genuine ticket shows, which must be there.
    pub(crate) async fn returned(&self, id: &str, status: TransactionStatus) -> Payment {
        self.returned_for(&return_query(id, status))
            .await
            .payment
            .unwrap()
    }
    /// The outcomes of `n` notifies for one order, sent at once, each on its own task.
    pub(crate) async fn notify_at_once(
        &self,
        id: &str,
        status: &str,
        n: usize,
    ) -> Vec<NotifyOutcome> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let payments = self.payments.clone();
                let n = notify(id, status);
                tokio::spawn(async move { payments.on_notify(n).await.unwrap() })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    }
}

/// Waits as 123PAY does before sending a notify again: longer than
/// [`NOTIFY_QUERY_INTERVAL`](pay123_core::payments::NOTIFY_QUERY_INTERVAL), within which a copy
/// of a notify is coalesced with the one that asked.
pub(crate) async fn as_123pay_retries() {
    tokio::time::sleep(pay123_core::payments::NOTIFY_QUERY_INTERVAL + Duration::from_millis(50))
        .await;
}

/// The query string of a genuine return ticket, issued now.
pub(crate) fn return_query(id: &str, status: TransactionStatus) -> String {
    ReturnTicket::new(id, status, SystemTime::now())
        .unwrap()
        .to_query(Credentials::sandbox().secret_key())
}

/// A verified notify, as the listener hands it over.
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
