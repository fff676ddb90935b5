//! Checkout: the payment is recorded first, then createOrder; a failure keeps it recorded.

use std::time::Duration;

use pay123_core::payments::{PaymentState, Source};
use pay123_core::{Error, ReturnCode};

use super::support::{Behaviour, order, world};

#[tokio::test]
async fn checkout_records_the_payment_then_creates_it() {
    let t = world();
    let request = order(450_000);
    let id = request.m_transaction_id();
    let created = t.payments.create(&request).await.unwrap();

    let (sent, answer) = t.fake.created(id).expect("createOrder was sent");
    assert_eq!(sent.total_amount(), 450_000);
    assert_eq!(answer, created);
    let payment = t.payment(id);
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(payment.amount, 450_000);
    assert_eq!(
        payment.pay123_transaction_id.as_deref(),
        Some(created.pay123_transaction_id())
    );
    assert_eq!(payment.payment_url.as_deref(), Some(created.payment_url()));
    assert_eq!(payment.version, 2);
    assert!(
        payment.next_check_at.is_some(),
        "the reconciler asks if nothing else settles it"
    );
    let steps: Vec<_> = t
        .history(id)
        .iter()
        .map(|p| (p.version, p.state, p.source))
        .collect();
    assert_eq!(
        steps,
        [
            (1, PaymentState::Creating, Source::Checkout),
            (2, PaymentState::Pending, Source::CreateOrder)
        ]
    );
    // One payment per id.
    let again = t.payments.create(&request).await.unwrap_err();
    assert_eq!(again.code(), "duplicate_order");
    assert_eq!(again.http_status(), 500);
    assert_eq!(t.fake.create_calls(), 1, "nothing was sent the second time");
}

#[tokio::test]
async fn gateway_errors_keep_the_payment_as_not_created() {
    let t = world();
    for (code, status) in [
        (ReturnCode::Busy, 503),
        (ReturnCode::BankCommunication, 503),
        (ReturnCode::AuthenticationFailed, 500),
        (ReturnCode::InvalidParameter, 500),
        (ReturnCode::OverLimit, 502),
    ] {
        t.fake.set_create(Behaviour::Error(code.clone()));
        let request = order(120_000);
        let error = t.payments.create(&request).await.unwrap_err();
        assert!(matches!(error, Error::NotCreated(_)), "{error:?}");
        assert_eq!(error.http_status(), status, "{code}");
        assert_eq!(error.m_transaction_id(), Some(request.m_transaction_id()));
        assert!(
            error.vietnamese().contains(&format!("mã {}", code.code())),
            "{}",
            error.vietnamese()
        );
        assert!(
            error.vietnamese().contains("Đơn hàng đã được lưu"),
            "{}",
            error.vietnamese()
        );
        let payment = t.payment(request.m_transaction_id());
        assert_eq!(payment.state, PaymentState::NotCreated);
        assert_eq!(payment.error_code.as_deref(), Some(code.code()));
        assert_eq!(
            payment.next_check_at, None,
            "123PAY has nothing to ask about"
        );
        assert!(payment.pay123_transaction_id.is_none());
        assert_eq!(t.history(request.m_transaction_id()).len(), 2);
    }
    // A merchant's mistake is not the buyer's: no "Xác thực đối tác thất bại" for them.
    t.fake
        .set_create(Behaviour::Error(ReturnCode::AuthenticationFailed));
    let error = t.payments.create(&order(1000)).await.unwrap_err();
    assert!(
        !error.response_text().contains("Xác thực"),
        "{}",
        error.response_text()
    );
}

#[tokio::test]
async fn a_transport_error_keeps_the_payment_as_not_created() {
    let t = world();
    t.fake.set_create(Behaviour::Transport);
    let error = t.payments.create(&order(1000)).await.unwrap_err();
    assert!(
        error
            .vietnamese()
            .starts_with("Không kết nối được với 123PAY")
    );
    assert_eq!(error.http_status(), 503);
    assert!(error.is_retryable());
    let payment = t.payment(error.m_transaction_id().unwrap());
    assert_eq!(payment.state, PaymentState::NotCreated);
    assert_eq!(payment.error_code.as_deref(), Some("transport"));
    // The request never left: 123PAY has nothing, the reconciler has nothing to ask.
    assert_eq!(payment.next_check_at, None);
    assert!(
        payment
            .error_detail
            .as_deref()
            .is_some_and(|m| m.contains("connection refused")),
        "{payment:?}"
    );
}

/// A createOrder that times out may have reached 123PAY: the payment is kept `unsure` (not
/// "not created"), and the buyer is told so and not to pay again. The flow's own timer cuts a
/// transport that never gives up.
#[tokio::test]
async fn a_gateway_that_never_answers_times_out_and_leaves_the_payment_unsure() {
    let t = world();
    t.fake.set_create(Behaviour::Hang);
    let payments = t
        .payments
        .clone()
        .with_gateway_timeout(Duration::from_millis(200));
    let error = tokio::time::timeout(Duration::from_secs(5), payments.create(&order(1000)))
        .await
        .expect("the flow's timer gives up")
        .unwrap_err();
    assert_eq!(error.http_status(), 504);
    assert!(!error.is_retryable(), "the buyer must not order again");
    assert!(
        error.english().contains("do not order again"),
        "{}",
        error.english()
    );
    assert!(
        error.vietnamese().contains("chưa bị trừ tiền"),
        "{}",
        error.vietnamese()
    );
    let payment = t.payment(error.m_transaction_id().unwrap());
    assert_eq!(payment.state, PaymentState::Unsure);
    assert_eq!(payment.error_code.as_deref(), Some("timeout"));
    assert!(
        payment.next_check_at.is_some(),
        "the reconciler will ask about it"
    );
}

#[tokio::test]
async fn a_store_that_fails_records_nothing_and_sends_nothing() {
    let t = world();
    t.store.fail(true);
    let error = t.payments.create(&order(1000)).await.unwrap_err();
    assert_eq!(error.http_status(), 500);
    assert_eq!(error.code(), "store");
    assert!(
        error
            .vietnamese()
            .starts_with("Lỗi hệ thống: chưa lưu được đơn hàng"),
        "{}",
        error.vietnamese()
    );
    assert_eq!(t.fake.create_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_get_their_own_payments() {
    let t = world();
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let payments = t.payments.clone();
            tokio::spawn(async move {
                let request = order(10_000);
                payments.create(&request).await.unwrap();
                request.m_transaction_id().to_owned()
            })
        })
        .collect();
    for task in tasks {
        let id = task.await.unwrap();
        assert_eq!(t.payment(&id).state, PaymentState::Pending);
    }
    assert_eq!(t.store.all().len(), 30);
    assert_eq!(t.fake.create_calls(), 30);
}
