//! The sandbox's state: merchants, transactions and their bank-page sessions.
//!
//! The transactions are spread over [`SHARDS`] shards, each behind its own lock, by the hash of
//! their key; a session token names its shard in its first character. A createOrder, a query or
//! a bank page locks one shard for a few microseconds; no request waits for another shard's
//! work, nor for a listing, the reaper or a table that grows (records are boxed: a growing table
//! moves pointers, not records). Every change of a transaction goes through a closure on its
//! shard ([`Gateway::with_record`], [`Gateway::with_session`]), after which waiters are woken and
//! notify deliveries started, once the lock is released.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use http::Uri;
use pay123_core::Credentials;
use rand::Rng;
use tokio::sync::watch;

use crate::config::Config;

/// How many listing pages are built at once; more requests wait for their turn.
pub(crate) const LISTINGS: usize = 2;

/// How many queryOrder calls about one transaction its history records (the count goes on).
pub(crate) const QUERY_EVENTS_KEPT: u32 = 20;

/// How long a transaction's history grows with refused requests about it (anyone may send
/// them); its own events are always kept.
pub(crate) const HISTORY_KEPT: usize = 100;

/// How many refusals `GET /_sandbox/refusals` keeps.
pub(super) const REFUSALS_KEPT: usize = 200;

/// A transaction is known by its merchant and the merchant's `mTransactionID`.
pub(crate) type Key = (Arc<str>, Arc<str>);

/// The number of shards the transactions are spread over (at most the 36 characters of a
/// token's alphabet: the first one names the shard).
pub(crate) const SHARDS: usize = 32;

/// Lowercase letters and digits: the page URL is signed in the createOrder answer, and with no
/// uppercase letter it can never hold a bank code (see the core's `Rule::EndsWithBankCode`).
pub(super) const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A bank-page session's token: 32 characters of [`TOKEN_ALPHABET`], the first naming the
/// shard. Kept inline (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Token([u8; 32]);

impl Token {
    pub(super) fn new(shard: usize) -> Self {
        let mut rng = rand::rng();
        let mut bytes = [0u8; 32];
        bytes[0] = TOKEN_ALPHABET[shard];
        for b in &mut bytes[1..] {
            *b = TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())];
        }
        Self(bytes)
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| TOKEN_ALPHABET.contains(b))
            .then_some(Self(bytes))
    }

    pub(super) fn shard(self) -> usize {
        TOKEN_ALPHABET
            .iter()
            .position(|b| *b == self.0[0])
            .unwrap_or(0)
            % SHARDS
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a token holds characters of TOKEN_ALPHABET (ASCII)")
    }
}

/// How many sequences a `123PAYtransactionId` tells apart: its last 7 digits.
pub(super) const ID_SEQUENCES: u64 = 10_000_000;

/// The shard of a key: a fixed hash, the same in every run.
pub(super) fn shard_of(key: &Key) -> usize {
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
    /// The dashboard's session: what its login cookie holds instead of the admin token (random,
    /// of this process only; `Debug` never shows it).
    pub(crate) dashboard_session: secrecy::SecretString,
}

#[derive(Debug, Clone)]
pub(crate) struct MerchantEntry {
    /// Shared: an admitted request holds its merchant's entry without copying the secrets.
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) notify_url: Option<Uri>,
    /// The merchant code, shared by the keys of its transactions.
    code: Arc<str>,
}

impl AsRef<Credentials> for MerchantEntry {
    fn as_ref(&self) -> &Credentials {
        &self.credentials
    }
}

impl Gateway {
    /// The state for `config`, handing out buyer URLs under `config.public_url`, which is
    /// required here (the sandbox cannot know under which URL another server mounts it).
    /// Starts a background task that ends timed-out sessions; call it within a Tokio runtime.
    pub fn new(config: Config) -> io::Result<Self> {
        config.check()?;
        if let Some(bank) = config.added_banks.iter().find(|b| !record::Bank::add(b)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "too many added banks in this process to add {}",
                    bank.code()
                ),
            ));
        }
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
                        credentials: Arc::new(m.credentials.clone()),
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
                dashboard_session: {
                    let mut rng = rand::rng();
                    let session: String = (0..40)
                        .map(|_| {
                            char::from(TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())])
                        })
                        .collect();
                    secrecy::SecretString::from(session)
                },
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

    pub(super) fn shard(&self, index: usize) -> MutexGuard<'_, Shard> {
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
    pub(super) fn apply(&self, effects: Effects) {
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
    pub(super) fn each_shard(&self, mut f: impl FnMut(&mut Shard, &mut Effects)) {
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

    pub(super) fn spawn_reaper(&self) {
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
}

mod admin;
mod flow;
mod record;
mod search;

pub use search::TransactionFilter;

pub(crate) use flow::{CardForm, PageOutcome, PageView};
use record::{Bank, Event, Order, Status};
pub(crate) use record::{Effects, Global, Record, Shard};
