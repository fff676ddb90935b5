//! A createOrder or queryOrder request as the gateway receives it: parsed first, then
//! authenticated against the credentials of the merchant it claims to be. One type for both
//! methods, so that a gateway (the sandbox, a test double) handles them with one piece of code.

use http::Request;

use crate::message::checksum::{Message, Signed};
use crate::message::create_order::{CreateOrder, SignedCreateOrder};
use crate::message::query_order::{QueryOrder, SignedQueryOrder};
use crate::message::secret::Credentials;

use super::error::RequestError;
use super::wire::{self, Claimed, JsonObject};
use crate::message::SignedRequest;

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

/// How a request is read: the core's own, so that [`MerchantRequest`] stays the two methods of
/// the specification. Reading, validating and authenticating are written once for both, in the
/// impl of `sealed::Parse` below.
pub(crate) trait Wire: SignedRequest {
    /// The members read; any other is skipped.
    const FIELDS: &'static [&'static str];
    /// The longest `passcode` taken.
    const PASSCODE_MAX: usize;

    /// The request's own members (the claimed merchant code, passcode and checksum are read
    /// apart), before validation.
    fn read(obj: &mut JsonObject<'_>) -> Result<Self, RequestError>;
}

pub(super) mod sealed {
    use super::{Claimed, Credentials, JsonObject, Received, RequestError, Wire};

    /// What [`super::MerchantRequest`] needs of a message, in terms its users see: implemented
    /// for the core's [`Wire`] messages only.
    pub trait Parse: Sized {
        /// Reads and validates the members of a JSON body; any other member is skipped.
        fn from_json(body: &[u8]) -> Result<Received<Self>, RequestError>;

        /// Checks the claimed merchant code, passcode and checksum against `credentials`.
        fn check(received: &Received<Self>, credentials: &Credentials) -> Result<(), RequestError>;
    }

    impl<M: Wire> Parse for M {
        fn from_json(body: &[u8]) -> Result<Received<Self>, RequestError> {
            let mut obj = JsonObject::parse(body, M::FIELDS)?;
            let claimed = Claimed::parse(&obj, M::PASSCODE_MAX)?;
            let message = M::read(&mut obj)?;
            message.validate()?;
            Ok(Received { message, claimed })
        }

        fn check(received: &Received<Self>, credentials: &Credentials) -> Result<(), RequestError> {
            received
                .claimed
                .authenticate(credentials, |code, passcode| {
                    received.message.signed(code, passcode)
                })
        }
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

    #[test]
    fn only_a_sender_with_the_passcode_learns_that_the_checksum_failed() {
        let creds = Credentials::sandbox();
        let query = QueryOrder::new("A1").unwrap();
        let request = query.to_http_request(&creds, &Endpoints::sandbox());
        let received = || ReceivedQueryOrder::from_http_request(&request).unwrap();
        // The right passcode with another key: the checksum is what fails.
        let other_key = Credentials::new("MICODE", "MIPASSCODE", "ANOTHERKEY").unwrap();
        let e = received().authenticate(&other_key).unwrap_err();
        assert!(matches!(e, RequestError::Checksum(_)), "{e}");
        // A wrong passcode is refused before the checksum is looked at.
        let other_passcode = Credentials::new("MICODE", "ANOTHERPASS", "MIKEY").unwrap();
        let e = received().authenticate(&other_passcode).unwrap_err();
        assert!(matches!(e, RequestError::Authentication(_)), "{e}");
        for e in [&e, &received().authenticate(&other_key).unwrap_err()] {
            assert_eq!(
                e.return_code(),
                Some(crate::ReturnCode::AuthenticationFailed)
            );
        }
    }
}
