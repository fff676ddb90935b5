//! The pay123 demo shop on axum: the framework-free `shop` crate behind axum routes, extractors
//! and responses, with pay123-axum's confirmed notify router mounted at `/123pay/notify` and
//! served by pay123-axum's server (header, body and idle timeouts; a connection cap).

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use pay123_axum::notify_router;
use pay123_axum::pay123_core::SendHttpClient;
use pay123_axum::server::{self, Limits};
use shop::web::{self, CheckoutForm, MAX_FORM_BODY, ORDER_ID_HEADER, Page, Problem};
use shop::{NOTIFY_PATH, RETURN_PATH, Shop, StoreError};
use tokio::net::TcpListener;

/// The shop's router: its pages and the notify listener.
pub fn app<C: SendHttpClient>(shop: Shop<C>) -> Router {
    let payments = shop.payments().clone();
    Router::new()
        .route("/", get(products::<C>))
        .route("/checkout", post(checkout::<C>))
        .route(RETURN_PATH, get(return_page::<C>))
        .route("/orders/{id}", get(order::<C>))
        .merge(notify_router(NOTIFY_PATH, payments))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
        .with_state(shop)
}

/// Serves the shop on `listener`, with the server limits of pay123-axum, until the task is
/// dropped or `shutdown` completes.
pub async fn serve<C: SendHttpClient>(
    listener: TcpListener,
    shop: Shop<C>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let proxies = shop.trusted_proxies().clone();
    server::serve(listener, app(shop))
        .limits(limits)
        .trusted_proxies(proxies)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn products<C: SendHttpClient>(State(shop): State<Shop<C>>) -> Response {
    page(web::products_page(shop.catalog()))
}

async fn checkout<C: SendHttpClient>(
    State(shop): State<Shop<C>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    WantsJson(json): WantsJson,
    form: Result<Form<CheckoutForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return problem(&Problem::too_large(), json);
        }
        Err(_) => return problem(&Problem::bad_form(), json),
    };
    let Some(product_id) = form.product_id.filter(|p| !p.is_empty()) else {
        return problem(&Problem::no_product(), json);
    };
    let buyer = shop.trusted_proxies().client_ip(peer.ip(), &headers);
    match shop
        .checkout(&product_id, form.bank_code.as_deref(), Some(buyer))
        .await
    {
        Ok(created) => {
            let Ok(location) = HeaderValue::from_str(&created.redirect_url) else {
                return problem(&Problem::invalid_redirect(), json);
            };
            let order_id = order_id(&created.m_transaction_id);
            let headers = [(header::LOCATION, location), order_id];
            if json {
                (StatusCode::SEE_OTHER, headers, json_body(created.to_json())).into_response()
            } else {
                (StatusCode::SEE_OTHER, headers).into_response()
            }
        }
        Err(error) => problem(&Problem::checkout(&error), json),
    }
}

async fn return_page<C: SendHttpClient>(
    State(shop): State<Shop<C>>,
    RawQuery(query): RawQuery,
) -> Response {
    match shop.on_return(query.as_deref().unwrap_or("")).await {
        Ok(view) => page(web::return_page(&view)),
        Err(e) => store_error(&e, false),
    }
}

async fn order<C: SendHttpClient>(
    State(shop): State<Shop<C>>,
    Path(id): Path<String>,
    WantsJson(json): WantsJson,
) -> Response {
    match shop.order(&id).await {
        Ok(Some(order)) if json => json_body(order.to_json()).into_response(),
        Ok(Some(order)) => page(web::order_page(&order)),
        Ok(None) => problem(&Problem::order_not_found(), json),
        Err(e) => store_error(&e, json),
    }
}

async fn not_found(WantsJson(json): WantsJson) -> Response {
    problem(&Problem::page_not_found(), json)
}

fn store_error(error: &StoreError, json: bool) -> Response {
    shop::log_store_error(error);
    problem(&Problem::store(), json)
}

/// The client asked for JSON (`Accept: application/json`).
struct WantsJson(bool);

impl<S: Send + Sync> FromRequestParts<S> for WantsJson {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accept = parts.headers.get_all(header::ACCEPT);
        Ok(Self(web::wants_json(
            accept.iter().filter_map(|v| v.to_str().ok()),
        )))
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

const NO_STORE: (header::HeaderName, HeaderValue) =
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"));

fn page(page: Page) -> Response {
    (status(page.status), [NO_STORE], Html(page.html)).into_response()
}

fn json_body(body: String) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            NO_STORE,
        ],
        body,
    )
}

fn problem(problem: &Problem, json: bool) -> Response {
    let mut response = if json {
        (status(problem.status()), json_body(problem.to_json())).into_response()
    } else {
        page(problem.to_page())
    };
    if let Some(id) = &problem.m_transaction_id {
        let (name, value) = order_id(id);
        response.headers_mut().insert(name, value);
    }
    response
}

fn order_id(id: &str) -> (header::HeaderName, HeaderValue) {
    (
        header::HeaderName::from_static(ORDER_ID_HEADER),
        HeaderValue::from_str(id).unwrap_or(HeaderValue::from_static("")),
    )
}
