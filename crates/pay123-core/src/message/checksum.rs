//! The checksums of all seven messages, from one table of field orders.
//!
//! Every checksum is the lowercase hex digest (SHA1, MD5 for the return ticket) of the plain
//! concatenation of the message's fields in the order of [`Message::fields`], the secret key last.
//! Absent optional fields count as the empty string. `description` and `addInfo` are never signed.
//! Verification decodes the received hex and compares the digests in constant time.

use std::fmt;

use md5::Md5;
use sha1::{Digest, Sha1};

use crate::message::secret::SecretKey;

/// Defines [`Field`] from one table: each variant with its name on the wire.
macro_rules! fields {
    ($( $variant:ident = $wire:literal $(, $note:literal)?; )*) => {
        /// A field that takes part in a checksum, spelled as on the wire.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Field {
            $( #[doc = concat!("`", $wire, "`", $(" ", $note)?)] $variant, )*
        }

        impl Field {
            /// The field's name on the wire.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $wire, )*
                }
            }
        }
    };
}

fields! {
    MTransactionId = "mTransactionID";
    MerchantCode = "merchantCode";
    BankCode = "bankCode";
    TotalAmount = "totalAmount";
    ClientIp = "clientIP";
    CustName = "custName";
    CustAddress = "custAddress";
    CustGender = "custGender";
    CustDob = "custDOB";
    CustPhone = "custPhone";
    CustMail = "custMail";
    CancelUrl = "cancelURL";
    RedirectUrl = "redirectURL";
    ErrorUrl = "errorURL";
    Passcode = "passcode";
    ReturnCode = "returnCode";
    TransactionId123Pay = "123PAYtransactionId";
    TransactionStatus = "transactionStatus";
    OpAmount = "opAmount";
    Ts = "ts";
    Status = "status", "(return redirect)";
    Time = "time", "(return redirect)";
    TransactionId = "transactionID", "(return redirect)";
    SecretKey = "secretKey", "(always last)";
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed message of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Message {
    /// createOrder request, merchant to 123PAY.
    CreateOrderRequest,
    /// createOrder success response, 123PAY to merchant.
    CreateOrderResponse,
    /// queryOrder request, merchant to 123PAY.
    QueryOrderRequest,
    /// queryOrder success response, 123PAY to merchant.
    QueryOrderResponse,
    /// notify, 123PAY to the merchant's listener.
    Notify,
    /// notify reply, the merchant's listener to 123PAY.
    NotifyReply,
    /// the `ticket` on the buyer's return redirect.
    ReturnTicket,
}

/// The digest a message is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA1, lowercase hex (40 characters).
    Sha1,
    /// MD5, lowercase hex (32 characters); the return ticket only.
    Md5,
}

impl Message {
    /// Every message, for tests and tools.
    pub const ALL: [Message; 7] = [
        Self::CreateOrderRequest,
        Self::CreateOrderResponse,
        Self::QueryOrderRequest,
        Self::QueryOrderResponse,
        Self::Notify,
        Self::NotifyReply,
        Self::ReturnTicket,
    ];

    /// The fields concatenated for this message's checksum, in order. This is the one table.
    #[must_use]
    pub const fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Self::CreateOrderRequest => &[
                MTransactionId,
                MerchantCode,
                BankCode,
                TotalAmount,
                ClientIp,
                CustName,
                CustAddress,
                CustGender,
                CustDob,
                CustPhone,
                CustMail,
                CancelUrl,
                RedirectUrl,
                ErrorUrl,
                Passcode,
                SecretKey,
            ],
            Self::CreateOrderResponse => &[ReturnCode, TransactionId123Pay, RedirectUrl, SecretKey],
            Self::QueryOrderRequest => {
                &[MTransactionId, MerchantCode, ClientIp, Passcode, SecretKey]
            }
            Self::QueryOrderResponse => &[
                ReturnCode,
                TransactionId123Pay,
                TransactionStatus,
                TotalAmount,
                OpAmount,
                BankCode,
                SecretKey,
            ],
            Self::Notify => &[MTransactionId, BankCode, TransactionStatus, Ts, SecretKey],
            Self::NotifyReply => &[MTransactionId, ReturnCode, Ts, SecretKey],
            Self::ReturnTicket => &[Status, Time, TransactionId, SecretKey],
        }
    }

    /// The digest algorithm.
    #[must_use]
    pub const fn algorithm(self) -> Algorithm {
        match self {
            Self::ReturnTicket => Algorithm::Md5,
            _ => Algorithm::Sha1,
        }
    }

    /// The digest's name: `SHA1` or `MD5`.
    #[must_use]
    pub const fn algorithm_name(self) -> &'static str {
        match self.algorithm() {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Md5 => "MD5",
        }
    }

    /// The message's name as the specification calls it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateOrderRequest => "createOrder request",
            Self::CreateOrderResponse => "createOrder response",
            Self::QueryOrderRequest => "queryOrder request",
            Self::QueryOrderResponse => "queryOrder response",
            Self::Notify => "notify",
            Self::NotifyReply => "notify reply",
            Self::ReturnTicket => "return ticket",
        }
    }

    /// The field order written out, such as `mTransactionID+bankCode+transactionStatus+ts+secretKey`.
    #[must_use]
    pub fn field_order(self) -> String {
        let names: Vec<&str> = self.fields().iter().map(|f| f.as_str()).collect();
        names.join("+")
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message whose checksum is computed from the table: it gives the value of each field.
pub(crate) trait Signed {
    /// Which row of the table.
    const MESSAGE: Message;
    /// The value of a field of [`Message::fields`] (never called for [`Field::SecretKey`]).
    /// A field the message does not hold counts as empty.
    fn value(&self, field: Field) -> &str;

    fn checksum(&self, key: &SecretKey) -> String {
        hex::encode(digest(Self::MESSAGE, |f| self.value(f), key).as_slice())
    }

    /// The checksum in a buffer on the stack: no allocation.
    fn checksum_hex(&self, key: &SecretKey) -> HexChecksum {
        let digested = digest(Self::MESSAGE, |f| self.value(f), key);
        let mut hex = HexChecksum {
            bytes: [0; 40],
            len: digested.len * 2,
        };
        hex::encode_to_slice(digested.as_slice(), &mut hex.bytes[..hex.len])
            .expect("the buffer holds exactly twice the digest");
        hex
    }

    fn verify(&self, key: &SecretKey, received: Option<&str>) -> Result<(), ChecksumError> {
        verify_digest(
            Self::MESSAGE,
            digest(Self::MESSAGE, |f| self.value(f), key).as_slice(),
            received,
        )
    }
}

/// A checksum's lowercase hex, on the stack.
pub(crate) struct HexChecksum {
    bytes: [u8; 40],
    len: usize,
}

impl HexChecksum {
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("hex digits are ASCII")
    }
}

/// A digest: SHA1's 20 bytes, or MD5's 16 (the rest zero).
struct Digested {
    bytes: [u8; 20],
    len: usize,
}

impl Digested {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn digest<'a>(message: Message, value: impl Fn(Field) -> &'a str, key: &'a SecretKey) -> Digested {
    let parts = message.fields().iter().map(|&f| match f {
        Field::SecretKey => key.expose_secret(),
        other => value(other),
    });
    let mut bytes = [0u8; 20];
    let len = match message.algorithm() {
        Algorithm::Sha1 => {
            let mut h = Sha1::new();
            parts.for_each(|p| h.update(p.as_bytes()));
            bytes.copy_from_slice(&h.finalize());
            20
        }
        Algorithm::Md5 => {
            let mut h = Md5::new();
            parts.for_each(|p| h.update(p.as_bytes()));
            bytes[..16].copy_from_slice(&h.finalize());
            16
        }
    };
    Digested { bytes, len }
}

fn verify_digest(
    message: Message,
    expected: &[u8],
    received: Option<&str>,
) -> Result<(), ChecksumError> {
    let received = match received {
        None | Some("") => return Err(ChecksumError::new(message, ChecksumFault::Missing)),
        Some(r) => r.trim(),
    };
    // Decoded into a fixed array on the stack: no allocation (SHA1 is 20 bytes, MD5 16).
    // Either case of hex is accepted.
    let mut bytes = [0u8; 20];
    let bytes = &mut bytes[..expected.len().min(20)];
    if received.len() != bytes.len() * 2 || !decode_hex(received.as_bytes(), bytes) {
        return Err(ChecksumError::new(message, ChecksumFault::Malformed));
    }
    if crate::message::secret::constant_time_eq(bytes, expected) {
        Ok(())
    } else {
        Err(ChecksumError::new(message, ChecksumFault::Mismatch))
    }
}

/// Decodes hex digits of either case into `out` (twice as many digits as bytes); false if a
/// character is not a hex digit. The digits are the sender's, not a secret. A table instead of
/// branches: the digits of a checksum are random, and a branch per digit is mispredicted about
/// as often as not.
fn decode_hex(digits: &[u8], out: &mut [u8]) -> bool {
    /// The value of each byte as a hex digit, or `0x10` (a fifth bit) when it is not one.
    const VALUES: [u8; 256] = {
        let mut table = [0x10u8; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => 0x10,
            };
            b += 1;
        }
        table
    };
    if digits.len() != out.len() * 2 {
        return false;
    }
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = high << 4 | (low & 0x0F);
    }
    invalid & 0x10 == 0
}

/// Computes a checksum from field values given in the order of [`Message::fields`] (without the
/// secret key). For tools and tests; the message types sign themselves.
///
/// Returns `None` if the number of values does not match the table.
#[must_use]
pub fn compute(message: Message, values: &[&str], key: &SecretKey) -> Option<String> {
    let fields = message.fields();
    if values.len() + 1 != fields.len() {
        return None;
    }
    let lookup = |f: Field| {
        fields
            .iter()
            .position(|&x| x == f)
            .map_or("", |i| values[i])
    };
    Some(hex::encode(digest(message, lookup, key).as_slice()))
}

/// The exact string that is hashed for a message, with the secret key (and passcode) masked.
///
/// The most common integration failure is 123PAY's error 6000 (wrong checksum): print this next
/// to the string your own code hashes to find the field that differs.
///
/// ```
/// use pay123_core::checksum::{Message, signing_string_masked};
/// let s = signing_string_masked(Message::Notify, &["V1", "123PVTB", "1", "1499789401525"]);
/// assert_eq!(s.as_deref(), Some("V1|123PVTB|1|1499789401525|<secretKey>"));
/// ```
///
/// Fields are separated by `|` here for reading; the real string has no separator.
#[must_use]
pub fn signing_string_masked(message: Message, values: &[&str]) -> Option<String> {
    let fields = message.fields();
    if values.len() + 1 != fields.len() {
        return None;
    }
    let parts: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match f {
            Field::SecretKey => "<secretKey>".to_owned(),
            Field::Passcode => format!("<passcode, {} chars>", values[i].chars().count()),
            _ => values[i].to_owned(),
        })
        .collect();
    Some(parts.join("|"))
}

/// The signing string of a message value, masked (see [`signing_string_masked`]).
pub(crate) fn masked_of<S: Signed>(message: &S) -> String {
    let values: Vec<&str> = S::MESSAGE
        .fields()
        .iter()
        .filter(|f| **f != Field::SecretKey)
        .map(|&f| message.value(f))
        .collect();
    signing_string_masked(S::MESSAGE, &values)
        .expect("a value for each field of the message's row but the secret key, as it counts")
}

/// What went wrong with a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumFault {
    /// No checksum was given.
    Missing,
    /// The checksum is not hex of the right length.
    Malformed,
    /// The checksum is well formed but does not match.
    Mismatch,
}

/// A checksum did not verify. Says which message and field order were used, never the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{fault_text} checksum on {message}: expected {algorithm} of {order}")]
pub struct ChecksumError {
    /// The message whose checksum failed.
    pub message: Message,
    /// What was wrong.
    pub fault: ChecksumFault,
    fault_text: &'static str,
    algorithm: &'static str,
    order: String,
}

impl ChecksumError {
    pub(crate) fn new(message: Message, fault: ChecksumFault) -> Self {
        Self {
            message,
            fault,
            fault_text: match fault {
                ChecksumFault::Missing => "missing",
                ChecksumFault::Malformed => "malformed",
                ChecksumFault::Mismatch => "wrong",
            },
            algorithm: message.algorithm_name(),
            order: message.field_order(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoding of received checksums agrees with the `hex` crate's for every pair of
    /// bytes, and refuses a length that is not twice the output's.
    #[test]
    fn decode_hex_agrees_with_the_hex_crate() {
        for high in 0..=u8::MAX {
            for low in 0..=u8::MAX {
                let digits = [high, low];
                let (mut ours, mut theirs) = ([0u8; 1], [0u8; 1]);
                let decoded = decode_hex(&digits, &mut ours);
                assert_eq!(
                    decoded,
                    hex::decode_to_slice(digits, &mut theirs).is_ok(),
                    "{digits:?}"
                );
                if decoded {
                    assert_eq!(ours, theirs, "{digits:?}");
                }
            }
        }
        assert!(decode_hex(b"ab", &mut [0u8; 1]));
        assert!(!decode_hex(b"ab", &mut [0u8; 2]));
        assert!(!decode_hex(b"abc", &mut [0u8; 1]));
    }

    #[test]
    fn every_row_ends_with_the_secret_key_and_has_it_once() {
        for m in Message::ALL {
            let fields = m.fields();
            assert_eq!(fields.last(), Some(&Field::SecretKey), "{m}");
            assert_eq!(fields.iter().filter(|f| **f == Field::SecretKey).count(), 1);
        }
    }

    #[test]
    fn malformed_and_missing_are_told_apart() {
        let key = SecretKey::new("MIKEY");
        let good = compute(Message::NotifyReply, &["a", "1", "2"], &key).unwrap();
        let expected = hex::decode(&good).unwrap();
        assert!(verify_digest(Message::NotifyReply, &expected, Some(&good)).is_ok());
        assert!(verify_digest(Message::NotifyReply, &expected, Some(&good.to_uppercase())).is_ok());
        let e = verify_digest(Message::NotifyReply, &expected, None).unwrap_err();
        assert_eq!(e.fault, ChecksumFault::Missing);
        let e = verify_digest(Message::NotifyReply, &expected, Some("zz")).unwrap_err();
        assert_eq!(e.fault, ChecksumFault::Malformed);
        let e = verify_digest(Message::NotifyReply, &expected, Some(&good[..38])).unwrap_err();
        assert_eq!(e.fault, ChecksumFault::Malformed);
        let mut other = good.clone();
        other.replace_range(0..1, if &good[0..1] == "0" { "1" } else { "0" });
        let e = verify_digest(Message::NotifyReply, &expected, Some(&other)).unwrap_err();
        assert_eq!(e.fault, ChecksumFault::Mismatch);
        let text = e.to_string();
        assert!(text.contains("notify reply"), "{text}");
        assert!(
            text.contains("mTransactionID+returnCode+ts+secretKey"),
            "{text}"
        );
        assert!(!text.contains("MIKEY"));
    }

    #[test]
    fn compute_rejects_a_wrong_number_of_values() {
        let key = SecretKey::new("k");
        assert!(compute(Message::Notify, &["a"], &key).is_none());
        assert!(signing_string_masked(Message::Notify, &["a"]).is_none());
    }
}
