//! The shop's domain over pay123's payment flow, against the core's fake 123PAY, with a real
//! SQLite file in a temporary directory: what an order buys, the limits of checkout, the pages.
//! The payment rules are the library's and tested there; the shop's HTTP contract is tested
//! against every demo shop by the conformance list of `tests/`.

#[path = "api/checkout.rs"]
mod checkout;
#[path = "api/common.rs"]
mod common;
#[path = "api/migrate.rs"]
mod migrate;
#[path = "api/pages.rs"]
mod pages;
