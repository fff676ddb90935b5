//! Integration tests of pay123-core's public API: the spec's vectors, round trips and tamper
//! tests (proptest), validation rules, secrets, the listener, the client and the payment flow.

#[path = "api/client.rs"]
mod client;
#[path = "api/common.rs"]
mod common;
#[path = "api/gateway.rs"]
mod gateway;
#[path = "api/listener.rs"]
mod listener;
#[path = "api/no_panic.rs"]
mod no_panic;
#[path = "api/oracle.rs"]
mod oracle;
#[path = "api/payments/mod.rs"]
mod payments;
#[path = "api/roundtrip.rs"]
mod roundtrip;
#[path = "api/secrets.rs"]
mod secrets;
#[path = "api/validation.rs"]
mod validation;
#[path = "api/vectors.rs"]
mod vectors;
