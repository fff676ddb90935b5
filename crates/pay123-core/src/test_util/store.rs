//! [`MemoryStore`], a [`PaymentStore`] in memory, and [`check_store`], the contract every store
//! must keep.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::merchant::payments::{Payment, PaymentState, PaymentStore, Source};
use crate::message::bank::BankCode;
use crate::message::status::TransactionStatus;

/// The payments in memory, with each payment's history (every version with a note): for tests,
/// and for the examples of the documentation. Lost when the process stops: an app uses its
/// database (`pay123-sqlx`, or a [`PaymentStore`] of its own).
///
/// Clones share the payments. [`fail`](Self::fail) makes every call fail, as a database that is
/// down.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    payments: HashMap<String, Payment>,
    history: HashMap<String, Vec<Payment>>,
    failing: bool,
}

/// [`MemoryStore`]'s error: it was told to [`fail`](MemoryStore::fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the memory store is failing, as told")]
pub struct MemoryStoreDown;

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(&self) -> Result<std::sync::MutexGuard<'_, State>, MemoryStoreDown> {
        let state = self.state();
        if state.failing {
            return Err(MemoryStoreDown);
        }
        Ok(state)
    }

    /// Makes every call fail (`true`) or work again.
    pub fn fail(&self, failing: bool) {
        self.state().failing = failing;
    }

    /// The payment as stored, whatever [`fail`](Self::fail) says.
    #[must_use]
    pub fn get(&self, m_transaction_id: &str) -> Option<Payment> {
        self.state().payments.get(m_transaction_id).cloned()
    }

    /// Every version of the payment that has a note, oldest first.
    #[must_use]
    pub fn history(&self, m_transaction_id: &str) -> Vec<Payment> {
        self.state()
            .history
            .get(m_transaction_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every payment, in no order.
    #[must_use]
    pub fn all(&self) -> Vec<Payment> {
        self.state().payments.values().cloned().collect()
    }

    fn remember(state: &mut State, payment: &Payment) {
        if payment.note.is_some() {
            state
                .history
                .entry(payment.m_transaction_id.clone())
                .or_default()
                .push(payment.clone());
        }
    }
}

impl PaymentStore for MemoryStore {
    type Error = MemoryStoreDown;

    async fn insert(&self, payment: &Payment) -> Result<bool, MemoryStoreDown> {
        let mut state = self.open()?;
        if state.payments.contains_key(&payment.m_transaction_id) {
            return Ok(false);
        }
        state
            .payments
            .insert(payment.m_transaction_id.clone(), payment.clone());
        Self::remember(&mut state, payment);
        Ok(true)
    }

    async fn load(&self, m_transaction_id: &str) -> Result<Option<Payment>, MemoryStoreDown> {
        Ok(self.open()?.payments.get(m_transaction_id).cloned())
    }

    async fn load_by_pay123_transaction_id(
        &self,
        id: &str,
    ) -> Result<Option<Payment>, MemoryStoreDown> {
        let state = self.open()?;
        let found = state
            .payments
            .values()
            .find(|p| p.pay123_transaction_id.as_deref() == Some(id));
        Ok(found.cloned())
    }

    async fn update(
        &self,
        payment: &Payment,
        expected_version: u64,
    ) -> Result<bool, MemoryStoreDown> {
        let mut state = self.open()?;
        match state.payments.get_mut(&payment.m_transaction_id) {
            Some(stored) if stored.version == expected_version => {
                *stored = payment.clone();
                Self::remember(&mut state, payment);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn due(&self, now: SystemTime, limit: usize) -> Result<Vec<Payment>, MemoryStoreDown> {
        let state = self.open()?;
        let mut due: Vec<Payment> = state
            .payments
            .values()
            .filter(|p| p.next_check_at.is_some_and(|at| at <= now))
            .cloned()
            .collect();
        due.sort_by(|a, b| {
            (a.next_check_at, &a.m_transaction_id).cmp(&(b.next_check_at, &b.m_transaction_id))
        });
        due.truncate(limit);
        Ok(due)
    }
}

/// Checks that a [`PaymentStore`] keeps the contract the payment flow relies on, on fresh
/// stores made by `fresh`: one payment per `mTransactionID`, every field read back as written
/// (times to the millisecond), updates only from the expected version, and `due` in order,
/// without the payments that are not due. Panics, naming the broken rule.
///
/// Run it in the tests of a store of your own:
///
/// ```
/// use pay123_core::test_util::{MemoryStore, check_store};
/// futures_executor::block_on(check_store(|| async { MemoryStore::default() }));
/// ```
pub async fn check_store<S, F, Fut>(fresh: F)
where
    S: PaymentStore,
    S::Error: std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let at = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(1_499_789_401_000 + ms);

    // Insert, once per id; every field read back.
    let store = fresh().await;
    let mut full = Payment::restore(
        "ORDER-1",
        u64::from(u32::MAX) * 1000,
        PaymentState::Pending,
        at(1),
        1,
    );
    full.pay123_transaction_id = Some("123P1707110106638".to_owned());
    full.payment_url = Some("https://sandbox.123pay.vn/banksim/index.html?a=1&b=\u{e1}".to_owned());
    full.transaction_status = Some(TransactionStatus::from_code("4242"));
    full.bank_code = Some(BankCode::from_code("123PXYZ"));
    full.op_amount = Some(99_000);
    full.error_code = Some("amount_mismatch".to_owned());
    full.error_detail = Some("123PAY reports \"90000\"".to_owned());
    full.note = Some("Ghi chú: đã thanh toán".to_owned());
    full.source = Source::Return;
    full.updated_at = at(2_345);
    full.next_check_at = Some(at(3_456));
    full.check_attempts = 7;
    assert!(
        store.insert(&full).await.expect("insert"),
        "insert: a new payment is written"
    );
    let mut other = full.clone();
    other.amount = 1;
    assert!(
        !store.insert(&other).await.expect("insert"),
        "insert: a second payment with the same mTransactionID is refused (Ok(false))"
    );
    assert_eq!(
        store.load("ORDER-1").await.expect("load").as_ref(),
        Some(&full),
        "load: every field reads back as inserted, and a refused insert changes nothing"
    );
    assert_eq!(
        store.load("ORDER-2").await.expect("load"),
        None,
        "load: an unknown id is None"
    );
    assert_eq!(
        store
            .load_by_pay123_transaction_id("123P1707110106638")
            .await
            .expect("load by 123PAY's id")
            .as_ref(),
        Some(&full),
        "load_by_pay123_transaction_id: the payment with this 123PAYtransactionId"
    );
    assert_eq!(
        store
            .load_by_pay123_transaction_id("123P1707110106639")
            .await
            .expect("load by 123PAY's id"),
        None,
        "load_by_pay123_transaction_id: an unknown id is None"
    );
    let mut bare = Payment::restore("ORDER-2", 1, PaymentState::Creating, at(5), 1);
    bare.next_check_at = None;
    assert!(store.insert(&bare).await.expect("insert"));
    assert_eq!(
        store.load("ORDER-2").await.expect("load").as_ref(),
        Some(&bare),
        "load: absent fields read back as None"
    );

    // Update, only from the expected version; never an insert.
    let next = Payment {
        version: 2,
        state: PaymentState::Paid,
        next_check_at: None,
        note: None,
        ..full.clone()
    };
    let stale = Payment {
        version: 2,
        state: PaymentState::Failed,
        ..full.clone()
    };
    let unknown = Payment {
        m_transaction_id: "ORDER-9".to_owned(),
        ..next.clone()
    };
    for (payment, updated, stored, what) in [
        (
            &next,
            true,
            Some(&next),
            "from the stored version, every field written",
        ),
        (
            &stale,
            false,
            Some(&next),
            "refused (Ok(false)) when the stored version is not the expected one, changing nothing",
        ),
        (
            &unknown,
            false,
            None,
            "an unknown id is Ok(false), never inserted",
        ),
    ] {
        let id = &payment.m_transaction_id;
        assert_eq!(
            store.update(payment, 1).await.expect("update"),
            updated,
            "update: {what}"
        );
        assert_eq!(
            store.load(id).await.expect("load").as_ref(),
            stored,
            "update: {what}"
        );
    }

    // Due: in order, at most `limit`, not the others.
    let store = fresh().await;
    for (id, due) in [
        ("D3", Some(30)),
        ("D1", Some(10)),
        ("NO", None),
        ("LATER", Some(100)),
        ("D2", Some(20)),
    ] {
        let mut p = Payment::restore(id, 1000, PaymentState::Pending, at(0), 1);
        p.next_check_at = due.map(at);
        assert!(store.insert(&p).await.expect("insert"));
    }
    let ids = |due: Vec<Payment>| {
        due.into_iter()
            .map(|p| p.m_transaction_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.due(at(30), 10).await.expect("due")),
        ["D1", "D2", "D3"],
        "due: next_check_at at or before now, the earliest first, never a payment without one"
    );
    assert_eq!(
        ids(store.due(at(30), 2).await.expect("due")),
        ["D1", "D2"],
        "due: at most limit"
    );
    assert!(
        store.due(at(5), 10).await.expect("due").is_empty(),
        "due: nothing due yet"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_keeps_the_contract() {
        futures_executor::block_on(check_store(|| async { MemoryStore::default() }));
    }

    #[test]
    fn history_keeps_the_versions_with_a_note() {
        let store = MemoryStore::default();
        let at = SystemTime::UNIX_EPOCH;
        futures_executor::block_on(async {
            let mut p = Payment::restore("A", 1, PaymentState::Creating, at, 1);
            p.note = Some("recorded".to_owned());
            store.insert(&p).await.unwrap();
            let mut quiet = p.clone();
            quiet.version = 2;
            quiet.note = None;
            store.update(&quiet, 1).await.unwrap();
            store.fail(true);
            assert!(store.load("A").await.is_err());
        });
        assert_eq!(store.history("A").len(), 1);
        assert_eq!(store.get("A").unwrap().version, 2);
    }
}
