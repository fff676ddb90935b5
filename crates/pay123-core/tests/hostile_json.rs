//! A gateway request's body is read without keeping what is never read: the memory a hostile
//! body costs follows its length, whatever its nesting. Measured with dhat's heap statistics.

use pay123_core::{ReceivedCreateOrder, ReceivedQueryOrder};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A body of about 1 MiB: `head`, `item` repeated with commas, `tail`.
fn body(head: &str, item: &str, tail: &str) -> Vec<u8> {
    let n = (1 << 20) / (item.len() + 1);
    let mut body = head.as_bytes().to_vec();
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item.as_bytes());
    }
    body.extend_from_slice(tail.as_bytes());
    body
}

#[test]
fn hostile_bodies_cost_memory_in_proportion_to_their_length() {
    let bodies = [
        ("empty objects in an array", body("[", "{}", "]")),
        (
            "empty objects in a member",
            body(r#"{"addInfo":["#, "{}", "]}"),
        ),
        ("nested arrays", body(r#"{"addInfo":["#, "[[]]", "]}")),
        (
            "objects in objects",
            body(r#"{"a":{"#, r#""b":{"c":{}}"#, "}}"),
        ),
        (
            "short strings in a list",
            body(r#"{"addInfo":["#, r#""""#, "]}"),
        ),
        ("one name many times", body("{", r#""a":1"#, "}")),
    ];
    for (what, body) in &bodies {
        // Only what is allocated while the profiler runs counts: the body is made before.
        let profiler = dhat::Profiler::builder().testing().build();
        assert!(ReceivedCreateOrder::from_json(body).is_err(), "{what}");
        assert!(ReceivedQueryOrder::from_json(body).is_err(), "{what}");
        let peak = dhat::HeapStats::get().max_bytes;
        drop(profiler);
        // The worst is a list of empty strings, 3 bytes each in the body and 24 in the list
        // (12 times the body at the peak, as the list grows; a `serde_json::Value` takes more).
        // Keeping an object for every `{}` took 300 times.
        assert!(
            peak <= 16 * body.len(),
            "{what}: {peak} bytes at the peak for a body of {}",
            body.len()
        );
    }
}
