//! `POST /miservice/createOrder1` and `POST /miservice/queryOrder1`, answered as 123PAY does.
//! Parsing, authentication, signing and the answers to a refused request are the core's; the
//! sandbox adds the gateway's business rules (duplicates, limit, maintenance) and the injected
//! faults.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use http::Request;
use http::request::Parts;
use pay123_core::{
    ReceivedCreateOrder, ReceivedQueryOrder, ReceivedRequest, RequestError, ReturnCode,
    error_response,
};

use crate::gateway::{Gateway, MerchantEntry};

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

/// The core's answer to a refused request: HTTP 415, `6100` or `6000`.
fn refuse(method: &str, error: &RequestError) -> Response {
    tracing::warn!(method, error = %error, "request refused");
    from_core(error.to_http_response())
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

/// What both methods do first: parse (HTTP 415, `6100`), find the merchant and authenticate
/// (`6000`), then the injected faults. The merchant and the authenticated request, or the
/// answer to send.
async fn admit<R: ReceivedRequest>(
    gateway: &Gateway,
    parts: Parts,
    body: Bytes,
) -> Result<(&MerchantEntry, R::Message), Response> {
    let request = Request::from_parts(parts, body);
    let received = R::from_http_request(&request).map_err(|e| refuse(R::METHOD, &e))?;
    let m_transaction_id = received.m_transaction_id().to_owned();
    let (merchant, message) = received
        .authenticate_with(|code| gateway.merchant(code))
        .map_err(|e| refuse(R::METHOD, &e))?;
    if let Some(code) = faults(gateway).await {
        tracing::warn!(
            method = R::METHOD,
            m_transaction_id,
            code = %code,
            "fault injected"
        );
        return Err(gateway_error(&code, "fault injected by the sandbox"));
    }
    Ok((merchant, message))
}

pub(crate) async fn create_order(
    State(gateway): State<Gateway>,
    parts: Parts,
    body: Bytes,
) -> Response {
    const METHOD: &str = ReceivedCreateOrder::METHOD;
    let (merchant, order) = match admit::<ReceivedCreateOrder>(&gateway, parts, body).await {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let merchant_code = merchant.credentials.merchant_code();
    let bank = order.bank_code();
    let config = gateway.config();
    let refusal = if !bank.is_known() {
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
            .create(merchant_code, order.clone())
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
    const METHOD: &str = ReceivedQueryOrder::METHOD;
    let (merchant, query) = match admit::<ReceivedQueryOrder>(&gateway, parts, body).await {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let merchant_code = merchant.credentials.merchant_code();
    if let Some(code) = gateway.take_query_failure() {
        tracing::warn!(
            method = METHOD,
            merchant = %merchant_code,
            m_transaction_id = query.m_transaction_id(),
            code = %code,
            "queryOrder failure injected"
        );
        return gateway_error(&code, "failure injected through the sandbox's admin API");
    }
    let status = gateway.query(merchant_code, query.m_transaction_id());
    tracing::info!(
        method = METHOD,
        merchant = %merchant_code,
        m_transaction_id = query.m_transaction_id(),
        status = %status.status,
        "order queried"
    );
    from_core(status.to_http_response(merchant.credentials.secret_key()))
}
