//! The cases, and how each is run and judged.

mod notify;
mod payment;
mod run;

use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_OTP};

use super::report::OrderView;
use super::{Input, Question};

/// Where a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// 123PAY's merchant QC sheet.
    Qc123Pay,
    /// pay123's own check of the notify listener.
    Pay123,
}

impl CaseDef {
    /// The same case, of pay123's own rather than 123PAY's sheet.
    const fn own(self) -> Self {
        Self {
            origin: Origin::Pay123,
            ..self
        }
    }
}

impl Origin {
    /// As the report writes it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Qc123Pay => "123PAY QC",
            Self::Pay123 => "pay123",
        }
    }
}

/// How a case is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// NS01: a payment with the test card (NOTIFY-GENUINE and NOTIFY-DUPLICATE use it).
    Pay,
    /// NOTIFY-DUPLICATE, judged with NS01's transaction.
    FromPayment,
    /// NOTIFY-GENUINE, judged with NS01's and PENDING's transactions.
    Genuine,
    /// A payment that ends in one of `statuses` after `inputs`, then `after`.
    Fails {
        inputs: &'static [Input],
        after: After,
        statuses: &'static [&'static str],
    },
    /// ES14: paid at the bank, the buyer never returns and the notify is lost.
    LostNotify,
    /// Forged, stale and unconfirmed notifies about a pending payment.
    Probes,
    /// Judged with the probes' transaction.
    FromProbes,
    /// A payment whose queryOrder reports 1 VND.
    Amount,
    /// A payment the bank leaves at `20` (unknown), then paid.
    Pending,
    /// Every failed payment of the session, read again at the end.
    NeverPaid,
}

/// What happens after the bank inputs of a failing case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Nothing: the inputs ended the payment.
    Nothing,
    /// The buyer closes the page; the check times the session out.
    Leave,
    /// The buyer leaves the page open; the check times the session out; the buyer reloads.
    StayThenReload,
}

/// One case of the check.
#[derive(Debug, Clone, Copy)]
pub struct CaseDef {
    /// Its id.
    pub id: &'static str,
    /// Where it comes from.
    pub origin: Origin,
    /// The scenario.
    pub scenario: &'static str,
    /// What 123PAY expects.
    pub expected: &'static str,
    plan: Plan,
}

const fn card(number: &'static str) -> Input {
    Input::Card {
        holder: TEST_CARD_HOLDER,
        number,
    }
}

const TEST_CARD: Input = card(TEST_CARD_NUMBER);
const WRONG_HOLDER: Input = Input::Card {
    holder: "Tran Thi B",
    number: TEST_CARD_NUMBER,
};
const WRONG_OTP: Input = Input::Otp("11111111");

/// A case of 123PAY's sheet.
const fn qc(
    id: &'static str,
    scenario: &'static str,
    expected: &'static str,
    plan: Plan,
) -> CaseDef {
    CaseDef {
        id,
        origin: Origin::Qc123Pay,
        scenario,
        expected,
        plan,
    }
}

const fn fails(inputs: &'static [Input], after: After, statuses: &'static [&'static str]) -> Plan {
    Plan::Fails {
        inputs,
        after,
        statuses,
    }
}

/// Every case, in the order they run: 123PAY's sheet (NS01, ES01–ES17; the sheet has no ES13)
/// and pay123's checks of the notify listener.
pub const CASES: &[CaseDef] = &[
    qc(
        "NS01",
        "Pay successfully with the test card",
        "status 1; the order paid once, for its amount; the buyer told it is paid",
        Plan::Pay,
    ),
    qc(
        "NOTIFY-DUPLICATE",
        "The same notify sent again",
        "answered 2; the order unchanged",
        Plan::FromPayment,
    )
    .own(),
    qc(
        "NOTIFY-FORGED",
        "A notify whose checksum was made with another key, saying a pending payment is paid",
        "answered -1; the order unchanged",
        Plan::Probes,
    )
    .own(),
    qc(
        "NOTIFY-STALE",
        "A genuine notify whose ts is 10 minutes old (a replay)",
        "answered -1 (or -2); the order unchanged",
        Plan::FromProbes,
    )
    .own(),
    qc(
        "NOTIFY-UNCONFIRMED",
        "A notify signed with the merchant's key saying paid, while 123PAY says pending",
        "not acknowledged (-3); queryOrder asked; the order not paid",
        Plan::FromProbes,
    )
    .own(),
    qc(
        "PENDING",
        "The bank's result is unknown (status 20), then paid",
        "the order shown pending, not failed; then paid",
        Plan::Pending,
    )
    .own(),
    qc(
        "NOTIFY-GENUINE",
        "123PAY's notifies of NS01's payment and of PENDING's late result (the buyer gone)",
        "answered 1 only after a queryOrder made while answering confirmed it (or 2, confirmed \
         before)",
        Plan::Genuine,
    )
    .own(),
    qc(
        "AMOUNT",
        "Paid, while 123PAY's queryOrder reports another amount (1 VND) than the order's",
        "the order not paid (held for a person to check); the notify answered",
        Plan::Amount,
    )
    .own(),
    qc(
        "ES01",
        "Press Cancel (\"Hủy\") on the payment page",
        "status -100; back at the shop, not paid, a matching message",
        fails(&[Input::Cancel], After::Nothing, &["-100"]),
    ),
    qc(
        "ES02",
        "Close the browser on the payment page",
        "timeout failure (7210); not paid",
        fails(&[], After::Leave, &["7210"]),
    ),
    qc(
        "ES03",
        "Insufficient balance",
        "status 7201; not paid, a matching message",
        fails(
            &[card("0000000000007201"), Input::Otp(TEST_OTP)],
            After::Nothing,
            &["7201"],
        ),
    ),
    qc(
        "ES04",
        "Invalid card information",
        "7231, 7232 or 7200; not paid, a matching message",
        fails(
            &[card("0000000000007232")],
            After::Nothing,
            &["7231", "7232", "7200"],
        ),
    ),
    qc(
        "ES05",
        "Empty card information, press \"Thanh toán\"",
        "stays on the page with a message; then a timeout failure (7210); not paid",
        fails(&[Input::EmptyCard], After::Leave, &["7210"]),
    ),
    qc(
        "ES06",
        "Invalid card information 3 times",
        "status 7221; not paid, a matching message",
        fails(
            &[WRONG_HOLDER, WRONG_HOLDER, WRONG_HOLDER],
            After::Nothing,
            &["7221"],
        ),
    ),
    qc(
        "ES07",
        "Card page left open more than 15 minutes",
        "timeout failure (7210); not paid, a matching message",
        fails(&[], After::StayThenReload, &["7210"]),
    ),
    qc(
        "ES08",
        "Empty OTP, press \"Xác nhận\"",
        "status 7220; not paid, a matching message",
        fails(&[TEST_CARD, Input::EmptyOtp], After::Nothing, &["7220"]),
    ),
    qc(
        "ES09",
        "Wrong OTP",
        "status 7222; not paid, a matching message",
        fails(&[TEST_CARD, WRONG_OTP], After::StayThenReload, &["7222"]),
    ),
    qc(
        "ES10",
        "Wrong OTP 3 times",
        "status 7224; not paid, a matching message",
        fails(
            &[TEST_CARD, WRONG_OTP, WRONG_OTP, WRONG_OTP],
            After::Nothing,
            &["7224"],
        ),
    ),
    qc(
        "ES11",
        "OTP expired",
        "status 7223; not paid, a matching message",
        fails(
            &[card("0000000000007223"), Input::Otp(TEST_OTP)],
            After::Nothing,
            &["7223"],
        ),
    ),
    qc(
        "ES12",
        "Wrong verification code",
        "status 7222; not paid, a matching message",
        fails(
            &[card("0000000000007222"), Input::Otp(TEST_OTP)],
            After::Nothing,
            &["7222"],
        ),
    ),
    qc(
        "ES14",
        "Pays, then closes the browser before returning to the shop; the notify is lost",
        "status 1; the shop learns it with queryOrder and the order ends paid",
        Plan::LostNotify,
    ),
    qc(
        "ES15",
        "Account not registered for internet banking",
        "status 7211; not paid, a matching message",
        fails(&[card("0000000000007211")], After::Nothing, &["7211"]),
    ),
    qc(
        "ES16",
        "Expired account or card",
        "status 7233; not paid, a matching message",
        fails(&[card("0000000000007233")], After::Nothing, &["7233"]),
    ),
    qc(
        "ES17",
        "Internet banking registered but not activated",
        "7211 or 7212; not paid, a matching message",
        fails(
            &[card("0000000000007212")],
            After::Nothing,
            &["7211", "7212"],
        ),
    ),
    qc(
        "FAILED-NEVER-PAID",
        "Every failed payment of the session, read again at the end",
        "no failed payment shown as paid",
        Plan::NeverPaid,
    )
    .own(),
];

/// What the shop should show of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Paid.
    Paid,
    /// Not paid (whatever else).
    NotPaid,
    /// Not paid, and given up (`failed`, when the view has a status).
    Failed,
    /// Not paid, and not given up: still pending.
    Pending,
}

impl Shown {
    fn what(self) -> &'static str {
        match self {
            Self::Paid => "the shop shows the order paid",
            Self::NotPaid => "the shop shows the order not paid",
            Self::Failed => "the shop shows the order not paid (failed)",
            Self::Pending => "the shop shows the order pending (not failed, not paid)",
        }
    }

    /// Whether the view shows it: `None` when only a `status` could tell and the view has none
    /// the check understands (`pending`, `paid`, `failed`).
    fn holds(self, view: &OrderView) -> Option<bool> {
        let status = view
            .status
            .as_deref()
            .filter(|s| matches!(*s, "pending" | "paid" | "failed"));
        match self {
            Self::Paid => Some(view.paid == Some(true)),
            Self::NotPaid => Some(view.paid == Some(false)),
            Self::Failed if view.paid != Some(false) => Some(false),
            Self::Failed => status.map(|s| s == "failed"),
            Self::Pending if view.paid != Some(false) => Some(false),
            Self::Pending => status.map(|s| s == "pending"),
        }
    }

    fn question(self, id: &str) -> Question<'_> {
        match self {
            Self::Paid => Question::OrderPaid { id },
            Self::NotPaid | Self::Failed | Self::Pending => Question::OrderNotPaid { id },
        }
    }
}

/// The cases a case is judged with: run with it when it is asked for alone.
fn needs(id: &str) -> &'static [&'static str] {
    match id {
        "NOTIFY-DUPLICATE" => &["NS01"],
        "NOTIFY-STALE" | "NOTIFY-UNCONFIRMED" => &["NOTIFY-FORGED"],
        "NOTIFY-GENUINE" => &["NS01", "PENDING"],
        _ => &[],
    }
}

/// Whether case `id` runs: every case when `only` is empty, else those asked for and those they
/// need.
fn wanted(only: &[String], id: &str) -> bool {
    only.is_empty()
        || only.iter().any(|asked| {
            asked.eq_ignore_ascii_case(id) || needs(&asked.to_ascii_uppercase()).contains(&id)
        })
}

pub(in crate::qc) use run::run;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_asked_for_alone_runs_with_those_it_needs() {
        let run = |only: &str| -> Vec<&str> {
            let only = [only.to_owned()];
            CASES
                .iter()
                .map(|c| c.id)
                .filter(|id| wanted(&only, id))
                .collect()
        };
        assert_eq!(run("notify-genuine"), ["NS01", "PENDING", "NOTIFY-GENUINE"]);
        assert_eq!(run("ES03"), ["ES03"]);
        assert!(CASES.iter().all(|c| wanted(&[], c.id)));
        for c in CASES {
            for needed in needs(c.id) {
                let position = |id: &str| CASES.iter().position(|c| c.id == id);
                assert!(
                    position(needed) < position(c.id),
                    "{} runs after {needed}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn every_case_has_a_distinct_id_and_the_sheet_is_whole() {
        let ids: std::collections::HashSet<_> = CASES.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CASES.len());
        for id in [
            "NS01", "ES01", "ES02", "ES03", "ES04", "ES05", "ES06", "ES07", "ES08", "ES09", "ES10",
            "ES11", "ES12", "ES14", "ES15", "ES16", "ES17",
        ] {
            assert!(ids.contains(id), "{id}");
        }
        assert!(!ids.contains("ES13"));
        let own: Vec<&str> = CASES
            .iter()
            .filter(|c| c.origin == Origin::Pay123)
            .map(|c| c.id)
            .collect();
        assert_eq!(
            own,
            [
                "NOTIFY-DUPLICATE",
                "NOTIFY-FORGED",
                "NOTIFY-STALE",
                "NOTIFY-UNCONFIRMED",
                "PENDING",
                "NOTIFY-GENUINE",
                "AMOUNT",
                "FAILED-NEVER-PAID"
            ]
        );
    }
}
