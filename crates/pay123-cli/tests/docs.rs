//! The `console` blocks of `docs/cli.md` and `docs/sandbox.md` are real runs: each `$ pay123 ...`
//! line is run (with bash, `pay123` being this build) against a sandbox started here and a notify
//! listener, in order, and its output (stdout and stderr) must be the one written below it, up
//! to what changes from run to run (123PAY's transaction ids, sessions, times). A line ending in
//! `# exit N` must exit with N, any other with 0.
//!
//! `UPDATE_DOCS=1 cargo test -p pay123-cli --test docs` rewrites the outputs from a run.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use pay123_axum::unconfirmed::notify_router;
use pay123_core::{Credentials, Notify, NotifyListener, NotifyOutcome};
use regex::Regex;
use tokio::net::TcpListener;

/// The addresses the docs show, and the ones of this run.
const DOC_SANDBOX: &str = "http://127.0.0.1:3123";
const DOC_LISTENER: &str = "http://127.0.0.1:3000/123pay/notify";

/// One `$ command` and the output written under it.
#[derive(Debug)]
struct Step {
    command: String,
    exit: i32,
    output: String,
}

/// The console blocks of a document: their line ranges and steps.
fn blocks(text: &str) -> Vec<(usize, usize, Vec<Step>)> {
    let lines: Vec<&str> = text.lines().collect();
    let exit_code = Regex::new(r"#\s*exit (\d+)\s*$").unwrap();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```console" {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            let mut steps: Vec<Step> = Vec::new();
            for line in &lines[start..end] {
                if let Some(command) = line.strip_prefix("$ ") {
                    let exit = exit_code
                        .captures(command)
                        .map_or(0, |c| c[1].parse().unwrap());
                    steps.push(Step {
                        command: command.to_owned(),
                        exit,
                        output: String::new(),
                    });
                } else if let Some(step) = steps.last_mut() {
                    step.output.push_str(line);
                    step.output.push('\n');
                }
            }
            blocks.push((start, end, steps));
            i = end;
        }
        i += 1;
    }
    blocks
}

/// What changes from run to run, replaced by a placeholder.
fn normalize(text: &str) -> String {
    let rules = [
        (r"123P\d{13}", "123P<id>"),
        (r"banksim/[a-z0-9]+", "banksim/<session>"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>"),
        (r"CLI-\d{13}", "CLI-<time>"),
    ];
    let mut text = text.to_owned();
    for (pattern, placeholder) in rules {
        text = Regex::new(pattern)
            .unwrap()
            .replace_all(&text, placeholder)
            .into_owned();
    }
    // Column widths follow the values: compare words, not spaces.
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A listener answering `1` the first time an order is notified, `2` after.
async fn listener() -> String {
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let app: Router = notify_router(
        "/123pay/notify",
        NotifyListener::new(Credentials::sandbox().secret_key().clone()),
        |notify: Notify, seen: Arc<Mutex<HashSet<String>>>| async move {
            if seen
                .lock()
                .unwrap()
                .insert(notify.m_transaction_id().to_owned())
            {
                NotifyOutcome::Updated
            } else {
                NotifyOutcome::AlreadyUpdated
            }
        },
    )
    .with_state(seen);
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/123pay/notify", tcp.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(tcp, app).await });
    url
}

/// Runs every console block of the document at `path` (relative to the package, whose `docs/`
/// holds the repository's documents it runs).
async fn check(path: &str) {
    let file: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    let sandbox = common::sandbox(|_| {}).await;
    let listener = listener().await;
    let base = sandbox.base_url();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_pay123")).parent().unwrap();
    let path_var = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let api = format!("{base}/miservice");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut replaced = Vec::new();
    let mut ran = 0;
    for (start, end, steps) in blocks(&text) {
        let mut written = Vec::new();
        for step in steps {
            let command = step
                .command
                .replace(DOC_LISTENER, &listener)
                .replace(DOC_SANDBOX, &base);
            let output = tokio::process::Command::new("bash")
                .args(["-c", &format!("exec 2>&1\n{command}")])
                .env_clear()
                .env("PATH", &path_var)
                .env("PAY123_API_URL", &api)
                .env("PAY123_SANDBOX_URL", &base)
                .output()
                .await
                .unwrap();
            ran += 1;
            let got = String::from_utf8_lossy(&output.stdout)
                .replace(&listener, DOC_LISTENER)
                .replace(&base, DOC_SANDBOX);
            let code = output.status.code().unwrap_or(-1);
            if !update {
                assert_eq!(
                    code, step.exit,
                    "{path}: `{}` exited {code}:\n{got}",
                    step.command
                );
                assert_eq!(
                    normalize(&got),
                    normalize(&step.output),
                    "{path}: the output of `{}` changed (UPDATE_DOCS=1 rewrites it)",
                    step.command
                );
            }
            written.push(format!("$ {}", step.command));
            written.extend(got.lines().map(|l| l.trim_end().to_owned()));
        }
        replaced.push((start, end, written));
    }
    assert!(ran > 0, "{path} has no console block");
    if update {
        for (start, end, written) in replaced.into_iter().rev() {
            lines.splice(start..end, written);
        }
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_guide_shows_real_runs() {
    check("docs/cli.md").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_walkthrough_runs() {
    check("docs/sandbox.md").await;
}
