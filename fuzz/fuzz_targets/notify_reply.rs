#![no_main]
//! Fuzzes the notify reply parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pay123_core::NotifyReply::from_json(data, &pay123_core::SecretKey::new("MIKEY"));
});
