//! The return redirect: 123PAY sends the buyer back to the merchant's URL with `transactionID`,
//! `time` (unix seconds), `status` and `ticket` = MD5(status + time + transactionID + secretKey).
//!
//! This is not in the 2017 specification; it is how 123PAY and its official samples behave. The
//! status on the URL is only a hint: the authority is the notify or a queryOrder.

use std::time::{Duration, SystemTime};

use crate::checksum::{Field, Message, Signed};
use crate::error::{ValidationError, VerifyError};
use crate::secret::SecretKey;
use crate::status::TransactionStatus;
use crate::{timestamp, validate, wire};

/// The window official samples accept for `time`: 300 seconds.
pub const RETURN_WINDOW: Duration = Duration::from_secs(300);

/// The parameters of a return redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTicket {
    transaction_id: String,
    status: TransactionStatus,
    time: String,
}

impl ReturnTicket {
    /// Parameters for the gateway to append, with `time` in seconds taken from `now`.
    pub fn new(
        transaction_id: impl Into<String>,
        status: TransactionStatus,
        now: SystemTime,
    ) -> Result<Self, ValidationError> {
        let ticket = Self {
            transaction_id: transaction_id.into(),
            status,
            time: timestamp::unix_seconds(now).to_string(),
        };
        ticket.validate()?;
        Ok(ticket)
    }

    fn validate(&self) -> Result<(), ValidationError> {
        validate::required("transactionID", &self.transaction_id)?;
        validate::token("transactionID", &self.transaction_id, 50)?;
        validate::code("status", self.status.code())?;
        validate::number("time", &self.time, 30)?;
        Ok(())
    }

    /// `transactionID`: the merchant's mTransactionID.
    #[must_use]
    pub fn transaction_id(&self) -> &str {
        &self.transaction_id
    }
    /// `status`: a hint only; confirm with the notify or a queryOrder.
    #[must_use]
    pub fn status(&self) -> &TransactionStatus {
        &self.status
    }
    /// `time` as received.
    #[must_use]
    pub fn time(&self) -> &str {
        &self.time
    }

    /// The MD5 ticket.
    #[must_use]
    pub fn ticket(&self, key: &SecretKey) -> String {
        self.checksum(key)
    }

    /// The query string `transactionID=..&time=..&status=..&ticket=..`.
    #[must_use]
    pub fn to_query(&self, key: &SecretKey) -> String {
        let ticket = self.ticket(key);
        wire::form_encode([
            ("transactionID", self.transaction_id.as_str()),
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

    /// The `transactionID` a return query claims, **unverified**: to find the order when the
    /// ticket is missing, wrong or expired (a buyer reloading the page after the window). Trust
    /// nothing else from such a query; ask 123PAY with a queryOrder instead.
    ///
    /// ```
    /// use pay123_core::ReturnTicket;
    /// let query = "transactionID=ORDER-1&time=1&status=1&ticket=bad";
    /// assert_eq!(ReturnTicket::claimed_transaction_id(query).as_deref(), Some("ORDER-1"));
    /// assert_eq!(ReturnTicket::claimed_transaction_id("status=1"), None);
    /// ```
    #[must_use]
    pub fn claimed_transaction_id(query: &str) -> Option<String> {
        let pairs = wire::form_pairs(query.as_bytes());
        wire::form_field(&pairs, "transactionID")
            .filter(|id| validate::token("transactionID", id, 50).is_ok() && !id.is_empty())
            .map(str::to_owned)
    }

    /// Whether a return query string carries a `ticket` at all. A return without one (a buyer
    /// who typed the URL, a cancel page of an older integration) is answered by querying
    /// 123PAY; a return with one that fails [`verify_query`](Self::verify_query) is forged or
    /// stale.
    ///
    /// ```
    /// use pay123_core::ReturnTicket;
    /// assert!(ReturnTicket::has_ticket("transactionID=A&time=1&status=1&ticket=ab"));
    /// assert!(!ReturnTicket::has_ticket("transactionID=A&ticket="));
    /// ```
    #[must_use]
    pub fn has_ticket(query: &str) -> bool {
        let pairs = wire::form_pairs(query.as_bytes());
        wire::form_field(&pairs, "ticket").is_some_and(|t| !t.trim().is_empty())
    }

    /// Verifies the query string of a return: the ticket, then `time` within `window` of `now`.
    pub fn verify_query(
        query: &str,
        key: &SecretKey,
        now: SystemTime,
        window: Duration,
    ) -> Result<Self, VerifyError> {
        let pairs = wire::form_pairs(query.as_bytes());
        let field = |name: &'static str| wire::form_field(&pairs, name).unwrap_or("").to_owned();
        let ticket = Self {
            transaction_id: field("transactionID"),
            status: TransactionStatus::from_code(&field("status")),
            time: field("time"),
        };
        ticket.validate().map_err(|error| VerifyError::Malformed {
            message: Message::ReturnTicket,
            error,
        })?;
        ticket
            .verify(key, wire::form_field(&pairs, "ticket"))
            .map_err(VerifyError::Checksum)?;
        timestamp::check_window(Message::ReturnTicket, "time", &ticket.time, now, window)?;
        Ok(ticket)
    }
}

impl Signed for ReturnTicket {
    const MESSAGE: Message = Message::ReturnTicket;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::Status => self.status.code(),
            Field::Time => &self.time,
            Field::TransactionId => &self.transaction_id,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_transaction_id_is_a_token_or_nothing() {
        let claimed = ReturnTicket::claimed_transaction_id;
        assert_eq!(
            claimed("transactionID=A-1&ticket=x").as_deref(),
            Some("A-1")
        );
        assert_eq!(claimed("a=1&transactionID=B%2D2").as_deref(), Some("B-2"));
        assert_eq!(claimed("transactionID="), None);
        assert_eq!(claimed("transactionID=two+words"), None);
        assert_eq!(claimed("transactionID=%C4%90"), None);
        assert_eq!(claimed(&format!("transactionID={}", "x".repeat(51))), None);
        assert_eq!(claimed(""), None);
    }
}
