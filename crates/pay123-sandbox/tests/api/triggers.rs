//! Every row of the trigger table in docs/sandbox.md ends in its status: the trigger cards, and
//! the buyer paths (cancel, empty forms, wrong data, wrong or expired OTP, leaving the page).

use std::time::Duration;

use http::StatusCode;
use pay123_core::{BankCode, TransactionStatus};
use pay123_sandbox::cards::{self, Stage, TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE};
use pay123_sandbox::{AttemptOutcome, Step};

use super::support::{CANCEL_URL, ERROR_URL, Harness, Page, REDIRECT_URL};

/// Checks where the buyer was sent, what queryOrder says, and the notify the merchant got.
async fn ends_in(h: &Harness, page: &Page, id: &str, status: &TransactionStatus) {
    let returned = h.returned(page);
    assert_eq!(&returned.status, status, "{id}");
    assert_eq!(returned.m_transaction_id, id);
    let expected_url = match status {
        TransactionStatus::Success => REDIRECT_URL,
        TransactionStatus::Cancelled => CANCEL_URL,
        _ => ERROR_URL,
    };
    assert_eq!(returned.url, expected_url, "{id}");
    assert_eq!(&h.status(id).await, status, "{id}");
    let t = h.settled(id).await;
    assert_eq!(&t.status, status);
    assert_eq!(t.notify_attempts.len(), 1, "{id}: {:#?}", t.notify_attempts);
    assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::Acknowledged);
    assert_eq!(&t.notify_attempts[0].status, status);
    let notified: Vec<_> = h
        .sink()
        .received()
        .into_iter()
        .filter(|r| r.m_transaction_id == id)
        .collect();
    assert_eq!(notified.len(), 1, "{id}");
    assert_eq!(&notified[0].status, status, "{id}");
}

#[tokio::test]
async fn every_trigger_card_ends_in_its_status() {
    // The table, built from the core's status list: every final failure with a 4-digit code.
    let expected: Vec<(String, TransactionStatus)> = TransactionStatus::KNOWN
        .iter()
        .filter(|s| {
            let code = s.code();
            s.is_failure() && code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())
        })
        .map(|s| (format!("000000000000{}", s.code()), s.clone()))
        .collect();
    assert_eq!(expected.len(), 34);
    let triggers = cards::triggers();
    let failures: Vec<(String, TransactionStatus)> = triggers
        .iter()
        .filter(|t| t.status != TransactionStatus::BankResultUnknown)
        .map(|t| (t.card_number.clone(), t.status.clone()))
        .collect();
    assert_eq!(failures, expected);

    let h = Harness::with_sink(vec![], |_| {}).await;
    for trigger in triggers.iter().filter(|t| t.status.is_failure()) {
        let id = format!("TRIGGER-{}", trigger.status.code());
        let page = h.card_page(&id).await;
        let page = h
            .card(
                &page,
                TEST_CARD_HOLDER,
                &trigger.card_number,
                TEST_ISSUE_DATE,
            )
            .await;
        let page = match trigger.stage {
            Stage::Card => page,
            Stage::Debit => {
                assert_eq!(page.form_id(), "otp_form", "{id}");
                assert_eq!(h.status(&id).await, TransactionStatus::AwaitingOtp);
                h.test_otp(&page).await
            }
        };
        ends_in(&h, &page, &id, &trigger.status).await;
    }
}

#[tokio::test]
async fn card_0020_stays_at_20_then_succeeds() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.otp_page("PENDING-20", "0000000000000020").await;
    let back = h.test_otp(&page).await;
    let returned = h.returned(&back);
    assert_eq!(returned.status, TransactionStatus::BankResultUnknown);
    assert_eq!(returned.url, REDIRECT_URL);
    assert_eq!(
        h.status("PENDING-20").await,
        TransactionStatus::BankResultUnknown
    );
    let t = h.sandbox.transaction("PENDING-20").unwrap();
    assert_eq!(t.step, Step::AwaitingBank);
    assert!(
        t.notify_attempts.is_empty(),
        "no notify for a pending status"
    );
    h.clock.advance(Duration::from_secs(91));
    let t = h.settled("PENDING-20").await;
    assert_eq!(t.status, TransactionStatus::Success);
    assert_eq!(h.status("PENDING-20").await, TransactionStatus::Success);
    assert_eq!(h.sink().received()[0].status, TransactionStatus::Success);
}

#[tokio::test]
async fn cancel_on_every_page_is_minus_100() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let choice = h.start_payment("CANCEL-CHOICE", BankCode::Pay123).await;
    assert_eq!(choice.form_id(), "bank_form");
    let back = h.cancel(&choice).await;
    ends_in(&h, &back, "CANCEL-CHOICE", &TransactionStatus::Cancelled).await;

    let card = h.card_page("CANCEL-CARD").await;
    let back = h.cancel(&card).await;
    ends_in(&h, &back, "CANCEL-CARD", &TransactionStatus::Cancelled).await;

    let otp = h.otp_page("CANCEL-OTP", TEST_CARD_NUMBER).await;
    let back = h.cancel(&otp).await;
    ends_in(&h, &back, "CANCEL-OTP", &TransactionStatus::Cancelled).await;
}

#[tokio::test]
async fn an_empty_card_form_shows_a_message_and_stays() {
    let h = Harness::new(|_| {}).await;
    let page = h.card_page("EMPTY-CARD").await;
    let cases = [
        ("", "", ""),
        (TEST_CARD_HOLDER, "", TEST_ISSUE_DATE),
        (TEST_CARD_HOLDER, TEST_CARD_NUMBER, ""),
        ("   ", TEST_CARD_NUMBER, TEST_ISSUE_DATE),
    ];
    let mut page = page;
    for (holder, number, date) in cases {
        page = h.card(&page, holder, number, date).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.form_id(), "card_form");
        let message = page.message().expect("a message");
        assert!(
            message.contains("Vui lòng nhập đầy đủ thông tin thẻ"),
            "{message}"
        );
        assert_eq!(h.status("EMPTY-CARD").await, TransactionStatus::New);
    }
    // A malformed issue date is a message too, and none of these used an attempt.
    page = h
        .card(&page, TEST_CARD_HOLDER, TEST_CARD_NUMBER, "2015-01")
        .await;
    assert!(page.message().unwrap().contains("Ngày phát hành"));
    assert!(page.body.contains("Số lần nhập còn lại: 3"));
    // What was typed is kept in the form.
    assert!(page.body.contains("value=\"2015-01\""));
    let page = h.test_card(&page).await;
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
}

#[tokio::test]
async fn wrong_holder_or_card_shows_a_message_and_three_times_is_7221() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.card_page("WRONG-CARD").await;
    let page = h
        .card(&page, "Tran Thi B", TEST_CARD_NUMBER, TEST_ISSUE_DATE)
        .await;
    assert_eq!(page.form_id(), "card_form");
    let message = page.message().unwrap();
    assert!(
        message.contains("Sai tên chủ thẻ") && message.contains("còn 2 lần"),
        "{message}"
    );
    let page = h
        .card(&page, TEST_CARD_HOLDER, "9704000000000018", TEST_ISSUE_DATE)
        .await;
    let message = page.message().unwrap();
    assert!(
        message.contains("Card không hợp lệ") && message.contains("còn 1 lần"),
        "{message}"
    );
    assert_eq!(
        h.status("WRONG-CARD").await,
        TransactionStatus::CheckingAccount
    );
    let back = h
        .card(&page, "Tran Thi B", TEST_CARD_NUMBER, TEST_ISSUE_DATE)
        .await;
    ends_in(
        &h,
        &back,
        "WRONG-CARD",
        &TransactionStatus::WrongCardInfoThreeTimes,
    )
    .await;
}

#[tokio::test]
async fn an_empty_otp_is_7220() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.otp_page("EMPTY-OTP", TEST_CARD_NUMBER).await;
    let back = h.otp(&page, "").await;
    ends_in(&h, &back, "EMPTY-OTP", &TransactionStatus::NoOtp).await;
}

#[tokio::test]
async fn a_wrong_otp_shows_a_message_and_three_times_is_7224() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.otp_page("WRONG-OTP", TEST_CARD_NUMBER).await;
    let page = h.otp(&page, "12345678").await;
    assert_eq!(page.form_id(), "otp_form");
    let message = page.message().unwrap();
    assert!(
        message.contains("Sai thông tin OTP") && message.contains("còn 2 lần"),
        "{message}"
    );
    assert_eq!(h.status("WRONG-OTP").await, TransactionStatus::AwaitingOtp);
    let page = h.otp(&page, "11111111").await;
    assert!(page.message().unwrap().contains("còn 1 lần"));
    let back = h.otp(&page, "22222222").await;
    ends_in(
        &h,
        &back,
        "WRONG-OTP",
        &TransactionStatus::WrongOtpThreeTimes,
    )
    .await;
}

#[tokio::test]
async fn a_wrong_otp_then_the_right_one_pays() {
    let h = Harness::new(|_| {}).await;
    let page = h.otp_page("OTP-SECOND-TRY", TEST_CARD_NUMBER).await;
    let page = h.otp(&page, "12345678").await;
    let back = h.test_otp(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::Success);
}

#[tokio::test]
async fn an_expired_otp_is_7223() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let page = h.otp_page("EXPIRED-OTP", TEST_CARD_NUMBER).await;
    // test_config: the OTP is valid for 30 s.
    h.clock.advance(Duration::from_secs(31));
    let back = h.test_otp(&page).await;
    ends_in(&h, &back, "EXPIRED-OTP", &TransactionStatus::OtpExpired).await;
}

#[tokio::test]
async fn leaving_the_page_fails_when_the_session_times_out() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    // The buyer closes the page at each step, sometimes after a wrong input.
    let choice = h.start_payment("LEFT-CHOICE", BankCode::Pay123).await;
    assert_eq!(choice.form_id(), "bank_form");
    h.card_page("LEFT-CARD").await;
    let page = h.card_page("LEFT-HOLDER").await;
    h.card(&page, "Tran Thi B", TEST_CARD_NUMBER, TEST_ISSUE_DATE)
        .await;
    let page = h.card_page("LEFT-NUMBER").await;
    h.card(&page, TEST_CARD_HOLDER, "4111111111111111", TEST_ISSUE_DATE)
        .await;
    h.otp_page("LEFT-OTP", TEST_CARD_NUMBER).await;
    let page = h.otp_page("LEFT-WRONG-OTP", TEST_CARD_NUMBER).await;
    h.otp(&page, "99999999").await;

    let cases = [
        ("LEFT-CHOICE", TransactionStatus::NoPaymentInfo),
        ("LEFT-CARD", TransactionStatus::NoPaymentInfo),
        ("LEFT-HOLDER", TransactionStatus::WrongHolderName),
        ("LEFT-NUMBER", TransactionStatus::InvalidCard),
        ("LEFT-OTP", TransactionStatus::NoOtp),
        ("LEFT-WRONG-OTP", TransactionStatus::WrongOtp),
    ];
    // Until the session times out, every one of them is pending.
    for (id, _) in &cases {
        assert!(h.status(id).await.is_pending(), "{id}");
    }
    // test_config: 60 s on the bank pages.
    h.clock.advance(Duration::from_secs(61));
    // Without any request, the sandbox's background task ends them and sends the notifies.
    let notified = h
        .sink()
        .wait_until(|received| {
            cases
                .iter()
                .all(|(id, _)| received.iter().any(|r| r.m_transaction_id == *id))
        })
        .await;
    for (id, status) in &cases {
        assert!(
            notified
                .iter()
                .any(|r| r.m_transaction_id == *id && &r.status == status),
            "{id}: {notified:?}"
        );
    }
    for (id, status) in &cases {
        let t = h.settled(id).await;
        assert_eq!(&t.status, status, "{id}");
        assert_eq!(t.notify_attempts[0].outcome, AttemptOutcome::Acknowledged);
        assert_eq!(&h.status(id).await, status, "{id}");
        // A buyer who comes back is sent to the merchant's error page.
        let page = h.follow(h.http.get(&t.payment_url).await).await;
        let returned = h.returned(&page);
        assert_eq!(&returned.status, status);
        assert_eq!(returned.url, ERROR_URL);
    }
}

#[tokio::test]
async fn a_late_form_after_the_timeout_goes_back_to_the_merchant() {
    let h = Harness::new(|_| {}).await;
    let page = h.card_page("LATE-FORM").await;
    h.clock.advance(Duration::from_secs(61));
    let back = h.test_card(&page).await;
    assert_eq!(h.returned(&back).status, TransactionStatus::NoPaymentInfo);
}
