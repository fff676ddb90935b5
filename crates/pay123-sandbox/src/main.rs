//! `pay123-sandbox`: a local 123PAY on the command line (see [`pay123_sandbox::cli`]).

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

// Every request allocates its parsed order, its record and its answer: mimalloc serves these
// small allocations faster than the system allocator (about a fifth more createOrders per
// second, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A local 123PAY: createOrder/queryOrder, bank pages, notify delivery and an admin API.
///
/// The specification's sandbox merchant MICODE / MIPASSCODE / MIKEY is configured by default.
/// Durations are written like 500ms, 2s, 15m or 1h.
#[derive(Parser)]
#[command(name = "pay123-sandbox", version)]
struct Cli {
    #[command(flatten)]
    args: pay123_sandbox::cli::Args,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    pay123_sandbox::cli::run(Cli::parse().args).await
}
