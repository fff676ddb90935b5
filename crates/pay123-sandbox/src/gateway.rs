//! The sandbox's state: merchants, transactions and their bank-page sessions.
//!
//! The transactions are spread over [`SHARDS`] shards, each behind its own lock, by the hash of
//! their key; a session token names its shard in its first character. A createOrder, a query or
//! a bank page locks one shard for a few microseconds; no request waits for another shard's
//! work, nor for a listing, the reaper or a table that grows (records are boxed: a growing table
//! moves pointers, not records). Every change of a transaction goes through a closure on its
//! shard ([`Gateway::with_record`], [`Gateway::with_session`]), after which waiters are woken and
//! notify deliveries started, once the lock is released.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasher;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use hashbrown::HashTable;
use http::Uri;
use pay123_core::text::unaccent;
use pay123_core::{
    BankCode, CreateOrder, CreatedOrder, Credentials, OrderStatus, ReturnCode, ReturnTicket,
    TransactionStatus,
};
use rand::Rng;
use tokio::sync::watch;

use crate::cards::{self, CardCheck, Debit, MAX_ATTEMPTS};
use crate::config::Config;
use crate::transaction::{
    AdminError, HistoryEntry, NotifyAttempt, QueryOrderFailure, Refusal, Step, Transaction,
};

/// How many listing pages are built at once; more requests wait for their turn.
pub(crate) const LISTINGS: usize = 2;

/// How many refusals `GET /_sandbox/refusals` keeps.
const REFUSALS_KEPT: usize = 200;

/// A transaction is known by its merchant and the merchant's `mTransactionID`.
pub(crate) type Key = (Arc<str>, Arc<str>);

/// The number of shards the transactions are spread over (at most the 36 characters of a
/// token's alphabet: the first one names the shard).
pub(crate) const SHARDS: usize = 32;

/// Lowercase letters and digits: the page URL is signed in the createOrder answer, and with no
/// uppercase letter it can never hold a bank code (see the core's `Rule::EndsWithBankCode`).
const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A bank-page session's token: 32 characters of [`TOKEN_ALPHABET`], the first naming the
/// shard. Kept inline (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Token([u8; 32]);

impl Token {
    fn new(shard: usize) -> Self {
        let mut rng = rand::rng();
        let mut bytes = [0u8; 32];
        bytes[0] = TOKEN_ALPHABET[shard];
        for b in &mut bytes[1..] {
            *b = TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())];
        }
        Self(bytes)
    }

    fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| TOKEN_ALPHABET.contains(b))
            .then_some(Self(bytes))
    }

    fn shard(self) -> usize {
        TOKEN_ALPHABET
            .iter()
            .position(|b| *b == self.0[0])
            .unwrap_or(0)
            % SHARDS
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// How many sequences a `123PAYtransactionId` tells apart: its last 7 digits.
const ID_SEQUENCES: u64 = 10_000_000;

/// The shard of a key: a fixed hash, the same in every run.
fn shard_of(key: &Key) -> usize {
    let hash = foldhash::fast::FixedState::with_seed(0).hash_one(key);
    usize::try_from(hash % SHARDS as u64).unwrap_or(0)
}

/// The sandbox's state, shared by the HTTP handlers, the notify deliveries and the in-process
/// API. Cheap to clone.
///
/// Build one with [`Gateway::new`] to mount [`router`](crate::router) in your own server, or
/// let [`start`](crate::start) do it.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) merchants: HashMap<String, MerchantEntry>,
    /// `public_url` without a trailing slash.
    pub(crate) base: String,
    shards: Box<[Mutex<Shard>]>,
    global: Mutex<Global>,
    /// Listing pages being built (on blocking threads): at most [`LISTINGS`] at once.
    pub(crate) listings: Arc<tokio::sync::Semaphore>,
    /// The 123PAY transaction numbers handed out.
    sequence: AtomicU64,
    /// Bumped by reset, so that deliveries of forgotten transactions stop.
    pub(crate) generation: AtomicU64,
    /// queryOrder calls answered with a status (known or not), since the start or the last
    /// reset.
    query_calls: AtomicU64,
    version: watch::Sender<u64>,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) client: pay123_hyper::HyperClient,
    pub(crate) runtime: tokio::runtime::Handle,
}

#[derive(Debug)]
pub(crate) struct MerchantEntry {
    pub(crate) credentials: Credentials,
    pub(crate) notify_url: Option<Uri>,
    /// The merchant code, shared by the keys of its transactions.
    code: Arc<str>,
}

impl AsRef<Credentials> for MerchantEntry {
    fn as_ref(&self) -> &Credentials {
        &self.credentials
    }
}

/// One shard of the transactions: the records, boxed in a slab in the order they were created
/// (so in the order of their sequence numbers), two indexes into it (by key, by session token)
/// that hold a record's position only, and the times at which records are due to change by
/// themselves (a session that ends, a bank that answers), soonest first.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    // Boxed: a growing slab moves pointers, not records, and holds no slack of record size.
    #[allow(clippy::vec_box)]
    records: Vec<Box<Record>>,
    by_key: HashTable<u32>,
    by_token: HashTable<u32>,
    /// foldhash, seeded at random for each shard: several times quicker than SipHash on
    /// these short keys, which come from the sandbox's own clients.
    hasher: foldhash::fast::RandomState,
    /// (due time, position): a record may appear more than once, or after it stopped being
    /// due; the reaper checks the record itself.
    due: BinaryHeap<Reverse<(SystemTime, u32)>>,
}

impl Shard {
    /// The position `index` holds for the record with this `hash` that `is` recognises.
    fn find(
        &self,
        index: &HashTable<u32>,
        hash: u64,
        is: impl Fn(&Record) -> bool,
    ) -> Option<usize> {
        let i = *index.find(hash, |&i| is(&self.records[i as usize]))?;
        Some(i as usize)
    }

    fn position(&self, key: &Key) -> Option<usize> {
        self.find(&self.by_key, self.hasher.hash_one(key), |r| r.key == *key)
    }

    fn get(&self, key: &Key) -> Option<&Record> {
        self.position(key).map(|i| &*self.records[i])
    }

    fn contains_token(&self, token: &Token) -> bool {
        self.token_position(token).is_some()
    }

    fn token_position(&self, token: &Token) -> Option<usize> {
        self.find(&self.by_token, self.hasher.hash_one(token), |r| {
            r.token == *token
        })
    }

    fn insert(&mut self, record: Box<Record>) {
        let Ok(index) = u32::try_from(self.records.len()) else {
            return;
        };
        let key_hash = self.hasher.hash_one(&record.key);
        let token_hash = self.hasher.hash_one(record.token);
        self.records.push(record);
        let Self {
            records,
            by_key,
            by_token,
            hasher,
            ..
        } = self;
        by_key.insert_unique(key_hash, index, |&i| {
            hasher.hash_one(&records[i as usize].key)
        });
        by_token.insert_unique(token_hash, index, |&i| {
            hasher.hash_one(records[i as usize].token)
        });
        self.schedule(index as usize, None);
    }

    /// Runs `f` on the record at `position`, then notes when it is next due if that changed.
    fn update<R>(&mut self, position: usize, f: impl FnOnce(&mut Record) -> R) -> R {
        let before = self.records[position].next_due();
        let result = f(&mut self.records[position]);
        self.schedule(position, before);
        result
    }

    /// Notes when the record at `position` is next due, unless that is `before` (noted already).
    fn schedule(&mut self, position: usize, before: Option<SystemTime>) {
        let due = self.records[position].next_due();
        if due != before
            && let (Some(due), Ok(position)) = (due, u32::try_from(position))
        {
            self.due.push(Reverse((due, position)));
        }
    }

    /// Brings every record that is due at `now` up to date: only those, not the whole shard.
    fn expire_due(&mut self, now: SystemTime, fx: &mut Effects) {
        let mut later = Vec::new();
        while let Some(&Reverse((at, position))) = self.due.peek() {
            if at > now {
                break;
            }
            self.due.pop();
            let record = &mut self.records[position as usize];
            record.expire_due(now, fx);
            // Still due later (the entry was older than the record's time): noted again once
            // the loop is over, so that it never meets its own entry.
            if let Some(due) = record.next_due()
                && due > now
            {
                later.push(Reverse((due, position)));
            }
        }
        self.due.extend(later);
    }

    /// The records created after sequence number `after` (all when `None`), oldest first.
    fn after(&self, after: Option<u64>) -> &[Box<Record>] {
        let from = after.map_or(0, |a| self.records.partition_point(|r| r.sequence <= a));
        &self.records[from..]
    }
}

/// What is not about one transaction.
#[derive(Debug, Default)]
pub(crate) struct Global {
    pub(crate) drop_next: u32,
    /// The failure queryOrder answers, when one is injected.
    query_failure: Option<QueryOrderFailure>,
    /// The last refused requests, oldest first.
    refusals: std::collections::VecDeque<Refusal>,
}

/// What a change did, acted on once the lock is released.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    changed: bool,
    deliver: Vec<Key>,
}

impl Effects {
    pub(crate) fn changed(&mut self) {
        self.changed = true;
    }
}

/// A transaction and its bank-page session, kept small: most transactions are created and
/// queried, never paid.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) key: Key,
    pub(crate) generation: u64,
    sequence: u64,
    order: Order,
    token: Token,
    status: Status,
    step: Step,
    bank_used: Bank,
    created_at: SystemTime,
    /// The session's length: it ends at `created_at` plus this.
    session_ms: u32,
    /// What the buyer did on the bank pages, what was paid, the notifies: once there is any.
    progress: Option<Box<Progress>>,
    /// The events after "createOrder accepted" (which every transaction has, and is not kept).
    history: Vec<Event>,
    pub(crate) deliveries: u32,
    pub(crate) deliveries_running: u32,
    /// queryOrder calls answered about it.
    queries: u32,
}

/// A status of the specification, as its index in [`TransactionStatus::KNOWN`]: the sandbox
/// sets no other (an unknown code is pending, and only final statuses can be forced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Status(u8);

impl Status {
    fn of(status: &TransactionStatus) -> Self {
        let index = TransactionStatus::KNOWN
            .iter()
            .position(|s| s == status)
            .unwrap_or(0);
        debug_assert!(TransactionStatus::KNOWN[index] == *status, "{status:?}");
        Self(u8::try_from(index).unwrap_or(0))
    }

    fn get(self) -> &'static TransactionStatus {
        &TransactionStatus::KNOWN[usize::from(self.0)]
    }
}

/// `123PAY`, for [`Bank::get`].
static PAY123: BankCode = BankCode::Pay123;

/// A bank of the specification (or `123PAY`), as an index: 0 for `123PAY`, then
/// [`BankCode::BANKS`]. The sandbox refuses any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bank(u8);

impl Bank {
    fn of(bank: &BankCode) -> Self {
        let index = BankCode::BANKS
            .iter()
            .position(|b| b == bank)
            .map_or(0, |i| i + 1);
        Self(u8::try_from(index).unwrap_or(0))
    }

    fn get(self) -> &'static BankCode {
        match usize::from(self.0) {
            0 => &PAY123,
            i => &BankCode::BANKS[i - 1],
        }
    }
}

/// What the sandbox keeps of a createOrder: the amount, the bank asked for, the description and
/// the three URLs (the cancel and error ones only when they differ from the redirect one).
#[derive(Debug)]
struct Order {
    total_amount: u64,
    bank: Bank,
    description: Box<str>,
    redirect_url: Box<str>,
    cancel_url: Option<Box<str>>,
    error_url: Option<Box<str>>,
}

impl Order {
    fn new(order: &CreateOrder) -> Self {
        let other =
            |url: &str| (url != order.redirect_url() && !url.is_empty()).then(|| url.into());
        Self {
            total_amount: order.total_amount(),
            bank: Bank::of(&order.bank_code()),
            description: order.description().into(),
            redirect_url: order.redirect_url().into(),
            cancel_url: other(order.cancel_url()),
            error_url: other(order.error_url()),
        }
    }

    /// Where the buyer goes back for `status`: the redirect URL on success and while pending,
    /// the cancel URL on `-100`, the error URL on any other failure (each falling back on the
    /// redirect URL).
    fn return_url_for(&self, status: &TransactionStatus) -> &str {
        let other = if status.is_success() || status.is_pending() {
            None
        } else if *status == TransactionStatus::Cancelled {
            self.cancel_url.as_deref()
        } else {
            self.error_url.as_deref()
        };
        other.unwrap_or(&self.redirect_url)
    }
}

/// The buyer's progress on the bank pages.
#[derive(Debug, Default)]
struct Progress {
    card_failures: u32,
    otp_failures: u32,
    /// What a timeout reports: the last wrong input, if any.
    last_error: Option<TransactionStatus>,
    debit: Option<Debit>,
    otp_sent_at: Option<SystemTime>,
    resolve_at: Option<SystemTime>,
    /// What the bank charged, once paid.
    op_amount: u64,
    /// The `totalAmount` queryOrder reports instead of the order's.
    reported_total_amount: Option<u64>,
    attempts: Vec<NotifyAttempt>,
}

/// One event of a transaction's history (most texts are fixed: no allocation).
#[derive(Debug, Clone)]
struct Event {
    at: SystemTime,
    status: Status,
    text: Cow<'static, str>,
}

/// What a bank page request leads to.
#[derive(Debug)]
pub(crate) enum PageOutcome {
    /// Show the current step, with a message when the input was refused.
    Show(Box<PageView>),
    /// 303 to this URL: the next step, or the merchant.
    Redirect(String),
    /// No such session.
    NotFound,
}

/// Everything a bank page shows.
#[derive(Debug, Clone)]
pub(crate) struct PageView {
    pub(crate) step: Step,
    pub(crate) token: String,
    pub(crate) merchant_code: String,
    pub(crate) m_transaction_id: String,
    pub(crate) transaction_id: String,
    pub(crate) amount: u64,
    pub(crate) description: String,
    pub(crate) bank: BankCode,
    pub(crate) message: Option<String>,
    pub(crate) attempts_left: u32,
    pub(crate) card_holder: String,
    pub(crate) card_number: String,
    pub(crate) issue_date: String,
}

/// The card form, as posted.
#[derive(Debug, Clone, Default)]
pub(crate) struct CardForm {
    pub(crate) card_holder: String,
    pub(crate) card_number: String,
    pub(crate) issue_date: String,
}

impl Gateway {
    /// The state for `config`, handing out buyer URLs under `config.public_url`, which is
    /// required here (the sandbox cannot know under which URL another server mounts it).
    /// Starts a background task that ends timed-out sessions; call it within a Tokio runtime.
    pub fn new(config: Config) -> io::Result<Self> {
        config.check()?;
        let base = config
            .public_url
            .clone()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Config::public_url is required to mount the sandbox in another server",
                )
            })?
            .trim_end_matches('/')
            .to_owned();
        let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let merchants = config
            .merchants
            .iter()
            .map(|m| {
                let notify_url = m.notify_url.as_deref().and_then(|u| u.parse().ok());
                (
                    m.credentials.merchant_code().to_owned(),
                    MerchantEntry {
                        credentials: m.credentials.clone(),
                        notify_url,
                        code: m.credentials.merchant_code().into(),
                    },
                )
            })
            .collect();
        // 123PAY ids look like 123P1707110106638: a date and a 7-digit sequence. Starting the
        // sequence anywhere keeps ids apart across restarts.
        let sequence = rand::rng().random_range(0..5_000_000);
        let gateway = Self {
            inner: Arc::new(Inner {
                client: pay123_hyper::HyperClient::builder()
                    .connect_timeout(config.notify_timeout)
                    .request_timeout(config.notify_timeout)
                    // A notify reply is a small JSON object.
                    .max_body_bytes(64 * 1024)
                    .build(),
                config,
                merchants,
                base,
                shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
                listings: Arc::new(tokio::sync::Semaphore::new(LISTINGS)),
                global: Mutex::default(),
                sequence: AtomicU64::new(sequence),
                generation: AtomicU64::new(0),
                query_calls: AtomicU64::new(0),
                version: watch::Sender::new(0),
                stop: watch::Sender::new(false),
                runtime,
            }),
        };
        gateway.spawn_reaper();
        Ok(gateway)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base of the URLs handed out to buyers.
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.inner.base
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.inner.config.clock.now()
    }

    pub(crate) fn merchant(&self, merchant_code: &str) -> Option<&MerchantEntry> {
        self.inner.merchants.get(merchant_code)
    }

    pub(crate) fn page_url(&self, token: &str) -> String {
        format!("{}/banksim/{token}", self.inner.base)
    }

    fn shard(&self, index: usize) -> MutexGuard<'_, Shard> {
        self.inner.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn global(&self) -> MutexGuard<'_, Global> {
        self.inner
            .global
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the waiters and starts the notifies a change called for, once its lock is released.
    fn apply(&self, effects: Effects) {
        if effects.changed {
            self.inner.version.send_modify(|v| *v += 1);
        }
        for key in effects.deliver {
            self.spawn_delivery(key);
        }
    }

    /// Runs `f` on the transaction with this key (`None` when there is none), under its shard's
    /// lock; then applies the effects.
    pub(crate) fn with_record<R>(
        &self,
        key: &Key,
        f: impl FnOnce(Option<&mut Record>, &mut Effects) -> R,
    ) -> R {
        let mut effects = Effects::default();
        let result = {
            let mut shard = self.shard(shard_of(key));
            match shard.position(key) {
                Some(position) => shard.update(position, |record| f(Some(record), &mut effects)),
                None => f(None, &mut effects),
            }
        };
        self.apply(effects);
        result
    }

    /// Runs `f` on the global state (not about one transaction); then applies the effects.
    pub(crate) fn with_global<R>(&self, f: impl FnOnce(&mut Global, &mut Effects) -> R) -> R {
        let mut effects = Effects::default();
        let result = f(&mut self.global(), &mut effects);
        self.apply(effects);
        result
    }

    /// Runs `f` on each shard in turn, each under its own lock.
    fn each_shard(&self, mut f: impl FnMut(&mut Shard, &mut Effects)) {
        for index in 0..SHARDS {
            let mut effects = Effects::default();
            f(&mut self.shard(index), &mut effects);
            self.apply(effects);
        }
    }

    /// Ends the sessions and pending results that are due, one shard at a time.
    pub(crate) fn expire_due(&self) {
        let now = self.now();
        self.each_shard(|shard, fx| shard.expire_due(now, fx));
    }

    fn spawn_reaper(&self) {
        let config = &self.inner.config;
        let shortest = config
            .session_timeout
            .min(config.unknown_result_delay)
            .min(config.otp_expiry);
        let period = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let mut stop = self.inner.stop.subscribe();
        self.inner.runtime.spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                Gateway { inner }.expire_due();
            }
        });
    }

    /// Stops the background tasks (the session reaper and running notify deliveries).
    pub(crate) fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    // ---- createOrder and queryOrder -------------------------------------------------------

    /// Records a new transaction, or answers `6206` for a reused `mTransactionID`.
    pub(crate) fn create(
        &self,
        merchant_code: &str,
        order: &CreateOrder,
    ) -> Result<CreatedOrder, ReturnCode> {
        let now = self.now();
        let session_timeout = self.inner.config.session_timeout;
        let merchant: Arc<str> = self
            .merchant(merchant_code)
            .map_or_else(|| merchant_code.into(), |m| m.code.clone());
        let key: Key = (merchant, order.m_transaction_id().into());
        let index = shard_of(&key);
        let bank = order.bank_code();
        let step = if bank == BankCode::Pay123 {
            Step::ChooseBank
        } else {
            Step::Card
        };
        let mut effects = Effects::default();
        let created = {
            let mut shard = self.shard(index);
            if shard.position(&key).is_some() {
                return Err(ReturnCode::DuplicateTransaction);
            }
            let sequence = self.inner.sequence.fetch_add(1, Ordering::Relaxed) + 1;
            let mut token = Token::new(index);
            while shard.contains_token(&token) {
                token = Token::new(index);
            }
            effects.changed();
            let record = Box::new(Record {
                key: key.clone(),
                generation: self.inner.generation.load(Ordering::Relaxed),
                sequence,
                order: Order::new(order),
                token,
                status: Status::of(&TransactionStatus::New),
                step,
                bank_used: Bank::of(&bank),
                created_at: now,
                session_ms: u32::try_from(session_timeout.as_millis()).unwrap_or(u32::MAX),
                progress: None,
                history: Vec::new(),
                deliveries: 0,
                deliveries_running: 0,
                queries: 0,
            });
            let created = CreatedOrder::new(record.transaction_id(), self.page_url(token.as_str()));
            shard.insert(record);
            created
        };
        self.apply(effects);
        Ok(created)
    }

    /// The status answered to a queryOrder: `-10` for an unknown `mTransactionID`.
    pub(crate) fn query(&self, merchant_code: &str, m_transaction_id: &str) -> OrderStatus {
        let now = self.now();
        self.inner.query_calls.fetch_add(1, Ordering::Relaxed);
        let key: Key = (merchant_code.into(), m_transaction_id.into());
        self.with_record(&key, |record, fx| {
            match record {
                Some(record) => {
                    record.queries += 1;
                    record.expire_due(now, fx);
                    let reported = record.reported_total_amount();
                    let total_amount = reported.unwrap_or(record.order.total_amount);
                    // What the bank charged is the reported amount once paid.
                    let op_amount = match record.op_amount() {
                        0 => 0,
                        charged => reported.unwrap_or(charged),
                    };
                    OrderStatus::new(
                        record.transaction_id(),
                        record.status().clone(),
                        total_amount.to_string(),
                        op_amount.to_string(),
                        record.bank_used().clone(),
                    )
                    .with_description(unaccent(record.status().vietnamese()))
                }
                None => OrderStatus::not_found(),
            }
        })
    }

    // ---- the bank pages -------------------------------------------------------------------

    /// Runs `f` on the session's record, after ending it if it is due; `None` for an unknown
    /// session.
    fn with_session<R>(
        &self,
        token: &str,
        f: impl FnOnce(&Self, &mut Record, SystemTime, &mut Effects) -> R,
    ) -> Option<R> {
        let now = self.now();
        let token = Token::parse(token)?;
        let mut effects = Effects::default();
        let result = {
            let mut shard = self.shard(token.shard());
            let position = shard.token_position(&token)?;
            Some(shard.update(position, |record| {
                record.expire_due(now, &mut effects);
                f(self, record, now, &mut effects)
            }))
        };
        self.apply(effects);
        result
    }

    /// The current step's page, or the way back to the merchant once the payment has ended.
    pub(crate) fn show(&self, token: &str) -> PageOutcome {
        self.with_session(token, |gw, record, now, _| match record.step {
            Step::ChooseBank | Step::Card | Step::Otp => {
                PageOutcome::Show(Box::new(gw.view(record, None)))
            }
            _ => PageOutcome::Redirect(gw.return_url(record, now)),
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The cancel button, on any page.
    pub(crate) fn cancel(&self, token: &str) -> PageOutcome {
        self.with_session(token, |gw, record, now, fx| {
            if record.in_session() {
                record.finish(
                    TransactionStatus::Cancelled,
                    now,
                    "the buyer pressed cancel",
                    fx,
                );
                PageOutcome::Redirect(gw.return_url(record, now))
            } else {
                PageOutcome::Redirect(gw.page_url(record.token.as_str()))
            }
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The bank choice form.
    pub(crate) fn choose_bank(&self, token: &str, bank_code: &str) -> PageOutcome {
        let maintenance = &self.inner.config.banks_under_maintenance;
        self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::ChooseBank {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            // What the buyer's browser sent is echoed in the page and the history: at most
            // 40 characters of it.
            let bank_code: String = bank_code.chars().take(40).collect();
            let bank_code = bank_code.as_str();
            let bank = BankCode::from_code(bank_code.trim());
            let refused = if bank_code.trim().is_empty() {
                Some("Vui lòng chọn ngân hàng. (Please choose a bank.)".to_owned())
            } else if bank == BankCode::Pay123 || !bank.is_known() {
                Some(format!(
                    "Ngân hàng không hợp lệ: {bank_code}. (Unknown bank.)"
                ))
            } else if maintenance.contains(&bank) {
                Some(format!(
                    "{} đang bảo trì, vui lòng chọn ngân hàng khác. ({} is under maintenance.)",
                    bank.name(),
                    bank.name()
                ))
            } else {
                None
            };
            if let Some(message) = refused {
                record.event(now, format!("bank choice refused: {bank_code:?}"), fx);
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            record.event(now, format!("bank chosen: {bank}"), fx);
            record.bank_used = Bank::of(&bank);
            record.step = Step::Card;
            PageOutcome::Redirect(gw.page_url(record.token.as_str()))
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The card form: checked at once for empty or malformed fields, then by the bank (after
    /// the configured latency, with the status at `10` meanwhile).
    pub(crate) async fn submit_card(&self, token: &str, form: &CardForm) -> PageOutcome {
        let checked = self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::Card {
                return Err(PageOutcome::Redirect(gw.page_url(record.token.as_str())));
            }
            let fields = [&form.card_holder, &form.card_number, &form.issue_date];
            if fields.iter().any(|f| f.trim().is_empty()) {
                record.event(now, "card form sent with empty fields", fx);
                let message = "Vui lòng nhập đầy đủ thông tin thẻ. (Please fill in every field.)";
                return Err(PageOutcome::Show(Box::new(
                    gw.form_view(record, message, form),
                )));
            }
            if !cards::valid_issue_date(&form.issue_date) {
                record.event(now, "card form sent with a malformed issue date", fx);
                let message = "Ngày phát hành không hợp lệ, vui lòng nhập theo dạng MM/YY. \
                               (Issue date: MM/YY.)";
                return Err(PageOutcome::Show(Box::new(
                    gw.form_view(record, message, form),
                )));
            }
            record.set_status(
                TransactionStatus::CheckingAccount,
                now,
                "card details entered; the bank is checking them",
                fx,
            );
            Ok((
                record.sequence,
                cards::check_card(&form.card_holder, &form.card_number),
            ))
        });
        let (sequence, check) = match checked {
            None => return PageOutcome::NotFound,
            Some(Err(answer)) => return answer,
            Some(Ok(checked)) => checked,
        };
        self.bank_latency().await;
        self.with_session(token, |gw, record, now, fx| {
            if record.sequence != sequence
                || record.step != Step::Card
                || record.status() != TransactionStatus::CheckingAccount
            {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            match check {
                CardCheck::Accepted(debit) => {
                    let progress = record.progress();
                    progress.debit = Some(debit);
                    progress.otp_sent_at = Some(now);
                    progress.last_error = None;
                    record.step = Step::Otp;
                    record.set_status(
                        TransactionStatus::AwaitingOtp,
                        now,
                        "card accepted; OTP sent",
                        fx,
                    );
                    PageOutcome::Redirect(gw.page_url(record.token.as_str()))
                }
                CardCheck::Refused(status) => {
                    let event = format!("the bank refused the card: {}", status.english());
                    record.finish(status, now, event, fx);
                    PageOutcome::Redirect(gw.return_url(record, now))
                }
                CardCheck::Wrong(status) => {
                    let progress = record.progress();
                    progress.card_failures += 1;
                    progress.last_error = Some(status.clone());
                    let failures = progress.card_failures;
                    if failures >= MAX_ATTEMPTS {
                        record.finish(
                            TransactionStatus::WrongCardInfoThreeTimes,
                            now,
                            "wrong card details three times",
                            fx,
                        );
                        return PageOutcome::Redirect(gw.return_url(record, now));
                    }
                    let left = MAX_ATTEMPTS - failures;
                    record.event(
                        now,
                        format!(
                            "wrong card details ({}); {}",
                            status.english(),
                            attempts_left(left)
                        ),
                        fx,
                    );
                    let message = format!(
                        "{}. Bạn còn {left} lần nhập. ({}; {}.)",
                        status.vietnamese().trim_end_matches('.'),
                        status.english(),
                        attempts_left(left)
                    );
                    PageOutcome::Show(Box::new(gw.form_view(record, &message, form)))
                }
            }
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The OTP form.
    pub(crate) async fn submit_otp(&self, token: &str, otp: &str) -> PageOutcome {
        let otp = otp.trim();
        let expiry = self.inner.config.otp_expiry;
        let checking = self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::Otp {
                return Err(PageOutcome::Redirect(gw.page_url(record.token.as_str())));
            }
            if otp.is_empty() {
                record.finish(TransactionStatus::NoOtp, now, "no OTP entered", fx);
                return Err(PageOutcome::Redirect(gw.return_url(record, now)));
            }
            let sent = record
                .progress
                .as_ref()
                .and_then(|p| p.otp_sent_at)
                .unwrap_or(record.created_at);
            if now.duration_since(sent).unwrap_or_default() > expiry {
                record.finish(
                    TransactionStatus::OtpExpired,
                    now,
                    "the OTP had expired",
                    fx,
                );
                return Err(PageOutcome::Redirect(gw.return_url(record, now)));
            }
            record.event(now, "OTP entered; the bank is checking it", fx);
            Ok(record.sequence)
        });
        let sequence = match checking {
            None => return PageOutcome::NotFound,
            Some(Err(answer)) => return answer,
            Some(Ok(sequence)) => sequence,
        };
        self.bank_latency().await;
        self.with_session(token, |gw, record, now, fx| {
            if record.sequence != sequence || record.step != Step::Otp {
                return PageOutcome::Redirect(gw.page_url(record.token.as_str()));
            }
            if otp != cards::TEST_OTP {
                let progress = record.progress();
                progress.otp_failures += 1;
                progress.last_error = Some(TransactionStatus::WrongOtp);
                let failures = progress.otp_failures;
                if failures >= MAX_ATTEMPTS {
                    record.finish(
                        TransactionStatus::WrongOtpThreeTimes,
                        now,
                        "wrong OTP three times",
                        fx,
                    );
                    return PageOutcome::Redirect(gw.return_url(record, now));
                }
                let left = MAX_ATTEMPTS - failures;
                record.event(now, format!("wrong OTP; {}", attempts_left(left)), fx);
                let message = format!(
                    "{}. Bạn còn {left} lần nhập. (Wrong OTP; {}.)",
                    TransactionStatus::WrongOtp.vietnamese(),
                    attempts_left(left)
                );
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            let debit = record.progress.as_ref().and_then(|p| p.debit.clone());
            match debit.unwrap_or(Debit::Success) {
                Debit::Success => {
                    record.finish(TransactionStatus::Success, now, "paid", fx);
                }
                Debit::Fail(status) => {
                    let event = format!("the bank refused the debit: {}", status.english());
                    record.finish(status, now, event, fx);
                }
                Debit::Unknown => {
                    record.step = Step::AwaitingBank;
                    record.progress().resolve_at = Some(now + gw.inner.config.unknown_result_delay);
                    record.set_status(
                        TransactionStatus::BankResultUnknown,
                        now,
                        "OTP right; the bank has not answered yet",
                        fx,
                    );
                }
            }
            PageOutcome::Redirect(gw.return_url(record, now))
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    async fn bank_latency(&self) {
        let latency = self.inner.config.faults.latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    fn view(&self, record: &Record, message: Option<String>) -> PageView {
        let (card_failures, otp_failures) = record
            .progress
            .as_ref()
            .map_or((0, 0), |p| (p.card_failures, p.otp_failures));
        let attempts_left = match record.step {
            Step::Otp => MAX_ATTEMPTS - otp_failures,
            _ => MAX_ATTEMPTS - card_failures,
        };
        PageView {
            step: record.step,
            token: record.token.as_str().to_owned(),
            merchant_code: record.key.0.to_string(),
            m_transaction_id: record.key.1.to_string(),
            transaction_id: record.transaction_id(),
            amount: record.order.total_amount,
            description: record.order.description.to_string(),
            bank: record.bank_used().clone(),
            message,
            attempts_left,
            card_holder: String::new(),
            card_number: String::new(),
            issue_date: String::new(),
        }
    }

    /// The card page again with what the buyer typed, as a real form keeps it.
    fn form_view(&self, record: &Record, message: &str, form: &CardForm) -> PageView {
        PageView {
            card_holder: form.card_holder.clone(),
            card_number: form.card_number.clone(),
            issue_date: form.issue_date.clone(),
            ..self.view(record, Some(message.to_owned()))
        }
    }

    /// The merchant's URL for the current status, with the signed return parameters.
    fn return_url(&self, record: &Record, now: SystemTime) -> String {
        let url = record.order.return_url_for(record.status()).to_owned();
        let Some(merchant) = self.merchant(&record.key.0) else {
            return url;
        };
        match ReturnTicket::new(&*record.key.1, record.status().clone(), now) {
            Ok(ticket) => ticket.redirect_url(&url, merchant.credentials.secret_key()),
            Err(_) => url,
        }
    }

    // ---- the in-process admin API ---------------------------------------------------------

    /// Every transaction, oldest first.
    #[must_use]
    pub fn transactions(&self) -> Vec<Transaction> {
        self.page(None, usize::MAX)
    }

    /// The number of transactions.
    #[must_use]
    pub fn transaction_count(&self) -> usize {
        (0..SHARDS).map(|i| self.shard(i).records.len()).sum()
    }

    /// At most `limit` transactions created after the one named `after` (from the first when
    /// `None`), oldest first: a page of the listing. `after` is a `123PAYtransactionId`, which
    /// names one transaction, or else an `mTransactionID` (the newest transaction of that id,
    /// when several merchants use it). Each shard is locked in turn, only to copy its part of
    /// the page; an API request waits for no more than that.
    pub fn transactions_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Transaction>, AdminError> {
        let after = match after {
            None => None,
            Some(id) => Some(
                self.sequence_of_pay123_id(id)
                    .or_else(|| self.sequence_of(id))
                    .ok_or_else(|| AdminError::UnknownAfter(id.to_owned()))?,
            ),
        };
        Ok(self.page(after, limit))
    }

    /// The sequence of the transaction whose `123PAYtransactionId` is `id` (as
    /// [`Record::transaction_id`] writes it): its last 7 digits are the sequence's (modulo
    /// [`ID_SEQUENCES`]), the date before them checked with the record's.
    fn sequence_of_pay123_id(&self, id: &str) -> Option<u64> {
        let digits = id.strip_prefix("123P")?;
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let low: u64 = digits[6..].parse().ok()?;
        let horizon = self.inner.sequence.load(Ordering::Acquire);
        let mut sequence = low;
        while sequence <= horizon {
            for index in 0..SHARDS {
                let shard = self.shard(index);
                if let Ok(i) = shard
                    .records
                    .binary_search_by_key(&sequence, |r| r.sequence)
                    && shard.records[i].transaction_id() == id
                {
                    return Some(sequence);
                }
            }
            sequence += ID_SEQUENCES;
        }
        None
    }

    /// The sequence of the newest transaction with this `mTransactionID`.
    fn sequence_of(&self, m_transaction_id: &str) -> Option<u64> {
        let id: Arc<str> = m_transaction_id.into();
        self.inner
            .merchants
            .keys()
            .filter_map(|code| {
                let key: Key = (code.as_str().into(), id.clone());
                self.shard(shard_of(&key)).get(&key).map(|r| r.sequence)
            })
            .max()
    }

    fn page(&self, after: Option<u64>, limit: usize) -> Vec<Transaction> {
        self.expire_due();
        if limit == 0 {
            return Vec::new();
        }
        // Only the transactions numbered before now: a createOrder numbers its transaction and
        // records it under its shard's lock, so each of them is in its shard when the shard is
        // read below, and no page can skip one that a later page would not list.
        let horizon = self.inner.sequence.load(Ordering::Acquire);
        // First the sequence numbers only (each shard's records are in order): the last one the
        // page can hold. Then each shard again, copying only the records up to it.
        let mut sequences: Vec<u64> = Vec::new();
        for index in 0..SHARDS {
            let shard = self.shard(index);
            sequences.extend(
                shard
                    .after(after)
                    .iter()
                    .take(limit)
                    .map(|r| r.sequence)
                    .filter(|sequence| *sequence <= horizon),
            );
        }
        let last = if sequences.len() > limit {
            *sequences.select_nth_unstable(limit - 1).1
        } else {
            horizon
        };
        let mut page: Vec<(u64, Transaction)> = Vec::new();
        for index in 0..SHARDS {
            let shard = self.shard(index);
            page.extend(
                shard
                    .after(after)
                    .iter()
                    .take_while(|r| r.sequence <= last)
                    .take(limit)
                    .map(|r| (r.sequence, self.snapshot(r))),
            );
        }
        page.sort_unstable_by_key(|(sequence, _)| *sequence);
        page.truncate(limit);
        page.into_iter().map(|(_, t)| t).collect()
    }

    /// The transaction with this `mTransactionID` (the newest one if several merchants used
    /// it).
    #[must_use]
    pub fn transaction(&self, m_transaction_id: &str) -> Option<Transaction> {
        self.transaction_of(None, m_transaction_id)
    }

    /// The transaction with this `mTransactionID`, of this merchant when given.
    #[must_use]
    pub fn transaction_of(
        &self,
        merchant_code: Option<&str>,
        m_transaction_id: &str,
    ) -> Option<Transaction> {
        self.with_transaction(merchant_code, m_transaction_id, |record, _, _| {
            Ok(self.snapshot(record))
        })
        .ok()
    }

    /// Runs `f` under the lock on the transaction with this `mTransactionID` (the newest one,
    /// of this merchant when given), after ending it if it is due.
    fn with_transaction<R>(
        &self,
        merchant_code: Option<&str>,
        m_transaction_id: &str,
        f: impl FnOnce(&mut Record, SystemTime, &mut Effects) -> Result<R, AdminError>,
    ) -> Result<R, AdminError> {
        let now = self.now();
        let id: Arc<str> = m_transaction_id.into();
        // The newest of the merchants' transactions with this id.
        let key = self
            .inner
            .merchants
            .keys()
            .filter(|code| merchant_code.is_none_or(|c| c == code.as_str()))
            .filter_map(|code| {
                let key: Key = (code.as_str().into(), id.clone());
                let sequence = self.shard(shard_of(&key)).get(&key)?.sequence;
                Some((sequence, key))
            })
            .max_by_key(|(sequence, _)| *sequence)
            .map(|(_, key)| key)
            .ok_or_else(|| AdminError::NotFound(m_transaction_id.to_owned()))?;
        self.with_record(&key, |record, fx| {
            let record = record.ok_or_else(|| AdminError::NotFound(m_transaction_id.to_owned()))?;
            record.expire_due(now, fx);
            f(record, now, fx)
        })
    }

    /// Ends a pending transaction with a final status, as the buyer's bank would, and sends
    /// the notify.
    pub fn force_status(
        &self,
        m_transaction_id: &str,
        status: TransactionStatus,
    ) -> Result<Transaction, AdminError> {
        self.force_status_of(None, m_transaction_id, status)
    }

    /// [`force_status`](Self::force_status) for a given merchant.
    pub fn force_status_of(
        &self,
        merchant_code: Option<&str>,
        m_transaction_id: &str,
        status: TransactionStatus,
    ) -> Result<Transaction, AdminError> {
        if !status.is_final() {
            return Err(AdminError::NotFinal(status.code().to_owned()));
        }
        self.with_transaction(merchant_code, m_transaction_id, |record, now, fx| {
            if record.status().is_final() {
                return Err(AdminError::AlreadyFinal(record.status().code().to_owned()));
            }
            record.finish(status, now, "status forced through the admin API", fx);
            Ok(self.snapshot(record))
        })
    }

    /// Sends the notify of a final transaction again (a new delivery, with its retries).
    pub fn resend_notify(&self, m_transaction_id: &str) -> Result<Transaction, AdminError> {
        self.resend_notify_of(None, m_transaction_id)
    }

    /// [`resend_notify`](Self::resend_notify) for a given merchant.
    pub fn resend_notify_of(
        &self,
        merchant_code: Option<&str>,
        m_transaction_id: &str,
    ) -> Result<Transaction, AdminError> {
        self.with_transaction(merchant_code, m_transaction_id, |record, now, fx| {
            if !record.status().is_final() {
                return Err(AdminError::Pending(record.status().code().to_owned()));
            }
            record.event(now, "notify resent through the admin API", fx);
            record.schedule_delivery(fx);
            Ok(self.snapshot(record))
        })
    }

    /// From now on queryOrder reports `amount` as this transaction's `totalAmount` (and, once
    /// paid, as its `opAmount`): "the gateway reports 1 VND", to test that a merchant checks
    /// the amount before fulfilling an order. `None` reports the order's amount again. The bank
    /// pages and the notify (which carries no amount) do not change.
    pub fn report_total_amount(
        &self,
        m_transaction_id: &str,
        amount: Option<u64>,
    ) -> Result<Transaction, AdminError> {
        self.report_total_amount_of(None, m_transaction_id, amount)
    }

    /// [`report_total_amount`](Self::report_total_amount) for a given merchant.
    pub fn report_total_amount_of(
        &self,
        merchant_code: Option<&str>,
        m_transaction_id: &str,
        amount: Option<u64>,
    ) -> Result<Transaction, AdminError> {
        self.with_transaction(merchant_code, m_transaction_id, |record, now, fx| {
            record.progress().reported_total_amount = amount;
            let event = match amount {
                Some(amount) => format!("queryOrder reports totalAmount {amount} from now on"),
                None => "queryOrder reports the order's totalAmount again".to_owned(),
            };
            record.event(now, event, fx);
            Ok(self.snapshot(record))
        })
    }

    /// queryOrder answers `[code, description]` to the next `calls` authenticated calls, or to
    /// every call until [`clear_query_order_failure`](Self::clear_query_order_failure) when
    /// `calls` is `None`, whatever the transaction; `Some(0)` clears. createOrder is not
    /// affected. Replaces an earlier failure. `1` (and an empty code) is refused: it is not an
    /// error.
    pub fn fail_query_order(
        &self,
        code: ReturnCode,
        calls: Option<u32>,
    ) -> Result<Option<QueryOrderFailure>, AdminError> {
        if code == ReturnCode::Success || code.code().is_empty() {
            return Err(AdminError::NotAnError(code.code().to_owned()));
        }
        let failure = (calls != Some(0)).then_some(QueryOrderFailure {
            code,
            calls_left: calls,
        });
        self.with_global(|global, fx| {
            global.query_failure.clone_from(&failure);
            fx.changed();
        });
        Ok(failure)
    }

    /// queryOrder answers normally again.
    pub fn clear_query_order_failure(&self) {
        self.with_global(|global, fx| {
            global.query_failure = None;
            fx.changed();
        });
    }

    /// The queryOrder calls answered with a status (about a known transaction or not) since the
    /// start or the last reset.
    #[must_use]
    pub fn query_order_calls(&self) -> u64 {
        self.inner.query_calls.load(Ordering::Relaxed)
    }

    /// The queryOrder failure in force, if any.
    #[must_use]
    pub fn query_order_failure(&self) -> Option<QueryOrderFailure> {
        self.global().query_failure.clone()
    }

    /// The code an authenticated queryOrder call answers now, if a failure is injected; counts
    /// the call.
    pub(crate) fn take_query_failure(&self) -> Option<ReturnCode> {
        self.with_global(|global, fx| {
            let failure = global.query_failure.as_mut()?;
            let code = failure.code.clone();
            if let Some(left) = &mut failure.calls_left {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    global.query_failure = None;
                }
            }
            fx.changed();
            Some(code)
        })
    }

    /// Keeps a refused request for `GET /_sandbox/refusals`, and in the history of its
    /// transaction when there is one (a duplicate `mTransactionID`, a queryOrder refused).
    pub(crate) fn record_refusal(&self, refusal: Refusal) {
        if let (Some(merchant), Some(id)) = (&refusal.merchant_code, &refusal.m_transaction_id) {
            let key: Key = (merchant.as_str().into(), id.as_str().into());
            self.with_record(&key, |record, fx| {
                if let Some(record) = record {
                    let event = format!(
                        "{} refused with {}: {}",
                        refusal.method, refusal.code, refusal.detail
                    );
                    record.event(refusal.at, event, fx);
                }
            });
        }
        self.with_global(|global, fx| {
            if global.refusals.len() == REFUSALS_KEPT {
                global.refusals.pop_front();
            }
            global.refusals.push_back(refusal);
            fx.changed();
        });
    }

    /// The last refused createOrder and queryOrder requests, oldest first, with why.
    #[must_use]
    pub fn refusals(&self) -> Vec<Refusal> {
        self.global().refusals.iter().cloned().collect()
    }

    /// The next notify is not sent at all (recorded as dropped), as if it were lost.
    pub fn drop_next_notify(&self) {
        self.with_global(|global, fx| {
            global.drop_next += 1;
            fx.changed();
        });
    }

    /// Forgets every transaction, the notifies to drop and the injected queryOrder failure;
    /// deliveries still running stop.
    pub fn reset(&self) {
        self.inner.generation.fetch_add(1, Ordering::Relaxed);
        self.each_shard(|shard, fx| {
            *shard = Shard::default();
            fx.changed();
        });
        self.with_global(|global, fx| {
            *global = Global::default();
            fx.changed();
        });
        self.inner.query_calls.store(0, Ordering::Relaxed);
    }

    /// Waits until the transaction exists and `predicate` holds, for at most `timeout`; the
    /// last snapshot when it does, `None` on timeout. Use it instead of sleeping in tests:
    ///
    /// ```no_run
    /// # async fn f(sandbox: pay123_sandbox::Sandbox) {
    /// use std::time::Duration;
    /// let done = sandbox
    ///     .wait_for("ORDER-1", Duration::from_secs(5), |t| t.is_final && !t.notify_in_progress)
    ///     .await
    ///     .expect("the notify delivery ended");
    /// # }
    /// ```
    pub async fn wait_for(
        &self,
        m_transaction_id: &str,
        timeout: Duration,
        mut predicate: impl FnMut(&Transaction) -> bool,
    ) -> Option<Transaction> {
        let mut changes = self.inner.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(t) = self.transaction(m_transaction_id)
                && predicate(&t)
            {
                return Some(t);
            }
            // Time-driven changes (timeouts) are made by the reaper, which bumps the version.
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    fn snapshot(&self, record: &Record) -> Transaction {
        Transaction {
            merchant_code: record.key.0.to_string(),
            m_transaction_id: record.key.1.to_string(),
            transaction_id: record.transaction_id(),
            status: record.status().clone(),
            status_text: record.status().vietnamese(),
            status_english: record.status().english(),
            is_final: record.status().is_final(),
            requested_bank: record.order.bank.get().clone(),
            bank_code: record.bank_used().clone(),
            total_amount: record.order.total_amount,
            op_amount: record.op_amount(),
            reported_total_amount: record.reported_total_amount(),
            description: record.order.description.to_string(),
            payment_url: self.page_url(record.token.as_str()),
            step: record.step,
            created_at: record.created_at,
            session_deadline: record.deadline(),
            history: std::iter::once(&Event {
                at: record.created_at,
                status: Status::of(&TransactionStatus::New),
                text: Cow::Borrowed("createOrder accepted"),
            })
            .chain(&record.history)
            .map(|e| HistoryEntry {
                at: e.at,
                status: e.status.get().clone(),
                event: e.text.to_string(),
            })
            .collect(),
            notify_attempts: record.attempts().to_vec(),
            notify_in_progress: record.deliveries_running > 0,
            query_calls: u64::from(record.queries),
        }
    }
}

impl Record {
    /// Whether the buyer can still act on the bank pages.
    fn in_session(&self) -> bool {
        matches!(self.step, Step::ChooseBank | Step::Card | Step::Otp)
    }

    /// The current status.
    pub(crate) fn status(&self) -> &'static TransactionStatus {
        self.status.get()
    }

    /// The bank chosen (or `123PAY` before the buyer chose one).
    pub(crate) fn bank_used(&self) -> &'static BankCode {
        self.bank_used.get()
    }

    /// 123PAY's transaction id: `123P`, the creation date and a 7-digit sequence.
    pub(crate) fn transaction_id(&self) -> String {
        let date = chrono::DateTime::<chrono::Utc>::from(self.created_at).format("%y%m%d");
        format!("123P{date}{:07}", self.sequence % ID_SEQUENCES)
    }

    /// When the session ends.
    fn deadline(&self) -> SystemTime {
        self.created_at + Duration::from_millis(u64::from(self.session_ms))
    }

    /// When the transaction changes by itself next, if it does: its session ends on the bank
    /// pages, or the bank answers ([`expire_due`](Self::expire_due)).
    fn next_due(&self) -> Option<SystemTime> {
        match self.step {
            Step::ChooseBank | Step::Card | Step::Otp => Some(self.deadline()),
            Step::AwaitingBank => self.progress.as_ref().and_then(|p| p.resolve_at),
            _ => None,
        }
    }

    /// What the bank charged (0 before a payment).
    fn op_amount(&self) -> u64 {
        self.progress.as_ref().map_or(0, |p| p.op_amount)
    }

    /// The `totalAmount` queryOrder reports instead of the order's, if set.
    fn reported_total_amount(&self) -> Option<u64> {
        self.progress.as_ref().and_then(|p| p.reported_total_amount)
    }

    /// The notify attempts.
    pub(crate) fn attempts(&self) -> &[NotifyAttempt] {
        self.progress.as_ref().map_or(&[], |p| &p.attempts)
    }

    /// Records a notify attempt.
    pub(crate) fn push_attempt(&mut self, attempt: NotifyAttempt) {
        self.progress().attempts.push(attempt);
    }

    /// The buyer's progress, created at the first step that needs it.
    fn progress(&mut self) -> &mut Progress {
        self.progress.get_or_insert_with(Box::default)
    }

    pub(crate) fn event(
        &mut self,
        now: SystemTime,
        event: impl Into<Cow<'static, str>>,
        fx: &mut Effects,
    ) {
        self.history.push(Event {
            at: now,
            status: self.status,
            text: event.into(),
        });
        fx.changed();
    }

    fn set_status(
        &mut self,
        status: TransactionStatus,
        now: SystemTime,
        event: impl Into<Cow<'static, str>>,
        fx: &mut Effects,
    ) {
        self.status = Status::of(&status);
        self.event(now, event, fx);
    }

    /// Ends the transaction and schedules its notify.
    fn finish(
        &mut self,
        status: TransactionStatus,
        now: SystemTime,
        event: impl Into<Cow<'static, str>>,
        fx: &mut Effects,
    ) {
        if status.is_success() {
            self.progress().op_amount = self.order.total_amount;
        }
        self.step = Step::Finished;
        self.set_status(status, now, event, fx);
        self.schedule_delivery(fx);
    }

    /// Schedules a delivery of the notify: it counts as in progress from now, so that a waiter
    /// on `notify_in_progress` never sees the moment before it starts.
    pub(crate) fn schedule_delivery(&mut self, fx: &mut Effects) {
        self.deliveries_running += 1;
        fx.deliver.push(self.key.clone());
    }

    /// The buyer left the page (the session timed out), or the bank's late result arrived.
    fn expire_due(&mut self, now: SystemTime, fx: &mut Effects) {
        match self.step {
            Step::ChooseBank | Step::Card if now >= self.deadline() => {
                let status = self
                    .progress
                    .as_ref()
                    .and_then(|p| p.last_error.clone())
                    .unwrap_or(TransactionStatus::NoPaymentInfo);
                self.finish(
                    status,
                    now,
                    "session timed out: the buyer left the page",
                    fx,
                );
            }
            Step::Otp if now >= self.deadline() => {
                let status = self
                    .progress
                    .as_ref()
                    .and_then(|p| p.last_error.clone())
                    .unwrap_or(TransactionStatus::NoOtp);
                self.finish(
                    status,
                    now,
                    "session timed out at the OTP step: the buyer left the page",
                    fx,
                );
            }
            Step::AwaitingBank
                if self
                    .progress
                    .as_ref()
                    .and_then(|p| p.resolve_at)
                    .is_some_and(|at| now >= at) =>
            {
                self.finish(
                    TransactionStatus::Success,
                    now,
                    "the bank reported the result: paid",
                    fx,
                );
            }
            _ => {}
        }
    }
}

/// "1 attempt left", "2 attempts left".
fn attempts_left(left: u32) -> String {
    if left == 1 {
        "1 attempt left".to_owned()
    } else {
        format!("{left} attempts left")
    }
}
