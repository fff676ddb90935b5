//! The cases, and how each is run and judged.

use std::time::{Duration, SystemTime};

use pay123_core::{NotifyReturnCode, TransactionStatus};
use pay123_hyper::HyperClient;
use pay123_sandbox::Transaction;
use pay123_sandbox::cards::{TEST_CARD_HOLDER, TEST_CARD_NUMBER, TEST_OTP};

use super::judge::{self, time};
use super::probe::{self, Kind};
use super::report::{CaseReport, Check, OrderView, Report, Verdict};
use super::{Guide, Input, Question, SKIPPED, Session, Step};

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

/// The state of a run.
struct Run<'s, G> {
    session: &'s Session,
    guide: &'s mut G,
    http: HyperClient,
    /// Transactions already claimed by a case.
    seen: std::collections::HashSet<String>,
    /// NS01's transaction, once paid.
    paid: Option<String>,
    /// PENDING's transaction, once its late result was notified.
    late: Option<String>,
    /// The probes' case, whose rows the probes fill.
    probes: Option<[CaseReport; 3]>,
    /// Transactions that ended in a failure, and their case.
    failed: Vec<(&'static str, String)>,
}

pub(super) async fn run<G: Guide + Send>(session: &Session, guide: &mut G) -> Report {
    let credentials = &session.credentials;
    let mut run = Run {
        session,
        guide,
        http: probe::client(),
        seen: std::collections::HashSet::new(),
        paid: None,
        late: None,
        probes: None,
        failed: Vec::new(),
    };
    let mut configuration = vec![run.reachability().await];
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for def in CASES {
        let mut case = CaseReport::new(def);
        let wanted = wanted(&session.settings.only, def.id);
        if !wanted {
            case.not_run_reason = Some("not asked for (--case)".to_owned());
            case.conclude();
            skipped.push(case);
            continue;
        }
        run.guide.progress(&format!("{}: {}", def.id, def.scenario));
        match def.plan {
            Plan::Pay => run.pay(&mut case).await,
            Plan::FromPayment => run.duplicate(&mut case).await,
            Plan::Genuine => run.genuine(&mut case),
            Plan::Fails {
                inputs,
                after,
                statuses,
            } => run.fails(&mut case, inputs, after, statuses).await,
            Plan::LostNotify => run.lost_notify(&mut case).await,
            Plan::Probes => {
                run.probes(&mut case).await;
            }
            Plan::FromProbes => match run.probes.as_mut() {
                Some(rows) => {
                    let row = rows
                        .iter_mut()
                        .find(|r| r.id == def.id)
                        .expect("the probes fill a row for each of their cases");
                    case = row.clone();
                }
                None => {
                    case.not_run_reason = Some(
                        "runs with NOTIFY-FORGED's payment, which was not run or did not start"
                            .to_owned(),
                    );
                }
            },
            Plan::Pending => run.pending(&mut case).await,
            Plan::Amount => run.amount(&mut case).await,
            Plan::NeverPaid => run.never_paid(&mut case).await,
        }
        case.conclude();
        run.guide.progress(&format!(
            "{}: {} {}",
            def.id,
            case.verdict.label(),
            case.why()
        ));
        cases.push(case);
    }
    // The cases not asked for, after those that ran.
    cases.extend(skipped);
    let transactions: Vec<Transaction> = session.sandbox.transactions();
    configuration.push(gateway_check(&transactions, session));
    configuration.push(return_urls(&transactions));
    configuration.push(clock(&transactions, credentials.secret_key()));
    let mut report = Report {
        tool: format!("pay123 qc {}", env!("CARGO_PKG_VERSION")),
        guided_by: run.guide.describe(),
        started_at: session.started_at,
        finished_at: SystemTime::now(),
        merchant_code: credentials.merchant_code().to_owned(),
        gateway_url: session.gateway_url(),
        notify_url: session.settings.notify_url.clone(),
        order_url: session.settings.order_url.clone(),
        configuration,
        summary: Default::default(),
        cases,
    };
    report.summarize();
    report.hide_checksums();
    report
}

impl<G: Guide + Send> Run<'_, G> {
    fn settings(&self) -> &super::Settings {
        &self.session.settings
    }

    fn merchant(&self) -> &str {
        self.session.credentials.merchant_code()
    }

    /// A forged notify about an order that does not exist: the listener is there, answers
    /// 123PAY's JSON, and signs with the merchant's key.
    async fn reachability(&mut self) -> Check {
        let what = "the notify URL answers 123PAY (reached from the sandbox, the reply's JSON, \
                    signed with the merchant's key)";
        let id = format!("PAY123QC-PROBE-{}", std::process::id());
        let p = probe::notify(
            &self.http,
            &self.settings().notify_url,
            self.session.credentials.secret_key(),
            Kind::Reachability,
            &id,
            pay123_core::BankCode::Vietcombank,
            TransactionStatus::Cancelled,
        )
        .await;
        let line = format!(
            "{} (a notify with a wrong checksum for {id})",
            judge::probe_line(&p)
        );
        if p.http_status.is_none() {
            Check::fail(
                what,
                format!("the shop's notify URL did not answer: {line}"),
            )
        } else if !p.verified {
            Check::fail(
                what,
                format!(
                    "{line}: if the reply is 123PAY's JSON, its checksum was not made with the \
                     secret key given to pay123 qc (PAY123_SECRET_KEY): the shop and the check \
                     use different keys"
                ),
            )
        } else {
            Check::pass(what, line)
        }
    }

    /// Asks the guide to start a checkout and waits for the sandbox to see its createOrder.
    async fn checkout(&mut self, case: &mut CaseReport) -> Option<Transaction> {
        // Counted before the guide acts: the shop's createOrder may be refused, or made, while
        // it does. An order older than the step is another step's (a double submit).
        let refused_before = self.session.sandbox.refusals().len();
        let started = SystemTime::now();
        if let Err(e) = self.guide.act(&Step::Checkout { case: case.id }).await {
            self.not_done(case, "the checkout", e);
            return None;
        }
        self.guide
            .progress("  waiting for the shop's createOrder to reach the sandbox...");
        let deadline = tokio::time::Instant::now() + self.settings().step_timeout;
        loop {
            let refused = self.session.sandbox.refusals();
            // Anyone may send the sandbox a bad request, naming any merchant: only a refusal
            // of a sender that holds the merchant's passcode (a checksum made with another key)
            // is surely the shop's. Others are listed if no order comes.
            let merchant = self.merchant();
            if let Some(r) = refused.get(refused_before..).and_then(|new| {
                new.iter().find(|r| {
                    r.method == "createOrder"
                        && r.merchant_code.as_deref() == Some(merchant)
                        && r.explanation.is_some()
                })
            }) {
                case.checks.push(Check::fail(
                    "the checkout reaches 123PAY",
                    format!(
                        "the sandbox refused the shop's createOrder: {} {} ({})",
                        r.code, r.description, r.detail
                    ),
                ));
                return None;
            }
            let fresh = self.session.sandbox.transactions().into_iter().find(|t| {
                t.merchant_code == self.merchant()
                    && t.created_at >= started
                    && !self.seen.contains(&t.transaction_id)
            });
            if let Some(t) = fresh {
                self.guide.progress(&format!(
                    "  order {} recognised (123PAY {})",
                    t.m_transaction_id, t.transaction_id
                ));
                self.seen.insert(t.transaction_id.clone());
                let _ = self.session.sandbox.annotate_of(
                    Some(self.merchant()),
                    &t.m_transaction_id,
                    format!("pay123 qc: case {}", case.id),
                );
                return Some(t);
            }
            if tokio::time::Instant::now() >= deadline {
                case.checks.push(Check::fail(
                    "the checkout reaches 123PAY",
                    format!(
                        "no createOrder of merchant {} reached the sandbox in {}: is the shop's \
                         gateway URL {} and its merchant code {}? (the sandbox's refused \
                         requests: {})",
                        self.merchant(),
                        humantime::format_duration(self.settings().step_timeout),
                        self.session.gateway_url(),
                        self.merchant(),
                        self.refusals()
                    ),
                ));
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn refusals(&self) -> String {
        let refusals = self.session.sandbox.refusals();
        if refusals.is_empty() {
            return "none".to_owned();
        }
        refusals
            .iter()
            .rev()
            .take(3)
            .map(|r| format!("{} {}: {}", r.method, r.code, r.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A step the guide could not do: skipped (not run) or failed.
    fn not_done(&mut self, case: &mut CaseReport, what: &str, error: String) {
        if error.starts_with(SKIPPED) {
            case.not_run_reason = Some(format!("{what}: {error}"));
        } else {
            case.checks
                .push(Check::fail(format!("{what} can be done"), error));
        }
    }

    /// Asks the guide for `step` of the case of `t`; when it is not done, the case's evidence
    /// gets the transaction as it is, and the case ends.
    async fn act(&mut self, case: &mut CaseReport, t: &Transaction, step: Step<'_>) -> bool {
        match self.guide.act(&step).await {
            Ok(()) => true,
            Err(e) => {
                let what = step.instruction();
                self.not_done(case, &what, e);
                case.transactions.push(self.current(t));
                false
            }
        }
    }

    /// Waits until `done` holds for the transaction, or the step's time is up.
    async fn wait(
        &self,
        t: &Transaction,
        done: impl Fn(&Transaction) -> bool,
    ) -> Option<Transaction> {
        self.wait_for(t, self.settings().step_timeout, done).await
    }

    async fn wait_for(
        &self,
        t: &Transaction,
        timeout: Duration,
        done: impl Fn(&Transaction) -> bool,
    ) -> Option<Transaction> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let now = self
                .session
                .sandbox
                .transaction_of(Some(self.merchant()), &t.m_transaction_id)?;
            if done(&now) {
                return Some(now);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The transaction now.
    fn current(&self, t: &Transaction) -> Transaction {
        self.session
            .sandbox
            .transaction_of(Some(self.merchant()), &t.m_transaction_id)
            .unwrap_or_else(|| t.clone())
    }

    /// Waits for the transaction to end and its notify delivery to be over.
    async fn settled(&self, case: &mut CaseReport, t: &Transaction) -> Option<Transaction> {
        let settled = self
            .wait(t, |t| {
                t.is_final && !t.notify_in_progress && !t.notify_attempts.is_empty()
            })
            .await;
        if settled.is_none() {
            let now = self.current(t);
            case.checks.push(Check::fail(
                "the payment ends and its notify is delivered",
                format!(
                    "after {}: status {} ({}), notify {}",
                    humantime::format_duration(self.settings().step_timeout),
                    now.status.code(),
                    now.status_english,
                    if now.notify_in_progress {
                        "still being retried"
                    } else {
                        "not sent"
                    }
                ),
            ));
            case.transactions.push(now);
        }
        settled
    }

    /// The shop's state of the order: read from the order URL until it shows `shown` (or
    /// `patience` is over); without an order URL, the guide is asked.
    async fn order_is(
        &mut self,
        case: &mut CaseReport,
        id: &str,
        shown: Shown,
        patience: Duration,
    ) {
        let what = shown.what();
        let question = shown.question(id);
        let Some(pattern) = self.settings().order_url.clone() else {
            let answer = self.guide.confirm(&question).await;
            let who = self.guide.describe();
            case.checks.push(match answer {
                Some(true) => Check::pass(what, format!("{who} answered yes: {}", question.text())),
                Some(false) => Check::fail(what, format!("{who} answered no: {}", question.text())),
                None => Check::eye(
                    what,
                    format!(
                        "no order URL (--order-url), and {who} could not tell: {}",
                        question.text()
                    ),
                ),
            });
            return;
        };
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let view = probe::order_view(&self.http, &pattern, id).await;
            let holds = if view.error.is_none() {
                shown.holds(&view)
            } else {
                Some(false)
            };
            let ok = holds == Some(true);
            let done = ok || holds.is_none() || tokio::time::Instant::now() >= deadline;
            if done {
                let line = format!(
                    "{}: HTTP {}, paid {}, status {}{}",
                    time(view.at),
                    view.http_status
                        .map_or("none".to_owned(), |h| h.to_string()),
                    view.paid.map_or("?".to_owned(), |p| p.to_string()),
                    view.status.as_deref().unwrap_or("?"),
                    view.error
                        .as_ref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
                case.order_views.push(view);
                case.checks.push(match holds {
                    Some(_) => Check::of(what, ok, line),
                    None => Check::eye(
                        what,
                        format!(
                            "{line}: not paid; whether it is given up or pending, only a status \
                             of pending, paid or failed would tell"
                        ),
                    ),
                });
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The guide's answer about a page: pass, fail, or needs a person's eye.
    async fn page_shows(&mut self, case: &mut CaseReport, what: &str, question: Question<'_>) {
        let answer = self.guide.confirm(&question).await;
        let who = self.guide.describe();
        case.checks.push(match answer {
            Some(true) => Check::pass(what, format!("{who} answered yes: {}", question.text())),
            Some(false) => Check::fail(what, format!("{who} answered no: {}", question.text())),
            None => Check::eye(what, format!("{who} could not tell: {}", question.text())),
        });
    }

    fn status_check(case: &mut CaseReport, t: &Transaction, statuses: &[&str]) {
        case.checks.push(Check::of(
            format!("123PAY's status is {}", statuses.join(" or ")),
            statuses.contains(&t.status.code()),
            format!("status {} ({})", t.status.code(), t.status_english),
        ));
    }

    /// The buyer pays `t` with the test card; once the payment is over and its notify answered,
    /// its status (1) and the notify's acknowledgement are checked.
    async fn pay_with_test_card(
        &mut self,
        case: &mut CaseReport,
        t: &Transaction,
    ) -> Option<Transaction> {
        if !self
            .act(case, t, Step::Bank(&[TEST_CARD, Input::Otp(TEST_OTP)]))
            .await
        {
            return None;
        }
        let t = self.settled(case, t).await?;
        Self::status_check(case, &t, &["1"]);
        case.checks.push(judge::acknowledged(&t, 1));
        Some(t)
    }

    /// NS01.
    async fn pay(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        let Some(t) = self.pay_with_test_card(case, &t).await else {
            return;
        };
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Paid, self.settings().step_timeout)
            .await;
        if let Some(view) = case.order_views.last()
            && let Some(amount) = view
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                .and_then(|v| v.get("amount").and_then(serde_json::Value::as_u64))
        {
            case.checks.push(Check::of(
                "the order's amount is what 123PAY charged (opAmount)",
                amount == t.op_amount,
                format!("order {amount} VND, 123PAY charged {} VND", t.op_amount),
            ));
        }
        self.page_shows(
            case,
            "the buyer is told the order is paid",
            Question::ToldPaid { id: &id },
        )
        .await;
        if t.status.is_success() {
            self.paid = Some(id);
        }
        case.transactions.push(t);
    }

    /// NOTIFY-GENUINE and NOTIFY-DUPLICATE, with NS01's payment.
    /// NOTIFY-GENUINE: the notify of NS01's payment, which races the buyer's return (the
    /// return page may confirm it first: then `2`), and the notify of PENDING's late result,
    /// sent while the buyer is gone: no page of the shop but its listener can have asked
    /// 123PAY while it was answered.
    fn genuine(&mut self, case: &mut CaseReport) {
        let mut judged = false;
        for m_id in [self.paid.clone(), self.late.clone()].into_iter().flatten() {
            let Some(t) = self
                .session
                .sandbox
                .transaction_of(Some(self.merchant()), &m_id)
            else {
                continue;
            };
            case.checks.push(judge::acknowledged(&t, 1));
            case.checks.push(judge::confirmed_before_acknowledging(&t));
            case.transactions.push(t);
            judged = true;
        }
        if !judged {
            case.not_run_reason =
                Some("runs with NS01's and PENDING's payments, which did not end paid".into());
        }
    }

    /// NOTIFY-DUPLICATE.
    async fn duplicate(&mut self, case: &mut CaseReport) {
        let Some(m_id) = self.paid.clone() else {
            case.not_run_reason = Some("runs with NS01's payment, which did not end paid".into());
            return;
        };
        let t = self.current(
            &self
                .session
                .sandbox
                .transaction_of(Some(self.merchant()), &m_id)
                .expect("NS01's transaction stays in the sandbox"),
        );
        let before = t
            .notify_attempts
            .iter()
            .map(|a| a.delivery)
            .max()
            .unwrap_or(0);
        if let Err(e) = self
            .session
            .sandbox
            .resend_notify_of(Some(self.merchant()), &m_id)
        {
            case.checks
                .push(Check::fail("the notify can be sent again", e.to_string()));
            return;
        }
        let Some(t) = self
            .wait(&t, |t| {
                !t.notify_in_progress && t.notify_attempts.iter().any(|a| a.delivery > before)
            })
            .await
        else {
            case.checks.push(Check::fail(
                "the second notify is answered",
                format!(
                    "no answer in {}",
                    humantime::format_duration(self.settings().step_timeout)
                ),
            ));
            return;
        };
        let delivery = before + 1;
        let first = judge::delivery(&t, delivery).into_iter().next().cloned();
        const WHAT: &str = "the duplicate is answered 2 (already handled)";
        case.checks.push(match &first {
            Some(a) if a.verified && a.return_code == Some(NotifyReturnCode::AlreadyUpdated) => {
                Check::pass(WHAT, judge::attempt_line(a))
            }
            Some(a) if a.return_code == Some(NotifyReturnCode::Processed) => Check::fail(
                WHAT,
                format!(
                    "{}: answered 1, as if the order were paid again (a shop that fulfils on each \
                     1 ships twice)",
                    judge::attempt_line(a)
                ),
            ),
            Some(a) => Check::fail(WHAT, judge::attempt_line(a)),
            None => Check::fail(WHAT, "no attempt"),
        });
        let m_id = t.m_transaction_id.clone();
        self.order_is(case, &m_id, Shown::Paid, Duration::ZERO)
            .await;
        case.transactions.push(t);
    }

    /// NOTIFY-FORGED, NOTIFY-STALE and NOTIFY-UNCONFIRMED, on one pending payment.
    async fn probes(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        let def = |id: &str| {
            CASES
                .iter()
                .find(|c| c.id == id)
                .expect("the probes' cases are in the table")
        };
        let mut stale = CaseReport::new(def("NOTIFY-STALE"));
        let mut unconfirmed = CaseReport::new(def("NOTIFY-UNCONFIRMED"));
        let key = self.session.credentials.secret_key().clone();
        let url = self.settings().notify_url.clone();
        let id = t.m_transaction_id.clone();
        let bank = t.bank_code.clone();
        let bank = if bank.code() == "123PAY" {
            pay123_core::BankCode::Vietcombank
        } else {
            bank
        };
        let http = self.http.clone();
        let send = |kind| {
            probe::notify(
                &http,
                &url,
                &key,
                kind,
                &id,
                bank.clone(),
                TransactionStatus::Success,
            )
        };
        // Each probe, then the order read: none of them may change it.
        for (row, kind, expected) in [
            (&mut *case, Kind::Forged, &["-1"][..]),
            (&mut stale, Kind::Stale, &["-1", "-2"][..]),
        ] {
            let p = send(kind).await;
            let what = format!("answered {}", expected.join(" or "));
            row.checks.push(if judge::acknowledges(&p) {
                Check::fail(
                    what,
                    format!(
                        "{}: the shop acknowledged a notify 123PAY never sent",
                        judge::probe_line(&p)
                    ),
                )
            } else if p.verified && expected.contains(&p.return_code.as_deref().unwrap_or("")) {
                Check::pass(what, judge::probe_line(&p))
            } else if p.verified {
                Check::eye(
                    what,
                    format!(
                        "{}: refused, but not as a notify that does not verify ({}): does the \
                         listener check it?",
                        judge::probe_line(&p),
                        expected.join(" or ")
                    ),
                )
            } else {
                Check::fail(what, judge::probe_line(&p))
            });
            // A listener that checks the checksum and the ts first never asks 123PAY about a
            // notify that fails them.
            let now = self.current(&t);
            row.checks.push(match judge::queried_between(&now, p.at, p.ended_at) {
                None => Check::pass(
                    "refused before anything else: no queryOrder while answering",
                    judge::probe_line(&p),
                ),
                Some(q) => Check::fail(
                    "refused before anything else: no queryOrder while answering",
                    format!(
                        "the shop asked queryOrder at {} about a notify that does not verify: it \
                         acts on a notify before checking its checksum and ts",
                        time(q.at)
                    ),
                ),
            });
            row.probes.push(p);
            self.order_is(row, &id, Shown::NotPaid, Duration::ZERO)
                .await;
        }
        // The unconfirmed notify: the shop must ask 123PAY, hear "pending", and not acknowledge.
        let unconfirmed_probe = send(Kind::Unconfirmed).await;
        let now = self.current(&t);
        let what = "not acknowledged (123PAY says the payment is pending)";
        unconfirmed
            .checks
            .push(if judge::acknowledges(&unconfirmed_probe) {
                Check::fail(
                    what,
                    format!(
                        "{}: the shop acknowledged a payment 123PAY does not confirm (status {})",
                        judge::probe_line(&unconfirmed_probe),
                        now.status.code()
                    ),
                )
            } else if unconfirmed_probe.verified {
                Check::pass(what, judge::probe_line(&unconfirmed_probe))
            } else {
                Check::fail(what, judge::probe_line(&unconfirmed_probe))
            });
        unconfirmed.checks.push(
            match judge::queried_between(&now, unconfirmed_probe.at, unconfirmed_probe.ended_at) {
                Some(q) => Check::pass(
                    "the shop asked queryOrder before answering",
                    format!("queryOrder at {} ({})", time(q.at), q.event),
                ),
                None => Check::fail(
                    "the shop asked queryOrder before answering",
                    format!(
                        "no queryOrder about {id} between the notify ({}) and the reply ({})",
                        time(unconfirmed_probe.at),
                        time(unconfirmed_probe.ended_at)
                    ),
                ),
            },
        );
        unconfirmed.probes.push(unconfirmed_probe);
        self.order_is(&mut unconfirmed, &id, Shown::NotPaid, Duration::ZERO)
            .await;
        // The buyer ends the payment.
        if self.act(case, &t, Step::Bank(&[Input::Cancel])).await {
            let _ = self.settled(case, &t).await;
        }
        let t = self.current(&t);
        if t.is_final && !t.status.is_success() {
            self.failed.push((case.id, t.m_transaction_id.clone()));
        }
        // Once each (a cancel the guide could not do put it there already).
        case.transactions.clear();
        for row in [&mut *case, &mut stale, &mut unconfirmed] {
            row.transactions.push(t.clone());
        }
        stale.conclude();
        unconfirmed.conclude();
        let mut forged_row = case.clone();
        forged_row.conclude();
        self.probes = Some([forged_row, stale, unconfirmed]);
    }

    /// A failing case.
    async fn fails(
        &mut self,
        case: &mut CaseReport,
        inputs: &'static [Input],
        after: After,
        statuses: &'static [&'static str],
    ) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !inputs.is_empty() && !self.act(case, &t, Step::Bank(inputs)).await {
            return;
        }
        let mut returned = true;
        match after {
            After::Nothing => {}
            After::Leave => {
                if !self.act(case, &t, Step::Leave).await {
                    return;
                }
                returned = false;
                self.time_out(case, &t);
            }
            After::StayThenReload => {
                if !self.act(case, &t, Step::Stay).await {
                    return;
                }
                self.time_out(case, &t);
                if !self.act(case, &t, Step::Reload).await {
                    return;
                }
            }
        }
        let Some(t) = self.settled(case, &t).await else {
            return;
        };
        Self::status_check(case, &t, statuses);
        case.checks.push(judge::acknowledged(&t, 1));
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Failed, self.settings().step_timeout)
            .await;
        if returned {
            self.page_shows(
                case,
                "the buyer is told the payment failed, with a matching message",
                Question::ToldFailure {
                    id: &id,
                    status: &t.status,
                },
            )
            .await;
        }
        if !t.status.is_success() {
            self.failed.push((case.id, id));
        }
        case.transactions.push(t);
    }

    /// Ends the session on the bank pages now, as 123PAY's 15 minutes would.
    fn time_out(&mut self, case: &mut CaseReport, t: &Transaction) {
        let _ = self.session.sandbox.annotate_of(
            Some(self.merchant()),
            &t.m_transaction_id,
            "pay123 qc: the buyer left the bank page; its session is timed out now rather than \
             after 123PAY's 15 minutes",
        );
        if let Err(e) = self
            .session
            .sandbox
            .time_out_of(Some(self.merchant()), &t.m_transaction_id)
        {
            case.checks.push(Check::fail(
                "the bank page was still open when the buyer left",
                e.to_string(),
            ));
        }
    }

    /// ES14.
    async fn lost_notify(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !self.act(case, &t, Step::Bank(&[TEST_CARD])).await
            || !self.act(case, &t, Step::Leave).await
        {
            return;
        }
        let paid_at = SystemTime::now();
        self.session.sandbox.drop_next_notify();
        let forced = self.session.sandbox.force_status_of(
            Some(self.merchant()),
            &t.m_transaction_id,
            TransactionStatus::Success,
        );
        let _ = self.session.sandbox.annotate_of(
            Some(self.merchant()),
            &t.m_transaction_id,
            "pay123 qc: the bank paid it; its notify is lost and the buyer does not come back",
        );
        if let Err(e) = forced {
            case.checks
                .push(Check::fail("the bank pays the order", e.to_string()));
            case.transactions.push(self.current(&t));
            return;
        }
        // The drop is the next delivery's, whichever it is: this one's, unless another started
        // at the same moment.
        let lost = self
            .wait(&t, |t| !t.notify_attempts.is_empty())
            .await
            .is_some_and(|t| {
                t.notify_attempts[0].outcome == pay123_sandbox::AttemptOutcome::Dropped
            });
        if !lost {
            case.not_run_reason = Some(
                "the notify could not be lost (another delivery took the drop): run ES14 again"
                    .to_owned(),
            );
            case.transactions.push(self.current(&t));
            return;
        }
        let wait = self.settings().lost_notify_wait;
        let found = self
            .wait_for(&t, wait, |t| {
                judge::queries(t).any(|q| q.at >= paid_at && q.status.is_success())
            })
            .await;
        let t = self.current(&t);
        case.checks.push(match &found {
            Some(found) => {
                let q = judge::queries(found)
                    .find(|q| q.at >= paid_at && q.status.is_success())
                    .expect("the wait found it");
                Check::pass(
                    "the shop asks queryOrder after the lost notify",
                    format!(
                        "queryOrder at {}, {} after the payment ({})",
                        time(q.at),
                        humantime::format_duration(Duration::from_millis(
                            q.at.duration_since(paid_at).unwrap_or_default().as_millis() as u64
                        )),
                        q.event
                    ),
                )
            }
            None => Check::fail(
                "the shop asks queryOrder after the lost notify",
                format!(
                    "no queryOrder about {} in the {} after the payment: a payment whose notify \
                     is lost is never found (run a reconciler)",
                    t.m_transaction_id,
                    humantime::format_duration(wait)
                ),
            ),
        });
        let id = t.m_transaction_id.clone();
        let patience = if found.is_some() {
            self.settings().step_timeout
        } else {
            Duration::ZERO
        };
        self.order_is(case, &id, Shown::Paid, patience).await;
        case.transactions.push(t);
    }

    /// PENDING.
    async fn pending(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if !self
            .act(
                case,
                &t,
                Step::Bank(&[card("0000000000000020"), Input::Otp(TEST_OTP)]),
            )
            .await
        {
            return;
        }
        let looked = self
            .wait(&t, |t| {
                judge::queries(t).any(|q| q.status.is_pending() && q.status.code() == "20")
            })
            .await;
        let now = self.current(&t);
        case.checks.push(Check::of(
            "123PAY's status is 20 (the bank's result unknown)",
            now.status.code() == "20",
            format!("status {} ({})", now.status.code(), now.status_english),
        ));
        case.checks.push(match &looked {
            Some(l) => {
                let q = judge::queries(l)
                    .find(|q| q.status.code() == "20")
                    .expect("the wait found it");
                Check::pass(
                    "the shop asked 123PAY about the payment",
                    format!("queryOrder at {} ({})", time(q.at), q.event),
                )
            }
            None => Check::eye(
                "the shop asked 123PAY about the payment",
                "no queryOrder reported status 20 to the shop: look at what it shows",
            ),
        });
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::Pending, Duration::ZERO)
            .await;
        self.page_shows(
            case,
            "the buyer is told the payment is being processed",
            Question::ToldPending { id: &id },
        )
        .await;
        // The bank's result arrives.
        if let Err(e) = self.session.sandbox.force_status_of(
            Some(self.merchant()),
            &id,
            TransactionStatus::Success,
        ) {
            case.checks
                .push(Check::fail("the bank's result arrives", e.to_string()));
            case.transactions.push(now);
            return;
        }
        let _ = self.session.sandbox.annotate_of(
            Some(self.merchant()),
            &id,
            "pay123 qc: the bank's result: paid",
        );
        let Some(t) = self.settled(case, &t).await else {
            return;
        };
        case.checks.push(judge::acknowledged(&t, 1));
        self.order_is(case, &id, Shown::Paid, self.settings().step_timeout)
            .await;
        if t.status.is_success() {
            self.late = Some(id);
        }
        case.transactions.push(t);
    }

    /// AMOUNT.
    async fn amount(&mut self, case: &mut CaseReport) {
        let Some(t) = self.checkout(case).await else {
            return;
        };
        if let Err(e) = self.session.sandbox.report_total_amount_of(
            Some(self.merchant()),
            &t.m_transaction_id,
            Some(1),
        ) {
            case.checks
                .push(Check::fail("123PAY reports 1 VND", e.to_string()));
            return;
        }
        let _ = self.session.sandbox.annotate_of(
            Some(self.merchant()),
            &t.m_transaction_id,
            "pay123 qc: queryOrder reports 1 VND for this order from now on",
        );
        let Some(t) = self.pay_with_test_card(case, &t).await else {
            return;
        };
        let id = t.m_transaction_id.clone();
        self.order_is(case, &id, Shown::NotPaid, Duration::ZERO)
            .await;
        case.transactions.push(t);
    }

    /// FAILED-NEVER-PAID.
    async fn never_paid(&mut self, case: &mut CaseReport) {
        if self.failed.is_empty() {
            case.not_run_reason = Some("no failed payment in the session".to_owned());
            return;
        }
        let Some(pattern) = self.settings().order_url.clone() else {
            case.not_run_reason =
                Some("needs the order URL (--order-url) to read the orders again".to_owned());
            return;
        };
        let mut paid = Vec::new();
        let mut unreadable = Vec::new();
        for (from, id) in self.failed.clone() {
            let view = probe::order_view(&self.http, &pattern, &id).await;
            match view.paid {
                Some(true) => paid.push(format!("{id} ({from})")),
                Some(false) => {}
                None => unreadable.push(format!("{id} ({from})")),
            }
            case.order_views.push(view);
        }
        let count = self.failed.len();
        case.checks.push(if !paid.is_empty() {
            Check::fail(
                "no failed payment is shown paid",
                format!("shown paid: {}", paid.join(", ")),
            )
        } else if !unreadable.is_empty() {
            Check::fail(
                "no failed payment is shown paid",
                format!(
                    "the order view could not be read for {}",
                    unreadable.join(", ")
                ),
            )
        } else {
            Check::pass(
                "no failed payment is shown paid",
                format!("{count} failed payments, none paid"),
            )
        });
    }
}

/// The shop sent its createOrder to the sandbox, as its merchant.
fn gateway_check(transactions: &[Transaction], session: &Session) -> Check {
    let what = "the shop sends createOrder to the gateway URL";
    match transactions.len() {
        0 => Check::new(
            what,
            Verdict::NeedsAPersonsEye,
            format!(
                "no createOrder reached {} in the session",
                session.gateway_url()
            ),
        ),
        n => Check::pass(
            what,
            format!("{n} orders created at {}", session.gateway_url()),
        ),
    }
}

/// Where the buyers were sent back, as the sandbox's history says.
fn return_urls(transactions: &[Transaction]) -> Check {
    let what = "the return URLs (where 123PAY sends the buyer back)";
    let mut urls: Vec<String> = transactions
        .iter()
        .flat_map(|t| &t.history)
        .filter_map(|e| e.event.strip_prefix("buyer sent back to the merchant: "))
        .filter_map(|rest| rest.rsplit_once(" (status").map(|(url, _)| url.to_owned()))
        .collect();
    urls.sort();
    urls.dedup();
    if urls.is_empty() {
        return Check::eye(what, "no buyer came back to the shop in the session");
    }
    let plain: Vec<&String> = urls.iter().filter(|u| !u.starts_with("https://")).collect();
    let detail = urls.join(", ");
    if plain.is_empty() {
        Check::pass(what, detail)
    } else {
        Check::pass(
            what,
            format!("{detail} (use https:// URLs of the public site in production)"),
        )
    }
}

/// The shop's clock, from the `ts` of its replies, against this machine's: information, as the
/// shop and the check usually share a machine here. In production the shop checks the `ts` of
/// 123PAY's notifies within 5 minutes, so its clock must be synchronised (NTP).
fn clock(transactions: &[Transaction], key: &pay123_core::SecretKey) -> Check {
    let what = "the shop's clock (the ts of its replies against the sandbox's clock)";
    match judge::clock_skew(transactions, key) {
        None => Check::eye(what, "no signed reply with a ts in the session"),
        Some(skew) if skew.abs() <= 60_000 => {
            Check::pass(what, format!("within {} ms", skew.abs()))
        }
        Some(skew) => Check::eye(
            what,
            format!(
                "{} s {}: synchronise the shop's clock (NTP); it checks 123PAY's ts within 5 \
                 minutes",
                skew.abs() / 1000,
                if skew > 0 { "ahead" } else { "behind" }
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_asked_for_alone_runs_with_those_it_needs() {
        let only = ["notify-genuine".to_owned()];
        let run: Vec<&str> = CASES
            .iter()
            .map(|c| c.id)
            .filter(|id| wanted(&only, id))
            .collect();
        assert_eq!(run, ["NS01", "PENDING", "NOTIFY-GENUINE"]);
        let only = ["ES03".to_owned()];
        let run: Vec<&str> = CASES
            .iter()
            .map(|c| c.id)
            .filter(|id| wanted(&only, id))
            .collect();
        assert_eq!(run, ["ES03"]);
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
