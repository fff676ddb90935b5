//! The notify reply: the merchant's listener tells 123PAY what it did with a notify.
//!
//! JSON `{"mTransactionID", "returnCode", "ts", "checksum"}`, every value a string, `ts`
//! computed once and used in both the field and the checksum.

use std::time::SystemTime;

use bytes::Bytes;
use http::Response;
use serde::{Deserialize, Serialize};

use crate::checksum::{Field, Message, Signed};
use crate::error::ReplyError;
use crate::secret::SecretKey;
use crate::status::NotifyReturnCode;
use crate::{timestamp, wire};

/// A notify reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyReply {
    m_transaction_id: String,
    return_code: NotifyReturnCode,
    ts: String,
}

impl NotifyReply {
    /// A reply with `ts` (milliseconds) taken once from `now`.
    #[must_use]
    pub fn new(
        m_transaction_id: impl Into<String>,
        return_code: NotifyReturnCode,
        now: SystemTime,
    ) -> Self {
        Self {
            m_transaction_id: m_transaction_id.into(),
            return_code,
            ts: timestamp::unix_millis(now).to_string(),
        }
    }

    /// `mTransactionID`.
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

    /// The signed JSON body.
    #[must_use]
    pub fn to_json(&self, key: &SecretKey) -> Vec<u8> {
        let checksum = self.checksum(key);
        serde_json::to_vec(&WireReply {
            m_transaction_id: self.m_transaction_id.clone(),
            return_code: self.return_code.code().to_owned(),
            ts: self.ts.clone(),
            checksum: Some(checksum),
        })
        .unwrap_or_default()
    }

    /// The signed reply as an HTTP 200 response.
    #[must_use]
    pub fn to_http_response(&self, key: &SecretKey) -> Response<Bytes> {
        wire::json_response(self.to_json(key))
    }

    /// Reads and verifies a reply (gateway side). Numbers are tolerated where strings are due.
    pub fn from_json(body: &[u8], key: &SecretKey) -> Result<Self, ReplyError> {
        let wire: WireReply = serde_json::from_slice(body).map_err(|e| ReplyError::Malformed {
            reason: e.to_string(),
            body: wire::lossy(body),
        })?;
        if wire.return_code.is_empty() {
            return Err(ReplyError::Malformed {
                reason: "returnCode is empty".into(),
                body: wire::lossy(body),
            });
        }
        let reply = Self {
            m_transaction_id: wire.m_transaction_id,
            return_code: NotifyReturnCode::from_code(&wire.return_code),
            ts: wire.ts,
        };
        reply.verify(key, wire.checksum.as_deref())?;
        Ok(reply)
    }
}

impl NotifyReply {
    /// Reads and verifies a reply to `notify` (gateway side): the checksum, then that the reply
    /// is about the notified order.
    pub fn from_json_for(
        body: &[u8],
        notify: &crate::notify::Notify,
        key: &SecretKey,
    ) -> Result<Self, ReplyError> {
        let reply = Self::from_json(body, key)?;
        if reply.m_transaction_id != notify.m_transaction_id() {
            return Err(ReplyError::OtherOrder {
                expected: notify.m_transaction_id().to_owned(),
                got: reply.m_transaction_id,
            });
        }
        Ok(reply)
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

#[derive(Serialize, Deserialize)]
struct WireReply {
    #[serde(rename = "mTransactionID", default, deserialize_with = "text")]
    m_transaction_id: String,
    #[serde(rename = "returnCode", deserialize_with = "text")]
    return_code: String,
    #[serde(default, deserialize_with = "text")]
    ts: String,
    #[serde(default)]
    checksum: Option<String>,
}

/// A string, or a number written as a string.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        N(serde_json::Number),
        Null(()),
    }
    Ok(match Text::deserialize(d)? {
        Text::S(s) => s,
        Text::N(n) => n.to_string(),
        Text::Null(()) => String::new(),
    })
}
