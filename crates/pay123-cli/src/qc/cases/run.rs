//! A run of the check: the state it keeps, the loop over the cases, the steps every case
//! takes (a checkout, a payment to end, the shop's view of an order) and the configuration rows.

use std::time::{Duration, SystemTime};

use pay123_core::TransactionStatus;
use pay123_hyper::HyperClient;
use pay123_sandbox::{Transaction, TransactionRef};

use super::{CASES, Plan, Shown, wanted};
use crate::qc::judge::{self, time};
use crate::qc::probe::{self, Kind};
use crate::qc::report::{CaseReport, Check, Report};
use crate::qc::{Guide, Question, SKIPPED, Session, Settings, Step};

/// The state of a run.
pub(super) struct Run<'s, G> {
    pub(super) session: &'s Session,
    pub(super) guide: &'s mut G,
    pub(super) http: HyperClient,
    /// Transactions already claimed by a case.
    pub(super) seen: std::collections::HashSet<String>,
    /// NS01's transaction, once paid.
    pub(super) paid: Option<String>,
    /// PENDING's transaction, once its late result was notified.
    pub(super) late: Option<String>,
    /// The probes' case, whose rows the probes fill.
    pub(super) probes: Option<[CaseReport; 3]>,
    /// Transactions that ended in a failure, and their case.
    pub(super) failed: Vec<(&'static str, String)>,
}

pub(in crate::qc) async fn run<G: Guide + Send>(session: &Session, guide: &mut G) -> Report {
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
    pub(super) fn settings(&self) -> &Settings {
        &self.session.settings
    }

    pub(super) fn merchant(&self) -> &str {
        self.session.credentials.merchant_code()
    }

    /// The shop's transaction `m_transaction_id` in the sandbox.
    pub(super) fn which<'a>(&'a self, m_transaction_id: &'a str) -> TransactionRef<'a> {
        TransactionRef::of(self.merchant(), m_transaction_id)
    }

    /// A forged notify about an order that does not exist: the listener is there, answers
    /// 123PAY's JSON, and signs with the merchant's key.
    pub(super) async fn reachability(&mut self) -> Check {
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
    pub(super) async fn checkout(&mut self, case: &mut CaseReport) -> Option<Transaction> {
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
                let _ = self.session.sandbox.annotate(
                    self.which(&t.m_transaction_id),
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

    pub(super) fn refusals(&self) -> String {
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
    pub(super) fn not_done(&mut self, case: &mut CaseReport, what: &str, error: String) {
        if error.starts_with(SKIPPED) {
            case.not_run_reason = Some(format!("{what}: {error}"));
        } else {
            case.checks
                .push(Check::fail(format!("{what} can be done"), error));
        }
    }

    /// Asks the guide for `step` of the case of `t`; when it is not done, the case's evidence
    /// gets the transaction as it is, and the case ends.
    pub(super) async fn act(
        &mut self,
        case: &mut CaseReport,
        t: &Transaction,
        step: Step<'_>,
    ) -> bool {
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
    pub(super) async fn wait(
        &self,
        t: &Transaction,
        done: impl Fn(&Transaction) -> bool,
    ) -> Option<Transaction> {
        self.wait_for(t, self.settings().step_timeout, done).await
    }

    pub(super) async fn wait_for(
        &self,
        t: &Transaction,
        timeout: Duration,
        done: impl Fn(&Transaction) -> bool,
    ) -> Option<Transaction> {
        let which = self.which(&t.m_transaction_id);
        self.session.sandbox.wait_for(which, timeout, done).await
    }

    /// The transaction now.
    pub(super) fn current(&self, t: &Transaction) -> Transaction {
        self.session
            .sandbox
            .transaction(self.which(&t.m_transaction_id))
            .unwrap_or_else(|| t.clone())
    }

    /// Waits for the transaction to end and its notify delivery to be over.
    pub(super) async fn settled(
        &self,
        case: &mut CaseReport,
        t: &Transaction,
    ) -> Option<Transaction> {
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
    pub(super) async fn order_is(
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
    pub(super) async fn page_shows(
        &mut self,
        case: &mut CaseReport,
        what: &str,
        question: Question<'_>,
    ) {
        let answer = self.guide.confirm(&question).await;
        let who = self.guide.describe();
        case.checks.push(match answer {
            Some(true) => Check::pass(what, format!("{who} answered yes: {}", question.text())),
            Some(false) => Check::fail(what, format!("{who} answered no: {}", question.text())),
            None => Check::eye(what, format!("{who} could not tell: {}", question.text())),
        });
    }

    pub(super) fn status_check(case: &mut CaseReport, t: &Transaction, statuses: &[&str]) {
        case.checks.push(Check::of(
            format!("123PAY's status is {}", statuses.join(" or ")),
            statuses.contains(&t.status.code()),
            format!("status {} ({})", t.status.code(), t.status_english),
        ));
    }
}

/// The shop sent its createOrder to the sandbox, as its merchant.
fn gateway_check(transactions: &[Transaction], session: &Session) -> Check {
    let what = "the shop sends createOrder to the gateway URL";
    match transactions.len() {
        0 => Check::eye(
            what,
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

/// Where 123PAY sends the buyers back: the return URLs of the shop's createOrders (without
/// their query).
fn return_urls(transactions: &[Transaction]) -> Check {
    let what = "the return URLs (where 123PAY sends the buyer back)";
    let mut urls: Vec<String> = transactions
        .iter()
        .flat_map(|t| {
            let urls = &t.return_urls;
            let others = [&urls.cancel, &urls.error].into_iter().flatten();
            std::iter::once(&urls.redirect).chain(others)
        })
        .map(|url| url.split(['?', '#']).next().unwrap_or(url).to_owned())
        .collect();
    urls.sort();
    urls.dedup();
    if urls.is_empty() {
        return Check::eye(what, "the shop created no order in the session");
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
