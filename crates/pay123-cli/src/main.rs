//! `pay123`: the command line of a 123PAY integrator. Explain a checksum 123PAY refused (`6000`),
//! sign a message, create and query orders, send a signed notify to a listener, run the local
//! sandbox and drive it, run 123PAY's merchant QC cases against a shop, and list the banks and
//! codes of the specification. Every rule comes from `pay123-core`.
//!
//! Exit codes: 0 ok, 1 a refusal by the other side (an error code from 123PAY, a notify refused,
//! a checksum that does not match), 2 bad usage or input, 3 a network failure.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod checksum;
mod gateway;
mod notify;
mod order;
mod out;
mod qc_command;
mod reference;
mod sandbox;

/// The command line of a 123PAY integrator.
///
/// Credentials come from PAY123_MERCHANT_CODE, PAY123_PASSCODE and PAY123_SECRET_KEY (or a
/// prompt that does not echo, on a terminal); the gateway from PAY123_API_URL (123PAY's public
/// sandbox by default). Without credentials, the specification's sandbox merchant (MICODE) is
/// used for 123PAY's public sandbox and for a sandbox on this machine. A secret is never taken
/// from the command line and never printed.
///
/// Exit codes: 0 ok, 1 a refusal by the other side, 2 bad usage or input, 3 a network failure.
#[derive(Parser)]
#[command(name = "pay123", version, propagate_version = true)]
struct Cli {
    /// Print JSON instead of tables, for scripts.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explain why a checksum does not match, or sign a message.
    #[command(subcommand)]
    Checksum(checksum::ChecksumCommand),
    /// Create or query an order at the gateway.
    #[command(subcommand)]
    Order(order::OrderCommand),
    /// Send a notify, signed as 123PAY signs it, to a merchant's listener.
    #[command(subcommand)]
    Notify(notify::NotifyCommand),
    /// Run the local 123PAY (the same options as pay123-sandbox), or drive a running one.
    Sandbox(Box<sandbox::SandboxCommand>),
    // Its help is the command's own (a long one).
    Qc(Box<qc_command::QcCommand>),
    /// The banks of the specification.
    Banks,
    /// The return codes, transaction statuses and notify reply codes, in Vietnamese and English.
    Codes,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How a command ended, as the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 0: done.
    Ok = 0,
    /// 1: the other side refused (an error code, a refused notify, a checksum that differs).
    Refused = 1,
    /// 2: bad usage or input.
    Usage = 2,
    /// 3: the network failed.
    Network = 3,
}

/// A command that could not do its work: the exit code and one line for stderr.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) exit: Exit,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Refused,
            message: message.into(),
        }
    }

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Network,
            message: message.into(),
        }
    }
}

pub(crate) type Outcome = Result<Exit, Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runs_sandbox = matches!(&cli.command, Command::Sandbox(s) if s.runs());
    // Logs go to stderr: `info` for the sandbox it runs, none otherwise (errors are reported in
    // one line); RUST_LOG to change.
    let default = if runs_sandbox {
        "info"
    } else if matches!(&cli.command, Command::Qc(_)) {
        "warn"
    } else {
        "off"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let out = out::Out::new(cli.json);
    let outcome = match cli.command {
        Command::Checksum(command) => checksum::run(command, &out),
        Command::Banks => reference::banks(&out),
        Command::Codes => reference::codes(&out),
        Command::Completions { shell } => {
            // Written whole, and a closed pipe is not a panic.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "pay123", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            Ok(Exit::Ok)
        }
        Command::Order(command) => block_on(order::run(command, &out)),
        Command::Notify(command) => block_on(notify::run(command, &out)),
        Command::Sandbox(command) => block_on(sandbox::run(*command, &out)),
        Command::Qc(command) => block_on(qc_command::run(*command, &out)),
    };
    let exit = match outcome {
        Ok(exit) => exit,
        Err(failure) => {
            out.failure(&failure.message, failure.exit as u8);
            failure.exit
        }
    };
    ExitCode::from(exit as u8)
}

fn block_on<F: std::future::Future<Output = Outcome>>(future: F) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(future)
}
