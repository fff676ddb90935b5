//! The gateway's side of the protocol (feature `gateway`): reading what a merchant sends
//! (createOrder and queryOrder requests, the notify's reply) and signing what 123PAY answers and
//! sends (their answers, the notify, the return redirect's ticket). The sandbox and test doubles
//! play 123PAY with it; a merchant does not need it.
//!
//! The gateway's constructors of the merchant's types (`CreatedOrder::new`,
//! `OrderStatus::new`, `Notify::new`, `ReturnTicket::new`...) and their `to_http_response` /
//! `to_http_request` are defined here too, on the same types.

pub(crate) mod answer;
mod create_order;
mod error;
mod notify;
mod query_order;
mod received;
pub(crate) mod wire;

pub use answer::error_response;
pub use error::{ReplyError, RequestError};
pub use received::{MerchantRequest, Received, ReceivedCreateOrder, ReceivedQueryOrder};
