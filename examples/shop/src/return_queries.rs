//! How often the return page may ask 123PAY about an order. The return page is public and its
//! URL is easy to replay: without a limit, each reload of a pending order's page would be a
//! queryOrder, and a script could make a merchant hammer 123PAY.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The fewest time between two return-page queryOrders for one order, unless the shop is told
/// otherwise ([`Shop::with_return_query_interval`](crate::Shop::with_return_query_interval)).
pub const RETURN_QUERY_INTERVAL: Duration = Duration::from_secs(2);

/// The most return-page queryOrders under way at once, all orders together: 12 for returns
/// with a verified ticket (buyers 123PAY sent back), 4 for the others (reloads of the order
/// page, forged or expired tickets), so that the others cannot take every slot.
pub const RETURN_QUERY_CONCURRENCY: usize = 16;

/// The slots of [`RETURN_QUERY_CONCURRENCY`] kept for returns without a verified ticket.
const UNVERIFIED_SLOTS: usize = 4;

/// Slots kept before the old ones are forgotten.
const PRUNE_ABOVE: usize = 4096;

#[derive(Debug)]
pub(crate) struct ReturnQueries {
    slots: Mutex<HashMap<String, Slot>>,
    verified: Arc<Semaphore>,
    unverified: Arc<Semaphore>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    started: Instant,
    in_flight: bool,
}

/// Why the return page did not ask 123PAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skipped {
    /// A query for this order is under way.
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
    _permit: OwnedSemaphorePermit,
}

impl ReturnQueries {
    pub(crate) fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            verified: Arc::new(Semaphore::new(RETURN_QUERY_CONCURRENCY - UNVERIFIED_SLOTS)),
            unverified: Arc::new(Semaphore::new(UNVERIFIED_SLOTS)),
        }
    }

    /// A turn to query `m_transaction_id`, unless one is under way, one started less than
    /// `interval` ago, or too many queries of its kind (`verified` ticket or not) are under way.
    pub(crate) fn turn(
        &self,
        m_transaction_id: &str,
        interval: Duration,
        verified: bool,
    ) -> Result<Turn<'_>, Skipped> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(slot) = slots.get(m_transaction_id) {
            if slot.in_flight {
                return Err(Skipped::InFlight);
            }
            if now.duration_since(slot.started) < interval {
                return Err(Skipped::Recent);
            }
        }
        let pool = if verified {
            &self.verified
        } else {
            &self.unverified
        };
        let permit = Arc::clone(pool)
            .try_acquire_owned()
            .map_err(|_| Skipped::Busy)?;
        if slots.len() >= PRUNE_ABOVE {
            slots.retain(|_, slot| slot.in_flight || now.duration_since(slot.started) < interval);
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
            _permit: permit,
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut slots = self
            .queries
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(&self.m_transaction_id) {
            slot.in_flight = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_per_order_at_a_time_and_per_interval() {
        let queries = ReturnQueries::new();
        let turn = queries.turn("A", Duration::ZERO, true).unwrap();
        assert_eq!(
            queries.turn("A", Duration::ZERO, true).err(),
            Some(Skipped::InFlight)
        );
        // Another order has its own turn.
        drop(queries.turn("B", Duration::ZERO, true).unwrap());
        drop(turn);
        assert!(queries.turn("A", Duration::ZERO, true).is_ok());
        let _ = queries.turn("C", Duration::from_secs(60), true).unwrap();
        assert_eq!(
            queries.turn("C", Duration::from_secs(60), true).err(),
            Some(Skipped::Recent)
        );
    }

    #[test]
    fn at_most_the_concurrency_at_once_and_some_kept_for_verified_returns() {
        let queries = ReturnQueries::new();
        // Returns without a verified ticket take their own slots only.
        let others: Vec<_> = (0..UNVERIFIED_SLOTS)
            .map(|n| {
                queries
                    .turn(&format!("o{n}"), Duration::ZERO, false)
                    .unwrap()
            })
            .collect();
        assert_eq!(
            queries.turn("o-more", Duration::ZERO, false).err(),
            Some(Skipped::Busy)
        );
        let verified: Vec<_> = (0..RETURN_QUERY_CONCURRENCY - UNVERIFIED_SLOTS)
            .map(|n| {
                queries
                    .turn(&format!("v{n}"), Duration::ZERO, true)
                    .unwrap()
            })
            .collect();
        assert_eq!(
            queries.turn("v-more", Duration::ZERO, true).err(),
            Some(Skipped::Busy)
        );
        drop(others);
        drop(verified);
        assert!(queries.turn("more", Duration::ZERO, false).is_ok());
    }
}
