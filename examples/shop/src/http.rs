//! The shop's HTTP contract, framework-free: an `http::Request<Bytes>` in, an
//! `http::Response<Bytes>` out. A framework adapter reads the body (at most [`MAX_FORM_BODY`]
//! bytes), passes the peer's address, and writes the response back; it mounts the notify listener
//! itself at [`NOTIFY_PATH`](crate::NOTIFY_PATH) and calls [`Shop::on_notify`].
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the products, with a form posting to `/checkout` |
//! | `POST /checkout` (form `product_id`, optional `bank_code`) | `303 See Other` to 123PAY's page, or an error page (404 unknown product, 400 unknown bank, 502/504 createOrder failed, 500 store error) |
//! | `GET /return` | the result page (queryOrder when the order is `pending`); 404 when no order is found |
//! | `GET /orders/{mTransactionID}` | the order page, or its JSON with `Accept: application/json`; 404 when unknown |
//!
//! Every answer to a checkout that recorded an order carries the header `X-Order-Id` with its
//! `mTransactionID`. Checkout errors and unknown orders answer JSON too when asked with
//! `Accept: application/json`: `{"error": code, "mTransactionID": id or null, "messageVi",
//! "messageEn"}`.

use std::net::IpAddr;

use askama::Template;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use pay123_core::HttpClient;
use serde::Serialize;

use crate::pages::{ErrorPage, OrderPage, ProductsPage, ReturnPage};
use crate::shop::{CheckoutError, RETURN_PATH, Shop};
use crate::store::StoreError;

/// The largest request body the shop reads (the checkout form is a few dozen bytes); an adapter
/// answers 413 beyond it, and [`handle`] does too.
pub const MAX_FORM_BODY: usize = 16 * 1024;

/// The header naming the order a checkout recorded.
pub const ORDER_ID_HEADER: &str = "x-order-id";

const ORDERS_PREFIX: &str = "/orders/";

/// Serves one request of the shop's HTTP contract (see the module docs). `client_ip` is the
/// buyer's address, sent to 123PAY as `clientIP` when it is IPv4.
pub async fn handle<C: HttpClient>(
    shop: &Shop<C>,
    request: Request<Bytes>,
    client_ip: Option<IpAddr>,
) -> Response<Bytes> {
    let path = request.uri().path();
    let method = request.method();
    let reading = method == Method::GET || method == Method::HEAD;
    if path == "/" {
        if !reading {
            return method_not_allowed("GET, HEAD");
        }
        return render(StatusCode::OK, &ProductsPage::new(shop.catalog()));
    }
    if path == "/checkout" {
        if method != Method::POST {
            return method_not_allowed("POST");
        }
        return checkout(shop, &request, client_ip).await;
    }
    if path == RETURN_PATH {
        if !reading {
            return method_not_allowed("GET, HEAD");
        }
        return return_page(shop, request.uri().query().unwrap_or("")).await;
    }
    if let Some(id) = path.strip_prefix(ORDERS_PREFIX) {
        if !reading {
            return method_not_allowed("GET, HEAD");
        }
        return order_page(shop, id, wants_json(request.headers())).await;
    }
    error_page(
        StatusCode::NOT_FOUND,
        wants_json(request.headers()),
        &Problem::plain(
            "not_found",
            "Không tìm thấy trang",
            "Page not found",
            "Trang này không tồn tại.",
            "This page does not exist.",
        ),
    )
}

async fn checkout<C: HttpClient>(
    shop: &Shop<C>,
    request: &Request<Bytes>,
    client_ip: Option<IpAddr>,
) -> Response<Bytes> {
    let json = wants_json(request.headers());
    if request.body().len() > MAX_FORM_BODY {
        return error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            json,
            &Problem::plain(
                "too_large",
                "Yêu cầu quá lớn",
                "Request too large",
                "Biểu mẫu gửi lên quá lớn.",
                "The form is too large.",
            ),
        );
    }
    let mut product_id = None;
    let mut bank_code = None;
    for (name, value) in form_urlencoded::parse(request.body()) {
        match name.as_ref() {
            "product_id" => product_id = Some(value.into_owned()),
            "bank_code" => bank_code = Some(value.into_owned()),
            _ => {}
        }
    }
    let Some(product_id) = product_id.filter(|p| !p.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            json,
            &Problem::plain(
                "no_product",
                "Chưa chọn sản phẩm",
                "No product chosen",
                "Vui lòng chọn một sản phẩm.",
                "Please choose a product.",
            ),
        );
    };
    match shop
        .checkout(&product_id, bank_code.as_deref(), client_ip)
        .await
    {
        Ok(created) => {
            let mut response = if json {
                json_response(
                    StatusCode::SEE_OTHER,
                    &serde_json::json!({
                        "mTransactionID": created.m_transaction_id,
                        "redirectURL": created.redirect_url,
                    }),
                )
            } else {
                Response::new(Bytes::new())
            };
            *response.status_mut() = StatusCode::SEE_OTHER;
            let Ok(location) = HeaderValue::from_str(&created.redirect_url) else {
                return error_page(
                    StatusCode::BAD_GATEWAY,
                    json,
                    &Problem::plain(
                        "invalid_response",
                        "Không thể thanh toán",
                        "Cannot pay",
                        "Địa chỉ thanh toán 123PAY trả về không hợp lệ.",
                        "The payment page 123PAY returned is not a valid URL.",
                    ),
                );
            };
            response.headers_mut().insert(header::LOCATION, location);
            set_order_id(&mut response, &created.m_transaction_id);
            response
        }
        Err(error) => checkout_error(&error, json),
    }
}

fn checkout_error(error: &CheckoutError, json: bool) -> Response<Bytes> {
    let (title_vi, title_en) = match error {
        CheckoutError::UnknownProduct(_) => ("Không tìm thấy sản phẩm", "Product not found"),
        CheckoutError::UnknownBank(_) => ("Ngân hàng không hợp lệ", "Invalid bank"),
        _ => ("Không thể thanh toán", "Cannot pay"),
    };
    let code = match error {
        CheckoutError::UnknownProduct(_) => "unknown_product",
        CheckoutError::UnknownBank(_) => "unknown_bank",
        CheckoutError::Store(_) => "store",
        CheckoutError::NotCreated { failure, .. } => failure.code(),
    };
    let (message_vi, message_en) = (error.vietnamese(), error.english());
    let mut response = error_page(
        error.status_code(),
        json,
        &Problem {
            error: code,
            m_transaction_id: error.m_transaction_id(),
            title_vi,
            title_en,
            message_vi: &message_vi,
            message_en: &message_en,
        },
    );
    if let Some(id) = error.m_transaction_id() {
        set_order_id(&mut response, id);
    }
    response
}

async fn return_page<C: HttpClient>(shop: &Shop<C>, query: &str) -> Response<Bytes> {
    match shop.on_return(query).await {
        Ok(view) => {
            let status = if view.order.is_some() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            render(status, &ReturnPage::new(&view))
        }
        Err(e) => store_error(&e, false),
    }
}

async fn order_page<C: HttpClient>(shop: &Shop<C>, id: &str, json: bool) -> Response<Bytes> {
    match shop.order(id).await {
        Ok(Some(order)) if json => json_response(StatusCode::OK, &order),
        Ok(Some(order)) => render(StatusCode::OK, &OrderPage { order: &order }),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            json,
            &Problem {
                error: "not_found",
                m_transaction_id: None,
                title_vi: "Không tìm thấy đơn hàng",
                title_en: "Order not found",
                message_vi: "Không có đơn hàng với mã này.",
                message_en: "There is no order with this id.",
            },
        ),
        Err(e) => store_error(&e, json),
    }
}

fn store_error(error: &StoreError, json: bool) -> Response<Bytes> {
    tracing::error!(%error, "store error");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        json,
        &Problem::plain(
            "store",
            "Lỗi hệ thống",
            "System error",
            "Lỗi hệ thống. Vui lòng thử lại sau.",
            "System error. Please try again later.",
        ),
    )
}

/// An error answer, as a page or as JSON.
#[derive(Serialize)]
struct Problem<'a> {
    error: &'a str,
    #[serde(rename = "mTransactionID")]
    m_transaction_id: Option<&'a str>,
    #[serde(skip)]
    title_vi: &'a str,
    #[serde(skip)]
    title_en: &'a str,
    #[serde(rename = "messageVi")]
    message_vi: &'a str,
    #[serde(rename = "messageEn")]
    message_en: &'a str,
}

impl<'a> Problem<'a> {
    fn plain(
        error: &'a str,
        title_vi: &'a str,
        title_en: &'a str,
        message_vi: &'a str,
        message_en: &'a str,
    ) -> Self {
        Self {
            error,
            m_transaction_id: None,
            title_vi,
            title_en,
            message_vi,
            message_en,
        }
    }
}

fn error_page(status: StatusCode, json: bool, problem: &Problem<'_>) -> Response<Bytes> {
    if json {
        return json_response(status, problem);
    }
    let code = (problem.error != "not_found").then_some(problem.error);
    render(
        status,
        &ErrorPage {
            title_vi: problem.title_vi,
            title_en: problem.title_en,
            message_vi: problem.message_vi,
            message_en: problem.message_en,
            code,
            m_transaction_id: problem.m_transaction_id,
        },
    )
}

/// The client asked for JSON (`Accept: application/json`).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
}

fn render(status: StatusCode, page: &impl Template) -> Response<Bytes> {
    match page.render() {
        Ok(html) => {
            let mut response = Response::new(Bytes::from(html));
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "template error");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "template error")
        }
    }
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Bytes> {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = Response::new(Bytes::from(body));
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "JSON error");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "JSON error")
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(text.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn set_order_id(response: &mut Response<Bytes>, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(ORDER_ID_HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_with_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_json(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html, application/json;q=0.9"),
        );
        assert!(wants_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        assert!(!wants_json(&headers));
    }
}
