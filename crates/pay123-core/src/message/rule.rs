//! [`ValidationError`]: a value that breaks a rule of the specification's parameter tables.

use std::fmt;

/// A field broke a rule of the specification's parameter tables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    /// The field, spelled as on the wire (`custName`, `totalAmount`, ...).
    pub field: &'static str,
    /// The rule it broke.
    pub rule: Rule,
}

impl ValidationError {
    pub(crate) fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

/// A rule of the specification's parameter tables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The field is required and was missing or empty.
    Required,
    /// The field is longer than the specification allows (in characters).
    TooLong {
        /// The maximum length.
        max: usize,
        /// The length given.
        actual: usize,
    },
    /// A character outside ASCII ("Tiếng Việt không dấu" is required).
    NotAscii {
        /// The first offending character.
        character: char,
    },
    /// A character the field does not allow.
    Character {
        /// The first offending character.
        character: char,
        /// What the field allows.
        allowed: &'static str,
    },
    /// `custGender` must be `M`, `F` or `U`.
    Gender,
    /// A date must be written `dd/MM/yyyy`.
    DateFormat,
    /// The date does not exist.
    Date,
    /// An IPv4 address in dotted form was expected.
    Ipv4,
    /// An e-mail address (`name@domain`) was expected.
    Email,
    /// An absolute `http` or `https` URL was expected.
    Url(String),
    /// The amount must be a positive whole number of VND written with digits only.
    Amount,
    /// The amount must be more than 0 VND.
    ZeroAmount,
    /// A whole number written with digits (a timestamp, a code) was expected.
    Number,
    /// A JSON string was expected; 123PAY wants every value as a string.
    NotAString,
    /// A number (`ts`, `time`) must not start with `0`: with leading zeros allowed, the end of
    /// one signed field could be moved into the next (a status `-100` and a `ts` `T` sign the
    /// same string as a status `-10` and a `ts` `0T`).
    LeadingZero,
    /// A transaction status must be `0`, or digits without a leading zero, with a `-` before
    /// them or not, at most 10 characters.
    Status,
    /// An `mTransactionID` created by pay123 must not end with a code of 123PAY's form (`123P`
    /// and capitals, known or not, at any place of the id, the whole id included) followed only
    /// by digits and `-`: joined with the digits of a return code and a `ts`, it would read as a
    /// notify of another order.
    EndsWithBankCode {
        /// The bank code found.
        bank: String,
    },
    /// A `123PAYtransactionId` must be `123P` followed by letters and digits.
    Pay123TransactionId,
    /// A field is given twice: 123PAY sends each field once, and two values could be read
    /// either way (the checksum over one, the order from the other).
    Repeated,
    /// A notify needs `transactionStatus` or `ts`: without both, its signed string ends with the
    /// bank code, as every queryOrder answer's does, and one could be read as the other.
    StatusOrTs,
    /// A notify without `ts` must carry a status of the specification's table: an unknown one
    /// could be the `ts` of a notify without a status, read another way, and replayed for ever.
    UnknownWithoutTs,
    /// A bank code must be `123P` followed by capital letters, at most 20 characters.
    BankCodeForm,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("is required"),
            Self::TooLong { max, actual } => {
                write!(f, "is {actual} characters long, at most {max} are allowed")
            }
            Self::NotAscii { character } => write!(
                f,
                "contains {character:?}: values must be Vietnamese without diacritics \
                 (Tiếng Việt không dấu); convert with pay123_core::text::unaccent"
            ),
            Self::Character { character, allowed } => {
                write!(f, "contains {character:?}; allowed: {allowed}")
            }
            Self::Gender => f.write_str("must be M, F or U"),
            Self::DateFormat => f.write_str("must be written dd/MM/yyyy"),
            Self::Date => f.write_str("is not a real date"),
            Self::Ipv4 => f.write_str("must be an IPv4 address such as 203.113.1.10"),
            Self::Email => f.write_str("must be an e-mail address such as an@shop.vn"),
            Self::Url(reason) => write!(f, "must be an absolute http(s) URL: {reason}"),
            Self::Amount => f.write_str(
                "must be a positive whole number of VND with digits only (\"100000\", not \"100000.0\")",
            ),
            Self::ZeroAmount => f.write_str("must be more than 0 VND"),
            Self::Number => f.write_str("must be a whole number written with digits"),
            Self::LeadingZero => f.write_str(
                "must be written without a leading zero: 123PAY joins signed fields with no \
                 separator, so a leading zero could belong to the field before it",
            ),
            Self::NotAString => f.write_str("must be a JSON string"),
            Self::Status => f.write_str(
                "must be 0, or digits without a leading zero with a - before them or not \
                 (at most 10 characters)",
            ),
            Self::EndsWithBankCode { bank } => write!(
                f,
                "ends with the bank code {bank} (and digits): 123PAY joins signed fields with no \
                 separator, so a signature over this id would also sign a notify of another order; \
                 choose an id that does not end that way"
            ),
            Self::Repeated => f.write_str(
                "is given twice: 123PAY sends each field once, and two values could be read \
                 either way",
            ),
            Self::UnknownWithoutTs => f.write_str(
                "must be a status of the specification's table when ts is absent: an unknown \
                 one could be another notify's ts, read another way",
            ),
            Self::StatusOrTs => f.write_str(
                "is required when ts is absent: a notify with neither ends its signed string with \
                 the bank code, as a queryOrder answer does, and could be one re-cut",
            ),
            Self::Pay123TransactionId => {
                f.write_str("must be 123P followed by letters and digits, such as 123P1707110106640")
            }
            Self::BankCodeForm => {
                f.write_str(
                "must be 123P followed by capital letters (at most 20 characters), such as \
                 123PVCB or 123PAY",
            )
            }
        }
    }
}
