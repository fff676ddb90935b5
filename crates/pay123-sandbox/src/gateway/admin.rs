//! The in-process admin API: listings, forced statuses, resent notifies, injected failures.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use pay123_core::{ReturnCode, TransactionStatus};

use crate::transaction::{
    AdminError, EventKind, HistoryEntry, InjectedFailure, Method, Refusal, ReturnUrls, Transaction,
    TransactionRef,
};

use super::*;

impl Gateway {
    // ---- the in-process admin API ---------------------------------------------------------

    /// Every transaction, oldest first (`GET /_sandbox/transactions`).
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
        Ok(self.page(self.cursor(after)?, limit))
    }

    /// The sequence of a listing's cursor: a `123PAYtransactionId`, or an `mTransactionID`.
    pub(super) fn cursor(&self, id: Option<&str>) -> Result<Option<u64>, AdminError> {
        id.map(|id| {
            self.sequence_of_pay123_id(id)
                .or_else(|| self.sequence_of(id))
                .ok_or_else(|| AdminError::UnknownAfter(id.to_owned()))
        })
        .transpose()
    }

    /// The sequence of the transaction whose `123PAYtransactionId` is `id` (as
    /// [`Record::transaction_id`] writes it): its last 7 digits are the sequence's (modulo
    /// [`ID_SEQUENCES`]), the date before them checked with the record's.
    pub(super) fn sequence_of_pay123_id(&self, id: &str) -> Option<u64> {
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
    pub(super) fn sequence_of(&self, m_transaction_id: &str) -> Option<u64> {
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

    pub(super) fn page(&self, after: Option<u64>, limit: usize) -> Vec<Transaction> {
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

    /// The transaction (an `mTransactionID`: the newest one if several merchants used it; or a
    /// [`TransactionRef`]), with its history and notify attempts
    /// (`GET /_sandbox/transactions/{id}`).
    #[must_use]
    pub fn transaction<'a>(&self, which: impl Into<TransactionRef<'a>>) -> Option<Transaction> {
        self.with_transaction(which.into(), |_, _, _| Ok(())).ok()
    }

    /// Runs `f` under the lock on the transaction (the newest one with its `mTransactionID`, of
    /// its merchant when given), after ending it if it is due; the transaction as `f` left it.
    pub(super) fn with_transaction(
        &self,
        which: TransactionRef<'_>,
        f: impl FnOnce(&mut Record, SystemTime, &mut Effects) -> Result<(), AdminError>,
    ) -> Result<Transaction, AdminError> {
        let TransactionRef {
            merchant_code,
            m_transaction_id,
        } = which;
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
            f(record, now, fx)?;
            Ok(self.snapshot(record))
        })
    }

    /// Ends a pending transaction with a final status, as the buyer's bank would, and sends
    /// the notify (`POST /_sandbox/transactions/{id}/status`).
    pub fn force_status<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
        status: TransactionStatus,
    ) -> Result<Transaction, AdminError> {
        if !status.is_final() {
            return Err(AdminError::NotFinal(status.code().to_owned()));
        }
        if !status.is_status_of_a_transaction() {
            return Err(AdminError::NotAStatusOfATransaction);
        }
        self.with_transaction(which.into(), |record, now, fx| {
            if record.status().is_final() {
                return Err(AdminError::AlreadyFinal(record.status().code().to_owned()));
            }
            record.finish(status, now, "status forced through the admin API", fx);
            Ok(())
        })
    }

    /// The buyer left the bank pages: ends the session of a pending transaction now, as its
    /// timeout (`--session-timeout`) would, with the status the timeout reports at its step
    /// (`7210`, or `7220` at the OTP step; or the last wrong input: `7231`, `7232`, `7222`), and
    /// sends the notify.
    /// A go-live check uses it instead of waiting 15 minutes.
    pub fn time_out<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
    ) -> Result<Transaction, AdminError> {
        self.with_transaction(which.into(), |record, now, fx| {
            if !record.in_session() {
                return Err(AdminError::NotOnTheBankPages(
                    record.status().code().to_owned(),
                ));
            }
            record.end_session("session timed out through the admin API", now, fx);
            Ok(())
        })
    }

    /// Writes `note` in the transaction's history (as a step): what a tool driving the sandbox
    /// did with it, such as the go-live check's case.
    pub fn annotate<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
        note: impl Into<String>,
    ) -> Result<Transaction, AdminError> {
        let note = note.into();
        self.with_transaction(which.into(), |record, now, fx| {
            record.event(now, note, fx);
            Ok(())
        })
    }

    /// Sends the notify of a final transaction again (a new delivery, with its retries)
    /// (`POST /_sandbox/transactions/{id}/notify`).
    pub fn resend_notify<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
    ) -> Result<Transaction, AdminError> {
        self.with_transaction(which.into(), |record, now, fx| {
            if !record.status().is_final() {
                return Err(AdminError::Pending(record.status().code().to_owned()));
            }
            record.event(now, "notify resent through the admin API", fx);
            record.schedule_delivery(fx);
            Ok(())
        })
    }

    /// From now on queryOrder reports `amount` as this transaction's `totalAmount` (and, once
    /// paid, as its `opAmount`): "the gateway reports 1 VND", to test that a merchant checks
    /// the amount before fulfilling an order. `None` reports the order's amount again. The bank
    /// pages and the notify (which carries no amount) do not change
    /// (`POST /_sandbox/transactions/{id}/total-amount`).
    pub fn report_total_amount<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
        amount: Option<u64>,
    ) -> Result<Transaction, AdminError> {
        self.with_transaction(which.into(), |record, now, fx| {
            record.progress().reported_total_amount = amount;
            let event = match amount {
                Some(amount) => format!("queryOrder reports totalAmount {amount} from now on"),
                None => "queryOrder reports the order's totalAmount again".to_owned(),
            };
            record.event(now, event, fx);
            Ok(())
        })
    }

    /// `method` answers `[code, description]` to the next `calls` authenticated calls, or to
    /// every call until [`clear_failure`](Self::clear_failure) when `calls` is `None`, whatever
    /// the transaction; `Some(0)` clears. The other method is not affected. Replaces an earlier
    /// failure of the method. Only a code of the method's error table in the specification is
    /// taken ([`Method::error_codes`]): createOrder's `6200` or `7200`, queryOrder's `5000`...
    /// (`POST /_sandbox/create-order/fail`, `/_sandbox/query-order/fail`).
    pub fn fail(
        &self,
        method: Method,
        code: ReturnCode,
        calls: Option<u32>,
    ) -> Result<Option<InjectedFailure>, AdminError> {
        if !method.error_codes().contains(&code) {
            return Err(AdminError::NotInErrorTable {
                method,
                code: code.code().to_owned(),
            });
        }
        let failure = (calls != Some(0)).then_some(InjectedFailure {
            code,
            calls_left: calls,
        });
        self.with_global(|global, fx| {
            global.failures[method.index()].clone_from(&failure);
            fx.changed();
        });
        Ok(failure)
    }

    /// `method` answers normally again (`POST /_sandbox/create-order/clear`,
    /// `/_sandbox/query-order/clear`).
    pub fn clear_failure(&self, method: Method) {
        self.with_global(|global, fx| {
            global.failures[method.index()] = None;
            fx.changed();
        });
    }

    /// The queryOrder calls answered with a status (about a known transaction or not) since the
    /// start or the last reset.
    #[must_use]
    pub fn query_order_calls(&self) -> u64 {
        self.inner.query_calls.load(Ordering::Relaxed)
    }

    /// The failure in force for `method`, if any.
    #[must_use]
    pub fn failure(&self, method: Method) -> Option<InjectedFailure> {
        self.global().failures[method.index()].clone()
    }

    /// The code an authenticated call of `method` answers now, if a failure is injected; counts
    /// the call.
    pub(crate) fn take_failure(&self, method: Method) -> Option<ReturnCode> {
        self.with_global(|global, fx| {
            let slot = &mut global.failures[method.index()];
            let failure = slot.as_mut()?;
            let code = failure.code.clone();
            if let Some(left) = &mut failure.calls_left {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    *slot = None;
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
                // Anyone may send a refused request about a transaction: its history keeps
                // the first ones only.
                if let Some(record) = record.filter(|r| r.history.len() < HISTORY_KEPT) {
                    let event = format!(
                        "{} refused with {}: {}",
                        refusal.method, refusal.code, refusal.detail
                    );
                    record.event_of(EventKind::Refusal, refusal.at, event, fx);
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

    /// The next notify is not sent at all (recorded as dropped), as if it were lost
    /// (`POST /_sandbox/notify/drop-next`).
    pub fn drop_next_notify(&self) {
        self.with_global(|global, fx| {
            global.drop_next += 1;
            fx.changed();
        });
    }

    /// Forgets every transaction, the notifies to drop and the injected failures;
    /// deliveries still running stop (`POST /_sandbox/reset`).
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
    pub async fn wait_for<'a>(
        &self,
        which: impl Into<TransactionRef<'a>>,
        timeout: Duration,
        mut predicate: impl FnMut(&Transaction) -> bool,
    ) -> Option<Transaction> {
        let which = which.into();
        let mut changes = self.inner.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(t) = self.transaction(which)
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

    pub(super) fn snapshot(&self, record: &Record) -> Transaction {
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
            client_ip: record.order.client_ip,
            total_amount: record.order.total_amount,
            op_amount: record.op_amount(),
            reported_total_amount: record.reported_total_amount(),
            description: record.order.description.to_string(),
            payment_url: self.page_url(record.token.as_str()),
            return_urls: ReturnUrls {
                redirect: record.order.redirect_url.to_string(),
                cancel: record.order.cancel_url.as_deref().map(str::to_owned),
                error: record.order.error_url.as_deref().map(str::to_owned),
            },
            step: record.step,
            created_at: record.created_at,
            session_deadline: record.deadline(),
            history: std::iter::once(&Event {
                at: record.created_at,
                status: Status::of(&TransactionStatus::New),
                kind: EventKind::Step,
                text: Cow::Borrowed("createOrder accepted"),
            })
            .chain(&record.history)
            .map(|e| HistoryEntry {
                at: e.at,
                status: e.status.get().clone(),
                event: e.text.to_string(),
                kind: e.kind,
            })
            .collect(),
            notify_attempts: record.attempts().to_vec(),
            notify_in_progress: record.deliveries_running > 0,
            query_calls: u64::from(record.queries),
        }
    }
}
