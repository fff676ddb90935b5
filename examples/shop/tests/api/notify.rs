//! The notify handler: paid only after a queryOrder confirms the amount, once.

use pay123_core::{BankCode, NotifyOutcome, TransactionStatus};
use shop::{OrderState, Source};

use std::time::Duration;

use crate::common::{Behaviour, checkout, notify, setup};

#[tokio::test]
async fn paid_only_after_query_order_confirms_status_and_amount() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.fake.query_calls(), 0);

    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert_eq!(
        t.fake.query_calls(),
        1,
        "the notify is confirmed with a queryOrder"
    );
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Paid);
    assert!(order.paid);
    assert_eq!(order.transaction_status, Some(TransactionStatus::Success));
    assert_eq!(order.op_amount, Some(450_000));
    assert_eq!(order.paid_bank_code, Some(BankCode::Vietcombank));
    let history = t.history(&id).await;
    let last = history.last().unwrap();
    assert_eq!(
        (last.seq, last.state, last.source),
        (3, OrderState::Paid, Source::Notify)
    );
}

#[tokio::test]
async fn a_paid_notify_that_123pay_does_not_confirm_is_not_paid() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    // queryOrder still says "at the OTP step": 123PAY should retry the notify later.
    t.fake.set_status(&id, "11");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Failed);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert!(!order.paid);
    assert_eq!(
        order.transaction_status,
        Some(TransactionStatus::AwaitingOtp)
    );

    // queryOrder fails: not paid, 123PAY retries.
    t.fake.set_query(Behaviour::Transport);
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Failed);
    t.fake
        .set_query(Behaviour::Error(pay123_core::ReturnCode::Busy));
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Failed);
    assert!(!t.order(&id).await.paid);

    // The retry after 123PAY settled pays the order.
    t.fake.set_query(Behaviour::Answer);
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert!(t.order(&id).await.paid);
}

#[tokio::test]
async fn an_amount_mismatch_is_not_paid() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "45000");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Review);
    assert!(!order.paid);
    assert_eq!(order.error_code.as_deref(), Some("amount_mismatch"));
    // Held for a person: a later notify changes nothing.
    t.fake.set_total_amount(&id, "450000");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    assert!(!t.order(&id).await.paid);
}

#[tokio::test]
async fn a_duplicate_notify_answers_already_updated_and_changes_nothing() {
    let t = setup().await;
    let id = checkout(&t.shop, "non-la").await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let before = t.order(&id).await;
    let history = t.history(&id).await;
    let queries = t.fake.query_calls();

    for status in ["1", "1", "0"] {
        assert_eq!(
            t.notified(&id, status).await,
            NotifyOutcome::AlreadyUpdated,
            "{status}"
        );
    }
    assert_eq!(t.order(&id).await, before);
    assert_eq!(t.history(&id).await, history);
    assert_eq!(
        t.fake.query_calls(),
        queries,
        "a notify that agrees with a final order needs no queryOrder"
    );
    // One that contradicts it is checked with 123PAY, which still says paid: nothing changes.
    assert_eq!(t.notified(&id, "-100").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), queries + 1);
    assert_eq!(t.order(&id).await, before);
    assert_eq!(t.history(&id).await, history);
}

#[tokio::test]
async fn pending_statuses_never_cancel_an_order() {
    let t = setup().await;
    let id = checkout(&t.shop, "ca-phe").await;
    for status in ["0", "10", "11", "20", "4242"] {
        assert_eq!(
            t.notified(&id, status).await,
            NotifyOutcome::Updated,
            "{status}"
        );
        // The same pending status again is a duplicate.
        assert_eq!(
            t.notified(&id, status).await,
            NotifyOutcome::AlreadyUpdated,
            "{status}"
        );
        let order = t.order(&id).await;
        assert_eq!(order.state, OrderState::Pending, "{status}");
        assert!(!order.paid);
        assert_eq!(
            order.transaction_status.as_ref().map(|s| s.code()),
            Some(status)
        );
    }
    assert_eq!(t.fake.query_calls(), 0);
    // Still open: the payment can complete.
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert!(t.order(&id).await.paid);
}

#[tokio::test]
async fn a_final_failure_is_confirmed_before_the_order_fails() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    // 123PAY does not confirm it yet (queryOrder says 0): nothing changes, 123PAY retries.
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::Failed);
    assert_eq!(t.order(&id).await.state, OrderState::Pending);
    t.fake.set_status(&id, "7224");
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::Updated);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Failed);
    assert!(!order.paid);
    assert_eq!(
        order.transaction_status,
        Some(TransactionStatus::WrongOtpThreeTimes)
    );
    assert_eq!(t.fake.query_calls(), 2);
    // The same failure again is a duplicate, without asking.
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), 2);
}

#[tokio::test]
async fn a_payment_123pay_confirms_on_a_failed_order_goes_to_review() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "7201");
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::Updated);
    // 123PAY says it was paid after all: never paid automatically, never ignored.
    t.fake.set_status(&id, "1");
    t.fake
        .set_query(Behaviour::Error(pay123_core::ReturnCode::Busy));
    assert_eq!(
        t.notified(&id, "1").await,
        NotifyOutcome::Failed,
        "not 2 unseen"
    );
    t.fake.set_query(Behaviour::Answer);
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Review);
    assert!(!order.paid);
    assert_eq!(order.error_code.as_deref(), Some("paid_after_failure"));
    let last = t.history(&id).await.pop().unwrap();
    assert_eq!(last.state, OrderState::Review);
    assert!(last.note.unwrap().contains("marked failed"));
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
}

#[tokio::test]
async fn a_paid_order_never_becomes_failed() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    // A failure notify for a paid order: 123PAY still says paid.
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.order(&id).await.state, OrderState::Paid);
    // 123PAY says failed: the order stays paid, and its history says so.
    t.fake.set_status(&id, "7201");
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::AlreadyUpdated);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Paid);
    assert!(order.paid);
    let last = t.history(&id).await.pop().unwrap();
    assert_eq!(last.state, OrderState::Paid);
    assert!(last.note.unwrap().contains("stays paid"));
}

#[tokio::test]
async fn an_unknown_order_is_not_acknowledged() {
    let t = setup().await;
    assert_eq!(
        t.notified("SHOP-NOT-HERE", "1").await,
        NotifyOutcome::Failed
    );
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn a_store_error_answers_failed_so_123pay_retries() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    t.shop.store().pool().close().await;
    // The error goes back to the core's listener, which logs it and answers -3.
    for status in ["1", "-100"] {
        let error = t.shop.on_notify(notify(&id, status)).await.unwrap_err();
        assert!(error.to_string().contains("database"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_notifies_for_one_order_update_it_once() {
    let t = setup().await;
    let id = checkout(&t.shop, "tranh-son-mai").await;
    t.fake.set_status(&id, "1");
    let outcomes = t.notify_at_once(&id, "1", 20).await;
    let updated = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::Updated)
        .count();
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::AlreadyUpdated)
        .count();
    assert_eq!((updated, duplicates), (1, 19), "{outcomes:?}");

    let history = t.history(&id).await;
    let paid_rows = history
        .iter()
        .filter(|h| h.state == OrderState::Paid)
        .count();
    assert_eq!(paid_rows, 1, "{history:?}");
    assert_eq!(history.len(), 3);
    let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(t.order(&id).await.paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cancel_notifies_update_once() {
    let t = setup().await;
    let id = checkout(&t.shop, "ca-phe").await;
    // A failure is confirmed by queryOrder too.
    t.fake.set_status(&id, "-100");
    let mut updated = 0;
    for outcome in t.notify_at_once(&id, "-100", 20).await {
        match outcome {
            NotifyOutcome::Updated => updated += 1,
            NotifyOutcome::AlreadyUpdated => {}
            NotifyOutcome::Failed => panic!("a cancel notify failed"),
        }
    }
    assert_eq!(updated, 1);
    let history = t.history(&id).await;
    assert_eq!(
        history
            .iter()
            .filter(|h| h.state == OrderState::Failed)
            .count(),
        1
    );
}

/// 123PAY waits for the notify's reply: a queryOrder that hangs must not hold it past the core's
/// `NOTIFY_WORK_BUDGET`, whatever the shop's (longer) gateway timeout.
#[tokio::test]
async fn a_hanging_query_order_during_a_notify_is_cut_short() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    t.fake.set_query(Behaviour::Hang);
    let shop = t
        .shop
        .clone()
        .with_gateway_timeout(Duration::from_secs(300));
    let outcome = tokio::time::timeout(
        pay123_core::NOTIFY_WORK_BUDGET * 2,
        shop.on_notify(notify(&id, "1")),
    )
    .await
    .expect("the notify is answered before 123PAY gives up on it");
    assert_eq!(outcome.unwrap(), NotifyOutcome::Failed);
    assert!(!t.order(&id).await.paid);
}
