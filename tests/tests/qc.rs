//! The go-live self-check against a deliberately broken shop: each fault fails exactly the cases
//! it breaks, with evidence; without faults the same shop fails none.

use pay123_cli::qc::Verdict;
use pay123_core::NotifyReturnCode;
use pay123_tests::qc::{Faults, check_broken_shop, check_broken_shop_cases, failed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_without_faults_fails_no_case() {
    let report = check_broken_shop(Faults::default()).await;
    assert_eq!(
        failed(&report),
        Vec::<&str>::new(),
        "{}",
        report.to_markdown()
    );
    // Every case ran: a case that slips to "not run" would hide what it checks.
    assert_eq!(report.summary.not_run, 0, "{}", report.to_markdown());
    // What only a person (or a browser on a known shop) can see is left to them, never passed.
    let ns01 = report.case("NS01").expect("NS01");
    assert_eq!(
        ns01.verdict,
        Verdict::NeedsAPersonsEye,
        "{}",
        report.to_markdown()
    );
    assert!(
        report
            .case("NOTIFY-FORGED")
            .is_some_and(|c| c.verdict == Verdict::Pass)
    );
    assert!(
        report
            .case("ES14")
            .is_some_and(|c| c.verdict == Verdict::Pass)
    );
    assert!(
        report
            .case("FAILED-NEVER-PAID")
            .is_some_and(|c| c.verdict == Verdict::Pass)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_trusts_the_notify_fails_the_confirmation_cases() {
    let faults = Faults {
        trusts_the_notify: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    let md = report.to_markdown();
    // The order the unconfirmed notify paid stays paid after 123PAY's cancel: a failed payment
    // shown paid.
    assert_eq!(
        failed(&report),
        [
            "NOTIFY-UNCONFIRMED",
            "NOTIFY-GENUINE",
            "AMOUNT",
            "FAILED-NEVER-PAID"
        ],
        "{md}"
    );
    assert!(md.contains("without asking queryOrder"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_acknowledges_forgeries_fails_the_forged_and_stale_cases() {
    let faults = Faults {
        acknowledges_forged: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    let md = report.to_markdown();
    assert_eq!(failed(&report), ["NOTIFY-FORGED", "NOTIFY-STALE"], "{md}");
    assert!(
        md.contains("acknowledged a notify 123PAY never sent"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_that_shows_pending_as_failed_fails_the_pending_case() {
    let faults = Faults {
        pending_as_failed: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    assert_eq!(failed(&report), ["PENDING"], "{}", report.to_markdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_without_a_reconciler_fails_the_lost_notify_case() {
    let faults = Faults {
        never_looks_again: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    let md = report.to_markdown();
    assert_eq!(failed(&report), ["ES14"], "{md}");
    assert!(md.contains("run a reconciler"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_with_all_four_faults_has_each_named_in_the_report() {
    let report = check_broken_shop(Faults::ALL).await;
    let md = report.to_markdown();
    assert_eq!(
        failed(&report),
        [
            "NOTIFY-FORGED",
            "NOTIFY-STALE",
            "NOTIFY-UNCONFIRMED",
            "PENDING",
            "NOTIFY-GENUINE",
            "AMOUNT",
            "ES14",
            "FAILED-NEVER-PAID"
        ],
        "{md}"
    );
    assert!(!report.passed());
    // Each row carries its evidence: the probe sent and the shop's answer, the transaction.
    let forged = report.case("NOTIFY-FORGED").expect("the row");
    assert_eq!(
        forged.probes[0].return_code,
        Some(NotifyReturnCode::Processed),
        "{md}"
    );
    let pending = report.case("PENDING").expect("the row");
    assert_eq!(
        pending.order_views[0].status.as_deref(),
        Some("failed"),
        "{md}"
    );
    let lost = report.case("ES14").expect("the row");
    assert_eq!(lost.transactions[0].status.code(), "1");
    assert_eq!(lost.order_views[0].paid, Some(false), "{md}");
}

/// A shop that signs with another key: its checkout is refused (6000) and the check says so at
/// once, with the sandbox's explanation, instead of waiting out the step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_with_the_wrong_key_is_told_at_once() {
    let started = std::time::Instant::now();
    let faults = Faults {
        wrong_key: true,
        ..Faults::default()
    };
    let report = check_broken_shop_cases(faults, &["NS01"]).await;
    let md = report.to_markdown();
    assert_eq!(failed(&report), ["NS01"], "{md}");
    let ns01 = report.case("NS01").expect("the row");
    assert!(
        ns01.checks[0]
            .detail
            .contains("the sandbox refused the shop's createOrder: 6000"),
        "{md}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // The others were not asked for.
    assert_eq!(report.summary.not_run, report.cases.len() - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_asks_before_it_verifies_fails_the_forged_and_stale_cases() {
    let faults = Faults {
        unverified_but_confirms: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    let md = report.to_markdown();
    // It never pays what 123PAY does not confirm, but a forged notify reaches its order code.
    assert_eq!(failed(&report), ["NOTIFY-FORGED", "NOTIFY-STALE"], "{md}");
    assert!(md.contains("before checking its checksum and ts"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_that_ignores_the_amount_fails_the_amount_case() {
    let faults = Faults {
        ignores_the_amount: true,
        ..Faults::default()
    };
    let report = check_broken_shop(faults).await;
    let md = report.to_markdown();
    assert_eq!(failed(&report), ["AMOUNT"], "{md}");
    let amount = report.case("AMOUNT").expect("the row");
    assert_eq!(
        amount.transactions[0].reported_total_amount,
        Some(1),
        "{md}"
    );
    assert_eq!(amount.order_views[0].paid, Some(true), "{md}");
}
