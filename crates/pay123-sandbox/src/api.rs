//! `POST /miservice/createOrder1` and `POST /miservice/queryOrder1`, answered as 123PAY does.
//! Parsing, authentication, signing and the answers to a refused request are the core's; the
//! sandbox adds the gateway's business rules (duplicates, limit, maintenance) and the injected
//! faults.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, State};
use axum::response::{IntoResponse, Response};
use http::Request;
use pay123_core::ReturnCode;
use pay123_core::checksum::Message;
use pay123_core::gateway::{MerchantRequest, Received, RequestError, error_response};
use pay123_core::{CreateOrder, QueryOrder};

use crate::gateway::{Gateway, MerchantEntry};
use crate::transaction::{Method, Refusal};

/// An `http::Response<Bytes>` of the core, as an axum response.
pub(crate) fn from_core(response: http::Response<bytes::Bytes>) -> Response {
    response.map(Body::from)
}

/// The header that tells a developer why a request was refused. 123PAY's wire format is
/// untouched: its body holds the specification's text only.
pub(crate) const DETAIL_HEADER: &str = "x-pay123-sandbox-detail";

/// What a refused request was about, as far as it could be read.
#[derive(Debug, Default, Clone)]
struct About {
    merchant_code: Option<String>,
    m_transaction_id: Option<String>,
    /// For a checksum that does not match: the explainer's report (see [`Refusal`]).
    explanation: Option<String>,
}

/// Answers a refusal as 123PAY does (`[code, description]` with the specification's text, or
/// the core's HTTP 415), with the sandbox's explanation in [`DETAIL_HEADER`], its log and
/// `GET /_sandbox/refusals`; with `--lenient`, also after the text in the body.
fn refuse_with(
    gateway: &Gateway,
    method: &'static str,
    about: About,
    answer: http::Response<bytes::Bytes>,
    code: &str,
    description: &str,
    detail: &str,
) -> Response {
    tracing::warn!(
        method,
        merchant = about.merchant_code.as_deref(),
        m_transaction_id = about.m_transaction_id.as_deref(),
        code,
        detail,
        "request refused"
    );
    let mut answer = if gateway.config().lenient && code != "415" {
        error_response(
            &ReturnCode::from_code(code),
            &format!("{description}: {detail}"),
        )
    } else {
        answer
    };
    if let Ok(value) = http::HeaderValue::from_str(&header_text(detail)) {
        answer.headers_mut().insert(DETAIL_HEADER, value);
    }
    gateway.record_refusal(Refusal {
        at: gateway.config().clock.now(),
        method,
        merchant_code: about.merchant_code,
        m_transaction_id: about.m_transaction_id,
        code: code.to_owned(),
        description: description.to_owned(),
        detail: detail.to_owned(),
        explanation: about.explanation,
    });
    from_core(answer)
}

/// A header value: ASCII without diacritics, no control characters, at most 500 characters.
fn header_text(text: &str) -> String {
    // A header value is ASCII: any other character is written as its escape (`\u{1ec5}`), so
    // that a detail naming a refused character names that one, not its unaccented letter.
    let mut header = String::new();
    for c in text.chars() {
        if header.len() >= 500 {
            break;
        }
        match c {
            ' ' => header.push(' '),
            c if c.is_ascii_graphic() => header.push(c),
            c if c.is_ascii() => header.push(' '),
            c => header.extend(c.escape_unicode()),
        }
    }
    header
}

/// `[code, description]`: the specification's text for the code, exactly; the detail goes to
/// the developer.
fn gateway_error(
    gateway: &Gateway,
    method: &'static str,
    about: About,
    code: &ReturnCode,
    detail: &str,
) -> Response {
    let description = code.vietnamese();
    refuse_with(
        gateway,
        method,
        about,
        error_response(code, description),
        code.code(),
        description,
        detail,
    )
}

/// The core's answer to a refused request: HTTP 415, `6100` or `6000`.
fn refuse(gateway: &Gateway, method: &'static str, about: About, error: &RequestError) -> Response {
    let answer = error.to_http_response();
    let (code, description) = match error.return_code() {
        Some(code) => (code.code().to_owned(), code.vietnamese()),
        None => ("415".to_owned(), "Unsupported Media Type"),
    };
    refuse_with(
        gateway,
        method,
        about,
        answer,
        &code,
        description,
        &error.to_string(),
    )
}

impl About {
    /// An order of a known merchant.
    fn order(merchant_code: &str, m_transaction_id: &str) -> Self {
        Self {
            merchant_code: Some(merchant_code.to_owned()),
            m_transaction_id: Some(m_transaction_id.to_owned()),
            explanation: None,
        }
    }
}

/// What a request body claims, read leniently, to say what a refusal was about: the two
/// strings only, every other member skipped without being kept (a refused body may be
/// hostile), nothing when the body is not such an object.
fn about_of(body: &[u8]) -> About {
    #[derive(serde::Deserialize)]
    struct Claimed {
        #[serde(rename = "merchantCode", default)]
        merchant_code: Option<String>,
        #[serde(rename = "mTransactionID", default)]
        m_transaction_id: Option<String>,
    }
    let Ok(claimed) = serde_json::from_slice::<Claimed>(body) else {
        return About::default();
    };
    let text = |value: Option<String>| value.filter(|v| v.len() <= 50);
    About {
        merchant_code: text(claimed.merchant_code),
        m_transaction_id: text(claimed.m_transaction_id),
        explanation: None,
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

/// The largest body whose checksum mismatch is explained: a real request is a few KB, and the
/// explainer reads a body into a tree about a hundred times its size (the public sandbox
/// passcode is no secret).
const EXPLAINED_BODY_MAX: usize = 64 * 1024;

/// What `pay123 checksum explain` says of a refused request whose checksum does not match
/// the merchant's key: called only for a sender that holds the merchant's passcode (the core
/// refused the checksum, after the merchant code and the passcode), since reading the body again
/// costs memory a stranger must not make the sandbox spend. `None` when the merchant is
/// unknown, the body cannot be read, the passcode differs or the explainer finds no mismatch.
/// The report names the fields and the masked signing string, never the right checksum.
fn explain_mismatch(
    gateway: &Gateway,
    message: Message,
    about: &About,
    raw: &[u8],
) -> Option<String> {
    use pay123_core::checksum::Field;
    let merchant = gateway.merchant(about.merchant_code.as_deref()?)?;
    let parsed = crate::explain::parse(raw, Some(message)).ok()?;
    let passcode = parsed.values.iter().find(|(f, _)| *f == Field::Passcode)?;
    if !merchant.credentials.passcode().matches(&passcode.1) {
        return None;
    }
    let explained = crate::explain::explain(parsed, merchant.credentials.secret_key());
    (explained.verdict == crate::explain::Verdict::Mismatch).then(|| explained.report())
}

/// A createOrder or queryOrder request admitted by what both methods do first: parsed (HTTP
/// 415, `6100`), its merchant found and authenticated (`6000`), then the injected faults. The
/// rejection is the answer to send.
pub(crate) struct Admitted<M>(MerchantEntry, M);

impl<M: MerchantRequest + Send> FromRequest<Gateway> for Admitted<M> {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        gateway: &Gateway,
    ) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), gateway)
            .await
            .map_err(IntoResponse::into_response)?;
        // Read again, leniently, only to tell what a refused request was about.
        let about = || about_of(&body);
        let request = Request::from_parts(parts, body.clone());
        let received = Received::<M>::from_http_request(&request)
            .map_err(|e| refuse(gateway, M::METHOD, about(), &e))?;
        let (merchant, message) = received
            .authenticate_with(|code| gateway.merchant(code))
            .map_err(|e| {
                let mut about = about();
                if matches!(e, RequestError::Checksum(_)) && body.len() <= EXPLAINED_BODY_MAX {
                    about.explanation = explain_mismatch(gateway, M::MESSAGE, &about, &body);
                }
                refuse(gateway, M::METHOD, about, &e)
            })?;
        if let Some(code) = faults(gateway).await {
            return Err(gateway_error(
                gateway,
                M::METHOD,
                about(),
                &code,
                "fault injected by the sandbox (--busy-rate, --bank-error-rate)",
            ));
        }
        Ok(Self(merchant.clone(), message))
    }
}

pub(crate) async fn create_order(
    State(gateway): State<Gateway>,
    Admitted(merchant, order): Admitted<CreateOrder>,
) -> Response {
    let merchant_code = merchant.credentials.merchant_code();
    let bank = order.bank_code();
    let config = gateway.config();
    let refusal = if let Some(code) = gateway.take_failure(Method::CreateOrder) {
        Some((
            code,
            "failure injected through the sandbox's admin API".to_owned(),
        ))
    } else if !(bank == pay123_core::BankCode::Pay123 || config.pays_through(&bank)) {
        Some((
            ReturnCode::InvalidParameter,
            format!(
                "bankCode: unknown bank {:?} (a bank 123PAY added later: --add-bank)",
                bank.code()
            ),
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
        None => gateway.create(merchant_code, &order).map_err(|code| {
            let detail = format!(
                "mTransactionID {:?} was used before",
                order.m_transaction_id()
            );
            (code, detail)
        }),
    };
    if !config.faults.create_order_answer_delay.is_zero() {
        tokio::time::sleep(config.faults.create_order_answer_delay).await;
    }
    match result {
        Ok(created) => {
            tracing::info!(
                method = CreateOrder::METHOD,
                merchant = %merchant_code,
                m_transaction_id = order.m_transaction_id(),
                transaction_id = %created.pay123_transaction_id(),
                amount = order.total_amount(),
                bank = %bank,
                "order created"
            );
            from_core(created.to_http_response(merchant.credentials.secret_key()))
        }
        Err((code, detail)) => gateway_error(
            &gateway,
            CreateOrder::METHOD,
            About::order(merchant_code, order.m_transaction_id()),
            &code,
            &detail,
        ),
    }
}

pub(crate) async fn query_order(
    State(gateway): State<Gateway>,
    Admitted(merchant, query): Admitted<QueryOrder>,
) -> Response {
    let merchant_code = merchant.credentials.merchant_code();
    if let Some(code) = gateway.take_failure(Method::QueryOrder) {
        return gateway_error(
            &gateway,
            QueryOrder::METHOD,
            About::order(merchant_code, query.m_transaction_id()),
            &code,
            "failure injected through the sandbox's admin API",
        );
    }
    let status = gateway.query(merchant_code, query.m_transaction_id());
    tracing::info!(
        method = QueryOrder::METHOD,
        merchant = %merchant_code,
        m_transaction_id = query.m_transaction_id(),
        status = %status.status(),
        "order queried"
    );
    from_core(status.to_http_response(merchant.credentials.secret_key()))
}
