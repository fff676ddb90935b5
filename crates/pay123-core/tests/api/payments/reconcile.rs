//! The reconciler: payments left open are settled by asking 123PAY, with the notify's rule.

use std::time::{Duration, SystemTime};

use pay123_core::NotifyOutcome;
use pay123_core::payments::{PaymentState, ReconcilerSettings, Source};
use pay123_core::reconcile::ReconcilePolicy;

use super::support::{Behaviour, notify, order, world};

/// A policy that asks at once.
fn eager() -> ReconcilePolicy {
    ReconcilePolicy::default()
        .with_first_check(Duration::ZERO)
        .with_interval(Duration::from_secs(30))
}

#[tokio::test]
async fn a_lost_notify_is_made_up_for() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    // The buyer paid; the notify never came and the buyer never came back.
    t.fake.set_status(&id, "1");
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1));
    let payment = t.payment(&id);
    assert!(payment.is_paid());
    assert_eq!(
        payment.next_check_at, None,
        "a final payment is not asked about"
    );
    assert_eq!(payment.source, Source::Reconcile);
    assert_eq!(t.fake.query_calls(), 1);
    // Settled: the next pass has nothing to do, and the late notify is a duplicate.
    assert_eq!(payments.reconciler().pass().await.unwrap().checked, 0);
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::AlreadyUpdated);
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn the_amount_is_checked_as_for_a_notify() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    t.fake.set_total_amount(&id, "1000");
    payments.reconciler().pass().await.unwrap();
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("amount_mismatch"));
}

#[tokio::test]
async fn a_pending_payment_is_asked_again_later_with_a_backoff() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "11");
    let before = SystemTime::now();
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.checked, report.still_open), (1, 1));
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(payment.transaction_status.unwrap().code(), "11");
    assert_eq!(payment.check_attempts, 1);
    let next = payment.next_check_at.expect("asked again");
    assert!(next >= before + Duration::from_secs(30), "{next:?}");
    // Not due yet: nothing is asked.
    assert_eq!(payments.reconciler().pass().await.unwrap().checked, 0);
    assert_eq!(t.fake.query_calls(), 1);
}

#[tokio::test]
async fn a_failed_query_is_counted_and_asked_again_never_failed() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    for behaviour in [
        Behaviour::Transport,
        Behaviour::Error(pay123_core::ReturnCode::Busy),
    ] {
        t.fake.set_query(behaviour);
        let mut due = t.payment(&id);
        due.next_check_at = Some(SystemTime::now());
        assert!(
            pay123_core::payments::PaymentStore::update(&t.store, &due, due.version)
                .await
                .unwrap()
        );
        let report = payments.reconciler().pass().await.unwrap();
        assert_eq!((report.checked, report.failed), (1, 1));
        let payment = t.payment(&id);
        assert_eq!(
            payment.state,
            PaymentState::Pending,
            "123PAY unreachable never fails a payment"
        );
        assert!(payment.next_check_at.is_some());
    }
    assert_eq!(t.payment(&id).check_attempts, 2);
}

/// createOrder reached 123PAY but its answer was lost: the payment is `unsure`; the reconciler
/// learns that 123PAY has it and makes it `pending`, without adopting the transaction id the
/// answer names (nothing in it is bound to the order): a payment reported later is held for
/// review, never paid automatically.
#[tokio::test]
async fn an_unsure_payment_that_123pay_has_becomes_pending() {
    let t = world();
    let payments = t
        .payments
        .clone()
        .with_reconcile_policy(eager())
        .with_gateway_timeout(Duration::from_millis(200));
    t.fake.set_create(Behaviour::LoseAnswer);
    let error = payments.create(&order(1000)).await.unwrap_err();
    let id = error.m_transaction_id().unwrap().to_owned();
    assert_eq!(t.payment(&id).state, PaymentState::Unsure);
    let (_, created) = t.fake.created(&id).expect("123PAY has the payment");

    payments.reconciler().pass().await.unwrap();
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(payment.pay123_transaction_id, None);
    let found = t.history(&id).pop().unwrap();
    assert!(
        found
            .note
            .as_deref()
            .is_some_and(|n| n.contains(created.pay123_transaction_id())),
        "{:?}",
        found.note
    );
    assert!(payment.next_check_at.is_some(), "still asked about");
    let states: Vec<_> = t.history(&id).iter().map(|p| p.state).collect();
    assert_eq!(
        states,
        [
            PaymentState::Creating,
            PaymentState::Unsure,
            PaymentState::Pending
        ]
    );
    // 123PAY reports it paid (its notify, confirmed): held for a person, not paid.
    t.fake.set_status(&id, "1");
    payments
        .on_notify(super::support::notify(&id, "1"))
        .await
        .unwrap();
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("transaction_not_known"));
}

/// createOrder never reached 123PAY: "no such transaction" keeps the payment open while the
/// buyer's session could still be running, then closes it.
#[tokio::test]
async fn a_payment_123pay_never_had_is_closed_once_the_session_is_over() {
    let t = world();
    t.fake.set_create(Behaviour::Hang);
    let long_session = eager().with_session_timeout(Duration::from_secs(3600));
    let payments = t
        .payments
        .clone()
        .with_reconcile_policy(long_session)
        .with_gateway_timeout(Duration::from_millis(200));
    let id = payments.create(&order(1000)).await.unwrap_err();
    let id = id.m_transaction_id().unwrap().to_owned();
    assert!(t.fake.created(&id).is_none());

    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!(report.still_open, 1);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Unsure);
    let next = payment.next_check_at.unwrap();
    assert!(
        next >= payment.created_at + Duration::from_secs(3600),
        "asked again once the session is over, not before: {next:?}"
    );

    // With the session over, the same answer closes it.
    let over = eager()
        .with_session_timeout(Duration::ZERO)
        .with_margin(Duration::ZERO);
    let payments = payments.with_reconcile_policy(over);
    let id2 = payments.create(&order(1000)).await.unwrap_err();
    let id2 = id2.m_transaction_id().unwrap().to_owned();
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1));
    let payment = t.payment(&id2);
    assert_eq!(payment.state, PaymentState::Closed);
    assert_eq!(payment.error_code.as_deref(), Some("never_created"));
    assert_eq!(payment.next_check_at, None);
    assert!(payment.note.unwrap().contains("no such payment"));
    // A notify can no longer move a closed payment.
    assert_eq!(
        t.notified(&id2, "-100").await,
        NotifyOutcome::AlreadyUpdated
    );
}

#[tokio::test]
async fn the_reconciler_gives_up_after_the_policy_and_says_so() {
    let t = world();
    let payments = t
        .payments
        .clone()
        .with_reconcile_policy(eager().with_give_up_after(Duration::ZERO));
    let id = t.checkout_with(&payments).await;
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!(report.given_up, 1);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Pending);
    assert_eq!(payment.next_check_at, None);
    assert!(payment.note.unwrap().contains("gave up"));
}

/// Two instances on one store: one takes a due payment, the other finds it leased; once the
/// lease runs out (the instance stopped), the other takes it.
#[tokio::test]
async fn a_leased_payment_is_not_taken_by_another_instance() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    t.fake.set_query(Behaviour::Hold);
    let first = tokio::spawn({
        let reconciler = payments.reconciler();
        async move { reconciler.pass().await.unwrap() }
    });
    assert_eq!(t.fake.held().await, id);
    let lease = t.payment(&id).next_check_at.unwrap();
    assert!(
        lease > SystemTime::now() + Duration::from_secs(50),
        "leased for a minute"
    );
    let second = payments.reconciler().pass().await.unwrap();
    assert_eq!(second.checked, 0, "leased to the first");
    t.fake.release();
    assert_eq!(first.await.unwrap().checked, 1);
    assert_eq!(t.fake.query_calls(), 1);

    // An instance that stopped holding the lease: due again once it runs out.
    t.fake.set_query(Behaviour::Answer);
    let mut stale = t.payment(&id);
    stale.next_check_at = Some(SystemTime::now() - Duration::from_secs(1));
    assert!(
        pay123_core::payments::PaymentStore::update(&t.store, &stale, stale.version)
            .await
            .unwrap()
    );
    assert_eq!(payments.reconciler().pass().await.unwrap().checked, 1);
}

/// The reconciler and notifies for one payment at once: one change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reconciler_and_a_notify_at_once_change_the_payment_once() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    for _ in 0..5 {
        let id = t.checkout_with(&payments).await;
        t.fake.set_status(&id, "1");
        let notifies: Vec<_> = (0..8)
            .map(|_| {
                let payments = payments.clone();
                let n = notify(&id, "1");
                tokio::spawn(async move { payments.on_notify(n).await.unwrap() })
            })
            .collect();
        let passes: Vec<_> = (0..2)
            .map(|_| {
                let reconciler = payments.reconciler();
                tokio::spawn(async move { reconciler.pass().await.unwrap() })
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
        let paid = t
            .history(&id)
            .iter()
            .filter(|p| p.state == PaymentState::Paid)
            .count();
        assert_eq!(paid, 1);
    }
}

/// A payment 123PAY confirms for a payment the merchant had closed goes to review, as for a
/// failed one; a failure notify agrees with a closed payment and needs no query.
#[tokio::test]
async fn a_payment_confirmed_for_a_closed_one_is_held_for_review() {
    let t = world();
    let close = |id: &str| {
        let mut closed = t.payment(id);
        closed.state = PaymentState::Closed;
        closed.next_check_at = None;
        let store = t.store.clone();
        async move {
            let version = closed.version;
            closed.version += 1;
            assert!(
                pay123_core::payments::PaymentStore::update(&store, &closed, version)
                    .await
                    .unwrap()
            );
        }
    };
    let id = t.checkout().await;
    close(&id).await;
    t.fake.set_status(&id, "1");
    assert_eq!(t.notified(&id, "1").await, NotifyOutcome::Updated);
    let payment = t.payment(&id);
    assert_eq!(payment.state, PaymentState::Review);
    assert_eq!(payment.error_code.as_deref(), Some("paid_after_failure"));

    let id2 = t.checkout().await;
    close(&id2).await;
    let calls = t.fake.query_calls();
    assert_eq!(
        t.notified(&id2, "-100").await,
        NotifyOutcome::AlreadyUpdated
    );
    assert_eq!(t.fake.query_calls(), calls);
}

/// `run` keeps passing: a lost notify is settled without anyone calling `pass`.
#[tokio::test]
async fn the_running_reconciler_settles_on_its_own() {
    let t = world();
    let payments = t.payments.clone().with_reconcile_policy(eager());
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    let task = tokio::spawn(
        payments
            .reconciler()
            .with_settings(ReconcilerSettings::default().with_period(Duration::from_millis(20)))
            .run(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !t.payment(&id).is_paid() {
        assert!(tokio::time::Instant::now() < deadline, "never settled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
}
