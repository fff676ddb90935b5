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
    /// Exit code 0 when every reply acknowledges the notify (1 or 2), 1 when a reply refuses it
    /// (-1, -2, -3) or is not a valid signed reply, 3 when the listener cannot be reached.
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
        /// The ts in unix milliseconds (default: now); an old one tests the listener's window.
        #[arg(long)]
        ts: Option<u64>,
        /// Send a wrong checksum (the listener must answer -1 and change nothing).
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
    if !bank_code.is_known() {
        return Err(Failure::usage(format!(
            "--bank: {bank:?} is not a bank of the specification (see `pay123 banks`)"
        )));
    }
    let key = gateway::secret_key()?;
    let at = ts.map_or_else(SystemTime::now, |ms| UNIX_EPOCH + Duration::from_millis(ms));
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
        let response = http
            .send(request)
            .await
            .map_err(|e| Failure::network(format!("cannot reach {url}: {}", ErrorChain(&e))))?;
        let http_status = response.status().as_u16();
        let body = response.into_body();
        let (code, meaning, error) = if http_status == 200 {
            match NotifyReply::from_json_for(&body, &notify, &key) {
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
            (None, None, Some(format!("HTTP {http_status}: {text}")))
        };
        let acknowledged = matches!(code.as_deref(), Some("1" | "2"));
        all_acknowledged &= acknowledged;
        if !out.json() {
            let verdict = match (&code, &error) {
                (Some(code), _) if acknowledged => good(&format!(
                    "returnCode {code} ({})",
                    meaning.clone().unwrap_or_default()
                )),
                (Some(code), _) => bad(&format!(
                    "returnCode {code} ({})",
                    meaning.clone().unwrap_or_default()
                )),
                (None, Some(error)) => bad(error),
                (None, None) => bad("no reply"),
            };
            let signed = if code.is_some() {
                ", reply signed correctly"
            } else {
                ""
            };
            out.line(&format!("attempt {attempt}: {verdict}{signed}"));
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
            "acknowledged": all_acknowledged,
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
