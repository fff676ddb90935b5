//! Running `pay123` as a process against a sandbox started in the test.

#![allow(dead_code, unreachable_pub)]

use std::process::Output;
use std::time::Duration;

use pay123_sandbox::{Config, Sandbox};
use tokio::net::TcpListener;

/// The output of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Both streams.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `pay123 args` with only these variables (and PATH) set, `stdin` as its input.
pub async fn pay123(args: &[&str], vars: &[(&str, &str)], stdin: Option<&str>) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_pay123"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("pay123 runs");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.unwrap_or("").to_owned();
    tokio::spawn(async move {
        let _ = input.write_all(text.as_bytes()).await;
    });
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("pay123 ends within 60 s")
        .expect("pay123's output");
    Run::from(output)
}

/// A sandbox on an ephemeral port, configured by `tweak`.
pub async fn sandbox(tweak: impl FnOnce(&mut Config)) -> Sandbox {
    let mut config = Config::default();
    tweak(&mut config);
    pay123_sandbox::start(TcpListener::bind("127.0.0.1:0").await.unwrap(), config)
        .await
        .unwrap()
}

/// The variables that point `pay123` at `sandbox` (its default merchant).
pub fn at(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    vec![
        (
            "PAY123_API_URL",
            format!("{}/miservice", sandbox.base_url()),
        ),
        ("PAY123_SANDBOX_URL", sandbox.base_url()),
    ]
}

/// `at(sandbox)` as `&str` pairs.
pub fn vars<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(n, v)| (*n, v.as_str())).collect()
}
