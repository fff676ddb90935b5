//! Why a checksum does not match: the answer to 123PAY's error `6000`.
//!
//! [`explain`] reads any signed message of the protocol as it travels (a createOrder or
//! queryOrder request body, their answers, a notify as a form or a query string, a notify reply,
//! a return URL), lists the fields in signing order, computes the checksum with the key, and
//! compares it with the one the message carries. When they differ, it tries the usual mistakes
//! one by one and names the one that reproduces the checksum given: whitespace around a value,
//! diacritics, a number written differently (`100000.0`), two fields swapped, an unsigned field
//! signed (`description`), the passcode left out, a value changed after signing, the public
//! sandbox key. [`sign`] writes the message back with the right checksum.
//!
//! ```
//! use pay123_sandbox::explain::{Cause, Verdict, explain, parse};
//! use pay123_core::SecretKey;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The specification's queryOrder answer, as printed: its checksum signs status 10, not 1.
//! let printed = br#"["1","123P1707110106640","1","100000","100000","123PVTB","Thanh cong",
//!     "6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
//! let explained = explain(parse(printed, None)?, &SecretKey::new("MIKEY"));
//! assert_eq!(explained.verdict, Verdict::Mismatch);
//! assert_eq!(
//!     explained.cause,
//!     Some(Cause::ValueChanged { field: "transactionStatus", signed: "10".into() })
//! );
//! # Ok(())
//! # }
//! ```

use std::fmt;

use pay123_core::SecretKey;
use pay123_core::checksum::{Field, Message};

/// The public sandbox's secret key, the specification's `MIKEY`.
const SANDBOX_KEY: &str = "MIKEY";

/// A message read for [`explain`] or [`sign`]: which one it is, its signed fields in order, and
/// what else it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Which message.
    pub message: Message,
    /// The value of each signed field, in signing order, without the secret key (absent fields
    /// are empty).
    pub values: Vec<(Field, String)>,
    /// The checksum the message carries (`checksum`, or `ticket` for a return URL).
    pub checksum: Option<String>,
    /// Fields sent as JSON numbers (123PAY wants strings).
    pub numbers: Vec<&'static str>,
    /// The `description` sent, which is never signed.
    pub description: Option<String>,
    form: Form,
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("message", &self.message)
            .field("values", &masked_values(&self.values))
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

/// How the message was written, to write it back signed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Object(serde_json::Map<String, serde_json::Value>),
    Array(Vec<serde_json::Value>),
    Pairs {
        /// Everything before the query string (a URL's scheme, host and path, and `?`).
        prefix: String,
        pairs: Vec<(String, String)>,
    },
}

/// Whether the checksum matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The checksum given is the one computed.
    Matches,
    /// The message carries no checksum.
    Missing,
    /// The checksum given differs from the one computed.
    Mismatch,
}

/// The mistake that reproduces the checksum given, found by trying each in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The values were signed without their surrounding whitespace, and sent with it (or the
    /// reverse).
    Whitespace {
        /// The fields with whitespace.
        fields: Vec<&'static str>,
    },
    /// The values were signed without diacritics and sent with them (123PAY wants Vietnamese
    /// without diacritics, in both).
    Diacritics {
        /// The fields with diacritics.
        fields: Vec<&'static str>,
    },
    /// A number was signed in one form and sent in another (`100000` and `100000.0`).
    NumberFormat {
        /// The field.
        field: &'static str,
        /// The form that was signed.
        signed: String,
    },
    /// Two fields were signed in each other's place.
    Swapped {
        /// The first.
        first: &'static str,
        /// The second.
        second: &'static str,
    },
    /// A field that is never signed was signed, at this place.
    UnsignedFieldSigned {
        /// The field (`description`).
        field: &'static str,
        /// The signed field it was signed before (`None`: at the end, before the key).
        before: Option<&'static str>,
    },
    /// A field was left out of the signed string.
    FieldLeftOut {
        /// The field.
        field: &'static str,
    },
    /// A value was changed after signing: the checksum signs `signed`.
    ValueChanged {
        /// The field.
        field: &'static str,
        /// The value the checksum signs.
        signed: String,
    },
    /// The checksum was made with the public sandbox key `MIKEY`, not this key.
    SandboxKey,
    /// The checksum is not of the message's digest: `found` hex digits where the specification's
    /// digest has `expected` (SHA-256 has 64, SHA1 40, MD5 32).
    WrongDigest {
        /// The hex digits given.
        found: usize,
        /// The hex digits of the message's digest.
        expected: usize,
    },
    /// The secret key was put first, not last.
    KeyFirst,
    /// The secret key was left out of the signed string.
    KeyLeftOut,
    /// The fields were joined with this separator; the specification joins them with nothing.
    Separator {
        /// The separator.
        separator: char,
    },
    /// The signed string ended with a line break (`echo` without `-n`, a file's last line).
    TrailingNewline,
    /// The reply's `ts` was computed twice: the checksum signs `signed`, the field says
    /// another. Compute it once and use it in both.
    TsComputedTwice {
        /// The `ts` the checksum signs.
        signed: String,
    },
}

/// What [`explain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// The message read.
    pub parsed: Parsed,
    /// The checksum computed with the key.
    pub computed: String,
    /// Whether the checksum given matches.
    pub verdict: Verdict,
    /// On a mismatch, the mistake that reproduces the checksum given, if one does. `None` on a
    /// mismatch: the key differs, or values were changed in a way no rule guesses.
    pub cause: Option<Cause>,
    /// What 123PAY would refuse even with a right checksum (a JSON number, diacritics, spaces).
    pub warnings: Vec<String>,
}

impl Explanation {
    /// The explanation as plain text, for someone other than the key's holder (the sandbox's
    /// refusals and dashboard): the fields in signing order (the passcode masked, the key never
    /// shown), the checksum given, the verdict, the likely cause and the warnings; never the
    /// checksum computed, which would sign values the sender chose (`pay123 checksum explain`,
    /// run by the key's holder, shows it).
    #[must_use]
    pub fn report(&self) -> String {
        use std::fmt::Write as _;
        let message = self.parsed.message;
        let mut out = format!(
            "{message}: {} of {}\n",
            message.algorithm_name(),
            message.field_order()
        );
        let fields = self.parsed.masked_values();
        for (i, (field, value)) in fields.iter().enumerate() {
            let _ = writeln!(out, "{:>3}  {:<16} {value:?}", i + 1, field.as_str());
        }
        let _ = writeln!(
            out,
            "{:>3}  {:<16} <secret key>",
            fields.len() + 1,
            Field::SecretKey.as_str()
        );
        let given = self.parsed.checksum.as_deref().unwrap_or("(none)");
        // Never the right checksum: of values the sender chose, joined without separators, it
        // would sign a message of another cut (a notify within a reply's id).
        let _ = writeln!(out, "given     {given}");
        let _ = match (self.verdict, &self.cause) {
            (Verdict::Matches, _) => writeln!(out, "the checksum matches"),
            (Verdict::Missing, _) => writeln!(out, "the message carries no checksum"),
            (Verdict::Mismatch, Some(cause)) => {
                writeln!(out, "the checksum does not match\nlikely cause: {cause}")
            }
            (Verdict::Mismatch, None) => writeln!(
                out,
                "the checksum does not match\nlikely cause: another secret key, or a value \
                 changed after signing: compare each field above with the string your code hashes"
            ),
        };
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        out
    }
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// Which message it is could not be told: name it.
    #[error(
        "cannot tell which message this is; name it (createOrder request or response, queryOrder \
         request or response, notify, notify reply, return ticket)"
    )]
    Unknown,
    /// The input is not the form the message travels in.
    #[error("not a {message}: {reason}")]
    Malformed {
        /// The message expected.
        message: Message,
        /// What is wrong.
        reason: String,
    },
    /// A failure answer (`[returnCode, description]`) carries no checksum.
    #[error(
        "a failure answer [returnCode, description] carries no checksum: 123PAY answered {code}"
    )]
    FailureAnswer {
        /// The return code.
        code: String,
    },
}

/// The fields and values with the passcode masked.
fn masked_values(values: &[(Field, String)]) -> Vec<(Field, String)> {
    values
        .iter()
        .map(|(field, value)| {
            let shown = if *field == Field::Passcode {
                format!("<passcode, {} characters>", value.chars().count())
            } else {
                value.clone()
            };
            (*field, shown)
        })
        .collect()
}

impl Parsed {
    /// The values, the passcode masked: fit to print.
    #[must_use]
    pub fn masked_values(&self) -> Vec<(Field, String)> {
        masked_values(&self.values)
    }

    fn value_refs(&self) -> Vec<&str> {
        self.values.iter().map(|(_, v)| v.as_str()).collect()
    }
}

/// Which message `input` most likely is, from its shape and field names.
#[must_use]
pub fn guess(input: &[u8]) -> Option<Message> {
    let text = std::str::from_utf8(input).ok()?.trim();
    if text.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
        // Only a notify reply has `returnCode`; its `ts` may be left out.
        return if object.contains_key("returnCode") {
            Some(Message::NotifyReply)
        } else if object.contains_key("totalAmount") || object.contains_key("redirectURL") {
            Some(Message::CreateOrderRequest)
        } else if object.contains_key("merchantCode") {
            Some(Message::QueryOrderRequest)
        } else {
            None
        };
    }
    if text.starts_with('[') {
        let array: Vec<serde_json::Value> = serde_json::from_str(text).ok()?;
        return match array.len() {
            4 => Some(Message::CreateOrderResponse),
            8 => Some(Message::QueryOrderResponse),
            _ => None,
        };
    }
    let (_, query) = split_query(text);
    let names: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, _)| k.into_owned())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("ticket") || (has("time") && has("transactionID")) {
        Some(Message::ReturnTicket)
    } else if has("transactionStatus") || has("bankCode") {
        Some(Message::Notify)
    } else {
        None
    }
}

/// `(prefix, query)`: a URL's query string (after `?`), or the whole text when it is a bare
/// form.
fn split_query(text: &str) -> (&str, &str) {
    match text.find('?') {
        Some(at) => text.split_at(at + 1),
        None if text.contains("://") => (text, ""),
        None => ("", text),
    }
}

/// Reads `input` as `message` (or the message [`guess`] finds).
pub fn parse(input: &[u8], message: Option<Message>) -> Result<Parsed, ExplainError> {
    let message = message
        .or_else(|| guess(input))
        .ok_or(ExplainError::Unknown)?;
    let malformed = |reason: String| ExplainError::Malformed { message, reason };
    let text = std::str::from_utf8(input)
        .map_err(|_| malformed("not UTF-8 text".into()))?
        .trim();
    let fields: Vec<Field> = message
        .fields()
        .iter()
        .copied()
        .filter(|f| *f != Field::SecretKey)
        .collect();
    let mut numbers = Vec::new();
    let (values, checksum, description, form) = match message {
        Message::CreateOrderRequest | Message::QueryOrderRequest | Message::NotifyReply => {
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
                .map_err(|e| malformed(format!("a JSON object is expected ({e})")))?;
            let mut values = Vec::new();
            for field in &fields {
                let value = match object.get(field.as_str()) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => {
                        numbers.push(field.as_str());
                        n.to_string()
                    }
                    Some(other) => other.to_string(),
                };
                values.push((*field, value));
            }
            let checksum = object
                .get("checksum")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            let description = object
                .get("description")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            (values, checksum, description, Form::Object(object))
        }
        Message::CreateOrderResponse | Message::QueryOrderResponse => {
            let array: Vec<serde_json::Value> = serde_json::from_str(text)
                .map_err(|e| malformed(format!("a JSON array is expected ({e})")))?;
            let text_of = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            if array.len() == 2 {
                return Err(ExplainError::FailureAnswer {
                    code: array.first().map(text_of).unwrap_or_default(),
                });
            }
            // createOrder: [returnCode, id, redirectURL, checksum]; queryOrder: [returnCode,
            // id, status, totalAmount, opAmount, bankCode, description, checksum].
            let (signed, expected) = match message {
                Message::CreateOrderResponse => (3, 4),
                _ => (6, 8),
            };
            if array.len() != expected {
                return Err(malformed(format!(
                    "{expected} items are expected, not {}",
                    array.len()
                )));
            }
            let values = fields
                .iter()
                .zip(&array[..signed])
                .map(|(field, v)| {
                    if v.is_number() {
                        numbers.push(field.as_str());
                    }
                    (*field, text_of(v))
                })
                .collect();
            let description = (expected == 8).then(|| text_of(&array[6]));
            let checksum = array.last().map(text_of);
            (values, checksum, description, Form::Array(array))
        }
        Message::Notify | Message::ReturnTicket => {
            let (prefix, query) = split_query(text);
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if pairs.is_empty() {
                return Err(malformed("a form or a query string is expected".into()));
            }
            // The last of a repeated field, as the verifier reads it.
            let get = |name: &str| {
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let values = fields
                .iter()
                .map(|f| (*f, get(f.as_str()).unwrap_or_default()))
                .collect();
            let checksum_name = if message == Message::ReturnTicket {
                "ticket"
            } else {
                "checksum"
            };
            let (checksum, description) = (get(checksum_name), get("description"));
            let prefix = prefix.to_owned();
            (values, checksum, description, Form::Pairs { prefix, pairs })
        }
        _ => {
            return Err(malformed(
                "a message this explainer does not read yet".into(),
            ));
        }
    };
    Ok(Parsed {
        message,
        values,
        checksum,
        numbers,
        description,
        form,
    })
}

/// Computes the checksum of a message read by [`parse`] with `key` and compares it with the one
/// it carries; on a mismatch, finds the mistake that reproduces the checksum given.
pub fn explain(parsed: Parsed, key: &SecretKey) -> Explanation {
    let computed = compute(&parsed, &parsed.value_refs(), key);
    let verdict = match parsed.checksum.as_deref().map(str::trim) {
        None | Some("") => Verdict::Missing,
        Some(given) if given.eq_ignore_ascii_case(&computed) => Verdict::Matches,
        Some(_) => Verdict::Mismatch,
    };
    let cause = if verdict == Verdict::Mismatch {
        find_cause(&parsed, key)
    } else {
        None
    };
    let warnings = warnings(&parsed);
    Explanation {
        parsed,
        computed,
        verdict,
        cause,
        warnings,
    }
}

/// A message read by [`parse`] written back with the checksum computed with `key` (set or
/// replaced), in the form it came: a JSON object or array, a form, a URL.
pub fn sign(parsed: Parsed, key: &SecretKey) -> String {
    let checksum = compute(&parsed, &parsed.value_refs(), key);
    match parsed.form {
        Form::Object(mut object) => {
            object.insert("checksum".into(), serde_json::Value::String(checksum));
            serde_json::to_string(&object).expect("a JSON value serializes")
        }
        Form::Array(mut array) => {
            if let Some(last) = array.last_mut() {
                *last = serde_json::Value::String(checksum);
            }
            serde_json::to_string(&array).expect("a JSON value serializes")
        }
        Form::Pairs { prefix, mut pairs } => {
            let name = if parsed.message == Message::ReturnTicket {
                "ticket"
            } else {
                "checksum"
            };
            match pairs.iter_mut().find(|(k, _)| k == name) {
                Some(pair) => pair.1 = checksum,
                None => pairs.push((name.to_owned(), checksum)),
            }
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            format!("{prefix}{query}")
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Whitespace { fields } => write!(
                f,
                "the checksum signs {} without the spaces around it: trim before signing and \
                 sending",
                fields.join(", ")
            ),
            Self::Diacritics { fields } => write!(
                f,
                "the checksum signs {} without diacritics, and they were sent with them: send \
                 what you sign, unaccented (pay123_core::text::unaccent)",
                fields.join(", ")
            ),
            Self::NumberFormat { field, signed } => write!(
                f,
                "the checksum signs {field} written {signed:?}: sign and send the same string \
                 (whole VND, digits only)"
            ),
            Self::Swapped { first, second } => write!(
                f,
                "the checksum signs {first} and {second} in each other's place: sign the fields \
                 in the specification's order"
            ),
            Self::UnsignedFieldSigned { field, before } => match before {
                Some(next) => write!(
                    f,
                    "the checksum signs {field} (before {next}), which is never signed"
                ),
                None => write!(
                    f,
                    "the checksum signs {field} (before the key), which is never signed"
                ),
            },
            Self::FieldLeftOut { field } => {
                write!(f, "the checksum leaves {field} out of the signed string")
            }
            Self::ValueChanged { field, signed } => write!(
                f,
                "the checksum signs {field} {signed:?}: the value was changed after signing"
            ),
            Self::SandboxKey => f.write_str(
                "the checksum was made with the public sandbox key MIKEY, not this merchant's key",
            ),
            Self::WrongDigest { found, expected } => write!(
                f,
                "the checksum has {found} hex digits, the message's digest {expected}: {}",
                match (found, expected) {
                    (64, _) => "it looks like SHA-256; use the specification's digest",
                    (40, 32) => "it looks like SHA1; the return ticket is MD5",
                    (32, 40) => "it looks like MD5; this message is SHA1",
                    _ => "use the specification's digest",
                }
            ),
            Self::KeyFirst => f.write_str(
                "the checksum puts the secret key first: the key comes last, after every field",
            ),
            Self::KeyLeftOut => {
                f.write_str("the checksum leaves the secret key out: append it after the fields")
            }
            Self::Separator { separator } => write!(
                f,
                "the checksum joins the fields with {separator:?}: join them with nothing"
            ),
            Self::TrailingNewline => f.write_str(
                "the signed string ends with a line break (echo without -n?): sign it without",
            ),
            Self::TsComputedTwice { signed } => write!(
                f,
                "the checksum signs ts {signed:?}, the reply says another: compute ts once and use \
                 it in both"
            ),
        }
    }
}

mod cause;
#[cfg(test)]
mod tests;

use cause::{compute, find_cause, warnings};
