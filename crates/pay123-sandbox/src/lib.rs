//! A local 123PAY for development, CI and demos: the gateway side of `pay123-core` in an axum
//! server.
//!
//! - `POST /miservice/createOrder1` and `POST /miservice/queryOrder1` answer as 123PAY does
//!   (HTTP 415, `6100`, `6000`, `6206`, `6212`, `6203`, status `-10`, injected `5000` / `7300`,
//!   and any code of the method's error table on demand), signed with the merchant's key.
//! - The bank pages (`/banksim/...`) are HTML forms that work without JavaScript: bank choice,
//!   card entry and OTP. The specification's test card pays; [trigger cards](cards) end in each
//!   failure status. At the end the buyer is sent (303) to the merchant's URL with the return
//!   parameters and their MD5 `ticket`.
//! - On every final status a signed notify is posted to the merchant's listener, the reply is
//!   verified, and failed attempts are retried with backoff. Every attempt is recorded.
//! - The admin API under `/_sandbox/` (and the same methods in process, on [`Sandbox`] and
//!   [`Gateway`]) lists transactions, forces a final status, resends or drops notifies, makes
//!   createOrder or queryOrder fail, queryOrder report another `totalAmount`, resets.
//!
//! Every message is parsed, signed and verified by `pay123-core`, whose tables (error codes,
//! statuses, banks) it reads; it adds the gateway's business rules only. The time is read from [`Config::clock`], so tests can move it forward.
//!
//! ```
//! use pay123_sandbox::{Config, start};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = Config::default().with_notify_url("http://127.0.0.1:3000/123pay/notify");
//! let sandbox = start(listener, config).await?;
//! // Point a merchant's pay123 client at the sandbox (credentials MICODE / MIPASSCODE / MIKEY):
//! let endpoints = sandbox.endpoints();
//! assert_eq!(
//!     endpoints.create_order().to_string(),
//!     format!("{}/miservice/createOrder1", sandbox.base_url())
//! );
//! assert!(sandbox.transactions().is_empty());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! To serve it inside another axum server, build a [`Gateway`] (with
//! [`Config::public_url`] set to where it is mounted) and nest [`router`].

mod admin;
mod api;
pub mod cards;
pub mod cli;
mod config;
mod dashboard;
pub mod docs;
pub mod explain;
mod gateway;
mod guard;
mod notify;
mod pages;
mod transaction;

use std::fmt;
use std::future::IntoFuture;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use pay123_core::Endpoints;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Config, Faults, Merchant};
pub use gateway::{Gateway, TransactionFilter};
pub use guard::AdminToken;
pub use pay123_axum::server::{Limits, connection_cap};
pub use pay123_core::clock::{Clock, ManualClock, SystemClock};
pub use transaction::{
    AdminError, AttemptOutcome, EventKind, HistoryEntry, InjectedFailure, Method, NotifyAttempt,
    Refusal, ReturnUrls, Step, Transaction, TransactionRef,
};

/// Every route of the sandbox, with its state: merge it into another server or nest it under
/// a prefix (then set [`Config::public_url`] to that prefix's URL).
///
/// | route | what |
/// |---|---|
/// | `POST /miservice/createOrder1`, `POST /createOrder1` | createOrder |
/// | `POST /miservice/queryOrder1`, `POST /queryOrder1` | queryOrder |
/// | `GET /banksim/{session}` | the current bank page, or a 303 back to the merchant |
/// | `POST /banksim/{session}/bank`, `/card`, `/otp`, `/cancel` | the bank page forms |
/// | `GET /_sandbox/`, `/_sandbox/transactions`, `/_sandbox/transactions/{id}`, `/_sandbox/refusals` | admin: read (JSON; the dashboard's pages for a browser, `Accept: text/html`) |
/// | `GET /_sandbox/login`, `POST /_sandbox/login`, `GET /_sandbox/dashboard.js` | the dashboard's login (with an admin token) and script |
/// | `POST /_sandbox/transactions/{id}/status`, `/notify`, `/time-out`, `/total-amount`; `/_sandbox/notify/drop-next`; `/_sandbox/create-order/fail`, `/clear`; `/_sandbox/query-order/fail`, `/clear`; `/_sandbox/reset` | admin: act |
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/miservice/createOrder1", post(api::create_order))
        .route("/miservice/queryOrder1", post(api::query_order))
        .route("/createOrder1", post(api::create_order))
        .route("/queryOrder1", post(api::query_order))
        .route("/banksim/{token}", get(pages::show))
        .route("/banksim/{token}/bank", post(pages::choose_bank))
        .route("/banksim/{token}/card", post(pages::card))
        .route("/banksim/{token}/otp", post(pages::otp))
        .route("/banksim/{token}/cancel", post(pages::cancel))
        .route("/_sandbox", get(admin::index))
        .route("/_sandbox/", get(admin::index))
        .nest("/_sandbox", admin::routes())
        .layer(middleware::from_fn_with_state(
            gateway.clone(),
            guard::admin,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(gateway)
}

/// One line per request: method, path, status, time taken. Bodies (which hold the passcode)
/// are never logged.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = masked_path(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// A bank page session id in a URL lets anyone act for the buyer: logs show its first 4
/// characters only.
fn masked_path(path: &str) -> String {
    match path.strip_prefix("/banksim/") {
        Some(rest) => {
            let (token, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let shown: String = token.chars().take(4).collect();
            format!("/banksim/{shown}…{tail}")
        }
        None => path.to_owned(),
    }
}

/// Serves the sandbox on `listener` in a spawned task, with the header, body and idle timeouts
/// and the connection cap of [`Config::server_limits`]. Buyer URLs use [`Config::public_url`],
/// or the listening address when it is `None`.
///
/// Fails on an invalid configuration (no merchant, a notify URL that is not `http(s)://`, a
/// rate outside 0..=1) or outside a Tokio runtime.
pub async fn start(listener: TcpListener, mut config: Config) -> io::Result<Sandbox> {
    let mut addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(
            listen = %addr,
            admin_token = config.admin_token.is_some(),
            "the sandbox listens beyond this machine: its bank pages and gateway methods are open \
             to the network; its admin API answers this machine only, unless an admin token is set"
        );
    }
    if addr.ip().is_unspecified() {
        // Listening on every interface: hand out loopback URLs.
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let base_url = format!("http://{addr}");
    if config.public_url.is_none() {
        config.public_url = Some(base_url.clone());
    }
    let endpoints = Endpoints::from_base(&format!("{base_url}/miservice"))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let gateway = Gateway::new(config)?;
    let app = router(gateway.clone());
    let (shutdown, signal) = oneshot::channel::<()>();
    let limits = gateway.config().server_limits;
    let server = tokio::spawn(
        pay123_axum::server::serve(listener, app)
            .limits(limits)
            .with_graceful_shutdown(async {
                // A dropped sender stops the server too.
                let _ = signal.await;
            })
            .into_future(),
    );
    Ok(Sandbox {
        addr,
        base_url,
        endpoints,
        gateway,
        shutdown: Some(shutdown),
        server: Some(server),
    })
}

/// A running sandbox. Dropping it stops the server; [`shutdown`](Self::shutdown) also waits
/// for it to finish.
///
/// It dereferences to its [`Gateway`]: the in-process admin API ([`transactions`],
/// [`force_status`], [`fail`], [`wait_for`]...) is called on it directly, as
/// `sandbox.force_status(id, status)`.
///
/// [`transactions`]: Gateway::transactions
/// [`force_status`]: Gateway::force_status
/// [`fail`]: Gateway::fail
/// [`wait_for`]: Gateway::wait_for
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    endpoints: Endpoints,
    gateway: Gateway,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// The address it listens on (loopback when it listens on every interface).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// `base_url` + `/miservice/createOrder1` and `/miservice/queryOrder1`.
    #[must_use]
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints.clone()
    }

    /// The state behind the server.
    #[must_use]
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Stops accepting requests, lets running ones finish (for at most 5 seconds), and stops
    /// the notify deliveries.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut server)
                .await
                .is_err()
        {
            server.abort();
        }
        self.gateway.stop();
    }
}

impl Deref for Sandbox {
    type Target = Gateway;

    fn deref(&self) -> &Gateway {
        &self.gateway
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.gateway.stop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn session_ids_are_masked_in_logs() {
        assert_eq!(
            super::masked_path("/banksim/abcdefgh/card"),
            "/banksim/abcd…/card"
        );
        assert_eq!(super::masked_path("/banksim/abcdefgh"), "/banksim/abcd…");
        assert_eq!(
            super::masked_path("/miservice/createOrder1"),
            "/miservice/createOrder1"
        );
    }
}
