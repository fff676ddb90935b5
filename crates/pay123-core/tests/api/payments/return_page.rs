//! The return page: the URL's status is a hint; an open payment is checked with queryOrder.

use std::time::{Duration, SystemTime};

use pay123_core::payments::{PaymentState, Source};
use pay123_core::{
    Credentials, NotifyOutcome, ReturnCheck, ReturnTicket, SecretKey, TransactionStatus,
};

use super::support::{Behaviour, order, return_query, world};

#[tokio::test]
async fn a_return_before_the_notify_queries_123pay_and_pays() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");

    let returned = t
        .returned_for(&return_query(&id, TransactionStatus::Success))
        .await;
    assert!(returned.ticket.is_verified());
    assert!(returned.asked);
    assert_eq!(t.fake.query_calls(), 1);
    let payment = returned.payment.clone().expect("the payment is shown");
    assert!(payment.is_paid());
    assert_eq!(payment.source, Source::Return);
    assert_eq!(
        returned.vietnamese(),
        "Thanh toán thành công. Cảm ơn quý khách!"
    );
    assert_eq!(returned.english(), "Payment successful. Thank you!");
    assert_eq!(
        returned.response_text(),
        "Thanh toán thành công. Cảm ơn quý khách!\nPayment successful. Thank you!\n"
    );

    // The notify that arrives afterwards is a duplicate.
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    // A final payment is shown without asking 123PAY again.
    t.returned(&id, TransactionStatus::Success).await;
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn the_status_on_the_url_is_only_a_hint() {
    let t = world();
    let id = t.checkout().await;
    // The URL says paid, 123PAY says the buyer is at the OTP step.
    t.fake.set_status(&id, "11");
    let payment = t.returned(&id, TransactionStatus::Success).await;
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(
        payment.transaction_status,
        Some(TransactionStatus::AwaitingOtp)
    );
    // The URL says cancelled, 123PAY says paid.
    t.fake.set_status(&id, "1");
    assert!(
        t.returned(&id, TransactionStatus::Cancelled)
            .await
            .is_paid()
    );
}

#[tokio::test]
async fn a_cancel_is_applied_from_the_query_and_said_in_123pays_words() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "-100");
    let returned = t
        .returned_for(&return_query(&id, TransactionStatus::Cancelled))
        .await;
    assert_eq!(
        returned.payment.as_ref().unwrap().state,
        PaymentState::Failed
    );
    assert!(
        returned.vietnamese().contains("Đơn hàng bị hủy"),
        "{}",
        returned.vietnamese()
    );
}

#[tokio::test]
async fn the_amount_is_checked_on_return_too() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "1000");
    assert_eq!(
        t.returned(&id, TransactionStatus::Success).await.state,
        PaymentState::Review
    );
}

#[tokio::test]
async fn a_forged_or_missing_ticket_is_not_believed_but_the_payment_is_checked() {
    let t = world();
    let id = t.checkout().await;
    let forged = ReturnTicket::new(&id, TransactionStatus::Success, SystemTime::now())
        .unwrap()
        .to_query(&SecretKey::new("NOT-THE-KEY"));
    let returned = t.returned_for(&forged).await;
    assert!(
        matches!(returned.ticket, ReturnCheck::Invalid { .. }),
        "{:?}",
        returned.ticket
    );
    assert_eq!(returned.payment.unwrap().state, PaymentState::Pending);
    assert_eq!(t.fake.query_calls(), 1);

    // An expired ticket (a reload long after): the payment is still found and checked.
    let old = ReturnTicket::new(
        &id,
        TransactionStatus::Success,
        SystemTime::now() - Duration::from_secs(3600),
    )
    .unwrap()
    .to_query(Credentials::sandbox().secret_key());
    t.fake.set_status(&id, "1");
    let returned = t.returned_for(&old).await;
    assert!(matches!(returned.ticket, ReturnCheck::Invalid { .. }));
    assert!(returned.payment.unwrap().is_paid());

    let returned = t.returned_for(&format!("transactionID={id}")).await;
    assert!(matches!(returned.ticket, ReturnCheck::Absent { .. }));
    assert!(returned.payment.unwrap().is_paid());
}

#[tokio::test]
async fn a_failed_query_shows_the_stored_payment() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_query(Behaviour::Transport);
    let returned = t
        .returned_for(&return_query(&id, TransactionStatus::Success))
        .await;
    let detail = returned
        .query_error
        .clone()
        .expect("the failure is reported");
    assert!(detail.contains("connection refused"), "{detail}");
    assert_eq!(
        returned.payment.as_ref().unwrap().state,
        PaymentState::Pending
    );
    // The buyer is told to wait, not why: the detail is for the log.
    assert!(
        !returned.english().contains("connection"),
        "{}",
        returned.english()
    );
    assert!(returned.english().contains("reload this page"));
}

/// The return page is public and easy to replay: it asks 123PAY about a payment once at a
/// time, and at most once per interval, whatever the number of reloads.
#[tokio::test]
async fn return_queries_are_limited() {
    let t = world();
    let id = t.checkout().await;
    let limited = t
        .payments
        .clone()
        .with_return_query_interval(Duration::from_secs(60));
    let query = return_query(&id, TransactionStatus::Success);
    t.fake.set_query(Behaviour::Hold);
    let first = tokio::spawn({
        let payments = limited.clone();
        let query = query.clone();
        async move { payments.on_return(&query).await.unwrap() }
    });
    assert_eq!(t.fake.held().await, id);
    // Twenty reloads while that queryOrder is under way: none asks 123PAY.
    let reloads = futures_util::future::join_all((0..20).map(|_| limited.on_return(&query)));
    let reloads = tokio::time::timeout(Duration::from_secs(5), reloads)
        .await
        .expect("reloads do not wait for 123PAY");
    for returned in reloads {
        let returned = returned.unwrap();
        assert!(!returned.asked);
        assert_eq!(returned.payment.unwrap().state, PaymentState::Pending);
    }
    t.fake.release();
    first.await.unwrap();
    assert_eq!(t.fake.query_calls(), 1);

    // Within the interval, a reload shows the stored payment.
    t.fake.set_query(Behaviour::Answer);
    t.fake.set_status(&id, "1");
    let returned = limited.on_return(&query).await.unwrap();
    assert_eq!(returned.payment.unwrap().state, PaymentState::Pending);
    assert_eq!(t.fake.query_calls(), 1);
    // Once the interval has passed (here: a flow with none), 123PAY is asked again.
    assert!(t.returned(&id, TransactionStatus::Success).await.is_paid());
    assert_eq!(t.fake.query_calls(), 2);
}

#[tokio::test]
async fn no_payment_no_query() {
    let t = world();
    let returned = t.returned_for("").await;
    assert!(returned.payment.is_none() && returned.m_transaction_id().is_none());
    let returned = t
        .returned_for(&return_query("NOT-HERE", TransactionStatus::Success))
        .await;
    assert!(returned.payment.is_none());
    assert_eq!(returned.m_transaction_id(), Some("NOT-HERE"));
    assert_eq!(returned.vietnamese(), "Không tìm thấy đơn hàng.");
    assert_eq!(
        returned.response_text(),
        "Không tìm thấy đơn hàng.\nNo such order.\n"
    );
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn a_payment_that_was_not_created_is_not_queried() {
    let t = world();
    t.fake
        .set_create(Behaviour::Error(pay123_core::ReturnCode::Busy));
    let error = t.payments.create(&order(1000)).await.unwrap_err();
    let id = error.m_transaction_id().unwrap();
    let returned = t.returned_for(&format!("transactionID={id}")).await;
    assert_eq!(returned.payment.unwrap().state, PaymentState::NotCreated);
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn a_return_while_create_order_is_in_flight_leaves_the_payment_alone() {
    let t = world();
    t.fake.set_create(Behaviour::Hold);
    let request = order(1000);
    let (created, returned) = tokio::join!(t.payments.create(&request), async {
        // createOrder was sent and has not answered: the payment is `creating`.
        let id = t.fake.held().await;
        let returned = t.returned_for(&format!("transactionID={id}")).await;
        t.fake.release();
        returned
    });
    // Asking 123PAY now would hear "no such transaction" (-10), a final failure.
    assert_eq!(t.fake.query_calls(), 0);
    assert_eq!(
        returned.payment.as_ref().unwrap().state,
        PaymentState::Creating
    );
    assert!(
        returned.vietnamese().contains("tải lại trang"),
        "{}",
        returned.vietnamese()
    );
    // createOrder's answer then moves the payment on, and the buyer's payment counts.
    created.expect("the payment is created");
    let id = request.m_transaction_id();
    assert_eq!(t.payment(id).state, PaymentState::Pending);
    t.fake.set_status(id, "1");
    assert!(t.returned(id, TransactionStatus::Success).await.is_paid());
}

#[tokio::test]
async fn a_ticket_without_its_time_is_invalid_not_absent() {
    let t = world();
    let id = t.checkout().await;
    let without_time = return_query(&id, TransactionStatus::Success)
        .split('&')
        .filter(|pair| !pair.starts_with("time="))
        .collect::<Vec<_>>()
        .join("&");
    let returned = t.returned_for(&without_time).await;
    assert!(
        matches!(returned.ticket, ReturnCheck::Invalid { .. }),
        "{:?}",
        returned.ticket
    );
    // The payment is still found by the claimed id, and checked with 123PAY.
    assert_eq!(returned.payment.unwrap().state, PaymentState::Pending);
    assert_eq!(t.fake.query_calls(), 1);
}

/// 123PAY's return may carry its own transaction id in `transactionID` (the one known real
/// example does): the page finds the payment by either id and says which it used.
#[tokio::test]
async fn the_return_finds_its_payment_by_either_id() {
    use pay123_core::payments::FoundBy;
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    let pay123_id = t
        .payment(&id)
        .pay123_transaction_id
        .expect("saved from createOrder's answer");
    assert_ne!(pay123_id, id);

    let returned = t
        .returned_for(&return_query(&pay123_id, TransactionStatus::Success))
        .await;
    assert!(returned.ticket.is_verified());
    assert_eq!(returned.found_by, Some(FoundBy::Pay123TransactionId));
    assert_eq!(returned.m_transaction_id(), Some(id.as_str()));
    assert!(returned.asked);
    assert!(returned.payment.expect("found by 123PAY's id").is_paid());

    let returned = t
        .returned_for(&return_query(&id, TransactionStatus::Success))
        .await;
    assert_eq!(returned.found_by, Some(FoundBy::MTransactionId));
    // An id of neither kind finds nothing.
    let returned = t
        .returned_for(&return_query(
            "123P0000000000000",
            TransactionStatus::Success,
        ))
        .await;
    assert_eq!(returned.found_by, None);
    assert!(returned.payment.is_none());
}
