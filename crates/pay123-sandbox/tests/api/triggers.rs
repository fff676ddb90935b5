//! Every row of the trigger table in docs/sandbox.md ends in its status: the trigger cards, and
//! the buyer paths (cancel, empty forms, wrong data, wrong or expired OTP, leaving the page).

use std::time::Duration;

use http::StatusCode;
use pay123_core::{BankCode, TransactionStatus};
use pay123_sandbox::cards::{self, Stage, TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_ISSUE_DATE};
use pay123_sandbox::{AttemptOutcome, Step};

use super::support::{CANCEL_URL, ERROR_URL, Harness, Page, REDIRECT_URL};

/// The documentation the table is read from: what it says is what is tested.
const SANDBOX_DOC: &str = include_str!("../../docs/sandbox.md");

/// A row of the trigger card table: `| `card` | reported | `status` text |`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    card_number: String,
    stage: Stage,
    status: TransactionStatus,
}

/// The first `backquoted` word of a cell.
fn code_in(cell: &str) -> Option<&str> {
    let (_, rest) = cell.split_once('`')?;
    Some(rest.split_once('`')?.0)
}

/// The rows of the table whose header is `| card number | reported | status |`.
fn documented_trigger_cards() -> Vec<Row> {
    let mut lines = SANDBOX_DOC.lines().skip_while(|line| {
        !line
            .replace(' ', "")
            .starts_with("|cardnumber|reported|status|")
    });
    assert!(
        lines.next().is_some(),
        "no trigger card table in docs/sandbox.md"
    );
    let separator = lines.next().unwrap_or_default();
    assert!(separator.starts_with("|---"), "{separator}");
    lines
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, card, reported, status, ..] = cells[..] else {
                panic!("a trigger row has three cells: {line}");
            };
            let stage = match reported {
                "card form" => Stage::Card,
                "after a correct OTP" => Stage::Debit,
                other => panic!("unknown stage {other:?} in {line}"),
            };
            Row {
                card_number: code_in(card).unwrap_or_else(|| panic!("{line}")).to_owned(),
                stage,
                status: TransactionStatus::from_code(
                    code_in(status).unwrap_or_else(|| panic!("{line}")),
                ),
            }
        })
        .collect()
}

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

#[test]
fn the_documented_trigger_cards_cover_every_failure_and_match_the_code() {
    let rows = documented_trigger_cards();
    // Every final failure of the specification's table is reachable: -100 and -10 by the buyer
    // paths (cancel, an unknown id), the others by a card.
    for status in TransactionStatus::KNOWN.iter().filter(|s| s.is_failure()) {
        let by_buyer_path = matches!(
            status,
            TransactionStatus::Cancelled | TransactionStatus::NotFound
        );
        assert_eq!(
            rows.iter().any(|r| &r.status == status),
            !by_buyer_path,
            "{status}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r.status == TransactionStatus::BankResultUnknown)
    );
    // `GET /_sandbox/` and `cards::triggers()` list the same cards.
    let listed: Vec<Row> = cards::triggers()
        .into_iter()
        .map(|t| Row {
            card_number: t.card_number,
            stage: t.stage,
            status: t.status,
        })
        .collect();
    assert_eq!(rows, listed);
}

#[tokio::test]
async fn every_documented_trigger_card_ends_in_its_status() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    let rows = documented_trigger_cards();
    for row in &rows {
        let id = format!("TRIGGER-{}", row.status.code());
        let page = h.card_page(&id).await;
        let page = h
            .card(&page, TEST_CARD_HOLDER, &row.card_number, TEST_ISSUE_DATE)
            .await;
        let page = match row.stage {
            Stage::Card => {
                assert_eq!(
                    page.status,
                    StatusCode::SEE_OTHER,
                    "{id}: documented as reported at the card form, but the payment goes on"
                );
                page
            }
            Stage::Debit => {
                assert_eq!(page.form_id(), "otp_form", "{id}");
                assert_eq!(h.status(&id).await, TransactionStatus::AwaitingOtp);
                h.test_otp(&page).await
            }
        };
        if row.status == TransactionStatus::BankResultUnknown {
            stays_at_20(&h, &page, &id).await;
        } else {
            ends_in(&h, &page, &id, &row.status).await;
        }
    }
    // The row of `20`: `1` and its notify after --unknown-result-delay (90 s in test_config).
    // Every other transaction is final, so moving the clock changes nothing else.
    let id = "TRIGGER-20";
    h.clock.advance(Duration::from_secs(91));
    let t = h.settled(id).await;
    assert_eq!(t.status, TransactionStatus::Success);
    assert_eq!(t.notify_attempts.len(), 1);
    assert_eq!(h.status(id).await, TransactionStatus::Success);
    let notified: Vec<_> = h
        .sink()
        .received()
        .into_iter()
        .filter(|r| r.m_transaction_id == id)
        .collect();
    assert_eq!(notified.len(), 1);
    assert_eq!(notified[0].status, TransactionStatus::Success);
}

/// Card `0000000000000020`: back at `redirectURL` with `20`, queryOrder says `20`, no notify.
async fn stays_at_20(h: &Harness, page: &Page, id: &str) {
    let returned = h.returned(page);
    assert_eq!(returned.status, TransactionStatus::BankResultUnknown);
    assert_eq!(returned.url, REDIRECT_URL);
    assert_eq!(h.status(id).await, TransactionStatus::BankResultUnknown);
    let t = h.sandbox.transaction(id).unwrap();
    assert_eq!(t.step, Step::AwaitingBank);
    assert!(
        t.notify_attempts.is_empty(),
        "no notify for a pending status"
    );
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

/// The session ends at its deadline to the nanosecond: not a moment before, even inside the
/// deadline's own millisecond, and without the sandbox spinning on a deadline not yet reached.
#[tokio::test]
async fn a_session_ends_at_its_deadline_and_not_before() {
    let h = Harness::with_sink(vec![], |_| {}).await;
    // A clock between two milliseconds.
    h.clock.advance(Duration::from_micros(300));
    h.card_page("EDGE").await;
    // test_config: 60 s on the bank pages; stop 0.2 ms short of them.
    h.clock
        .advance(Duration::from_secs(60) - Duration::from_micros(200));
    let listing = |gateway: pay123_sandbox::Gateway| async move {
        // Listing brings every due transaction up to date first.
        tokio::time::timeout(
            Duration::from_secs(10),
            tokio::task::spawn_blocking(move || gateway.transactions()),
        )
        .await
        .expect("the listing answers")
        .unwrap()
    };
    let before = listing(h.sandbox.gateway().clone()).await;
    assert_eq!(before[0].m_transaction_id, "EDGE");
    assert!(!before[0].is_final, "{:?}", before[0].status);
    h.clock.advance(Duration::from_micros(200));
    let after = listing(h.sandbox.gateway().clone()).await;
    assert_eq!(after[0].status, TransactionStatus::NoPaymentInfo);
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
