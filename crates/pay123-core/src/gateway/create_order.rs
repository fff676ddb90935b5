//! createOrder, gateway side: the request as 123PAY receives it, and its answer.

use bytes::Bytes;
use http::Response;

use crate::message::bank::BankCode;
use crate::message::checksum::Signed;
use crate::message::create_order::{CreateOrder, CreatedOrder, Gender};
use crate::message::secret::SecretKey;
use crate::message::status::TransactionStatus;

use super::answer;
use super::error::RequestError;
use super::received::Wire;
use super::wire::{self, JsonObject};

impl Wire for CreateOrder {
    const FIELDS: &'static [&'static str] = &[
        "merchantCode",
        "passcode",
        "checksum",
        "totalAmount",
        "mTransactionID",
        "bankCode",
        "clientIP",
        "custName",
        "custAddress",
        "custGender",
        "custDOB",
        "custPhone",
        "custMail",
        "description",
        "cancelURL",
        "redirectURL",
        "errorURL",
        "addInfo",
    ];
    const PASSCODE_MAX: usize = 255;

    fn read(obj: &mut JsonObject<'_>) -> Result<Self, RequestError> {
        let amount = obj.required("totalAmount")?;
        let total_amount = wire::amount("totalAmount", &amount)?;
        Ok(CreateOrder {
            m_transaction_id: obj.required("mTransactionID")?,
            // An empty bankCode is the default, 123PAY (and is signed as the empty string).
            bank_code: obj
                .optional("bankCode")?
                .filter(|c| !c.is_empty())
                .map(|c| BankCode::from_code(&c)),
            total_amount,
            client_ip: obj.optional("clientIP")?.unwrap_or_default(),
            cust_name: obj.optional("custName")?.unwrap_or_default(),
            cust_address: obj.optional("custAddress")?.unwrap_or_default(),
            cust_gender: Gender::from_code(&obj.required("custGender")?)?,
            cust_dob: obj.optional("custDOB")?.unwrap_or_default(),
            cust_phone: obj.optional("custPhone")?.unwrap_or_default(),
            cust_mail: obj.optional("custMail")?.unwrap_or_default(),
            description: obj.optional("description")?.unwrap_or_default(),
            cancel_url: obj.optional("cancelURL")?.unwrap_or_default(),
            redirect_url: obj.required("redirectURL")?,
            error_url: obj.optional("errorURL")?.unwrap_or_default(),
            add_info: obj.take_string_list("addInfo")?,
        })
    }
}

impl CreatedOrder {
    /// A successful answer (gateway side).
    #[must_use]
    pub fn new(pay123_transaction_id: impl Into<String>, payment_url: impl Into<String>) -> Self {
        Self {
            pay123_transaction_id: pay123_transaction_id.into(),
            redirect_url: payment_url.into(),
        }
    }

    /// The signed JSON answer (gateway side).
    #[must_use]
    pub fn to_json(&self, key: &SecretKey) -> Vec<u8> {
        let checksum = self.checksum(key);
        answer::array_body(&[
            Some("1"),
            Some(&self.pay123_transaction_id),
            Some(&self.redirect_url),
            Some(&checksum),
        ])
    }

    /// The signed HTTP answer (gateway side).
    #[must_use]
    pub fn to_http_response(&self, key: &SecretKey) -> Response<Bytes> {
        answer::json_response(self.to_json(key))
    }
}

impl CreateOrder {
    /// Where 123PAY sends the buyer back for `status` (gateway side): `redirectURL` on success and while the
    /// result is pending, `cancelURL` when the buyer cancelled (`-100`), `errorURL` on any other
    /// failure. An empty `cancelURL` or `errorURL` falls back on `redirectURL`.
    ///
    /// ```
    /// use pay123_core::{CreateOrder, TransactionStatus};
    /// let order = CreateOrder::builder("ORDER-1", 100_000, "https://shop.vn/return")
    ///     .cancel_url("https://shop.vn/cancel")
    ///     .build()?;
    /// assert_eq!(order.return_url_for(&TransactionStatus::Success), "https://shop.vn/return");
    /// assert_eq!(order.return_url_for(&TransactionStatus::Cancelled), "https://shop.vn/cancel");
    /// // errorURL was not set: the builder used the redirect URL.
    /// assert_eq!(order.return_url_for(&TransactionStatus::InsufficientFunds), "https://shop.vn/return");
    /// # Ok::<(), pay123_core::ValidationError>(())
    /// ```
    #[must_use]
    pub fn return_url_for(&self, status: &TransactionStatus) -> &str {
        let url = if status.is_success() || status.is_pending() {
            &self.redirect_url
        } else if *status == TransactionStatus::Cancelled {
            &self.cancel_url
        } else {
            &self.error_url
        };
        if url.is_empty() {
            &self.redirect_url
        } else {
            url
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_url_for_each_kind_of_status() {
        let order = CreateOrder::builder("ORDER-1", 100_000, "https://shop.vn/ok")
            .cancel_url("https://shop.vn/cancel")
            .error_url("https://shop.vn/error")
            .build()
            .unwrap();
        for (status, url) in [
            ("1", "https://shop.vn/ok"),
            ("20", "https://shop.vn/ok"),
            ("0", "https://shop.vn/ok"),
            ("-100", "https://shop.vn/cancel"),
            ("7201", "https://shop.vn/error"),
            ("-10", "https://shop.vn/error"),
        ] {
            assert_eq!(
                order.return_url_for(&TransactionStatus::from_code(status)),
                url,
                "{status}"
            );
        }
        // A received order may leave cancelURL and errorURL out.
        let mut bare = order.clone();
        bare.cancel_url.clear();
        bare.error_url.clear();
        assert_eq!(
            bare.return_url_for(&TransactionStatus::Cancelled),
            "https://shop.vn/ok"
        );
        assert_eq!(
            bare.return_url_for(&TransactionStatus::StolenCard),
            "https://shop.vn/ok"
        );
    }
}
