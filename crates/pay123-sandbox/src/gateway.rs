//! The sandbox's state: merchants, transactions and their bank-page sessions. Every change of a
//! transaction goes through [`Gateway::mutate`], which records history, wakes waiters and starts
//! notify deliveries once the lock is released.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

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

/// How many refusals `GET /_sandbox/refusals` keeps.
const REFUSALS_KEPT: usize = 200;

/// A transaction is known by its merchant and the merchant's `mTransactionID`.
pub(crate) type Key = (String, String);

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
    store: Mutex<Store>,
    version: watch::Sender<u64>,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) client: pay123_hyper::HyperClient,
    pub(crate) runtime: tokio::runtime::Handle,
}

#[derive(Debug)]
pub(crate) struct MerchantEntry {
    pub(crate) credentials: Credentials,
    pub(crate) notify_url: Option<Uri>,
}

impl AsRef<Credentials> for MerchantEntry {
    fn as_ref(&self) -> &Credentials {
        &self.credentials
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) records: HashMap<Key, Record>,
    tokens: HashMap<String, Key>,
    sequence: u64,
    pub(crate) drop_next: u32,
    /// The failure queryOrder answers, when one is injected.
    query_failure: Option<QueryOrderFailure>,
    /// Bumped by reset, so that deliveries of forgotten transactions stop.
    pub(crate) generation: u64,
    /// The last refused requests, oldest first.
    refusals: std::collections::VecDeque<Refusal>,
    /// queryOrder calls answered with a status (known or not), since the start or the last
    /// reset.
    query_calls: u64,
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

/// A transaction and its bank-page session.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) key: Key,
    pub(crate) generation: u64,
    sequence: u64,
    pub(crate) transaction_id: String,
    order: CreateOrder,
    token: String,
    pub(crate) status: TransactionStatus,
    step: Step,
    pub(crate) bank_used: BankCode,
    op_amount: u64,
    /// The `totalAmount` queryOrder reports instead of the order's.
    reported_total_amount: Option<u64>,
    created_at: SystemTime,
    deadline: SystemTime,
    card_failures: u32,
    otp_failures: u32,
    /// What a timeout reports: the last wrong input, if any.
    last_error: Option<TransactionStatus>,
    debit: Option<Debit>,
    otp_sent_at: Option<SystemTime>,
    resolve_at: Option<SystemTime>,
    history: Vec<HistoryEntry>,
    pub(crate) attempts: Vec<NotifyAttempt>,
    pub(crate) deliveries: u32,
    pub(crate) deliveries_running: u32,
    /// queryOrder calls answered about it.
    queries: u64,
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
                    },
                )
            })
            .collect();
        let store = Store {
            // 123PAY ids look like 123P1707110106638: a date and a 7-digit sequence. Starting
            // the sequence anywhere keeps ids apart across restarts.
            sequence: rand::rng().random_range(0..5_000_000),
            ..Store::default()
        };
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
                store: Mutex::new(store),
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

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a change under the lock; then wakes waiters and starts the notifies it called for.
    pub(crate) fn mutate<R>(&self, f: impl FnOnce(&mut Store, &mut Effects) -> R) -> R {
        let mut effects = Effects::default();
        let result = {
            let mut store = self.lock();
            f(&mut store, &mut effects)
        };
        if effects.changed {
            self.inner.version.send_modify(|v| *v += 1);
        }
        for key in effects.deliver {
            self.spawn_delivery(key);
        }
        result
    }

    /// Ends the sessions and pending results that are due.
    pub(crate) fn expire_due(&self) {
        let now = self.now();
        self.mutate(|store, fx| {
            for record in store.records.values_mut() {
                record.expire_due(now, fx);
            }
        });
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
        order: CreateOrder,
    ) -> Result<CreatedOrder, ReturnCode> {
        let now = self.now();
        let session_timeout = self.inner.config.session_timeout;
        self.mutate(|store, fx| {
            let key = (
                merchant_code.to_owned(),
                order.m_transaction_id().to_owned(),
            );
            if store.records.contains_key(&key) {
                return Err(ReturnCode::DuplicateTransaction);
            }
            store.sequence += 1;
            let sequence = store.sequence;
            let date = chrono::DateTime::<chrono::Utc>::from(now).format("%y%m%d");
            let transaction_id = format!("123P{date}{:07}", sequence % 10_000_000);
            // Lowercase letters and digits: the page URL is signed in the createOrder answer, and
            // with no uppercase letter it can never hold a bank code (see the core's
            // `Rule::EndsWithBankCode`).
            const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            let mut rng = rand::rng();
            let token: String = (0..32)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect();
            let bank = order.bank_code();
            let step = if bank == BankCode::Pay123 {
                Step::ChooseBank
            } else {
                Step::Card
            };
            let mut record = Record {
                key: key.clone(),
                generation: store.generation,
                sequence,
                transaction_id: transaction_id.clone(),
                token: token.clone(),
                status: TransactionStatus::New,
                step,
                bank_used: bank,
                op_amount: 0,
                reported_total_amount: None,
                created_at: now,
                deadline: now + session_timeout,
                card_failures: 0,
                otp_failures: 0,
                last_error: None,
                debit: None,
                otp_sent_at: None,
                resolve_at: None,
                history: Vec::new(),
                attempts: Vec::new(),
                deliveries: 0,
                deliveries_running: 0,
                queries: 0,
                order,
            };
            record.event(now, "createOrder accepted", fx);
            store.tokens.insert(token.clone(), key.clone());
            store.records.insert(key, record);
            Ok(CreatedOrder::new(transaction_id, self.page_url(&token)))
        })
    }

    /// The status answered to a queryOrder: `-10` for an unknown `mTransactionID`.
    pub(crate) fn query(&self, merchant_code: &str, m_transaction_id: &str) -> OrderStatus {
        let now = self.now();
        self.mutate(|store, fx| {
            store.query_calls += 1;
            let key = (merchant_code.to_owned(), m_transaction_id.to_owned());
            match store.records.get_mut(&key) {
                Some(record) => {
                    record.queries += 1;
                    record.expire_due(now, fx);
                    let reported = record.reported_total_amount;
                    let total_amount = reported.unwrap_or(record.order.total_amount());
                    // What the bank charged is the reported amount once paid.
                    let op_amount = match record.op_amount {
                        0 => 0,
                        charged => reported.unwrap_or(charged),
                    };
                    OrderStatus::new(
                        record.transaction_id.clone(),
                        record.status.clone(),
                        total_amount.to_string(),
                        op_amount.to_string(),
                        record.bank_used.clone(),
                    )
                    .with_description(unaccent(record.status.vietnamese()))
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
        self.mutate(|store, fx| {
            let key = store.tokens.get(token)?;
            let record = store.records.get_mut(key)?;
            record.expire_due(now, fx);
            Some(f(self, record, now, fx))
        })
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
                PageOutcome::Redirect(gw.page_url(&record.token))
            }
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The bank choice form.
    pub(crate) fn choose_bank(&self, token: &str, bank_code: &str) -> PageOutcome {
        let maintenance = &self.inner.config.banks_under_maintenance;
        self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::ChooseBank {
                return PageOutcome::Redirect(gw.page_url(&record.token));
            }
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
                record.event(now, &format!("bank choice refused: {bank_code:?}"), fx);
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            record.event(now, &format!("bank chosen: {bank}"), fx);
            record.bank_used = bank;
            record.step = Step::Card;
            PageOutcome::Redirect(gw.page_url(&record.token))
        })
        .unwrap_or(PageOutcome::NotFound)
    }

    /// The card form: checked at once for empty or malformed fields, then by the bank (after
    /// the configured latency, with the status at `10` meanwhile).
    pub(crate) async fn submit_card(&self, token: &str, form: &CardForm) -> PageOutcome {
        let checked = self.with_session(token, |gw, record, now, fx| {
            if record.step != Step::Card {
                return Err(PageOutcome::Redirect(gw.page_url(&record.token)));
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
                || record.status != TransactionStatus::CheckingAccount
            {
                return PageOutcome::Redirect(gw.page_url(&record.token));
            }
            match check {
                CardCheck::Accepted(debit) => {
                    record.debit = Some(debit);
                    record.otp_sent_at = Some(now);
                    record.last_error = None;
                    record.step = Step::Otp;
                    record.set_status(
                        TransactionStatus::AwaitingOtp,
                        now,
                        "card accepted; OTP sent",
                        fx,
                    );
                    PageOutcome::Redirect(gw.page_url(&record.token))
                }
                CardCheck::Refused(status) => {
                    let event = format!("the bank refused the card: {}", status.english());
                    record.finish(status, now, &event, fx);
                    PageOutcome::Redirect(gw.return_url(record, now))
                }
                CardCheck::Wrong(status) => {
                    record.card_failures += 1;
                    record.last_error = Some(status.clone());
                    if record.card_failures >= MAX_ATTEMPTS {
                        record.finish(
                            TransactionStatus::WrongCardInfoThreeTimes,
                            now,
                            "wrong card details three times",
                            fx,
                        );
                        return PageOutcome::Redirect(gw.return_url(record, now));
                    }
                    let left = MAX_ATTEMPTS - record.card_failures;
                    record.event(
                        now,
                        &format!(
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
                return Err(PageOutcome::Redirect(gw.page_url(&record.token)));
            }
            if otp.is_empty() {
                record.finish(TransactionStatus::NoOtp, now, "no OTP entered", fx);
                return Err(PageOutcome::Redirect(gw.return_url(record, now)));
            }
            let sent = record.otp_sent_at.unwrap_or(record.created_at);
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
                return PageOutcome::Redirect(gw.page_url(&record.token));
            }
            if otp != cards::TEST_OTP {
                record.otp_failures += 1;
                record.last_error = Some(TransactionStatus::WrongOtp);
                if record.otp_failures >= MAX_ATTEMPTS {
                    record.finish(
                        TransactionStatus::WrongOtpThreeTimes,
                        now,
                        "wrong OTP three times",
                        fx,
                    );
                    return PageOutcome::Redirect(gw.return_url(record, now));
                }
                let left = MAX_ATTEMPTS - record.otp_failures;
                record.event(now, &format!("wrong OTP; {}", attempts_left(left)), fx);
                let message = format!(
                    "{}. Bạn còn {left} lần nhập. (Wrong OTP; {}.)",
                    TransactionStatus::WrongOtp.vietnamese(),
                    attempts_left(left)
                );
                return PageOutcome::Show(Box::new(gw.view(record, Some(message))));
            }
            match record.debit.clone().unwrap_or(Debit::Success) {
                Debit::Success => {
                    record.finish(TransactionStatus::Success, now, "paid", fx);
                }
                Debit::Fail(status) => {
                    let event = format!("the bank refused the debit: {}", status.english());
                    record.finish(status, now, &event, fx);
                }
                Debit::Unknown => {
                    record.step = Step::AwaitingBank;
                    record.resolve_at = Some(now + gw.inner.config.unknown_result_delay);
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
        let attempts_left = match record.step {
            Step::Otp => MAX_ATTEMPTS - record.otp_failures,
            _ => MAX_ATTEMPTS - record.card_failures,
        };
        PageView {
            step: record.step,
            token: record.token.clone(),
            merchant_code: record.key.0.clone(),
            m_transaction_id: record.key.1.clone(),
            transaction_id: record.transaction_id.clone(),
            amount: record.order.total_amount(),
            description: record.order.description().to_owned(),
            bank: record.bank_used.clone(),
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
        let order = &record.order;
        let url = order.return_url_for(&record.status).to_owned();
        let Some(merchant) = self.merchant(&record.key.0) else {
            return url;
        };
        match ReturnTicket::new(order.m_transaction_id(), record.status.clone(), now) {
            Ok(ticket) => ticket.redirect_url(&url, merchant.credentials.secret_key()),
            Err(_) => url,
        }
    }

    // ---- the in-process admin API ---------------------------------------------------------

    /// Every transaction, oldest first.
    #[must_use]
    pub fn transactions(&self) -> Vec<Transaction> {
        self.expire_due();
        let store = self.lock();
        let mut records: Vec<&Record> = store.records.values().collect();
        records.sort_by_key(|r| r.sequence);
        records.into_iter().map(|r| self.snapshot(r)).collect()
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
        self.mutate(|store, fx| {
            let record = store
                .records
                .values_mut()
                .filter(|r| {
                    r.key.1 == m_transaction_id && merchant_code.is_none_or(|code| r.key.0 == code)
                })
                .max_by_key(|r| r.sequence)
                .ok_or_else(|| AdminError::NotFound(m_transaction_id.to_owned()))?;
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
            if record.status.is_final() {
                return Err(AdminError::AlreadyFinal(record.status.code().to_owned()));
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
            if !record.status.is_final() {
                return Err(AdminError::Pending(record.status.code().to_owned()));
            }
            record.event(now, "notify resent through the admin API", fx);
            fx.deliver.push(record.key.clone());
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
            record.reported_total_amount = amount;
            let event = match amount {
                Some(amount) => format!("queryOrder reports totalAmount {amount} from now on"),
                None => "queryOrder reports the order's totalAmount again".to_owned(),
            };
            record.event(now, &event, fx);
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
        self.mutate(|store, fx| {
            store.query_failure.clone_from(&failure);
            fx.changed();
        });
        Ok(failure)
    }

    /// queryOrder answers normally again.
    pub fn clear_query_order_failure(&self) {
        self.mutate(|store, fx| {
            store.query_failure = None;
            fx.changed();
        });
    }

    /// The queryOrder calls answered with a status (about a known transaction or not) since the
    /// start or the last reset.
    #[must_use]
    pub fn query_order_calls(&self) -> u64 {
        self.lock().query_calls
    }

    /// The queryOrder failure in force, if any.
    #[must_use]
    pub fn query_order_failure(&self) -> Option<QueryOrderFailure> {
        self.lock().query_failure.clone()
    }

    /// The code an authenticated queryOrder call answers now, if a failure is injected; counts
    /// the call.
    pub(crate) fn take_query_failure(&self) -> Option<ReturnCode> {
        self.mutate(|store, fx| {
            let failure = store.query_failure.as_mut()?;
            let code = failure.code.clone();
            if let Some(left) = &mut failure.calls_left {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    store.query_failure = None;
                }
            }
            fx.changed();
            Some(code)
        })
    }

    /// Keeps a refused request for `GET /_sandbox/refusals`, and in the history of its
    /// transaction when there is one (a duplicate `mTransactionID`, a queryOrder refused).
    pub(crate) fn record_refusal(&self, refusal: Refusal) {
        self.mutate(|store, fx| {
            if let (Some(merchant), Some(id)) = (&refusal.merchant_code, &refusal.m_transaction_id)
                && let Some(record) = store.records.get_mut(&(merchant.clone(), id.clone()))
            {
                let event = format!(
                    "{} refused with {}: {}",
                    refusal.method, refusal.code, refusal.detail
                );
                record.event(refusal.at, &event, fx);
            }
            if store.refusals.len() == REFUSALS_KEPT {
                store.refusals.pop_front();
            }
            store.refusals.push_back(refusal);
            fx.changed();
        });
    }

    /// The last refused createOrder and queryOrder requests, oldest first, with why.
    #[must_use]
    pub fn refusals(&self) -> Vec<Refusal> {
        self.lock().refusals.iter().cloned().collect()
    }

    /// The next notify is not sent at all (recorded as dropped), as if it were lost.
    pub fn drop_next_notify(&self) {
        self.mutate(|store, fx| {
            store.drop_next += 1;
            fx.changed();
        });
    }

    /// Forgets every transaction, the notifies to drop and the injected queryOrder failure;
    /// deliveries still running stop.
    pub fn reset(&self) {
        self.mutate(|store, fx| {
            store.records.clear();
            store.tokens.clear();
            store.drop_next = 0;
            store.query_failure = None;
            store.refusals.clear();
            store.generation += 1;
            fx.changed();
        });
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
            merchant_code: record.key.0.clone(),
            m_transaction_id: record.key.1.clone(),
            transaction_id: record.transaction_id.clone(),
            status: record.status.clone(),
            status_text: record.status.vietnamese(),
            status_english: record.status.english(),
            is_final: record.status.is_final(),
            requested_bank: record.order.bank_code(),
            bank_code: record.bank_used.clone(),
            total_amount: record.order.total_amount(),
            op_amount: record.op_amount,
            reported_total_amount: record.reported_total_amount,
            description: record.order.description().to_owned(),
            payment_url: self.page_url(&record.token),
            step: record.step,
            created_at: record.created_at,
            session_deadline: record.deadline,
            history: record.history.clone(),
            notify_attempts: record.attempts.clone(),
            notify_in_progress: record.deliveries_running > 0,
            query_calls: record.queries,
        }
    }

    pub(crate) fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.lock()
    }
}

impl Record {
    /// Whether the buyer can still act on the bank pages.
    fn in_session(&self) -> bool {
        matches!(self.step, Step::ChooseBank | Step::Card | Step::Otp)
    }

    pub(crate) fn event(&mut self, now: SystemTime, event: &str, fx: &mut Effects) {
        self.history.push(HistoryEntry {
            at: now,
            status: self.status.clone(),
            event: event.to_owned(),
        });
        fx.changed();
    }

    fn set_status(
        &mut self,
        status: TransactionStatus,
        now: SystemTime,
        event: &str,
        fx: &mut Effects,
    ) {
        self.status = status;
        self.event(now, event, fx);
    }

    /// Ends the transaction and schedules its notify.
    fn finish(
        &mut self,
        status: TransactionStatus,
        now: SystemTime,
        event: &str,
        fx: &mut Effects,
    ) {
        if status.is_success() {
            self.op_amount = self.order.total_amount();
        }
        self.step = Step::Finished;
        self.set_status(status, now, event, fx);
        fx.deliver.push(self.key.clone());
    }

    /// The buyer left the page (the session timed out), or the bank's late result arrived.
    fn expire_due(&mut self, now: SystemTime, fx: &mut Effects) {
        match self.step {
            Step::ChooseBank | Step::Card if now >= self.deadline => {
                let status = self
                    .last_error
                    .clone()
                    .unwrap_or(TransactionStatus::NoPaymentInfo);
                self.finish(
                    status,
                    now,
                    "session timed out: the buyer left the page",
                    fx,
                );
            }
            Step::Otp if now >= self.deadline => {
                let status = self.last_error.clone().unwrap_or(TransactionStatus::NoOtp);
                self.finish(
                    status,
                    now,
                    "session timed out at the OTP step: the buyer left the page",
                    fx,
                );
            }
            Step::AwaitingBank if self.resolve_at.is_some_and(|at| now >= at) => {
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
