//! The reconciler: orders left open are settled by asking 123PAY, with the notify's rule.

use std::time::{Duration, SystemTime};

use pay123_core::NotifyOutcome;
use pay123_core::reconcile::ReconcilePolicy;
use shop::{OrderState, ReconcilerSettings, Source};

use crate::common::{Behaviour, checkout, notify, setup};

/// A policy that asks at once.
fn eager() -> ReconcilePolicy {
    ReconcilePolicy::default()
        .with_first_check(Duration::ZERO)
        .with_interval(Duration::from_secs(30))
}

fn settings() -> ReconcilerSettings {
    ReconcilerSettings::default()
}

#[tokio::test]
async fn a_lost_notify_is_made_up_for() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    let id = checkout(&shop, "ao-dai").await;
    // The buyer paid; the notify never came and the buyer never came back.
    t.fake.set_status(&id, "1");
    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1));
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Paid);
    assert!(order.paid);
    assert_eq!(
        order.next_check_at, None,
        "a final order is not asked about"
    );
    let history = t.history(&id).await;
    assert_eq!(history.last().unwrap().source, Source::Reconcile);
    assert_eq!(t.fake.query_calls(), 1);
    // Settled: the next pass has nothing to do, and the late notify is a duplicate.
    assert_eq!(
        shop.reconcile_due("a", &settings()).await.unwrap().checked,
        0
    );
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn the_amount_is_checked_as_for_a_notify() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    let id = checkout(&shop, "ao-dai").await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "1000");
    shop.reconcile_due("a", &settings()).await.unwrap();
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Review);
    assert!(!order.paid);
    assert_eq!(order.error_code.as_deref(), Some("amount_mismatch"));
}

#[tokio::test]
async fn a_pending_order_is_asked_again_later_with_a_backoff() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    let id = checkout(&shop, "ao-dai").await;
    t.fake.set_status(&id, "11");
    let before = SystemTime::now();
    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!((report.checked, report.still_open), (1, 1));
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert_eq!(order.transaction_status.unwrap().code(), "11");
    assert_eq!(order.check_attempts, 1);
    let next = order.next_check_at.expect("asked again");
    assert!(next >= before + Duration::from_secs(30), "{next:?}");
    // Not due yet: nothing is asked.
    assert_eq!(
        shop.reconcile_due("a", &settings()).await.unwrap().checked,
        0
    );
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn a_failed_query_is_counted_and_asked_again() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    let id = checkout(&shop, "ao-dai").await;
    t.fake.set_query(Behaviour::Transport);
    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!((report.checked, report.failed), (1, 1));
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert_eq!(order.check_attempts, 1);
    assert!(order.next_check_at.is_some());
}

/// createOrder reached 123PAY but its answer was lost: the order is `unsure`; the reconciler
/// learns that 123PAY has the payment and makes it `pending`, with 123PAY's transaction id.
#[tokio::test]
async fn an_unsure_order_that_123pay_has_becomes_pending() {
    let t = setup().await;
    let shop = t
        .shop
        .clone()
        .with_reconcile_policy(eager())
        .with_gateway_timeout(Duration::from_millis(200));
    t.fake.set_create(Behaviour::LoseAnswer);
    let error = shop.checkout("ao-dai", None, None).await.unwrap_err();
    let id = error.m_transaction_id().unwrap().to_owned();
    assert_eq!(t.order(&id).await.state, OrderState::Unsure);
    let (_, pay123_id) = t.fake.created(&id).expect("123PAY has the payment");

    shop.reconcile_due("a", &settings()).await.unwrap();
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert_eq!(
        order.pay123_transaction_id.as_deref(),
        Some(pay123_id.as_str())
    );
    assert!(order.next_check_at.is_some(), "still asked about");
    // The shop never got the payment page: the order's page says so, and asks the buyer to
    // wait for the result before ordering again (they may have reached the page after all).
    let view = t.shop.order(&id).await.unwrap().unwrap();
    assert!(
        view.message_en
            .contains("did not receive 123PAY's payment page"),
        "{}",
        view.message_en
    );
    assert!(
        view.message_en
            .contains("wait for the result on this page before ordering again"),
        "{}",
        view.message_en
    );
    assert!(
        view.message_vi.contains("trước khi đặt lại"),
        "{}",
        view.message_vi
    );
    let history = t.history(&id).await;
    let states: Vec<_> = history.iter().map(|h| h.state).collect();
    assert_eq!(
        states,
        [
            OrderState::Creating,
            OrderState::Unsure,
            OrderState::Pending
        ]
    );
}

/// createOrder never reached 123PAY (or 123PAY dropped it): "no such transaction" keeps the
/// order open while the buyer's session could still be running, then closes it.
#[tokio::test]
async fn an_order_123pay_never_had_is_closed_once_the_session_is_over() {
    let t = setup().await;
    t.fake.set_create(Behaviour::Hang);
    let long_session = eager().with_session_timeout(Duration::from_secs(3600));
    let shop = t
        .shop
        .clone()
        .with_reconcile_policy(long_session)
        .with_gateway_timeout(Duration::from_millis(200));
    let error = shop.checkout("ao-dai", None, None).await.unwrap_err();
    let id = error.m_transaction_id().unwrap().to_owned();
    assert!(t.fake.created(&id).is_none());

    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!(report.still_open, 1);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Unsure);
    let next = order.next_check_at.unwrap();
    assert!(
        next >= order.created_at + Duration::from_secs(3600),
        "asked again once the session is over, not before: {next:?}"
    );

    // With the session over, the same answer closes it.
    let over = eager()
        .with_session_timeout(Duration::ZERO)
        .with_margin(Duration::ZERO);
    let shop = shop.with_reconcile_policy(over);
    let id2 = shop.checkout("ao-dai", None, None).await.unwrap_err();
    let id2 = id2.m_transaction_id().unwrap().to_owned();
    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1));
    let order = t.order(&id2).await;
    assert_eq!(order.state, OrderState::Closed);
    assert!(!order.paid);
    assert_eq!(order.error_code.as_deref(), Some("never_created"));
    assert_eq!(order.next_check_at, None);
    let last = t.history(&id2).await.pop().unwrap();
    assert_eq!(last.source, Source::Reconcile);
    assert!(last.note.unwrap().contains("no such payment"));
    // A notify can no longer move a closed order.
    assert_eq!(t.notified(&id2, "1").await, NotifyOutcome::AlreadyUpdated);
}

#[tokio::test]
async fn the_reconciler_gives_up_after_the_policy_and_says_so() {
    let t = setup().await;
    let shop = t
        .shop
        .clone()
        .with_reconcile_policy(eager().with_give_up_after(Duration::ZERO));
    let id = checkout(&shop, "ao-dai").await;
    let report = shop.reconcile_due("a", &settings()).await.unwrap();
    assert_eq!(report.given_up, 1);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Pending);
    assert_eq!(order.next_check_at, None);
    let note = t.history(&id).await.pop().unwrap().note.unwrap();
    assert!(note.contains("gave up"), "{note}");
}

/// One instance at a time asks about an order: a second one finds it leased.
#[tokio::test]
async fn a_leased_order_is_not_taken_by_another_instance() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    let id = checkout(&shop, "ao-dai").await;
    let store = shop.store();
    let now = SystemTime::now();
    let a = store
        .claim_due("a", now, now + Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].m_transaction_id, id);
    assert!(
        store
            .claim_due("b", now, now + Duration::from_secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Only the holder reschedules it.
    assert!(!store.reschedule(&id, "b", Some(now)).await.unwrap());
    // Once the lease has run out (the instance stopped), another takes it.
    let later = now + Duration::from_secs(61);
    let b = store
        .claim_due("b", later, later + Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(b.len(), 1);
    assert!(!store.reschedule(&id, "a", Some(now)).await.unwrap());
    assert!(store.reschedule(&id, "b", Some(later)).await.unwrap());
}

/// The reconciler and notifies for one order at once: one change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reconciler_and_a_notify_at_once_change_the_order_once() {
    let t = setup().await;
    let shop = t.shop.clone().with_reconcile_policy(eager());
    for _ in 0..5 {
        let id = checkout(&shop, "ao-dai").await;
        t.fake.set_status(&id, "1");
        let notifies: Vec<_> = (0..8)
            .map(|_| {
                let shop = shop.clone();
                let n = notify(&id, "1");
                tokio::spawn(async move { shop.on_notify(n).await.unwrap() })
            })
            .collect();
        let passes: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|owner| {
                let shop = shop.clone();
                tokio::spawn(async move { shop.reconcile_due(owner, &settings()).await.unwrap() })
            })
            .collect();
        let mut updated = 0;
        for task in notifies {
            if task.await.unwrap() == NotifyOutcome::Updated {
                updated += 1;
            }
        }
        let mut reconciled = 0;
        for task in passes {
            reconciled += task.await.unwrap().changed;
        }
        assert_eq!(updated + reconciled, 1, "one change for {id}");
        let history = t.history(&id).await;
        let paid: Vec<_> = history
            .iter()
            .filter(|h| h.state == OrderState::Paid)
            .collect();
        assert_eq!(paid.len(), 1, "{history:?}");
    }
}

/// A payment 123PAY confirms for an order the shop had closed goes to review, as for a failed
/// one: never paid automatically, never acknowledged unseen.
#[tokio::test]
async fn a_payment_confirmed_for_a_closed_order_is_held_for_review() {
    let t = setup().await;
    let id = checkout(&t.shop, "ao-dai").await;
    sqlx::query(
        "UPDATE orders SET status = 'closed', next_check_at = NULL WHERE m_transaction_id = $1",
    )
    .bind(&id)
    .execute(t.shop.store().pool())
    .await
    .unwrap();
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let order = t.order(&id).await;
    assert_eq!(order.state, OrderState::Review);
    assert!(!order.paid);
    assert_eq!(order.error_code.as_deref(), Some("paid_after_failure"));
    // A failure notify agrees with a closed order: nothing to ask.
    let id2 = checkout(&t.shop, "ao-dai").await;
    sqlx::query("UPDATE orders SET status = 'closed' WHERE m_transaction_id = $1")
        .bind(&id2)
        .execute(t.shop.store().pool())
        .await
        .unwrap();
    let calls = t.fake.query_calls();
    assert_eq!(
        t.notified(&id2, "-100").await,
        NotifyOutcome::AlreadyUpdated
    );
    assert_eq!(t.fake.query_calls(), calls);
}
