//! What the two gateway methods' requests have in common on the gateway side: parsed first,
//! then authenticated against the credentials of the merchant they claim to be.

use http::Request;

use crate::message::create_order::CreateOrder;
use crate::message::query_order::QueryOrder;

use super::create_order::ReceivedCreateOrder;
use super::error::RequestError;
use super::query_order::ReceivedQueryOrder;
use crate::message::secret::Credentials;

/// A createOrder or queryOrder request as the gateway receives it: parsed and valid, not yet
/// authenticated. Lets a gateway (the sandbox, a test double) handle both methods with one
/// piece of code.
pub trait ReceivedRequest: Sized {
    /// The method's name: `createOrder` or `queryOrder`.
    const METHOD: &'static str;
    /// The request once authenticated.
    type Message;

    /// Parses a request: `Accept: application/json` is required (else HTTP 415).
    fn from_http_request<B: AsRef<[u8]>>(request: &Request<B>) -> Result<Self, RequestError>;

    /// The merchant code the request claims.
    fn merchant_code(&self) -> &str;

    /// `mTransactionID`, before authentication (for logs).
    fn m_transaction_id(&self) -> &str;

    /// Checks the merchant code, the passcode and the checksum against these credentials.
    fn authenticate(self, credentials: &Credentials) -> Result<Self::Message, RequestError>;

    /// Finds the claimed merchant with `lookup`, then authenticates against its credentials.
    /// An unknown merchant is refused as failed authentication (`6000`), as 123PAY does.
    fn authenticate_with<'m, M: AsRef<Credentials> + ?Sized>(
        self,
        lookup: impl FnOnce(&str) -> Option<&'m M>,
    ) -> Result<(&'m M, Self::Message), RequestError> {
        let merchant = lookup(self.merchant_code())
            .ok_or_else(|| RequestError::unknown_merchant(self.merchant_code()))?;
        let message = self.authenticate(merchant.as_ref())?;
        Ok((merchant, message))
    }
}

impl ReceivedRequest for ReceivedCreateOrder {
    const METHOD: &'static str = "createOrder";
    type Message = CreateOrder;

    fn from_http_request<B: AsRef<[u8]>>(request: &Request<B>) -> Result<Self, RequestError> {
        ReceivedCreateOrder::from_http_request(request)
    }
    fn merchant_code(&self) -> &str {
        ReceivedCreateOrder::merchant_code(self)
    }
    fn m_transaction_id(&self) -> &str {
        self.order().m_transaction_id()
    }
    fn authenticate(self, credentials: &Credentials) -> Result<CreateOrder, RequestError> {
        ReceivedCreateOrder::authenticate(self, credentials)
    }
}

impl ReceivedRequest for ReceivedQueryOrder {
    const METHOD: &'static str = "queryOrder";
    type Message = QueryOrder;

    fn from_http_request<B: AsRef<[u8]>>(request: &Request<B>) -> Result<Self, RequestError> {
        ReceivedQueryOrder::from_http_request(request)
    }
    fn merchant_code(&self) -> &str {
        ReceivedQueryOrder::merchant_code(self)
    }
    fn m_transaction_id(&self) -> &str {
        self.query().m_transaction_id()
    }
    fn authenticate(self, credentials: &Credentials) -> Result<QueryOrder, RequestError> {
        ReceivedQueryOrder::authenticate(self, credentials)
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
        assert_eq!(ReceivedRequest::m_transaction_id(&received), "A1");
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
