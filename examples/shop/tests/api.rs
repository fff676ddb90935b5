//! The shop's domain against a fake 123PAY built from the core's gateway-side messages, with a
//! real SQLite file in a temporary directory. Its HTTP contract is tested against every demo
//! shop by the conformance list of `tests/`.

#[path = "api/checkout.rs"]
mod checkout;
#[path = "api/common.rs"]
mod common;
#[path = "api/notify.rs"]
mod notify;
#[path = "api/reconcile.rs"]
mod reconcile;
#[path = "api/return_page.rs"]
mod return_page;
