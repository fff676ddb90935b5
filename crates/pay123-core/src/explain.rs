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
//! use pay123_core::explain::{Cause, Verdict, explain};
//! use pay123_core::SecretKey;
//!
//! // The specification's queryOrder answer, as printed: its checksum signs status 10, not 1.
//! let printed = br#"["1","123P1707110106640","1","100000","100000","123PVTB","Thanh cong",
//!     "6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
//! let explained = explain(printed, None, &SecretKey::new("MIKEY"))?;
//! assert_eq!(explained.verdict, Verdict::Mismatch);
//! assert_eq!(
//!     explained.cause,
//!     Some(Cause::ValueChanged { field: "transactionStatus", signed: "10".into() })
//! );
//! # Ok::<(), pay123_core::explain::ExplainError>(())
//! ```

use std::fmt;

use crate::checksum::{self, Field, Message};
use crate::secret::SecretKey;
use crate::status::TransactionStatus;

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
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explanation")
            .field("parsed", &self.parsed)
            .field("computed", &self.computed)
            .field("verdict", &self.verdict)
            .field("cause", &self.cause)
            .field("warnings", &self.warnings)
            .finish()
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
        return if object.contains_key("returnCode") && object.contains_key("ts") {
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
    match message {
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
            Ok(Parsed {
                message,
                values,
                checksum,
                numbers,
                description,
                form: Form::Object(object),
            })
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
            Ok(Parsed {
                message,
                values,
                checksum,
                numbers,
                description,
                form: Form::Array(array),
            })
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
            Ok(Parsed {
                message,
                values,
                checksum: get(checksum_name),
                numbers,
                description: get("description"),
                form: Form::Pairs {
                    prefix: prefix.to_owned(),
                    pairs,
                },
            })
        }
    }
}

/// Reads `input` (see [`parse`]), computes its checksum with `key` and compares it with the one
/// it carries; on a mismatch, finds the mistake that reproduces the checksum given.
pub fn explain(
    input: &[u8],
    message: Option<Message>,
    key: &SecretKey,
) -> Result<Explanation, ExplainError> {
    let parsed = parse(input, message)?;
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
    Ok(Explanation {
        parsed,
        computed,
        verdict,
        cause,
        warnings,
    })
}

/// `input` written back with the checksum computed with `key` (set or replaced), in the form it
/// came: a JSON object or array, a form, a URL.
pub fn sign(
    input: &[u8],
    message: Option<Message>,
    key: &SecretKey,
) -> Result<String, ExplainError> {
    let parsed = parse(input, message)?;
    let checksum = compute(&parsed, &parsed.value_refs(), key);
    Ok(match parsed.form {
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
    })
}

fn compute(parsed: &Parsed, values: &[&str], key: &SecretKey) -> String {
    checksum::compute(parsed.message, values, key).unwrap_or_default()
}

/// Whether `values` signed with `key` give the checksum the message carries.
fn reproduces(parsed: &Parsed, values: &[&str], key: &SecretKey) -> bool {
    let given = parsed.checksum.as_deref().unwrap_or("").trim();
    given.eq_ignore_ascii_case(&compute(parsed, values, key))
}

/// The usual mistakes, tried in turn.
fn find_cause(parsed: &Parsed, key: &SecretKey) -> Option<Cause> {
    let values: Vec<String> = parsed.values.iter().map(|(_, v)| v.clone()).collect();
    let names: Vec<&'static str> = parsed.values.iter().map(|(f, _)| f.as_str()).collect();
    let given = parsed.checksum.as_deref().unwrap_or("").trim();
    let matches = |signed: &str| given.eq_ignore_ascii_case(&hex_digest(parsed.message, signed));
    let concat = values.concat();
    let secret = key.expose_secret();

    // Another digest than the specification's.
    let expected = match parsed.message.algorithm() {
        checksum::Algorithm::Sha1 => 40,
        checksum::Algorithm::Md5 => 32,
    };
    if given.len() != expected && given.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Cause::WrongDigest {
            found: given.len(),
            expected,
        });
    }
    // The key misplaced, missing, fields joined with a separator, a line break at the end.
    if matches(&format!("{secret}{concat}")) {
        return Some(Cause::KeyFirst);
    }
    if matches(&concat) {
        return Some(Cause::KeyLeftOut);
    }
    for separator in ['|', ',', '&', ' ', ';', ':', '+'] {
        let joined = values
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(secret))
            .collect::<Vec<_>>()
            .join(&separator.to_string());
        if matches(&joined) {
            return Some(Cause::Separator { separator });
        }
    }
    if matches(&format!("{concat}{secret}\n")) {
        return Some(Cause::TrailingNewline);
    }

    // A space signed and not sent, at either end of a value.
    for (i, value) in values.iter().enumerate() {
        for padded in [format!("{value} "), format!(" {value}")] {
            let mut tried = values.clone();
            tried[i] = padded;
            if reproduces(parsed, &refs(&tried), key) {
                return Some(Cause::Whitespace {
                    fields: vec![names[i]],
                });
            }
        }
    }
    // Whitespace around values.
    let trimmed: Vec<String> = values.iter().map(|v| v.trim().to_owned()).collect();
    if trimmed != values && reproduces(parsed, &refs(&trimmed), key) {
        let fields = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.trim() != v.as_str())
            .map(|(n, _)| *n)
            .collect();
        return Some(Cause::Whitespace { fields });
    }
    // Diacritics.
    let plain: Vec<String> = values.iter().map(|v| crate::text::unaccent(v)).collect();
    if plain != values && reproduces(parsed, &refs(&plain), key) {
        let fields = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| !v.is_ascii())
            .map(|(n, _)| *n)
            .collect();
        return Some(Cause::Diacritics { fields });
    }
    // A number in another form: `100000.0`, `100000.00`, `1e5`, `100,000`...
    for (i, value) in values.iter().enumerate() {
        for other in number_forms(value) {
            let mut tried = values.clone();
            tried[i].clone_from(&other);
            if reproduces(parsed, &refs(&tried), key) {
                return Some(Cause::NumberFormat {
                    field: names[i],
                    signed: other,
                });
            }
        }
    }
    // Two fields swapped.
    for i in 0..values.len() {
        for j in i + 1..values.len() {
            if values[i] == values[j] {
                continue;
            }
            let mut tried = values.clone();
            tried.swap(i, j);
            if reproduces(parsed, &refs(&tried), key) {
                return Some(Cause::Swapped {
                    first: names[i],
                    second: names[j],
                });
            }
        }
    }
    // The description signed, at any place.
    if let Some(description) = parsed.description.as_deref().filter(|d| !d.is_empty()) {
        for at in 0..=values.len() {
            let mut joined: Vec<&str> = refs(&values);
            joined.insert(at, description);
            let signed = joined.concat();
            let digest = raw_digest(parsed.message, &signed, key);
            let given = parsed.checksum.as_deref().unwrap_or("").trim();
            if given.eq_ignore_ascii_case(&digest) {
                return Some(Cause::UnsignedFieldSigned {
                    field: "description",
                    before: names.get(at).copied(),
                });
            }
        }
    }
    // A field left out (the passcode, most often).
    for i in 0..values.len() {
        if values[i].is_empty() {
            continue;
        }
        let mut kept: Vec<&str> = refs(&values);
        kept.remove(i);
        let digest = raw_digest(parsed.message, &kept.concat(), key);
        let given = parsed.checksum.as_deref().unwrap_or("").trim();
        if given.eq_ignore_ascii_case(&digest) {
            return Some(Cause::FieldLeftOut { field: names[i] });
        }
    }
    // A status changed after signing (the specification's own queryOrder example).
    for (i, (field, _)) in parsed.values.iter().enumerate() {
        if !matches!(
            field,
            Field::TransactionStatus | Field::ReturnCode | Field::Status
        ) {
            continue;
        }
        for status in TransactionStatus::KNOWN {
            let mut tried = values.clone();
            if tried[i] == status.code() {
                continue;
            }
            status.code().clone_into(&mut tried[i]);
            if reproduces(parsed, &refs(&tried), key) {
                return Some(Cause::ValueChanged {
                    field: names[i],
                    signed: status.code().to_owned(),
                });
            }
        }
    }
    // A reply whose ts was computed twice: the checksum signs a ts a little apart.
    if parsed.message == Message::NotifyReply
        && let Some(i) = parsed.values.iter().position(|(f, _)| *f == Field::Ts)
        && let Ok(ts) = values[i].parse::<u64>()
    {
        let unit = if ts >= 100_000_000_000 { 2000 } else { 2 };
        for delta in 1..=unit {
            for candidate in [ts.saturating_sub(delta), ts.saturating_add(delta)] {
                let mut tried = values.clone();
                tried[i] = candidate.to_string();
                if reproduces(parsed, &refs(&tried), key) {
                    return Some(Cause::TsComputedTwice {
                        signed: candidate.to_string(),
                    });
                }
            }
        }
    }
    // The public sandbox key.
    if key.expose_secret() != SANDBOX_KEY
        && reproduces(parsed, &refs(&values), &SecretKey::new(SANDBOX_KEY))
    {
        return Some(Cause::SandboxKey);
    }
    None
}

fn refs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

/// The hex digest of a whole string, as the message's algorithm computes it.
fn hex_digest(message: Message, signed: &str) -> String {
    use md5::Md5;
    use sha1::{Digest, Sha1};
    match message.algorithm() {
        checksum::Algorithm::Sha1 => hex::encode(Sha1::digest(signed.as_bytes())),
        checksum::Algorithm::Md5 => hex::encode(Md5::digest(signed.as_bytes())),
    }
}

/// The digest of a signed string (without the key) followed by the key.
fn raw_digest(message: Message, signed: &str, key: &SecretKey) -> String {
    // `compute` takes one value per field: put the whole string in the first and leave the
    // others empty, which concatenates to the same string.
    let count = message.fields().len() - 1;
    let mut values = vec![""; count];
    if let Some(first) = values.first_mut() {
        *first = signed;
    }
    checksum::compute(message, &values, key).unwrap_or_default()
}

/// Other ways the same number is written.
fn number_forms(value: &str) -> Vec<String> {
    let mut forms = Vec::new();
    if let Some(whole) = value
        .strip_suffix(".0")
        .or_else(|| value.strip_suffix(".00"))
        .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
    {
        forms.push(whole.to_owned());
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        forms.push(format!("{value}.0"));
        forms.push(format!("{value}.00"));
    }
    if let Ok(float) = value.parse::<f64>()
        && float.fract() == 0.0
        && float.abs() < 1e18
        && !value.bytes().all(|b| b.is_ascii_digit())
    {
        forms.push(format!("{float:.0}"));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// What 123PAY refuses whatever the checksum.
fn warnings(parsed: &Parsed) -> Vec<String> {
    let mut warnings = Vec::new();
    for field in &parsed.numbers {
        let value = parsed
            .values
            .iter()
            .find(|(f, _)| f.as_str() == *field)
            .map_or("", |(_, v)| v.as_str());
        warnings.push(format!(
            "{field} is a JSON number: 123PAY wants every value as a JSON string (\"{value}\")"
        ));
    }
    if let Some(given) = &parsed.checksum
        && given.bytes().any(|b| b.is_ascii_uppercase())
    {
        warnings.push(
            "the checksum is in uppercase hex: the specification's checksums are lowercase".into(),
        );
    }
    for (field, value) in &parsed.values {
        if *field == Field::Passcode {
            continue;
        }
        if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
            warnings.push(format!(
                "{field} contains {c:?}: values must be Vietnamese without diacritics (Tiếng Việt \
                 không dấu)"
            ));
        }
        if value.trim() != value {
            warnings.push(format!("{field} has spaces around its value"));
        }
    }
    warnings
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::new("MIKEY")
    }

    const CREATE_ORDER: &str = r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","bankCode":"123PVTB","totalAmount":"100000","clientIP":"127.0.0.1","custName":"","custAddress":"","custGender":"M","custDOB":"","custPhone":"","custMail":"","cancelURL":"https://www.google.com.vn/","redirectURL":"https://www.google.com.vn/","errorURL":"https://www.google.com.vn/","passcode":"MIPASSCODE","checksum":"50a98e764eb6ab1a00d80735fd37dcf582c6b217"}"#;

    #[test]
    fn the_specifications_vectors_match() {
        let vectors: [(&str, Message); 4] = [
            (CREATE_ORDER, Message::CreateOrderRequest),
            (
                r#"["1","123P1707110106638","https://sandbox.123pay.vn/banksim/index.SMARTLINK.123P1707110106638.MICODE.accountNoName.100000.1499789401525.8d538c668ae7c6eac606f28b98aea13d70d14fe0.VjIwMTcwNzExMDAw.123PVTB.html","a57d2f10b8e04e9bc2bb8c3c9c9c70936f4c97c4"]"#,
                Message::CreateOrderResponse,
            ),
            (
                r#"{"mTransactionID":"V20170711001","merchantCode":"MICODE","clientIP":"127.0.0.1","passcode":"MIPASSCODE","checksum":"a297d98f538840bac33a666d4d54ced219cebca1"}"#,
                Message::QueryOrderRequest,
            ),
            (
                "https://shop.vn/return?transactionID=123P1210020000506&time=1349164000&status=1&ticket=0d5b8e8d4aea134c3cd159dd500f3598",
                Message::ReturnTicket,
            ),
        ];
        for (input, message) in vectors {
            assert_eq!(guess(input.as_bytes()), Some(message), "{input}");
            let explained = explain(input.as_bytes(), None, &key()).unwrap();
            assert_eq!(explained.verdict, Verdict::Matches, "{message}");
            assert!(explained.warnings.is_empty(), "{:?}", explained.warnings);
        }
    }

    #[test]
    fn the_misprinted_query_order_answer_is_explained() {
        let printed = r#"["1","123P1707110106640","1","100000","100000","123PVTB","Thanh cong","6a97a55e74b5d5827dc60494f4e6df5311939167"]"#;
        let explained = explain(printed.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Mismatch);
        assert_eq!(
            explained.cause,
            Some(Cause::ValueChanged {
                field: "transactionStatus",
                signed: "10".into()
            })
        );
        let corrected = printed.replacen(r#""1","100000""#, r#""10","100000""#, 1);
        let explained = explain(corrected.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Matches);
    }

    /// The CREATE_ORDER vector signed with a mistake, then sent as it should be.
    fn with(signed_change: impl Fn(&mut serde_json::Map<String, serde_json::Value>)) -> String {
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(CREATE_ORDER).unwrap();
        let mut signed = object.clone();
        signed_change(&mut signed);
        let resigned = sign(
            serde_json::to_string(&signed).unwrap().as_bytes(),
            Some(Message::CreateOrderRequest),
            &key(),
        )
        .unwrap();
        let resigned: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&resigned).unwrap();
        object.insert("checksum".into(), resigned["checksum"].clone());
        serde_json::to_string(&object).unwrap()
    }

    fn cause_of(input: &str) -> Option<Cause> {
        let explained = explain(input.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Mismatch, "{input}");
        explained.cause
    }

    #[test]
    fn each_common_mistake_is_named() {
        // Signed "100000.0", sent "100000".
        let input = with(|o| {
            o.insert("totalAmount".into(), "100000.0".into());
        });
        assert_eq!(
            cause_of(&input),
            Some(Cause::NumberFormat {
                field: "totalAmount",
                signed: "100000.0".into()
            })
        );
        // Sent as a JSON number: the same string is signed, and 123PAY refuses the number.
        let number = CREATE_ORDER.replace(r#""totalAmount":"100000""#, r#""totalAmount":100000"#);
        let explained = explain(number.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Matches);
        assert!(explained.warnings[0].contains("totalAmount is a JSON number"));
        // Signed without diacritics, sent with them.
        let input = with(|o| {
            o.insert("custName".into(), "Nguyen Van A".into());
        })
        .replace(r#""custName":"""#, r#""custName":"Nguyễn Văn A""#);
        assert_eq!(
            cause_of(&input),
            Some(Cause::Diacritics {
                fields: vec!["custName"]
            })
        );
        // Signed trimmed, sent with a space.
        let input = with(|_| {}).replace(r#""custGender":"M""#, r#""custGender":" M ""#);
        assert_eq!(
            cause_of(&input),
            Some(Cause::Whitespace {
                fields: vec!["custGender"]
            })
        );
        // Two fields in each other's place.
        let input = with(|o| {
            o.insert("bankCode".into(), "100000".into());
            o.insert("totalAmount".into(), "123PVTB".into());
        });
        assert_eq!(
            cause_of(&input),
            Some(Cause::Swapped {
                first: "bankCode",
                second: "totalAmount"
            })
        );
        // The public sandbox key in production.
        let explained = explain(CREATE_ORDER.as_bytes(), None, &SecretKey::new("PRODKEY")).unwrap();
        assert_eq!(explained.cause, Some(Cause::SandboxKey));
    }

    #[test]
    fn an_unsigned_description_or_a_missing_passcode_is_found() {
        let key = key();
        let notify = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&description=Thanh+cong&ts=1499789401525";
        let with_description = checksum::compute(
            Message::Notify,
            &["V1", "123PVTB", "1Thanh cong", "1499789401525"],
            &key,
        )
        .unwrap();
        let input = format!("{notify}&checksum={with_description}");
        assert_eq!(
            cause_of(&input),
            Some(Cause::UnsignedFieldSigned {
                field: "description",
                before: Some("ts")
            })
        );
        let without_passcode =
            checksum::compute(Message::QueryOrderRequest, &["V1", "MICODE", "", ""], &key).unwrap();
        let input = format!(
            r#"{{"mTransactionID":"V1","merchantCode":"MICODE","passcode":"MIPASSCODE","checksum":"{without_passcode}"}}"#
        );
        assert_eq!(
            cause_of(&input),
            Some(Cause::FieldLeftOut { field: "passcode" })
        );
    }

    #[test]
    fn sign_writes_the_message_back_with_its_checksum() {
        let form = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&ts=1499789401525";
        let signed = sign(form.as_bytes(), None, &key()).unwrap();
        assert!(signed.starts_with(form), "{signed}");
        assert_eq!(
            explain(signed.as_bytes(), None, &key()).unwrap().verdict,
            Verdict::Matches
        );
        let url = "https://shop.vn/return?transactionID=V1&time=1349164000&status=1";
        let signed = sign(url.as_bytes(), None, &key()).unwrap();
        assert!(signed.starts_with("https://shop.vn/return?transactionID=V1"));
        assert!(signed.contains("&ticket="));
    }

    #[test]
    fn the_passcode_is_never_shown() {
        let explained = explain(CREATE_ORDER.as_bytes(), None, &key()).unwrap();
        let debug = format!("{explained:?}");
        assert!(!debug.contains("MIPASSCODE"), "{debug}");
        assert!(!debug.contains("MIKEY"), "{debug}");
        assert!(
            explained
                .parsed
                .masked_values()
                .iter()
                .any(|(f, v)| *f == Field::Passcode && v == "<passcode, 10 characters>")
        );
    }

    #[test]
    fn unreadable_input_is_named() {
        assert_eq!(guess(b"hello"), None);
        assert_eq!(explain(b"hello", None, &key()), Err(ExplainError::Unknown));
        let failure = explain(
            br#"["6000","Sai checksum"]"#,
            Some(Message::CreateOrderResponse),
            &key(),
        );
        assert_eq!(
            failure,
            Err(ExplainError::FailureAnswer {
                code: "6000".into()
            })
        );
        let e = explain(b"[1,2,3]", Some(Message::QueryOrderResponse), &key()).unwrap_err();
        assert!(e.to_string().contains("8 items are expected"), "{e}");
    }

    fn sha1(text: &str) -> String {
        use sha1::{Digest, Sha1};
        hex::encode(Sha1::digest(text.as_bytes()))
    }

    #[test]
    fn hand_made_mistakes_are_named() {
        let form = "mTransactionID=V1&bankCode=123PVTB&transactionStatus=1&ts=1499789401525";
        let with = |checksum: String| format!("{form}&checksum={checksum}");
        let concat = "V1123PVTB11499789401525";
        assert_eq!(
            cause_of(&with(sha1(&format!("MIKEY{concat}")))),
            Some(Cause::KeyFirst)
        );
        assert_eq!(cause_of(&with(sha1(concat))), Some(Cause::KeyLeftOut));
        assert_eq!(
            cause_of(&with(sha1("V1|123PVTB|1|1499789401525|MIKEY"))),
            Some(Cause::Separator { separator: '|' })
        );
        assert_eq!(
            cause_of(&with(sha1(&format!("{concat}MIKEY\n")))),
            Some(Cause::TrailingNewline)
        );
        assert_eq!(
            cause_of(&with("ab".repeat(32))),
            Some(Cause::WrongDigest {
                found: 64,
                expected: 40
            })
        );
        // A space signed, not sent.
        assert_eq!(
            cause_of(&with(sha1("V1 123PVTB11499789401525MIKEY"))),
            Some(Cause::Whitespace {
                fields: vec!["mTransactionID"]
            })
        );
        // A reply whose ts was read twice from the clock.
        let reply = format!(
            r#"{{"mTransactionID":"V1","returnCode":"1","ts":"1499789401526","checksum":"{}"}}"#,
            sha1("V111499789401525MIKEY")
        );
        assert_eq!(
            cause_of(&reply),
            Some(Cause::TsComputedTwice {
                signed: "1499789401525".into()
            })
        );
        // Uppercase hex matches, with a warning.
        let upper = with(sha1(&format!("{concat}MIKEY")).to_uppercase());
        let explained = explain(upper.as_bytes(), None, &key()).unwrap();
        assert_eq!(explained.verdict, Verdict::Matches);
        assert!(explained.warnings.iter().any(|w| w.contains("uppercase")));
    }
}
