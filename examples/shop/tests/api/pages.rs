//! The return page and the order page: what the payment flow settled, as the shop shows it.

use std::time::Duration;

use pay123_core::TransactionStatus;
use pay123_core::payments::PaymentState;
use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::test_util::Transport;
use shop::{ReconcilerSettings, TicketCheck};

use crate::common::{return_query, setup, setup_losing_answers};

#[tokio::test]
async fn the_return_page_asks_123pay_and_shows_the_paid_order() {
    let t = setup().await;
    let id = t.checkout("ao-dai").await;
    t.fake.set_status(&id, TransactionStatus::Success);
    let view = t
        .shop
        .on_return(&return_query(&id, TransactionStatus::Success))
        .await
        .unwrap();
    assert_eq!(
        view.ticket,
        TicketCheck::Verified(TransactionStatus::Success)
    );
    let order = view.order.clone().expect("the order is shown");
    assert_eq!(order.status, PaymentState::Paid);
    assert!(order.paid);
    assert_eq!(order.product_name, "Áo dài lụa tơ tằm");
    assert_eq!(
        order.history.iter().map(|h| h.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let html = shop::web::return_page(&view).html;
    assert!(html.contains(r#"id="order-status">paid<"#), "{html}");
    let json: serde_json::Value = serde_json::from_str(&order.to_json()).unwrap();
    assert_eq!(json["status"], "paid");
    assert_eq!(json["paid"], true);
    assert_eq!(json["amount"], 450_000);
    assert_eq!(json["history"][2]["source"], "return");
}

#[tokio::test]
async fn a_failed_query_shows_the_stored_order_without_the_detail() {
    let t = setup().await;
    let id = t.checkout("ao-dai").await;
    t.fake.set_query_order_transport(Transport::Fail);
    let view = t
        .shop
        .on_return(&return_query(&id, TransactionStatus::Success))
        .await
        .unwrap();
    let detail = view.query_error.clone().expect("the failure is reported");
    assert!(detail.contains("connection refused"), "{detail}");
    assert_eq!(view.order.as_ref().unwrap().status, PaymentState::Pending);
    // The buyer is told the check failed, not why: the detail is for the logs.
    let html = shop::web::return_page(&view).html;
    assert!(html.contains(r#"id="query-error""#), "{html}");
    assert!(!html.contains("connection refused"), "{html}");
    assert!(!html.contains("queryOrder:"), "{html}");
}

#[tokio::test]
async fn no_order_is_a_404_page() {
    let t = setup().await;
    let view = t
        .shop
        .on_return(&return_query("SHOP-NOT-HERE", TransactionStatus::Success))
        .await
        .unwrap();
    assert!(view.order.is_none());
    assert_eq!(view.m_transaction_id.as_deref(), Some("SHOP-NOT-HERE"));
    assert_eq!(shop::web::return_page(&view).status, 404);
    assert_eq!(t.fake.query_calls(), 0);
}

/// createOrder reached 123PAY but its answer was lost: the order is `unsure`, and the buyer is
/// told so; the shop's reconciler (the library's, with the shop's settings) learns that 123PAY
/// has the payment, and the page then asks the buyer to wait before ordering again.
#[tokio::test]
async fn an_order_whose_answer_was_lost_is_found_and_explained() {
    let t = setup_losing_answers().await;
    let shop = t.shop.clone().with_reconcile_policy(
        ReconcilePolicy::default()
            .with_first_check(Duration::ZERO)
            .with_interval(Duration::from_secs(30)),
    );
    let error = shop.checkout("ao-dai", None, None).await.unwrap_err();
    assert!(error.is_unsure(), "{error:?}");
    let id = error.m_transaction_id().unwrap().to_owned();
    let view = shop.order(&id).await.unwrap().unwrap();
    assert_eq!(view.status, PaymentState::Unsure);
    assert!(
        view.message_en.contains("please do not order again"),
        "{}",
        view.message_en
    );

    let report = shop
        .reconciler(ReconcilerSettings::default())
        .pass()
        .await
        .unwrap();
    assert_eq!(report.changed, 1);
    let view = shop.order(&id).await.unwrap().unwrap();
    assert_eq!(view.status, PaymentState::Pending);
    assert!(
        view.message_en
            .contains("did not receive 123PAY's payment page"),
        "{}",
        view.message_en
    );
    assert!(
        view.message_vi.contains("trước khi đặt lại"),
        "{}",
        view.message_vi
    );
}
