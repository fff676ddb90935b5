//! `POST /miservice/createOrder1` and `POST /miservice/queryOrder1`, answered as 123PAY does.
//! Parsing, authentication and signing are the core's; the sandbox adds the gateway's business
//! rules (duplicates, limit, maintenance) and the injected faults.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode, header};
use pay123_core::{
    BankCode, ReceivedCreateOrder, ReceivedQueryOrder, RequestError, ReturnCode, error_response,
};

use crate::gateway::Gateway;

/// An `http::Response<Bytes>` of the core, as an axum response.
pub(crate) fn from_core(response: http::Response<bytes::Bytes>) -> Response {
    response.map(Body::from)
}

/// `[code, description]`; the description says what was wrong in Vietnamese, then in English.
fn gateway_error(code: &ReturnCode, detail: &str) -> Response {
    let description = if detail.is_empty() {
        code.vietnamese().to_owned()
    } else {
        format!("{}: {detail}", code.vietnamese())
    };
    from_core(error_response(code, &description))
}

/// HTTP 415 without `Accept: application/json`, else `6100` or `6000` naming the problem.
fn refuse(method: &str, error: &RequestError) -> Response {
    tracing::warn!(method, error = %error, "request refused");
    match error.return_code() {
        None => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "123PAY requires the header Accept: application/json\n",
        )
            .into_response(),
        Some(code) => gateway_error(&code, &error.to_string()),
    }
}

/// The injected faults: latency, then a `5000` or `7300` answer at the configured rates.
async fn faults(gateway: &Gateway) -> Option<ReturnCode> {
    let faults = &gateway.config().faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.busy_rate > 0.0 && rand::random_bool(faults.busy_rate) {
        return Some(ReturnCode::Busy);
    }
    if faults.bank_error_rate > 0.0 && rand::random_bool(faults.bank_error_rate) {
        return Some(ReturnCode::BankCommunication);
    }
    None
}

pub(crate) async fn create_order(
    State(gateway): State<Gateway>,
    parts: Parts,
    body: Bytes,
) -> Response {
    const METHOD: &str = "createOrder";
    let request = Request::from_parts(parts, body);
    let received = match ReceivedCreateOrder::from_http_request(&request) {
        Ok(received) => received,
        Err(e) => return refuse(METHOD, &e),
    };
    let Some(merchant) = gateway.merchant(received.merchant_code()) else {
        tracing::warn!(
            method = METHOD,
            merchant = received.merchant_code(),
            "unknown merchant"
        );
        return gateway_error(
            &ReturnCode::AuthenticationFailed,
            &format!("unknown merchantCode {:?}", received.merchant_code()),
        );
    };
    let merchant_code = received.merchant_code().to_owned();
    let order = match received.authenticate(&merchant.credentials) {
        Ok(order) => order,
        Err(e) => return refuse(METHOD, &e),
    };
    if let Some(code) = faults(&gateway).await {
        tracing::warn!(method = METHOD, m_transaction_id = order.m_transaction_id(), code = %code, "fault injected");
        return gateway_error(&code, "fault injected by the sandbox");
    }
    let bank = order.bank_code();
    let config = gateway.config();
    let refusal = if bank != BankCode::Pay123 && !BankCode::BANKS.contains(&bank) {
        Some((
            ReturnCode::InvalidParameter,
            format!("bankCode: unknown bank {:?}", bank.code()),
        ))
    } else if config.banks_under_maintenance.contains(&bank) {
        Some((
            ReturnCode::BankMaintenance,
            format!(
                "bankCode {} ({}) is under maintenance",
                bank.code(),
                bank.name()
            ),
        ))
    } else if order.total_amount() > config.payment_limit {
        Some((
            ReturnCode::OverLimit,
            format!(
                "totalAmount {} is over the limit of {} VND",
                order.total_amount(),
                config.payment_limit
            ),
        ))
    } else {
        None
    };
    let result = match refusal {
        Some(refusal) => Err(refusal),
        None => gateway
            .create(&merchant_code, order.clone())
            .map_err(|code| {
                let detail = format!(
                    "mTransactionID {:?} was used before",
                    order.m_transaction_id()
                );
                (code, detail)
            }),
    };
    match result {
        Ok(created) => {
            tracing::info!(
                method = METHOD,
                merchant = %merchant_code,
                m_transaction_id = order.m_transaction_id(),
                transaction_id = %created.transaction_id,
                amount = order.total_amount(),
                bank = %bank,
                "order created"
            );
            from_core(created.to_http_response(merchant.credentials.secret_key()))
        }
        Err((code, detail)) => {
            tracing::warn!(
                method = METHOD,
                merchant = %merchant_code,
                m_transaction_id = order.m_transaction_id(),
                code = %code,
                detail = %detail,
                "order refused"
            );
            gateway_error(&code, &detail)
        }
    }
}

pub(crate) async fn query_order(
    State(gateway): State<Gateway>,
    parts: Parts,
    body: Bytes,
) -> Response {
    const METHOD: &str = "queryOrder";
    let request = Request::from_parts(parts, body);
    let received = match ReceivedQueryOrder::from_http_request(&request) {
        Ok(received) => received,
        Err(e) => return refuse(METHOD, &e),
    };
    let Some(merchant) = gateway.merchant(received.merchant_code()) else {
        tracing::warn!(
            method = METHOD,
            merchant = received.merchant_code(),
            "unknown merchant"
        );
        return gateway_error(
            &ReturnCode::AuthenticationFailed,
            &format!("unknown merchantCode {:?}", received.merchant_code()),
        );
    };
    let merchant_code = received.merchant_code().to_owned();
    let query = match received.authenticate(&merchant.credentials) {
        Ok(query) => query,
        Err(e) => return refuse(METHOD, &e),
    };
    if let Some(code) = faults(&gateway).await {
        tracing::warn!(method = METHOD, m_transaction_id = query.m_transaction_id(), code = %code, "fault injected");
        return gateway_error(&code, "fault injected by the sandbox");
    }
    let status = gateway.query(&merchant_code, query.m_transaction_id());
    tracing::info!(
        method = METHOD,
        merchant = %merchant_code,
        m_transaction_id = query.m_transaction_id(),
        status = %status.status,
        "order queried"
    );
    from_core(status.to_http_response(merchant.credentials.secret_key()))
}
