//! The `pay123-sandbox` binary: merchants from `PAY123_SANDBOX_MERCHANTS`, and no passcode or
//! key in anything it prints, even on a parse error or in `--help`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_pay123-sandbox");
const MERCHANTS: &str = "PAY123_SANDBOX_MERCHANTS";

fn sandbox() -> Command {
    let mut command = Command::new(BIN);
    // Nothing from the caller's environment changes what is tested.
    for name in [
        MERCHANTS,
        "PAY123_SANDBOX_LISTEN",
        "PAY123_SANDBOX_PUBLIC_URL",
        "PAY123_SANDBOX_NOTIFY_URL",
    ] {
        command.env_remove(name);
    }
    command.env("RUST_LOG", "info");
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn merchants_come_from_the_environment_and_their_secrets_are_not_printed() {
    let mut child = sandbox()
        .args(["--listen", "127.0.0.1:0"])
        .env(
            MERCHANTS,
            "SHOP2:PASS-S3CRET-2:KEY-S3CRET-2:http://127.0.0.1:9/notify,SHOP3:PASS-S3CRET-3:KEY-S3CRET-3",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sandbox binary starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // The banner ends with the test card line.
    let mut banner = Vec::new();
    while let Ok(line) = received.recv_timeout(Duration::from_secs(30)) {
        let last = line.contains("test card");
        banner.push(line);
        if last {
            break;
        }
    }
    child.kill().expect("stop the sandbox");
    child.wait().expect("the sandbox ends");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let banner = banner.join("\n");
    assert!(banner.contains("test card"), "{banner}\n{logs}");
    assert!(
        banner.contains("merchant MICODE: notify (none)"),
        "{banner}"
    );
    assert!(
        banner.contains("merchant SHOP2: notify http://127.0.0.1:9/notify"),
        "{banner}"
    );
    assert!(banner.contains("merchant SHOP3: notify (none)"), "{banner}");
    assert!(
        !banner.contains("S3CRET") && !logs.contains("S3CRET"),
        "{banner}\n{logs}"
    );
}

#[test]
fn an_invalid_merchant_is_refused_without_showing_it() {
    let from_env = sandbox()
        .env(MERCHANTS, "SHOP2:PASS-S3CRET")
        .output()
        .unwrap();
    let from_args = sandbox()
        .args(["--merchant", "SHOP2::KEY-S3CRET"])
        .output()
        .unwrap();
    for output in [from_env, from_args] {
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let shown = text(&output);
        assert!(shown.contains("value is not shown"), "{shown}");
        assert!(!shown.contains("S3CRET"), "{shown}");
    }
}

#[test]
fn help_does_not_show_the_merchants_variable() {
    let output = sandbox()
        .arg("--help")
        .env(MERCHANTS, "SHOP2:PASS-S3CRET:KEY-S3CRET")
        .output()
        .unwrap();
    assert!(output.status.success());
    let shown = text(&output);
    assert!(shown.contains("PAY123_SANDBOX_MERCHANTS"), "{shown}");
    assert!(!shown.contains("S3CRET"), "{shown}");
}
