//! The safe payment flow as one piece: record and create a payment, confirm every notify with
//! queryOrder before the payment changes, settle the return page, and find with a reconciler
//! what no notify told. The merchant gives a [`PaymentStore`] (their database) and stores
//! nothing by hand.
//!
//! ```text
//! checkout     Payments::create(&order)     records it (creating), createOrder, stores 123PAY's
//!                                           answer (pending), or why not (not_created, unsure)
//! notify       Payments::serve_notify(..)   verified by the listener, confirmed with queryOrder
//!                                           (status, amount, the final-payment rule), stored
//!                                           once, answered 1 / 2 / -3
//! return page  Payments::on_return(query)   the ticket checked, an open payment confirmed
//! reconciler   Payments::reconciler().run() asks 123PAY about the payments left open
//! paid         Payments::on_paid(handler)   hands each payment saved paid to the app (at
//!                                           least once: again by the reconciler if it fails)
//! ```
//!
//! The rules, the same for the notify, the return page and the reconciler:
//!
//! - A payment is paid only when a queryOrder says status `1` with the payment's amount and the
//!   123PAY transaction createOrder returned (without one, the payment is held for `review`). A
//!   mismatch is held for `review`.
//! - A notify is a hint: a final status, success or failure, is confirmed with queryOrder before
//!   the payment changes; a pending status (`0`, `10`, `11`, `20`, unknown codes) is recorded and
//!   never cancels a payment.
//! - A notify on a final payment that agrees answers `2`; one that contradicts makes the flow ask
//!   123PAY: a paid payment never becomes failed, a payment 123PAY confirms on a failed one is
//!   held for review.
//! - A queryOrder that fails or takes too long, a store that fails, a payment not known yet:
//!   the notify is answered `-3` (123PAY sends it again) and nothing changes.
//! - Every change is saved only if the payment was not changed meanwhile
//!   ([`PaymentStore::update`]); notifies for one payment are confirmed one at a time on an
//!   instance, and copies within [`NOTIFY_QUERY_INTERVAL`] of a query ask nothing, so a thousand
//!   duplicates cost a few queryOrders.
//!
//! The core still does no IO of its own: the calls go through the [`Client`]'s transport, the
//! payments through the [`PaymentStore`], and time through the [`Timer`] and the
//! `Clock` of [`crate::clock`].

mod flow;
mod handover;
mod limits;
mod message;
mod reconciler;
mod record;
mod rule;
mod store;
mod timer;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use flow::{FoundBy, NOTIFY_QUERY_INTERVAL, Returned};
pub use handover::{HAND_OVER_RETRY, HAND_OVER_RETRY_MAX, HAND_OVER_TIMEOUT};
pub use limits::{RETURN_QUERY_CONCURRENCY, RETURN_QUERY_INTERVAL};
pub use reconciler::{ReconcileReport, Reconciler, ReconcilerSettings};
pub use record::{Payment, PaymentState, Source};
pub use store::{NotCreated, PaymentStore, StoreError};
pub use timer::Timer;

use crate::client::Client;
use crate::clock::{Clock, SystemClock};
use crate::listener::{NOTIFY_WORK_BUDGET, NotifyListener};
use crate::merchant::reconcile::ReconcilePolicy;

use handover::PaidHandler;
use limits::{OrderLocks, ReturnQueries};

/// How long a buyer waits for createOrder, and the return page and the reconciler for
/// queryOrder, unless set otherwise ([`Payments::with_gateway_timeout`]). A queryOrder made
/// while answering a notify waits at most [`NOTIFY_WORK_BUDGET`].
pub const DEFAULT_GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// The payment flow over a 123PAY [`Client`] and the merchant's [`PaymentStore`]. Cloning is
/// cheap; clones share the client, the store and the locks.
///
/// ```
/// use std::time::Duration;
/// use pay123_core::payments::{PaymentState, Payments};
/// use pay123_core::test_util::{FakeGateway, MemoryStore};
/// use pay123_core::{CreateOrder, Credentials};
///
/// # futures_executor::block_on(async {
/// let gateway = FakeGateway::new(Credentials::sandbox()); // in tests; pay123-hyper's client for real
/// let sleep = |_: Duration| std::future::pending::<()>(); // tokio::time::sleep in an app
/// let payments = Payments::new(gateway.client(), MemoryStore::default(), sleep);
///
/// let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return").build()?;
/// let created = payments.create(&order).await?; // recorded, created, stored
/// println!("send the buyer to {}", created.payment_url());
/// let payment = payments.load("ORDER-1").await?.unwrap();
/// assert_eq!(payment.state, PaymentState::Pending);
/// # Ok::<(), pay123_core::Error>(())
/// # }).unwrap();
/// ```
pub struct Payments<C, S> {
    inner: Arc<Inner<C, S>>,
    config: Config,
}

struct Inner<C, S> {
    client: Client<C>,
    store: S,
    timer: Box<dyn Timer>,
    locks: OrderLocks,
    returns: ReturnQueries,
}

#[derive(Clone)]
struct Config {
    listener: NotifyListener,
    clock: Arc<dyn Clock>,
    policy: ReconcilePolicy,
    gateway_timeout: Duration,
    notify_budget: Duration,
    return_query_interval: Duration,
    on_paid: Option<PaidHandler>,
}

impl<C, S> Clone for Payments<C, S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            config: self.config.clone(),
        }
    }
}

impl<C, S> fmt::Debug for Payments<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payments")
            .field(
                "merchant_code",
                &self.inner.client.credentials().merchant_code(),
            )
            .field("endpoints", self.inner.client.endpoints())
            .field("listener", &self.config.listener)
            .field("policy", &self.config.policy)
            .field("gateway_timeout", &self.config.gateway_timeout)
            .field("notify_budget", &self.config.notify_budget)
            .field("on_paid", &self.config.on_paid.is_some())
            .finish_non_exhaustive()
    }
}

impl<C, S> Payments<C, S> {
    /// The flow over `client`, `store`, and the runtime's `timer` (`tokio::time::sleep`), which
    /// bounds every call to 123PAY whether or not the transport honours its deadline, and paces
    /// the reconciler. The notify listener takes the client's secret key.
    pub fn new(client: Client<C>, store: S, timer: impl Timer) -> Self {
        let listener = client.notify_listener();
        Self {
            inner: Arc::new(Inner {
                client,
                store,
                timer: Box::new(timer),
                locks: OrderLocks::default(),
                returns: ReturnQueries::default(),
            }),
            config: Config {
                listener,
                clock: Arc::new(SystemClock),
                policy: ReconcilePolicy::default(),
                gateway_timeout: DEFAULT_GATEWAY_TIMEOUT,
                notify_budget: NOTIFY_WORK_BUDGET,
                return_query_interval: RETURN_QUERY_INTERVAL,
                on_paid: None,
            },
        }
    }

    setters! {
        /// Gives up on createOrder and on the return page's and the reconciler's queryOrders
        /// after `timeout` ([`DEFAULT_GATEWAY_TIMEOUT`] by default): a buyer is waiting.
        #[must_use]
        with_gateway_timeout(timeout: Duration) => config.gateway_timeout;
        /// Gives up on a notify's confirmation after `budget` ([`NOTIFY_WORK_BUDGET`] by
        /// default) and answers `-3`: 123PAY waits about 10 seconds for the reply.
        #[must_use]
        with_notify_budget(budget: Duration) => config.notify_budget;
        /// When the reconciler asks 123PAY about open payments, and when 123PAY's "no such
        /// transaction" closes one: see [`ReconcilePolicy`]. Its `first_check` must be longer
        /// than the [gateway timeout](Self::with_gateway_timeout), so that no payment is asked
        /// about while its createOrder may be under way. Give every instance the same policy.
        #[must_use]
        with_reconcile_policy(policy: ReconcilePolicy) => config.policy;
        /// Lets the return page ask 123PAY about a payment at most once per `interval`
        /// ([`RETURN_QUERY_INTERVAL`] by default). Whatever the interval, one query per payment
        /// is under way at a time, and [`RETURN_QUERY_CONCURRENCY`] for all payments. (Copies of
        /// a notify are coalesced over [`NOTIFY_QUERY_INTERVAL`].)
        #[must_use]
        with_return_query_interval(interval: Duration) => config.return_query_interval;
    }

    /// Reads the time from `clock` (tests fix it; the default is the system clock), for the
    /// flow and its notify listener.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + Clone + 'static) -> Self {
        self.config.listener = self.config.listener.with_clock(clock.clone());
        self.config.clock = Arc::new(clock);
        self
    }

    /// Verifies notifies with `listener` (its `ts` window, its code for an expired `ts`, its
    /// body timeout) instead of the client's default one. Give it the same secret key.
    #[must_use]
    pub fn with_listener(mut self, listener: NotifyListener) -> Self {
        self.config.listener = listener;
        self
    }

    /// The 123PAY client.
    #[must_use]
    pub fn client(&self) -> &Client<C> {
        &self.inner.client
    }

    /// The payment store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The notify listener.
    #[must_use]
    pub fn listener(&self) -> &NotifyListener {
        &self.config.listener
    }

    /// The reconciler's policy.
    #[must_use]
    pub fn reconcile_policy(&self) -> &ReconcilePolicy {
        &self.config.policy
    }

    /// The gateway timeout.
    #[must_use]
    pub fn gateway_timeout(&self) -> Duration {
        self.config.gateway_timeout
    }

    fn timer(&self) -> &dyn Timer {
        self.inner.timer.as_ref()
    }

    fn now(&self) -> std::time::SystemTime {
        self.config.clock.now()
    }
}
