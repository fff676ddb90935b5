//! The gateway and the merchant's credentials, from the environment (or a prompt that does not
//! echo). A secret is never read from the command line, printed, or written in an error.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use pay123_core::{Credentials, Endpoints, SecretKey};

use crate::Failure;

/// The variables, in the order of [`Credentials::new`].
const CODE: &str = "PAY123_MERCHANT_CODE";
const PASSCODE: &str = "PAY123_PASSCODE";
const KEY: &str = "PAY123_SECRET_KEY";
const API_URL: &str = "PAY123_API_URL";

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The gateway's endpoints: `PAY123_API_URL`'s, or 123PAY's public sandbox.
pub(crate) fn endpoints() -> Result<Endpoints, Failure> {
    let endpoints = match var(API_URL) {
        None => Endpoints::sandbox(),
        Some(url) => {
            Endpoints::from_base(&url).map_err(|e| Failure::usage(format!("{API_URL}: {e}")))?
        }
    };
    // The rule of pay123_core::Config: https, or http to this machine or to the test network's
    // host named in PAY123_INSECURE_HTTP_HOST, never to 123PAY's own hosts.
    pay123_core::Config::check_transport(&endpoints, var)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(endpoints)
}

/// Whether the specification's sandbox merchant may stand in for missing credentials: for
/// 123PAY's public sandbox, and for a gateway on this machine (the local sandbox).
fn sandbox_defaults(endpoints: &Endpoints) -> bool {
    *endpoints == Endpoints::sandbox() || endpoints.is_on_this_machine()
}

/// The merchant's credentials for `endpoints`: all three variables, the sandbox merchant where
/// it stands in (see [`sandbox_defaults`]), or a prompt on a terminal.
pub(crate) fn credentials(endpoints: &Endpoints) -> Result<Credentials, Failure> {
    let values = [CODE, PASSCODE, KEY].map(var);
    if values.iter().all(Option::is_none) && sandbox_defaults(endpoints) {
        return Ok(Credentials::sandbox());
    }
    let [code, passcode, key] = values;
    let code = match code {
        Some(code) => code,
        None => ask(CODE, false)?,
    };
    let passcode = match passcode {
        Some(passcode) => passcode,
        None => ask(PASSCODE, true)?,
    };
    let key = match key {
        Some(key) => key,
        None => ask(KEY, true)?,
    };
    // The core's errors name the field and the rule, never the value.
    Credentials::new(code, passcode, key).map_err(|e| Failure::usage(format!("credentials: {e}")))
}

/// The secret key: `PAY123_SECRET_KEY`, the sandbox's `MIKEY` where the sandbox merchant stands
/// in, or a prompt on a terminal.
pub(crate) fn secret_key() -> Result<SecretKey, Failure> {
    if let Some(key) = var(KEY) {
        return Ok(SecretKey::new(key));
    }
    if sandbox_defaults(&endpoints()?) {
        return Ok(Credentials::sandbox().secret_key().clone());
    }
    ask(KEY, true).map(SecretKey::new)
}

/// Whether a prompt without echo is on the terminal.
static PROMPTING: AtomicBool = AtomicBool::new(false);

/// Asks for a variable's value on the terminal, without echo for a secret.
fn ask(name: &str, secret: bool) -> Result<String, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "{name} is not set, and there is no terminal to ask for it: set {CODE}, {PASSCODE} \
             and {KEY} (only 123PAY's public sandbox and a sandbox on this machine have default \
             credentials)"
        )));
    }
    let prompt = format!("{name}: ");
    let value = if secret {
        // Ctrl-C at the prompt would end the process before the terminal's echo is turned back
        // on: turn it on first.
        PROMPTING.store(true, Ordering::SeqCst);
        static HANDLER: std::sync::Once = std::sync::Once::new();
        HANDLER.call_once(|| {
            let _ = ctrlc::set_handler(|| {
                if PROMPTING.load(Ordering::SeqCst) {
                    let tty = std::fs::File::open("/dev/tty").map_or_else(
                        |_| std::process::Stdio::inherit(),
                        std::process::Stdio::from,
                    );
                    let _ = std::process::Command::new("stty")
                        .arg("echo")
                        .stdin(tty)
                        .status();
                    eprintln!();
                }
                std::process::exit(130);
            });
        });
        let read = rpassword::prompt_password(&prompt);
        PROMPTING.store(false, Ordering::SeqCst);
        read
    } else {
        eprint!("{prompt}");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    }
    .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(Failure::usage(format!("{name} is empty")));
    }
    Ok(value)
}
