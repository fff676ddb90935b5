//! What the check sends the shop itself: notifies (forged, stale, unconfirmed) and reads of the
//! shop's order view.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, header};
use pay123_core::{BankCode, Notify, NotifyReply, SecretKey, TransactionStatus};
use pay123_hyper::HyperClient;

use super::report::{OrderView, Probe};

/// Longest body kept as evidence.
const KEEP: usize = 2000;

fn keep(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(KEEP).collect()
}

/// The HTTP client of the probes: 10 s a request.
pub(super) fn client() -> HyperClient {
    HyperClient::builder()
        .request_timeout(Duration::from_secs(10))
        .build()
}

/// How a probe notify is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Signed with a key that is not the merchant's.
    Forged,
    /// Signed with the merchant's key, `ts` 10 minutes old.
    Stale,
    /// Signed with the merchant's key, fresh: says paid while 123PAY says pending.
    Unconfirmed,
    /// Signed with another key, about an order that does not exist: is the listener there?
    Reachability,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Forged => "forged",
            Self::Stale => "stale",
            Self::Unconfirmed => "unconfirmed",
            Self::Reachability => "reachability",
        }
    }
}

/// A key no merchant has: what a forger signs with.
fn forger_key() -> SecretKey {
    SecretKey::new("pay123-qc-not-the-merchants-key")
}

/// Sends a notify saying `status` for `m_transaction_id`, made as `kind` says, and reads the
/// reply.
pub(super) async fn notify(
    http: &HyperClient,
    url: &str,
    key: &SecretKey,
    kind: Kind,
    m_transaction_id: &str,
    bank: BankCode,
    status: TransactionStatus,
) -> Probe {
    let now = SystemTime::now();
    let ts = match kind {
        Kind::Stale => now - Duration::from_secs(600),
        _ => now,
    };
    let signing_key = match kind {
        Kind::Forged | Kind::Reachability => forger_key(),
        Kind::Stale | Kind::Unconfirmed => key.clone(),
    };
    let mut probe = Probe {
        kind: kind.name(),
        at: now,
        ended_at: now,
        url: url.to_owned(),
        request_body: String::new(),
        http_status: None,
        reply_body: None,
        return_code: None,
        verified: false,
        error: None,
    };
    let description = pay123_core::text::unaccent(status.vietnamese());
    let notify = match Notify::new(m_transaction_id, bank, status, description, ts) {
        Ok(notify) => notify,
        Err(e) => {
            probe.error = Some(format!("cannot make the notify: {e}"));
            return probe;
        }
    };
    let listener = match url.parse::<http::Uri>() {
        Ok(listener) => listener,
        Err(e) => {
            probe.error = Some(format!("the notify URL cannot be used: {e}"));
            return probe;
        }
    };
    // The form POST 123PAY sends, as the sandbox sends it.
    let request = notify.to_http_request(&listener, &signing_key);
    probe.request_body = String::from_utf8_lossy(request.body()).into_owned();
    let answer = http.send(request).await;
    probe.ended_at = SystemTime::now();
    match answer {
        Err(e) => probe.error = Some(format!("no answer: {}", pay123_core::ErrorChain(&e))),
        Ok(response) => {
            probe.http_status = Some(response.status().as_u16());
            let body = response.body();
            probe.reply_body = Some(keep(body));
            if !response.status().is_success() {
                // As the sandbox: 123PAY reads no reply from an HTTP error.
                probe.error = Some(format!(
                    "HTTP {}: 123PAY reads a reply only from a 2xx answer",
                    response.status().as_u16()
                ));
                return probe;
            }
            // As 123PAY reads it (and the sandbox, and `pay123 notify send`): signed, about this
            // order or none, a code of the table, its ts within the window.
            match NotifyReply::from_json_for(
                body,
                &notify,
                key,
                SystemTime::now(),
                pay123_core::DEFAULT_WINDOW,
            ) {
                Ok(reply) => {
                    probe.return_code = Some(reply.return_code().clone());
                    probe.verified = true;
                }
                Err(e) => {
                    probe.error = Some(format!(
                        "a reply 123PAY does not accept: {}",
                        pay123_core::ErrorChain(&e)
                    ));
                }
            }
        }
    }
    probe
}

/// Reads the shop's view of an order from `pattern` (`{id}` replaced).
pub(super) async fn order_view(http: &HyperClient, pattern: &str, id: &str) -> OrderView {
    let url = pattern.replace("{id}", &crate::path_segment(id));
    let mut view = OrderView {
        at: SystemTime::now(),
        url: url.clone(),
        http_status: None,
        paid: None,
        status: None,
        body: None,
        error: None,
    };
    // `.` and `..` name the path's own or parent resource, encoded or not: never an order.
    if id == "." || id == ".." {
        view.error = Some(format!(
            "the order id {id:?} cannot be put in a URL path: it names another resource"
        ));
        return view;
    }
    let request = match Request::get(&url)
        .header(header::ACCEPT, "application/json")
        .body(Bytes::new())
    {
        Ok(request) => request,
        Err(e) => {
            view.error = Some(format!("the order URL cannot be used: {e}"));
            return view;
        }
    };
    match http.send(request).await {
        Err(e) => view.error = Some(format!("no answer: {}", pay123_core::ErrorChain(&e))),
        Ok(response) => {
            view.http_status = Some(response.status().as_u16());
            view.body = Some(keep(response.body()));
            match serde_json::from_slice::<serde_json::Value>(response.body()) {
                Ok(serde_json::Value::Object(order)) => {
                    view.paid = order.get("paid").and_then(serde_json::Value::as_bool);
                    view.status = order
                        .get("status")
                        .and_then(serde_json::Value::as_str)
                        .map(|s| s.chars().take(100).collect());
                    if view.paid.is_none() {
                        view.error = Some("the answer has no boolean `paid`".to_owned());
                    }
                }
                _ => {
                    view.error = Some(format!(
                        "HTTP {}, not a JSON object (the order URL must answer the order as JSON \
                         with a boolean `paid`)",
                        response.status().as_u16()
                    ));
                }
            }
        }
    }
    view
}
