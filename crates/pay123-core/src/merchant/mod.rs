//! The merchant's rules: when an order is paid ([`judge`](crate::OrderStatus::judge)), when to
//! ask 123PAY again ([`reconcile`]), the payment flow over the merchant's store ([`payments`]),
//! and what every failure means for the buyer and the operator ([`Failure`], [`Error`]).

pub(crate) mod error;
pub(crate) mod failure;
pub(crate) mod judge;
pub mod payments;
pub mod reconcile;

pub use error::{Error, Result};
pub use failure::{Failure, wants_json};
pub use judge::{Judgement, Mismatch};
