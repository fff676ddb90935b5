#![no_main]
//! Fuzzes the notify verifier (form body and query string).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_499_789_401);
    let verifier = pay123_core::NotifyVerifier::new(pay123_core::SecretKey::new("MIKEY"));
    let _ = verifier.verify_form(data, now);
    if let Ok(q) = std::str::from_utf8(data) {
        if let Ok(request) = http::Request::get(format!("http://shop/n?{q}")).body(Vec::<u8>::new()) {
            let _ = verifier.verify_request(&request, now);
        }
    }
});
