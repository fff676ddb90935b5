//! Shared pieces of the wire format: JSON arrays of strings, form bodies, HTTP helpers.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::message::error::ResponseError;
use crate::message::status::ReturnCode;

/// The content type of JSON bodies pay123 sends.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// One item of a gateway answer: a string (borrowed from the body when it has no escapes), a
/// number written as its text, or `null`.
pub(crate) type Item<'a> = Option<std::borrow::Cow<'a, str>>;

/// Reads an item: a string, a number (as its text) or `null`; anything else is an error naming
/// what it is.
struct ItemSeed;

impl<'de> serde::de::Visitor<'de> for ItemSeed {
    type Value = Item<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Borrowed(v)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v.to_string())))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(std::borrow::Cow::Owned(
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        )))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The items of an answer, as a sequence of [`ItemSeed`]s.
struct Items;

impl<'de> serde::de::Visitor<'de> for Items {
    type Value = Vec<Item<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of strings")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(16));
        while let Some(item) = seq.next_element_seed(ItemDeserialize)? {
            items.push(item);
        }
        Ok(items)
    }
}

struct ItemDeserialize;

impl<'de> serde::de::DeserializeSeed<'de> for ItemDeserialize {
    type Value = Item<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ItemSeed)
    }
}

/// Reads a JSON array whose items are strings (numbers and `null` are tolerated), borrowing
/// from `body` where it can.
pub(crate) fn string_array(body: &[u8]) -> Result<Vec<Item<'_>>, ResponseError> {
    let malformed = |reason: String| ResponseError::Malformed {
        reason,
        body: lossy(body),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let items = serde::Deserializer::deserialize_seq(&mut de, Items).map_err(|e| {
        if e.is_data() {
            malformed(format!("not a JSON array of strings: {e}"))
        } else {
            malformed(format!("not JSON: {e}"))
        }
    })?;
    de.end().map_err(|e| malformed(format!("not JSON: {e}")))?;
    Ok(items)
}

/// Takes item `i` as an owned string (`""` for `null` or a missing item).
pub(crate) fn take(items: &mut [Item<'_>], i: usize) -> String {
    items
        .get_mut(i)
        .and_then(Option::take)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default()
}

/// Checks the HTTP status of a gateway response.
pub(crate) fn expect_ok(status: StatusCode, body: &[u8]) -> Result<(), ResponseError> {
    if status == StatusCode::OK {
        Ok(())
    } else {
        Err(ResponseError::Status {
            status,
            body: lossy(body),
        })
    }
}

/// At most 2000 characters of a body, for error messages.
pub(crate) fn lossy(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(2000).collect()
}

/// A form's (name, value) pairs, as [`form_urlencoded::parse`] reads them. A pair of ASCII
/// without `%` or `+` needs no decoding: it is cut where it stands and borrowed, which is most
/// of a notify (digits, codes, hex); any other pair is decoded by `form_urlencoded`. The form is
/// looked at as a whole first, and cut at `&` and `=` with `memchr`: a notify has no byte
/// to decode more often than not.
fn parse_form(input: &[u8]) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    // `Some` when no pair of the form needs decoding.
    let plain_form = std::str::from_utf8(input)
        .ok()
        .filter(|s| s.is_ascii() && memchr::memchr2(b'%', b'+', input).is_none());
    let mut start = 0;
    memchr::memchr_iter(b'&', input)
        .chain(std::iter::once(input.len()))
        .filter_map(move |end| {
            let range = start..end;
            start = end + 1;
            let piece = &input[range.clone()];
            if piece.is_empty() {
                return None;
            }
            let plain = match plain_form {
                Some(form) => form.get(range),
                None if piece.is_ascii() && memchr::memchr2(b'%', b'+', piece).is_none() => {
                    std::str::from_utf8(piece).ok()
                }
                None => None,
            };
            match plain {
                Some(piece) => {
                    let (name, value) = match memchr::memchr(b'=', piece.as_bytes()) {
                        Some(i) => (&piece[..i], &piece[i + 1..]),
                        None => (piece, ""),
                    };
                    Some((Cow::Borrowed(name), Cow::Borrowed(value)))
                }
                // One piece holds one pair: `form_urlencoded` decodes it.
                None => form_urlencoded::parse(piece).next(),
            }
        })
}

/// Reads a form-urlencoded string into (name, value) pairs.
pub(crate) fn form_pairs(input: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    parse_form(input).collect()
}

/// The value of each of `names` in a form (`None` when absent), in one pass that keeps no other
/// pair, and the first of `names` given more than once (its last value is kept).
pub(crate) fn form_fields<'a, const N: usize>(
    input: &'a [u8],
    names: [&'static str; N],
) -> ([Option<Cow<'a, str>>; N], Option<&'static str>) {
    let mut values = [const { None }; N];
    let mut repeated = None;
    for (name, value) in parse_form(input) {
        if let Some(i) = names.iter().position(|n| *n == name)
            && values[i].replace(value).is_some()
        {
            repeated = repeated.or(Some(names[i]));
        }
    }
    (values, repeated)
}

/// The first of `names` given more than once in form pairs.
pub(crate) fn repeated_field(
    pairs: &[(Cow<'_, str>, Cow<'_, str>)],
    names: &[&'static str],
) -> Option<&'static str> {
    names
        .iter()
        .find(|name| pairs.iter().filter(|(k, _)| k == *name).count() > 1)
        .copied()
}

/// The last value of a field in form pairs (absent fields are `None`).
pub(crate) fn form_field<'a>(
    pairs: &'a [(Cow<'_, str>, Cow<'_, str>)],
    name: &str,
) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
}

/// A signed JSON `POST` to a gateway method.
pub(crate) fn json_request(uri: &http::Uri, body: Vec<u8>) -> http::Request<Bytes> {
    let mut request = http::Request::new(Bytes::from(body));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = uri.clone();
    let headers = request.headers_mut();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    request
}

/// The items of a gateway answer: a success (`"1"`) with at least `len` items, or the error.
pub(crate) fn success_items(body: &[u8], len: usize) -> Result<Vec<Item<'_>>, ResponseError> {
    let mut items = string_array(body)?;
    let code = items.first().cloned().flatten().unwrap_or_default();
    if code.is_empty() {
        return Err(ResponseError::Malformed {
            reason: "no returnCode".into(),
            body: lossy(body),
        });
    }
    // A failure answer is not signed: its code is held to the form of 123PAY's codes (digits)
    // before it is shown to a buyer, stored or logged as a code.
    let well_formed = code.len() <= 8 && code.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(ResponseError::Malformed {
            reason: "a returnCode that is not a number".into(),
            body: lossy(body),
        });
    }
    if code != "1" {
        return Err(ResponseError::Gateway {
            code: ReturnCode::from_code(&code),
            description: take(&mut items, 1),
        });
    }
    if items.len() < len {
        return Err(ResponseError::Malformed {
            reason: format!("a success answer has {len} items, this one {}", items.len()),
            body: lossy(body),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes where the form's punctuation, escapes, spaces and broken UTF-8 are frequent.
    fn form_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            Just(b'&'),
            Just(b'='),
            Just(b'%'),
            Just(b'+'),
            Just(b'2'),
            Just(b'0'),
            Just(b'F'),
            Just(b'a'),
            Just(0xC3),
            Just(0xA1),
            Just(0xFF),
            any::<u8>(),
        ];
        proptest::collection::vec(byte, 0..40)
    }

    proptest! {
        #[test]
        fn form_pairs_reads_as_form_urlencoded_does(input in form_bytes()) {
            let expected: Vec<_> = form_urlencoded::parse(&input).collect();
            prop_assert_eq!(form_pairs(&input), expected);
        }

        #[test]
        fn form_fields_are_the_last_values_and_name_a_repeated_one(input in form_bytes()) {
            let pairs: Vec<_> = form_urlencoded::parse(&input).collect();
            let names = ["a", "a%", "a ", "\u{e1}", ""];
            let (fields, repeated) = form_fields(&input, names);
            for (name, value) in names.iter().zip(fields) {
                prop_assert_eq!(value.as_deref(), form_field(&pairs, name));
            }
            prop_assert_eq!(repeated.is_some(), repeated_field(&pairs, &names).is_some());
            if let Some(name) = repeated {
                prop_assert!(pairs.iter().filter(|(k, _)| k == name).count() > 1);
            }
        }
    }

    #[test]
    fn plain_pairs_are_borrowed_and_escaped_ones_decoded() {
        let pairs = form_pairs(b"a=1&&b&c=x=y&d=Thanh+c%C3%B4ng&e=%ZZ");
        let owned: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(
            owned,
            [
                ("a", "1"),
                ("b", ""),
                ("c", "x=y"),
                ("d", "Thanh công"),
                ("e", "%ZZ")
            ]
        );
        assert!(matches!(pairs[0].1, std::borrow::Cow::Borrowed(_)));
        assert!(matches!(pairs[3].1, std::borrow::Cow::Owned(_)));
    }
}
