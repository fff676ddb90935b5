//! The return redirect: 123PAY sends the buyer back to the merchant's URL with `transactionID`,
//! `time` (unix seconds), `status` and `ticket` = MD5(status + time + transactionID + secretKey).
//!
//! This is not in the 2017 specification; it is how 123PAY and its official samples behave. The
//! status on the URL is only a hint: the authority is the notify or a queryOrder.
//!
//! Merchant side: [`ReturnTicket::check`] says whether the return page's query string carries a
//! verified ticket, an invalid one, or none, and which order it is about. Gateway side (feature
//! `gateway`): `ReturnTicket::new` -> `ReturnTicket::redirect_url`.

use std::time::{Duration, SystemTime};

use crate::message::checksum::{Field, Message, Signed};
use crate::message::error::VerifyError;
use crate::message::rule::ValidationError;
use crate::message::secret::SecretKey;
use crate::message::status::TransactionStatus;
use crate::{message::timestamp, message::validate, message::wire};

/// The window official samples accept for `time`: 300 seconds.
pub const RETURN_WINDOW: Duration = Duration::from_secs(300);

/// The parameters of a return redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTicket {
    pub(crate) m_transaction_id: String,
    pub(crate) status: TransactionStatus,
    pub(crate) time: String,
}

/// What a return page learns from its query string: see [`ReturnTicket::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReturnCheck {
    /// The ticket verified and `time` is within the window. Its status is still a hint.
    Verified(ReturnTicket),
    /// A ticket is there but does not verify, comes without its fields, or is too old: forged,
    /// or a page reloaded later. The order it claims, if well formed, is worth a queryOrder;
    /// nothing else of the URL is.
    Invalid {
        /// The `transactionID` the URL claims (unverified).
        claimed_m_transaction_id: Option<String>,
        /// Why the ticket was refused.
        error: VerifyError,
    },
    /// No ticket at all: a buyer who typed the URL, a "check again" link of the shop, an older
    /// integration's cancel page. Not an attack; the claimed order is answered from the store and
    /// a queryOrder.
    Absent {
        /// The `transactionID` the URL claims (unverified).
        claimed_m_transaction_id: Option<String>,
    },
}

impl ReturnCheck {
    /// The order the return is about: verified, or claimed.
    #[must_use]
    pub fn m_transaction_id(&self) -> Option<&str> {
        match self {
            Self::Verified(ticket) => Some(ticket.m_transaction_id()),
            Self::Invalid {
                claimed_m_transaction_id,
                ..
            }
            | Self::Absent {
                claimed_m_transaction_id,
            } => claimed_m_transaction_id.as_deref(),
        }
    }

    /// Whether the ticket verified.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified(_))
    }
}

impl ReturnTicket {
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::required("transactionID", &self.m_transaction_id)?;
        validate::received_m_transaction_id("transactionID", &self.m_transaction_id)?;
        validate::status("status", self.status.code())?;
        validate::number("time", &self.time, 30)?;
        Ok(())
    }

    /// `transactionID`: the merchant's `mTransactionID`, or (as the one known real example
    /// carries) 123PAY's transaction id: [`Payments::on_return`](crate::payments::Payments::on_return)
    /// finds the order by either.
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
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

    /// What the return page's query string says, checked at `now` with the window official
    /// samples use ([`RETURN_WINDOW`]): a verified ticket, an invalid one, or none, and the order
    /// it is about. Whatever it says, the status on the URL is only a hint: believe the store
    /// and a queryOrder.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use pay123_core::{ReturnCheck, ReturnTicket, SecretKey};
    /// let key = SecretKey::new("MIKEY");
    /// let query = "transactionID=123P1210020000506&time=1349164000&status=1\
    ///              &ticket=0d5b8e8d4aea134c3cd159dd500f3598";
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_349_164_060);
    /// let check = ReturnTicket::check(query, &key, now);
    /// assert!(check.is_verified());
    /// assert_eq!(check.m_transaction_id(), Some("123P1210020000506"));
    ///
    /// let later = now + Duration::from_secs(3600); // the buyer reloads the page an hour later
    /// let check = ReturnTicket::check(query, &key, later);
    /// assert!(matches!(check, ReturnCheck::Invalid { .. }));
    /// assert_eq!(check.m_transaction_id(), Some("123P1210020000506")); // claimed: ask 123PAY
    ///
    /// let check = ReturnTicket::check("transactionID=ORDER-1", &key, now);
    /// assert!(matches!(check, ReturnCheck::Absent { .. }));
    /// ```
    #[must_use]
    pub fn check(query: &str, key: &SecretKey, now: SystemTime) -> ReturnCheck {
        let claimed = Self::claimed_m_transaction_id(query);
        if !Self::has_ticket(query) {
            return ReturnCheck::Absent {
                claimed_m_transaction_id: claimed,
            };
        }
        match Self::verify_query(query, key, now, RETURN_WINDOW) {
            Ok(ticket) => ReturnCheck::Verified(ticket),
            Err(error) => ReturnCheck::Invalid {
                claimed_m_transaction_id: claimed,
                error,
            },
        }
    }

    /// The `transactionID` a return query claims, **unverified**: to find the order when the
    /// ticket is missing, wrong or expired (a buyer reloading the page after the window). Trust
    /// nothing else from such a query; ask 123PAY with a queryOrder instead.
    ///
    /// ```
    /// use pay123_core::ReturnTicket;
    /// let query = "transactionID=ORDER-1&time=1&status=1&ticket=bad";
    /// assert_eq!(ReturnTicket::claimed_m_transaction_id(query).as_deref(), Some("ORDER-1"));
    /// assert_eq!(ReturnTicket::claimed_m_transaction_id("status=1"), None);
    /// ```
    #[must_use]
    pub fn claimed_m_transaction_id(query: &str) -> Option<String> {
        let pairs = wire::form_pairs(query.as_bytes());
        wire::form_field(&pairs, "transactionID")
            .filter(|id| {
                !id.is_empty() && validate::received_m_transaction_id("transactionID", id).is_ok()
            })
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
            m_transaction_id: field("transactionID"),
            status: TransactionStatus::from_code(&field("status")),
            time: field("time"),
        };
        let claimed = || Self::claimed_m_transaction_id(query);
        let repeated = wire::repeated_field(&pairs, &["transactionID", "time", "status", "ticket"])
            .map(|field| ValidationError::new(field, crate::message::rule::Rule::Repeated));
        repeated
            .map_or_else(|| ticket.validate(), Err)
            .map_err(|error| VerifyError::Malformed {
                message: Message::ReturnTicket,
                error,
                m_transaction_id: claimed(),
                signed: ticket
                    .verify(key, wire::form_field(&pairs, "ticket"))
                    .is_ok(),
            })?;
        ticket
            .verify(key, wire::form_field(&pairs, "ticket"))
            .map_err(|error| VerifyError::Checksum {
                error,
                m_transaction_id: claimed(),
            })?;
        timestamp::check_window(
            Message::ReturnTicket,
            "time",
            &ticket.time,
            now,
            window,
            timestamp::Unit::Seconds,
        )
        .map_err(|e| e.with_m_transaction_id(claimed()))?;
        Ok(ticket)
    }
}

impl Signed for ReturnTicket {
    const MESSAGE: Message = Message::ReturnTicket;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::Status => self.status.code(),
            Field::Time => &self.time,
            Field::TransactionId => &self.m_transaction_id,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_transaction_id_is_an_id_or_nothing() {
        let claimed = ReturnTicket::claimed_m_transaction_id;
        assert_eq!(
            claimed("transactionID=A-1&ticket=x").as_deref(),
            Some("A-1")
        );
        assert_eq!(claimed("a=1&transactionID=B%2D2").as_deref(), Some("B-2"));
        assert_eq!(claimed("transactionID="), None);
        // Any id 123PAY may send back but one with a control character.
        assert_eq!(
            claimed("transactionID=two+words").as_deref(),
            Some("two words")
        );
        assert_eq!(claimed("transactionID=%C4%90").as_deref(), Some("Đ"));
        assert_eq!(claimed("transactionID=A%0AB"), None);
        assert_eq!(claimed(&format!("transactionID={}", "x".repeat(51))), None);
        assert_eq!(claimed(""), None);
    }
}
