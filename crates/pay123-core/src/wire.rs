//! Shared pieces of the wire format: JSON arrays of strings, form bodies, HTTP helpers.

use std::borrow::Cow;

use bytes::Bytes;
#[cfg(feature = "gateway")]
use http::Response;
use http::{HeaderValue, StatusCode, header};

use crate::error::ResponseError;
use crate::status::ReturnCode;

#[cfg(feature = "gateway")]
/// The content type of a notify.
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

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

#[cfg(feature = "gateway")]
/// What a JSON value is, for error messages ("a number").
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
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

#[cfg(feature = "gateway")]
/// A JSON response with status 200.
pub(crate) fn json_response(body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

#[cfg(feature = "gateway")]
/// Serializes a JSON array of optional strings.
pub(crate) fn array_body(items: &[Option<&str>]) -> Vec<u8> {
    serde_json::to_vec(items).expect("a list of optional strings serializes to JSON")
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

/// The last value of each of `names` in a form (`None` when absent), in one pass that keeps
/// no other pair.
pub(crate) fn form_fields<'a, const N: usize>(
    input: &'a [u8],
    names: [&str; N],
) -> [Option<Cow<'a, str>>; N] {
    let mut values = [const { None }; N];
    for (name, value) in parse_form(input) {
        if let Some(i) = names.iter().position(|n| *n == name) {
            values[i] = Some(value);
        }
    }
    values
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

#[cfg(feature = "gateway")]
/// Writes a form-urlencoded string.
pub(crate) fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
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

#[cfg(feature = "gateway")]
pub(crate) use gateway::*;

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

/// The gateway's failure answer `[returnCode, description]` (no checksum), HTTP 200.
///
/// ```
/// use pay123_core::{ReturnCode, error_response};
/// let response = error_response(&ReturnCode::Busy, "He thong ban");
/// assert_eq!(response.body().as_ref(), br#"["5000","He thong ban"]"#);
/// ```
#[cfg(feature = "gateway")]
#[must_use]
pub fn error_response(code: &ReturnCode, description: &str) -> Response<Bytes> {
    json_response(array_body(&[Some(code.code()), Some(description)]))
}

/// The gateway side's reading of requests.
#[cfg(feature = "gateway")]
mod gateway {
    use std::borrow::Cow;
    use std::fmt;

    use http::header;
    use serde::Deserialize;
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    use crate::error::{ChecksumError, RequestError, Rule, ValidationError};
    use crate::secret::Credentials;
    use crate::validate;

    /// 123PAY answers HTTP 415 to a request without `Accept: application/json`.
    pub(crate) fn require_json_accept(headers: &http::HeaderMap) -> Result<(), RequestError> {
        let accepts = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| {
                let media = v.split(';').next().unwrap_or("").trim();
                media.eq_ignore_ascii_case("application/json")
            });
        if accepts {
            Ok(())
        } else {
            Err(RequestError::NotAcceptable)
        }
    }

    /// The value of a request's member, as its fields are read: strings are borrowed from the
    /// body when they hold no escape; what is never read (the contents of an object, the items
    /// of an array that are not strings) is skipped, not kept, so that memory follows the
    /// members read and not the nesting of a hostile body.
    pub(crate) enum JsonValue<'a> {
        Null,
        String(Cow<'a, str>),
        /// An array: its strings, or `None` when an item is not a string.
        Array(Option<Vec<Cow<'a, str>>>),
        /// A boolean, a number or an object: never read.
        Other,
    }

    /// What a visitor gives for the values that are never read (an object's members skipped).
    macro_rules! unread {
        ($value:ty, $other:expr) => {
            fn visit_bool<E>(self, _: bool) -> Result<$value, E> {
                Ok($other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<$value, E> {
                Ok($other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<$value, E> {
                Ok($other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<$value, E> {
                Ok($other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$value, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok($other)
            }
        };
    }

    /// A value that is not read, checked as serde_json checks what it keeps (UTF-8 and escapes
    /// of strings, the range of numbers, at most 128 levels of nesting) and kept nowhere: a body
    /// 123PAY would refuse as JSON is refused here too, whatever member holds the fault.
    /// (`IgnoredAny` checks only the syntax.)
    struct Skip;

    impl<'de> Deserialize<'de> for Skip {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(SkipVisitor)
        }
    }

    struct SkipVisitor;

    impl<'de> Visitor<'de> for SkipVisitor {
        type Value = Skip;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        unread!(Skip, Skip);
        fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_unit<E>(self) -> Result<Skip, E> {
            Ok(Skip)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok(Skip)
        }
    }

    impl<'de> Deserialize<'de> for JsonValue<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ValueVisitor { item: false })
        }
    }

    /// Reads a member's value, or (`item`) an item of its array, whose own arrays are skipped:
    /// a list is of strings, one level deep.
    struct ValueVisitor {
        item: bool,
    }

    impl<'de> DeserializeSeed<'de> for ValueVisitor {
        type Value = JsonValue<'de>;

        fn deserialize<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = JsonValue<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }
        unread!(JsonValue<'de>, JsonValue::Other);
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(JsonValue::Null)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(JsonValue::Null)
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(JsonValue::String(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(JsonValue::String(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(JsonValue::String(Cow::Owned(v)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            if self.item {
                while seq.next_element::<Skip>()?.is_some() {}
                return Ok(JsonValue::Other);
            }
            let mut strings = Some(Vec::new());
            while let Some(item) = seq.next_element_seed(ValueVisitor { item: true })? {
                match (item, &mut strings) {
                    (JsonValue::String(string), Some(strings)) => strings.push(string),
                    _ => strings = None,
                }
            }
            Ok(JsonValue::Array(strings))
        }
    }

    /// A request's body: the values of the members asked for (the last of a name given twice),
    /// or the kind of anything else.
    enum Body<'a> {
        Object(Vec<Option<JsonValue<'a>>>),
        Other(&'static str),
    }

    /// Reads a body, keeping only the members named in `names`: what a body costs then follows
    /// the fields a message has, not the members a sender writes.
    struct BodyVisitor {
        names: &'static [&'static str],
    }

    impl<'de> DeserializeSeed<'de> for BodyVisitor {
        type Value = Body<'de>;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Body<'de>, D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for BodyVisitor {
        type Value = Body<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Body::Other("a boolean"))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Body::Other("a number"))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Body::Other("a number"))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Body::Other("a number"))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Body::Other("null"))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Body::Other("a string"))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok(Body::Other("an array"))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut values: Vec<Option<JsonValue<'de>>> = std::iter::repeat_with(|| None)
                .take(self.names.len())
                .collect();
            while let Some(name) = map.next_key::<Name<'de>>()? {
                match self.names.iter().position(|n| *n == name.0) {
                    Some(i) => values[i] = Some(map.next_value()?),
                    None => {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            Ok(Body::Object(values))
        }
    }

    /// A member's name.
    struct Name<'a>(Cow<'a, str>);

    impl<'de> Deserialize<'de> for Name<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(NameVisitor)
        }
    }

    struct NameVisitor;

    impl<'de> Visitor<'de> for NameVisitor {
        type Value = Name<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a member's name")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Name(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Name(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Name(Cow::Owned(v)))
        }
    }

    /// A JSON object whose values must be strings, as far as the fields a message reads: a name
    /// given twice has its last value, as in a `serde_json::Map`.
    pub(crate) struct JsonObject<'a> {
        names: &'static [&'static str],
        values: Vec<Option<JsonValue<'a>>>,
    }

    impl<'a> JsonObject<'a> {
        /// Reads `body`, keeping the members named in `names` (every field the caller reads).
        pub(crate) fn parse(
            body: &'a [u8],
            names: &'static [&'static str],
        ) -> Result<Self, RequestError> {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let read = BodyVisitor { names }
                .deserialize(&mut deserializer)
                .and_then(|read| deserializer.end().map(|()| read));
            match read {
                Ok(Body::Object(values)) => Ok(Self { names, values }),
                Ok(Body::Other(kind)) => Err(RequestError::Json(format!(
                    "expected an object, got {kind}"
                ))),
                Err(e) => Err(RequestError::Json(e.to_string())),
            }
        }

        fn position(&self, field: &str) -> Option<usize> {
            let position = self.names.iter().position(|n| *n == field);
            debug_assert!(position.is_some(), "{field} is not among the names read");
            position
        }

        fn get(&self, field: &str) -> Option<&JsonValue<'a>> {
            self.values.get(self.position(field)?)?.as_ref()
        }

        pub(crate) fn optional(
            &self,
            field: &'static str,
        ) -> Result<Option<String>, ValidationError> {
            match self.get(field) {
                None | Some(JsonValue::Null) => Ok(None),
                Some(JsonValue::String(s)) => Ok(Some(s.clone().into_owned())),
                Some(_) => Err(ValidationError::new(field, Rule::NotAString)),
            }
        }

        pub(crate) fn required(&self, field: &'static str) -> Result<String, ValidationError> {
            match self.optional(field)? {
                Some(s) if !s.is_empty() => Ok(s),
                _ => Err(ValidationError::new(field, Rule::Required)),
            }
        }

        /// A list of strings, taken out of the object (its items are not copied).
        pub(crate) fn take_string_list(
            &mut self,
            field: &'static str,
        ) -> Result<Vec<String>, ValidationError> {
            let taken = self
                .position(field)
                .and_then(|i| self.values.get_mut(i))
                .and_then(Option::take);
            match taken {
                None | Some(JsonValue::Null) => Ok(Vec::new()),
                Some(JsonValue::Array(Some(items))) => {
                    Ok(items.into_iter().map(Cow::into_owned).collect())
                }
                Some(_) => Err(ValidationError::new(field, Rule::NotAString)),
            }
        }
    }

    /// What a createOrder or queryOrder request claims about its merchant, before authentication.
    pub(crate) struct Claimed {
        merchant_code: String,
        passcode: String,
        checksum: String,
    }

    impl fmt::Debug for Claimed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Claimed")
                .field("merchant_code", &self.merchant_code)
                .field("passcode", &"[redacted]")
                .field("checksum", &self.checksum)
                .finish()
        }
    }

    impl Claimed {
        /// Reads `merchantCode`, `passcode` (at most `passcode_max` characters: the method's
        /// table) and `checksum`. A format error is answered 6100 before any authentication.
        pub(crate) fn parse(
            obj: &JsonObject<'_>,
            passcode_max: usize,
        ) -> Result<Self, ValidationError> {
            let merchant_code = obj.required("merchantCode")?;
            validate::token("merchantCode", &merchant_code, 20)?;
            let passcode = obj.required("passcode")?;
            validate::max_len("passcode", &passcode, passcode_max)?;
            Ok(Self {
                merchant_code,
                passcode,
                checksum: obj.optional("checksum")?.unwrap_or_default(),
            })
        }

        pub(crate) fn merchant_code(&self) -> &str {
            &self.merchant_code
        }

        /// The gateway's check: merchant code, passcode (constant time), then the checksum that
        /// `verify` computes from the claimed merchant code and passcode.
        pub(crate) fn authenticate(
            &self,
            credentials: &Credentials,
            verify: impl FnOnce(&str, &str, &str) -> Result<(), ChecksumError>,
        ) -> Result<(), RequestError> {
            if self.merchant_code != credentials.merchant_code() {
                return Err(RequestError::unknown_merchant(&self.merchant_code));
            }
            if !credentials.passcode().matches(&self.passcode) {
                return Err(RequestError::Authentication("wrong passcode".into()));
            }
            verify(&self.merchant_code, &self.passcode, &self.checksum)
                .map_err(|e| RequestError::Authentication(e.to_string()))
        }
    }

    /// The JSON object of a gateway request, after the `Accept: application/json` check.
    pub(crate) fn request_object<'a, B: AsRef<[u8]>>(
        request: &'a http::Request<B>,
        names: &'static [&'static str],
    ) -> Result<JsonObject<'a>, RequestError> {
        require_json_accept(request.headers())?;
        JsonObject::parse(request.body().as_ref(), names)
    }
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
        fn form_fields_are_the_last_values(input in form_bytes()) {
            let pairs: Vec<_> = form_urlencoded::parse(&input).collect();
            let names = ["a", "a%", "a ", "\u{e1}", ""];
            let fields = form_fields(&input, names);
            for (name, value) in names.iter().zip(fields) {
                prop_assert_eq!(value.as_deref(), form_field(&pairs, name));
            }
        }
    }

    /// A JSON object's text: members from a few names (repeated at times), of every kind of
    /// value, with escapes.
    #[cfg(feature = "gateway")]
    fn json_object_text() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("12".to_owned()),
            Just("-1.5e3".to_owned()),
            Just("{\"a\":[1]}".to_owned()),
            Just("[\"x\",\"y\\u00e9\"]".to_owned()),
            Just("[\"x\",2]".to_owned()),
            Just("[]".to_owned()),
            "[a-z \u{e9}]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just("\"a\\\"b\\n\"".to_owned()),
        ];
        let name = prop_oneof![Just("a"), Just("b"), Just("c\\u0041"), Just("cA")];
        proptest::collection::vec((name, value), 0..6).prop_map(|members| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(name, value)| format!("\"{name}\" : {value}"))
                .collect();
            format!("{{{}}}", members.join(","))
        })
    }

    #[cfg(feature = "gateway")]
    proptest! {
        /// Each field reads as it read from a `serde_json::Value` (the last of a name given
        /// twice; a number, a boolean or an object is not a string).
        #[test]
        fn json_object_reads_as_serde_json_value(text in json_object_text()) {
            use crate::error::{Rule, ValidationError};
            let mut ours = JsonObject::parse(text.as_bytes(), &["a", "b", "cA", "d"]).unwrap();
            let serde_json::Value::Object(map) = serde_json::from_str(&text).unwrap() else {
                panic!("not an object: {text}");
            };
            for field in ["a", "b", "cA", "d"] {
                let expected = match map.get(field) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(ValidationError::new(field, Rule::NotAString)),
                };
                prop_assert_eq!(ours.optional(field), expected);
                let list = match map.get(field) {
                    None | Some(serde_json::Value::Null) => Some(Vec::new()),
                    Some(serde_json::Value::Array(items)) => items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned))
                        .collect(),
                    Some(_) => None,
                };
                prop_assert_eq!(ours.take_string_list(field).ok(), list);
            }
        }
    }

    #[cfg(feature = "gateway")]
    #[test]
    fn a_fault_in_a_member_not_read_is_still_a_json_error() {
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let bodies: [&[u8]; 6] = [
            b"{\"x\":\"\xff\"}",
            br#"{"x":"\ud800"}"#,
            br#"{"x":1e400}"#,
            deep.as_bytes(),
            br#"{"x":{"y":["\ud800"]}}"#,
            br#"{"a":[{"y":1e400}]}"#,
        ];
        for body in bodies {
            assert!(
                matches!(
                    JsonObject::parse(body, &["a"]),
                    Err(crate::RequestError::Json(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
            // As serde_json refuses them.
            assert!(serde_json::from_slice::<serde_json::Value>(body).is_err());
        }
    }

    #[cfg(feature = "gateway")]
    #[test]
    fn a_body_that_is_not_an_object_is_named() {
        for (body, kind) in [("[1]", "an array"), ("12", "a number"), ("null", "null")] {
            let Err(crate::RequestError::Json(message)) = JsonObject::parse(body.as_bytes(), &[])
            else {
                panic!("{body} was read as an object");
            };
            assert_eq!(message, format!("expected an object, got {kind}"));
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
