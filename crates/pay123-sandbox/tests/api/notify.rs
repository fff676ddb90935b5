//! Notify delivery: retries until a valid `1`, stops on `2`, records invalid replies, timeouts,
//! unreachable listeners and dropped notifies.

use std::time::Duration;

use http::StatusCode;
use pay123_core::{BankCode, NotifyOutcome, NotifyReturnCode, TransactionStatus};
use pay123_sandbox::{AttemptOutcome, Transaction};

use super::support::{Answer, Harness, WAIT};

fn outcomes(t: &Transaction) -> Vec<AttemptOutcome> {
    t.notify_attempts.iter().map(|a| a.outcome).collect()
}

#[tokio::test]
async fn retries_until_the_listener_answers_1() {
    let script = vec![
        Answer::Status(StatusCode::INTERNAL_SERVER_ERROR),
        Answer::Body("not json"),
        Answer::Outcome(NotifyOutcome::RetryLater),
        Answer::Outcome(NotifyOutcome::Updated),
    ];
    let h = Harness::with_sink(script, |c| c.notify_retries = 5).await;
    h.pay("RETRY-1").await;
    let t = h.settled("RETRY-1").await;
    use AttemptOutcome::{Acknowledged, Retrying};
    assert_eq!(outcomes(&t), [Retrying, Retrying, Retrying, Acknowledged]);
    let a = &t.notify_attempts;
    assert_eq!(
        a.iter().map(|a| a.http_status).collect::<Vec<_>>(),
        [Some(500), Some(200), Some(200), Some(200)]
    );
    assert_eq!(
        a.iter().map(|a| a.verified).collect::<Vec<_>>(),
        [false, false, true, true]
    );
    assert_eq!(a[2].return_code, Some(NotifyReturnCode::UpdateFailed));
    assert_eq!(a[3].return_code, Some(NotifyReturnCode::Processed));
    assert_eq!(a[1].reply_body.as_deref(), Some("not json"));
    assert!(a[0].error.as_deref().unwrap().contains("500"));
    assert!(a[1].error.as_deref().unwrap().contains("invalid reply"));
    assert!(a[2].error.as_deref().unwrap().contains("-3"));
    assert!(a[3].error.is_none());
    assert_eq!(
        a.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // Every attempt was a signed notify the merchant's listener verified.
    assert_eq!(h.sink().requests(), 4);
    assert_eq!(h.sink().received().len(), 4);
    assert!(
        a.iter()
            .all(|a| a.request_body.contains("transactionStatus=1"))
    );
}

#[tokio::test]
async fn a_notify_is_in_progress_from_the_moment_the_status_is_final() {
    let h = Harness::with_sink(vec![Answer::Outcome(NotifyOutcome::Updated)], |_| {}).await;
    h.create("IN-PROGRESS", BankCode::Vietcombank).await;
    let t = h
        .sandbox
        .force_status("IN-PROGRESS", TransactionStatus::Success)
        .unwrap();
    assert!(t.is_final);
    assert!(t.notify_in_progress, "scheduled, so in progress: {t:?}");
    let t = h.settled("IN-PROGRESS").await;
    assert_eq!(outcomes(&t), [AttemptOutcome::Acknowledged]);
    // Resent: in progress at once again.
    let t = h.sandbox.resend_notify("IN-PROGRESS").unwrap();
    assert!(t.notify_in_progress, "{t:?}");
}

#[tokio::test]
async fn stops_on_2() {
    let h = Harness::with_sink(vec![Answer::Outcome(NotifyOutcome::AlreadyUpdated)], |_| {}).await;
    h.pay("STOP-2").await;
    let t = h.settled("STOP-2").await;
    assert_eq!(outcomes(&t), [AttemptOutcome::Acknowledged]);
    assert_eq!(
        t.notify_attempts[0].return_code,
        Some(NotifyReturnCode::AlreadyUpdated)
    );
    assert!(!t.notify_in_progress);
    assert_eq!(h.sink().requests(), 1);
}

#[tokio::test]
async fn records_an_invalid_reply_and_gives_up_after_the_retries() {
    let script = vec![Answer::WrongKey; 10];
    let h = Harness::with_sink(script, |c| c.notify_retries = 2).await;
    h.pay("INVALID-1").await;
    let t = h.settled("INVALID-1").await;
    use AttemptOutcome::{GaveUp, Retrying};
    assert_eq!(outcomes(&t), [Retrying, Retrying, GaveUp]);
    for a in &t.notify_attempts {
        assert!(!a.verified);
        assert_eq!(a.http_status, Some(200));
        assert!(a.reply_body.as_deref().unwrap().contains("returnCode"));
        let error = a.error.as_deref().unwrap();
        assert!(error.contains("checksum"), "{error}");
        // The error names the field order, never the key.
        assert!(!error.contains("MIKEY"), "{error}");
    }
    assert_eq!(h.sink().requests(), 3);
}

#[tokio::test]
async fn a_signed_minus_1_or_a_reply_about_another_order_is_retried() {
    let script = vec![
        Answer::Code(NotifyReturnCode::InvalidChecksum),
        Answer::OtherTransaction,
        Answer::Code(NotifyReturnCode::Processed),
    ];
    let h = Harness::with_sink(script, |_| {}).await;
    h.pay("MINUS-1").await;
    let t = h.settled("MINUS-1").await;
    use AttemptOutcome::{Acknowledged, Retrying};
    assert_eq!(outcomes(&t), [Retrying, Retrying, Acknowledged]);
    let a = &t.notify_attempts;
    assert!(a[0].verified);
    assert_eq!(a[0].return_code, Some(NotifyReturnCode::InvalidChecksum));
    assert!(!a[1].verified);
    assert!(a[1].error.as_deref().unwrap().contains("SOMEONE-ELSE"));
}

#[tokio::test]
async fn a_timeout_is_recorded_and_retried() {
    // Margins that hold on a loaded machine: the listener hangs three times as long as an
    // attempt may take, and the second attempt is answered at once.
    let script = vec![Answer::Hang(Duration::from_secs(3))];
    let h = Harness::with_sink(script, |c| c.notify_timeout = Duration::from_secs(1)).await;
    h.pay("TIMEOUT-1").await;
    let t = h.settled("TIMEOUT-1").await;
    assert_eq!(
        outcomes(&t),
        [AttemptOutcome::Retrying, AttemptOutcome::Acknowledged]
    );
    let first = &t.notify_attempts[0];
    assert_eq!(first.http_status, None);
    assert!(
        first.error.as_deref().unwrap().contains("no response from"),
        "{first:?}"
    );
}

#[tokio::test]
async fn an_unreachable_listener_is_retried_and_recorded() {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/123pay/notify", closed.local_addr().unwrap());
    drop(closed);
    let h = Harness::new(|c| {
        *c = c.clone().with_notify_url(url);
        c.notify_retries = 2;
    })
    .await;
    h.pay("UNREACHABLE-1").await;
    let t = h.settled("UNREACHABLE-1").await;
    use AttemptOutcome::{GaveUp, Retrying};
    assert_eq!(outcomes(&t), [Retrying, Retrying, GaveUp]);
    assert!(
        t.notify_attempts
            .iter()
            .all(|a| a.http_status.is_none() && a.error.is_some())
    );
}

#[tokio::test]
async fn drop_next_notify_sends_nothing_until_resent() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    h.sandbox.drop_next_notify();
    h.pay("DROPPED-1").await;
    let t = h.settled("DROPPED-1").await;
    assert_eq!(outcomes(&t), [AttemptOutcome::Dropped]);
    assert_eq!(h.sink().requests(), 0);
    // Only the next one was dropped.
    h.pay("NOT-DROPPED").await;
    assert_eq!(
        outcomes(&h.settled("NOT-DROPPED").await),
        [AttemptOutcome::Acknowledged]
    );
    // The merchant would fall back on queryOrder; resending delivers it.
    assert_eq!(h.status("DROPPED-1").await, TransactionStatus::Success);
    h.sandbox.resend_notify("DROPPED-1").unwrap();
    let t = h
        .sandbox
        .wait_for("DROPPED-1", WAIT, |t| {
            t.notify_attempts.len() == 2 && !t.notify_in_progress
        })
        .await
        .expect("the resent notify");
    assert_eq!(t.notify_attempts[1].delivery, 2);
    assert_eq!(t.notify_attempts[1].outcome, AttemptOutcome::Acknowledged);
    assert_eq!(h.sink().requests(), 2);
}

#[tokio::test]
async fn a_drop_rate_of_1_drops_every_notify() {
    let h = Harness::with_sink(vec![], |c| c.faults.drop_notify_rate = 1.0).await;
    h.pay("RATE-DROP-1").await;
    h.pay("RATE-DROP-2").await;
    for id in ["RATE-DROP-1", "RATE-DROP-2"] {
        assert_eq!(outcomes(&h.settled(id).await), [AttemptOutcome::Dropped]);
    }
    assert_eq!(h.sink().requests(), 0);
}
