//! What the shop's pages answer, framework-free: each demo shop's routes (axum, actix-web,
//! rocket) call the [`Shop`](crate::Shop) and answer with these, in their framework's own way.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | [`products_page`] |
//! | `POST /checkout` (form [`CheckoutForm`]) | `303 See Other` to [`Checkout::redirect_url`](crate::Checkout) with [`ORDER_ID_HEADER`] (and [`Checkout::to_json`](crate::Checkout::to_json) when JSON is asked), or [`Problem::checkout`] (404 unknown product, 400 unknown bank or no product, 413 too large, 502/503/504 createOrder failed, 500 the shop's own error) |
//! | `GET /return` | [`return_page`] (200, or 404 when no order is found) |
//! | `GET /orders/{mTransactionID}` | [`order_page`], or the [`OrderView`] as JSON with `Accept: application/json`; [`Problem::order_not_found`] |
//! | `POST /123pay/notify` | the framework adapter's confirmed notify listener, over [`Shop::payments`](crate::Shop::payments) |
//! | anything else | [`Problem::page_not_found`]; a known path with another method: 405 |
//!
//! Every answer to a checkout that recorded an order carries [`ORDER_ID_HEADER`]. Problems are
//! answered as JSON when asked with `Accept: application/json` ([`wants_json`]):
//! `{"error": code, "mTransactionID": id or null, "messageVi", "messageEn"}`. Pages are sent
//! with `Cache-Control: no-store`.

use askama::Template;
use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use crate::pages::{ErrorPage, OrderPage, ProductsPage, ReturnPage};
use crate::shop::CheckoutError;
use crate::view::{OrderView, ReturnView};

/// The largest request body the shop reads (the checkout form is a few dozen bytes): 413 beyond.
pub const MAX_FORM_BODY: usize = 16 * 1024;

/// The header naming the order a checkout recorded.
pub const ORDER_ID_HEADER: &str = "x-order-id";

/// An HTML page and its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The HTTP status.
    pub status: u16,
    /// The page.
    pub html: String,
}

impl Page {
    fn render(status: u16, page: &impl Template) -> Self {
        match page.render() {
            Ok(html) => Self { status, html },
            Err(e) => {
                tracing::error!(error = %e, "template error");
                Self {
                    status: 500,
                    html: "template error".to_owned(),
                }
            }
        }
    }
}

/// `GET /`: the products, each with a form posting to `/checkout`, and the bank choice.
#[must_use]
pub fn products_page(catalog: &[Product]) -> Page {
    Page::render(200, &ProductsPage::new(catalog))
}

/// `GET /orders/{id}`: an order and its history.
#[must_use]
pub fn order_page(order: &OrderView) -> Page {
    Page::render(200, &OrderPage { order })
}

/// `GET /return`: the result of a payment; 404 when the URL names no known order.
#[must_use]
pub fn return_page(view: &ReturnView) -> Page {
    let status = if view.order.is_some() { 200 } else { 404 };
    Page::render(status, &ReturnPage::new(view))
}

/// The checkout form: `product_id`, and `bank_code` (empty or absent: the buyer chooses at
/// 123PAY).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckoutForm {
    /// The product's id in the catalog.
    pub product_id: Option<String>,
    /// A bank code of the specification, `123PAY`, or empty.
    pub bank_code: Option<String>,
}

/// Whether the client asked for JSON: the core's rule ([`pay123_core::wants_json`]), the same
/// as for pay123's own errors.
pub use pay123_core::wants_json;

/// An error answer: its status, and its body as a page or as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A short code: `not_found`, `no_product`, `too_large`, `unknown_product`,
    /// `unknown_bank`, `store`, or a createOrder failure's code (`5000`, `timeout`...).
    pub error: String,
    /// The order the failed checkout recorded, if any.
    #[serde(rename = "mTransactionID")]
    pub m_transaction_id: Option<String>,
    /// What happened, for the buyer, in Vietnamese.
    #[serde(rename = "messageVi")]
    pub message_vi: String,
    /// The same in English.
    #[serde(rename = "messageEn")]
    pub message_en: String,
    #[serde(skip)]
    status: u16,
    #[serde(skip)]
    title_vi: &'static str,
    #[serde(skip)]
    title_en: &'static str,
}

impl Problem {
    fn new(
        status: u16,
        error: &str,
        (title_vi, title_en): (&'static str, &'static str),
        (message_vi, message_en): (&str, &str),
    ) -> Self {
        Self {
            error: error.to_owned(),
            m_transaction_id: None,
            message_vi: message_vi.to_owned(),
            message_en: message_en.to_owned(),
            status,
            title_vi,
            title_en,
        }
    }

    /// 404 for a path the shop does not have.
    #[must_use]
    pub fn page_not_found() -> Self {
        Self::new(
            404,
            "not_found",
            ("Không tìm thấy trang", "Page not found"),
            ("Trang này không tồn tại.", "This page does not exist."),
        )
    }

    /// 404 for an unknown order.
    #[must_use]
    pub fn order_not_found() -> Self {
        Self::new(
            404,
            "not_found",
            ("Không tìm thấy đơn hàng", "Order not found"),
            (
                "Không có đơn hàng với mã này.",
                "There is no order with this id.",
            ),
        )
    }

    /// 400 for a checkout form without a product.
    #[must_use]
    pub fn no_product() -> Self {
        Self::new(
            400,
            "no_product",
            ("Chưa chọn sản phẩm", "No product chosen"),
            ("Vui lòng chọn một sản phẩm.", "Please choose a product."),
        )
    }

    /// 400 for a body that is not the form.
    #[must_use]
    pub fn bad_form() -> Self {
        Self::new(
            400,
            "bad_form",
            ("Biểu mẫu không hợp lệ", "Invalid form"),
            (
                "Biểu mẫu gửi lên không hợp lệ.",
                "The form sent is not valid.",
            ),
        )
    }

    /// 413 for a body over [`MAX_FORM_BODY`].
    #[must_use]
    pub fn too_large() -> Self {
        Self::new(
            413,
            "too_large",
            ("Yêu cầu quá lớn", "Request too large"),
            ("Biểu mẫu gửi lên quá lớn.", "The form is too large."),
        )
    }

    /// 500 for a store that failed.
    #[must_use]
    pub fn store() -> Self {
        Self::new(
            500,
            "store",
            ("Lỗi hệ thống", "System error"),
            (
                "Lỗi hệ thống. Vui lòng thử lại sau.",
                "System error. Please try again later.",
            ),
        )
    }

    /// 502 for a payment page URL that is not a valid header value.
    #[must_use]
    pub fn invalid_redirect() -> Self {
        Self::new(
            502,
            "invalid_response",
            ("Không thể thanh toán", "Cannot pay"),
            (
                "Địa chỉ thanh toán 123PAY trả về không hợp lệ.",
                "The payment page 123PAY returned is not a valid URL.",
            ),
        )
    }

    /// The answer to a checkout that did not send the buyer to 123PAY, naming the order it
    /// recorded, if any.
    #[must_use]
    pub fn checkout(error: &CheckoutError) -> Self {
        let title = match error {
            CheckoutError::UnknownProduct(_) => ("Không tìm thấy sản phẩm", "Product not found"),
            CheckoutError::UnknownBank(_) => ("Ngân hàng không hợp lệ", "Invalid bank"),
            CheckoutError::TooMany => ("Quá nhiều đơn hàng", "Too many orders"),
            _ if error.is_unsure() => ("Đang xác minh giao dịch", "Checking the payment"),
            _ => ("Không thể thanh toán", "Cannot pay"),
        };
        Self {
            m_transaction_id: error.m_transaction_id().map(str::to_owned),
            ..Self::new(
                error.status_code().as_u16(),
                &error.code(),
                title,
                (&error.vietnamese(), &error.english()),
            )
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The page.
    #[must_use]
    pub fn to_page(&self) -> Page {
        let code = (self.error != "not_found").then_some(self.error.as_str());
        Page::render(
            self.status,
            &ErrorPage {
                title_vi: self.title_vi,
                title_en: self.title_en,
                message_vi: &self.message_vi,
                message_en: &self.message_en,
                code,
                m_transaction_id: self.m_transaction_id.as_deref(),
            },
        )
    }

    /// The JSON body.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a problem of strings serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_with_accept() {
        assert!(!wants_json([]));
        assert!(wants_json(["text/html, application/json;q=0.9"]));
        assert!(wants_json(["text/html", "application/json"]));
        assert!(!wants_json(["text/html"]));
    }

    #[test]
    fn a_problem_is_a_page_or_json() {
        let problem = Problem::order_not_found();
        assert_eq!(problem.status(), 404);
        let json: serde_json::Value = serde_json::from_str(&problem.to_json()).unwrap();
        assert_eq!(json["error"], "not_found");
        assert!(json["mTransactionID"].is_null());
        assert!(
            problem
                .to_page()
                .html
                .contains("Không có đơn hàng với mã này.")
        );
    }
}
