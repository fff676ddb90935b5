//! The payment flow ([`pay123_core::payments`]) against the fake 123PAY and the memory store:
//! checkout, the confirmed notify, the return page and the reconciler.

mod checkout;
mod handover;
mod notify;
mod reconcile;
mod return_page;
mod support;
