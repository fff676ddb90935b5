//! `pay123 qc`: the go-live self-check, from the command line.

use std::path::PathBuf;
use std::time::Duration;

use pay123_cli::qc::{CASES, DemoShopBrowser, Report, Session, Settings, TerminalGuide, Verdict};
use pay123_core::Endpoints;

use crate::out::Out;
use crate::{Exit, Failure, Outcome};

/// Runs 123PAY's merchant QC cases against your own shop, before you ask 123PAY to go live.
///
/// It starts a local 123PAY (the sandbox) for the session. Point your shop at it: its gateway
/// URL (PAY123_API_URL of the demo shops) http://127.0.0.1:3123/miservice, with the sandbox's
/// merchant MICODE / MIPASSCODE / MIKEY (or the credentials you give this command in
/// PAY123_MERCHANT_CODE, PAY123_PASSCODE and PAY123_SECRET_KEY), and give its notify URL here.
///
/// Then it goes through the cases: NS01 and ES01-ES17 of 123PAY's QC sheet (which has no
/// ES13), and pay123's own
/// checks of the notify listener (a duplicate, a forged, a stale and an unconfirmed notify, a
/// payment whose result comes late). What needs no page of your shop it does itself: it sends
/// the notifies, drops one, and watches your shop's replies and queryOrder calls. What needs
/// your checkout page, it tells you to do, one step at a time (which card, which OTP, when to
/// close the tab); press Enter when done, or s to skip a case. It asks yes/no questions about
/// what your shop shows (y, n, or ? for "cannot tell"), unless --order-url lets it read the
/// order itself.
///
/// At the end it writes the report, qc-report.md and qc-report.json (--report), one row per
/// case (pass, FAIL, not run, needs a person's eye) with the evidence: fix what fails before
/// 123PAY's QC runs the cases itself, and attach the report to your go-live request if you
/// wish. Exit code 0 when no case and no configuration check failed and a case passed, 1
/// otherwise.
///
/// The cases: NS01, NOTIFY-DUPLICATE, NOTIFY-FORGED, NOTIFY-STALE, NOTIFY-UNCONFIRMED,
/// PENDING, NOTIFY-GENUINE, AMOUNT, ES01-ES12, ES14-ES17, FAILED-NEVER-PAID.
///
/// Example, with the axum demo shop:
///
///   PAY123_API_URL=http://127.0.0.1:3123/miservice PAY123_MERCHANT_CODE=MICODE \
///   PAY123_PASSCODE=MIPASSCODE PAY123_SECRET_KEY=MIKEY cargo run -p axum-shop
///
///   pay123 qc --notify-url http://127.0.0.1:3000/123pay/notify \
///     --order-url 'http://127.0.0.1:3000/orders/{id}'
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct QcCommand {
    /// Your shop's notify URL: where 123PAY (here, the sandbox) posts its notifies.
    #[arg(long, env = "PAY123_QC_NOTIFY_URL")]
    notify_url: String,
    /// A URL of your shop answering an order as JSON, {id} standing for the mTransactionID
    /// (http://127.0.0.1:3000/orders/{id}); the JSON has a boolean "paid" and, optionally, a
    /// "status" (pending, paid, or failed once the shop gave the order up) and an "amount".
    /// Without it you are asked what your shop shows.
    #[arg(long)]
    order_url: Option<String>,
    /// Where the sandbox listens: your shop's gateway URL is http://ADDR/miservice.
    #[arg(long, default_value = "127.0.0.1:3123")]
    listen: String,
    /// The report's files: PATH.md and PATH.json.
    #[arg(long, default_value = "qc-report")]
    report: PathBuf,
    /// Run only this case (NS01, ES03, NOTIFY-FORGED...), with those it is judged with;
    /// repeatable. Default: every case.
    #[arg(long = "case", value_name = "ID")]
    cases: Vec<String>,
    /// How long a step may take (your checkout, a payment, your shop showing a new state).
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    step_timeout: Duration,
    /// How long your shop has to find, with queryOrder, a payment whose notify was lost (ES14).
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    lost_notify_wait: Duration,
    /// Instead of asking a person, do the steps with a headless Chromium on one of pay123's
    /// demo shops, at this URL (it starts chromedriver itself, from PATH or CHROMEDRIVER, and
    /// Chromium from /usr/bin/chromium or CHROMIUM).
    #[arg(long, value_name = "DEMO_SHOP_URL")]
    browser: Option<String>,
}

pub(crate) async fn run(command: QcCommand, out: &Out) -> Outcome {
    let listener = tokio::net::TcpListener::bind(&command.listen)
        .await
        .map_err(|e| Failure::usage(format!("--listen {}: {e}", command.listen)))?;
    let base = format!("http://{}/miservice", command.listen);
    let endpoints = Endpoints::from_base(&base)
        .map_err(|e| Failure::usage(format!("--listen {}: {e}", command.listen)))?;
    let credentials = crate::gateway::credentials(&endpoints)?;
    check_url("--notify-url", &command.notify_url)?;
    for id in &command.cases {
        if !CASES.iter().any(|c| c.id.eq_ignore_ascii_case(id)) {
            return Err(Failure::usage(format!(
                "--case {id}: no such case; the cases are {}",
                CASES.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    if let Some(pattern) = &command.order_url {
        check_url("--order-url", &pattern.replace("{id}", "ID"))?;
        if !pattern.contains("{id}") {
            return Err(Failure::usage(
                "--order-url must contain {id}, where the order's mTransactionID goes",
            ));
        }
    }
    let mut settings = Settings::new(&command.notify_url)
        .with_only(command.cases.clone())
        .with_step_timeout(command.step_timeout)
        .with_lost_notify_wait(command.lost_notify_wait);
    if let Some(pattern) = &command.order_url {
        settings = settings.with_order_url(pattern);
    }
    let session = Session::start(listener, credentials.clone(), settings)
        .await
        .map_err(|e| Failure::usage(format!("cannot start the sandbox: {e}")))?;
    eprintln!(
        "pay123 qc: a 123PAY sandbox for the check listens on {}\n  \
         point your shop's gateway URL at {} (merchant {}), its notify URL is {}\n  \
         the sandbox's dashboard: {}/_sandbox/",
        session.sandbox().base_url(),
        session.gateway_url(),
        credentials.merchant_code(),
        command.notify_url,
        session.sandbox().base_url(),
    );
    let report = match &command.browser {
        Some(shop) => {
            let mut browser = DemoShopBrowser::start(shop.clone())
                .await
                .map_err(|e| Failure::usage(format!("--browser: {e}")))?;
            let report = session.run(&mut browser).await;
            browser.close().await;
            report
        }
        None => session.run(&mut TerminalGuide::new()).await,
    };
    session.shutdown().await;
    write(&report, &command.report)?;
    print(&report, &command.report, out);
    Ok(if report.passed() {
        Exit::Ok
    } else {
        Exit::Refused
    })
}

fn check_url(option: &str, url: &str) -> Result<(), Failure> {
    let parsed = url::Url::parse(url).map_err(|e| Failure::usage(format!("{option}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Failure::usage(format!(
            "{option}: must be an http:// or https:// URL"
        )));
    }
    Ok(())
}

/// `PATH.md` or `PATH.json`: the extension is added (`out/qc.2025` gives `out/qc.2025.md`), or
/// replaces one of the two given (`qc-report.md`).
fn report_file(path: &std::path::Path, extension: &str) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some("md" | "json") => path.with_extension(extension),
        _ => {
            let mut name = path.as_os_str().to_owned();
            name.push(".");
            name.push(extension);
            PathBuf::from(name)
        }
    }
}

fn write(report: &Report, path: &std::path::Path) -> Result<(), Failure> {
    for (extension, text) in [("md", report.to_markdown()), ("json", report.to_json())] {
        let file = report_file(path, extension);
        std::fs::write(&file, text)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", file.display())))?;
    }
    Ok(())
}

fn print(report: &Report, path: &std::path::Path, out: &Out) {
    if out.json() {
        out.value(&serde_json::to_value(report).expect("a report serializes"));
        return;
    }
    out.table(
        &["case", "result", "why"],
        report.cases.iter().map(|c| {
            let label = match c.verdict {
                Verdict::Fail => "FAIL",
                other => other.label(),
            };
            [c.id.to_owned(), label.to_owned(), c.why()]
        }),
    );
    let s = &report.summary;
    out.line(&format!(
        "\n{} passed, {} failed, {} need a person's eye, {} not run. Report: {} and {}",
        s.pass,
        s.fail,
        s.needs_a_persons_eye,
        s.not_run,
        report_file(path, "md").display(),
        report_file(path, "json").display()
    ));
}
