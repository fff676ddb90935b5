//! The return page: the URL's status is a hint; an open order is checked with queryOrder.

use std::time::{Duration, SystemTime};

use pay123_core::{Credentials, NotifyOutcome, ReturnTicket, SecretKey, TransactionStatus};
use shop::{OrderState, Source, TicketCheck};

use crate::common::{Behaviour, checkout, return_query, setup};

#[tokio::test]
async fn a_return_before_the_notify_queries_123pay_and_pays() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");

    let view = t.return_with(&id, TransactionStatus::Success).await;
    assert_eq!(
        view.ticket,
        TicketCheck::Verified(TransactionStatus::Success)
    );
    assert_eq!(t.fake.query_calls(), 1);
    let order = view.order.expect("the order is shown");
    assert_eq!(order.status, OrderState::Paid);
    assert!(order.paid);
    assert_eq!(order.history.last().unwrap().source, Source::Return);

    // The notify that arrives afterwards is a duplicate.
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    // A final order is shown without asking 123PAY again.
    t.return_with(&id, TransactionStatus::Success).await;
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn the_status_on_the_url_is_only_a_hint() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    // The URL says paid, 123PAY says the buyer is at the OTP step.
    t.fake.set_status(&id, "11");
    let order = t.returned(&id, TransactionStatus::Success).await;
    assert_eq!(order.status, OrderState::Pending);
    assert!(!order.paid);
    assert_eq!(order.transaction_status.as_deref(), Some("11"));

    // The URL says cancelled, 123PAY says paid.
    t.fake.set_status(&id, "1");
    assert!(t.returned(&id, TransactionStatus::Cancelled).await.paid);
}

#[tokio::test]
async fn a_cancel_is_applied_from_the_query() {
    let t = setup().await;
    let id = checkout(&t.shop, "non-la").await;
    t.fake.set_status(&id, "-100");
    let order = t.returned(&id, TransactionStatus::Cancelled).await;
    assert_eq!(order.status, OrderState::Failed);
    assert!(!order.paid);
    assert!(
        order.message_vi.contains("Đơn hàng bị hủy"),
        "{}",
        order.message_vi
    );
}

#[tokio::test]
async fn the_amount_is_checked_on_return_too() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "1000");
    let order = t.returned(&id, TransactionStatus::Success).await;
    assert_eq!(order.status, OrderState::Review);
    assert!(!order.paid);
}

#[tokio::test]
async fn a_forged_or_missing_ticket_is_not_believed_but_the_order_is_checked() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    let forged = ReturnTicket::new(&id, TransactionStatus::Success, SystemTime::now())
        .unwrap()
        .to_query(&SecretKey::new("NOT-THE-KEY"));
    let view = t.return_view(&forged).await;
    assert!(
        matches!(view.ticket, TicketCheck::Invalid(_)),
        "{:?}",
        view.ticket
    );
    let order = view.order.unwrap();
    assert_eq!(order.status, OrderState::Pending);
    assert!(!order.paid);
    assert_eq!(t.fake.query_calls(), 1);

    // An expired ticket (a reload long after): the order is still found and checked.
    let old = ReturnTicket::new(
        &id,
        TransactionStatus::Success,
        SystemTime::now() - Duration::from_secs(3600),
    )
    .unwrap()
    .to_query(Credentials::sandbox().secret_key());
    t.fake.set_status(&id, "1");
    let view = t.return_view(&old).await;
    assert!(matches!(view.ticket, TicketCheck::Invalid(_)));
    assert!(view.order.unwrap().paid);

    let view = t.return_view(&format!("transactionID={id}")).await;
    assert_eq!(view.ticket, TicketCheck::Absent);
    assert!(view.order.unwrap().paid);
}

#[tokio::test]
async fn a_failed_query_shows_the_stored_order() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_query(Behaviour::Transport);
    let view = t.return_with(&id, TransactionStatus::Success).await;
    let detail = view.query_error.clone().expect("the failure is reported");
    assert!(detail.contains("connection refused"), "{detail}");
    let order = view.order.as_ref().unwrap();
    assert_eq!(order.status, OrderState::Pending);
    assert!(!order.paid);
    // The buyer is told the check failed, not why: the detail is for the logs.
    let html = shop::web::return_page(&view).html;
    assert!(html.contains(r#"id="query-error""#), "{html}");
    assert!(!html.contains("connection refused"), "{html}");
    assert!(!html.contains("queryOrder:"), "{html}");
}

/// The return page is public and easy to replay: it asks 123PAY about an order once at a time,
/// and at most once per interval, whatever the number of reloads.
#[tokio::test]
async fn return_queries_are_limited() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    let limited = t
        .shop
        .clone()
        .with_return_query_interval(Duration::from_secs(60));
    let query = return_query(&id, TransactionStatus::Success);
    t.fake.set_query(Behaviour::Hold);
    let first = tokio::spawn({
        let shop = limited.clone();
        let query = query.clone();
        async move { shop.on_return(&query).await.unwrap() }
    });
    assert_eq!(t.fake.held().await, id);
    // Twenty reloads while that queryOrder is under way: none asks 123PAY (a query would be
    // held, and these would not finish).
    let reloads = futures_util::future::join_all((0..20).map(|_| limited.on_return(&query)));
    let reloads = tokio::time::timeout(Duration::from_secs(5), reloads)
        .await
        .expect("reloads do not wait for 123PAY");
    for view in reloads {
        assert_eq!(view.unwrap().order.unwrap().status, OrderState::Pending);
    }
    t.fake.release();
    first.await.unwrap();
    assert_eq!(t.fake.query_calls(), 1);

    // Within the interval, a reload shows the stored order.
    t.fake.set_query(Behaviour::Answer);
    t.fake.set_status(&id, "1");
    let view = limited.on_return(&query).await.unwrap();
    assert_eq!(view.order.unwrap().status, OrderState::Pending);
    assert_eq!(t.fake.query_calls(), 1);
    // Once the interval has passed (here: a shop with none), 123PAY is asked again.
    assert!(t.returned(&id, TransactionStatus::Success).await.paid);
    assert_eq!(t.fake.query_calls(), 2);
}

#[tokio::test]
async fn no_order_no_query() {
    let t = setup().await;
    let view = t.return_view("").await;
    assert!(view.order.is_none() && view.m_transaction_id.is_none());
    let view = t
        .return_with("SHOP-NOT-HERE", TransactionStatus::Success)
        .await;
    assert!(view.order.is_none());
    assert_eq!(view.m_transaction_id.as_deref(), Some("SHOP-NOT-HERE"));
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn an_order_that_was_not_created_is_not_queried() {
    let t = setup().await;
    t.fake
        .set_create(Behaviour::Error(pay123_core::ReturnCode::Busy));
    let error = t.shop.checkout("ao-dai", None, None).await.unwrap_err();
    let id = error.m_transaction_id().unwrap();
    let order = t
        .return_view(&format!("transactionID={id}"))
        .await
        .order
        .unwrap();
    assert_eq!(order.status, OrderState::NotCreated);
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn a_return_while_create_order_is_in_flight_leaves_the_order_alone() {
    let t = setup().await;
    t.fake.set_create(Behaviour::Hold);
    let (checkout, page) = tokio::join!(t.shop.checkout("ao-dai", None, None), async {
        // createOrder was sent and has not answered: the order is `creating`.
        let id = t.fake.held().await;
        let view = t.return_view(&format!("transactionID={id}")).await;
        t.fake.release();
        (id, view)
    });
    let (id, view) = page;
    // Asking 123PAY now would hear "no such transaction" (-10), a final failure.
    assert_eq!(t.fake.query_calls(), 0);
    let page = shop::web::return_page(&view);
    assert_eq!(page.status, 200);
    let html = page.html;
    assert!(html.contains(r#"id="order-status">creating<"#), "{html}");
    assert!(html.contains("vui lòng tải lại trang"), "{html}");
    assert!(html.contains("please reload this page"), "{html}");

    // createOrder's answer then moves the order on, and the buyer's payment counts.
    let checkout = checkout.expect("the payment is created");
    assert_eq!(checkout.m_transaction_id, id);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    t.fake.set_status(&id, "1");
    assert!(t.returned(&id, TransactionStatus::Success).await.paid);
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn a_ticket_without_its_time_is_invalid_not_absent() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    let genuine = return_query(&id, TransactionStatus::Success);
    let without_time = genuine
        .split('&')
        .filter(|pair| !pair.starts_with("time="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(without_time.contains("ticket="), "{without_time}");
    let view = t.return_view(&without_time).await;
    assert!(
        matches!(view.ticket, TicketCheck::Invalid(_)),
        "{:?}",
        view.ticket
    );
    // The order is still found by the claimed id, and checked with 123PAY.
    assert_eq!(view.order.unwrap().status, OrderState::Pending);
    assert_eq!(t.fake.query_calls(), 1);

    // An empty ticket is no ticket.
    let view = t.return_view(&format!("transactionID={id}&ticket=")).await;
    assert_eq!(view.ticket, TicketCheck::Absent);
}
