#![no_main]
//! Fuzzes the return redirect verifier.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_349_164_000);
        let _ = pay123_core::ReturnTicket::verify_query(
            q,
            &pay123_core::SecretKey::new("MIKEY"),
            now,
            pay123_core::RETURN_WINDOW,
        );
    }
});
