//! `pay123 sandbox`: run the local 123PAY, or drive a running one through its admin API.

use std::time::Duration;

use bytes::Bytes;
use clap::Subcommand;
use http::{Method, Request, header};
use pay123_core::ErrorChain;
use pay123_hyper::HyperClient;
use pay123_sandbox::Method as Gateway;
use serde_json::{Value, json};

use crate::out::{Out, yes_no};
use crate::{Exit, Failure, Outcome};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SandboxCommand {
    #[command(subcommand)]
    action: Option<SandboxAction>,
    #[command(flatten)]
    options: pay123_sandbox::cli::Args,
}

impl SandboxCommand {
    /// Whether this runs a sandbox (rather than driving one).
    pub(crate) fn runs(&self) -> bool {
        self.action.is_none()
    }
}

/// Where the running sandbox is.
#[derive(clap::Args)]
struct Admin {
    /// The running sandbox's base URL.
    #[arg(
        long,
        env = "PAY123_SANDBOX_URL",
        default_value = "http://127.0.0.1:3123"
    )]
    sandbox_url: String,
    /// The sandbox's admin token, when it was started with one (needed from another machine).
    #[arg(long, env = "PAY123_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// The transaction an action is for.
#[derive(clap::Args)]
struct Which {
    /// The transaction's mTransactionID.
    id: String,
    /// The merchant code that created it, where several merchants use the id (default: the
    /// newest transaction with the id).
    #[arg(long)]
    merchant: Option<String>,
}

impl Which {
    /// The admin API's path of `action` on the transaction (`None`: the transaction itself).
    fn path(&self, action: Option<&str>) -> String {
        let mut path = format!(
            "/_sandbox/transactions/{}",
            pay123_cli::path_segment(&self.id)
        );
        if let Some(action) = action {
            path = format!("{path}/{action}");
        }
        if let Some(merchant) = &self.merchant {
            path = format!("{path}?merchant={}", pay123_cli::path_segment(merchant));
        }
        path
    }
}

/// A failure to inject into one of 123PAY's methods.
#[derive(clap::Args)]
struct Fail {
    /// The return code.
    code: String,
    /// How many calls (default: every call until cleared).
    #[arg(long)]
    calls: Option<u32>,
    #[command(flatten)]
    admin: Admin,
}

#[derive(Subcommand)]
enum SandboxAction {
    /// End a pending transaction with a final status and send its notify, as the bank would.
    Status {
        #[command(flatten)]
        which: Which,
        /// The final status (1, -100, 7201...).
        #[arg(long, allow_hyphen_values = true)]
        set: String,
        #[command(flatten)]
        admin: Admin,
    },
    /// Send the notify of a final transaction again.
    Resend {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        admin: Admin,
    },
    /// The buyer left the bank pages: end the session of a transaction still on them now, as its
    /// timeout would (7210, or what the last wrong input reports), and send its notify.
    TimeOut {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        admin: Admin,
    },
    /// Do not send the next notify.
    DropNextNotify {
        #[command(flatten)]
        admin: Admin,
    },
    /// Answer createOrder with this return code of its error table (5000, 6000, 6100, 6200,
    /// 6203, 6206, 6212, 7200, 7300) for the next calls.
    FailCreate {
        #[command(flatten)]
        failure: Fail,
    },
    /// Answer createOrder normally again.
    ClearCreate {
        #[command(flatten)]
        admin: Admin,
    },
    /// Answer queryOrder with this return code of its error table (5000, 6000, 6100, 7300) for
    /// the next calls.
    FailQuery {
        #[command(flatten)]
        failure: Fail,
    },
    /// Answer queryOrder normally again.
    ClearQuery {
        #[command(flatten)]
        admin: Admin,
    },
    /// List the transactions, oldest first, a page at a time, or show one with its history and
    /// notify attempts.
    Transactions {
        /// One transaction's mTransactionID.
        id: Option<String>,
        /// With an id: the merchant code that created it, where several merchants use the id
        /// (default: the newest transaction with the id).
        #[arg(long, requires = "id")]
        merchant: Option<String>,
        /// At most this many transactions (1 to 1000), or per page with --all.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000), conflicts_with = "id")]
        limit: u16,
        /// Only those created after this one: its 123PAYtransactionId (as the note after a
        /// full page gives it) or its mTransactionID.
        #[arg(long, conflicts_with = "id")]
        after: Option<String>,
        /// Every page, to the last transaction.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        #[command(flatten)]
        admin: Admin,
    },
}

pub(crate) async fn run(command: SandboxCommand, out: &Out) -> Outcome {
    let Some(action) = command.action else {
        let code = pay123_sandbox::cli::run(command.options).await;
        return Ok(if code == std::process::ExitCode::SUCCESS {
            Exit::Ok
        } else {
            Exit::Network
        });
    };
    match action {
        SandboxAction::Status { which, set, admin } => {
            let path = which.path(Some("status"));
            let answer = call(&admin, Method::POST, &path, Some(json!({"status": set}))).await?;
            show_transaction(&answer, out);
            Ok(Exit::Ok)
        }
        SandboxAction::Resend { which, admin } => {
            let path = which.path(Some("notify"));
            let done = format!("the notify of {} is being sent again", which.id);
            act(&admin, &path, None, out, &done).await
        }
        SandboxAction::TimeOut { which, admin } => {
            let path = which.path(Some("time-out"));
            let id = &which.id;
            let done = format!("the bank page session of {id} timed out; its notify is being sent");
            act(&admin, &path, None, out, &done).await
        }
        SandboxAction::DropNextNotify { admin } => {
            let done = "the next notify will not be sent";
            act(&admin, "/_sandbox/notify/drop-next", None, out, done).await
        }
        SandboxAction::FailCreate { failure } => fail(failure, Gateway::CreateOrder, out).await,
        SandboxAction::ClearCreate { admin } => clear(&admin, Gateway::CreateOrder, out).await,
        SandboxAction::FailQuery { failure } => fail(failure, Gateway::QueryOrder, out).await,
        SandboxAction::ClearQuery { admin } => clear(&admin, Gateway::QueryOrder, out).await,
        SandboxAction::Transactions {
            id,
            merchant,
            limit,
            after,
            all,
            admin,
        } => match id {
            Some(id) => {
                let path = Which { id, merchant }.path(None);
                let answer = call(&admin, Method::GET, &path, None).await?;
                show_transaction(&answer, out);
                Ok(Exit::Ok)
            }
            None => {
                let limit = usize::from(limit);
                let (list, next) = list_transactions(&admin, limit, after, all).await?;
                let shown = list.len();
                if out.json() {
                    out.value(&Value::Array(list));
                } else {
                    let rows = list.iter().map(transaction_row);
                    out.table(
                        &[
                            "mTransactionID",
                            "123PAYtransactionId",
                            "status",
                            "meaning",
                            "final",
                            "amount",
                            "bank",
                            "notifies",
                        ],
                        rows,
                    );
                }
                if let Some(last) = next {
                    out.progress(&format!(
                        "{shown} transactions shown; the next page, if any: --after {last} (or all with --all)"
                    ));
                }
                Ok(Exit::Ok)
            }
        },
    }
}

/// `fail-create` and `fail-query`.
async fn fail(failure: Fail, method: Gateway, out: &Out) -> Outcome {
    let Fail { code, calls, admin } = failure;
    let table = method.error_codes();
    if !table.iter().any(|c| c.code() == code) {
        let codes: Vec<&str> = table.iter().map(|c| c.code()).collect();
        return Err(Failure::usage(format!(
            "{code:?} is not in {}'s error table: {} (see `pay123 codes`)",
            method.name(),
            codes.join(", ")
        )));
    }
    let mut body = json!({"code": code});
    if let Some(calls) = calls {
        body["calls"] = json!(calls);
    }
    let path = format!("/_sandbox/{}/fail", method.admin_segment());
    let how_long = match calls {
        None => "until cleared".to_owned(),
        Some(1) => "for the next call".to_owned(),
        Some(n) => format!("for the next {n} calls"),
    };
    let done = format!("{} answers {code} {how_long}", method.name());
    act(&admin, &path, Some(body), out, &done).await
}

/// `clear-create` and `clear-query`.
async fn clear(admin: &Admin, method: Gateway, out: &Out) -> Outcome {
    let path = format!("/_sandbox/{}/clear", method.admin_segment());
    let done = format!("{} answers normally again", method.name());
    act(admin, &path, None, out, &done).await
}

/// The most transactions `--all` gathers before it stops and says where to go on.
const ALL_AT_MOST: usize = 200_000;

/// The listing, from `after`: one page of `limit`, or every page (up to [`ALL_AT_MOST`]). With
/// the `123PAYtransactionId` of the last transaction of a full page when there may be more: it
/// names one transaction, where an `mTransactionID` may be used by several merchants.
async fn list_transactions(
    admin: &Admin,
    limit: usize,
    mut after: Option<String>,
    all: bool,
) -> Result<(Vec<Value>, Option<String>), Failure> {
    let mut list = Vec::new();
    loop {
        let mut path = format!("/_sandbox/transactions?limit={limit}");
        if let Some(after) = &after {
            path.push_str("&after=");
            path.push_str(&pay123_cli::path_segment(after));
        }
        let page = match call(admin, Method::GET, &path, None).await? {
            Value::Array(page) => page,
            _ => Vec::new(),
        };
        let full = page.len() >= limit;
        let last = page
            .last()
            .and_then(|t| t["123PAYtransactionId"].as_str())
            .map(str::to_owned);
        list.extend(page);
        let next = match last {
            Some(last) if full => last,
            _ => return Ok((list, None)),
        };
        // A listing that does not move on is not the sandbox's: stop rather than ask forever.
        if after.as_deref() == Some(next.as_str()) {
            return Err(Failure::refused(format!(
                "the sandbox answered the page after {next} with the same page again"
            )));
        }
        if !all || list.len() >= ALL_AT_MOST {
            return Ok((list, Some(next)));
        }
        after = Some(next);
    }
}

/// Calls the admin API: its JSON answer (`null` for none); an `{"error"}` answer is a refusal.
async fn call(
    admin: &Admin,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, Failure> {
    let base = admin.sandbox_url.trim_end_matches('/');
    let url = format!("{base}{path}");
    let mut request = Request::builder()
        .method(method)
        .uri(&url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = admin
        .admin_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", token.trim()));
    }
    let request = request
        .body(Bytes::from(body.map(|b| b.to_string()).unwrap_or_default()))
        .map_err(|e| Failure::usage(format!("--sandbox-url or --admin-token: {e}")))?;
    // A listing page holds up to 1,000 transactions with their histories: several MiB.
    let http = HyperClient::builder()
        .request_timeout(Duration::from_secs(10))
        .max_body_bytes(32 << 20)
        .build();
    let response = http.send(request).await.map_err(|e| {
        Failure::network(format!(
            "cannot reach the sandbox at {base} (is it running? --sandbox-url): {}",
            ErrorChain(&e)
        ))
    })?;
    let status = response.status();
    let body = response.into_body();
    let value: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            Failure::refused(format!(
                "{url} answered HTTP {status} with something other than JSON: is it a pay123 sandbox?"
            ))
        })?
    };
    if !status.is_success() {
        let error = value["error"].as_str().unwrap_or("no detail");
        return Err(Failure::refused(format!(
            "the sandbox refused: {error} (HTTP {status})"
        )));
    }
    Ok(value)
}

/// POSTs an admin action to `path` and, once the sandbox took it, says `done` (with `--json`,
/// the sandbox's answer).
async fn act(admin: &Admin, path: &str, body: Option<Value>, out: &Out, done: &str) -> Outcome {
    let answer = call(admin, Method::POST, path, body).await?;
    if out.json() {
        out.value(&json!({"ok": true, "answer": answer}));
    } else {
        out.line(done);
    }
    Ok(Exit::Ok)
}

fn text(value: &Value, field: &str) -> String {
    match &value[field] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn transaction_row(t: &Value) -> Vec<String> {
    let attempts = t["notify_attempts"].as_array().map_or(0, Vec::len);
    let last = t["notify_attempts"]
        .as_array()
        .and_then(|a| a.last())
        .map(|a| format!(", last {}", text(a, "outcome")))
        .unwrap_or_default();
    vec![
        text(t, "mTransactionID"),
        text(t, "123PAYtransactionId"),
        text(t, "status"),
        text(t, "status_english"),
        yes_no(t["is_final"].as_bool().unwrap_or(false)),
        text(t, "total_amount"),
        text(t, "bank_code"),
        format!("{attempts}{last}"),
    ]
}

fn show_transaction(t: &Value, out: &Out) {
    if out.json() {
        out.value(t);
        return;
    }
    out.pairs(&[
        ("mTransactionID", text(t, "mTransactionID")),
        ("123PAYtransactionId", text(t, "123PAYtransactionId")),
        (
            "status",
            format!(
                "{} ({}, {})",
                text(t, "status"),
                text(t, "status_text"),
                text(t, "status_english")
            ),
        ),
        ("final", yes_no(t["is_final"].as_bool().unwrap_or(false))),
        ("amount", text(t, "total_amount")),
        ("bank", text(t, "bank_code")),
        ("step", text(t, "step")),
    ]);
    if let Some(history) = t["history"].as_array() {
        out.line("");
        out.table(
            &["at", "status", "event"],
            history
                .iter()
                .map(|h| [text(h, "at"), text(h, "status"), text(h, "event")]),
        );
    }
    if let Some(attempts) = t["notify_attempts"].as_array().filter(|a| !a.is_empty()) {
        out.line("");
        out.table(
            &["notify", "at", "HTTP", "returnCode", "outcome"],
            attempts.iter().map(|a| {
                vec![
                    format!("{}.{}", text(a, "delivery"), text(a, "attempt")),
                    text(a, "at"),
                    text(a, "http_status"),
                    text(a, "return_code"),
                    text(a, "outcome"),
                ]
            }),
        );
    }
}
