//! The report: one row per case, with its checks and evidence, as JSON and as Markdown.

use std::fmt::Write as _;
use std::time::SystemTime;

use pay123_sandbox::Transaction;
use serde::Serialize;

/// The outcome of a case, or of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Everything checked is as 123PAY expects.
    Pass,
    /// Something is not: the check says what.
    Fail,
    /// Not run: not asked for, skipped by the tester, or what it needs failed before it.
    NotRun,
    /// What could be checked passed; the rest needs a person to look (the shop's page, or the
    /// shop's state without an order URL).
    NeedsAPersonsEye,
}

impl Verdict {
    /// The verdict as the Markdown report writes it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "FAIL",
            Self::NotRun => "not run",
            Self::NeedsAPersonsEye => "needs a person's eye",
        }
    }
}

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// Its outcome (never [`Verdict::NotRun`]).
    pub verdict: Verdict,
    /// What was seen.
    pub detail: String,
}

impl Check {
    pub(crate) fn new(
        what: impl Into<String>,
        verdict: Verdict,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            what: what.into(),
            verdict,
            detail: detail.into(),
        }
    }

    pub(crate) fn pass(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(what, Verdict::Pass, detail)
    }

    pub(crate) fn fail(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(what, Verdict::Fail, detail)
    }

    pub(crate) fn eye(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(what, Verdict::NeedsAPersonsEye, detail)
    }

    pub(crate) fn of(what: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
        Self::new(what, if ok { Verdict::Pass } else { Verdict::Fail }, detail)
    }
}

/// A notify (or another request) the check sent to the shop itself, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Probe {
    /// What it was: `forged` (a checksum made with another key), `stale` (`ts` 10 minutes
    /// old), `unconfirmed` (signed, says paid while 123PAY says pending), `reachability`.
    pub kind: &'static str,
    /// When it was sent.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// When the answer came (or the request failed).
    #[serde(serialize_with = "rfc3339")]
    pub ended_at: SystemTime,
    /// The URL.
    pub url: String,
    /// The form body sent.
    pub request_body: String,
    /// The HTTP status of the answer.
    pub http_status: Option<u16>,
    /// The answer's body, at most 2,000 characters.
    pub reply_body: Option<String>,
    /// The reply's `returnCode`, when the reply could be read.
    pub return_code: Option<String>,
    /// Whether the reply's checksum verified with the merchant's key.
    pub verified: bool,
    /// What went wrong (no answer, not the reply's JSON, a checksum that does not verify).
    pub error: Option<String>,
}

/// The shop's JSON view of an order, as read from the order URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OrderView {
    /// When it was read.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
    /// The URL read.
    pub url: String,
    /// The HTTP status.
    pub http_status: Option<u16>,
    /// `paid`, when the answer had it.
    pub paid: Option<bool>,
    /// `status`, when the answer had it.
    pub status: Option<String>,
    /// The body, at most 2,000 characters.
    pub body: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
}

/// One case of the report.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CaseReport {
    /// Its id (`NS01`, `ES03`, `NOTIFY-FORGED`...).
    pub id: &'static str,
    /// `123PAY QC` for the cases of 123PAY's sheet, `pay123` for pay123's own checks.
    pub origin: &'static str,
    /// The scenario.
    pub scenario: &'static str,
    /// What 123PAY expects.
    pub expected: &'static str,
    /// The outcome.
    pub verdict: Verdict,
    /// Why, when it was not run.
    pub not_run_reason: Option<String>,
    /// What was checked.
    pub checks: Vec<Check>,
    /// The transactions of the case, as the sandbox saw them (history, queryOrder calls,
    /// notify attempts and the shop's replies, with times).
    pub transactions: Vec<Transaction>,
    /// The requests the check sent to the shop itself.
    pub probes: Vec<Probe>,
    /// The shop's view of the order, each time it was read.
    pub order_views: Vec<OrderView>,
}

impl CaseReport {
    pub(crate) fn new(def: &super::CaseDef) -> Self {
        Self {
            id: def.id,
            origin: def.origin.label(),
            scenario: def.scenario,
            expected: def.expected,
            verdict: Verdict::NotRun,
            not_run_reason: None,
            checks: Vec::new(),
            transactions: Vec::new(),
            probes: Vec::new(),
            order_views: Vec::new(),
        }
    }

    /// The verdict its checks make: any failure fails it, then anything that needs a person's
    /// eye; no check at all is "not run".
    pub(crate) fn conclude(&mut self) {
        self.verdict = if self.not_run_reason.is_some() && self.checks.is_empty() {
            Verdict::NotRun
        } else if self.checks.iter().any(|c| c.verdict == Verdict::Fail) {
            Verdict::Fail
        } else if self.checks.is_empty() {
            self.not_run_reason
                .get_or_insert_with(|| "nothing could be checked".to_owned());
            Verdict::NotRun
        } else if self
            .checks
            .iter()
            .any(|c| c.verdict == Verdict::NeedsAPersonsEye)
        {
            Verdict::NeedsAPersonsEye
        } else {
            Verdict::Pass
        };
    }

    /// The first failed check's text, or the reason it was not run.
    #[must_use]
    pub fn why(&self) -> String {
        if let Some(reason) = &self.not_run_reason
            && self.verdict == Verdict::NotRun
        {
            return reason.clone();
        }
        let first = |v| self.checks.iter().find(|c| c.verdict == v);
        match self.verdict {
            Verdict::Fail => first(Verdict::Fail),
            Verdict::NeedsAPersonsEye => first(Verdict::NeedsAPersonsEye),
            _ => None,
        }
        .map(|c| format!("{}: {}", c.what, c.detail))
        .unwrap_or_default()
    }
}

/// How many cases ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Not run.
    pub not_run: usize,
    /// Need a person's eye.
    pub needs_a_persons_eye: usize,
}

/// The report of a session.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// `pay123 qc` and its version.
    pub tool: String,
    /// Who did the steps on the shop's pages and answered what they show.
    pub guided_by: String,
    /// When the session started.
    #[serde(serialize_with = "rfc3339")]
    pub started_at: SystemTime,
    /// When the report was made.
    #[serde(serialize_with = "rfc3339")]
    pub finished_at: SystemTime,
    /// The merchant code the shop used.
    pub merchant_code: String,
    /// The gateway URL the shop was pointed at (the sandbox of the session).
    pub gateway_url: String,
    /// The shop's notify URL.
    pub notify_url: String,
    /// The shop's order URL, when given.
    pub order_url: Option<String>,
    /// The shop's configuration, checked along the way: the notify URL reachable, the return
    /// URLs, the clock.
    pub configuration: Vec<Check>,
    /// The count of each verdict.
    pub summary: Summary,
    /// The cases, in the order they ran.
    pub cases: Vec<CaseReport>,
}

impl Report {
    /// The case with this id.
    #[must_use]
    pub fn case(&self, id: &str) -> Option<&CaseReport> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// Whether no case and no configuration check failed, and at least one case passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.summary.fail == 0
            && self.summary.pass > 0
            && self
                .configuration
                .iter()
                .all(|c| c.verdict != Verdict::Fail)
    }

    pub(crate) fn summarize(&mut self) {
        let mut summary = Summary::default();
        for case in &self.cases {
            match case.verdict {
                Verdict::Pass => summary.pass += 1,
                Verdict::Fail => summary.fail += 1,
                Verdict::NotRun => summary.not_run += 1,
                Verdict::NeedsAPersonsEye => summary.needs_a_persons_eye += 1,
            }
        }
        self.summary = summary;
    }

    /// The report as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data: it always serializes")
    }

    /// The report as Markdown: the summary table first (one row per case), then each case's
    /// checks and evidence.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let s = &self.summary;
        let _ = writeln!(md, "# 123PAY go-live self-check: {}\n", self.merchant_code);
        let _ = writeln!(
            md,
            "Made by `{}` from {} to {}, against the shop whose notify URL is `{}`{}. The shop was \
             pointed at a local 123PAY sandbox (`{}`) for the session; every transaction below \
             is one the shop created there. The steps on the shop's pages were done, and what \
             they show was answered, by {}.\n",
            self.tool,
            super::judge::time(self.started_at),
            super::judge::time(self.finished_at),
            self.notify_url,
            self.order_url
                .as_ref()
                .map(|u| format!(", order view `{u}`"))
                .unwrap_or_default(),
            self.gateway_url,
            self.guided_by,
        );
        let _ = writeln!(
            md,
            "**{} passed, {} failed, {} need a person's eye, {} not run.**\n",
            s.pass, s.fail, s.needs_a_persons_eye, s.not_run
        );
        md.push_str("## Configuration\n\n| check | result | seen |\n|---|---|---|\n");
        for c in &self.configuration {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                cell(&c.what),
                c.verdict.label(),
                cell(&c.detail)
            );
        }
        md.push_str("\n## Cases\n\n| case | scenario | result | why |\n|---|---|---|---|\n");
        for case in &self.cases {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                case.id,
                cell(case.scenario),
                case.verdict.label(),
                cell(&case.why())
            );
        }
        for case in &self.cases {
            let _ = writeln!(
                md,
                "\n### {} ({}): {}\n\n{}. Expected: {}.\n",
                case.id,
                case.origin,
                case.verdict.label(),
                case.scenario,
                case.expected
            );
            if let Some(reason) = &case.not_run_reason {
                let _ = writeln!(md, "Not run: {reason}.\n");
            }
            for c in &case.checks {
                let _ = writeln!(md, "- {}: **{}**. {}", c.what, c.verdict.label(), c.detail);
            }
            for t in &case.transactions {
                let _ = writeln!(
                    md,
                    "\nTransaction `{}` (123PAY `{}`), {} VND, status {} ({}):\n\n```text",
                    t.m_transaction_id,
                    t.transaction_id,
                    t.total_amount,
                    t.status.code(),
                    t.status_english
                );
                for e in &t.history {
                    let _ = writeln!(
                        md,
                        "{}  {:>5}  {}",
                        super::judge::time(e.at),
                        e.status.code(),
                        e.event
                    );
                }
                for a in &t.notify_attempts {
                    let _ = writeln!(
                        md,
                        "{}  notify {}.{} status {}: HTTP {}, reply {}, {}{}",
                        super::judge::time(a.at),
                        a.delivery,
                        a.attempt,
                        a.status.code(),
                        a.http_status.map_or("none".to_owned(), |h| h.to_string()),
                        a.reply_body.as_deref().unwrap_or("none"),
                        if a.verified {
                            "verified"
                        } else {
                            "not verified"
                        },
                        a.error
                            .as_ref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    );
                }
                md.push_str("```\n");
            }
            for p in &case.probes {
                let _ = writeln!(
                    md,
                    "\nSent by the check ({}), {}: `{}`; HTTP {}, reply `{}`{}{}",
                    p.kind,
                    super::judge::time(p.at),
                    p.request_body,
                    p.http_status.map_or("none".to_owned(), |h| h.to_string()),
                    p.reply_body.as_deref().unwrap_or(""),
                    if p.verified { ", verified" } else { "" },
                    p.error
                        .as_ref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
            }
            for v in &case.order_views {
                let _ = writeln!(
                    md,
                    "\nThe shop's order view `{}`, {}: HTTP {}, paid {}, status {}{}",
                    v.url,
                    super::judge::time(v.at),
                    v.http_status.map_or("none".to_owned(), |h| h.to_string()),
                    v.paid.map_or("?".to_owned(), |p| p.to_string()),
                    v.status.as_deref().unwrap_or("?"),
                    v.error
                        .as_ref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                );
            }
        }
        md
    }
}

/// Text for a Markdown table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|")
}

fn rfc3339<S: serde::Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::judge::time(*at))
}
