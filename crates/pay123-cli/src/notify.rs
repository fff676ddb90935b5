//! `pay123 notify send`: a notify signed as 123PAY signs it, posted to a merchant's listener.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::Subcommand;
use http::{Request, header};
use pay123_core::{BankCode, ErrorChain, Notify, NotifyReply, TransactionStatus};
use pay123_hyper::HyperClient;
use serde_json::json;

use crate::out::{Out, bad, good};
use crate::{Exit, Failure, Outcome, gateway};

#[derive(Subcommand)]
pub(crate) enum NotifyCommand {
    /// Sign a notify with the merchant's key and post it (a form) to a listener; verify the
    /// reply's checksum and print what its returnCode means.
    ///
    /// Exit code 0 when the listener answers as it should: every reply acknowledges the notify
    /// (1 or 2), or, with --tamper or a --ts outside the 5-minute window, refuses it (-1 or -2).
    /// Exit code 1 otherwise (a refusal of a genuine notify, a forged or stale one accepted, a
    /// reply that is not valid and signed), 3 when the listener cannot be reached.
    Send {
        /// The listener's URL (http://127.0.0.1:3000/123pay/notify).
        #[arg(long)]
        to: String,
        /// The order's mTransactionID.
        #[arg(long)]
        order: String,
        /// The transactionStatus: 1 paid, 0/10/11/20 pending, -100 cancelled, 7xxx failures.
        #[arg(long, allow_hyphen_values = true)]
        status: String,
        /// The bank used.
        #[arg(long, default_value = "123PVCB")]
        bank: String,
        /// The description.
        #[arg(long, default_value = "")]
        description: String,
        /// The ts in unix milliseconds (default: now); one more than 5 minutes away tests the
        /// listener's window: it must refuse it (-1 or -2).
        #[arg(long)]
        ts: Option<u64>,
        /// Send a wrong checksum: the listener must refuse it (-1) and change nothing.
        #[arg(long)]
        tamper: bool,
        /// Send the same notify this many times (a listener answers 2 to a duplicate).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        repeat: u32,
    },
}

pub(crate) async fn run(command: NotifyCommand, out: &Out) -> Outcome {
    let NotifyCommand::Send {
        to,
        order,
        status,
        bank,
        description,
        ts,
        tamper,
        repeat,
    } = command;
    let url: http::Uri = to
        .parse()
        .ok()
        .filter(|u: &http::Uri| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
        })
        .ok_or_else(|| Failure::usage(format!("--to: {to:?} is not an http(s) URL")))?;
    let bank_code = BankCode::from_code(&bank);
    if !bank_code.is_well_formed() {
        return Err(Failure::usage(format!(
            "--bank: {bank:?} is not a bank code: 123P and capital letters, such as 123PVCB (see `pay123 banks`)"
        )));
    }
    let key = gateway::secret_key()?;
    let at = ts.map_or_else(SystemTime::now, |ms| UNIX_EPOCH + Duration::from_millis(ms));
    let stale = {
        let now = SystemTime::now();
        let distance = now
            .duration_since(at)
            .or_else(|_| at.duration_since(now))
            .unwrap_or_default();
        distance > pay123_core::DEFAULT_WINDOW
    };
    // A forged or stale notify must be refused; a genuine one acknowledged.
    let must_refuse = tamper || stale;
    let notify = Notify::new(
        order.as_str(),
        bank_code,
        TransactionStatus::from_code(&status),
        description,
        at,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    let mut form = notify.to_form(&key);
    if tamper {
        form = tampered(&form);
    }
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(30))
        .build();
    let mut attempts = Vec::new();
    let mut all_acknowledged = true;
    for attempt in 1..=repeat {
        if repeat > 1 {
            out.progress(&format!("notify {attempt}/{repeat} to {url}"));
        }
        let request = Request::post(url.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from(form.clone()))
            .map_err(|e| Failure::usage(format!("--to: {e}")))?;
        let response = match http.send(request).await {
            Ok(response) => response,
            Err(error @ pay123_hyper::TransportError::Connect { .. }) => {
                return Err(Failure::network(format!(
                    "cannot reach {url}: {}",
                    ErrorChain(&error)
                )));
            }
            // Reached, and no usable answer: too slow, too large, cut off.
            Err(error) => {
                return Err(Failure::refused(format!(
                    "{url} gave no usable answer: {}",
                    ErrorChain(&error)
                )));
            }
        };
        let http_status = response.status().as_u16();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body();
        let (code, meaning, error) = if http_status == 200 {
            let window = pay123_core::DEFAULT_WINDOW;
            match NotifyReply::from_json_for(&body, &notify, &key, SystemTime::now(), window) {
                Ok(reply) => {
                    let code = reply.return_code();
                    (
                        Some(code.code().to_owned()),
                        Some(format!("{}, {}", code.vietnamese(), code.english())),
                        None,
                    )
                }
                Err(e) => (None, None, Some(format!("not a valid reply: {e}"))),
            }
        } else {
            let text = String::from_utf8_lossy(&body);
            let text: String = text.chars().take(200).collect();
            let detail = match location {
                Some(to) => format!("HTTP {http_status} to {to}: a listener answers 200 itself"),
                None => format!("HTTP {http_status}: {text}"),
            };
            (None, None, Some(detail))
        };
        let acknowledged = matches!(code.as_deref(), Some("1" | "2"));
        let refused = matches!(code.as_deref(), Some("-1" | "-2"));
        let as_it_should = if must_refuse { refused } else { acknowledged };
        all_acknowledged &= as_it_should;
        if !out.json() {
            let verdict = match (&code, &error) {
                (Some(code), _) if as_it_should => good(&format!(
                    "returnCode {code} ({})",
                    meaning.clone().unwrap_or_default()
                )),
                (Some(code), _) => bad(&format!(
                    "returnCode {code} ({})",
                    meaning.clone().unwrap_or_default()
                )),
                (None, Some(error)) => bad(&crate::out::clean(error)),
                (None, None) => bad("no reply"),
            };
            let signed = if code.is_some() {
                ", reply signed correctly"
            } else {
                ""
            };
            out.line(&format!("attempt {attempt}: {verdict}{signed}"));
            if must_refuse && acknowledged {
                out.line(&bad(if tamper {
                    "the listener accepted a notify with a forged checksum: it must answer -1 and change nothing"
                } else {
                    "the listener accepted a notify outside its 5-minute ts window: it must refuse it (-1 or -2)"
                }));
            }
        }
        attempts.push(json!({
            "attempt": attempt,
            "http_status": http_status,
            "returnCode": code,
            "meaning": meaning,
            "verified": code.is_some(),
            "error": error,
        }));
    }
    if out.json() {
        out.value(&json!({
            "to": url.to_string(),
            "mTransactionID": notify.m_transaction_id(),
            "transactionStatus": notify.status().code(),
            "ts": notify.ts(),
            "tampered": tamper,
            "stale": stale,
            "expected": if must_refuse { "refused" } else { "acknowledged" },
            "as_expected": all_acknowledged,
            "attempts": attempts,
        }));
    }
    Ok(if all_acknowledged {
        Exit::Ok
    } else {
        Exit::Refused
    })
}

/// The form with its checksum's first hex digit changed.
fn tampered(form: &str) -> String {
    let Some(at) = form.find("checksum=") else {
        return form.to_owned();
    };
    let start = at + "checksum=".len();
    let mut bytes = form.as_bytes().to_vec();
    if let Some(b) = bytes.get_mut(start) {
        *b = if *b == b'0' { b'1' } else { b'0' };
    }
    String::from_utf8(bytes).unwrap_or_else(|_| form.to_owned())
}
