//! The buyer's happy path, by posting the bank pages' forms, and the statuses queryOrder
//! answers along the way.

use std::time::Duration;

use http::StatusCode;
use pay123_core::{BankCode, TransactionStatus};
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE};
use pay123_sandbox::{AttemptOutcome, Step};

use super::support::{AMOUNT, Harness, REDIRECT_URL, WAIT};

#[tokio::test]
async fn happy_path_through_the_bank_choice_page() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let created = h.create("HAPPY-1", BankCode::Pay123).await;
    assert!(
        created.pay123_transaction_id().starts_with("123P"),
        "{created:?}"
    );
    assert!(
        created
            .payment_url()
            .starts_with(&format!("{}/banksim/", h.sandbox.base_url())),
        "{created:?}"
    );
    assert_eq!(h.status("HAPPY-1").await, TransactionStatus::New);

    // 123PAY as bankCode: the bank choice page first.
    let page = h.open(&created).await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.form("bank_form");
    assert_eq!(form.method, "post");
    assert!(form.names.contains(&"bank_code".to_owned()), "{form:?}");
    assert!(page.body.contains("value=\"123PVCB\""));
    assert!(page.body.contains("150.000 VNĐ"), "the amount is shown");
    assert!(page.body.contains("HAPPY-1"));

    // An unknown bank is refused on the page; what the browser sent is echoed at most 40
    // characters long, in the page and in the history.
    let junk = "X".repeat(10_000);
    let page = h.choose_bank(&page, &junk).await;
    assert!(
        page.body.contains("Ngân hàng không hợp lệ"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&"X".repeat(40)) && !page.body.contains(&"X".repeat(41)));
    let history = h.sandbox.transaction("HAPPY-1").unwrap().history;
    let refused = history.last().unwrap();
    assert!(refused.event.contains(&"X".repeat(40)) && !refused.event.contains(&"X".repeat(41)));

    let page = h.choose_bank(&page, "123PVCB").await;
    assert_eq!(page.form_id(), "card_form");
    assert!(page.body.contains("Vietcombank"));
    assert_eq!(h.status("HAPPY-1").await, TransactionStatus::New);

    let page = h.test_card(&page).await;
    assert_eq!(page.form_id(), "otp_form");
    let at_otp = h.query("HAPPY-1").await;
    assert_eq!(at_otp.status(), TransactionStatus::AwaitingOtp);
    assert_eq!(at_otp.bank_code(), BankCode::Vietcombank);

    let back = h.test_otp(&page).await;
    let returned = h.returned(&back);
    assert_eq!(returned.url, REDIRECT_URL);
    assert_eq!(returned.status, TransactionStatus::Success);
    assert_eq!(returned.m_transaction_id, "HAPPY-1");

    let paid = h.query("HAPPY-1").await;
    assert_eq!(paid.status(), TransactionStatus::Success);
    assert_eq!(
        paid.pay123_transaction_id(),
        created.pay123_transaction_id()
    );
    assert_eq!(paid.total_amount_vnd(), Some(AMOUNT));
    assert_eq!(paid.op_amount_vnd(), Some(AMOUNT));
    assert_eq!(paid.bank_code(), BankCode::Vietcombank);

    let t = h.settled("HAPPY-1").await;
    assert_eq!(t.step, Step::Finished);
    assert_eq!(t.notify_attempts.len(), 1);
    assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::Acknowledged);
    assert!(t.notify_attempts[0].verified);
    let received = h.sink().received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].m_transaction_id, "HAPPY-1");
    assert_eq!(received[0].status, TransactionStatus::Success);
    assert_eq!(received[0].bank_code, BankCode::Vietcombank);

    // The history went through the pending codes in order.
    let statuses: Vec<&str> = t.history.iter().map(|e| e.status.code()).collect();
    let mut seen: Vec<&str> = statuses.clone();
    seen.dedup();
    assert_eq!(seen, ["0", "10", "11", "1"], "{:#?}", t.history);

    // Opening the payment URL again sends the buyer back to the merchant.
    let again = h.http.get(created.payment_url()).await;
    assert_eq!(h.returned(&again).status, TransactionStatus::Success);
}

#[tokio::test]
async fn a_bank_code_goes_straight_to_the_card_page() {
    let h = Harness::new(|_| {}).await;
    let page = h.start_payment("DIRECT-1", BankCode::Techcombank).await;
    assert_eq!(page.form_id(), "card_form");
    assert!(!page.body.contains("bank_form"));
    assert!(page.body.contains("Techcombank"));
    let page = h.test_card(&page).await;
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
    assert_eq!(h.query("DIRECT-1").await.bank_code(), BankCode::Techcombank);
    // No notify URL: the attempt says so.
    let t = h.settled("DIRECT-1").await;
    assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::NoNotifyUrl);
}

#[tokio::test]
async fn the_pages_have_the_documented_fields_and_no_script() {
    let h = Harness::new(|_| {}).await;
    let page = h.start_payment("FIELDS-1", BankCode::Pay123).await;
    let check = |body: &str, ids: &[&str]| {
        assert!(body.contains("<html lang=\"vi\">"));
        assert!(!body.to_lowercase().contains("<script"));
        for id in ids {
            assert!(body.contains(&format!("id=\"{id}\"")), "id {id}");
        }
        assert!(body.contains("name=\"action\" value=\"pay\""));
        assert!(body.contains("name=\"action\" value=\"cancel\""));
    };
    check(&page.body, &["bank_form", "bank_code", "pay", "cancel"]);
    let page = h.choose_bank(&page, "123PBIDV").await;
    check(
        &page.body,
        &[
            "card_form",
            "card_holder",
            "card_number",
            "issue_date",
            "pay",
            "cancel",
        ],
    );
    let form = page.form("card_form");
    for name in ["card_holder", "card_number", "issue_date", "action"] {
        assert!(
            form.names.contains(&name.to_owned()),
            "{name} in {:?}",
            form.names
        );
    }
    let page = h.test_card(&page).await;
    check(&page.body, &["otp_form", "otp", "pay", "cancel"]);
    assert!(page.form("otp_form").names.contains(&"otp".to_owned()));
}

#[tokio::test]
async fn an_unknown_session_is_404() {
    let h = Harness::new(|_| {}).await;
    let page = h.http.get(&h.url("/banksim/no-such-session")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Giao dịch không tồn tại"));
    let page = h
        .http
        .post_form(
            &h.url("/banksim/no-such-session/card"),
            &[("action", "pay")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_holder_name_may_carry_accents() {
    let h = Harness::new(|_| {}).await;
    let page = h.card_page("ACCENTS-1").await;
    let page = h
        .card(
            &page,
            "Nguyễn Văn A",
            "0000 0000 0000 0000",
            TEST_ISSUE_DATE,
        )
        .await;
    assert_eq!(page.form_id(), "otp_form");
}

#[tokio::test]
async fn query_order_answers_honestly_in_the_middle_of_a_payment() {
    let h = Harness::new(|_| {}).await;
    let page = h.card_page("MIDDLE-1").await;
    assert_eq!(h.status("MIDDLE-1").await, TransactionStatus::New);
    // A wrong card: the bank has looked at the account (10) and nothing is final.
    let page = h
        .card(&page, TEST_CARD_HOLDER, "1234567890123456", TEST_ISSUE_DATE)
        .await;
    assert_eq!(page.form_id(), "card_form");
    assert_eq!(
        h.status("MIDDLE-1").await,
        TransactionStatus::CheckingAccount
    );
    let page = h.test_card(&page).await;
    assert_eq!(h.status("MIDDLE-1").await, TransactionStatus::AwaitingOtp);
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
    assert_eq!(h.status("MIDDLE-1").await, TransactionStatus::Success);
}

#[tokio::test]
async fn status_10_shows_while_the_bank_checks_the_card() {
    let h = Harness::new(|c| c.faults.latency = Duration::from_millis(600)).await;
    let page = h.card_page("CHECKING-1").await;
    let form = page.form("card_form");
    let http = h.http.clone();
    let posting = tokio::spawn(async move {
        http.post_form(
            &form.action,
            &[
                ("card_holder", TEST_CARD_HOLDER),
                ("card_number", TEST_CARD_NUMBER),
                ("issue_date", TEST_ISSUE_DATE),
            ],
        )
        .await
    });
    // While the bank checks (the configured latency), the status is 10.
    let checking = h
        .sandbox
        .wait_for("CHECKING-1", WAIT, |t| {
            t.status == TransactionStatus::CheckingAccount
        })
        .await
        .expect("status 10");
    assert_eq!(checking.step, Step::Card);
    let answer = posting.await.unwrap();
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(h.status("CHECKING-1").await, TransactionStatus::AwaitingOtp);
}

/// The specification's FAQ 8: Visa and Master cards cannot be paid in 123PAY's test
/// environment. `123PCC` shows the card page with that message; the test card does not pay, and
/// the buyer can only cancel.
#[tokio::test]
async fn international_cards_cannot_be_paid_in_the_sandbox() {
    let h = Harness::new(|_| {}).await;
    let page = h.start_payment("CC-1", BankCode::CreditCard).await;
    assert_eq!(page.form_id(), "card_form");
    assert!(
        page.body
            .contains("môi trường test không test được các thẻ Credit"),
        "{}",
        page.body
    );
    let again = h.test_card(&page).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.form_id(), "card_form");
    assert!(again.body.contains("FAQ 8"), "{}", again.body);
    assert_eq!(h.status("CC-1").await, TransactionStatus::New);
    let back = h.cancel(&again).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Cancelled);
}

/// A bank 123PAY added after the specification can be rehearsed: a sandbox started with it
/// (`--add-bank 123PKLB`) takes it in createOrder and on the bank choice page, and its notify,
/// verified by the listener, carries its code. Without it, createOrder answers 6100.
#[tokio::test]
async fn a_bank_added_after_the_specification_can_be_paid_through() {
    let klb = BankCode::from_code("123PKLB");
    let plain = Harness::new(|_| {}).await;
    let order = Harness::order("KLB-0", klb.clone());
    let refused = plain.client.create_order(&order).await.unwrap_err();
    assert_eq!(refused.return_code().map(|c| c.code()), Some("6100"));

    let added = klb.clone();
    let h = Harness::with_sink(vec![], move |c| c.added_banks = vec![added]).await;
    let page = h.start_payment("KLB-1", klb.clone()).await;
    assert_eq!(page.form_id(), "card_form");
    let page = h.test_card(&page).await;
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
    assert_eq!(h.query("KLB-1").await.bank_code(), klb);
    h.settled("KLB-1").await;
    assert_eq!(h.sink().received()[0].bank_code, klb);
    // The bank choice page lists it.
    let choose = h.start_payment("KLB-2", BankCode::Pay123).await;
    assert!(choose.body.contains("123PKLB"), "{}", choose.body);
    let page = h.choose_bank(&choose, "123PKLB").await;
    assert_eq!(page.form_id(), "card_form");
    // A configuration with a code that is not of 123PAY's form does not start.
    let config = pay123_sandbox::Config {
        added_banks: vec![BankCode::from_code("KLB")],
        ..pay123_sandbox::Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let e = pay123_sandbox::start(listener, config).await.unwrap_err();
    assert!(e.to_string().contains("KLB"), "{e}");
}
