//! A createOrder or queryOrder request as the gateway receives it: parsed first, then
//! authenticated against the credentials of the merchant it claims to be. One type for both
//! methods, so that a gateway (the sandbox, a test double) handles them with one piece of code.

use http::Request;

use crate::message::checksum::{Message, Signed};
use crate::message::create_order::{CreateOrder, SignedCreateOrder};
use crate::message::query_order::{QueryOrder, SignedQueryOrder};
use crate::message::secret::Credentials;

use super::error::RequestError;
use super::wire::{self, Claimed};

/// A merchant's request to the gateway: [`CreateOrder`] or [`QueryOrder`], received as a
/// [`Received`].
pub trait MerchantRequest: sealed::Parse {
    /// The method's name: `createOrder` or `queryOrder`.
    const METHOD: &'static str;
    /// The request's row of the checksum table.
    const MESSAGE: Message;
}

impl MerchantRequest for CreateOrder {
    const METHOD: &'static str = "createOrder";
    const MESSAGE: Message = <SignedCreateOrder<'static> as Signed>::MESSAGE;
}

impl MerchantRequest for QueryOrder {
    const METHOD: &'static str = "queryOrder";
    const MESSAGE: Message = <SignedQueryOrder<'static> as Signed>::MESSAGE;
}

pub(super) mod sealed {
    use super::{Credentials, Received, RequestError};

    /// How a request is read and authenticated: the core's own, so that
    /// [`super::MerchantRequest`] stays the two methods of the specification.
    pub trait Parse: Sized {
        /// Reads and validates the members of a JSON body; any other member is skipped.
        fn from_json(body: &[u8]) -> Result<Received<Self>, RequestError>;

        /// Checks the claimed merchant code, passcode and checksum against `credentials`.
        fn check(received: &Received<Self>, credentials: &Credentials) -> Result<(), RequestError>;
    }
}

/// A createOrder request as the gateway receives it: parsed and valid, not yet authenticated.
pub type ReceivedCreateOrder = Received<CreateOrder>;

/// A queryOrder request as the gateway receives it: parsed and valid, not yet authenticated.
pub type ReceivedQueryOrder = Received<QueryOrder>;

/// A merchant's request as the gateway receives it: parsed and valid, not yet authenticated.
#[derive(Debug)]
pub struct Received<M> {
    pub(super) message: M,
    pub(super) claimed: Claimed,
}

impl<M: MerchantRequest> Received<M> {
    /// Parses a request: `Accept: application/json` is required (else 123PAY answers HTTP 415).
    pub fn from_http_request<B: AsRef<[u8]>>(request: &Request<B>) -> Result<Self, RequestError> {
        wire::require_json_accept(request.headers())?;
        M::from_json(request.body().as_ref())
    }

    /// Parses the JSON body; every value must be a JSON string.
    pub fn from_json(body: &[u8]) -> Result<Self, RequestError> {
        M::from_json(body)
    }

    /// The merchant code the request claims, to look up the merchant's credentials.
    #[must_use]
    pub fn merchant_code(&self) -> &str {
        self.claimed.merchant_code()
    }

    /// The request, before authentication (for logs and error messages).
    #[must_use]
    pub fn message(&self) -> &M {
        &self.message
    }

    /// Checks the merchant code, the passcode and the checksum against the merchant's credentials.
    pub fn authenticate(self, credentials: &Credentials) -> Result<M, RequestError> {
        M::check(&self, credentials)?;
        Ok(self.message)
    }

    /// Finds the claimed merchant with `lookup`, then authenticates against its credentials.
    /// An unknown merchant is refused as failed authentication (`6000`), as 123PAY does.
    pub fn authenticate_with<'m, C: AsRef<Credentials> + ?Sized>(
        self,
        lookup: impl FnOnce(&str) -> Option<&'m C>,
    ) -> Result<(&'m C, M), RequestError> {
        let merchant = lookup(self.merchant_code())
            .ok_or_else(|| RequestError::unknown_merchant(self.merchant_code()))?;
        let message = self.authenticate(merchant.as_ref())?;
        Ok((merchant, message))
    }
}

impl<M> Received<M> {
    /// Authenticates the request as `sign` signs the message for the claimed merchant code and
    /// passcode.
    pub(super) fn check_signed<'a, S: Signed>(
        &'a self,
        credentials: &Credentials,
        sign: impl FnOnce(&'a M, &'a str, &'a str) -> S,
    ) -> Result<(), RequestError> {
        self.claimed.authenticate(credentials, |code, passcode| {
            sign(&self.message, code, passcode)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::endpoint::Endpoints;

    #[test]
    fn an_unknown_merchant_is_refused_as_failed_authentication() {
        let creds = Credentials::sandbox();
        let query = QueryOrder::new("A1").unwrap();
        let request = query.to_http_request(&creds, &Endpoints::sandbox());
        let received = ReceivedQueryOrder::from_http_request(&request).unwrap();
        assert_eq!(received.message().m_transaction_id(), "A1");
        let e = received
            .authenticate_with(|_code| None::<&Credentials>)
            .unwrap_err();
        assert_eq!(
            e.return_code().map(|c| c.code().to_owned()).as_deref(),
            Some("6000")
        );
        assert!(e.to_string().contains("MICODE"), "{e}");
        let received = ReceivedQueryOrder::from_http_request(&request).unwrap();
        let (found, authenticated) = received
            .authenticate_with(|code| (code == "MICODE").then_some(&creds))
            .unwrap();
        assert_eq!(found.merchant_code(), "MICODE");
        assert_eq!(authenticated, query);
    }
}
