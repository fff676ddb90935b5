//! The conformance list: what every demo shop must do, whatever its framework.

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use http::StatusCode;
use pay123_core::{
    BankCode, Notify, NotifyReply, NotifyReturnCode, ReturnCode, SecretKey, TransactionStatus,
};
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE, TEST_OTP};
use pay123_sandbox::{AttemptOutcome, Transaction};

use crate::buyer::Page;
use crate::world::{Launcher, World};

const WAIT: Duration = Duration::from_secs(15);

/// Checks out `product_id`, expecting a 303 to the gateway; returns the order id and the first
/// gateway page.
pub async fn checkout(world: &World, product_id: &str, bank_code: Option<&str>) -> (String, Page) {
    let mut fields = vec![("product_id", product_id)];
    if let Some(bank) = bank_code {
        fields.push(("bank_code", bank));
    }
    let answer = world
        .buyer
        .post_form(&format!("{}/checkout", world.shop_url), &fields)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "checkout: {}",
        answer.body
    );
    let location = answer.location().expect("a Location");
    assert!(
        location.starts_with(&world.sandbox.base_url()),
        "checkout must send the buyer to the gateway, not {location}"
    );
    let id = answer
        .headers
        .get(shop::web::ORDER_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .expect("the order id header")
        .to_owned();
    let order = world.order(&id).await;
    assert_eq!(order["status"], "pending", "{order}");
    assert_eq!(order["paid"], false);
    (id, world.buyer.follow(answer).await)
}

/// Fills the card page with the test card (or `holder`), returning the next page.
async fn card(world: &World, page: &Page, holder: &str) -> Page {
    assert!(
        page.contains("card_form"),
        "expected the card page: {}",
        page.body
    );
    world
        .buyer
        .submit(
            page,
            "card_form",
            &[
                ("card_holder", holder),
                ("card_number", TEST_CARD_NUMBER),
                ("issue_date", TEST_ISSUE_DATE),
            ],
            "pay",
        )
        .await
}

async fn otp(world: &World, page: &Page, otp: &str) -> Page {
    assert!(
        page.contains("otp_form"),
        "expected the OTP page: {}",
        page.body
    );
    world
        .buyer
        .submit(page, "otp_form", &[("otp", otp)], "pay")
        .await
}

/// Waits until the shop's order satisfies `done`.
pub async fn wait_order(
    world: &World,
    id: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let order = world.order(id).await;
        if done(&order) {
            return order;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {id} never got there: {order}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the sandbox has an acknowledged notify for the transaction.
async fn wait_acknowledged(world: &World, id: &str) -> Transaction {
    world
        .sandbox
        .wait_for(id, WAIT, |t| t.acknowledged_attempts().next().is_some())
        .await
        .unwrap_or_else(|| {
            panic!(
                "no acknowledged notify for {id}: {:?}",
                world.sandbox.transaction(id)
            )
        })
}

fn history_len(order: &serde_json::Value) -> usize {
    order["history"].as_array().map_or(0, Vec::len)
}

/// The test card pays: the buyer returns to the shop, the order is paid once, with the amount.
pub async fn successful_payment<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    let result = otp(&world, &page, TEST_OTP).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert!(
        result
            .url
            .starts_with(&format!("{}/return?", world.shop_url)),
        "{}",
        result.url
    );
    assert_eq!(
        result.text_of("paid").as_deref(),
        Some("yes"),
        "{}",
        result.body
    );
    let order = wait_order(&world, &id, |o| o["paid"] == true).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["transactionStatus"], "1");
    assert_eq!(order["amount"], 450_000);
    let t = wait_acknowledged(&world, &id).await;
    assert_eq!(t.status, TransactionStatus::Success);
    assert_eq!(t.total_amount, 450_000);
    let first = t.acknowledged_attempts().next().expect("an attempt");
    assert!(first.verified, "the shop's reply must verify");
    // One of the two (notify or the return page's queryOrder) paid it; the other changed nothing.
    assert_eq!(
        world.order(&id).await["history"]
            .as_array()
            .map(|h| h.iter().filter(|e| e["status"] == "paid").count()),
        Some(1)
    );
}

/// With bankCode 123PAY the buyer picks the bank at 123PAY first.
pub async fn successful_payment_choosing_the_bank_at_123pay<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "non-la", None).await;
    assert!(
        page.contains("bank_form"),
        "expected the bank choice page: {}",
        page.body
    );
    let page = world
        .buyer
        .submit(&page, "bank_form", &[("bank_code", "123PACB")], "pay")
        .await;
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    otp(&world, &page, TEST_OTP).await;
    let order = wait_order(&world, &id, |o| o["paid"] == true).await;
    assert_eq!(order["paidBankCode"], "123PACB", "{order}");
}

/// The buyer cancels on the card page: -100, never paid.
pub async fn cancel<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "ca-phe", Some("123PVCB")).await;
    let result = world.buyer.submit(&page, "card_form", &[], "cancel").await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    let order = wait_order(&world, &id, |o| o["status"] == "failed").await;
    assert_eq!(order["transactionStatus"], "-100");
    assert_eq!(order["paid"], false);
    wait_acknowledged(&world, &id).await;
}

/// Three wrong OTPs: 7224, never paid.
pub async fn wrong_otp_three_times<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "ca-phe", Some("123PVCB")).await;
    let mut page = card(&world, &page, TEST_CARD_HOLDER).await;
    for attempt in 1..=3 {
        let order = world.order(&id).await;
        assert_eq!(order["paid"], false);
        assert_ne!(
            order["status"], "failed",
            "a wrong OTP {attempt} is not final before the third"
        );
        page = otp(&world, &page, "12345678").await;
        if attempt < 3 {
            assert!(
                page.contains("otp_form"),
                "attempt {attempt} stays on the OTP page"
            );
        }
    }
    let order = wait_order(&world, &id, |o| o["status"] == "failed").await;
    assert_eq!(order["transactionStatus"], "7224");
    assert_eq!(order["paid"], false);
}

/// 123PAY sends the notify again: the shop answers 2 and changes nothing.
pub async fn duplicate_notify<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    otp(&world, &page, TEST_OTP).await;
    let before = wait_order(&world, &id, |o| o["paid"] == true).await;
    let t = wait_acknowledged(&world, &id).await;
    let attempts = t.notify_attempts.len();
    world.sandbox.resend_notify(&id).expect("resend");
    let t = world
        .sandbox
        .wait_for(&id, WAIT, |t| {
            t.notify_attempts.len() > attempts && !t.notify_in_progress
        })
        .await
        .expect("the second notify");
    let last = t.notify_attempts.last().expect("an attempt");
    assert_eq!(
        last.return_code,
        Some(NotifyReturnCode::AlreadyUpdated),
        "{last:?}"
    );
    assert!(last.verified);
    assert_eq!(last.outcome, AttemptOutcome::Acknowledged);
    let after = world.order(&id).await;
    assert_eq!(
        history_len(&after),
        history_len(&before),
        "a duplicate changes nothing"
    );
    assert_eq!(after["status"], "paid");
}

/// A thousand copies of a notify at once, for a payment 123PAY still reports pending: the shop
/// asks 123PAY a handful of times, not a thousand, and changes nothing.
pub async fn concurrent_duplicates_cost_few_queries<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, _page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    let before = world.order(&id).await;
    let key = SecretKey::new("MIKEY");
    let notify = Notify::new(
        &id,
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        std::time::SystemTime::now(),
    )
    .expect("a notify");
    let url = format!("{}{}", world.shop_url, "/123pay/notify");
    let body = notify.to_form(&key);
    let asked = world.sandbox.gateway().query_order_calls();
    let copies = futures_util::stream::iter(0..1000)
        .map(|_| {
            let buyer = world.buyer.clone();
            let request = http::Request::post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(bytes::Bytes::from(body.clone()))
                .expect("a request");
            async move { buyer.send(request).await }
        })
        .buffer_unordered(100)
        .collect::<Vec<_>>()
        .await;
    let mut codes = std::collections::BTreeMap::new();
    for answer in &copies {
        let code = NotifyReply::from_json(answer.body.as_bytes(), &key).map_or_else(
            |e| format!("{} {e}", answer.status),
            |r| r.return_code().code().to_owned(),
        );
        *codes.entry(code).or_insert(0) += 1;
    }
    let asked = world.sandbox.gateway().query_order_calls() - asked;
    assert!(
        asked <= 10,
        "{asked} queryOrders for 1000 copies; answers {codes:?}"
    );
    // Not confirmed (123PAY says 0): every copy is answered -3, to be sent again.
    assert_eq!(codes.get("-3"), Some(&1000), "{codes:?}");
    let after = world.order(&id).await;
    assert_eq!(after["status"], before["status"]);
    assert_eq!(after["paid"], false);
}

/// A forged notify (wrong key) and a malformed one are answered -1 and change no order.
pub async fn forged_notify<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, _page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    let before = world.order(&id).await;
    let forged = Notify::new(
        &id,
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .expect("a notify");
    let url = format!("{}/123pay/notify", world.shop_url);
    let key = SecretKey::new("MIKEY");
    for body in [
        forged.to_form(&SecretKey::new("NOT-THE-KEY")),
        forged.to_form(&key).replace(
            "transactionStatus=1",
            "transactionStatus=1&transactionStatus=-100",
        ),
        format!(r#"{{"mTransactionID":"{id}","transactionStatus":"1"}}"#),
    ] {
        let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = if body.starts_with('{') {
            world
                .buyer
                .send(
                    http::Request::post(&url)
                        .header("content-type", "application/json")
                        .body(bytes::Bytes::from(body.clone()))
                        .expect("a request"),
                )
                .await
        } else {
            world.buyer.post_form(&url, &pairs).await
        };
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let reply = NotifyReply::from_json(answer.body.as_bytes(), &key).expect("a signed reply");
        assert_eq!(
            reply.return_code(),
            &NotifyReturnCode::InvalidChecksum,
            "{body}"
        );
    }
    let after = world.order(&id).await;
    assert_eq!(after["status"], before["status"]);
    assert_eq!(after["paid"], false);
    assert_eq!(history_len(&after), history_len(&before));
}

/// The notify never arrives: the return page asks queryOrder and the order is paid.
pub async fn dropped_notify_resolved_by_the_return_page<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "tranh-son-mai", Some("123PVCB")).await;
    world.sandbox.drop_next_notify();
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    let result = otp(&world, &page, TEST_OTP).await;
    assert_eq!(result.status, StatusCode::OK);
    let order = world.order(&id).await;
    assert_eq!(
        order["paid"], true,
        "the return page's queryOrder must settle it: {order}"
    );
    assert_eq!(order["amount"], 1_250_000);
    let t = world.sandbox.transaction(&id).expect("the transaction");
    assert!(
        t.notify_attempts
            .iter()
            .all(|a| a.outcome == AttemptOutcome::Dropped),
        "no notify reached the shop: {:?}",
        t.notify_attempts
    );
}

/// The buyer pays and closes the browser at once, and every notify is lost: only the
/// reconciler can learn of the payment. It asks 123PAY and the order is paid (here within
/// seconds; with the demo defaults, a first check 30 s after checkout and a pass every 10 s,
/// within a minute).
pub async fn lost_notify_and_no_return_paid_by_the_reconciler<L: Launcher>(launcher: &L) {
    let world = World::start_with(
        launcher,
        |c| c.faults.drop_notify_rate = 1.0,
        |s| s.reconcile_policy = s.reconcile_policy.with_first_check(Duration::from_secs(1)),
    )
    .await;
    let (id, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    assert!(page.contains("otp_form"), "{}", page.body);
    // The bank's answer sends the buyer back to the shop; the browser is closed before.
    let answer = world
        .buyer
        .submit_only(&page, "otp_form", &[("otp", TEST_OTP)], "pay")
        .await;
    assert!(answer.status.is_redirection(), "{}", answer.status);
    let paid_at = std::time::Instant::now();
    let order = wait_order(&world, &id, |o| o["paid"] == true).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["amount"], 450_000);
    assert_eq!(
        order["history"].as_array().unwrap().last().unwrap()["source"],
        "reconcile"
    );
    let t = world.sandbox.transaction(&id).expect("the transaction");
    assert!(t.status.is_success());
    assert!(
        t.notify_attempts
            .iter()
            .all(|a| a.outcome == AttemptOutcome::Dropped),
        "no notify reached the shop: {:?}",
        t.notify_attempts
    );
    assert!(
        paid_at.elapsed() < Duration::from_secs(10),
        "{:?}",
        paid_at.elapsed()
    );
}

/// 123PAY creates the payment but answers createOrder after the shop gave up: the order is
/// `unsure` and the buyer is told so (not "failed", not sent to pay). The reconciler finds the
/// payment at 123PAY (`pending`), then, once the buyer's session there is over, the failure
/// 123PAY reports.
pub async fn hung_create_order_resolves_to_what_123pay_knows<L: Launcher>(launcher: &L) {
    let session = Duration::from_secs(2);
    let world = World::start_with(
        launcher,
        |c| {
            c.faults.create_order_answer_delay = Duration::from_secs(3);
            c.session_timeout = session;
        },
        |s| {
            s.gateway_timeout = Duration::from_millis(500);
            s.reconcile_policy = s
                .reconcile_policy
                .with_first_check(Duration::from_secs(1))
                .with_interval(Duration::from_millis(300))
                .with_session_timeout(session)
                .with_margin(Duration::from_millis(500));
        },
    )
    .await;
    let answer = world
        .buyer
        .post_form(
            &format!("{}/checkout", world.shop_url),
            &[("product_id", "ao-dai"), ("bank_code", "123PVCB")],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        answer.body
    );
    assert_eq!(answer.text_of("error-code").as_deref(), Some("timeout"));
    assert!(answer.contains("do not order again"), "{}", answer.body);
    assert!(answer.contains("chưa bị trừ tiền"), "{}", answer.body);
    let id = answer
        .text_of("order-id")
        .expect("the order id on the error page");
    let order = world.order(&id).await;
    assert_eq!(order["status"], "unsure", "{order}");
    let created = world
        .sandbox
        .transaction(&id)
        .expect("123PAY created the payment");
    assert!(!created.is_final);

    let order = wait_order(&world, &id, |o| o["status"] == "failed").await;
    let t = world.sandbox.transaction(&id).unwrap();
    assert!(t.is_final && !t.status.is_success(), "{t:?}");
    assert_eq!(order["transactionStatus"], t.status.code(), "{order}");
    // 123PAY's answers do not sign the order's id: the transaction they name is not adopted
    // for an order whose createOrder answer was lost (a payment would be held for review).
    assert!(order["123PAYtransactionId"].is_null(), "{order}");
    assert_eq!(order["paid"], false);
    let states: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["creating", "unsure", "pending", "failed"],
        "{order}"
    );
}

/// queryOrder answers 5000 while the buyer pays: a notify that says paid cannot be confirmed, so
/// the shop answers it -3 and does not pay the order on the notify alone (nor on the return
/// page). Once queryOrder answers again, the notify sent again pays the order.
pub async fn notify_without_confirmation_never_pays<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |c| c.notify_retries = 2).await;
    let (id, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    world
        .sandbox
        .fail(pay123_sandbox::Method::QueryOrder, ReturnCode::Busy, None)
        .expect("queryOrder fails from now on");
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    let result = otp(&world, &page, TEST_OTP).await;
    assert_ne!(
        result.text_of("paid").as_deref(),
        Some("yes"),
        "the return page cannot confirm the payment: {}",
        result.body
    );
    // Every attempt of the notify's delivery (the first and its retries) was answered -3.
    let t = world
        .sandbox
        .wait_for(&id, WAIT, |t| {
            t.is_final && !t.notify_in_progress && !t.notify_attempts.is_empty()
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "the notify delivery never ended: {:?}",
                world.sandbox.transaction(&id)
            )
        });
    assert_eq!(t.status, TransactionStatus::Success);
    assert_eq!(t.notify_attempts.len(), 3, "{:?}", t.notify_attempts);
    for attempt in &t.notify_attempts {
        assert!(
            attempt.verified,
            "the shop's reply must verify: {attempt:?}"
        );
        assert_eq!(
            attempt.return_code,
            Some(NotifyReturnCode::UpdateFailed),
            "a paid notify that queryOrder cannot confirm is answered -3: {attempt:?}"
        );
    }
    assert_eq!(
        t.notify_attempts.last().map(|a| a.outcome),
        Some(AttemptOutcome::GaveUp)
    );
    let order = world.order(&id).await;
    assert_ne!(order["status"], "paid", "paid on the notify alone: {order}");
    assert_eq!(order["paid"], false, "{order}");

    // 123PAY answers again, and sends the notify again, later (a copy within the shop's
    // NOTIFY_QUERY_INTERVAL of its last queryOrder would ask nothing).
    tokio::time::sleep(pay123_core::payments::NOTIFY_QUERY_INTERVAL).await;
    world
        .sandbox
        .clear_failure(pay123_sandbox::Method::QueryOrder);
    let attempts = t.notify_attempts.len();
    world.sandbox.resend_notify(&id).expect("resend the notify");
    let t = world
        .sandbox
        .wait_for(&id, WAIT, |t| {
            t.notify_attempts.len() > attempts && !t.notify_in_progress
        })
        .await
        .expect("the resent notify");
    let last = t.notify_attempts.last().expect("an attempt");
    assert_eq!(last.outcome, AttemptOutcome::Acknowledged, "{last:?}");
    assert_eq!(
        last.return_code,
        Some(NotifyReturnCode::Processed),
        "{last:?}"
    );
    let order = wait_order(&world, &id, |o| o["paid"] == true).await;
    assert_eq!(order["status"], "paid");
    assert_eq!(order["transactionStatus"], "1");
    assert_eq!(order["amount"], 450_000);
}

/// 123PAY reports another amount than the order's (1 VND) for a paid transaction: the shop
/// never pays the order; the demo shop holds it for review.
pub async fn amount_mismatch_is_never_paid<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let (id, page) = checkout(&world, "ao-dai", Some("123PVCB")).await;
    world
        .sandbox
        .report_total_amount(&id, Some(1))
        .expect("queryOrder reports 1 VND");
    let page = card(&world, &page, TEST_CARD_HOLDER).await;
    let result = otp(&world, &page, TEST_OTP).await;
    assert_ne!(
        result.text_of("paid").as_deref(),
        Some("yes"),
        "{}",
        result.body
    );
    let t = wait_acknowledged(&world, &id).await;
    assert_eq!(t.status, TransactionStatus::Success);
    assert_eq!(t.reported_total_amount, Some(1));
    let order = wait_order(&world, &id, |o| {
        ["paid", "failed", "review"].contains(&o["status"].as_str().unwrap_or_default())
    })
    .await;
    assert_eq!(order["paid"], false, "paid for 1 VND: {order}");
    assert_eq!(order["status"], "review", "{order}");
    assert_eq!(order["amount"], 450_000);
}

/// createOrder answers 5000: the buyer sees a clear message and the order stays recorded.
pub async fn busy_on_create_order<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |c| c.faults.busy_rate = 1.0).await;
    let answer = world
        .buyer
        .post_form(
            &format!("{}/checkout", world.shop_url),
            &[("product_id", "ao-dai")],
        )
        .await;
    assert!(
        answer.status.is_server_error(),
        "{}: {}",
        answer.status,
        answer.body
    );
    assert_eq!(
        answer.text_of("error-code").as_deref(),
        Some("5000"),
        "{}",
        answer.body
    );
    assert!(
        answer.contains("Hệ thống bận"),
        "the buyer reads the spec's text: {}",
        answer.body
    );
    let id = answer
        .text_of("order-id")
        .expect("the order id on the error page");
    let order = world.order(&id).await;
    assert_eq!(order["status"], "not_created", "{order}");
    assert_eq!(order["errorCode"], "5000");
    assert_eq!(order["paid"], false);
    assert!(world.sandbox.transactions().is_empty());
}

/// 50 buyers at once: every other one pays, the rest cancel; each order ends right.
pub async fn fifty_concurrent_checkouts<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let world = &world;
    let runs = (0..50).map(|i| async move {
        let (id, page) = checkout(world, "non-la", Some("123PVCB")).await;
        if i % 2 == 0 {
            let page = card(world, &page, TEST_CARD_HOLDER).await;
            otp(world, &page, TEST_OTP).await;
        } else {
            world.buyer.submit(&page, "card_form", &[], "cancel").await;
        }
        (i, id)
    });
    let ids = futures_util::future::join_all(runs).await;
    let mut distinct: Vec<&String> = ids.iter().map(|(_, id)| id).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 50, "every checkout has its own order");
    for (i, id) in &ids {
        let order = wait_order(world, id, |o| {
            o["status"] == "paid" || o["status"] == "failed"
        })
        .await;
        if i % 2 == 0 {
            assert_eq!(order["status"], "paid", "{order}");
            assert_eq!(order["amount"], 85_000);
        } else {
            assert_eq!(order["status"], "failed", "{order}");
            assert_eq!(order["transactionStatus"], "-100");
        }
    }
}

/// Two signed notifies for one order race, status `1` and status `7201`, twenty times: the
/// order always ends as 123PAY's queryOrder says, never as the notify that came first says.
pub async fn racing_notifies_end_as_123pay_says<L: Launcher>(launcher: &L) {
    let world = World::start(launcher, |_| {}).await;
    let key = SecretKey::new("MIKEY");
    let url = format!("{}/123pay/notify", world.shop_url);
    for run in 0..20 {
        let (id, _page) = checkout(&world, "non-la", Some("123PVCB")).await;
        let truth = if run % 2 == 0 {
            TransactionStatus::Success
        } else {
            TransactionStatus::InsufficientFunds
        };
        // 123PAY's records say `truth`; its own notify is lost, only the racing ones arrive.
        world.sandbox.drop_next_notify();
        world
            .sandbox
            .force_status(&id, truth.clone())
            .expect("force");
        let send = |status: TransactionStatus| {
            let notify = Notify::new(&id, BankCode::Vietcombank, status, "", SystemTime::now())
                .expect("a notify");
            let form = notify.to_form(&key);
            let url = url.clone();
            let buyer = &world.buyer;
            async move {
                let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
                    .into_owned()
                    .collect();
                let fields: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                buyer.post_form(&url, &fields).await
            }
        };
        let (paid, failed) = tokio::join!(
            send(TransactionStatus::Success),
            send(TransactionStatus::InsufficientFunds)
        );
        for answer in [&paid, &failed] {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            let reply =
                NotifyReply::from_json(answer.body.as_bytes(), &key).expect("a signed reply");
            assert_eq!(reply.m_transaction_id(), id);
            assert!(
                reply.return_code().is_acknowledged(),
                "run {run}: {:?}",
                reply.return_code()
            );
        }
        let order = world.order(&id).await;
        let expected = if truth.is_success() { "paid" } else { "failed" };
        assert_eq!(order["status"], expected, "run {run}: {order}");
        assert_eq!(order["paid"], truth.is_success(), "run {run}: {order}");
        assert_eq!(
            order["transactionStatus"],
            truth.code(),
            "run {run}: {order}"
        );
    }
}
