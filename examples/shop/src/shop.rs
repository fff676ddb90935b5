//! The shop service: checkout, the return page and the order views, over pay123's payment flow.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pay123_core::payments::Payments;
use pay123_core::proxy::TrustedProxies;
use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::{BankCode, Client, CreateOrder, ErrorChain, HttpClient, ReturnCheck};
use pay123_sqlx::SqlStore;
use rand::Rng;

use crate::catalog::{CATALOG, Product};
use crate::checkout_limit::{CHECKOUTS_PER_MINUTE, CheckoutLimit};
use crate::store::{NewOrder, Store, StoreError};
use crate::view::{OrderView, ReturnView, TicketCheck};

/// The path of the shop's return page, passed to 123PAY as redirect, cancel and error URL.
pub const RETURN_PATH: &str = "/return";

/// The path where each framework's shop mounts its adapter's notify listener.
pub const NOTIFY_PATH: &str = "/123pay/notify";

/// How long the shop waits for createOrder or queryOrder unless told otherwise: a buyer who
/// clicked "pay" waits at most this long. A createOrder that times out leaves its payment
/// `unsure` for the reconciler, never "not created". A queryOrder made while answering a notify
/// waits at most the core's [`NOTIFY_WORK_BUDGET`](pay123_core::NOTIFY_WORK_BUDGET): 123PAY is
/// waiting for the reply.
pub const DEFAULT_GATEWAY_TIMEOUT: Duration = pay123_core::payments::DEFAULT_GATEWAY_TIMEOUT;

/// The demo shop over pay123's payment flow and its [`Store`]. Cloning is cheap (shared state).
pub struct Shop<C> {
    payments: Payments<C, SqlStore>,
    inner: Arc<Inner>,
    checkouts_per_minute: u32,
    proxies: Arc<TrustedProxies>,
}

struct Inner {
    store: Store,
    public_url: String,
    checkouts: CheckoutLimit,
}

impl<C> Clone for Shop<C> {
    fn clone(&self) -> Self {
        Self {
            payments: self.payments.clone(),
            inner: Arc::clone(&self.inner),
            checkouts_per_minute: self.checkouts_per_minute,
            proxies: Arc::clone(&self.proxies),
        }
    }
}

impl<C> fmt::Debug for Shop<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shop")
            .field("public_url", &self.inner.public_url)
            .field("payments", &self.payments)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

/// A payment created at 123PAY: send the buyer to `redirect_url` (HTTP 303).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checkout {
    /// The order's `mTransactionID`.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: String,
    /// 123PAY's page for the buyer.
    #[serde(rename = "redirectURL")]
    pub redirect_url: String,
}

impl Checkout {
    /// The JSON answer to a checkout that asked for JSON:
    /// `{"mTransactionID": .., "redirectURL": ..}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("two strings serialize")
    }
}

/// A checkout that did not send the buyer to 123PAY.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// No product has this id; nothing was recorded.
    #[error("unknown product {0:?}")]
    UnknownProduct(String),
    /// The bank code is not one of the specification's; nothing was recorded.
    #[error("unknown bank code {0:?}")]
    UnknownBank(String),
    /// This address made too many checkouts in the last minute; nothing was recorded.
    #[error("too many checkouts from this address")]
    TooMany,
    /// The order could not be recorded; nothing was sent to 123PAY.
    #[error("the order could not be recorded: {0}")]
    Store(#[source] StoreError),
    /// The payment flow's error: the payment was not recorded, or createOrder failed and the
    /// payment is recorded as not created or unsure (the error says which, and what to tell the
    /// buyer).
    #[error(transparent)]
    Payment(pay123_core::Error),
}

impl CheckoutError {
    /// The recorded order, if one was recorded.
    #[must_use]
    pub fn m_transaction_id(&self) -> Option<&str> {
        match self {
            Self::Payment(e) => e.m_transaction_id(),
            _ => None,
        }
    }

    /// A short code: `unknown_product`, `unknown_bank`, `too_many`, `store`, or the payment
    /// flow's ([`pay123_core::Error::code`]: `5000`, `timeout`...).
    #[must_use]
    pub fn code(&self) -> String {
        match self {
            Self::UnknownProduct(_) => "unknown_product".to_owned(),
            Self::UnknownBank(_) => "unknown_bank".to_owned(),
            Self::TooMany => "too_many".to_owned(),
            Self::Store(_) => "store".to_owned(),
            Self::Payment(e) => e.code().into_owned(),
        }
    }

    /// The message for the buyer, in Vietnamese.
    #[must_use]
    pub fn vietnamese(&self) -> String {
        self.buyer_messages().0
    }

    /// The message for the buyer, in English.
    #[must_use]
    pub fn english(&self) -> String {
        self.buyer_messages().1
    }

    /// The message for the buyer in Vietnamese and in English, side by side so that the two
    /// stay translations of each other.
    fn buyer_messages(&self) -> (String, String) {
        let fixed = |vi: &str, en: &str| (vi.to_owned(), en.to_owned());
        match self {
            Self::UnknownProduct(_) => fixed("Không tìm thấy sản phẩm này.", "No such product."),
            Self::TooMany => fixed(
                "Quá nhiều đơn hàng từ địa chỉ của quý khách; vui lòng thử lại sau ít phút.",
                "Too many orders from your address; please try again in a few minutes.",
            ),
            Self::UnknownBank(_) => fixed(
                "Ngân hàng đã chọn không hợp lệ.",
                "The chosen bank is not valid.",
            ),
            Self::Store(_) => fixed(
                "Lỗi hệ thống: chưa lưu được đơn hàng. Vui lòng thử lại sau.",
                "System error: the order was not saved. Please try again later.",
            ),
            Self::Payment(e) => (e.vietnamese(), e.english()),
        }
    }

    /// Whether the payment may exist at 123PAY while the buyer was not sent to pay.
    #[must_use]
    pub fn is_unsure(&self) -> bool {
        matches!(self, Self::Payment(pay123_core::Error::NotCreated(e))
            if e.state == pay123_core::payments::PaymentState::Unsure)
    }

    /// The HTTP status a page for this error answers with: the payment flow's for its errors
    /// (500 for the shop's own mistakes, 503 or 504 when 123PAY is busy or slow, 502 when it
    /// refused).
    #[must_use]
    pub fn status_code(&self) -> http::StatusCode {
        match self {
            Self::UnknownProduct(_) => http::StatusCode::NOT_FOUND,
            Self::UnknownBank(_) => http::StatusCode::BAD_REQUEST,
            Self::TooMany => http::StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            Self::Payment(e) => http::StatusCode::from_u16(e.http_status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl<C: HttpClient> Shop<C> {
    /// A shop over a 123PAY client and a store, reachable by buyers at `public_url`
    /// (`http://127.0.0.1:3000`; a trailing `/` is dropped). The payment flow runs on Tokio's
    /// timer.
    pub fn new(client: Client<C>, store: Store, public_url: &str) -> Self {
        let payments = Payments::new(client, store.payments().clone(), tokio::time::sleep);
        Self {
            payments,
            inner: Arc::new(Inner {
                store,
                public_url: public_url.trim_end_matches('/').to_owned(),
                checkouts: CheckoutLimit::default(),
            }),
            checkouts_per_minute: CHECKOUTS_PER_MINUTE,
            proxies: Arc::default(),
        }
    }

    /// The reverse proxies in front of the shop (none by default): behind them, the buyer's
    /// address is the one they write in `X-Forwarded-For` ([`client_ip`](Self::client_ip)).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    /// The reverse proxies in front of the shop.
    #[must_use]
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.proxies
    }

    /// The buyer's address of a request from `peer`, whose headers named by the proxies'
    /// [`header_name`](TrustedProxies::header_name) (every value, in order, read lossily) are
    /// `forwarded`: `peer` itself unless it is a trusted proxy.
    #[must_use]
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        self.proxies.client_ip_of(peer, forwarded)
    }

    /// Lets one address check out at most `per_minute` times a minute
    /// ([`CHECKOUTS_PER_MINUTE`](crate::CHECKOUTS_PER_MINUTE) by default; 0: no limit). Behind a
    /// reverse proxy, pass the buyer's address ([`client_ip`](Self::client_ip), with
    /// [`with_trusted_proxies`](Self::with_trusted_proxies)) to [`checkout`](Self::checkout),
    /// or every buyer shares the proxy's allowance.
    #[must_use]
    pub fn with_checkouts_per_minute(mut self, per_minute: u32) -> Self {
        self.checkouts_per_minute = per_minute;
        self
    }

    /// When the reconciler asks 123PAY about open orders: see
    /// [`Payments::with_reconcile_policy`].
    #[must_use]
    pub fn with_reconcile_policy(mut self, policy: ReconcilePolicy) -> Self {
        self.payments = self.payments.with_reconcile_policy(policy);
        self
    }

    /// How often the return page may ask 123PAY about an order: see
    /// [`Payments::with_return_query_interval`].
    #[must_use]
    pub fn with_return_query_interval(mut self, interval: Duration) -> Self {
        self.payments = self.payments.with_return_query_interval(interval);
        self
    }

    /// Gives up on createOrder and queryOrder after `timeout`: see
    /// [`Payments::with_gateway_timeout`].
    #[must_use]
    pub fn with_gateway_timeout(mut self, timeout: Duration) -> Self {
        self.payments = self.payments.with_gateway_timeout(timeout);
        self
    }

    /// Gives a notify's body `timeout` to arrive whole (the listener's
    /// [`NOTIFY_BODY_TIMEOUT`](pay123_core::NOTIFY_BODY_TIMEOUT) by default): past it, 408.
    #[must_use]
    pub fn with_notify_body_timeout(mut self, timeout: Duration) -> Self {
        let listener = self.payments.listener().clone().with_body_timeout(timeout);
        self.payments = self.payments.with_listener(listener);
        self
    }

    /// The payment flow: what the notify route, the return page and the reconciler use.
    #[must_use]
    pub fn payments(&self) -> &Payments<C, SqlStore> {
        &self.payments
    }

    /// The 123PAY client.
    #[must_use]
    pub fn client(&self) -> &Client<C> {
        self.payments.client()
    }

    /// The reconciler's policy.
    #[must_use]
    pub fn reconcile_policy(&self) -> &ReconcilePolicy {
        self.payments.reconcile_policy()
    }

    /// The gateway timeout.
    #[must_use]
    pub fn gateway_timeout(&self) -> Duration {
        self.payments.gateway_timeout()
    }

    /// The order store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The shop's public base URL, without a trailing `/`.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// `{public_url}/return`: the redirect, cancel and error URL given to 123PAY.
    #[must_use]
    pub fn return_url(&self) -> String {
        format!("{}{RETURN_PATH}", self.inner.public_url)
    }

    /// `{public_url}/123pay/notify`: the notify listener's URL (configured at 123PAY, or given
    /// to the sandbox).
    #[must_use]
    pub fn notify_url(&self) -> String {
        format!("{}{NOTIFY_PATH}", self.inner.public_url)
    }

    /// The products for sale.
    #[must_use]
    pub fn catalog(&self) -> &'static [Product] {
        CATALOG
    }

    /// Buys one product: records what the order buys, then hands it to the payment flow
    /// ([`Payments::create`]: the payment recorded, createOrder with `{public_url}/return` as
    /// redirect, cancel and error URL, 123PAY's answer stored). `bank_code` is `None`, empty or
    /// `123PAY` to let the buyer choose at 123PAY. When createOrder fails the payment stays
    /// recorded as `not_created` or `unsure`, and the error carries the buyer's message.
    pub async fn checkout(
        &self,
        product_id: &str,
        bank_code: Option<&str>,
        client_ip: Option<IpAddr>,
    ) -> Result<Checkout, CheckoutError> {
        let product = Product::find(product_id)
            .ok_or_else(|| CheckoutError::UnknownProduct(product_id.to_owned()))?;
        let bank = match bank_code.map(str::trim).filter(|c| !c.is_empty()) {
            None => BankCode::Pay123,
            Some(code) => {
                // The core's one rule for a bank code: a bank 123PAY added after the
                // specification passes (123PAY itself refuses a bank it does not have).
                let bank = BankCode::from_code(code);
                if !bank.is_well_formed() {
                    return Err(CheckoutError::UnknownBank(code.to_owned()));
                }
                bank
            }
        };
        if let Some(ip) = client_ip
            && !self.inner.checkouts.allow(ip, self.checkouts_per_minute)
        {
            tracing::warn!(%ip, "too many checkouts from this address");
            return Err(CheckoutError::TooMany);
        }
        let now = SystemTime::now();
        let m_transaction_id = new_transaction_id(now);
        let mut order = CreateOrder::builder(&m_transaction_id, product.price, self.return_url())
            .bank_code(bank.clone())
            .description(product.description());
        if let Some(addr) = client_ip {
            order = order.client_addr(addr);
        }
        // A value of the shop's own that breaks a rule (the public URL): its mistake, a 500.
        let order = order
            .build()
            .map_err(|e| CheckoutError::Payment(e.into()))?;
        let client_ipv4 = client_ip
            .and_then(pay123_core::client_ipv4)
            .map(|ip| ip.to_string());
        self.store()
            .insert(
                &NewOrder {
                    m_transaction_id: &m_transaction_id,
                    product_id: product.id,
                    product_name: product.name,
                    amount: product.price,
                    bank_code: bank.code(),
                    client_ip: client_ipv4.as_deref(),
                },
                now,
            )
            .await
            .map_err(|error| {
                tracing::error!(%m_transaction_id, %error, "could not record the order");
                CheckoutError::Store(error)
            })?;
        let created = self
            .payments
            .create(&order)
            .await
            .map_err(CheckoutError::Payment)?;
        Ok(Checkout {
            m_transaction_id,
            redirect_url: created.payment_url().to_owned(),
        })
    }

    /// The return page (`GET /return?transactionID=..&time=..&status=..&ticket=..`): the
    /// payment flow's ([`Payments::on_return`]: the ticket checked, an open payment confirmed
    /// with queryOrder), and the order as the shop shows it.
    pub async fn on_return(&self, query: &str) -> Result<ReturnView, StoreError> {
        let returned = self.payments.on_return(query).await?;
        let ticket = match &returned.ticket {
            ReturnCheck::Verified(t) => TicketCheck::Verified(t.status().clone()),
            ReturnCheck::Invalid { error, .. } => TicketCheck::Invalid(error.to_string()),
            _ => TicketCheck::Absent,
        };
        let order = match returned.m_transaction_id() {
            Some(id) => self.order(id).await?,
            None => None,
        };
        Ok(ReturnView {
            m_transaction_id: returned.m_transaction_id().map(str::to_owned),
            ticket,
            order,
            query_error: returned.query_error,
        })
    }

    /// The view of an order and its history.
    pub async fn order(&self, m_transaction_id: &str) -> Result<Option<OrderView>, StoreError> {
        let Some(order) = self.store().order(m_transaction_id).await? else {
            return Ok(None);
        };
        let history = self.store().history(m_transaction_id).await?;
        Ok(Some(OrderView::new(&order, &history)))
    }
}

/// Logs a store error with its causes, for a page that answers 500.
pub fn log_store_error(error: &StoreError) {
    tracing::error!(error = %ErrorChain(error), "store error");
}

/// A new `mTransactionID`: `SHOP`, the UTC time to the second, 12 random hex digits
/// (`SHOP20250102030405A1B2C3D4E5F6`, 30 characters).
fn new_transaction_id(now: SystemTime) -> String {
    let time = chrono::DateTime::<chrono::Utc>::from(now).format("%Y%m%d%H%M%S");
    let random: u64 = rand::rng().random::<u64>() & 0xFFFF_FFFF_FFFF;
    format!("SHOP{time}{random:012X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_unique_tokens() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_787_045);
        let a = new_transaction_id(now);
        let b = new_transaction_id(now);
        assert_ne!(a, b);
        assert_eq!(a.len(), 30);
        assert!(a.starts_with("SHOP20250102030405"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
