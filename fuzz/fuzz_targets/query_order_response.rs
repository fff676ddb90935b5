#![no_main]
//! Fuzzes the queryOrder response parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pay123_core::OrderStatus::from_json(data, &pay123_core::SecretKey::new("MIKEY"));
});
