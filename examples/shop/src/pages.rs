//! The HTML pages, rendered from the askama templates in `templates/`.

use askama::Template;
use pay123_core::BankCode;

use crate::catalog::Product;
use crate::view::{OrderView, ReturnView, TicketCheck};

/// One option of the bank select.
pub(crate) struct BankOption {
    pub(crate) code: &'static str,
    pub(crate) label: String,
}

/// One product card.
pub(crate) struct ProductItem {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) english: &'static str,
    pub(crate) price_text: String,
}

#[derive(Template)]
#[template(path = "products.html")]
pub(crate) struct ProductsPage {
    pub(crate) products: Vec<ProductItem>,
    pub(crate) banks: Vec<BankOption>,
}

impl ProductsPage {
    pub(crate) fn new(products: &[Product]) -> Self {
        Self {
            products: products
                .iter()
                .map(|p| ProductItem {
                    id: p.id,
                    name: p.name,
                    english: p.english,
                    price_text: p.price_text(),
                })
                .collect(),
            banks: BankCode::BANKS
                .iter()
                .map(|b| BankOption {
                    code: b.code(),
                    label: format!("{} · {}", b.name(), b.vietnamese_name()),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "order.html")]
pub(crate) struct OrderPage<'a> {
    pub(crate) order: &'a OrderView,
}

#[derive(Template)]
#[template(path = "return.html")]
pub(crate) struct ReturnPage<'a> {
    pub(crate) order: Option<&'a OrderView>,
    pub(crate) m_transaction_id: Option<&'a str>,
    pub(crate) query_failed: bool,
    /// `verified`, `absent` or `invalid`.
    pub(crate) ticket_state: &'static str,
    pub(crate) ticket_note: String,
}

impl<'a> ReturnPage<'a> {
    pub(crate) fn new(view: &'a ReturnView) -> Self {
        let (ticket_state, ticket_note) = match &view.ticket {
            TicketCheck::Verified(status) => (
                "verified",
                format!(
                    "Liên kết trả về hợp lệ; 123PAY báo trạng thái {} (chỉ để tham khảo, trạng thái \
                     trên được xác nhận với 123PAY). Valid return link; its status {} is a hint only.",
                    status.code(),
                    status.code()
                ),
            ),
            TicketCheck::Absent => (
                "absent",
                "Liên kết không có chữ ký; trạng thái trên lấy từ cửa hàng và 123PAY. \
                 The link carries no ticket; the status above comes from the shop and 123PAY."
                    .to_owned(),
            ),
            TicketCheck::Invalid(_) => (
                "invalid",
                "Chữ ký của liên kết không hợp lệ hoặc đã hết hạn; trạng thái trên lấy từ cửa hàng \
                 và 123PAY. The link's ticket is invalid or expired; the status above comes from \
                 the shop and 123PAY."
                    .to_owned(),
            ),
        };
        Self {
            order: view.order.as_ref(),
            m_transaction_id: view.m_transaction_id.as_deref(),
            query_failed: view.query_error.is_some(),
            ticket_state,
            ticket_note,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub(crate) title_vi: &'a str,
    pub(crate) title_en: &'a str,
    pub(crate) message_vi: &'a str,
    pub(crate) message_en: &'a str,
    pub(crate) code: Option<&'a str>,
    pub(crate) m_transaction_id: Option<&'a str>,
}
