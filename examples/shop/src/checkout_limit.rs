//! How many checkouts one address may make: each is a createOrder at 123PAY and an order the
//! reconciler asks about until its session ends, so a script must not make thousands.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Checkouts one address may make per minute, unless the shop is told otherwise
/// ([`Shop::with_checkouts_per_minute`](crate::Shop::with_checkouts_per_minute)).
pub const CHECKOUTS_PER_MINUTE: u32 = 20;

/// Addresses kept before the old windows are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Per address, the start of its current minute and its checkouts in it.
#[derive(Debug, Default)]
pub(crate) struct CheckoutLimit {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl CheckoutLimit {
    /// Whether `ip` may check out now (and counts it), with at most `per_minute` per minute
    /// (0: no limit).
    pub(crate) fn allow(&self, ip: IpAddr, per_minute: u32) -> bool {
        if per_minute == 0 {
            return true;
        }
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= PRUNE_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < minute);
        }
        // One IPv6 host has a /64 of addresses: one allowance for it, not one per address.
        let key = pay123_core::slots::client_key(ip);
        let window = windows.entry(key).or_insert((now, 0));
        if now.duration_since(window.0) >= minute {
            *window = (now, 0);
        }
        if window.1 >= per_minute {
            return false;
        }
        window.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_per_minute() {
        let limit = CheckoutLimit::default();
        let a: IpAddr = "203.113.1.10".parse().unwrap();
        let b: IpAddr = "203.113.1.11".parse().unwrap();
        for _ in 0..3 {
            assert!(limit.allow(a, 3));
        }
        assert!(!limit.allow(a, 3));
        assert!(limit.allow(b, 3), "another address has its own share");
        assert!(limit.allow(a, 0), "0 is no limit");
        // An IPv6 host's addresses share one allowance.
        for n in 1..=3 {
            let v6: IpAddr = format!("2001:db8:0:7::{n}").parse().unwrap();
            assert!(limit.allow(v6, 3));
        }
        assert!(!limit.allow("2001:db8:0:7::99".parse().unwrap(), 3));
        assert!(limit.allow("2001:db8:0:8::1".parse().unwrap(), 3));
    }
}
