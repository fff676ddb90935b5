//! `Payments::on_paid`: each payment saved paid is handed to the app at least once, whichever
//! part of the flow found it paid; a failed hand-over is tried again by the reconciler.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use pay123_core::NotifyOutcome;
use pay123_core::clock::ManualClock;
use pay123_core::payments::{HAND_OVER_RETRY, PaymentState, ReconcilerSettings};
use pay123_core::reconcile::ReconcilePolicy;
use pay123_core::{SendHttpClient, TransactionStatus};

use super::support::{World, world};

/// What the handler saw, and whether it fails.
#[derive(Clone, Default)]
struct App {
    paid: Arc<Mutex<Vec<(String, PaymentState, u64)>>>,
    failing: Arc<Mutex<bool>>,
}

impl App {
    fn paid(&self) -> Vec<String> {
        self.paid
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.0.clone())
            .collect()
    }
    fn fail(&self, fail: bool) {
        *self.failing.lock().unwrap() = fail;
    }
    fn install<C: SendHttpClient + 'static>(
        &self,
        t: &World<C>,
    ) -> pay123_core::payments::Payments<C, pay123_core::test_util::MemoryStore> {
        let app = self.clone();
        t.payments.clone().on_paid(move |payment| {
            let app = app.clone();
            async move {
                app.paid.lock().unwrap().push((
                    payment.m_transaction_id.clone(),
                    payment.state,
                    payment.amount,
                ));
                if *app.failing.lock().unwrap() {
                    return Err(std::io::Error::other("the app's database is down"));
                }
                Ok(())
            }
        })
    }
}

#[tokio::test]
async fn a_confirmed_notify_hands_the_payment_over_once() {
    let t = world();
    let app = App::default();
    let payments = app.install(&t);
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    let outcome = payments
        .on_notify(super::support::notify(&id, "1"))
        .await
        .unwrap();
    assert_eq!(outcome, NotifyOutcome::Updated);
    assert_eq!(
        app.paid.lock().unwrap().as_slice(),
        &[(id.clone(), PaymentState::Paid, 450_000)],
        "handed over once, paid, with the order's amount"
    );
    let payment = t.payment(&id);
    assert!(payment.is_paid());
    assert_eq!(payment.next_check_at, None, "the hand-over is done");
    assert_eq!(
        t.history(&id).last().unwrap().note.as_deref(),
        Some("handed over to the app (on_paid)")
    );
    // Duplicates, the return page and the reconciler do not hand it over again.
    for _ in 0..3 {
        let again = payments
            .on_notify(super::support::notify(&id, "1"))
            .await
            .unwrap();
        assert_eq!(again, NotifyOutcome::AlreadyUpdated);
    }
    let returned = payments
        .on_return(&super::support::return_query(
            &id,
            TransactionStatus::Success,
        ))
        .await
        .unwrap();
    assert!(returned.payment.unwrap().is_paid());
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!(report.handed_over, 0);
    assert_eq!(app.paid(), vec![id]);
}

#[tokio::test]
async fn a_failed_payment_is_not_handed_over() {
    let t = world();
    let app = App::default();
    let payments = app.install(&t);
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "-100");
    payments
        .on_notify(super::support::notify(&id, "-100"))
        .await
        .unwrap();
    assert_eq!(t.payment(&id).state, PaymentState::Failed);
    assert!(app.paid().is_empty());
    assert_eq!(t.payment(&id).next_check_at, None);
}

#[tokio::test]
async fn the_return_page_hands_over_what_it_confirms() {
    let t = world();
    let app = App::default();
    let payments = app.install(&t);
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    let returned = payments
        .on_return(&super::support::return_query(
            &id,
            TransactionStatus::Success,
        ))
        .await
        .unwrap();
    assert!(returned.payment.unwrap().is_paid());
    assert_eq!(app.paid(), vec![id.clone()]);
    assert_eq!(t.payment(&id).next_check_at, None);
}

#[tokio::test]
async fn a_failed_hand_over_is_tried_again_by_the_reconciler_until_it_succeeds() {
    let t = world();
    let app = App::default();
    let start = SystemTime::now();
    let clock = ManualClock::new(start);
    let payments = app.install(&t).with_clock(clock.clone());
    let id = t.checkout_with(&payments).await;
    t.fake.set_status(&id, "1");
    app.fail(true);
    // The notify is still answered 1: the payment is saved paid; the app is told later.
    let outcome = payments
        .on_notify(super::support::notify(&id, "1"))
        .await
        .unwrap();
    assert_eq!(outcome, NotifyOutcome::Updated);
    let payment = t.payment(&id);
    assert!(payment.is_paid());
    assert_eq!(payment.next_check_at, Some(start + HAND_OVER_RETRY));
    assert_eq!(app.paid().len(), 1);
    // Not due before the retry time.
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.handed_over, report.hand_over_failed), (0, 0));
    // Due: tried again, fails again, moved twice as far ahead.
    clock.set(start + HAND_OVER_RETRY);
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.handed_over, report.hand_over_failed), (0, 1));
    assert_eq!(report.checked, 0, "a paid payment is not asked about");
    assert_eq!(app.paid().len(), 2);
    let again = start + HAND_OVER_RETRY + HAND_OVER_RETRY * 2;
    assert_eq!(t.payment(&id).next_check_at, Some(again));
    clock.set(again - Duration::from_secs(1));
    assert_eq!(
        payments.reconciler().pass().await.unwrap().hand_over_failed,
        0
    );
    // The app is back: handed over, and never again.
    app.fail(false);
    clock.set(again);
    let queries = t.fake.query_calls();
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!((report.handed_over, report.hand_over_failed), (1, 0));
    assert_eq!(t.payment(&id).next_check_at, None);
    assert_eq!(app.paid().len(), 3);
    clock.set(start + HAND_OVER_RETRY * 10);
    let report = payments.reconciler().pass().await.unwrap();
    assert_eq!(report.handed_over, 0);
    assert_eq!(app.paid().len(), 3);
    assert_eq!(
        t.fake.query_calls(),
        queries,
        "no queryOrder for a paid payment"
    );
    assert!(t.payment(&id).is_paid());
}

#[tokio::test]
async fn a_process_that_stops_mid_hand_over_leaves_it_due() {
    // A handler that never returns stands for a process stopped while handing over: the
    // payment is saved paid with the hand-over due, and another instance's reconciler does it.
    let t = world();
    let start = SystemTime::now();
    let clock = ManualClock::new(start);
    let stuck = t
        .payments
        .clone()
        .with_clock(clock.clone())
        .on_paid(|_| std::future::pending::<Result<(), std::io::Error>>());
    let id = t.checkout_with(&stuck).await;
    t.fake.set_status(&id, "1");
    let notify = stuck.on_notify(super::support::notify(&id, "1"));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), notify)
            .await
            .is_err()
    );
    assert!(t.payment(&id).is_paid());
    let app = App::default();
    let other = app.install(&t).with_clock(clock.clone());
    clock.set(start + HAND_OVER_RETRY);
    let report = other
        .reconciler()
        .with_settings(ReconcilerSettings::default())
        .pass()
        .await
        .unwrap();
    assert_eq!(report.handed_over, 1);
    assert_eq!(app.paid(), vec![id.clone()]);
    assert_eq!(t.payment(&id).next_check_at, None);
}

#[tokio::test]
async fn an_instance_without_a_handler_leaves_the_hand_over_to_one_that_has_it() {
    let t = world();
    let start = SystemTime::now();
    let clock = ManualClock::new(start);
    let app = App::default();
    let with_handler = app.install(&t).with_clock(clock.clone());
    let without = t.payments.clone().with_clock(clock.clone());
    let id = t.checkout_with(&with_handler).await;
    t.fake.set_status(&id, "1");
    app.fail(true);
    with_handler
        .on_notify(super::support::notify(&id, "1"))
        .await
        .unwrap();
    assert_eq!(app.paid().len(), 1);
    // The instance without a handler finds it due: moves it a lease ahead, hands nothing over.
    clock.set(start + HAND_OVER_RETRY);
    let report = without.reconciler().pass().await.unwrap();
    assert_eq!((report.handed_over, report.hand_over_failed), (0, 0));
    let payment = t.payment(&id);
    assert!(payment.is_paid());
    assert_eq!(payment.next_check_at, Some(start + HAND_OVER_RETRY * 2));
    // The instance with the handler does it when it is due again.
    app.fail(false);
    clock.set(start + HAND_OVER_RETRY * 2);
    let report = with_handler.reconciler().pass().await.unwrap();
    assert_eq!(report.handed_over, 1);
    assert_eq!(app.paid().len(), 2);
    assert_eq!(t.payment(&id).next_check_at, None);
}

#[tokio::test]
async fn without_a_handler_nothing_is_marked() {
    let t = world();
    let id = t.checkout().await;
    t.fake.set_status(&id, "1");
    t.notified(&id, "1").await;
    let paid = t.payment(&id);
    assert!(paid.is_paid());
    assert_eq!(paid.next_check_at, None, "no handler: nothing due");
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_hangs_is_cut_off_and_wedges_nothing() {
    // One payment's handler never returns; another payment, paid at 123PAY with its notify
    // lost, is still settled by the same reconciler pass.
    let t = world();
    let hanging = t
        .payments
        .clone()
        .with_reconcile_policy(ReconcilePolicy::default().with_first_check(Duration::ZERO));
    let calls = Arc::new(Mutex::new(0));
    let seen = calls.clone();
    let hanging = hanging.on_paid(move |_| {
        *seen.lock().unwrap() += 1;
        std::future::pending::<Result<(), std::io::Error>>()
    });
    let stuck = t.checkout_with(&hanging).await;
    let lost = t.checkout_with(&hanging).await;
    t.fake.set_status(&stuck, "1");
    t.fake.set_status(&lost, "1");
    // The notify is answered 1 although the handler never finishes: the payment is saved.
    let outcome = hanging
        .on_notify(super::support::notify(&stuck, "1"))
        .await
        .unwrap();
    assert_eq!(outcome, NotifyOutcome::Updated);
    assert!(t.payment(&stuck).is_paid());
    let report = hanging.reconciler().pass().await.unwrap();
    assert!(t.payment(&lost).is_paid(), "{report:?}");
    assert_eq!(report.hand_over_failed, 1, "{report:?}");
    assert_eq!(*calls.lock().unwrap(), 2);
    // Both are due again later, with the failures counted.
    assert!(t.payment(&stuck).next_check_at.is_some());
    assert!(t.payment(&lost).next_check_at.is_some());
}

#[tokio::test]
async fn the_reconcilers_lease_outlasts_the_gateway_timeout() {
    let t = world();
    let payments = t
        .payments
        .clone()
        .with_gateway_timeout(Duration::from_secs(90))
        .with_reconcile_policy(ReconcilePolicy::default().with_first_check(Duration::ZERO));
    let id = t.checkout_with(&payments).await;
    t.fake.set_query(super::support::Behaviour::Hold);
    let reconciler = payments
        .reconciler()
        .with_settings(ReconcilerSettings::default().with_lease(Duration::from_secs(5)));
    let before = SystemTime::now();
    let pass = tokio::spawn(async move { reconciler.pass().await });
    assert_eq!(t.fake.held().await, id);
    let lease = t.payment(&id).next_check_at.unwrap();
    assert!(
        lease >= before + Duration::from_secs(180),
        "the lease is twice the gateway timeout, not 5 s: {:?}",
        lease.duration_since(before)
    );
    t.fake.release();
    pass.await.unwrap().unwrap();
}
