//! createOrder: the merchant asks 123PAY to open a payment and gets the URL to send the buyer to.
//!
//! Merchant side: [`CreateOrder::builder`] -> [`CreateOrder::to_http_request`] -> send ->
//! [`CreatedOrder::from_http_response`]. Gateway side (feature `gateway`):
//! `ReceivedCreateOrder::from_http_request` -> `ReceivedCreateOrder::authenticate` ->
//! `CreatedOrder::to_http_response` or `error_response`.

use std::fmt;
use std::net::IpAddr;

use bytes::Bytes;
use http::{Request, Response};
use serde::Serialize;

use crate::message::SignedRequest;
use crate::message::bank::BankCode;
use crate::message::checksum::{self, Field, Message, Signed};
use crate::message::endpoint::Endpoints;
use crate::message::error::ResponseError;
use crate::message::rule::{Rule, ValidationError};
use crate::message::secret::{Credentials, SecretKey};
use crate::{message::validate, message::wire};

/// The buyer's gender (`custGender`): `M`, `F` or `U`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Gender {
    /// `M`
    Male,
    /// `F`
    Female,
    /// `U`: not known (the default).
    #[default]
    Unknown,
}

impl Gender {
    /// The code on the wire.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
            Self::Unknown => "U",
        }
    }

    /// `M`, `F` or `U`.
    pub fn from_code(code: &str) -> Result<Self, ValidationError> {
        match code {
            "M" => Ok(Self::Male),
            "F" => Ok(Self::Female),
            "U" => Ok(Self::Unknown),
            "" => Err(ValidationError::new("custGender", Rule::Required)),
            _ => Err(ValidationError::new("custGender", Rule::Gender)),
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A valid createOrder: every field checked against the specification's table.
///
/// Absent optional fields are empty strings and are left out of the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub(crate) m_transaction_id: String,
    pub(crate) bank_code: Option<BankCode>,
    pub(crate) total_amount: u64,
    pub(crate) client_ip: String,
    pub(crate) cust_name: String,
    pub(crate) cust_address: String,
    pub(crate) cust_gender: Gender,
    pub(crate) cust_dob: String,
    pub(crate) cust_phone: String,
    pub(crate) cust_mail: String,
    pub(crate) description: String,
    pub(crate) cancel_url: String,
    pub(crate) redirect_url: String,
    pub(crate) error_url: String,
    pub(crate) add_info: Vec<String>,
}

/// Builds a [`CreateOrder`]; [`build`](Self::build) checks every rule.
#[derive(Debug, Clone)]
#[must_use]
pub struct CreateOrderBuilder(CreateOrder);

impl CreateOrder {
    /// Starts an order with what 123PAY requires: the merchant's unique `mTransactionID`, the
    /// amount in VND, and the URL the buyer returns to. That URL is also used as `cancelURL` and
    /// `errorURL` unless they are set (as the specification's FAQ 4 advises).
    ///
    /// ```
    /// use pay123_core::{BankCode, CreateOrder, Credentials, Endpoints};
    /// let order = CreateOrder::builder("ORDER-1001", 150_000, "https://shop.vn/return")
    ///     .bank_code(BankCode::Vietcombank)
    ///     .client_ip("203.113.1.10")
    ///     .customer_name("Nguyen Van Anh")
    ///     .description("Ao thun, size M")
    ///     .build()?;
    /// let request = order.to_http_request(&Credentials::sandbox(), &Endpoints::sandbox());
    /// assert_eq!(request.headers()["accept"], "application/json");
    /// # Ok::<(), pay123_core::ValidationError>(())
    /// ```
    pub fn builder(
        m_transaction_id: impl Into<String>,
        total_amount: u64,
        redirect_url: impl Into<String>,
    ) -> CreateOrderBuilder {
        CreateOrderBuilder(Self {
            m_transaction_id: m_transaction_id.into(),
            bank_code: Some(BankCode::Pay123),
            total_amount,
            client_ip: String::new(),
            cust_name: String::new(),
            cust_address: String::new(),
            cust_gender: Gender::Unknown,
            cust_dob: String::new(),
            cust_phone: String::new(),
            cust_mail: String::new(),
            description: String::new(),
            cancel_url: String::new(),
            redirect_url: redirect_url.into(),
            error_url: String::new(),
            add_info: Vec::new(),
        })
    }

    /// `mTransactionID`.
    #[must_use]
    pub fn m_transaction_id(&self) -> &str {
        &self.m_transaction_id
    }
    /// `bankCode`; [`BankCode::Pay123`] when absent.
    #[must_use]
    pub fn bank_code(&self) -> BankCode {
        self.bank_code.clone().unwrap_or_default()
    }
    /// `totalAmount` in VND.
    #[must_use]
    pub fn total_amount(&self) -> u64 {
        self.total_amount
    }
    /// `clientIP` (empty when absent).
    #[must_use]
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }
    /// `custName`.
    #[must_use]
    pub fn customer_name(&self) -> &str {
        &self.cust_name
    }
    /// `custAddress`.
    #[must_use]
    pub fn customer_address(&self) -> &str {
        &self.cust_address
    }
    /// `custGender`.
    #[must_use]
    pub fn customer_gender(&self) -> Gender {
        self.cust_gender
    }
    /// `custDOB`.
    #[must_use]
    pub fn customer_dob(&self) -> &str {
        &self.cust_dob
    }
    /// `custPhone`.
    #[must_use]
    pub fn customer_phone(&self) -> &str {
        &self.cust_phone
    }
    /// `custMail`.
    #[must_use]
    pub fn customer_mail(&self) -> &str {
        &self.cust_mail
    }
    /// `description`.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }
    /// `redirectURL`.
    #[must_use]
    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }
    /// `cancelURL`.
    #[must_use]
    pub fn cancel_url(&self) -> &str {
        &self.cancel_url
    }
    /// `errorURL`.
    #[must_use]
    pub fn error_url(&self) -> &str {
        &self.error_url
    }
    /// `addInfo`.
    #[must_use]
    pub fn add_info(&self) -> &[String] {
        &self.add_info
    }

    /// The checksum of this order for these credentials.
    #[must_use]
    pub fn checksum(&self, credentials: &Credentials) -> String {
        self.signed_with(credentials)
            .checksum(credentials.secret_key())
    }

    /// The exact string hashed for the checksum, with the passcode and key masked: compare it
    /// with yours when 123PAY answers 6000.
    #[must_use]
    pub fn signing_string_masked(&self, credentials: &Credentials) -> String {
        checksum::masked_of(&self.signed_with(credentials))
    }

    /// The JSON body 123PAY expects, signed.
    #[must_use]
    pub fn to_json(&self, credentials: &Credentials) -> Vec<u8> {
        let signed = self.signed_with(credentials);
        let checksum = signed.checksum(credentials.secret_key());
        let wire = WireCreateOrder {
            m_transaction_id: &self.m_transaction_id,
            merchant_code: credentials.merchant_code(),
            bank_code: self.bank_code.as_ref().map(BankCode::code),
            total_amount: &signed.amount,
            client_ip: &self.client_ip,
            cust_name: &self.cust_name,
            cust_address: &self.cust_address,
            cust_gender: self.cust_gender.code(),
            cust_dob: &self.cust_dob,
            cust_phone: &self.cust_phone,
            cust_mail: &self.cust_mail,
            description: &self.description,
            cancel_url: &self.cancel_url,
            redirect_url: &self.redirect_url,
            error_url: &self.error_url,
            passcode: credentials.passcode().expose_secret(),
            checksum: &checksum,
            add_info: &self.add_info,
        };
        // Field names, quotes and the checksum take about 300 bytes; the values the rest.
        let values = self.redirect_url.len() * 3 + self.cust_address.len() + self.description.len();
        let mut body = Vec::with_capacity(320 + values);
        serde_json::to_writer(&mut body, &wire)
            .expect("a struct of strings and a list of strings serializes to JSON");
        body
    }

    /// The signed HTTP request: `POST`, JSON body, `Accept: application/json`.
    #[must_use]
    pub fn to_http_request(
        &self,
        credentials: &Credentials,
        endpoints: &Endpoints,
    ) -> Request<Bytes> {
        wire::json_request(endpoints.create_order(), self.to_json(credentials))
    }
}

impl SignedRequest for CreateOrder {
    type Signed<'a> = SignedCreateOrder<'a>;

    fn validate(&self) -> Result<(), ValidationError> {
        validate::m_transaction_id("mTransactionID", &self.m_transaction_id)?;
        if let Some(bank) = &self.bank_code {
            // The listener's rule: an order is never created with a bank whose notify it would
            // refuse.
            validate::required("bankCode", bank.code())?;
            validate::bank_code("bankCode", bank.code())?;
        }
        if self.total_amount == 0 {
            return Err(ValidationError::new("totalAmount", Rule::ZeroAmount));
        }
        if !self.client_ip.is_empty() {
            validate::ipv4("clientIP", &self.client_ip)?;
        }
        validate::text("custName", &self.cust_name, 64)?;
        validate::text("custAddress", &self.cust_address, 255)?;
        if !self.cust_dob.is_empty() {
            validate::date("custDOB", &self.cust_dob)?;
        }
        validate::text("custPhone", &self.cust_phone, 20)?;
        if let Some(character) = self
            .cust_phone
            .chars()
            .find(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')')))
        {
            return Err(ValidationError::new(
                "custPhone",
                Rule::Character {
                    character,
                    allowed: "digits, spaces and + - . ( )",
                },
            ));
        }
        validate::token("custMail", &self.cust_mail, 64)?;
        if !self.cust_mail.is_empty() {
            let valid = self
                .cust_mail
                .split_once('@')
                .is_some_and(|(name, domain)| !name.is_empty() && domain.contains('.'));
            if !valid {
                return Err(ValidationError::new("custMail", Rule::Email));
            }
        }
        validate::description(&self.description)?;
        validate::required("redirectURL", &self.redirect_url)?;
        validate::url("redirectURL", &self.redirect_url, 1000)?;
        // The specification asks for the same URL in all three (FAQ 4): one parse checks them.
        if !self.cancel_url.is_empty() && self.cancel_url != self.redirect_url {
            validate::url("cancelURL", &self.cancel_url, 1000)?;
        }
        if !self.error_url.is_empty()
            && self.error_url != self.redirect_url
            && self.error_url != self.cancel_url
        {
            validate::url("errorURL", &self.error_url, 1000)?;
        }
        for info in &self.add_info {
            validate::text("addInfo", info, 255)?;
        }
        Ok(())
    }

    fn signed<'a>(&'a self, merchant_code: &'a str, passcode: &'a str) -> SignedCreateOrder<'a> {
        SignedCreateOrder {
            order: self,
            merchant_code,
            passcode,
            amount: self.total_amount.to_string(),
        }
    }
}

impl CreateOrderBuilder {
    /// `bankCode`: a bank, or [`BankCode::Pay123`] (the default) to let the buyer choose.
    pub fn bank_code(mut self, bank: BankCode) -> Self {
        self.0.bank_code = Some(bank);
        self
    }
    setters! {
        /// `clientIP`: the buyer's IPv4 address, written in dotted form (`203.113.1.10`).
        client_ip(ip: impl Into<String>) => 0.client_ip;
        /// `custName`, without diacritics (see [`text::unaccent`](crate::text::unaccent)).
        customer_name(name: impl Into<String>) => 0.cust_name;
        /// `custAddress`, without diacritics.
        customer_address(address: impl Into<String>) => 0.cust_address;
        /// `custDOB`, `dd/MM/yyyy`.
        customer_dob(dob: impl Into<String>) => 0.cust_dob;
        /// `custPhone`.
        customer_phone(phone: impl Into<String>) => 0.cust_phone;
        /// `custMail`.
        customer_mail(mail: impl Into<String>) => 0.cust_mail;
        /// `description`: letters, digits, spaces and `. : , - _` (see
        /// [`text::description`](crate::text::description)).
        description(description: impl Into<String>) => 0.description;
        /// `cancelURL`; the redirect URL unless set.
        cancel_url(url: impl Into<String>) => 0.cancel_url;
        /// `errorURL`; the redirect URL unless set.
        error_url(url: impl Into<String>) => 0.error_url;
    }
    /// `clientIP` from the buyer's address as a server sees it: an IPv4 address, or an
    /// IPv4-mapped IPv6 address (`::ffff:203.113.1.10`, what a dual-stack socket reports). Any
    /// other IPv6 address is left out: 123PAY's field holds 15 characters, IPv4 only.
    ///
    /// ```
    /// use pay123_core::CreateOrder;
    /// let order = CreateOrder::builder("ORDER-1", 100_000, "https://shop.vn/return")
    ///     .client_addr("::ffff:203.113.1.10".parse().unwrap())
    ///     .build()?;
    /// assert_eq!(order.client_ip(), "203.113.1.10");
    /// # Ok::<(), pay123_core::ValidationError>(())
    /// ```
    pub fn client_addr(mut self, addr: IpAddr) -> Self {
        self.0.client_ip = crate::client_ipv4(addr)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        self
    }
    /// `custGender`; `U` unless set.
    pub fn customer_gender(mut self, gender: Gender) -> Self {
        self.0.cust_gender = gender;
        self
    }
    /// Adds an `addInfo` item.
    pub fn add_info(mut self, info: impl Into<String>) -> Self {
        self.0.add_info.push(info.into());
        self
    }

    /// Checks every rule; the error names the field and the rule.
    pub fn build(self) -> Result<CreateOrder, ValidationError> {
        let mut order = self.0;
        if order.cancel_url.is_empty() {
            order.cancel_url.clone_from(&order.redirect_url);
        }
        if order.error_url.is_empty() {
            order.error_url.clone_from(&order.redirect_url);
        }
        order.validate()?;
        Ok(order)
    }
}

#[derive(Serialize)]
struct WireCreateOrder<'a> {
    #[serde(rename = "mTransactionID")]
    m_transaction_id: &'a str,
    #[serde(rename = "merchantCode")]
    merchant_code: &'a str,
    #[serde(rename = "bankCode", skip_serializing_if = "Option::is_none")]
    bank_code: Option<&'a str>,
    #[serde(rename = "totalAmount")]
    total_amount: &'a str,
    #[serde(rename = "clientIP", skip_serializing_if = "str::is_empty")]
    client_ip: &'a str,
    #[serde(rename = "custName", skip_serializing_if = "str::is_empty")]
    cust_name: &'a str,
    #[serde(rename = "custAddress", skip_serializing_if = "str::is_empty")]
    cust_address: &'a str,
    #[serde(rename = "custGender")]
    cust_gender: &'a str,
    #[serde(rename = "custDOB", skip_serializing_if = "str::is_empty")]
    cust_dob: &'a str,
    #[serde(rename = "custPhone", skip_serializing_if = "str::is_empty")]
    cust_phone: &'a str,
    #[serde(rename = "custMail", skip_serializing_if = "str::is_empty")]
    cust_mail: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(rename = "cancelURL", skip_serializing_if = "str::is_empty")]
    cancel_url: &'a str,
    #[serde(rename = "redirectURL")]
    redirect_url: &'a str,
    #[serde(rename = "errorURL", skip_serializing_if = "str::is_empty")]
    error_url: &'a str,
    passcode: &'a str,
    checksum: &'a str,
    #[serde(rename = "addInfo", skip_serializing_if = "<[String]>::is_empty")]
    add_info: &'a [String],
}

pub(crate) struct SignedCreateOrder<'a> {
    order: &'a CreateOrder,
    merchant_code: &'a str,
    passcode: &'a str,
    amount: String,
}

impl Signed for SignedCreateOrder<'_> {
    const MESSAGE: Message = Message::CreateOrderRequest;

    fn value(&self, field: Field) -> &str {
        let o = self.order;
        match field {
            Field::MTransactionId => &o.m_transaction_id,
            Field::MerchantCode => self.merchant_code,
            Field::BankCode => o.bank_code.as_ref().map_or("", BankCode::code),
            Field::TotalAmount => &self.amount,
            Field::ClientIp => &o.client_ip,
            Field::CustName => &o.cust_name,
            Field::CustAddress => &o.cust_address,
            Field::CustGender => o.cust_gender.code(),
            Field::CustDob => &o.cust_dob,
            Field::CustPhone => &o.cust_phone,
            Field::CustMail => &o.cust_mail,
            Field::CancelUrl => &o.cancel_url,
            Field::RedirectUrl => &o.redirect_url,
            Field::ErrorUrl => &o.error_url,
            Field::Passcode => self.passcode,
            _ => "",
        }
    }
}

/// A successful createOrder answer: 123PAY's transaction id and the URL to send the buyer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrder {
    pub(crate) pay123_transaction_id: String,
    pub(crate) redirect_url: String,
}

impl Signed for CreatedOrder {
    const MESSAGE: Message = Message::CreateOrderResponse;

    fn value(&self, field: Field) -> &str {
        match field {
            Field::ReturnCode => "1",
            Field::TransactionId123Pay => &self.pay123_transaction_id,
            Field::RedirectUrl => &self.redirect_url,
            _ => "",
        }
    }
}

impl CreatedOrder {
    /// `123PAYtransactionId`: 123PAY's id of the transaction.
    #[must_use]
    pub fn pay123_transaction_id(&self) -> &str {
        &self.pay123_transaction_id
    }

    /// 123PAY's payment page (the answer's `redirectURL`): where to send the buyer, the bank
    /// choice page or the card page. (The request's `redirectURL`,
    /// [`CreateOrder::redirect_url`], is the merchant's return page.)
    #[must_use]
    pub fn payment_url(&self) -> &str {
        &self.redirect_url
    }

    /// Reads 123PAY's answer: `["1", id, redirectURL, checksum]` with the checksum verified, or
    /// `[code, description]` as [`ResponseError::Gateway`].
    pub fn from_http_response<B: AsRef<[u8]>>(
        response: &Response<B>,
        key: &SecretKey,
    ) -> Result<Self, ResponseError> {
        wire::expect_ok(response.status(), response.body().as_ref())?;
        Self::from_json(response.body().as_ref(), key)
    }

    /// Reads the JSON array of an answer.
    pub fn from_json(body: &[u8], key: &SecretKey) -> Result<Self, ResponseError> {
        let mut items = wire::success_items(body, 4)?;
        let id = items[1].as_deref().unwrap_or("");
        validate::required("123PAYtransactionId", id)
            .and_then(|()| validate::pay123_transaction_id("123PAYtransactionId", id))
            .and_then(|()| validate::url("redirectURL", items[2].as_deref().unwrap_or(""), 2000))
            .map_err(|e| ResponseError::Malformed {
                reason: e.to_string(),
                body: wire::lossy(body),
            })?;
        let created = Self {
            pay123_transaction_id: wire::take(&mut items, 1),
            redirect_url: wire::take(&mut items, 2),
        };
        created.verify(key, items[3].as_deref())?;
        Ok(created)
    }
}
