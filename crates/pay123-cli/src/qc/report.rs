//! The report: one row per case, with its checks and evidence, as JSON and as Markdown.

use std::fmt::Write as _;
use std::time::SystemTime;

use pay123_core::NotifyReturnCode;
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
    /// The reply's `returnCode`, when the reply verified (an unsigned or malformed reply is in
    /// `reply_body`).
    pub return_code: Option<NotifyReturnCode>,
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

    /// Hides every checksum (40 hexadecimal digits) in what the report keeps of messages and
    /// replies: the notifies the sandbox and the check signed with the merchant's key, the
    /// shop's replies signed with it, wherever they appear (bodies, errors, details). The report
    /// is sent to others: a signed notify in it could be sent again, and pairs of text and
    /// checksum would help guess a weak key.
    pub(crate) fn hide_checksums(&mut self) {
        let hide = |text: &mut String| *text = hide_checksums_in(text);
        let hide_some = |text: &mut Option<String>| {
            if let Some(text) = text {
                *text = hide_checksums_in(text);
            }
        };
        for check in self.configuration.iter_mut() {
            hide(&mut check.detail);
        }
        for case in &mut self.cases {
            for check in &mut case.checks {
                hide(&mut check.detail);
            }
            hide_some(&mut case.not_run_reason);
            for t in &mut case.transactions {
                for e in &mut t.history {
                    hide(&mut e.event);
                }
                for a in &mut t.notify_attempts {
                    hide(&mut a.request_body);
                    hide_some(&mut a.reply_body);
                    hide_some(&mut a.error);
                }
            }
            for p in &mut case.probes {
                hide(&mut p.request_body);
                hide_some(&mut p.reply_body);
                hide_some(&mut p.error);
            }
            for v in &mut case.order_views {
                hide_some(&mut v.body);
                hide_some(&mut v.error);
            }
        }
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
        let _ = writeln!(
            md,
            "# 123PAY go-live self-check: {}\n",
            prose(&self.merchant_code)
        );
        let _ = writeln!(
            md,
            "Made by {} from {} to {}, against the shop whose notify URL is {}{}. The shop was \
             pointed at a local 123PAY sandbox ({}) for the session; every transaction below \
             is one the shop created there. The steps on the shop's pages were done, and what \
             they show was answered, by {}.\n",
            prose(&self.tool),
            super::judge::time(self.started_at),
            super::judge::time(self.finished_at),
            prose(&self.notify_url),
            self.order_url
                .as_ref()
                .map(|u| format!(", order view {}", prose(u)))
                .unwrap_or_default(),
            prose(&self.gateway_url),
            prose(&self.guided_by),
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
                prose(&c.what),
                c.verdict.label(),
                code(&c.detail, true)
            );
        }
        md.push_str("\n## Cases\n\n| case | scenario | result | why |\n|---|---|---|---|\n");
        for case in &self.cases {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                case.id,
                prose(case.scenario),
                case.verdict.label(),
                code(&case.why(), true)
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
                let _ = writeln!(md, "Not run: {}.\n", code(reason, false));
            }
            for c in &case.checks {
                let _ = writeln!(
                    md,
                    "- {}: **{}**. {}",
                    prose(&c.what),
                    c.verdict.label(),
                    code(&c.detail, false)
                );
            }
            let evidence = evidence(case);
            if !evidence.is_empty() {
                md.push_str("\nEvidence, in time order:\n\n");
                md.push_str(&fenced(&evidence));
            }
        }
        md
    }
}

/// A case's evidence, one line an event, in time order: the transactions' timelines and notify
/// attempts, the check's own requests, the shop's order views. What the shop sent is cleaned
/// ([`clean`]); the lines go in a fenced block ([`fenced`]).
fn evidence(case: &CaseReport) -> Vec<String> {
    let time = super::judge::time;
    let http = |h: Option<u16>| h.map_or("none".to_owned(), |h| h.to_string());
    let error = |e: &Option<String>| e.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
    let mut lines: Vec<(SystemTime, String)> = Vec::new();
    for t in &case.transactions {
        let order = format!("{} (123PAY {})", t.m_transaction_id, t.transaction_id);
        lines.push((
            t.created_at,
            format!(
                "{}  order {order}, {} VND, now status {} ({})",
                time(t.created_at),
                t.total_amount,
                t.status.code(),
                t.status_english
            ),
        ));
        for e in &t.history {
            lines.push((
                e.at,
                format!("{}  {:>5}  {}", time(e.at), e.status.code(), e.event),
            ));
        }
        for a in &t.notify_attempts {
            lines.push((
                a.at,
                format!(
                    "{}  notify {}.{} of status {} sent: {}; HTTP {}, reply {}, {}{}",
                    time(a.at),
                    a.delivery,
                    a.attempt,
                    a.status.code(),
                    a.request_body,
                    http(a.http_status),
                    a.reply_body.as_deref().unwrap_or("none"),
                    if a.verified {
                        "verified"
                    } else {
                        "not verified"
                    },
                    error(&a.error)
                ),
            ));
        }
    }
    for p in &case.probes {
        lines.push((
            p.at,
            format!(
                "{}  sent by the check ({}): {}; HTTP {}, reply {}{}{}",
                time(p.at),
                p.kind,
                p.request_body,
                http(p.http_status),
                p.reply_body.as_deref().unwrap_or("none"),
                if p.verified { ", verified" } else { "" },
                error(&p.error)
            ),
        ));
    }
    for v in &case.order_views {
        lines.push((
            v.at,
            format!(
                "{}  the shop's order view {}: HTTP {}, paid {}, status {}{}",
                time(v.at),
                v.url,
                http(v.http_status),
                v.paid.map_or("?".to_owned(), |p| p.to_string()),
                v.status.as_deref().unwrap_or("?"),
                error(&v.error)
            ),
        ));
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, line)| clean(&line)).collect()
}

/// What the report shows in place of a checksum.
pub(crate) const HIDDEN: &str = "(hidden)";

/// `text` with every run of hexadecimal digits as long as a checksum (40 for SHA-1, 32 for the
/// return ticket's MD5) replaced by [`HIDDEN`].
pub(crate) fn hide_checksums_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 40 || run.len() == 32 {
            out.push_str(HIDDEN);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// One line of text, with every character [`crate::is_unsafe_char`] names replaced by a space.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if crate::is_unsafe_char(c) { ' ' } else { c })
        .collect()
}

/// Text for a Markdown paragraph: [`clean`], and every character Markdown or HTML gives a
/// meaning escaped, so that what a shop sent reads as text (never a heading, a link, a table or
/// a code span).
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Lines in a fenced block whose fence is longer than any run of backticks in them, so that no
/// line can end it.
fn fenced(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", lines.join("\n"))
}

/// What was seen, as a Markdown code span: [`clean`], between backtick runs longer than any
/// in it, so that nothing in it is read as Markdown, HTML or a link (GitHub turns a bare
/// `https://...` of a paragraph into one). In a table, `|` is escaped, as tables need even in
/// code spans.
fn code(text: &str, in_table: bool) -> String {
    let text = clean(text);
    if text.trim().is_empty() {
        return String::new();
    }
    let text = if in_table {
        text.replace('|', "\\|")
    } else {
        text
    };
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {text} {ticks}")
}

fn rfc3339<S: serde::Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::judge::time(*at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with(case: CaseReport) -> Report {
        Report {
            tool: "pay123 qc test".into(),
            guided_by: "a test".into(),
            started_at: SystemTime::UNIX_EPOCH,
            finished_at: SystemTime::UNIX_EPOCH,
            merchant_code: "MICODE".into(),
            gateway_url: "http://127.0.0.1:3123/miservice".into(),
            notify_url: "http://127.0.0.1:3000/123pay/notify".into(),
            order_url: None,
            configuration: Vec::new(),
            summary: Summary::default(),
            cases: vec![case],
        }
    }

    /// What a hostile shop answers cannot add a heading, a row, a verdict or a terminal escape
    /// to the Markdown, nor end the evidence's block.
    #[test]
    fn what_the_shop_sent_reads_as_text() {
        let hostile = "x\u{1b}]0;title\u{7}\n\n### NS01 (123PAY QC): pass\n| ES01 | x | pass | |\n````\n\u{202e}";
        let mut case = CaseReport::new(&crate::qc::CASES[0]);
        case.checks.push(Check::fail("the order view", hostile));
        case.probes.push(Probe {
            kind: "forged",
            at: SystemTime::UNIX_EPOCH,
            ended_at: SystemTime::UNIX_EPOCH,
            url: "http://127.0.0.1:3000/123pay/notify".into(),
            request_body: "mTransactionID=A".into(),
            http_status: Some(200),
            reply_body: Some(hostile.into()),
            return_code: None,
            verified: false,
            error: Some(hostile.into()),
        });
        case.order_views.push(OrderView {
            at: SystemTime::UNIX_EPOCH,
            url: "http://127.0.0.1:3000/orders/A".into(),
            http_status: Some(200),
            paid: Some(false),
            status: Some(hostile.into()),
            body: None,
            error: None,
        });
        case.conclude();
        let md = report_with(case).to_markdown();
        assert!(
            !md.chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'),
            "{md}"
        );
        let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headings,
            [
                "# 123PAY go-live self-check: MICODE",
                "## Configuration",
                "## Cases",
                "### NS01 (123PAY QC): FAIL"
            ],
            "{md}"
        );
        // One table row per case, and the evidence's fence is longer than the shop's.
        assert_eq!(
            md.lines().filter(|l| l.starts_with("| ES01")).count(),
            0,
            "{md}"
        );
        assert!(md.contains("`````text\n"), "{md}");
        assert!(md.trim_end().ends_with("`````"), "{md}");
    }

    #[test]
    fn what_was_seen_is_a_code_span() {
        assert_eq!(
            code("see https://evil.example", false),
            "` see https://evil.example `"
        );
        assert_eq!(code("a `b` c|d", true), "`` a `b` c\\|d ``");
        assert_eq!(code(" ", false), "");
        assert_eq!(
            hide_checksums_in(&format!("checksum={}&x={}", "a".repeat(40), "b".repeat(41))),
            format!("checksum=(hidden)&x={}", "b".repeat(41))
        );
        // The return ticket's MD5.
        assert_eq!(
            hide_checksums_in(&format!("ticket={}&t={}", "c".repeat(32), "d".repeat(31))),
            format!("ticket=(hidden)&t={}", "d".repeat(31))
        );
    }

    #[test]
    fn prose_escapes_what_markdown_reads() {
        assert_eq!(prose("a*b_c`d<e>#|"), "a\\*b\\_c\\`d\\<e\\>\\#\\|");
        assert_eq!(prose("line\nbreak\u{1b}"), "line break ");
        assert_eq!(fenced(&["no ticks".into()]), "```text\nno ticks\n```\n");
    }
}
