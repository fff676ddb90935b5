//! Fair connection slots: [`FairShare`], the rule a server applies to each connection it accepts
//! so that a handful of addresses cannot take every slot.
//!
//! A server holds at most so many connections. A client that opens many and keeps them (slow
//! heads, idle keep-alive) can fill them all, and a buyer or 123PAY's notify then waits or is
//! refused. The rule: an address may hold at most [`FairShare::max_per_ip`] connections, and an
//! address that holds some already gets one more only while at least [`FAIR_SHARE`] times what it
//! holds is still free. As the server fills, what a busy address may add shrinks to nothing, and
//! the last slots go to addresses that hold none; and the last [reserve](FairShare::with_reserve)
//! (an eighth of the server, as pay123's servers set it) goes to them alone. Filling the server
//! then takes at least as many addresses as the reserve holds, beyond the handful that fill the
//! rest. A trusted proxy, which carries many clients, is held to the server's total only (the
//! proxy limits each client).
//!
//! pay123-hyper's server and `pay123_actix::FairSlots` apply it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::proxy::TrustedProxies;

/// An address that holds connections may take another only while at least this many times what
/// it holds is free.
pub const FAIR_SHARE: usize = 2;

/// What counts as one client: an IPv4 address (an IPv4-mapped IPv6 address is its IPv4
/// address), or an IPv6 /64 network, the block one host or one subscriber gets: counting IPv6
/// addresses one by one would give a single host as many shares as it has addresses.
#[must_use]
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::from([
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                ])
            }
        },
    }
}

/// The connections open per address, and the rule for one more. Cloning shares the counts.
#[derive(Debug, Clone)]
pub struct FairShare {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_ip: usize,
    reserve: usize,
    proxies: Arc<TrustedProxies>,
}

impl FairShare {
    /// At most `max_per_ip` connections from one address (at least 1).
    #[must_use]
    pub fn new(max_per_ip: usize) -> Self {
        Self {
            open: Arc::default(),
            max_per_ip: max_per_ip.max(1),
            reserve: 0,
            proxies: Arc::default(),
        }
    }

    /// The share of a server of `max_connections`, as pay123's servers apply it: a quarter of
    /// them per address at most, the last eighth kept for addresses that hold none.
    #[must_use]
    pub fn for_total(max_connections: usize) -> Self {
        Self::new(max_connections / 4).with_reserve(max_connections / 8)
    }

    /// At most `max_per_ip` connections from one address (at least 1).
    #[must_use]
    pub fn with_max_per_ip(mut self, max_per_ip: usize) -> Self {
        self.max_per_ip = max_per_ip.max(1);
        self
    }

    /// Keeps the last `slots` free slots for addresses that hold none: a client arriving,
    /// 123PAY's notify. pay123's servers keep an eighth of their connections so.
    #[must_use]
    pub fn with_reserve(mut self, slots: usize) -> Self {
        self.reserve = slots;
        self
    }

    /// With these proxies, held to the total only.
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    /// The most connections from one address.
    #[must_use]
    pub fn max_per_ip(&self) -> usize {
        self.max_per_ip
    }

    /// The connections open (with a [`Slot`]), all addresses together; a trusted proxy's are not
    /// counted.
    #[must_use]
    pub fn open(&self) -> usize {
        self.counts().values().sum()
    }

    /// A slot for a new connection from `ip` while `free` other slots of the server are free,
    /// or `None` when the rule refuses it (close the connection at once). A trusted proxy always
    /// gets one (`Some`, counted nowhere). Keep the slot as long as the connection.
    #[must_use]
    pub fn take(&self, ip: IpAddr, free: usize) -> Option<Slot> {
        if self.proxies.contains(ip) {
            return Some(Slot { share: None, ip });
        }
        let ip = client_key(ip);
        let mut open = self.counts();
        let count = open.get(&ip).copied().unwrap_or(0);
        if count >= self.max_per_ip || (count > 0 && count * FAIR_SHARE + self.reserve > free) {
            return None;
        }
        open.insert(ip, count + 1);
        Some(Slot {
            share: Some(self.clone()),
            ip,
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's place in a [`FairShare`], given back when dropped.
#[derive(Debug)]
pub struct Slot {
    share: Option<FairShare>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(share) = &self.share else { return };
        let mut open = share.counts();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, n])
    }

    #[test]
    fn a_busy_address_gives_way_as_the_server_fills() {
        let share = FairShare::new(10);
        let total = 40;
        let mut held = Vec::new();
        for attacker in 10..15 {
            for _ in 0..12 {
                let free = total - held.len() - 1;
                if let Some(slot) = share.take(ip(attacker), free) {
                    held.push(slot);
                }
            }
        }
        assert_eq!(share.open(), held.len());
        assert!(held.len() <= 36, "{} held", held.len());
        // A newcomer gets in while anything is free.
        let free = total - held.len() - 1;
        assert!(share.take(ip(20), free).is_some());
        // Slots come back.
        held.clear();
        assert_eq!(share.open(), 0);
        let taken: Vec<_> = (0..10).filter_map(|_| share.take(ip(10), 1000)).collect();
        assert_eq!(taken.len(), 10);
        assert!(share.take(ip(10), 1000).is_none(), "the per-address cap");
    }

    /// Addresses opening their connections in a planned order (the largest first) fill every
    /// slot the share allows; the reserve stays for addresses that hold none.
    #[test]
    fn the_reserve_stays_for_newcomers() {
        let total = 40;
        let share = FairShare::new(10).with_reserve(total / 8);
        let mut held = Vec::new();
        for (attacker, wanted) in [10, 10, 7, 5, 3, 2, 1, 1, 1].into_iter().enumerate() {
            for _ in 0..wanted + 2 {
                let free = total - held.len() - 1;
                if let Some(slot) = share.take(ip(u8::try_from(attacker).unwrap() + 30), free) {
                    held.push(slot);
                }
            }
        }
        // Each attacker's first connection may take a reserved slot; nothing more does.
        assert!(held.len() <= total - total / 8 + 9, "{} held", held.len());
        assert!(held.len() < total, "{} held", held.len());
        let free = total - held.len() - 1;
        assert!(share.take(ip(99), free).is_some(), "a newcomer gets in");
    }

    #[test]
    fn an_ipv6_host_is_one_client_however_many_addresses_it_uses() {
        let share = FairShare::new(3);
        let host = |n: u16| IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, n]);
        let slots: Vec<_> = (1..10).filter_map(|n| share.take(host(n), 1000)).collect();
        assert_eq!(slots.len(), 3);
        let other = IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]);
        assert!(share.take(other, 1000).is_some());
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(mapped), IpAddr::from([10, 0, 0, 1]));
    }

    #[test]
    fn a_trusted_proxy_is_not_counted() {
        let share = FairShare::new(2).with_trusted_proxies("127.0.0.5".parse().unwrap());
        let slots: Vec<_> = (0..50).filter_map(|_| share.take(ip(5), 0)).collect();
        assert_eq!(slots.len(), 50);
        assert_eq!(share.open(), 0);
    }
}
