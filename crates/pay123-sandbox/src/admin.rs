//! The admin API under `/_sandbox/`: JSON for tests, scripts and curious developers. Each route
//! is the HTTP face of an in-process method of [`Gateway`].

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use http::request::Parts;
use pay123_core::{ReturnCode, TransactionStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::gateway::Gateway;
use crate::transaction::{AdminError, InjectedFailure, Method, Transaction, TransactionRef};
use crate::{cards, dashboard};

/// The admin routes but the index, to nest under `/_sandbox` (see [`crate::router`]).
pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/transactions", get(list))
        .route("/refusals", get(refusals))
        .route("/transactions/{id}", get(show))
        .route("/transactions/{id}/status", post(force_status))
        .route("/transactions/{id}/notify", post(resend_notify))
        .route("/transactions/{id}/time-out", post(time_out))
        .route("/transactions/{id}/total-amount", post(report_total_amount))
        .route("/notify/drop-next", post(drop_next_notify))
        .route("/{method}/fail", post(fail))
        .route("/{method}/clear", post(clear))
        .route("/reset", post(reset))
        .route("/login", get(dashboard::login_page).post(login))
        .route("/dashboard.js", get(dashboard::script))
}

/// `POST /_sandbox/login`: the dashboard's cookie, for a sandbox with an admin token.
async fn login(State(gateway): State<Gateway>, body: Bytes) -> Response {
    dashboard::login(gateway, &body).await
}

/// The method of `/_sandbox/{method}/fail` and `/clear`: `create-order` or `query-order`.
fn method_of(segment: &str) -> Result<Method, Refused> {
    [Method::CreateOrder, Method::QueryOrder]
        .into_iter()
        .find(|m| m.admin_segment() == segment)
        .ok_or(Refused::NoSuchMethod)
}

/// Why an admin route refuses a request, answered as `{"error": "..."}`.
enum Refused {
    /// The action's own refusal (404, 400 or 409: see [`AdminError`]'s response).
    Action(AdminError),
    /// The body is not the JSON the route takes (400): what was expected, and why not.
    Body(String),
    /// `/_sandbox/{method}/...` names no method (404).
    NoSuchMethod,
}

impl From<AdminError> for Refused {
    fn from(e: AdminError) -> Self {
        Self::Action(e)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Action(e) => e.into_response(),
            Self::Body(message) => error(StatusCode::BAD_REQUEST, &message),
            Self::NoSuchMethod => error(
                StatusCode::NOT_FOUND,
                "no such method: create-order or query-order",
            ),
        }
    }
}

/// The transaction of `/_sandbox/transactions/{mTransactionID}`; `?merchant=CODE` narrows the
/// lookup to one merchant.
struct Target {
    id: String,
    merchant: Option<String>,
}

impl Target {
    fn which(&self) -> TransactionRef<'_> {
        TransactionRef {
            merchant_code: self.merchant.as_deref(),
            m_transaction_id: &self.id,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Target {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        /// Only `merchant`: a misspelt `?Merchant=` would otherwise act on whichever merchant's
        /// transaction is the newest.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct MerchantQuery {
            merchant: Option<String>,
        }
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| error(e.status(), &e.body_text()))?;
        let AdminQuery(query) =
            AdminQuery::<MerchantQuery>::from_request_parts(parts, state).await?;
        Ok(Self {
            id,
            merchant: query.merchant,
        })
    }
}

/// A query string read as `T`, refused as the API's other errors are: `{"error": ...}`, 400.
pub(crate) struct AdminQuery<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AdminQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| Self(query))
            .map_err(|e| error(StatusCode::BAD_REQUEST, &e.body_text()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForceBody {
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountBody {
    /// Required; `null` reports the order's amount again.
    #[serde(deserialize_with = "present")]
    total_amount: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailBody {
    code: String,
    /// Absent: every call until cleared.
    #[serde(default)]
    calls: Option<u32>,
}

/// A field that must be present, possibly `null` (serde treats a missing `Option` as `None`
/// unless it is read with a function).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::deserialize(d)
}

/// A route that takes no body: none, or `{}`. A member (`{"merchant": ...}`) is refused rather
/// than ignored, so that it never seems to choose the transaction.
fn no_members(body: &Bytes) -> Result<(), Refused> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoMembers {}
    if body.is_empty() {
        return Ok(());
    }
    json_body::<NoMembers>(body, "no body, or {}").map(|_| ())
}

/// Reads the body as JSON whatever the content type says (`curl -d` sends a form type); the
/// 400 says what was expected.
fn json_body<T: DeserializeOwned>(body: &Bytes, expected: &str) -> Result<T, Refused> {
    serde_json::from_slice(body).map_err(|e| Refused::Body(format!("expected {expected}: {e}")))
}

#[derive(Serialize)]
struct MerchantInfo<'a> {
    merchant_code: &'a str,
    notify_url: Option<&'a str>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match self {
            AdminError::NotFound(_) | AdminError::UnknownAfter(_) => StatusCode::NOT_FOUND,
            AdminError::NotFinal(_)
            | AdminError::NotAStatusOfATransaction
            | AdminError::NotInErrorTable { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::CONFLICT,
        };
        error(status, &self.to_string())
    }
}

/// `GET /_sandbox/`: the configuration (never a secret), the routes and the trigger cards; for
/// a browser, the dashboard's list of transactions.
pub(crate) async fn index(
    State(gateway): State<Gateway>,
    uri: http::Uri,
    headers: http::HeaderMap,
) -> Response {
    if dashboard::wants_html(&headers) {
        if !uri.path().ends_with('/') {
            // The pages' links are relative to `/_sandbox/`.
            return axum::response::Redirect::permanent("_sandbox/").into_response();
        }
        let query = Query::<dashboard::ListQuery>::try_from_uri(&uri)
            .map(|Query(q)| q)
            .unwrap_or_default();
        return dashboard::list(gateway, query).await;
    }
    let config = gateway.config();
    let merchants: Vec<MerchantInfo<'_>> = config
        .merchants
        .iter()
        .map(|m| MerchantInfo {
            merchant_code: m.credentials.merchant_code(),
            notify_url: m.notify_url.as_deref(),
        })
        .collect();
    let triggers: Vec<_> = cards::triggers()
        .into_iter()
        .map(|t| {
            json!({
                "card_number": t.card_number,
                "status": t.status.code(),
                "status_text": t.status.vietnamese(),
                "stage": t.stage,
            })
        })
        .collect();
    Json(json!({
        "public_url": gateway.public_url(),
        "transaction_count": gateway.transaction_count(),
        "merchants": merchants,
        "notify_retries": config.notify_retries,
        "notify_backoff_ms": config.notify_backoff.as_millis(),
        "notify_timeout_ms": config.notify_timeout.as_millis(),
        "session_timeout_ms": config.session_timeout.as_millis(),
        "otp_expiry_ms": config.otp_expiry.as_millis(),
        "unknown_result_delay_ms": config.unknown_result_delay.as_millis(),
        "payment_limit": config.payment_limit,
        "banks_under_maintenance": config.banks_under_maintenance.iter().map(|b| b.code()).collect::<Vec<_>>(),
        "faults": {
            "busy_rate": config.faults.busy_rate,
            "bank_error_rate": config.faults.bank_error_rate,
            "latency_ms": config.faults.latency.as_millis(),
            "drop_notify_rate": config.faults.drop_notify_rate,
            "create_order_answer_delay_ms": config.faults.create_order_answer_delay.as_millis(),
        },
        "test_card": {
            "card_holder": cards::TEST_CARD_HOLDER,
            "card_number": cards::TEST_CARD_NUMBER,
            "issue_date": cards::TEST_ISSUE_DATE,
            "otp": cards::TEST_OTP,
        },
        "create_order_failure": gateway.failure(Method::CreateOrder),
        "query_order_failure": gateway.failure(Method::QueryOrder),
        "triggers": triggers,
    }))
    .into_response()
}

/// `GET /_sandbox/transactions`
/// `GET /_sandbox/refusals`: the last refused createOrder and queryOrder requests, with why.
pub(crate) async fn refusals(State(gateway): State<Gateway>, headers: http::HeaderMap) -> Response {
    if dashboard::wants_html(&headers) {
        return dashboard::refusals(&gateway);
    }
    Json(gateway.refusals()).into_response()
}

/// The most transactions a listing page holds (and its default size).
pub(crate) const PAGE_LIMIT: usize = 1000;

/// `?limit=&after=` of the listing.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET /_sandbox/transactions?limit=N&after=ID`: at most `limit` (1 to 1,000: 0 is read as 1,
/// a larger number as 1,000; 1,000 by default) transactions created after `after` (a
/// `123PAYtransactionId`, or an `mTransactionID`; 404 when there is no such transaction),
/// oldest first. When the page is full, the header `X-Pay123-Next-After`
/// names the last one by its `123PAYtransactionId`: ask for the next page with `after=` it.
pub(crate) async fn list(
    State(gateway): State<Gateway>,
    headers: http::HeaderMap,
    uri: http::Uri,
    AdminQuery(query): AdminQuery<PageQuery>,
) -> Response {
    if dashboard::wants_html(&headers) {
        // The dashboard's list, for a browser (its own filters and paging).
        let query = Query::<dashboard::ListQuery>::try_from_uri(&uri)
            .map(|Query(q)| q)
            .unwrap_or_default();
        return dashboard::list(gateway, query).await;
    }
    let limit = query.limit.unwrap_or(PAGE_LIMIT).clamp(1, PAGE_LIMIT);
    // Copying and writing a thousand transactions takes milliseconds: on a blocking thread, so
    // that the API's requests are served meanwhile, even on one core; a few pages at a time.
    let Ok(turn) = gateway.inner.listings.clone().acquire_owned().await else {
        return http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let listed = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let page = gateway.transactions_after(query.after.as_deref(), limit)?;
        let next = (page.len() == limit)
            .then(|| page.last().map(|t| t.transaction_id.clone()))
            .flatten();
        Ok::<_, AdminError>((serde_json::to_vec(&page), next))
    })
    .await;
    let (body, next) = match listed {
        Ok(Ok((Ok(body), next))) => (body, next),
        Ok(Err(refused)) => return refused.into_response(),
        _ => return http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut response = ([(http::header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(next) = next.and_then(|n| http::HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert("x-pay123-next-after", next);
    }
    response
}

/// `GET /_sandbox/transactions/{mTransactionID}`
async fn show(
    State(gateway): State<Gateway>,
    target: Target,
    headers: http::HeaderMap,
) -> Result<Response, AdminError> {
    if dashboard::wants_html(&headers) {
        return Ok(dashboard::transaction(&gateway, target.which()));
    }
    let t = gateway.transaction(target.which());
    Ok(Json(t.ok_or(AdminError::NotFound(target.id))?).into_response())
}

/// `POST /_sandbox/transactions/{mTransactionID}/status` with `{"status": "7201"}`.
async fn force_status(
    State(gateway): State<Gateway>,
    target: Target,
    body: Bytes,
) -> Result<Json<Transaction>, Refused> {
    let body: ForceBody = json_body(&body, r#"{"status": "<code>"}"#)?;
    let status = TransactionStatus::from_code(body.status.trim());
    let t = gateway.force_status(target.which(), status)?;
    tracing::info!(m_transaction_id = %target.id, status = %t.status, "status forced");
    Ok(Json(t))
}

/// `POST /_sandbox/transactions/{mTransactionID}/notify`
async fn resend_notify(
    State(gateway): State<Gateway>,
    target: Target,
    body: Bytes,
) -> Result<(StatusCode, Json<Transaction>), Refused> {
    no_members(&body)?;
    let t = gateway.resend_notify(target.which())?;
    Ok((StatusCode::ACCEPTED, Json(t)))
}

/// `POST /_sandbox/transactions/{mTransactionID}/time-out`
async fn time_out(
    State(gateway): State<Gateway>,
    target: Target,
    body: Bytes,
) -> Result<Json<Transaction>, Refused> {
    no_members(&body)?;
    Ok(Json(gateway.time_out(target.which())?))
}

/// `POST /_sandbox/transactions/{mTransactionID}/total-amount` with `{"total_amount": 1}`
/// (`null`: the order's amount again).
async fn report_total_amount(
    State(gateway): State<Gateway>,
    target: Target,
    body: Bytes,
) -> Result<Json<Transaction>, Refused> {
    let body: AmountBody = json_body(&body, r#"{"total_amount": <VND or null>}"#)?;
    let t = gateway.report_total_amount(target.which(), body.total_amount)?;
    tracing::info!(m_transaction_id = %target.id, reported = ?body.total_amount, "queryOrder totalAmount set");
    Ok(Json(t))
}

/// `POST /_sandbox/create-order/fail` with `{"code": "6200", "calls": 3}` (no `calls`: until
/// cleared), and `/_sandbox/query-order/fail`.
async fn fail(
    State(gateway): State<Gateway>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<Option<InjectedFailure>>, Refused> {
    let method = method_of(&method)?;
    let body: FailBody = json_body(&body, r#"{"code": "<returnCode>", "calls": <n>}"#)?;
    let code = ReturnCode::from_code(body.code.trim());
    let failure = gateway.fail(method, code, body.calls)?;
    tracing::info!(method = method.name(), failure = ?failure, "failure injected");
    Ok(Json(failure))
}

/// `POST /_sandbox/create-order/clear`, `/_sandbox/query-order/clear`.
async fn clear(
    State(gateway): State<Gateway>,
    Path(method): Path<String>,
) -> Result<StatusCode, Refused> {
    let method = method_of(&method)?;
    gateway.clear_failure(method);
    tracing::info!(method = method.name(), "failure cleared");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /_sandbox/notify/drop-next`
pub(crate) async fn drop_next_notify(State(gateway): State<Gateway>) -> Response {
    gateway.drop_next_notify();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_sandbox/reset`
pub(crate) async fn reset(State(gateway): State<Gateway>) -> Response {
    gateway.reset();
    tracing::info!("sandbox reset");
    StatusCode::NO_CONTENT.into_response()
}
