//! The shop against a fake 123PAY built from the core's gateway-side messages, with a real
//! SQLite file in a temporary directory.

#[path = "api/checkout.rs"]
mod checkout;
#[path = "api/common.rs"]
mod common;
#[path = "api/http_contract.rs"]
mod http_contract;
#[path = "api/notify.rs"]
mod notify;
#[path = "api/return_page.rs"]
mod return_page;
