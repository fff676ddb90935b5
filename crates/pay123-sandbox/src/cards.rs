//! The simulated bank: the specification's test card and the trigger cards that end a payment in
//! each failure status of the specification's table.
//!
//! A trigger card is `000000000000` followed by a four-digit status code (`0000000000007201`
//! ends in `7201`, insufficient funds), with the test card's holder name. Account and card
//! problems are reported when the card form is sent ([`Stage::Card`]); problems found while
//! debiting the account are reported after a correct OTP ([`Stage::Debit`]), as a real bank
//! does. `0000000000000020` leaves the transaction at `20` (result from the bank unknown) for
//! [`Config::unknown_result_delay`](crate::Config::unknown_result_delay), then succeeds.

use pay123_core::TransactionStatus;
use pay123_core::text::unaccent;

/// The test card's holder name (accents and case do not matter: `Nguyễn Văn A` works too).
pub const TEST_CARD_HOLDER: &str = "Nguyen Van A";
/// The test card's number; it pays successfully.
pub const TEST_CARD_NUMBER: &str = "0000000000000000";
/// The OTP the bank accepts.
pub const TEST_OTP: &str = "00000000";
/// A well-formed issue date for the form (`MM/YY`; any valid month is accepted).
pub const TEST_ISSUE_DATE: &str = "01/15";
/// Wrong card data, or a wrong OTP, this many times ends the transaction (`7221`, `7224`).
pub const MAX_ATTEMPTS: u32 = 3;

/// The prefix of every trigger card number; the last four digits are the status.
const TRIGGER_PREFIX: &str = "000000000000";

/// When the bank reports a trigger card's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// When the card form is sent, before any OTP.
    Card,
    /// After a correct OTP, while debiting the account.
    Debit,
}

/// A trigger card: the number to type, and how the payment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The card number.
    pub card_number: String,
    /// The status the payment ends in (or stays at, for `20`).
    pub status: TransactionStatus,
    /// When the bank reports it.
    pub stage: Stage,
}

/// Every trigger card, in the order of the specification's status table: one for each final
/// failure status with a four-digit code, and one for `20`.
#[must_use]
pub fn triggers() -> Vec<Trigger> {
    TransactionStatus::KNOWN
        .iter()
        .filter_map(|status| {
            let card_number = trigger_card(status)?;
            Some(Trigger {
                card_number,
                stage: stage_of(status),
                status: status.clone(),
            })
        })
        .collect()
}

/// The trigger card ending in `status`, if there is one.
///
/// ```
/// use pay123_core::TransactionStatus;
/// use pay123_sandbox::cards::trigger_card;
/// assert_eq!(trigger_card(&TransactionStatus::InsufficientFunds).as_deref(), Some("0000000000007201"));
/// assert_eq!(trigger_card(&TransactionStatus::Success), None);
/// ```
#[must_use]
pub fn trigger_card(status: &TransactionStatus) -> Option<String> {
    let code = status.code();
    let four_digits = code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit());
    let triggerable = matches!(status, TransactionStatus::BankResultUnknown)
        || (status.is_failure() && four_digits);
    triggerable.then(|| format!("{TRIGGER_PREFIX}{code:0>4}"))
}

/// Account and card problems show at the card form; the others when the account is debited.
fn stage_of(status: &TransactionStatus) -> Stage {
    use TransactionStatus as S;
    match status {
        S::InvalidPaymentInfo
        | S::NoPaymentInfo
        | S::NotRegistered
        | S::OnlinePaymentSuspended
        | S::AccountLocked
        | S::WrongCardInfoThreeTimes
        | S::WrongHolderName
        | S::InvalidCard
        | S::ExpiredCard
        | S::LostCard
        | S::StolenCard
        | S::DeletedCard
        | S::CvvFailed
        | S::AddressFailed
        | S::AddressAndCvvFailed
        | S::RiskCheckFailed
        | S::AccountOnHold
        | S::AccountClosed
        | S::AccountFrozen => Stage::Card,
        _ => Stage::Debit,
    }
}

/// How a payment ends once the OTP is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Debit {
    /// `1`.
    Success,
    /// `20`, then `1` later.
    Unknown,
    /// A final failure.
    Fail(TransactionStatus),
}

/// What the bank says about a card form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CardCheck {
    /// The card is good: send an OTP; the debit will end as said.
    Accepted(Debit),
    /// A final failure at the card step.
    Refused(TransactionStatus),
    /// Wrong data (`7231` wrong holder, `7232` unknown card): a message, and one attempt used.
    Wrong(TransactionStatus),
}

/// Checks a card form whose fields are all filled in.
pub(crate) fn check_card(holder: &str, number: &str) -> CardCheck {
    let number = normalize_number(number);
    let status = if number == TEST_CARD_NUMBER {
        None
    } else {
        match number.strip_prefix(TRIGGER_PREFIX) {
            Some(code) if code.len() == 4 => {
                let status = TransactionStatus::from_code(code.trim_start_matches('0'));
                match trigger_card(&status) {
                    Some(card) if card == number => Some(status),
                    _ => return CardCheck::Wrong(TransactionStatus::InvalidCard),
                }
            }
            _ => return CardCheck::Wrong(TransactionStatus::InvalidCard),
        }
    };
    if normalize_name(holder) != normalize_name(TEST_CARD_HOLDER) {
        return CardCheck::Wrong(TransactionStatus::WrongHolderName);
    }
    match status {
        None => CardCheck::Accepted(Debit::Success),
        Some(TransactionStatus::BankResultUnknown) => CardCheck::Accepted(Debit::Unknown),
        Some(status) if stage_of(&status) == Stage::Card => CardCheck::Refused(status),
        Some(status) => CardCheck::Accepted(Debit::Fail(status)),
    }
}

/// Card numbers are often typed in groups: spaces and dashes are ignored.
fn normalize_number(number: &str) -> String {
    number.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

fn normalize_name(name: &str) -> String {
    unaccent(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// An issue date as printed on Vietnamese ATM cards: `MM/YY` (or `MM/YYYY`).
pub(crate) fn valid_issue_date(date: &str) -> bool {
    let Some((month, year)) = date.trim().split_once('/') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(month)
        && digits(year)
        && month.len() == 2
        && (year.len() == 2 || year.len() == 4)
        && matches!(month.parse::<u8>(), Ok(1..=12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_card_and_holder_spellings() {
        for holder in [
            "Nguyen Van A",
            "Nguyễn Văn A",
            "  nguyen  van a ",
            "NGUYEN VAN A",
        ] {
            assert_eq!(
                check_card(holder, "0000 0000 0000 0000"),
                CardCheck::Accepted(Debit::Success),
                "{holder}"
            );
        }
        assert_eq!(
            check_card("Tran Thi B", TEST_CARD_NUMBER),
            CardCheck::Wrong(TransactionStatus::WrongHolderName)
        );
        assert_eq!(
            check_card(TEST_CARD_HOLDER, "4111111111111111"),
            CardCheck::Wrong(TransactionStatus::InvalidCard)
        );
        // A prefix with a code that is not a trigger is an unknown card.
        assert_eq!(
            check_card(TEST_CARD_HOLDER, "0000000000000001"),
            CardCheck::Wrong(TransactionStatus::InvalidCard)
        );
        assert_eq!(
            check_card(TEST_CARD_HOLDER, "0000000000000011"),
            CardCheck::Wrong(TransactionStatus::InvalidCard)
        );
    }

    #[test]
    fn every_final_four_digit_failure_has_a_trigger() {
        let triggers = triggers();
        for status in TransactionStatus::KNOWN {
            let code = status.code();
            let four = code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit());
            let expected =
                (status.is_failure() && four) || *status == TransactionStatus::BankResultUnknown;
            assert_eq!(
                triggers.iter().any(|t| &t.status == status),
                expected,
                "{status}"
            );
        }
        for t in &triggers {
            let check = check_card(TEST_CARD_HOLDER, &t.card_number);
            match (t.stage, check) {
                (Stage::Card, CardCheck::Refused(s)) => assert_eq!(s, t.status),
                (Stage::Debit, CardCheck::Accepted(Debit::Fail(s))) => assert_eq!(s, t.status),
                (Stage::Debit, CardCheck::Accepted(Debit::Unknown)) => {
                    assert_eq!(t.status, TransactionStatus::BankResultUnknown);
                }
                other => panic!("{t:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn issue_dates() {
        for ok in ["01/15", "12/2030", " 07/19 "] {
            assert!(valid_issue_date(ok), "{ok}");
        }
        for bad in ["", "1/15", "13/15", "00/15", "01-15", "ab/cd", "01/"] {
            assert!(!valid_issue_date(bad), "{bad}");
        }
    }
}
