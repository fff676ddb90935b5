//! The rules of the specification's parameter tables, one function per rule.

use std::net::Ipv4Addr;

use crate::message::rule::{Rule, ValidationError};

pub(crate) fn required(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::new(field, Rule::Required))
    } else {
        Ok(())
    }
}

pub(crate) fn max_len(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    // A string has at most as many characters as bytes: most values need no count.
    if value.len() <= max {
        return Ok(());
    }
    let actual = value.chars().count();
    if actual > max {
        Err(ValidationError::new(field, Rule::TooLong { max, actual }))
    } else {
        Ok(())
    }
}

/// ASCII only ("Tiếng Việt không dấu"), no control characters, at most `max` characters.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    // Checked over the bytes first; the characters are looked at only to name the wrong one.
    if !value.is_ascii()
        && let Some(character) = value.chars().find(|c| !c.is_ascii())
    {
        return Err(ValidationError::new(field, Rule::NotAscii { character }));
    }
    if value.bytes().any(|b| b.is_ascii_control())
        && let Some(character) = value.chars().find(char::is_ascii_control)
    {
        return Err(ValidationError::new(
            field,
            Rule::Character {
                character,
                allowed: "printable characters",
            },
        ));
    }
    max_len(field, value, max)
}

/// An identifier or code: visible ASCII without spaces.
pub(crate) fn token(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    text(field, value, max)?;
    if !value.bytes().all(|b| b.is_ascii_graphic())
        && let Some(character) = value.chars().find(|c| !c.is_ascii_graphic())
    {
        return Err(ValidationError::new(
            field,
            Rule::Character {
                character,
                allowed: "visible ASCII characters without spaces",
            },
        ));
    }
    Ok(())
}

/// `mTransactionID`, as createOrder takes it: required, visible ASCII without spaces, at most 50
/// characters, and not ending with a bank code (and digits).
///
/// 123PAY joins signed fields with no separator. The notify signs `mTransactionID + bankCode +
/// transactionStatus + ts` and the merchant's reply signs `mTransactionID + returnCode + ts`; for
/// an id such as `ORDER123PVCB` (or `ORDER123PVCB720`) the reply's signed string is also the
/// signed string of a notify for the order `ORDER` from bank `123PVCB`. Every bank code has
/// letters and every status, return code and `ts` is digits, so an id without a bank code
/// followed only by digits and `-` can never be read as the start of a notify. The listener
/// accepts such ids from 123PAY (an order created elsewhere) but leaves them out of its reply.
pub(crate) fn m_transaction_id(field: &'static str, value: &str) -> Result<(), ValidationError> {
    required(field, value)?;
    token(field, value, 50)?;
    if let Some(bank) = crate::message::bank::trailing_bank_code(value) {
        return Err(ValidationError::new(
            field,
            Rule::EndsWithBankCode {
                bank: bank.to_owned(),
            },
        ));
    }
    Ok(())
}

/// An `mTransactionID` as 123PAY may send it back (a notify, a return redirect) or as a
/// merchant may query it: an order this SDK did not create (by another system, before the
/// merchant moved to pay123) keeps its id. The specification gives it 50 characters and no
/// alphabet, so only what no id can hold is refused: a control character. Empty is allowed here
/// (the notify table does not require it); callers that need one check [`required`].
pub(crate) fn received_m_transaction_id(
    field: &'static str,
    value: &str,
) -> Result<(), ValidationError> {
    if let Some(character) = value.chars().find(|c| c.is_control()) {
        return Err(ValidationError::new(
            field,
            Rule::Character {
                character,
                allowed: "any character but control characters",
            },
        ));
    }
    max_len(field, value, 50)
}

/// A `transactionStatus` as 123PAY writes it (a notify, a queryOrder answer): `0`, or digits
/// without a leading zero, with a `-` before them or not, at most 10 characters. A code 123PAY
/// adds later is read (as pending); a leading zero, which could belong to the field before or
/// after it in a signed string, is refused, and so is `-0`.
pub(crate) fn status(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && value != "-0"
        && value.len() <= 10;
    if canonical {
        Ok(())
    } else if value.is_empty() {
        Err(ValidationError::new(field, Rule::Required))
    } else {
        Err(ValidationError::new(field, Rule::Status))
    }
}

/// A `123PAYtransactionId` in an answer of 123PAY: `123P` then letters and digits, at most 50
/// characters, or empty (queryOrder's answer for a transaction 123PAY does not know). 123PAY
/// signs its answers' fields joined with no separator; each field held to its own form leaves
/// fewer ways to cut a signed string into other fields.
pub(crate) fn pay123_transaction_id(
    field: &'static str,
    value: &str,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Ok(());
    }
    max_len(field, value, 50)?;
    let rest = value.strip_prefix("123P").unwrap_or("");
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ValidationError::new(field, Rule::Pay123TransactionId));
    }
    Ok(())
}

/// A `bankCode`: empty (no bank yet, in a queryOrder answer), or of 123PAY's form, `123P` then
/// capital letters, at most 20 characters: the alphabet of 123PAY's codes, not the list of
/// 2017's banks (a bank added later is still read). Callers that need one check [`required`].
pub(crate) fn bank_code(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || crate::message::bank::has_bank_code_form(value) {
        Ok(())
    } else {
        Err(ValidationError::new(field, Rule::BankCodeForm))
    }
}

/// The description: letters, digits, spaces and `. : , - _` only.
pub(crate) fn description(value: &str) -> Result<(), ValidationError> {
    const FIELD: &str = "description";
    text(FIELD, value, 255)?;
    if let Some(character) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | ':' | ',' | '-' | '_')))
    {
        return Err(ValidationError::new(
            FIELD,
            Rule::Character {
                character,
                allowed: "letters, digits, spaces and . : , - _",
            },
        ));
    }
    Ok(())
}

/// An IPv4 address in canonical dotted form.
pub(crate) fn ipv4(field: &'static str, value: &str) -> Result<(), ValidationError> {
    match value.parse::<Ipv4Addr>() {
        Ok(ip) if ip.to_string() == value => Ok(()),
        _ => Err(ValidationError::new(field, Rule::Ipv4)),
    }
}

/// An absolute http(s) URL of ASCII characters, at most `max` long.
pub(crate) fn url(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    text(field, value, max)?;
    let parsed = url::Url::parse(value)
        .map_err(|e| ValidationError::new(field, Rule::Url(e.to_string())))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ValidationError::new(
            field,
            Rule::Url(format!("scheme {:?} is not http or https", parsed.scheme())),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ValidationError::new(field, Rule::Url("no host".into())));
    }
    if value.contains(char::is_whitespace) {
        return Err(ValidationError::new(
            field,
            Rule::Url("contains a space".into()),
        ));
    }
    // The URL is signed and used as written, so it must be well formed as written, not only
    // after the parser's normalisation (which reads `http:///x` or `http:\\x` as `http://x/`).
    let authority = value.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    if authority.is_empty() || value.contains('\\') {
        return Err(ValidationError::new(
            field,
            Rule::Url("write it as scheme://host/path".into()),
        ));
    }
    Ok(())
}

/// A date `dd/MM/yyyy` that exists.
pub(crate) fn date(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let b = value.as_bytes();
    let shape = b.len() == 10
        && b[2] == b'/'
        && b[5] == b'/'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit());
    if !shape {
        return Err(ValidationError::new(field, Rule::DateFormat));
    }
    let n = |r: std::ops::Range<usize>| value[r].parse::<u32>().unwrap_or(0);
    let (day, month, year) = (n(0..2), n(3..5), n(6..10));
    let year = i32::try_from(year).map_err(|_| ValidationError::new(field, Rule::Date))?;
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .map(|_| ())
        .ok_or_else(|| ValidationError::new(field, Rule::Date))
}

/// A whole number written with digits and no leading zero (ts, time), at most `max` characters.
///
/// The leading zero matters: `ts` follows `transactionStatus` in a notify's signed string, and
/// `-100` + `T` is the same string as `-10` + `0T`. Refusing `0T` leaves one way to read it.
pub(crate) fn number(field: &'static str, value: &str, max: usize) -> Result<u64, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::Required));
    }
    max_len(field, value, max)?;
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Rule::Number));
    }
    if value.len() > 1 && value.starts_with('0') {
        return Err(ValidationError::new(field, Rule::LeadingZero));
    }
    value
        .parse::<u64>()
        .map_err(|_| ValidationError::new(field, Rule::Number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(date("custDOB", "29/02/2024").is_ok());
        assert_eq!(date("custDOB", "29/02/2023").unwrap_err().rule, Rule::Date);
        assert_eq!(date("custDOB", "31/04/2020").unwrap_err().rule, Rule::Date);
        assert_eq!(date("custDOB", "00/01/2020").unwrap_err().rule, Rule::Date);
        assert_eq!(
            date("custDOB", "1/1/2020").unwrap_err().rule,
            Rule::DateFormat
        );
        assert_eq!(
            date("custDOB", "2020-01-01").unwrap_err().rule,
            Rule::DateFormat
        );
        assert_eq!(date("custDOB", "01/13/2020").unwrap_err().rule, Rule::Date);
    }

    #[test]
    fn ips() {
        assert!(ipv4("clientIP", "127.0.0.1").is_ok());
        for bad in [
            "::1",
            "256.1.1.1",
            "1.2.3",
            "01.2.3.4",
            "localhost",
            " 1.2.3.4",
        ] {
            assert_eq!(ipv4("clientIP", bad).unwrap_err().rule, Rule::Ipv4, "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(url("redirectURL", "https://shop.vn/return?x=1", 1000).is_ok());
        assert!(url("redirectURL", "http://127.0.0.1:3000/return", 1000).is_ok());
        for bad in [
            "shop.vn/return",
            "ftp://shop.vn/",
            "javascript:alert(1)",
            "/return",
            "http:///x",
            "http:x.vn/a",
            "https:\\\\x.vn\\a",
        ] {
            assert!(
                matches!(
                    url("redirectURL", bad, 1000).unwrap_err().rule,
                    Rule::Url(_)
                ),
                "{bad}"
            );
        }
        let long = format!("https://shop.vn/{}", "a".repeat(1000));
        assert!(matches!(
            url("redirectURL", &long, 1000).unwrap_err().rule,
            Rule::TooLong { max: 1000, .. }
        ));
    }

    #[test]
    fn descriptions() {
        assert!(description("Don hang 12: ao thun, size M - mau_do.").is_ok());
        let e = description("Đơn hàng").unwrap_err();
        assert_eq!(e.rule, Rule::NotAscii { character: 'Đ' });
        assert!(e.to_string().contains("unaccent"));
        assert!(matches!(
            description("50% off!").unwrap_err().rule,
            Rule::Character { character: '%', .. }
        ));
    }

    #[test]
    fn codes_and_numbers() {
        assert!(status("transactionStatus", "-100").is_ok());
        assert!(status("transactionStatus", "1").is_ok());
        assert!(status("transactionStatus", "-").is_err());
        assert!(status("transactionStatus", "1a").is_err());
        assert_eq!(number("ts", "1499789401525", 30), Ok(1_499_789_401_525));
        assert!(number("ts", "14997894015.25", 30).is_err());
        assert_eq!(number("ts", "0", 30), Ok(0));
        assert_eq!(
            number("ts", "01499789401525", 30).unwrap_err().rule,
            Rule::LeadingZero
        );
    }
}
