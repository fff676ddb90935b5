//! Writes signed request bodies for wrk, one per line: notifies (forms, each with its own
//! `mTransactionID` and a fresh `ts`), createOrder requests (JSON, each with its own id) or
//! queryOrder requests (for the ids the createOrder bodies of the same TAG create), for the
//! specification's sandbox merchant.
//!
//! ```text
//! bench-bodies notify 100000 > notifies.txt
//! bench-bodies create-order 600000 run1 > orders.txt
//! bench-bodies query-order 600000 run1 > queries.txt
//! ```

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use pay123_core::{BankCode, CreateOrder, Credentials, Notify, QueryOrder, TransactionStatus};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(kind), Some(count)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: bench-bodies notify|create-order|query-order COUNT [TAG]");
        return ExitCode::from(2);
    };
    let credentials = Credentials::sandbox();
    let run = args.get(2).cloned().unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string()
    });
    let mut out = BufWriter::new(std::io::stdout().lock());
    for n in 0..count {
        let id = format!("B{run}-{n}");
        let line = match kind.as_str() {
            "notify" => Notify::new(
                id.as_str(),
                BankCode::Vietcombank,
                TransactionStatus::Success,
                "",
                SystemTime::now(),
            )
            .map(|notify| notify.to_form(credentials.secret_key())),
            "create-order" => {
                CreateOrder::builder(id.as_str(), 100_000, "http://127.0.0.1:3000/return")
                    .bank_code(BankCode::Vietcombank)
                    .client_ip("127.0.0.1")
                    .description("Ao thun")
                    .build()
                    .map(|order| String::from_utf8_lossy(&order.to_json(&credentials)).into_owned())
            }
            "query-order" => QueryOrder::new(id.as_str())
                .map(|query| String::from_utf8_lossy(&query.to_json(&credentials)).into_owned()),
            _ => {
                eprintln!("unknown kind {kind:?}: notify, create-order or query-order");
                return ExitCode::from(2);
            }
        };
        match line {
            Ok(line) => {
                if writeln!(out, "{line}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
