//! Finding why a checksum does not match: the mistakes integrations make, tried one by one.

use pay123_core::checksum::{self, Field, Message};
use pay123_core::{SecretKey, TransactionStatus};

use super::{Cause, Parsed, SANDBOX_KEY};

pub(super) fn compute(parsed: &Parsed, values: &[&str], key: &SecretKey) -> String {
    checksum::compute(parsed.message, values, key).unwrap_or_default()
}

/// Whether `values` signed with `key` give the checksum the message carries.
pub(super) fn reproduces(parsed: &Parsed, values: &[&str], key: &SecretKey) -> bool {
    let given = parsed.checksum.as_deref().unwrap_or("").trim();
    given.eq_ignore_ascii_case(&compute(parsed, values, key))
}

/// The usual mistakes, tried in turn.
pub(super) fn find_cause(parsed: &Parsed, key: &SecretKey) -> Option<Cause> {
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
    let plain: Vec<String> = values
        .iter()
        .map(|v| pay123_core::text::unaccent(v))
        .collect();
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

pub(super) fn refs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

/// The hex digest of a whole string, as the message's algorithm computes it.
pub(super) fn hex_digest(message: Message, signed: &str) -> String {
    use md5::Md5;
    use sha1::{Digest, Sha1};
    match message.algorithm() {
        checksum::Algorithm::Sha1 => hex::encode(Sha1::digest(signed.as_bytes())),
        checksum::Algorithm::Md5 => hex::encode(Md5::digest(signed.as_bytes())),
    }
}

/// The digest of a signed string (without the key) followed by the key.
pub(super) fn raw_digest(message: Message, signed: &str, key: &SecretKey) -> String {
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
pub(super) fn number_forms(value: &str) -> Vec<String> {
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
pub(super) fn warnings(parsed: &Parsed) -> Vec<String> {
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
