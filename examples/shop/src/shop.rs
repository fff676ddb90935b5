//! The shop service: checkout, the notify handler, the return page and order views.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pay123_core::reconcile::{Left, ReconcilePolicy, Settlement};
use pay123_core::{
    BankCode, Client, ClientError, CreateOrder, ErrorChain, HttpClient, Judgement,
    NOTIFY_WORK_BUDGET, Notify, NotifyOutcome, OrderStatus, QueryOrder, ResponseError, ReturnCheck,
    ReturnCode, ReturnTicket, TransactionStatus,
};
use rand::Rng;

use crate::catalog::{CATALOG, Product};
use crate::checkout_limit::{CHECKOUTS_PER_MINUTE, CheckoutLimit};
use crate::return_queries::{RETURN_QUERY_INTERVAL, ReturnQueries};
use crate::store::{Change, NewOrder, Order, OrderState, Source, Store, StoreError};
use crate::view::{OrderView, ReturnView, TicketCheck};

/// The path of the shop's return page, passed to 123PAY as redirect, cancel and error URL.
pub const RETURN_PATH: &str = "/return";

/// The path where each framework's shop mounts its adapter's notify listener.
pub const NOTIFY_PATH: &str = "/123pay/notify";

/// How long the shop waits for createOrder or queryOrder unless told otherwise: a buyer who
/// clicked "pay" waits at most this long. A createOrder that times out leaves its order
/// [`unsure`](OrderState::Unsure) for the reconciler, never "not created". A queryOrder made
/// while answering a notify waits at most the core's
/// [`NOTIFY_WORK_BUDGET`](pay123_core::NOTIFY_WORK_BUDGET): 123PAY is waiting for the reply.
pub const DEFAULT_GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// The demo shop over a 123PAY [`Client`] and a [`Store`]. Cloning is cheap (shared state).
pub struct Shop<C> {
    inner: Arc<Inner<C>>,
    gateway_timeout: Duration,
    return_query_interval: Duration,
    policy: ReconcilePolicy,
    checkouts_per_minute: u32,
}

struct Inner<C> {
    client: Client<C>,
    store: Store,
    public_url: String,
    return_queries: ReturnQueries,
    checkouts: CheckoutLimit,
}

impl<C> Clone for Shop<C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            gateway_timeout: self.gateway_timeout,
            return_query_interval: self.return_query_interval,
            policy: self.policy,
            checkouts_per_minute: self.checkouts_per_minute,
        }
    }
}

impl<C: HttpClient> fmt::Debug for Shop<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shop")
            .field("public_url", &self.inner.public_url)
            .field(
                "merchant_code",
                &self.inner.client.credentials().merchant_code(),
            )
            .field("store", &self.inner.store)
            .field("gateway_timeout", &self.gateway_timeout)
            .field("reconcile_policy", &self.policy)
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
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why createOrder did not create a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckoutFailure {
    /// 123PAY answered with an error code (`5000` busy, `7300` bank error, `6xxx`...).
    Gateway(ReturnCode),
    /// 123PAY did not answer in time; the payment may or may not exist at 123PAY, the buyer was
    /// not sent there.
    Timeout,
    /// 123PAY could not be reached (connect, TLS...).
    Transport,
    /// 123PAY's answer could not be used (HTTP status, malformed body, wrong checksum).
    InvalidResponse,
    /// The createOrder request could not be built from the order (a configuration error, such as
    /// a public URL that is not an absolute http(s) URL).
    InvalidRequest,
}

impl CheckoutFailure {
    /// The code stored with the order: 123PAY's return code, or `timeout`, `transport`,
    /// `invalid_response`, `invalid_request`.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::Gateway(code) => code.code(),
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::InvalidResponse => "invalid_response",
            Self::InvalidRequest => "invalid_request",
        }
    }

    /// The failure from a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Self {
        match code {
            "timeout" => Self::Timeout,
            "transport" => Self::Transport,
            "invalid_response" => Self::InvalidResponse,
            "invalid_request" => Self::InvalidRequest,
            other => Self::Gateway(ReturnCode::from_code(other)),
        }
    }

    /// For buyers, in Vietnamese (123PAY's own text for its codes).
    #[must_use]
    pub fn vietnamese(&self) -> &'static str {
        match self {
            Self::Gateway(code) => code.vietnamese(),
            Self::Timeout => "123PAY không trả lời kịp thời",
            Self::Transport => "Không kết nối được với 123PAY",
            Self::InvalidResponse => "Phản hồi của 123PAY không hợp lệ",
            Self::InvalidRequest => "Thông tin đơn hàng không hợp lệ",
        }
    }

    /// In English.
    #[must_use]
    pub fn english(&self) -> &'static str {
        match self {
            Self::Gateway(code) => code.english(),
            Self::Timeout => "123PAY did not answer in time",
            Self::Transport => "could not reach 123PAY",
            Self::InvalidResponse => "123PAY's answer could not be used",
            Self::InvalidRequest => "the order could not be sent to 123PAY",
        }
    }

    /// Trying again later may work (`5000`, `7300`, timeout, transport).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Gateway(code) => code.is_retryable(),
            Self::Timeout | Self::Transport => true,
            Self::InvalidResponse | Self::InvalidRequest => false,
        }
    }

    /// The buyer's message in Vietnamese: what happened, the code, what to do.
    #[must_use]
    pub fn buyer_vietnamese(&self) -> String {
        self.buyer_messages().0
    }

    /// The buyer's message in English.
    #[must_use]
    pub fn buyer_english(&self) -> String {
        self.buyer_messages().1
    }

    /// The buyer's message in Vietnamese and in English.
    fn buyer_messages(&self) -> (String, String) {
        let code = self.code();
        let (retry_vi, retry_en) = if self.is_retryable() {
            (
                "Vui lòng thử lại sau ít phút.",
                "Please try again in a few minutes.",
            )
        } else {
            ("Vui lòng liên hệ cửa hàng.", "Please contact the shop.")
        };
        (
            format!(
                "{} (mã {code}). Đơn hàng đã được lưu nhưng chưa thể thanh toán. {retry_vi}",
                self.vietnamese()
            ),
            format!(
                "{} (code {code}). The order is saved but cannot be paid now. {retry_en}",
                capitalize(self.english())
            ),
        )
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
    /// The order is recorded as [`OrderState::NotCreated`] with the failure: 123PAY surely has
    /// no payment for it.
    #[error("payment for order {m_transaction_id} not created: {} ({detail})", failure.english())]
    NotCreated {
        /// The order's `mTransactionID`.
        m_transaction_id: String,
        /// What went wrong.
        failure: CheckoutFailure,
        /// The technical detail (English; no secret).
        detail: String,
    },
    /// createOrder gave no usable answer (a timeout, a connection lost): 123PAY may have
    /// created the payment. The order is recorded as [`OrderState::Unsure`] and the reconciler
    /// settles it; the buyer was not sent to pay.
    #[error("payment for order {m_transaction_id} unsure: {} ({detail})", failure.english())]
    Unsure {
        /// The order's `mTransactionID`.
        m_transaction_id: String,
        /// What went wrong.
        failure: CheckoutFailure,
        /// The technical detail (English; no secret).
        detail: String,
    },
}

impl CheckoutError {
    /// The recorded order, if one was recorded.
    #[must_use]
    pub fn m_transaction_id(&self) -> Option<&str> {
        match self {
            Self::NotCreated {
                m_transaction_id, ..
            }
            | Self::Unsure {
                m_transaction_id, ..
            } => Some(m_transaction_id),
            _ => None,
        }
    }

    /// The failure of createOrder, if it was called.
    #[must_use]
    pub fn failure(&self) -> Option<&CheckoutFailure> {
        match self {
            Self::NotCreated { failure, .. } | Self::Unsure { failure, .. } => Some(failure),
            _ => None,
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
            Self::NotCreated { failure, .. } => failure.buyer_messages(),
            Self::Unsure { failure, .. } => unsure_messages(failure),
        }
    }

    /// The HTTP status a page for this error answers with.
    #[must_use]
    pub fn status_code(&self) -> http::StatusCode {
        match self {
            Self::UnknownProduct(_) => http::StatusCode::NOT_FOUND,
            Self::UnknownBank(_) => http::StatusCode::BAD_REQUEST,
            Self::TooMany => http::StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_)
            | Self::NotCreated {
                failure: CheckoutFailure::InvalidRequest,
                ..
            } => http::StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotCreated {
                failure: CheckoutFailure::Timeout,
                ..
            }
            | Self::Unsure {
                failure: CheckoutFailure::Timeout,
                ..
            } => http::StatusCode::GATEWAY_TIMEOUT,
            Self::NotCreated { .. } | Self::Unsure { .. } => http::StatusCode::BAD_GATEWAY,
        }
    }
}

/// What a buyer is told when 123PAY may have created the payment: the truth, and not to pay
/// again.
fn unsure_messages(failure: &CheckoutFailure) -> (String, String) {
    let code = failure.code();
    (
        format!(
            "{} (mã {code}). Đơn hàng đã được lưu; cửa hàng đang xác minh với 123PAY xem giao dịch \
             đã được tạo hay chưa. Quý khách chưa bị trừ tiền; vui lòng không đặt lại đơn này và \
             xem trạng thái đơn hàng sau ít phút.",
            failure.vietnamese()
        ),
        format!(
            "{} (code {code}). The order is saved; the shop is checking with 123PAY whether the \
             payment was created. You have not been charged; please do not order again, and check \
             the order's status in a few minutes.",
            capitalize(failure.english())
        ),
    )
}

/// A createOrder that did not create a payment, and what 123PAY may have.
struct CreateFailure {
    failure: CheckoutFailure,
    detail: String,
    /// `Some`: 123PAY may have created the payment.
    left: Option<Left>,
}

/// The result of asking 123PAY about an order and applying the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Confirmed {
    /// The order changed to this state now.
    Changed(OrderState),
    /// 123PAY says pending; a new pending status was recorded (`true`) or not.
    Pending(bool),
    /// The order was already final: nothing changed.
    AlreadyFinal,
    /// queryOrder failed (detail for the logs).
    QueryFailed(String),
    /// 123PAY does not know the payment (`-10`) while its session may still be running:
    /// nothing changed; ask again after this time.
    NotYetKnown(SystemTime),
}

impl Confirmed {
    /// What a notify that asked is answered: `1` when the order changed, `2` when it was final
    /// already, `-3` when 123PAY could not confirm (so that it sends the notify again).
    fn outcome(&self, id: &str) -> NotifyOutcome {
        match self {
            Self::Changed(state) if state.is_final() => NotifyOutcome::Updated,
            Self::AlreadyFinal => NotifyOutcome::AlreadyUpdated,
            Self::Changed(_) | Self::Pending(_) | Self::NotYetKnown(_) => {
                tracing::warn!(
                    m_transaction_id = id,
                    "the notify says final but queryOrder says pending; asking 123PAY to retry"
                );
                NotifyOutcome::Failed
            }
            Self::QueryFailed(detail) => {
                tracing::warn!(m_transaction_id = id, %detail, "could not confirm a notify with queryOrder");
                NotifyOutcome::Failed
            }
        }
    }
}

impl<C: HttpClient> Shop<C> {
    /// A shop over a 123PAY client and a store, reachable by buyers at `public_url`
    /// (`http://127.0.0.1:3000`; a trailing `/` is dropped).
    pub fn new(client: Client<C>, store: Store, public_url: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                store,
                public_url: public_url.trim_end_matches('/').to_owned(),
                return_queries: ReturnQueries::new(),
                checkouts: CheckoutLimit::default(),
            }),
            gateway_timeout: DEFAULT_GATEWAY_TIMEOUT,
            return_query_interval: RETURN_QUERY_INTERVAL,
            policy: ReconcilePolicy::default(),
            checkouts_per_minute: CHECKOUTS_PER_MINUTE,
        }
    }

    /// Lets one address check out at most `per_minute` times a minute
    /// ([`CHECKOUTS_PER_MINUTE`](crate::CHECKOUTS_PER_MINUTE) by default; 0: no limit). Behind a
    /// reverse proxy, pass the buyer's address (from the proxy's `X-Forwarded-For`) to
    /// [`checkout`](Self::checkout), or every buyer shares the proxy's allowance.
    #[must_use]
    pub fn with_checkouts_per_minute(mut self, per_minute: u32) -> Self {
        self.checkouts_per_minute = per_minute;
        self
    }

    /// When the reconciler asks 123PAY about open orders, and when 123PAY's "no such
    /// transaction" closes one (the session timeout): see [`ReconcilePolicy`]. Its
    /// `first_check` must be longer than the [gateway timeout](Self::with_gateway_timeout), so
    /// that no order is asked about while its createOrder may be under way.
    #[must_use]
    pub fn with_reconcile_policy(mut self, policy: ReconcilePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The reconciler's policy.
    #[must_use]
    pub fn reconcile_policy(&self) -> &ReconcilePolicy {
        &self.policy
    }

    /// The gateway timeout.
    #[must_use]
    pub fn gateway_timeout(&self) -> Duration {
        self.gateway_timeout
    }

    /// Lets the return page ask 123PAY about an order at most once per `interval`
    /// ([`RETURN_QUERY_INTERVAL`](crate::RETURN_QUERY_INTERVAL) by default). Whatever the
    /// interval, one query per order is under way at a time, and
    /// [`RETURN_QUERY_CONCURRENCY`](crate::RETURN_QUERY_CONCURRENCY) for all orders.
    #[must_use]
    pub fn with_return_query_interval(mut self, interval: Duration) -> Self {
        self.return_query_interval = interval;
        self
    }

    /// Gives up on createOrder and queryOrder after `timeout` (a transport's own timeout may be
    /// shorter).
    #[must_use]
    pub fn with_gateway_timeout(mut self, timeout: Duration) -> Self {
        self.gateway_timeout = timeout;
        self
    }

    /// The 123PAY client.
    #[must_use]
    pub fn client(&self) -> &Client<C> {
        &self.inner.client
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

    /// Buys one product: records the order (state `creating`), calls createOrder with
    /// `{public_url}/return` as redirect, cancel and error URL, and stores 123PAY's transaction
    /// id and page (state `pending`). `bank_code` is `None`, empty or `123PAY` to let the buyer
    /// choose at 123PAY. When createOrder fails the order stays recorded as `not_created` with
    /// the error, and the error carries the buyer's message.
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
                let bank = BankCode::from_code(code);
                if !bank.is_known() {
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
        let client_ipv4 = client_ip
            .and_then(pay123_core::client_ipv4)
            .map(|ip| ip.to_string());
        let now = SystemTime::now();
        let m_transaction_id = new_transaction_id(now);
        let store = self.store();
        store
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
                // If this process stops before createOrder answers, the reconciler finds out.
                self.policy.first_check(now),
            )
            .await
            .map_err(|error| {
                tracing::error!(%m_transaction_id, %error, "could not record the order");
                CheckoutError::Store(error)
            })?;

        let result = match self.create_order_request(&m_transaction_id, product, bank, client_ip) {
            Ok(request) => self.create_order(&request).await,
            Err(detail) => Err(CreateFailure {
                failure: CheckoutFailure::InvalidRequest,
                detail,
                left: None,
            }),
        };
        match result {
            Ok(created) => {
                let mut change = Change::new(
                    &[OrderState::Creating],
                    OrderState::Pending,
                    Source::CreateOrder,
                );
                change.pay123_transaction_id = Some(created.pay123_transaction_id());
                change.redirect_url = Some(created.redirect_url());
                match store
                    .apply(&m_transaction_id, &change, SystemTime::now())
                    .await
                {
                    Ok(true) => {}
                    // Only a notify can move a `creating` order (the return page leaves it
                    // alone); its change stands.
                    Ok(false) => tracing::warn!(
                        %m_transaction_id,
                        "the order left `creating` before createOrder answered"
                    ),
                    // 123PAY has the payment and the order is recorded: the buyer can still pay,
                    // and the notify or the return page will settle the order.
                    Err(e) => tracing::error!(
                        %m_transaction_id,
                        error = %e,
                        "could not store createOrder's answer"
                    ),
                }
                tracing::info!(
                    %m_transaction_id,
                    pay123_transaction_id = %created.pay123_transaction_id(),
                    amount = product.price,
                    "payment created"
                );
                Ok(Checkout {
                    m_transaction_id,
                    redirect_url: created.redirect_url().to_owned(),
                })
            }
            Err(CreateFailure {
                failure,
                detail,
                left,
            }) => {
                // 123PAY may have the payment: the reconciler settles the order; until then the
                // buyer is told the truth and is not sent to pay.
                let unsure = left.is_some();
                let state = if unsure {
                    OrderState::Unsure
                } else {
                    OrderState::NotCreated
                };
                tracing::warn!(
                    %m_transaction_id,
                    code = failure.code(),
                    state = state.as_str(),
                    %detail,
                    "createOrder failed"
                );
                let mut change = Change::new(&[OrderState::Creating], state, Source::CreateOrder);
                change.error_code = Some(failure.code());
                change.error_message = Some(&detail);
                let note = if unsure {
                    format!(
                        "{}; 123PAY may have created the payment: the reconciler will ask",
                        failure.english()
                    )
                } else {
                    failure.english().to_owned()
                };
                change.note = Some(&note);
                if let Err(e) = store
                    .apply(&m_transaction_id, &change, SystemTime::now())
                    .await
                {
                    tracing::error!(%m_transaction_id, error = %e, "could not store createOrder's failure");
                }
                Err(if unsure {
                    CheckoutError::Unsure {
                        m_transaction_id,
                        failure,
                        detail,
                    }
                } else {
                    CheckoutError::NotCreated {
                        m_transaction_id,
                        failure,
                        detail,
                    }
                })
            }
        }
    }

    fn create_order_request(
        &self,
        m_transaction_id: &str,
        product: &Product,
        bank: BankCode,
        client_ip: Option<IpAddr>,
    ) -> Result<CreateOrder, String> {
        let mut builder = CreateOrder::builder(m_transaction_id, product.price, self.return_url())
            .bank_code(bank)
            .description(product.description());
        if let Some(addr) = client_ip {
            builder = builder.client_addr(addr);
        }
        builder.build().map_err(|e| e.to_string())
    }

    async fn create_order(
        &self,
        request: &CreateOrder,
    ) -> Result<pay123_core::CreatedOrder, CreateFailure> {
        // The transport is asked to give up at the limit; the timer covers one that does not.
        let call = self
            .client()
            .create_order_within(request, self.gateway_timeout);
        match tokio::time::timeout(self.gateway_timeout, call).await {
            Err(_) => Err(CreateFailure {
                failure: CheckoutFailure::Timeout,
                detail: format!("no answer within {} ms", self.gateway_timeout.as_millis()),
                left: Some(Left::Unsure),
            }),
            Ok(Ok(created)) => Ok(created),
            Ok(Err(e)) => Err(CreateFailure {
                failure: failure_of(&e),
                detail: ErrorChain(&e).to_string(),
                left: Left::after_failed_create_order(&e),
            }),
        }
    }

    pub(crate) async fn query_order(
        &self,
        m_transaction_id: &str,
        source: Source,
    ) -> Result<OrderStatus, String> {
        let query = QueryOrder::new(m_transaction_id).map_err(|e| e.to_string())?;
        let limit = match source {
            Source::Notify => self.gateway_timeout.min(NOTIFY_WORK_BUDGET),
            _ => self.gateway_timeout,
        };
        // The transport is asked to give up at the limit; the timer covers one that does not.
        let call = self.client().query_order_within(&query, limit);
        match tokio::time::timeout(limit, call).await {
            Err(_) => Err(format!(
                "queryOrder: no answer within {} ms",
                limit.as_millis()
            )),
            Ok(result) => result.map_err(|e| format!("queryOrder: {}", ErrorChain(&e))),
        }
    }

    /// The merchant's notify handler, in the core's handler shape (a framework adapter calls
    /// it with each verified notify; a store error is returned, logged by the core with the
    /// order, and answered `-3` so that 123PAY retries). queryOrder is the authority:
    ///
    /// - unknown `mTransactionID`: [`NotifyOutcome::Failed`] (`-3`): no order was updated, so
    ///   the shop does not acknowledge it; 123PAY retries a few times and its records show the
    ///   notify as not processed, which is what an operator reconciling wants to see;
    /// - a pending status (0, 10, 11, 20, unknown) on an open order: recorded, never cancels it
    ///   (`1`, or `2` when that status was already recorded);
    /// - a final status (1 or a failure) on an open order: a queryOrder confirms it, whatever
    ///   it is, and its answer is applied with [`OrderStatus::judge`]: paid only on status 1
    ///   with the order's amount, a mismatch held for review. If queryOrder fails or still says
    ///   pending: `-3`, so that 123PAY sends the notify again;
    /// - an order already in the notified state (paid and `1`, failed and a failure), held for
    ///   review, or a pending status on a final order: `2`, nothing changes;
    /// - a final status that contradicts a final order (`1` on a failed order, a failure on a
    ///   paid one): a queryOrder decides. A paid order never becomes failed; a payment 123PAY
    ///   confirms on a failed order puts it on review with the reason in its history (`1`). If
    ///   queryOrder fails: `-3`, never `2` unseen.
    ///
    /// Concurrent notifies for one order change it once: the others answer `2`.
    pub async fn on_notify(&self, notify: Notify) -> Result<NotifyOutcome, StoreError> {
        let outcome = self.handle_notify(&notify).await?;
        tracing::info!(
            m_transaction_id = notify.m_transaction_id(),
            status = notify.status().code(),
            bank_code = notify.bank_code().code(),
            ?outcome,
            "notify handled"
        );
        Ok(outcome)
    }

    async fn handle_notify(&self, notify: &Notify) -> Result<NotifyOutcome, StoreError> {
        let id = notify.m_transaction_id();
        let Some(order) = self.store().order(id).await? else {
            tracing::warn!(m_transaction_id = id, "notify for an unknown order");
            return Ok(NotifyOutcome::Failed);
        };
        let status = notify.status();
        if order.state.is_final() {
            return self.notify_on_final(&order, status).await;
        }
        if status.is_pending() {
            let bank = non_empty(notify.bank_code().code());
            let recorded = self
                .store()
                .record_pending(id, status.code(), bank, Source::Notify, SystemTime::now())
                .await?;
            return Ok(if recorded {
                NotifyOutcome::Updated
            } else {
                NotifyOutcome::AlreadyUpdated
            });
        }
        // A final status, success or failure: 123PAY's queryOrder decides.
        let confirmed = self.confirm(&order, Source::Notify).await?;
        Ok(confirmed.outcome(id))
    }

    /// A notify for an order that is already final.
    async fn notify_on_final(
        &self,
        order: &Order,
        status: &TransactionStatus,
    ) -> Result<NotifyOutcome, StoreError> {
        let id = order.m_transaction_id.as_str();
        let agrees = (order.state == OrderState::Paid && status.is_success())
            || (matches!(order.state, OrderState::Failed | OrderState::Closed)
                && status.is_failure());
        if status.is_pending() || agrees || order.state == OrderState::Review {
            return Ok(NotifyOutcome::AlreadyUpdated);
        }
        tracing::warn!(
            m_transaction_id = id,
            state = order.state.as_str(),
            status = status.code(),
            "a notify contradicts a final order; asking 123PAY"
        );
        let answer = match self.query_order(id, Source::Notify).await {
            Ok(answer) => answer,
            Err(detail) => {
                tracing::warn!(m_transaction_id = id, %detail, "could not check a contradicting notify");
                return Ok(NotifyOutcome::Failed);
            }
        };
        let judged = answer.judge(order.amount, order.pay123_transaction_id.as_deref());
        let now = SystemTime::now();
        match (order.state, judged) {
            // A payment 123PAY confirms on an order the shop had marked failed: never paid
            // automatically, never ignored.
            (
                state @ (OrderState::Failed | OrderState::Closed),
                Judgement::Paid | Judgement::Review(_),
            ) => {
                let note = format!(
                    "123PAY confirms a payment (status 1, totalAmount {}, opAmount {}) for an \
                     order marked {}: check it, then ship or refund",
                    answer.total_amount(),
                    answer.op_amount(),
                    state.as_str()
                );
                tracing::error!(m_transaction_id = id, %note, "payment held for review");
                let mut change = Change::new(
                    &[OrderState::Failed, OrderState::Closed],
                    OrderState::Review,
                    Source::Notify,
                );
                change.transaction_status = Some(answer.status().code());
                change.op_amount = answer.op_amount_vnd();
                change.error_code = Some("paid_after_failure");
                change.error_message = Some(&note);
                change.note = Some(&note);
                Ok(if self.store().apply(id, &change, now).await? {
                    NotifyOutcome::Updated
                } else {
                    NotifyOutcome::AlreadyUpdated
                })
            }
            // A paid order never becomes failed: what 123PAY says is kept in its history.
            (OrderState::Paid, judged) if judged != Judgement::Paid => {
                let note = format!(
                    "a notify said {} and queryOrder says {} for this paid order; it stays paid",
                    status.code(),
                    answer.status().code()
                );
                tracing::error!(m_transaction_id = id, %note, "check this payment");
                self.store().note(id, &note, Source::Notify, now).await?;
                Ok(NotifyOutcome::AlreadyUpdated)
            }
            _ => Ok(NotifyOutcome::AlreadyUpdated),
        }
    }

    /// Asks 123PAY about an open order (queryOrder) and applies the answer
    /// ([`apply_answer`](Self::apply_answer)).
    async fn confirm(&self, order: &Order, source: Source) -> Result<Confirmed, StoreError> {
        let id = order.m_transaction_id.as_str();
        match self.query_order(id, source).await {
            Ok(answer) => {
                self.apply_answer(order, &answer, source, SystemTime::now())
                    .await
            }
            Err(detail) => Ok(Confirmed::QueryFailed(detail)),
        }
    }

    /// Applies 123PAY's answer about an open order, the one rule for a notify's confirmation,
    /// the return page and the reconciler: [`ReconcilePolicy::settle`], so paid only on status
    /// 1 with the order's amount (and transaction), a mismatch held for review, a failure
    /// failed, a pending status recorded (and an order 123PAY turns out to know, `creating` or
    /// `unsure`, made `pending`), and "no such transaction" (`-10`) closes the order only once
    /// the buyer's session is over. Every change is conditional on the order being open: of
    /// two answers applied at once, one changes the order.
    pub(crate) async fn apply_answer(
        &self,
        order: &Order,
        answer: &OrderStatus,
        source: Source,
        now: SystemTime,
    ) -> Result<Confirmed, StoreError> {
        let id = order.m_transaction_id.as_str();
        let code = answer.status().code();
        let bank = non_empty(answer.bank_code().code());
        let settlement = self.policy.settle(
            order.created_at,
            answer,
            order.amount,
            order.pay123_transaction_id.as_deref(),
            now,
        );
        let (state, error_code, note) = match settlement {
            Settlement::NotYetKnown { ask_after } => return Ok(Confirmed::NotYetKnown(ask_after)),
            Settlement::NeverCreated => (
                OrderState::Closed,
                Some("never_created"),
                format!(
                    "queryOrder: status {code}: 123PAY has no such payment and the buyer's \
                     session is over; closed, nothing was charged"
                ),
            ),
            Settlement::Judged(Judgement::Pending) => {
                if matches!(order.state, OrderState::Creating | OrderState::Unsure) {
                    // createOrder's answer was lost, but 123PAY has the payment.
                    let note = format!("queryOrder: 123PAY has the payment, status {code}");
                    let mut change = Change::new(
                        &[OrderState::Creating, OrderState::Unsure],
                        OrderState::Pending,
                        source,
                    );
                    change.transaction_status = Some(code);
                    change.paid_bank_code = bank;
                    change.pay123_transaction_id = non_empty(answer.pay123_transaction_id());
                    change.note = Some(&note);
                    if self.store().apply(id, &change, now).await? {
                        return Ok(Confirmed::Changed(OrderState::Pending));
                    }
                }
                let recorded = self
                    .store()
                    .record_pending(id, code, bank, source, now)
                    .await?;
                return Ok(Confirmed::Pending(recorded));
            }
            Settlement::Judged(Judgement::Paid) => (
                OrderState::Paid,
                None,
                format!(
                    "queryOrder: status 1, totalAmount {}, opAmount {}",
                    answer.total_amount(),
                    answer.op_amount()
                ),
            ),
            Settlement::Judged(Judgement::Review(mismatch)) => {
                let reason = mismatch.to_string();
                tracing::error!(m_transaction_id = id, %reason, "payment held for review");
                (OrderState::Review, Some(mismatch.code()), reason)
            }
            Settlement::Judged(Judgement::Failed) => (
                OrderState::Failed,
                None,
                format!("queryOrder: status {code}: {}", answer.status().english()),
            ),
            // A settlement a newer core adds: change nothing, ask again later.
            _ => return Ok(Confirmed::Pending(false)),
        };
        let mut change = Change::new(OrderState::OPEN, state, source);
        change.transaction_status = Some(code);
        change.paid_bank_code = bank;
        change.op_amount = answer.op_amount_vnd();
        change.note = Some(&note);
        if state == OrderState::Paid {
            change.pay123_transaction_id = non_empty(answer.pay123_transaction_id());
        }
        if let Some(error) = error_code {
            change.error_code = Some(error);
            change.error_message = Some(&note);
        }
        Ok(if self.store().apply(id, &change, now).await? {
            Confirmed::Changed(state)
        } else {
            Confirmed::AlreadyFinal
        })
    }

    /// The return page (`GET /return?transactionID=..&time=..&status=..&ticket=..`).
    ///
    /// The ticket is verified when present; either way the status on the URL is only a hint.
    /// The order is found by the ticket's `transactionID` (or, when the ticket is missing,
    /// wrong or expired, by the claimed one: only the store and 123PAY are believed). If the
    /// order is `pending` (or `unsure`), a queryOrder is made (spec step 9) and applied with the
    /// notify's rule (paid only on status 1 with the right amount), unless one for the order is under way or
    /// was made less than [`with_return_query_interval`](Self::with_return_query_interval) ago,
    /// or too many are under way: then the order is shown as stored. Any other order is shown
    /// as stored: a
    /// final one has nothing to ask, a `not_created` one does not exist at 123PAY, and a
    /// `creating` one is still waiting for createOrder's answer (123PAY would answer "not
    /// found", `-10`, a final failure, while the buyer is about to be sent to pay); its page
    /// asks the buyer to reload.
    pub async fn on_return(&self, query: &str) -> Result<ReturnView, StoreError> {
        // No ticket at all, such as a bare `?transactionID=..` (the order page's "check again"),
        // is not an attack; a ticket that does not verify, or comes without its fields, is.
        let key = self.client().credentials().secret_key();
        let check = ReturnTicket::check(query, key, SystemTime::now());
        let ticket = match &check {
            ReturnCheck::Verified(t) => TicketCheck::Verified(t.status().clone()),
            ReturnCheck::Invalid { error, .. } => TicketCheck::Invalid(error.to_string()),
            _ => TicketCheck::Absent,
        };
        let mut view = ReturnView {
            m_transaction_id: check.m_transaction_id().map(str::to_owned),
            ticket,
            order: None,
            query_error: None,
        };
        let Some(id) = view.m_transaction_id.clone() else {
            return Ok(view);
        };
        let Some(order) = self.store().order(&id).await? else {
            return Ok(view);
        };
        if matches!(order.state, OrderState::Pending | OrderState::Unsure) {
            let verified = matches!(check, ReturnCheck::Verified(_));
            match self
                .inner
                .return_queries
                .turn(&id, self.return_query_interval, verified)
            {
                Ok(_turn) => {
                    if let Confirmed::QueryFailed(detail) =
                        self.confirm(&order, Source::Return).await?
                    {
                        tracing::warn!(m_transaction_id = %id, %detail, "queryOrder failed on return");
                        view.query_error = Some(detail);
                    }
                }
                Err(skipped) => {
                    tracing::debug!(m_transaction_id = %id, ?skipped, "return page shown without asking 123PAY");
                }
            }
        }
        view.order = self.order(&id).await?;
        Ok(view)
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

fn failure_of(error: &ClientError) -> CheckoutFailure {
    match error {
        ClientError::Transport { .. } if error.is_timeout() => CheckoutFailure::Timeout,
        ClientError::Transport { .. } => CheckoutFailure::Transport,
        ClientError::Response(ResponseError::Gateway { code, .. }) => {
            CheckoutFailure::Gateway(code.clone())
        }
        _ => CheckoutFailure::InvalidResponse,
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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

    #[test]
    fn failures_round_trip_and_speak_both_languages() {
        for f in [
            CheckoutFailure::Gateway(ReturnCode::Busy),
            CheckoutFailure::Gateway(ReturnCode::BankCommunication),
            CheckoutFailure::Gateway(ReturnCode::AuthenticationFailed),
            CheckoutFailure::Timeout,
            CheckoutFailure::Transport,
            CheckoutFailure::InvalidResponse,
            CheckoutFailure::InvalidRequest,
        ] {
            assert_eq!(CheckoutFailure::from_code(f.code()), f);
        }
        let busy = CheckoutFailure::Gateway(ReturnCode::Busy);
        assert!(
            busy.buyer_vietnamese()
                .starts_with("Hệ thống bận (mã 5000)")
        );
        assert!(busy.buyer_english().starts_with("System busy (code 5000)"));
        assert!(busy.buyer_english().contains("try again"));
        assert!(!CheckoutFailure::Gateway(ReturnCode::AuthenticationFailed).is_retryable());
    }
}
