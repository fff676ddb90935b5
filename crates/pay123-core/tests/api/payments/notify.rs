//! The confirmed notify: paid only after a queryOrder confirms the amount, once.

use std::time::{Duration, SystemTime};

use pay123_core::payments::{PaymentState, Payments, Source};
use pay123_core::test_util::MemoryStore;
use pay123_core::{
    BankCode, CreateOrder, Credentials, Notify, NotifyOutcome, NotifyRequest, ReturnCode,
    TransactionStatus,
};

use super::support::{Behaviour, as_123pay_retries, notify, world};

#[tokio::test]
async fn paid_only_after_query_order_confirms_status_and_amount() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.fake.query_calls(), 0);

    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert_eq!(
        t.fake.query_calls(),
        1,
        "the notify is confirmed with a queryOrder"
    );
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Paid);
    assert!(payment.is_paid());
    assert_eq!(payment.transaction_status, Some(TransactionStatus::Success));
    assert_eq!(payment.op_amount, Some(450_000));
    assert_eq!(payment.bank_code, Some(BankCode::Vietcombank));
    assert_eq!(payment.next_check_at, None);
    let last = t.history(&id).pop().unwrap();
    assert_eq!(
        (last.version, last.state, last.source),
        (3, PaymentState::Paid, Source::Notify)
    );
}

#[tokio::test]
async fn a_paid_notify_that_123pay_does_not_confirm_is_not_paid() {
    let t = world();
    let id = t.checkout().await;
    // queryOrder still says "at the OTP step": 123PAY should retry the notify later.
    t.fake.set_status(&id, "11");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::RetryLater);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(
        payment.transaction_status,
        Some(TransactionStatus::AwaitingOtp)
    );

    // queryOrder fails: not paid, 123PAY retries.
    t.fake.set_query(Behaviour::Transport);
    as_123pay_retries().await;
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::RetryLater);
    t.fake.set_query(Behaviour::Error(ReturnCode::Busy));
    as_123pay_retries().await;
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::RetryLater);
    assert!(!t.payment(&id).is_paid());
    assert_eq!(t.fake.query_calls(), 3, "each retry asked");

    // The retry after 123PAY settled pays it.
    t.fake.set_query(Behaviour::Answer);
    t.fake.set_status(&id, "1");
    as_123pay_retries().await;
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert!(t.payment(&id).is_paid());
}

#[tokio::test]
async fn an_amount_mismatch_is_not_paid() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "45000");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("amount_mismatch"));
    // Held for a person: a later notify changes nothing.
    t.fake.set_total_amount(&id, "450000");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.payment(&id).state, PaymentState::Review);
}

#[tokio::test]
async fn a_duplicate_notify_answers_already_updated_and_changes_nothing() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let before = t.payment(&id);
    let queries = t.fake.query_calls();
    for status in ["1", "1", "0"] {
        assert_eq!(
            t.notified(&id, status).await,
            NotifyOutcome::AlreadyUpdated,
            "{status}"
        );
    }
    assert_eq!(t.payment(&id), before);
    assert_eq!(
        t.fake.query_calls(),
        queries,
        "a notify that agrees with a final payment needs no queryOrder"
    );
    // One that contradicts it is checked with 123PAY, which still says paid: nothing changes.
    assert_eq!(t.notified(&id, "-100").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), queries + 1);
    assert_eq!(t.payment(&id), before);
}

#[tokio::test]
async fn pending_statuses_never_cancel_a_payment() {
    let t = world();
    let id = t.checkout().await;
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
        let payment = t.payment(&id);
        assert_eq!(payment.state, PaymentState::Pending, "{status}");
        assert_eq!(
            payment.transaction_status.as_ref().map(|s| s.code()),
            Some(status)
        );
    }
    assert_eq!(t.fake.query_calls(), 0);
    // Still open: the payment can complete.
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    assert!(t.payment(&id).is_paid());
}

#[tokio::test]
async fn a_final_failure_is_confirmed_before_the_payment_fails() {
    let t = world();
    let id = t.checkout().await;
    // 123PAY does not confirm it yet (queryOrder says 0): nothing changes, 123PAY retries.
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::RetryLater);
    assert_eq!(t.payment(&id).state, PaymentState::Pending);
    t.fake.set_status(&id, "7224");
    // A copy at once is not asked about again: 123PAY's retry, later, is.
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::RetryLater);
    assert_eq!(t.fake.query_calls(), 1);
    as_123pay_retries().await;
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::Updated);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Failed);
    assert_eq!(
        payment.transaction_status,
        Some(TransactionStatus::WrongOtpThreeTimes)
    );
    assert_eq!(t.fake.query_calls(), 2);
    // The same failure again is a duplicate, without asking.
    assert_eq!(t.notified(&id, "7224").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), 2);
}

#[tokio::test]
async fn a_payment_123pay_confirms_on_a_failed_one_goes_to_review() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "7201");
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::Updated);
    // 123PAY says it was paid after all: never paid automatically, never ignored.
    t.fake.set_status(&id, "1");
    t.fake.set_query(Behaviour::Error(ReturnCode::Busy));
    assert_eq!(
        t.notified(&id, "1").await,
        NotifyOutcome::RetryLater,
        "not 2 unseen"
    );
    t.fake.set_query(Behaviour::Answer);
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("paid_after_failure"));
    assert!(payment.note.unwrap().contains("marked failed"));
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
}

#[tokio::test]
async fn a_paid_payment_never_becomes_failed() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    // A failure notify for a paid payment: 123PAY still says paid.
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.payment(&id).state, PaymentState::Paid);
    // 123PAY says failed: the payment stays paid, and its history says so.
    t.fake.set_status(&id, "7201");
    assert_eq!(t.notified(&id, "7201").await, NotifyOutcome::AlreadyUpdated);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Paid);
    assert!(payment.note.unwrap().contains("stays paid"));
}

#[tokio::test]
async fn an_unknown_payment_is_not_acknowledged() {
    let t = world();
    assert_eq!(t.notified("NOT-HERE", "1").await, NotifyOutcome::RetryLater);
    assert_eq!(t.fake.query_calls(), 0);
}

#[tokio::test]
async fn a_store_error_answers_retry_later_and_is_logged() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    t.store.fail(true);
    for status in ["1", "-100"] {
        let error = t.payments.on_notify(notify(&id, status)).await.unwrap_err();
        assert_eq!(error.code(), "store", "{error:?}");
    }
    // Through the listener: `-3`, signed for the order.
    let notify = Notify::new(
        &id,
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .unwrap();
    let request = notify.to_http_request(
        &"http://shop.vn/notify".parse().unwrap(),
        Credentials::sandbox().secret_key(),
    );
    let answer = t
        .payments
        .serve_notify(NotifyRequest::from_http(&request))
        .await;
    let reply: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(reply["returnCode"], "-3");
    assert_eq!(reply["mTransactionID"], id);
    t.store.fail(false);
    assert!(!t.payment(&id).is_paid());
}

#[tokio::test]
async fn a_forged_notify_changes_nothing_and_asks_nothing() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    let forged = Notify::new(
        &id,
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .unwrap();
    let request = forged.to_http_request(
        &"http://shop.vn/notify".parse().unwrap(),
        &pay123_core::SecretKey::new("NOT-THE-KEY"),
    );
    let answer = t
        .payments
        .serve_notify(NotifyRequest::from_http(&request))
        .await;
    let reply: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(reply["returnCode"], "-1");
    assert_eq!(
        reply["mTransactionID"], "",
        "nothing the sender chose is signed"
    );
    assert_eq!(t.fake.query_calls(), 0);
    assert_eq!(t.payment(&id).state, PaymentState::Pending);
    // The genuine one pays it.
    let genuine = forged.to_http_request(
        &"http://shop.vn/notify".parse().unwrap(),
        Credentials::sandbox().secret_key(),
    );
    let answer = t
        .payments
        .serve_notify(NotifyRequest::from_http(&genuine))
        .await;
    let reply: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(reply["returnCode"], "1");
    assert!(t.payment(&id).is_paid());
}

/// A thousand duplicates of one notify at once: one change, and the others wait for it rather
/// than asking 123PAY again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_notifies_for_one_payment_update_it_once_with_one_query() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    let outcomes = t.notify_at_once(&id, "1", 1000).await;
    let updated = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::Updated)
        .count();
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == NotifyOutcome::AlreadyUpdated)
        .count();
    assert_eq!((updated, duplicates), (1, 999));
    assert_eq!(
        t.fake.query_calls(),
        1,
        "duplicates wait for the first confirmation"
    );
    let paid = t
        .history(&id)
        .iter()
        .filter(|p| p.state == PaymentState::Paid)
        .count();
    assert_eq!(paid, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cancel_notifies_update_once() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "-100");
    let outcomes = t.notify_at_once(&id, "-100", 20).await;
    assert!(
        !outcomes.contains(&NotifyOutcome::RetryLater),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == NotifyOutcome::Updated)
            .count(),
        1
    );
    assert_eq!(t.payment(&id).state, PaymentState::Failed);
}

/// 123PAY waits for the reply: a queryOrder that hangs must not hold it past the notify budget,
/// whatever the (longer) gateway timeout, and whatever the transport does.
#[tokio::test]
async fn a_hanging_query_order_during_a_notify_is_cut_short() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_query(Behaviour::Hang);
    let payments = t
        .payments
        .clone()
        .with_gateway_timeout(Duration::from_secs(300))
        .with_notify_budget(Duration::from_millis(300));
    let outcome =
        tokio::time::timeout(Duration::from_secs(5), payments.on_notify(notify(&id, "1")))
            .await
            .expect("the notify is answered before 123PAY gives up on it");
    assert_eq!(outcome.unwrap(), NotifyOutcome::RetryLater);
    assert!(!t.payment(&id).is_paid());
}

/// A payment 123PAY refused as a duplicate id (`6206`): another order holds that id at 123PAY.
/// When that other order is paid, its notify reaches this merchant too: never paid here, held
/// for a person.
#[tokio::test]
async fn a_payment_refused_as_a_duplicate_is_never_paid_by_the_other_orders_notify() {
    let t = world();
    // The other order (another shop on the merchant code, a database restored from a backup).
    let other = t.checkout().await;
    let ours = MemoryStore::default();
    let payments = Payments::new(
        t.payments.client().clone(),
        ours.clone(),
        tokio::time::sleep,
    );
    t.fake
        .set_create(Behaviour::Error(ReturnCode::DuplicateTransaction));
    let order = CreateOrder::builder(&other, 450_000, "https://shop.vn/return")
        .build()
        .unwrap();
    let refused = payments.create(&order).await.unwrap_err();
    assert_eq!(refused.code(), "6206");
    assert_eq!(ours.get(&other).unwrap().state, PaymentState::NotCreated);
    // The other order is paid at 123PAY.
    t.fake.set_status(&other, "1");
    assert_eq!(
        payments.on_notify(notify(&other, "1")).await.unwrap(),
        NotifyOutcome::Updated
    );
    let held = ours.get(&other).unwrap();
    assert_eq!(held.state, PaymentState::Review, "{held:?}");
    assert_eq!(held.error_code.as_deref(), Some("paid_after_not_created"));
    // A failure or pending status for it changes nothing.
    let refused_again = payments
        .create(
            &CreateOrder::builder("ORDER-DUP-2", 1000, "https://shop.vn/return")
                .build()
                .unwrap(),
        )
        .await;
    assert!(refused_again.is_err());
    t.fake.set_status("ORDER-DUP-2", "7201");
    assert_eq!(
        payments
            .on_notify(notify("ORDER-DUP-2", "7201"))
            .await
            .unwrap(),
        NotifyOutcome::AlreadyUpdated
    );
    assert_eq!(
        ours.get("ORDER-DUP-2").unwrap().state,
        PaymentState::NotCreated
    );
}

#[tokio::test]
async fn replayed_contradicting_notifies_cost_one_query_per_interval() {
    // A notify captured and sent again within its `ts` window, many times: it contradicts a
    // paid payment, so it is checked with 123PAY, once per interval; the copies meanwhile are
    // answered -3 and change nothing.
    let t = world();
    let payments = t
        .payments
        .clone()
        .with_return_query_interval(std::time::Duration::from_secs(60));
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    assert_eq!(
        payments.on_notify(notify(&id, "1")).await.unwrap(),
        NotifyOutcome::Updated
    );
    let before = t.payment(&id);
    let queries = t.fake.query_calls();
    let first = payments.on_notify(notify(&id, "-100")).await.unwrap();
    assert_eq!(first, NotifyOutcome::AlreadyUpdated);
    for _ in 0..50 {
        let copy = payments.on_notify(notify(&id, "-100")).await.unwrap();
        assert_eq!(copy, NotifyOutcome::RetryLater);
    }
    assert_eq!(t.fake.query_calls(), queries + 1);
    assert_eq!(t.payment(&id), before);
}

/// queryOrder's answer signs its fields, not the order's id: someone between the shop and
/// 123PAY can answer for one order with another order's genuine answer. A payment 123PAY made
/// for order A must not end `failed` on order B's genuine `7201`; it is held for review, and A
/// is paid once 123PAY's own answer for it gets through.
#[tokio::test]
async fn another_orders_genuine_failure_does_not_fail_a_payment() {
    let t = world();
    let paid = t.checkout().await;
    let declined = t.checkout().await;
    t.fake.set_status(&paid, "1");
    t.fake.set_status(&declined, "7201");
    t.fake.swap_answer(&paid, &declined);

    t.notified(&paid, "1").await;
    let payment = t.payment(&paid);
    assert_ne!(payment.state, PaymentState::Failed);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("transaction_mismatch"));
}

/// Nor may another order's genuine success of the same amount pay a payment whose createOrder
/// answer was lost (its 123PAY transaction is not known, so nothing ties the answer to it).
#[tokio::test]
async fn another_orders_genuine_success_does_not_pay_an_unsure_payment() {
    let t = world();
    let other = t.checkout().await;
    t.fake.set_status(&other, "1");
    let payments = t
        .payments
        .clone()
        .with_gateway_timeout(Duration::from_millis(200));
    t.fake.set_create(Behaviour::LoseAnswer);
    let request = super::support::order(450_000);
    let unsure = request.m_transaction_id().to_owned();
    payments.create(&request).await.unwrap_err();
    assert_eq!(t.payment(&unsure).state, PaymentState::Unsure);
    t.fake.swap_answer(&unsure, &other);

    payments.on_notify(notify(&unsure, "1")).await.unwrap();
    let payment = t.payment(&unsure);
    assert!(!payment.is_paid(), "{payment:?}");
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("transaction_not_known"));
}

/// A thousand copies of one notify at once cost one queryOrder, whatever 123PAY answers: paid
/// (the others find the payment final), pending or failing (the others learn it was asked while
/// they waited, and leave the retry to 123PAY).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_duplicates_cost_one_query_whatever_123pay_answers() {
    for (query_says, behaviour, expected) in [
        ("1", Behaviour::Answer, NotifyOutcome::AlreadyUpdated),
        ("0", Behaviour::Answer, NotifyOutcome::RetryLater),
        (
            "0",
            Behaviour::Error(ReturnCode::Busy),
            NotifyOutcome::RetryLater,
        ),
    ] {
        let t = world();
        let id = t.checkout().await;
        t.fake.set_status(&id, query_says);
        t.fake.set_query(behaviour.clone());
        let before = t.fake.query_calls();
        let outcomes = t.notify_at_once(&id, "1", 1000).await;
        let asked = t.fake.query_calls() - before;
        assert!(
            asked <= 10,
            "{query_says} {behaviour:?}: {asked} queryOrders"
        );
        assert!(
            outcomes.iter().filter(|o| **o == expected).count() >= 990,
            "{query_says} {behaviour:?}: {outcomes:?}"
        );
    }
}
