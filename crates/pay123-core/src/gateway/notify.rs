//! What 123PAY sends the merchant (the notify, the return redirect's ticket), and its reading
//! of the notify's reply.

use std::time::SystemTime;

use crate::message::bank::BankCode;
use crate::message::checksum::Signed;
use crate::message::notify::Notify;
use crate::message::reply::NotifyReply;
use crate::message::rule::ValidationError;
use crate::message::secret::SecretKey;
use crate::message::status::{NotifyReturnCode, TransactionStatus};
use crate::message::ticket::ReturnTicket;
use crate::message::{timestamp, validate};

use super::answer;
use super::error::ReplyError;
use super::wire;

impl Notify {
    /// A notify for the gateway to send, with `ts` in milliseconds taken from `now`.
    pub fn new(
        m_transaction_id: impl Into<String>,
        bank_code: BankCode,
        status: TransactionStatus,
        description: impl Into<String>,
        now: SystemTime,
    ) -> Result<Self, ValidationError> {
        let notify = Self {
            m_transaction_id: m_transaction_id.into(),
            bank_code,
            status,
            description: description.into(),
            ts: timestamp::unix_millis(now).to_string(),
        };
        notify.validate()?;
        validate::max_len("description", &notify.description, 255)?;
        Ok(notify)
    }

    /// The signed form body.
    #[must_use]
    pub fn to_form(&self, key: &SecretKey) -> String {
        let checksum = self.checksum(key);
        answer::form_encode([
            ("mTransactionID", self.m_transaction_id.as_str()),
            ("bankCode", self.bank_code.code()),
            ("transactionStatus", self.status.code()),
            ("description", self.description.as_str()),
            ("ts", self.ts.as_str()),
            ("checksum", checksum.as_str()),
        ])
    }

    /// The signed form POST to a merchant's listener.
    #[must_use]
    pub fn to_http_request(
        &self,
        listener: &http::Uri,
        key: &SecretKey,
    ) -> http::Request<bytes::Bytes> {
        let mut request = http::Request::new(bytes::Bytes::from(self.to_form(key)));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = listener.clone();
        request.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(answer::FORM_CONTENT_TYPE),
        );
        request
    }
}

impl ReturnTicket {
    /// Parameters for the gateway to append, with `time` in seconds taken from `now`.
    pub fn new(
        m_transaction_id: impl Into<String>,
        status: TransactionStatus,
        now: SystemTime,
    ) -> Result<Self, ValidationError> {
        let ticket = Self {
            m_transaction_id: m_transaction_id.into(),
            status,
            time: wire::unix_seconds(now).to_string(),
        };
        ticket.validate()?;
        Ok(ticket)
    }

    /// The query string `transactionID=..&time=..&status=..&ticket=..`.
    #[must_use]
    pub fn to_query(&self, key: &SecretKey) -> String {
        let ticket = self.ticket(key);
        answer::form_encode([
            ("transactionID", self.m_transaction_id.as_str()),
            ("time", self.time.as_str()),
            ("status", self.status.code()),
            ("ticket", ticket.as_str()),
        ])
    }

    /// The merchant's URL with the parameters appended.
    #[must_use]
    pub fn redirect_url(&self, merchant_url: &str, key: &SecretKey) -> String {
        let (base, fragment) = match merchant_url.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (merchant_url, None),
        };
        let sep = if base.contains('?') {
            if base.ends_with('?') || base.ends_with('&') {
                ""
            } else {
                "&"
            }
        } else {
            "?"
        };
        let mut url = format!("{base}{sep}{}", self.to_query(key));
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(f);
        }
        url
    }
}

impl NotifyReply {
    /// Reads and verifies a reply (gateway side), as strictly as 123PAY: a JSON object of the
    /// specification's fields, each at most once and each a JSON string, then the checksum.
    /// `returnCode` and `checksum` are required; `mTransactionID` and `ts`, which the reply
    /// table does not require, may be left out (read as empty, which signs the same string). A
    /// number where a string is due, a missing required field, a repeated or an extra field is
    /// refused with a reason that names it.
    pub fn from_json(body: &[u8], key: &SecretKey) -> Result<Self, ReplyError> {
        if body.starts_with(b"\xEF\xBB\xBF") {
            return Err(ReplyError::Malformed {
                reason: "the reply starts with a UTF-8 byte order mark: send the JSON object \
                         alone"
                    .into(),
                body: crate::message::wire::lossy(body),
            });
        }
        // serde would read a struct from an array of four strings as well.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ReplyError::Malformed {
                reason: "the reply must be a JSON object".into(),
                body: crate::message::wire::lossy(body),
            });
        }
        let wire: StrictReply =
            serde_json::from_slice(body).map_err(|e| ReplyError::Malformed {
                reason: strict::reason(body, &e),
                body: crate::message::wire::lossy(body),
            })?;
        if wire.return_code.is_empty() {
            return Err(ReplyError::Malformed {
                reason: "returnCode is empty".into(),
                body: crate::message::wire::lossy(body),
            });
        }
        let reply = Self {
            m_transaction_id: wire.m_transaction_id,
            return_code: NotifyReturnCode::from_code(&wire.return_code),
            ts: wire.ts,
        };
        reply.verify(key, Some(&wire.checksum))?;
        Ok(reply)
    }

    /// Reads and verifies a reply to `notify` (gateway side) at `now`: [`from_json`](Self::from_json),
    /// then that it is a reply to this notify. Its `returnCode` is one of the reply table's
    /// (`1`, `2`, `-1`, `-3`, and the `-2` seen in the field); its `ts`, when present, lies within
    /// `window` of `now`; its `mTransactionID` is the notify's, or empty where a listener leaves
    /// it out (the reply table does not require it): in a refusal, and for a notify whose id
    /// ends with a bank code. It may leave out `mTransactionID` or `ts`, not both: a reply
    /// that names neither would acknowledge any notify at any time. A reply signed for another
    /// order, or re-cut from one (`A` + `2` + `ts` read as `A2` + `1` + the rest of `ts`), is
    /// refused.
    pub fn from_json_for(
        body: &[u8],
        notify: &crate::message::notify::Notify,
        key: &SecretKey,
        now: std::time::SystemTime,
        window: std::time::Duration,
    ) -> Result<Self, ReplyError> {
        let reply = Self::from_json(body, key)?;
        if matches!(reply.return_code, NotifyReturnCode::Unknown(_)) {
            return Err(ReplyError::UnknownCode(reply.return_code.code().to_owned()));
        }
        if !reply.m_transaction_id.is_empty() && reply.m_transaction_id != notify.m_transaction_id()
        {
            return Err(ReplyError::OtherOrder {
                expected: notify.m_transaction_id().to_owned(),
                got: reply.m_transaction_id,
            });
        }
        // A reply that names no order is tied to this notify by its exchange and its `ts`; one
        // without `ts`, by its order: it may leave out one of the two, not both.
        if reply.ts.is_empty() && reply.m_transaction_id.is_empty() {
            return Err(ReplyError::Ts(
                "a reply without mTransactionID needs its ts: without either, it would \
                 acknowledge any notify at any time"
                    .to_owned(),
            ));
        }
        if !reply.ts.is_empty() {
            crate::message::timestamp::check_window(
                crate::message::checksum::Message::NotifyReply,
                "ts",
                &reply.ts,
                now,
                window,
                crate::message::timestamp::Unit::SecondsOrMillis,
            )
            .map_err(|e| ReplyError::Ts(e.to_string()))?;
        }
        Ok(reply)
    }
}

/// The reply as 123PAY reads it: the four string fields, none twice, no other; `mTransactionID`
/// and `ts` optional.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictReply {
    #[serde(rename = "mTransactionID", default)]
    m_transaction_id: String,
    #[serde(rename = "returnCode")]
    return_code: String,
    #[serde(default)]
    ts: String,
    checksum: String,
}

mod strict {
    /// The fields of a reply, in the specification's order.
    const FIELDS: [&str; 4] = ["mTransactionID", "returnCode", "ts", "checksum"];

    /// Why a body is not a reply, naming the field: serde's message for a repeated field or a
    /// body that is not JSON, a plainer one for a field of the wrong type, missing or extra.
    pub(super) fn reason(body: &[u8], error: &serde_json::Error) -> String {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) else {
            return error.to_string();
        };
        if error.to_string().starts_with("duplicate field") {
            return error.to_string();
        }
        for field in FIELDS {
            match map.get(field) {
                None => return format!("{field} is missing"),
                Some(serde_json::Value::String(_)) => {}
                Some(other) => {
                    return format!(
                        "{field} must be a JSON string, not {}",
                        crate::gateway::answer::json_kind(other)
                    );
                }
            }
        }
        if let Some(extra) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return format!("{extra:?} is not a field of the reply");
        }
        error.to_string()
    }
}
