//! `pay123 order create` and `pay123 order query`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Subcommand;
use pay123_core::{
    BankCode, ClientError, CreateOrder, ErrorChain, OrderStatus, QueryOrder, ResponseError,
};
use serde_json::json;

use crate::out::{Out, yes_no};
use crate::{Exit, Failure, Outcome, gateway};

#[derive(Subcommand)]
pub(crate) enum OrderCommand {
    /// Call createOrder and print 123PAY's answer: its transaction id and the page for the
    /// buyer, or the error code with its meaning.
    Create {
        /// The amount in VND (whole number).
        #[arg(long)]
        amount: u64,
        /// The order's mTransactionID (default: CLI- and the time).
        #[arg(long)]
        id: Option<String>,
        /// The bank (123PVCB...), or 123PAY to let the buyer choose at 123PAY.
        #[arg(long, default_value = "123PAY")]
        bank: String,
        /// Where the buyer returns (redirectURL, also cancelURL and errorURL unless given).
        #[arg(long, default_value = "http://127.0.0.1:3000/return")]
        return_url: String,
        /// cancelURL (default: the return URL).
        #[arg(long)]
        cancel_url: Option<String>,
        /// errorURL (default: the return URL).
        #[arg(long)]
        error_url: Option<String>,
        /// The buyer's IPv4 address.
        #[arg(long, default_value = "127.0.0.1")]
        client_ip: String,
        /// The description (letters, digits, spaces and . : , - _).
        #[arg(long)]
        description: Option<String>,
    },
    /// Call queryOrder and print the status with its meaning, whether it is final, and the
    /// amounts.
    Query {
        /// The order's mTransactionID.
        id: String,
        /// Ask again every second until the status is final, for at most this long (e.g. 2m).
        #[arg(long, value_parser = humantime::parse_duration, num_args = 0..=1, default_missing_value = "5m")]
        wait: Option<Duration>,
    },
}

pub(crate) async fn run(command: OrderCommand, out: &Out) -> Outcome {
    let endpoints = gateway::endpoints()?;
    let credentials = gateway::credentials(&endpoints)?;
    let client = pay123_hyper::client(credentials, endpoints);
    match command {
        OrderCommand::Create {
            amount,
            id,
            bank,
            return_url,
            cancel_url,
            error_url,
            client_ip,
            description,
        } => {
            let id = id.unwrap_or_else(|| {
                let millis = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis();
                format!("CLI-{millis}")
            });
            let bank_code = BankCode::from_code(&bank);
            if !bank_code.is_well_formed() {
                return Err(Failure::usage(format!(
                    "--bank: {bank:?} is not a bank code: 123P and capital letters, such as 123PVCB (see `pay123 banks`)"
                )));
            }
            let mut builder = CreateOrder::builder(id.as_str(), amount, return_url.as_str())
                .bank_code(bank_code)
                .client_ip(client_ip)
                .cancel_url(cancel_url.unwrap_or_else(|| return_url.clone()))
                .error_url(error_url.unwrap_or_else(|| return_url.clone()));
            if let Some(description) = description {
                builder = builder.description(description);
            }
            let order = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
            match client.create_order(&order).await {
                Ok(created) => {
                    if out.json() {
                        out.value(&json!({
                            "returnCode": "1",
                            "mTransactionID": id,
                            "123PAYtransactionId": created.pay123_transaction_id(),
                            "redirectURL": created.payment_url(),
                        }));
                    } else {
                        out.pairs(&[
                            ("returnCode", "1 (Thành công, success)".to_owned()),
                            ("mTransactionID", id),
                            (
                                "123PAYtransactionId",
                                created.pay123_transaction_id().to_owned(),
                            ),
                            ("redirectURL", created.payment_url().to_owned()),
                        ]);
                    }
                    Ok(Exit::Ok)
                }
                Err(error) => client_error(&error, out),
            }
        }
        OrderCommand::Query { id, wait } => {
            let query = QueryOrder::new(id.as_str()).map_err(|e| Failure::usage(e.to_string()))?;
            let started = Instant::now();
            loop {
                let status = match client.query_order(&query).await {
                    Ok(status) => status,
                    Err(error) => return client_error(&error, out),
                };
                let waiting = wait.is_some_and(|limit| started.elapsed() < limit);
                if status.status().is_final() || !waiting {
                    if let Some(limit) = wait.filter(|_| !status.status().is_final()) {
                        out.progress(&format!(
                            "{id}: still not final after {}; the status now:",
                            humantime::format_duration(limit)
                        ));
                    }
                    print_status(&id, &status, out);
                    return Ok(Exit::Ok);
                }
                out.progress(&format!(
                    "{id}: status {} ({}), not final; asking again in 1 s",
                    status.status().code(),
                    status.status().english()
                ));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn print_status(id: &str, status: &OrderStatus, out: &Out) {
    let s = status.status();
    let kind = s.outcome();
    if out.json() {
        out.value(&json!({
            "mTransactionID": id,
            "123PAYtransactionId": status.pay123_transaction_id(),
            "transactionStatus": s.code(),
            "vietnamese": s.vietnamese(),
            "english": s.english(),
            "kind": kind,
            "final": s.is_final(),
            "totalAmount": status.total_amount(),
            "opAmount": status.op_amount(),
            "bankCode": status.bank_code().code(),
            "description": status.description(),
        }));
    } else {
        out.pairs(&[
            ("mTransactionID", id.to_owned()),
            (
                "123PAYtransactionId",
                status.pay123_transaction_id().to_owned(),
            ),
            (
                "transactionStatus",
                format!("{} ({}, {})", s.code(), s.vietnamese(), s.english()),
            ),
            ("kind", kind.to_owned()),
            ("final", yes_no(s.is_final())),
            ("totalAmount", status.total_amount().to_owned()),
            ("opAmount", status.op_amount().to_owned()),
            ("bankCode", status.bank_code().code().to_owned()),
        ]);
    }
}

/// A failed call: 123PAY's error code (exit 1), an answer that could not be used (1), or the
/// network (3).
fn client_error(error: &ClientError, out: &Out) -> Outcome {
    match error {
        ClientError::Response(ResponseError::Gateway { code, description }) => {
            if out.json() {
                out.value(&json!({
                    "returnCode": code.code(),
                    "description": description,
                    "vietnamese": code.vietnamese(),
                    "english": code.english(),
                    "retryable": code.is_retryable(),
                }));
            } else {
                out.pairs(&[
                    (
                        "returnCode",
                        format!(
                            "{} ({}, {})",
                            code.code(),
                            code.vietnamese(),
                            code.english()
                        ),
                    ),
                    ("description", description.clone()),
                    ("retry later", yes_no(code.is_retryable())),
                ]);
            }
            Ok(Exit::Refused)
        }
        ClientError::Transport { .. } => Err(Failure::network(ErrorChain(error).to_string())),
        _ => Err(Failure::refused(ErrorChain(error).to_string())),
    }
}
