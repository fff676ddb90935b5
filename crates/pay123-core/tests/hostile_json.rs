//! A gateway request's body is read without keeping what is never read: the memory a hostile
//! body costs follows its length, whatever its nesting. Measured with dhat's heap statistics.

use pay123_core::gateway::{ReceivedCreateOrder, ReceivedQueryOrder};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A body of `head`, `item` 131,073 times (one more than a power of two: a growing list is at
/// its emptiest) with commas, and `tail`.
fn body(head: &str, item: &str, tail: &str) -> Vec<u8> {
    let n = (1 << 17) + 1;
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
        ("one field many times", body("{", r#""custName":"""#, "}")),
        ("escaped names", body("{", r#""\n":0"#, "}")),
        // A createOrder whose fields are all well formed, with a long list of empty strings:
        // it is read whole (the specification sets no count).
        (
            "a valid order with a long addInfo",
            body(
                r#"{"mTransactionID":"A-1","merchantCode":"MICODE","passcode":"MIPASSCODE","totalAmount":"10000","custGender":"U","redirectURL":"https://shop.example/return","checksum":"0000000000000000000000000000000000000000","addInfo":["#,
                r#""""#,
                "]}",
            ),
        ),
    ];
    for (what, body) in &bodies {
        // Only what is allocated while the profiler runs counts: the body is made before.
        let profiler = dhat::Profiler::builder().testing().build();
        let order = ReceivedCreateOrder::from_json(body);
        // Only the well-formed order is read whole (its checksum is checked later, when it is
        // authenticated); it holds a queryOrder's fields too.
        let query = ReceivedQueryOrder::from_json(body);
        let valid = what.starts_with("a valid order");
        match order {
            Ok(order) => assert_eq!(order.message().add_info().len(), (1 << 17) + 1, "{what}"),
            Err(_) => assert!(!valid, "{what}"),
        }
        assert_eq!(query.is_ok(), valid, "{what}");
        let peak = dhat::HeapStats::get().max_bytes;
        drop(profiler);
        // Only the message's fields are kept, the last of a name given twice. The worst is a
        // list of empty strings: 3 bytes each in the body, 24 in the list, which grows by
        // doubling, so up to 16 times the body with its free room (a `serde_json::Value` took
        // about 21 times). Keeping an object for every `{}` took 300 times.
        assert!(
            peak <= 20 * body.len(),
            "{what}: {peak} bytes at the peak for a body of {}",
            body.len()
        );
    }
}
