//! The dashboard: the admin API's pages for a browser. `GET /_sandbox/`, `/_sandbox/refusals`
//! and `/_sandbox/transactions/{id}` answer HTML to a request that accepts it (a browser), and
//! JSON to any other; the actions are the admin API's own JSON `POST`s, sent by a little plain
//! JavaScript, so that the guard's rules hold for the buttons as for any client.
//!
//! Links are relative, so that the pages work wherever the sandbox is mounted.

use std::time::SystemTime;

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode, header};
use pay123_core::{ReturnCode, TransactionStatus};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::gateway::{Gateway, TransactionFilter};
use crate::pages::format_vnd;
use crate::transaction::format_time;
use crate::transaction::{
    AttemptOutcome, EventKind, Method, NotifyAttempt, Refusal, Transaction, TransactionRef,
};

/// How many transactions a page of the dashboard's list shows.
pub(crate) const PAGE_SIZE: usize = 50;

/// Whether the client asked for a page: a browser's navigation (`Sec-Fetch-Dest: document`),
/// or an `Accept` that names `text/html` (with a weight above 0) and no JSON. A client that
/// names JSON, or sends `*/*` or nothing, gets the admin API's JSON as before.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    let accept = || {
        headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
    };
    if pay123_core::wants_json(accept()) {
        return false;
    }
    let navigation = headers
        .get("sec-fetch-dest")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"document"));
    navigation
        || crate::guard::items(headers, header::ACCEPT, ',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|m| m.eq_ignore_ascii_case("text/html"))
                && !parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                })
        })
}

/// `?merchant=&status=&order=&before=` of the list.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    merchant: Option<String>,
    status: Option<String>,
    order: Option<String>,
    before: Option<String>,
}

/// A path segment or a query value, percent-encoded.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// A status as the pages show it: its code and the specification's words.
struct StatusView {
    code: String,
    vietnamese: &'static str,
    english: &'static str,
    class: &'static str,
}

impl StatusView {
    fn of(status: &TransactionStatus) -> Self {
        Self {
            code: status.code().to_owned(),
            vietnamese: status.vietnamese(),
            english: status.english(),
            class: status.outcome(),
        }
    }
}

/// One row of the list.
struct Row {
    link: String,
    created_at: String,
    merchant_code: String,
    m_transaction_id: String,
    transaction_id: String,
    amount: String,
    bank: String,
    status: StatusView,
    notify: String,
}

impl Row {
    fn of(t: &Transaction) -> Self {
        Self {
            link: format!(
                "transactions/{}?merchant={}",
                encode(&t.m_transaction_id),
                encode(&t.merchant_code)
            ),
            created_at: format_time(t.created_at),
            merchant_code: t.merchant_code.clone(),
            m_transaction_id: t.m_transaction_id.clone(),
            transaction_id: t.transaction_id.clone(),
            amount: format_vnd(t.total_amount),
            bank: t.bank_code.code().to_owned(),
            status: StatusView::of(&t.status),
            notify: notify_summary(t),
        }
    }
}

/// What happened to the transaction's notifies, in a few words.
fn notify_summary(t: &Transaction) -> String {
    let Some(last) = t.notify_attempts.last() else {
        return if t.is_final {
            "none sent".to_owned()
        } else {
            "none yet (pending)".to_owned()
        };
    };
    let answer = match (last.outcome, last.return_code.as_ref()) {
        (AttemptOutcome::Dropped, _) => "dropped on purpose".to_owned(),
        (AttemptOutcome::NoNotifyUrl, _) => "no notify URL".to_owned(),
        (_, Some(code)) if last.verified => format!("answered {}", code.code()),
        _ => "no valid reply".to_owned(),
    };
    format!(
        "{} attempt(s); last: {answer}{}",
        t.notify_attempts.len(),
        if t.notify_in_progress {
            ", retrying"
        } else {
            ""
        }
    )
}

#[derive(Template)]
#[template(path = "dashboard/list.html")]
struct ListPage {
    root: &'static str,
    rows: Vec<Row>,
    merchant: String,
    status: String,
    order: String,
    merchants: Vec<String>,
    statuses: Vec<StatusView>,
    older: Option<String>,
    newest: bool,
    total: usize,
    message: Option<String>,
    /// What is set up for the whole sandbox: injected failures, notifies to drop.
    settings: Vec<String>,
}

/// `GET /_sandbox/` for a browser: the transactions, newest first, a page at a time.
pub(crate) async fn list(gateway: Gateway, query: ListQuery) -> Response {
    let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let merchant = text(query.merchant);
    let status = text(query.status);
    let order = text(query.order);
    let before = text(query.before);
    let mut filter = TransactionFilter::all();
    if let Some(m) = &merchant {
        filter = filter.merchant(m.clone());
    }
    if let Some(s) = &status {
        filter = filter.status(s.clone());
    }
    if let Some(o) = &order {
        filter = filter.order(o.clone());
    }
    // A scan of every stored transaction when a filter lets few through: off the async threads,
    // a few at a time, as the admin listing.
    let Ok(turn) = gateway.inner.listings.clone().acquire_owned().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let found = {
        let gateway = gateway.clone();
        let before = before.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            gateway.newest(&filter, before.as_deref(), PAGE_SIZE)
        })
        .await
    };
    let (transactions, message) = match found {
        Ok(Ok(found)) => (found, None),
        Ok(Err(_)) => (
            Vec::new(),
            Some(
                "no transaction has the id given to list before: start from the newest".to_owned(),
            ),
        ),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let older = (transactions.len() == PAGE_SIZE)
        .then(|| transactions.last())
        .flatten()
        .map(|last| {
            let mut link = format!("?before={}", encode(&last.transaction_id));
            for (name, value) in [
                ("merchant", &merchant),
                ("status", &status),
                ("order", &order),
            ] {
                if let Some(value) = value {
                    link.push_str(&format!("&{name}={}", encode(value)));
                }
            }
            link
        });
    let mut merchants: Vec<String> = gateway.inner.merchants.keys().cloned().collect();
    merchants.sort();
    let page = ListPage {
        root: "./",
        rows: transactions.iter().map(Row::of).collect(),
        merchant: merchant.unwrap_or_default(),
        status: status.unwrap_or_default(),
        order: order.unwrap_or_default(),
        merchants,
        statuses: TransactionStatus::KNOWN
            .iter()
            .map(StatusView::of)
            .collect(),
        older,
        newest: before.is_none(),
        total: gateway.transaction_count(),
        message,
        settings: settings(&gateway),
    };
    html(StatusCode::OK, page.render())
}

/// What is set up for the whole sandbox now, in words: the failures injected, the notifies to
/// drop.
fn settings(gateway: &Gateway) -> Vec<String> {
    let mut settings: Vec<String> = [Method::CreateOrder, Method::QueryOrder]
        .into_iter()
        .filter_map(|method| {
            let failure = gateway.failure(method)?;
            let calls = failure.calls_left.map_or_else(
                || "every call until cleared".to_owned(),
                |n| format!("the next {n} call(s)"),
            );
            Some(format!(
                "{} answers {} ({}) to {calls}",
                method.name(),
                failure.code.code(),
                failure.code.english()
            ))
        })
        .collect();
    let drop_next = gateway.global().drop_next;
    if drop_next > 0 {
        settings.push(format!("the next {drop_next} notify(ies) will be dropped"));
    }
    settings
}

/// One moment of a transaction's timeline.
struct Moment {
    at: SystemTime,
    time: String,
    kind: &'static str,
    title: String,
    status: Option<StatusView>,
    attempt: Option<AttemptView>,
}

/// A notify attempt, as the timeline shows it.
struct AttemptView {
    id: String,
    /// Sent at all (not dropped on purpose, not without a notify URL).
    sent: bool,
    /// For a reply whose checksum does not match: what the explainer says of it.
    explanation: Option<String>,
    request_body: String,
    http_status: String,
    reply_body: String,
    reply_cut: bool,
    return_code: String,
    verified: bool,
    error: String,
    outcome: &'static str,
}

/// The longest reply body a page shows; the rest is cut, with a note.
const REPLY_SHOWN: usize = 1000;

/// A text from a listener as a page shows it: at most [`REPLY_SHOWN`] characters, control
/// characters (but new lines and tabs) replaced; and whether it was cut.
fn shown(text: &str) -> (String, bool) {
    let cut = text.chars().count() > REPLY_SHOWN;
    let text = text
        .chars()
        .take(REPLY_SHOWN)
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => char::REPLACEMENT_CHARACTER,
            c => c,
        })
        .collect();
    (text, cut)
}

impl AttemptView {
    fn of(a: &NotifyAttempt, explanation: Option<String>) -> Self {
        let sent = !matches!(
            a.outcome,
            AttemptOutcome::Dropped | AttemptOutcome::NoNotifyUrl
        );
        let (reply_body, reply_cut) = shown(a.reply_body.as_deref().unwrap_or_default());
        let (error, _) = shown(a.error.as_deref().unwrap_or_default());
        Self {
            id: format!("notify-{}-{}", a.delivery, a.attempt),
            sent,
            request_body: a.request_body.clone(),
            http_status: match a.http_status {
                Some(status) => status.to_string(),
                None if sent => "no answer".to_owned(),
                None => "not sent".to_owned(),
            },
            reply_body,
            reply_cut,
            explanation,
            return_code: a
                .return_code
                .as_ref()
                .map_or_else(String::new, |c| c.code().to_owned()),
            verified: a.verified,
            error,
            outcome: match a.outcome {
                AttemptOutcome::Acknowledged => "acknowledged: delivery done",
                AttemptOutcome::Retrying => "retrying after the backoff",
                AttemptOutcome::GaveUp => "gave up: no more retries",
                AttemptOutcome::Dropped => "dropped on purpose: not sent",
                AttemptOutcome::NoNotifyUrl => "not sent: the merchant has no notify URL",
            },
        }
    }
}

/// A final status a tester may set, or an error code to inject.
struct Choice {
    code: String,
    text: String,
}

#[derive(Template)]
#[template(path = "dashboard/transaction.html")]
struct TransactionPage {
    root: &'static str,
    t: Transaction,
    actions: String,
    merchant_query: String,
    status: StatusView,
    amount: String,
    reported: Option<String>,
    timeline: Vec<Moment>,
    final_statuses: Vec<Choice>,
    query_errors: Vec<Choice>,
}

/// `GET /_sandbox/transactions/{id}` for a browser: the transaction, its timeline and the
/// admin actions as buttons.
pub(crate) fn transaction(gateway: &Gateway, which: TransactionRef<'_>) -> Response {
    let Some(t) = gateway.transaction(which) else {
        let page = NotFoundPage {
            root: "../",
            id: which.m_transaction_id.to_owned(),
        };
        return html(StatusCode::NOT_FOUND, page.render());
    };
    let mut timeline: Vec<Moment> = t
        .history
        .iter()
        .map(|e| Moment {
            at: e.at,
            time: format_time(e.at),
            kind: match e.kind {
                EventKind::Query => "query",
                EventKind::Refusal => "refusal",
                _ => "event",
            },
            title: e.event.clone(),
            status: Some(StatusView::of(&e.status)),
            attempt: None,
        })
        .chain(t.notify_attempts.iter().map(|a| Moment {
            at: a.at,
            time: format_time(a.at),
            kind: "notify",
            title: match a.outcome {
                AttemptOutcome::Dropped => {
                    format!("notify {}: dropped on purpose, not sent", a.delivery)
                }
                AttemptOutcome::NoNotifyUrl => {
                    format!("notify {}: not sent, no notify URL", a.delivery)
                }
                _ => format!(
                    "notify {}, attempt {}: status {} to {}",
                    a.delivery,
                    a.attempt,
                    a.status.code(),
                    a.url
                ),
            },
            status: None,
            attempt: Some(AttemptView::of(a, reply_explanation(gateway, &t, a))),
        }))
        .collect();
    // Stable: an event before the notify it caused, when both have the same time.
    timeline.sort_by_key(|m| m.at);
    let choices = |codes: Vec<(String, String)>| {
        codes
            .into_iter()
            .map(|(code, text)| Choice { code, text })
            .collect()
    };
    let page = TransactionPage {
        root: "../",
        actions: format!("../transactions/{}", encode(&t.m_transaction_id)),
        merchant_query: format!("?merchant={}", encode(&t.merchant_code)),
        status: StatusView::of(&t.status),
        amount: format_vnd(t.total_amount),
        reported: t.reported_total_amount.map(format_vnd),
        timeline,
        final_statuses: choices(
            TransactionStatus::KNOWN
                .iter()
                .filter(|s| s.is_final() && s.is_status_of_a_transaction())
                .map(|s| (s.code().to_owned(), format!("{} {}", s.code(), s.english())))
                .collect(),
        ),
        query_errors: choices(
            ReturnCode::QUERY_ORDER_ERRORS
                .iter()
                .map(|c| (c.code().to_owned(), format!("{} {}", c.code(), c.english())))
                .collect(),
        ),
        t,
    };
    html(StatusCode::OK, page.render())
}

/// What the explainer says of a listener's reply whose checksum does not match the merchant's
/// key (the reply's fields in signing order, the likely mistake).
fn reply_explanation(gateway: &Gateway, t: &Transaction, a: &NotifyAttempt) -> Option<String> {
    if a.verified {
        return None;
    }
    let merchant = gateway.merchant(&t.merchant_code)?;
    let body = a.reply_body.as_deref()?;
    let parsed = crate::explain::parse(
        body.as_bytes(),
        Some(pay123_core::checksum::Message::NotifyReply),
    )
    .ok()?;
    let explained = crate::explain::explain(parsed, merchant.credentials.secret_key());
    (explained.verdict == crate::explain::Verdict::Mismatch).then(|| shown(&explained.report()).0)
}

#[derive(Template)]
#[template(path = "dashboard/not_found.html")]
struct NotFoundPage {
    root: &'static str,
    id: String,
}

/// A refused request, as its page shows it.
struct RefusalView {
    time: String,
    method: &'static str,
    merchant_code: String,
    m_transaction_id: String,
    link: Option<String>,
    code: String,
    description: String,
    detail: String,
    explanation: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/refusals.html")]
struct RefusalsPage {
    root: &'static str,
    refusals: Vec<RefusalView>,
}

/// `GET /_sandbox/refusals` for a browser: the refused createOrder and queryOrder requests,
/// newest first, each with why.
pub(crate) fn refusals(gateway: &Gateway) -> Response {
    let refusals = gateway
        .refusals()
        .iter()
        .rev()
        .map(|r: &Refusal| RefusalView {
            time: format_time(r.at),
            method: r.method,
            merchant_code: r.merchant_code.clone().unwrap_or_default(),
            m_transaction_id: r.m_transaction_id.clone().unwrap_or_default(),
            // A link only to a transaction that exists (a refused createOrder made none).
            link: r
                .m_transaction_id
                .as_deref()
                .filter(|id| {
                    let which = TransactionRef {
                        merchant_code: r.merchant_code.as_deref(),
                        m_transaction_id: id,
                    };
                    gateway.transaction(which).is_some()
                })
                .map(|id| {
                    let merchant = r.merchant_code.as_deref().unwrap_or_default();
                    format!("transactions/{}?merchant={}", encode(id), encode(merchant))
                }),
            code: r.code.clone(),
            description: r.description.clone(),
            detail: r.detail.clone(),
            explanation: r.explanation.clone(),
        })
        .collect();
    let page = RefusalsPage {
        root: "./",
        refusals,
    };
    html(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    root: &'static str,
}

/// `GET /_sandbox/login`: the form that gives the browser the admin token (a cookie), when the
/// sandbox has one.
pub(crate) async fn login_page() -> Response {
    html(StatusCode::OK, LoginPage { root: "./" }.render())
}

/// `POST /_sandbox/login` with `{"token": "..."}`: when it is the admin token, sets the
/// dashboard's session cookie: a random value of this process, never the token itself,
/// `HttpOnly`, `SameSite=Strict`, on the admin path under the public URL's path (where a
/// reverse proxy or an enclosing router serves the sandbox), `Secure` when the public URL is
/// `https`.
pub(crate) async fn login(gateway: Gateway, body: &[u8]) -> Response {
    let refuse = |status: StatusCode, why: &str| {
        (status, axum::Json(serde_json::json!({ "error": why }))).into_response()
    };
    let Some(expected) = &gateway.config().admin_token else {
        return refuse(
            StatusCode::NOT_FOUND,
            "this sandbox has no admin token: its dashboard opens on this machine without one",
        );
    };
    #[derive(Deserialize)]
    struct Login {
        token: String,
    }
    let Ok(Login { token }) = serde_json::from_slice::<Login>(body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            r#"expected {"token": "<the admin token>"}"#,
        );
    };
    if !expected.matches(token.trim().as_bytes()) {
        tracing::warn!("dashboard login refused: wrong admin token");
        tokio::time::sleep(crate::guard::WRONG_TOKEN_DELAY).await;
        return refuse(StatusCode::UNAUTHORIZED, "wrong admin token");
    }
    // The admin path where the browser sees it: under the public URL's path (a prefix that a
    // reverse proxy or an enclosing router adds).
    let prefix = gateway
        .public_url()
        .parse::<http::Uri>()
        .map(|uri| uri.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let scope = format!("{prefix}/_sandbox/");
    let secure = if gateway.public_url().starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={}; Path={scope}; HttpOnly; SameSite=Strict{secure}",
        crate::guard::COOKIE,
        secrecy::ExposeSecret::expose_secret(&gateway.inner.dashboard_session)
    );
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response()
}

/// The page a browser is sent to when the admin token is missing: the login form, by a link
/// relative to the request's path (a prefix the sandbox is mounted under stays).
pub(crate) fn to_login(path: &str) -> Response {
    let after = path
        .split('/')
        .skip_while(|s| *s != "_sandbox")
        .skip(1)
        .count();
    let location = match after {
        0 => "_sandbox/login".to_owned(),
        n => format!("{}login", "../".repeat(n - 1)),
    };
    Redirect::to(&location).into_response()
}

/// A page of the dashboard: the bank pages' headers, and a policy that allows the pages' own
/// script only and forbids any other site to frame them.
fn html(status: StatusCode, body: askama::Result<String>) -> Response {
    let mut response = crate::pages::html(status, body);
    // The same URLs answer JSON to other clients.
    response.headers_mut().insert(
        header::VARY,
        http::HeaderValue::from_static("Accept, Sec-Fetch-Dest"),
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// `GET /_sandbox/dashboard.js`: the buttons' script (a file, so that the pages' policy allows
/// no inline script).
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        include_str!("../templates/dashboard/dashboard.js"),
    )
        .into_response()
}
