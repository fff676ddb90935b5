#![no_main]
//! Fuzzes the gateway side's createOrder request parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pay123_core::gateway::ReceivedCreateOrder::from_json(data)
        .map(|r| r.authenticate(&pay123_core::Credentials::sandbox()));
});
