//! What keeps the flows from asking 123PAY more than they must: one confirmation per payment at
//! a time on this instance ([`OrderLocks`]), and a limit on the return page's queries
//! ([`ReturnQueries`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use futures_util::lock::{Mutex as AsyncMutex, OwnedMutexGuard};

/// One lock per payment being worked on: concurrent notifies for one payment wait for each
/// other, so that a thousand duplicates cost a few queryOrders. The others find the payment final
/// and answer `2`; or, when 123PAY's answer left it open (pending, or the call failed), they
/// learn that it was asked moments before ([`OrderGuard::asked_since`]) and leave the retry to
/// 123PAY.
#[derive(Debug, Default)]
pub(crate) struct OrderLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    /// When 123PAY was last asked about a payment under its lock.
    asked: Mutex<HashMap<String, SystemTime>>,
}

/// The lock of one payment; the last holder's drop forgets it.
pub(crate) struct OrderGuard<'a> {
    locks: &'a OrderLocks,
    m_transaction_id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl OrderGuard<'_> {
    /// Whether 123PAY was asked about the payment, under this lock, at `since` or later.
    pub(crate) fn asked_since(&self, since: SystemTime) -> bool {
        lock(&self.locks.asked)
            .get(&self.m_transaction_id)
            .is_some_and(|at| *at >= since)
    }

    /// Says that 123PAY is asked about the payment at `now`.
    pub(crate) fn asked(&self, now: SystemTime, keep: Duration) {
        let mut asked = lock(&self.locks.asked);
        if asked.len() >= PRUNE_ABOVE {
            asked.retain(|_, at| now.duration_since(*at).is_ok_and(|age| age < keep));
        }
        asked.insert(self.m_transaction_id.clone(), now);
    }
}

impl OrderLocks {
    pub(crate) async fn lock(&self, m_transaction_id: &str) -> OrderGuard<'_> {
        let lock = {
            let mut locks = lock(&self.locks);
            // A waiter dropped before its turn (its request gone) leaves its payment's lock
            // behind: forget the ones nobody holds or waits for.
            if locks.len() >= PRUNE_ABOVE {
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            Arc::clone(locks.entry(m_transaction_id.to_owned()).or_default())
        };
        let guard = lock.lock_owned().await;
        OrderGuard {
            locks: self,
            m_transaction_id: m_transaction_id.to_owned(),
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().unwrap().len()
    }
}

impl Drop for OrderGuard<'_> {
    fn drop(&mut self) {
        let mut locks = lock(&self.locks.locks);
        drop(self.guard.take());
        // Only the map holds it now: nobody waits.
        if locks
            .get(&self.m_transaction_id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.m_transaction_id);
        }
    }
}

/// The fewest time between two return-page queryOrders for one payment, unless set otherwise
/// ([`Payments::with_return_query_interval`](super::Payments::with_return_query_interval)).
pub const RETURN_QUERY_INTERVAL: Duration = Duration::from_secs(2);

/// The most return-page queryOrders under way at once, all payments together: 12 for returns
/// with a verified ticket (buyers 123PAY sent back), 4 for the others (reloads, forged or
/// expired tickets), so that the others cannot take every slot.
pub const RETURN_QUERY_CONCURRENCY: usize = 16;

/// The slots of [`RETURN_QUERY_CONCURRENCY`] kept for returns without a verified ticket.
const UNVERIFIED_SLOTS: usize = 4;

/// Slots kept before the old ones are forgotten.
const PRUNE_ABOVE: usize = 4096;

/// How often the return page may ask 123PAY about a payment. The return page is public and its
/// URL is easy to replay: without a limit, each reload would be a queryOrder, and a script could
/// make a merchant hammer 123PAY.
#[derive(Debug)]
pub(crate) struct ReturnQueries {
    slots: Mutex<HashMap<String, Slot>>,
    verified: AtomicUsize,
    unverified: AtomicUsize,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    started: SystemTime,
    in_flight: bool,
}

/// Why the return page did not ask 123PAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skipped {
    /// A query for this payment is under way.
    InFlight,
    /// One was made less than the interval ago.
    Recent,
    /// [`RETURN_QUERY_CONCURRENCY`] queries are under way.
    Busy,
}

/// The right to make one queryOrder; dropping it ends the query.
pub(crate) struct Turn<'a> {
    queries: &'a ReturnQueries,
    m_transaction_id: String,
    verified: bool,
}

impl Default for ReturnQueries {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            verified: AtomicUsize::new(0),
            unverified: AtomicUsize::new(0),
        }
    }
}

impl ReturnQueries {
    fn pool(&self, verified: bool) -> (&AtomicUsize, usize) {
        if verified {
            (&self.verified, RETURN_QUERY_CONCURRENCY - UNVERIFIED_SLOTS)
        } else {
            (&self.unverified, UNVERIFIED_SLOTS)
        }
    }

    /// A turn to query `m_transaction_id` at `now`, unless one is under way, one started less
    /// than `interval` ago, or too many queries of its kind (`verified` ticket or not) are under
    /// way.
    pub(crate) fn turn(
        &self,
        m_transaction_id: &str,
        interval: Duration,
        verified: bool,
        now: SystemTime,
    ) -> Result<Turn<'_>, Skipped> {
        let recent = |slot: &Slot| {
            now.duration_since(slot.started)
                .is_ok_and(|since| since < interval)
                || now < slot.started
        };
        let mut slots = lock(&self.slots);
        if let Some(slot) = slots.get(m_transaction_id) {
            if slot.in_flight {
                return Err(Skipped::InFlight);
            }
            if recent(slot) {
                return Err(Skipped::Recent);
            }
        }
        let (pool, size) = self.pool(verified);
        pool.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < size).then_some(n + 1)
        })
        .map_err(|_| Skipped::Busy)?;
        if slots.len() >= PRUNE_ABOVE {
            slots.retain(|_, slot| slot.in_flight || recent(slot));
        }
        slots.insert(
            m_transaction_id.to_owned(),
            Slot {
                started: now,
                in_flight: true,
            },
        );
        Ok(Turn {
            queries: self,
            m_transaction_id: m_transaction_id.to_owned(),
            verified,
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut slots = lock(&self.queries.slots);
        if let Some(slot) = slots.get_mut(&self.m_transaction_id) {
            slot.in_flight = false;
        }
        self.queries
            .pool(self.verified)
            .0
            .fetch_sub(1, Ordering::AcqRel);
    }
}

/// The map behind `mutex`, poisoned or not: a panic while it was held leaves it whole (each
/// change is one insert, update or removal), and the flows must go on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_asked_about_once_per_interval() {
        let queries = ReturnQueries::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let interval = Duration::from_secs(2);
        let turn = queries.turn("A", interval, true, now).unwrap();
        assert_eq!(
            queries.turn("A", interval, true, now).err(),
            Some(Skipped::InFlight)
        );
        drop(turn);
        assert_eq!(
            queries
                .turn("A", interval, true, now + Duration::from_secs(1))
                .err(),
            Some(Skipped::Recent)
        );
        assert!(queries.turn("A", interval, true, now + interval).is_ok());
    }

    #[test]
    fn unverified_returns_cannot_take_every_slot() {
        let queries = ReturnQueries::default();
        let now = SystemTime::UNIX_EPOCH;
        let held: Vec<_> = (0..UNVERIFIED_SLOTS)
            .map(|i| {
                queries
                    .turn(&format!("U{i}"), Duration::ZERO, false, now)
                    .unwrap()
            })
            .collect();
        assert_eq!(
            queries.turn("U9", Duration::ZERO, false, now).err(),
            Some(Skipped::Busy)
        );
        let verified: Vec<_> = (0..RETURN_QUERY_CONCURRENCY - UNVERIFIED_SLOTS)
            .map(|i| {
                queries
                    .turn(&format!("V{i}"), Duration::ZERO, true, now)
                    .unwrap()
            })
            .collect();
        assert_eq!(
            queries.turn("V99", Duration::ZERO, true, now).err(),
            Some(Skipped::Busy)
        );
        drop(held);
        drop(verified);
        assert!(queries.turn("U9", Duration::ZERO, false, now).is_ok());
    }

    #[test]
    fn locks_left_by_waiters_gone_are_forgotten() {
        let locks = OrderLocks::default();
        futures_executor::block_on(async {
            for i in 0..PRUNE_ABOVE * 2 {
                let id = format!("P{i}");
                let holder = locks.lock(&id).await;
                // A waiter that is polled once, then dropped after the holder left.
                let mut waiter = Box::pin(locks.lock(&id));
                assert!(futures_util::FutureExt::now_or_never(waiter.as_mut()).is_none());
                drop(holder);
                drop(waiter);
            }
        });
        assert!(locks.len() <= PRUNE_ABOVE, "{}", locks.len());
    }

    #[test]
    fn locks_serialize_one_payment_and_are_forgotten() {
        let locks = OrderLocks::default();
        futures_executor::block_on(async {
            let first = locks.lock("A").await;
            let mut second = std::pin::pin!(locks.lock("A"));
            assert!(futures_util::FutureExt::now_or_never(second.as_mut()).is_none());
            let other = locks.lock("B").await;
            drop(first);
            let second = second.await;
            drop(other);
            drop(second);
        });
        assert_eq!(locks.len(), 0);
    }
}
