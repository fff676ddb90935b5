//! [`FairSlots`]: a fair share of the connection slots between addresses (feature `fair-slots`).

use std::any::Any;
use std::net::Shutdown;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use pay123_core::proxy::TrustedProxies;
use pay123_core::slots::FairShare;

/// actix-web caps the connections of each worker (`HttpServer::max_connections`), not those of
/// one address: a handful of clients holding connections take every slot. This applies
/// `pay123_core::slots`'s rule when a connection is accepted, before its first byte is read: at
/// most a quarter of the slots from one address, and from an address that holds connections,
/// one more only while a fair share of the slots stays free; a connection refused is closed at
/// once. The last slots go to addresses that hold none: a buyer arriving, 123PAY's notify.
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use pay123_actix::FairSlots;
///
/// # fn run() -> std::io::Result<()> {
/// let (max_connections, workers) = (2048, 2);
/// let fair = FairSlots::new(max_connections);
/// let server = HttpServer::new(|| App::new())
///     .workers(workers)
///     .max_connections(max_connections.div_ceil(workers))
///     .on_connect(fair.on_connect()) // before `bind`
///     .bind("127.0.0.1:3000")?
///     .run();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FairSlots {
    max_connections: usize,
    /// The per-address cap the app set; the core's share of the total otherwise.
    max_per_ip: Option<usize>,
    proxies: TrustedProxies,
}

impl FairSlots {
    /// For a server of `max_connections` connections in all (the workers' caps together); at
    /// most a quarter of them from one address.
    #[must_use]
    pub fn new(max_connections: usize) -> Self {
        let max_connections = max_connections.max(1);
        Self {
            max_connections,
            max_per_ip: None,
            proxies: TrustedProxies::none(),
        }
    }

    /// At most `connections` from one address.
    #[must_use]
    pub fn max_connections_per_ip(mut self, connections: usize) -> Self {
        self.max_per_ip = Some(connections);
        self
    }

    /// The reverse proxies in front of the server, which carry many clients: held to the
    /// total only (the proxy limits each client).
    #[must_use]
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// The callback for `HttpServer::on_connect`, shared by every worker (set it before
    /// `bind` or `listen`).
    pub fn on_connect(&self) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
        let mut share = FairShare::for_total(self.max_connections);
        if let Some(max_per_ip) = self.max_per_ip {
            share = share.with_max_per_ip(max_per_ip);
        }
        let share = share.with_trusted_proxies(self.proxies.clone());
        let max = self.max_connections;
        move |connection, extensions| {
            let Some(stream) = connection.downcast_ref::<TcpStream>() else {
                return;
            };
            let Ok(peer) = stream.peer_addr() else {
                return;
            };
            let free = max.saturating_sub(share.open() + 1);
            match share.take(peer.ip(), free) {
                // Kept with the connection's data: given back when the connection ends.
                Some(slot) => {
                    extensions.insert(slot);
                }
                None => {
                    tracing::debug!(%peer, "too many connections from this address; closed");
                    let _ = socket2::SockRef::from(stream).shutdown(Shutdown::Both);
                }
            }
        }
    }
}
