//! [`Error`]: any error a merchant meets with this crate, for `?`.

use crate::client::ClientError;
use crate::merchant::payments::{NotCreated, StoreError};
#[cfg(doc)]
use crate::message::ErrorChain;
use crate::message::{ChecksumError, ResponseError, ValidationError, VerifyError};

/// A result whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error a merchant meets with this crate, for `?` in code that does several things.
///
/// Every error says, the same way in every framework adapter, whether trying again may help
/// ([`is_retryable`](Self::is_retryable)), the HTTP status to answer
/// ([`http_status`](Self::http_status)), what to tell the buyer, in Vietnamese and English
/// ([`vietnamese`](Self::vietnamese), [`english`](Self::english)), and what the operator needs
/// ([`ErrorChain`], or `{:#}`). See [`Failure`](crate::Failure) for the classes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value broke a rule of the specification.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A checksum did not verify.
    #[error(transparent)]
    Checksum(#[from] ChecksumError),
    /// A response of 123PAY could not be used.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// A notify or a return redirect was refused.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A createOrder or queryOrder call failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The merchant's payment store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// createOrder did not create the payment; the order is recorded.
    #[error(transparent)]
    NotCreated(#[from] NotCreated),
}
