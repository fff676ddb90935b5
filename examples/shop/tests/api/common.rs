//! A shop over the core's fake 123PAY and a SQLite file in a new temporary directory.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use pay123_core::test_util::FakeGateway;
use pay123_core::{
    Client, Credentials, Endpoints, ReturnTicket, SendHttpClient, TransactionStatus,
};
use shop::{HistoryEntry, Order, Shop, Store};
use tempfile::TempDir;

pub(crate) const PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// A shop, its fake gateway, and whether the fake's createOrder answers are lost on the way.
pub(crate) struct TestShop<C> {
    pub(crate) shop: Shop<C>,
    pub(crate) fake: FakeGateway,
    _dir: TempDir,
}

/// A shop over `fake`, through `transport`.
async fn shop_over<C: SendHttpClient>(transport: C, fake: FakeGateway) -> TestShop<C> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let store = Store::connect(&url).await.unwrap();
    let client = Client::new(transport, Credentials::sandbox(), Endpoints::sandbox());
    let shop = Shop::new(client, store, &format!("{PUBLIC_URL}/"))
        .with_gateway_timeout(Duration::from_secs(10))
        // Tests reload the return page at once.
        .with_return_query_interval(Duration::ZERO);
    TestShop {
        shop,
        fake,
        _dir: dir,
    }
}

pub(crate) async fn setup() -> TestShop<FakeGateway> {
    let fake = FakeGateway::new(Credentials::sandbox());
    shop_over(fake.clone(), fake).await
}

/// A shop whose createOrder reaches 123PAY, and whose answer is lost on the way back.
pub(crate) async fn setup_losing_answers() -> TestShop<impl SendHttpClient> {
    let fake = FakeGateway::new(Credentials::sandbox());
    let gateway = fake.clone();
    let transport = move |request: http::Request<Bytes>| {
        let gateway = gateway.clone();
        async move {
            let create = request.uri().path().ends_with("/createOrder1");
            let answer = pay123_core::HttpClient::send(&gateway, request).await;
            if create {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset",
                ));
            }
            answer
        }
    };
    shop_over(transport, fake).await
}

impl<C: SendHttpClient> TestShop<C> {
    /// The stored order, which must exist.
    pub(crate) async fn order(&self, id: &str) -> Order {
        self.shop.store().order(id).await.unwrap().unwrap()
    }
    /// The history of the order's payment.
    pub(crate) async fn history(&self, id: &str) -> Vec<HistoryEntry> {
        self.shop.store().history(id).await.unwrap()
    }
    /// A checkout that must succeed; the order's `mTransactionID`.
    pub(crate) async fn checkout(&self, product: &str) -> String {
        self.shop
            .checkout(product, None, None)
            .await
            .expect("checkout")
            .m_transaction_id
    }
}

/// The query string of a genuine return ticket, issued now.
pub(crate) fn return_query(id: &str, status: TransactionStatus) -> String {
    ReturnTicket::new(id, status, SystemTime::now())
        .unwrap()
        .to_query(Credentials::sandbox().secret_key())
}
