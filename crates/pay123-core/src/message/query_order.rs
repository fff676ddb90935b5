//! queryOrder: the merchant asks 123PAY for the status of a transaction.
//!
//! Merchant side: [`QueryOrder::new`] -> [`QueryOrder::to_http_request`] -> send ->
//! [`OrderStatus::from_http_response`] -> [`OrderStatus::judge`]. Gateway side (feature
//! `gateway`): `ReceivedQueryOrder::from_http_request` -> `ReceivedQueryOrder::authenticate` ->
//! `OrderStatus::to_http_response`.

use std::net::IpAddr;

use bytes::Bytes;
use http::{Request, Response};
use serde::Serialize;

use crate::message::SignedRequest;
use crate::message::bank::BankCode;
use crate::message::checksum::{self, Field, Message, Signed};
use crate::message::endpoint::Endpoints;
use crate::message::error::ResponseError;
use crate::message::rule::ValidationError;
use crate::message::secret::{Credentials, SecretKey};
use crate::message::status::TransactionStatus;
use crate::{message::validate, message::wire};

/// A valid queryOrder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOrder {
    pub(crate) m_transaction_id: String,
    pub(crate) client_ip: String,
}

impl QueryOrder {
    /// Asks for the status of the merchant's `mTransactionID`.
    ///
    /// ```
    /// use pay123_core::{Credentials, Endpoints, QueryOrder};
    /// let query = QueryOrder::new("ORDER-1001")?.with_client_ip("127.0.0.1")?;
    /// let request = query.to_http_request(&Credentials::sandbox(), &Endpoints::sandbox());
    /// assert_eq!(request.uri(), "https://sandbox.123pay.vn/miservice/queryOrder1");
    /// # Ok::<(), pay123_core::ValidationError>(())
    /// ```
    pub fn new(m_transaction_id: impl Into<String>) -> Result<Self, ValidationError> {
        let query = Self {
            m_transaction_id: m_transaction_id.into(),
            client_ip: String::new(),
        };
        query.validate()?;
        Ok(query)
    }

    /// Adds `clientIP`: an IPv4 address, dotted (up to 15 characters, as createOrder's table
    /// allows: the queryOrder table's 10 would leave out most real addresses; see
    /// [`docs::protocol`](crate::docs::protocol)).
    pub fn with_client_ip(mut self, ip: impl Into<String>) -> Result<Self, ValidationError> {
        self.client_ip = ip.into();
        self.validate()?;
        Ok(self)
    }

    /// Adds `clientIP` from an address as a server sees it (IPv4, or IPv4-mapped IPv6). The
    /// field is optional and informative; any other IPv6 address is left out.
    #[must_use]
    pub fn with_client_addr(mut self, addr: IpAddr) -> Self {
        self.client_ip = crate::client_ipv4(addr)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        self
    }

    /// `mTransactionID`.
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
    }

    /// `clientIP` (empty when absent).
    #[must_use]
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    /// The checksum of this query for these credentials.
    #[must_use]
    pub fn checksum(&self, credentials: &Credentials) -> String {
        self.signed_with(credentials)
            .checksum(credentials.secret_key())
    }

    /// The exact string hashed, with the passcode and key masked.
    #[must_use]
    pub fn signing_string_masked(&self, credentials: &Credentials) -> String {
        checksum::masked_of(&self.signed_with(credentials))
    }

    /// The signed JSON body.
    #[must_use]
    pub fn to_json(&self, credentials: &Credentials) -> Vec<u8> {
        let checksum = self.checksum(credentials);
        serde_json::to_vec(&WireQueryOrder {
            m_transaction_id: &self.m_transaction_id,
            merchant_code: credentials.merchant_code(),
            client_ip: &self.client_ip,
            passcode: credentials.passcode().expose_secret(),
            checksum: &checksum,
        })
        .expect("a struct of strings serializes to JSON")
    }

    /// The signed HTTP request: `POST`, JSON body, `Accept: application/json`.
    #[must_use]
    pub fn to_http_request(
        &self,
        credentials: &Credentials,
        endpoints: &Endpoints,
    ) -> Request<Bytes> {
        wire::json_request(endpoints.query_order(), self.to_json(credentials))
    }
}

impl SignedRequest for QueryOrder {
    type Signed<'a> = SignedQueryOrder<'a>;

    fn validate(&self) -> Result<(), ValidationError> {
        // Any id 123PAY may hold, an order created by another system included: the request
        // goes to 123PAY only, and nobody else sees its signature.
        validate::required("mTransactionID", &self.m_transaction_id)?;
        validate::received_m_transaction_id("mTransactionID", &self.m_transaction_id)?;
        if !self.client_ip.is_empty() {
            // The queryOrder table gives clientIP 10 characters, createOrder's 15, the length
            // of a dotted IPv4 address: the 10 is read as a misprint (see pay123_core::docs::protocol).
            validate::ipv4("clientIP", &self.client_ip)?;
        }
        Ok(())
    }

    fn signed<'a>(&'a self, merchant_code: &'a str, passcode: &'a str) -> SignedQueryOrder<'a> {
        SignedQueryOrder {
            query: self,
            merchant_code,
            passcode,
        }
    }
}

#[derive(Serialize)]
struct WireQueryOrder<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    #[serde(rename = "merchantCode")]
    merchant_code: &'a str,
    #[serde(rename = "clientIP", skip_serializing_if = "str::is_empty")]
    client_ip: &'a str,
    passcode: &'a str,
    checksum: &'a str,
}

pub(crate) struct SignedQueryOrder<'a> {
    query: &'a QueryOrder,
    merchant_code: &'a str,
    passcode: &'a str,
}

impl Signed for SignedQueryOrder<'_> {
    const MESSAGE: Message = Message::QueryOrderRequest;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::MTransactionId => &self.query.m_transaction_id,
            Field::MerchantCode => self.merchant_code,
            Field::ClientIp => &self.query.client_ip,
            Field::Passcode => self.passcode,
            _ => "",
        }
    }
}

/// A successful queryOrder answer.
///
/// The amounts are kept as 123PAY sent them (they are signed as text);
/// [`total_amount_vnd`](Self::total_amount_vnd) and [`op_amount_vnd`](Self::op_amount_vnd)
/// read them as numbers. `opAmount` is what the bank charged and can differ from `totalAmount`.
/// [`judge`](Self::judge) applies the merchant's rule: paid only on status 1 with the order's
/// amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatus {
    pub(crate) pay123_transaction_id: String,
    pub(crate) status: TransactionStatus,
    pub(crate) total_amount: String,
    pub(crate) op_amount: String,
    pub(crate) bank_code: BankCode,
    pub(crate) description: Option<String>,
}

impl Signed for OrderStatus {
    const MESSAGE: Message = Message::QueryOrderResponse;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::ReturnCode => "1",
            Field::TransactionId123Pay => &self.pay123_transaction_id,
            Field::TransactionStatus => self.status.code(),
            Field::TotalAmount => &self.total_amount,
            Field::OpAmount => &self.op_amount,
            Field::BankCode => self.bank_code.code(),
            _ => "",
        }
    }
}

impl OrderStatus {
    /// `123PAYtransactionId`: 123PAY's id of the transaction (empty for an unknown one).
    #[must_use]
    pub fn pay123_transaction_id(&self) -> &str {
        &self.pay123_transaction_id
    }

    /// `transactionStatus`.
    #[must_use]
    pub fn status(&self) -> &TransactionStatus {
        &self.status
    }

    /// `totalAmount`, as sent.
    #[must_use]
    pub fn total_amount(&self) -> &str {
        &self.total_amount
    }

    /// `opAmount` (what the bank charged), as sent.
    #[must_use]
    pub fn op_amount(&self) -> &str {
        &self.op_amount
    }

    /// `bankCode`: the bank actually used.
    #[must_use]
    pub fn bank_code(&self) -> &BankCode {
        &self.bank_code
    }

    /// `description` (may be absent).
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `totalAmount` as a number of VND, if it is one.
    #[must_use]
    pub fn total_amount_vnd(&self) -> Option<u64> {
        self.total_amount.parse().ok()
    }

    /// `opAmount` as a number of VND, if it is one.
    #[must_use]
    pub fn op_amount_vnd(&self) -> Option<u64> {
        self.op_amount.parse().ok()
    }

    /// Reads 123PAY's answer: `["1", id, status, totalAmount, opAmount, bankCode, description,
    /// checksum]` with the checksum verified, or `[code, description]` as
    /// [`ResponseError::Gateway`].
    pub fn from_http_response<B: AsRef<[u8]>>(
        response: &Response<B>,
        key: &SecretKey,
    ) -> Result<Self, ResponseError> {
        wire::expect_ok(response.status(), response.body().as_ref())?;
        Self::from_json(response.body().as_ref(), key)
    }

    /// Reads the JSON array of an answer.
    pub fn from_json(body: &[u8], key: &SecretKey) -> Result<Self, ResponseError> {
        let mut items = wire::success_items(body, 8)?;
        answer_form(&items).map_err(|e| ResponseError::Malformed {
            reason: e.to_string(),
            body: wire::lossy(body),
        })?;
        let status = Self {
            pay123_transaction_id: wire::take(&mut items, 1),
            status: TransactionStatus::from_code(items[2].as_deref().unwrap_or("")),
            total_amount: wire::take(&mut items, 3),
            op_amount: wire::take(&mut items, 4),
            bank_code: BankCode::from_code(items[5].as_deref().unwrap_or("")),
            description: items[6].take().map(std::borrow::Cow::into_owned),
        };
        status.verify(key, items[7].as_deref())?;
        Ok(status)
    }
}

/// Each signed field of a queryOrder answer held to its form before the checksum is believed:
/// 123PAY joins them with no separator, so a signed `["1", "123P1", "10", "1250000", ...]`
/// could otherwise be read as status `1` with the amount `01250000`.
fn answer_form(items: &[wire::Item<'_>]) -> Result<(), ValidationError> {
    let item = |i: usize| items.get(i).and_then(|v| v.as_deref()).unwrap_or("");
    validate::pay123_transaction_id("123PAYtransactionId", item(1))?;
    validate::status("transactionStatus", item(2))?;
    validate::number("totalAmount", item(3), 20)?;
    if !item(4).is_empty() {
        validate::number("opAmount", item(4), 20)?;
    }
    validate::bank_code("bankCode", item(5))
}
