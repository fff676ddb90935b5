//! The notify reply: the merchant's listener tells 123PAY what it did with a notify.
//!
//! JSON `{"mTransactionID", "returnCode", "ts", "checksum"}`, every value a string, `ts`
//! computed once, fresh for each reply, and used in both the field and the checksum.
//!
//! Only the listener builds replies, and it signs only what it has authenticated: the reply to
//! a verified notify names that notify's `mTransactionID`; the reply to a refused notify names no
//! order (`mTransactionID` empty), so that nothing an attacker sent is ever signed.

use std::time::SystemTime;

use serde::Serialize;

use crate::message::checksum::{Field, Message, Signed};
use crate::message::secret::SecretKey;
use crate::message::status::NotifyReturnCode;
use crate::message::timestamp;

/// A notify reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyReply {
    pub(crate) m_transaction_id: String,
    pub(crate) return_code: NotifyReturnCode,
    pub(crate) ts: String,
}

impl NotifyReply {
    /// A reply with `ts` (milliseconds) taken once from `now`. Crate-private: a reply is signed
    /// only over an authenticated `mTransactionID`, or an empty one.
    ///
    /// An id that ends with a bank code followed by digits (`SHOP123PMB2024`, created by
    /// another system: pay123's createOrder refuses such ids) is left out of the reply, which
    /// the reply table allows: signed with the return code and `ts` after it, it would read as
    /// a notify of another order (`SHOP`, bank `123PMB`).
    pub(crate) fn new(
        m_transaction_id: &str,
        return_code: NotifyReturnCode,
        now: SystemTime,
    ) -> Self {
        let m_transaction_id = match crate::message::bank::trailing_bank_code(m_transaction_id) {
            Some(bank) => {
                tracing::debug!(
                    m_transaction_id,
                    bank,
                    "the reply leaves out an mTransactionID that ends with a bank code"
                );
                ""
            }
            None => m_transaction_id,
        };
        Self {
            m_transaction_id: m_transaction_id.to_owned(),
            return_code,
            ts: timestamp::unix_millis(now).to_string(),
        }
    }

    /// `mTransactionID`: the verified notify's, or empty for a refused notify (and for an id
    /// that ends with a bank code and digits).
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
    }
    /// `returnCode`.
    #[must_use]
    pub fn return_code(&self) -> &NotifyReturnCode {
        &self.return_code
    }
    /// `ts`.
    #[must_use]
    pub fn ts(&self) -> &str {
        &self.ts
    }

    /// When the reply says it was made: `ts` read as seconds or milliseconds, as a notify's
    /// `ts` is; `None` when it is left out or not a number.
    #[must_use]
    pub fn made_at(&self) -> Option<SystemTime> {
        self.ts.parse::<u64>().ok().map(timestamp::ts_to_time)
    }

    /// The signed JSON body.
    pub(crate) fn to_json(&self, key: &SecretKey) -> Vec<u8> {
        let checksum = self.checksum_hex(key);
        let checksum = checksum.as_str();
        // The fields' names and quotes (59 bytes), the checksum and the values: one allocation,
        // no regrowth.
        let code = self.return_code.code();
        let size = 59 + checksum.len() + self.m_transaction_id.len() + code.len() + self.ts.len();
        let mut body = Vec::with_capacity(size);
        let wire = WireReply {
            m_transaction_id: &self.m_transaction_id,
            return_code: code,
            ts: &self.ts,
            checksum,
        };
        // The code and `ts` are digits, the checksum hex, and most ids are letters, digits, `-`
        // and `_`: none needs escaping, and the object is written as it stands. An id with a
        // quote, a backslash or a control character goes through serde_json.
        let plain = |v: &str| v.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        if [wire.m_transaction_id, wire.return_code, wire.ts]
            .into_iter()
            .all(plain)
        {
            for (i, (name, value)) in [
                ("mTransactionID", wire.m_transaction_id),
                ("returnCode", wire.return_code),
                ("ts", wire.ts),
                ("checksum", wire.checksum),
            ]
            .into_iter()
            .enumerate()
            {
                body.extend_from_slice(if i == 0 { b"{\"" } else { b",\"" });
                body.extend_from_slice(name.as_bytes());
                body.extend_from_slice(b"\":\"");
                body.extend_from_slice(value.as_bytes());
                body.push(b'"');
            }
            body.push(b'}');
            debug_assert_eq!(body.len(), size, "the reply's size, computed ahead");
            return body;
        }
        serde_json::to_writer(&mut body, &wire).expect("a struct of strings serializes to JSON");
        body
    }
}

impl Signed for NotifyReply {
    const MESSAGE: Message = Message::NotifyReply;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::MTransactionId => &self.m_transaction_id,
            Field::ReturnCode => self.return_code.code(),
            Field::Ts => &self.ts,
            _ => "",
        }
    }
}

#[derive(Serialize)]
struct WireReply<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    #[serde(rename = "returnCode")]
    return_code: &'a str,
    ts: &'a str,
    checksum: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reply(id: &str) -> NotifyReply {
        NotifyReply {
            m_transaction_id: id.to_owned(),
            return_code: NotifyReturnCode::Processed,
            ts: "1700000000123".to_owned(),
        }
    }

    #[test]
    fn made_at_reads_ts_in_milliseconds_or_seconds() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |ts: &str| {
            NotifyReply {
                ts: ts.to_owned(),
                ..reply("A")
            }
            .made_at()
        };
        assert_eq!(
            at("1700000000123"),
            Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
        );
        assert_eq!(
            at("1700000000"),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(at(""), None);
        assert_eq!(at("-1"), None);
        assert_eq!(at("170141183460469231731687303715884105728"), None);
    }

    proptest! {
        /// Written by hand or by serde_json, the body is the JSON object of the four values, in
        /// the specification's order, byte for byte what serde_json writes.
        #[test]
        fn the_body_is_what_serde_json_writes(id in "\\PC{0,12}|[A-Za-z0-9_-]{1,50}|[\"\\\\\u{1}a]{0,4}|[\u{0}-\u{7f}]{0,8}") {
            let key = SecretKey::new("MIKEY");
            let reply = reply(&id);
            let checksum = reply.checksum(&key);
            let expected = serde_json::to_vec(&WireReply {
                m_transaction_id: &id,
                return_code: "1",
                ts: "1700000000123",
                checksum: &checksum,
            })
            .unwrap();
            prop_assert_eq!(reply.to_json(&key), expected);
        }
    }
}
