//! The transactions as the sandbox keeps them: shards of records, each a transaction and its
//! bank-page session, and what is not about one transaction.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use hashbrown::HashTable;
use pay123_core::{BankCode, CreateOrder, TransactionStatus};

use crate::cards::{Debit, MAX_ATTEMPTS};
use crate::transaction::{EventKind, InjectedFailure, NotifyAttempt, Refusal, Step};

use super::*;

/// One shard of the transactions: the records, boxed in a slab in the order they were created
/// (so in the order of their sequence numbers), two indexes into it (by key, by session token)
/// that hold a record's position only, and the times at which records are due to change by
/// themselves (a session that ends, a bank that answers), soonest first.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    // Boxed: a growing slab moves pointers, not records, and holds no slack of record size.
    #[allow(clippy::vec_box)]
    pub(super) records: Vec<Box<Record>>,
    pub(super) by_key: HashTable<u32>,
    pub(super) by_token: HashTable<u32>,
    /// foldhash, seeded at random for each shard: several times quicker than SipHash on
    /// these short keys, which come from the sandbox's own clients.
    pub(super) hasher: foldhash::fast::RandomState,
    /// (due time, position): a record may appear more than once, or after it stopped being
    /// due; the reaper checks the record itself.
    pub(super) due: BinaryHeap<Reverse<(SystemTime, u32)>>,
}

impl Shard {
    /// The position `index` holds for the record with this `hash` that `is` recognises.
    pub(super) fn find(
        &self,
        index: &HashTable<u32>,
        hash: u64,
        is: impl Fn(&Record) -> bool,
    ) -> Option<usize> {
        let i = *index.find(hash, |&i| is(&self.records[i as usize]))?;
        Some(i as usize)
    }

    pub(super) fn position(&self, key: &Key) -> Option<usize> {
        self.find(&self.by_key, self.hasher.hash_one(key), |r| r.key == *key)
    }

    pub(super) fn get(&self, key: &Key) -> Option<&Record> {
        self.position(key).map(|i| &*self.records[i])
    }

    pub(super) fn contains_token(&self, token: &Token) -> bool {
        self.token_position(token).is_some()
    }

    pub(super) fn token_position(&self, token: &Token) -> Option<usize> {
        self.find(&self.by_token, self.hasher.hash_one(token), |r| {
            r.token == *token
        })
    }

    pub(super) fn insert(&mut self, record: Box<Record>) {
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
    pub(super) fn update<R>(&mut self, position: usize, f: impl FnOnce(&mut Record) -> R) -> R {
        let before = self.records[position].next_due();
        let result = f(&mut self.records[position]);
        self.schedule(position, before);
        result
    }

    /// Notes when the record at `position` is next due, unless that is `before` (noted already).
    pub(super) fn schedule(&mut self, position: usize, before: Option<SystemTime>) {
        let due = self.records[position].next_due();
        if due != before
            && let (Some(due), Ok(position)) = (due, u32::try_from(position))
        {
            self.due.push(Reverse((due, position)));
        }
    }

    /// Brings every record that is due at `now` up to date: only those, not the whole shard.
    pub(super) fn expire_due(&mut self, now: SystemTime, fx: &mut Effects) {
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
    pub(super) fn after(&self, after: Option<u64>) -> &[Box<Record>] {
        let from = after.map_or(0, |a| self.records.partition_point(|r| r.sequence <= a));
        &self.records[from..]
    }
}

/// What is not about one transaction.
#[derive(Debug, Default)]
pub(crate) struct Global {
    pub(crate) drop_next: u32,
    /// The failure each method answers, when one is injected (by [`Method::index`]).
    ///
    /// [`Method::index`]: crate::transaction::Method::index
    pub(super) failures: [Option<InjectedFailure>; 2],
    /// The last refused requests, oldest first.
    pub(super) refusals: std::collections::VecDeque<Refusal>,
}

/// What a change did, acted on once the lock is released.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub(super) changed: bool,
    pub(super) deliver: Vec<Key>,
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
    pub(super) sequence: u64,
    pub(super) order: Order,
    pub(super) token: Token,
    pub(super) status: Status,
    pub(super) step: Step,
    pub(super) bank_used: Bank,
    pub(super) created_at: SystemTime,
    /// The session's length: it ends at `created_at` plus this.
    pub(super) session_ms: u32,
    /// What the buyer did on the bank pages, what was paid, the notifies: once there is any.
    pub(super) progress: Option<Box<Progress>>,
    /// The events after "createOrder accepted" (which every transaction has, and is not kept).
    pub(super) history: Vec<Event>,
    pub(crate) deliveries: u32,
    pub(crate) deliveries_running: u32,
    /// queryOrder calls answered about it.
    pub(super) queries: u32,
}

/// A status of the specification, as its index in [`TransactionStatus::KNOWN`]: the sandbox
/// sets no other (an unknown code is pending, and only final statuses can be forced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Status(u8);

impl Status {
    pub(super) fn of(status: &TransactionStatus) -> Self {
        let index = index_in(TransactionStatus::KNOWN, status).unwrap_or(0);
        debug_assert!(Self(index).get() == status, "{status:?}");
        Self(index)
    }

    pub(super) fn get(self) -> &'static TransactionStatus {
        &TransactionStatus::KNOWN[usize::from(self.0)]
    }
}

/// `123PAY`, for [`Bank::get`].
static PAY123: BankCode = BankCode::Pay123;

/// A bank a record names, as an index: 0 for `123PAY`, then [`BankCode::BANKS`], then the
/// banks added by a configuration ([`Config::added_banks`](crate::Config::added_banks)),
/// registered once per process. The sandbox refuses any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bank(u8);

/// The banks added by the configurations of this process, each kept once for good: a handful
/// of codes, so that a record keeps a one-byte index and gives back a `&'static BankCode`.
static ADDED: std::sync::Mutex<Vec<&'static BankCode>> = std::sync::Mutex::new(Vec::new());

fn added() -> std::sync::MutexGuard<'static, Vec<&'static BankCode>> {
    ADDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Bank {
    /// Registers an added bank (once per code); `false` when the process has registered as
    /// many as a one-byte index holds.
    pub(super) fn add(bank: &BankCode) -> bool {
        let mut added = added();
        if added.contains(&bank) {
            return true;
        }
        if BankCode::BANKS.len() + 1 + added.len() > usize::from(u8::MAX) {
            return false;
        }
        added.push(Box::leak(Box::new(bank.clone())));
        true
    }

    pub(super) fn of(bank: &BankCode) -> Self {
        if let Some(i) = index_in(BankCode::BANKS, bank) {
            return Self(i + 1);
        }
        let offset = BankCode::BANKS.len() + 1;
        let added = added().iter().position(|b| *b == bank);
        Self(
            added
                .and_then(|i| u8::try_from(offset + i).ok())
                .unwrap_or(0),
        )
    }

    pub(super) fn get(self) -> &'static BankCode {
        let i = usize::from(self.0);
        match i {
            0 => &PAY123,
            i if i <= BankCode::BANKS.len() => &BankCode::BANKS[i - 1],
            i => added()
                .get(i - BankCode::BANKS.len() - 1)
                .copied()
                .unwrap_or(&PAY123),
        }
    }
}

/// `item`'s index in `list`, when it is there: the lists of the specification are short enough
/// for a `u8`.
fn index_in<T: PartialEq>(list: &[T], item: &T) -> Option<u8> {
    list.iter()
        .position(|x| x == item)
        .and_then(|i| u8::try_from(i).ok())
}

/// What the sandbox keeps of a createOrder: the amount, the bank asked for, the description and
/// the three URLs (the cancel and error ones only when they differ from the redirect one).
#[derive(Debug)]
pub(super) struct Order {
    pub(super) total_amount: u64,
    /// createOrder's `clientIP`, the buyer's address as the merchant saw it.
    pub(super) client_ip: Option<std::net::Ipv4Addr>,
    pub(super) bank: Bank,
    pub(super) description: Box<str>,
    pub(super) redirect_url: Box<str>,
    pub(super) cancel_url: Option<Box<str>>,
    pub(super) error_url: Option<Box<str>>,
}

impl Order {
    pub(super) fn new(order: &CreateOrder) -> Self {
        let other =
            |url: &str| (url != order.redirect_url() && !url.is_empty()).then(|| url.into());
        Self {
            total_amount: order.total_amount(),
            client_ip: order.client_ip().parse().ok(),
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
    pub(super) fn return_url_for(&self, status: &TransactionStatus) -> &str {
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
pub(super) struct Progress {
    pub(super) card_failures: u32,
    pub(super) otp_failures: u32,
    /// What a timeout reports: the last wrong input, if any.
    pub(super) last_error: Option<TransactionStatus>,
    pub(super) debit: Option<Debit>,
    pub(super) otp_sent_at: Option<SystemTime>,
    pub(super) resolve_at: Option<SystemTime>,
    /// What the bank charged, once paid.
    pub(super) op_amount: u64,
    /// The `totalAmount` queryOrder reports instead of the order's.
    pub(super) reported_total_amount: Option<u64>,
    pub(super) attempts: Vec<NotifyAttempt>,
}

/// One event of a transaction's history (most texts are fixed: no allocation).
#[derive(Debug, Clone)]
pub(super) struct Event {
    pub(super) at: SystemTime,
    pub(super) status: Status,
    pub(super) kind: EventKind,
    pub(super) text: Cow<'static, str>,
}

impl Record {
    /// Whether the buyer can still act on the bank pages.
    pub(super) fn in_session(&self) -> bool {
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
    pub(super) fn deadline(&self) -> SystemTime {
        self.created_at + Duration::from_millis(u64::from(self.session_ms))
    }

    /// When the transaction changes by itself next, if it does: its session ends on the bank
    /// pages, or the bank answers ([`expire_due`](Self::expire_due)).
    pub(super) fn next_due(&self) -> Option<SystemTime> {
        match self.step {
            Step::ChooseBank | Step::Card | Step::Otp => Some(self.deadline()),
            Step::AwaitingBank => self.progress.as_ref().and_then(|p| p.resolve_at),
            _ => None,
        }
    }

    /// What the bank charged (0 before a payment).
    pub(super) fn op_amount(&self) -> u64 {
        self.progress.as_ref().map_or(0, |p| p.op_amount)
    }

    /// The `totalAmount` queryOrder reports instead of the order's, if set.
    pub(super) fn reported_total_amount(&self) -> Option<u64> {
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
    pub(super) fn progress(&mut self) -> &mut Progress {
        self.progress.get_or_insert_with(Box::default)
    }

    /// A step of the transaction's own course.
    pub(crate) fn event(
        &mut self,
        now: SystemTime,
        event: impl Into<Cow<'static, str>>,
        fx: &mut Effects,
    ) {
        self.event_of(EventKind::Step, now, event, fx);
    }

    /// An event of this kind.
    pub(crate) fn event_of(
        &mut self,
        kind: EventKind,
        now: SystemTime,
        event: impl Into<Cow<'static, str>>,
        fx: &mut Effects,
    ) {
        self.history.push(Event {
            at: now,
            status: self.status,
            kind,
            text: event.into(),
        });
        fx.changed();
    }

    pub(super) fn set_status(
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
    pub(super) fn finish(
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

    /// A wrong card or OTP at the current step, refused with `error` (what a timeout then
    /// reports): counted, and the [`MAX_ATTEMPTS`]th wrong attempt at the step ends the
    /// transaction (`None`); before it, `Some` holds the attempts left.
    pub(super) fn wrong_attempt(
        &mut self,
        error: TransactionStatus,
        now: SystemTime,
        fx: &mut Effects,
    ) -> Option<u32> {
        let step = self.step;
        let progress = self.progress();
        progress.last_error = Some(error);
        let (failures, three_times, event) = match step {
            Step::Otp => (
                &mut progress.otp_failures,
                TransactionStatus::WrongOtpThreeTimes,
                "wrong OTP three times",
            ),
            _ => (
                &mut progress.card_failures,
                TransactionStatus::WrongCardInfoThreeTimes,
                "wrong card details three times",
            ),
        };
        *failures += 1;
        let left = MAX_ATTEMPTS.saturating_sub(*failures);
        if left == 0 {
            self.finish(three_times, now, event, fx);
            return None;
        }
        Some(left)
    }

    /// Schedules a delivery of the notify: it counts as in progress from now, so that a waiter
    /// on `notify_in_progress` never sees the moment before it starts.
    pub(crate) fn schedule_delivery(&mut self, fx: &mut Effects) {
        self.deliveries_running += 1;
        fx.deliver.push(self.key.clone());
    }

    /// Ends the session on the bank pages: the buyer left (`how` says how it ended: the
    /// session's timeout, or the admin API). The status is the last wrong input, else nothing
    /// entered at the step.
    pub(super) fn end_session(&mut self, how: &str, now: SystemTime, fx: &mut Effects) {
        let (nothing_entered, event) = if self.step == Step::Otp {
            (
                TransactionStatus::NoOtp,
                format!("{how} at the OTP step: the buyer left the page"),
            )
        } else {
            (
                TransactionStatus::NoPaymentInfo,
                format!("{how}: the buyer left the page"),
            )
        };
        let status = self
            .progress
            .as_ref()
            .and_then(|p| p.last_error.clone())
            .unwrap_or(nothing_entered);
        self.finish(status, now, event, fx);
    }

    /// The buyer left the page (the session timed out), or the bank's late result arrived.
    pub(super) fn expire_due(&mut self, now: SystemTime, fx: &mut Effects) {
        match self.step {
            Step::ChooseBank | Step::Card | Step::Otp if now >= self.deadline() => {
                self.end_session("session timed out", now, fx);
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
