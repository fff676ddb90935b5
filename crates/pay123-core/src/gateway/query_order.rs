//! queryOrder, gateway side: the request as 123PAY receives it, and its answer.

use bytes::Bytes;
use http::Response;

use crate::message::bank::BankCode;
use crate::message::checksum::Signed;
use crate::message::query_order::{OrderStatus, QueryOrder};
use crate::message::secret::SecretKey;
use crate::message::status::TransactionStatus;

use super::answer;
use super::error::RequestError;
use super::received::Wire;
use super::wire::JsonObject;

impl Wire for QueryOrder {
    const FIELDS: &'static [&'static str] = &[
        "merchantCode",
        "passcode",
        "checksum",
        "mTransactionID",
        "clientIP",
    ];
    /// createOrder's 255, not the queryOrder table's 20. 123PAY hands a merchant one passcode
    /// for both calls; one longer than 20 that it gave works in createOrder, so the sandbox takes
    /// it in queryOrder too (see [`docs::protocol`](crate::docs::protocol)).
    const PASSCODE_MAX: usize = 255;

    fn read(obj: &mut JsonObject<'_>) -> Result<Self, RequestError> {
        Ok(QueryOrder {
            m_transaction_id: obj.required("mTransactionID")?,
            client_ip: obj.optional("clientIP")?.unwrap_or_default(),
        })
    }
}

impl OrderStatus {
    /// An answer (gateway side), without a description.
    #[must_use]
    pub fn new(
        pay123_transaction_id: impl Into<String>,
        status: TransactionStatus,
        total_amount: impl Into<String>,
        op_amount: impl Into<String>,
        bank_code: BankCode,
    ) -> Self {
        Self {
            pay123_transaction_id: pay123_transaction_id.into(),
            status,
            total_amount: total_amount.into(),
            op_amount: op_amount.into(),
            bank_code,
            description: None,
        }
    }

    /// With a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The answer for a transaction the gateway does not know: status `-10`, empty id and bank,
    /// amounts `0`, and the specification's text without diacritics.
    #[must_use]
    pub fn not_found() -> Self {
        Self::new(
            "",
            TransactionStatus::NotFound,
            "0",
            "0",
            BankCode::Unknown(String::new()),
        )
        .with_description(crate::text::unaccent(
            TransactionStatus::NotFound.vietnamese(),
        ))
    }

    /// The signed JSON answer.
    #[must_use]
    pub fn to_json(&self, key: &SecretKey) -> Vec<u8> {
        let checksum = self.checksum(key);
        answer::array_body(&[
            Some("1"),
            Some(&self.pay123_transaction_id),
            Some(self.status.code()),
            Some(&self.total_amount),
            Some(&self.op_amount),
            Some(self.bank_code.code()),
            self.description.as_deref(),
            Some(&checksum),
        ])
    }

    /// The signed HTTP answer.
    #[must_use]
    pub fn to_http_response(&self, key: &SecretKey) -> Response<Bytes> {
        answer::json_response(self.to_json(key))
    }
}
