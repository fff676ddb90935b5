//! `pay123 checksum explain` and `pay123 checksum sign`.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use pay123_core::checksum::{Field, Message};
use pay123_sandbox::explain::{self, Verdict};
use serde_json::json;

use crate::out::{Out, bad, good};
use crate::{Exit, Failure, Outcome, gateway};

#[derive(Subcommand)]
pub(crate) enum ChecksumCommand {
    /// Read a signed message, list its fields in signing order, compute its checksum and say
    /// whether the one it carries matches, and if not, the likely mistake (the answer to 6000).
    ///
    /// Reads a createOrder or queryOrder request body (JSON), their answers (JSON arrays), a
    /// notify (form or query string), a notify reply (JSON) or a return URL, from FILE or stdin.
    /// Exit code 1 when the checksum does not match or is missing.
    Explain(Input),
    /// Print the message with the checksum the key gives it (set or replaced).
    Sign(Input),
}

#[derive(clap::Args)]
pub(crate) struct Input {
    /// The file to read; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Which message it is, when the guess is wrong.
    #[arg(long, value_parser = message_parser())]
    message: Option<Message>,
}

/// `--message`: one of [`Message::ALL`], by its name in kebab case (`create-order-request`).
fn message_parser() -> impl TypedValueParser<Value = Message> {
    PossibleValuesParser::new(Message::ALL.map(kebab_case)).map(|name| {
        let named = |m: &Message| kebab_case(*m) == name;
        let found = Message::ALL.into_iter().find(named);
        found.expect("the parser admits only the names of Message::ALL")
    })
}

/// `createOrder request` as `create-order-request`.
fn kebab_case(message: Message) -> String {
    let mut name = String::new();
    for c in message.as_str().chars() {
        if c.is_ascii_uppercase() {
            name.push('-');
        }
        name.push(if c == ' ' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    name
}

/// The most input read: a message of the protocol is a few kilobytes.
const MAX_INPUT: u64 = 1024 * 1024;

fn read(input: &Input) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = match input.file.as_deref() {
        None => Box::new(std::io::stdin()),
        Some(path) if path.as_os_str() == "-" => Box::new(std::io::stdin()),
        Some(path) => Box::new(
            std::fs::File::open(path)
                .map_err(|e| Failure::usage(format!("cannot read the input: {e}")))?,
        ),
    };
    reader
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::usage(format!("cannot read the input: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Failure::usage(
            "the input is over 1 MiB: a message of the protocol is a few kilobytes",
        ));
    }
    if std::str::from_utf8(&bytes).is_err() {
        return Err(Failure::usage(
            "the input is not UTF-8 text: give the message as it was sent",
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::usage(
            "the input is empty: give a file, or the message on stdin",
        ));
    }
    Ok(bytes)
}

pub(crate) fn run(command: ChecksumCommand, out: &Out) -> Outcome {
    match command {
        ChecksumCommand::Explain(input) => explain(&input, out),
        ChecksumCommand::Sign(input) => sign(&input, out),
    }
}

fn explain(input: &Input, out: &Out) -> Outcome {
    let bytes = read(input)?;
    let key = gateway::secret_key()?;
    let parsed =
        explain::parse(&bytes, input.message).map_err(|e| Failure::usage(e.to_string()))?;
    let explained = explain::explain(parsed, &key);
    let message = explained.parsed.message;
    let fields = explained.parsed.masked_values();
    let given = explained.parsed.checksum.clone();
    let verdict = match explained.verdict {
        Verdict::Matches => "matches",
        Verdict::Missing => "missing",
        Verdict::Mismatch => "mismatch",
    };
    let cause = explained.cause.as_ref().map(ToString::to_string);
    let mut warnings = explained.warnings.clone();
    warnings.extend(credential_warnings(&explained.parsed));
    if out.json() {
        out.value(&json!({
            "message": message.as_str(),
            "algorithm": message.algorithm_name(),
            "fields": fields.iter().map(|(f, v)| json!({"field": f.as_str(), "value": v})).collect::<Vec<_>>(),
            "computed": explained.computed,
            "given": given,
            "verdict": verdict,
            "cause": cause,
            "warnings": warnings,
        }));
    } else {
        out.line(&format!(
            "{message}: {} of {}",
            message.algorithm_name(),
            message.field_order()
        ));
        let mut rows: Vec<Vec<String>> = fields
            .iter()
            .enumerate()
            .map(|(i, (field, value))| {
                vec![(i + 1).to_string(), field.as_str().to_owned(), shown(value)]
            })
            .collect();
        rows.push(vec![
            (fields.len() + 1).to_string(),
            Field::SecretKey.as_str().to_owned(),
            "<secret key>".to_owned(),
        ]);
        out.table(&["#", "field", "value"], rows);
        out.pairs(&[
            ("computed", explained.computed.clone()),
            (
                "given",
                given.clone().unwrap_or_else(|| "(none)".to_owned()),
            ),
        ]);
        match explained.verdict {
            Verdict::Matches => out.line(&good("the checksum matches")),
            Verdict::Missing => out.line(&bad("the message carries no checksum")),
            Verdict::Mismatch => {
                out.line(&bad("the checksum does not match"));
                match &cause {
                    Some(cause) => out.line(&format!("likely cause: {cause}")),
                    None => out.line(
                        "likely cause: another secret key, or a value changed after signing: \
                         compare each field above with the string your code hashes",
                    ),
                }
            }
        }
        for warning in &warnings {
            out.line(&format!("warning: {warning}"));
        }
    }
    Ok(match explained.verdict {
        Verdict::Matches => Exit::Ok,
        _ => Exit::Refused,
    })
}

/// What 123PAY answers 6000 for whatever the checksum: a request's merchant code or passcode
/// that is not the configured one (compared without showing either), or no passcode.
fn credential_warnings(parsed: &explain::Parsed) -> Vec<String> {
    if !matches!(
        parsed.message,
        Message::CreateOrderRequest | Message::QueryOrderRequest
    ) {
        return Vec::new();
    }
    let value = |field: Field| {
        parsed
            .values
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    };
    let configured = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut warnings = Vec::new();
    if let Some(code) = configured("PAY123_MERCHANT_CODE")
        && code != value(Field::MerchantCode)
    {
        warnings.push(format!(
            "merchantCode is not PAY123_MERCHANT_CODE ({code}): 123PAY answers 6000"
        ));
    }
    if let Some(passcode) = configured("PAY123_PASSCODE")
        && !pay123_core::Passcode::new(passcode).matches(value(Field::Passcode))
    {
        warnings.push("passcode is not PAY123_PASSCODE: 123PAY answers 6000".to_owned());
    }
    if value(Field::Passcode).is_empty() {
        warnings.push("the request has no passcode: 123PAY answers 6000".to_owned());
    }
    warnings
}

/// An empty value shown as such; a value with surrounding spaces quoted.
fn shown(value: &str) -> String {
    if value.is_empty() {
        "(empty)".to_owned()
    } else if value.trim() != value {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}

fn sign(input: &Input, out: &Out) -> Outcome {
    let bytes = read(input)?;
    let key = gateway::secret_key()?;
    let message = input.message;
    let parse =
        |input: &[u8]| explain::parse(input, message).map_err(|e| Failure::usage(e.to_string()));
    let signed = explain::sign(parse(&bytes)?, &key);
    let explained = explain::explain(parse(signed.as_bytes())?, &key);
    // A request body holds the passcode: it is printed masked, never as given.
    let (shown, masked) = mask_passcode(&signed);
    if masked {
        out.progress("the passcode is masked in the output; the checksum was computed with it");
    }
    for warning in credential_warnings(&explained.parsed) {
        out.progress(&format!("warning: {warning}"));
    }
    if out.json() {
        out.value(&json!({
            "message": explained.parsed.message.as_str(),
            "checksum": explained.computed,
            "signed": shown,
        }));
    } else {
        out.line(&shown);
    }
    Ok(Exit::Ok)
}

/// A JSON body with its `passcode` replaced by `<passcode>`; whether there was one.
fn mask_passcode(body: &str) -> (String, bool) {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str::<serde_json::Value>(body)
    else {
        return (body.to_owned(), false);
    };
    match object.get_mut("passcode") {
        Some(value) if value.as_str().is_some_and(|p| !p.is_empty()) => {
            *value = serde_json::Value::String("<passcode>".to_owned());
            let masked = serde_json::to_string(&object).expect("a JSON value serializes");
            (masked, true)
        }
        _ => (body.to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_is_named_in_kebab_case() {
        let names: Vec<String> = Message::ALL.map(kebab_case).into();
        assert_eq!(
            names,
            [
                "create-order-request",
                "create-order-response",
                "query-order-request",
                "query-order-response",
                "notify",
                "notify-reply",
                "return-ticket",
            ]
        );
    }
}
