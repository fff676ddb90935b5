//! The wire, gateway side: reading the requests merchants send (JSON objects held to 123PAY's
//! rules, the credentials they claim).

use std::borrow::Cow;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::RequestError;
use crate::message::checksum::Signed;
use crate::message::rule::{Rule, ValidationError};
use crate::message::secret::{Credentials, Passcode};
use crate::message::validate;

/// 123PAY answers HTTP 415 to a request that does not accept JSON. `application/json`,
/// `application/*` and `*/*` all accept it (RFC 9110, 12.5.1), unless given `q=0`.
pub(crate) fn require_json_accept(headers: &http::HeaderMap) -> Result<(), RequestError> {
    let accepts = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let mut parts = v.split(';');
            let media = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim().split_once('=').is_some_and(|(k, q)| {
                    k.trim().eq_ignore_ascii_case("q")
                        && q.trim().parse::<f32>().is_ok_and(|q| q == 0.0)
                })
            });
            let json = ["application/json", "application/*", "*/*"]
                .iter()
                .any(|m| media.eq_ignore_ascii_case(m));
            json && !refused
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

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
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

    pub(crate) fn optional(&self, field: &'static str) -> Result<Option<String>, ValidationError> {
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
#[derive(Debug)]
pub(crate) struct Claimed {
    merchant_code: String,
    /// A secret type: redacted in `Debug`.
    passcode: Passcode,
    checksum: String,
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
            passcode: Passcode::new(passcode),
            checksum: obj.optional("checksum")?.unwrap_or_default(),
        })
    }

    pub(crate) fn merchant_code(&self) -> &str {
        &self.merchant_code
    }

    /// The gateway's check: merchant code, passcode (constant time), then the checksum of the
    /// message that `sign` makes of the claimed merchant code and passcode.
    pub(crate) fn authenticate<'a, S: Signed>(
        &'a self,
        credentials: &Credentials,
        sign: impl FnOnce(&'a str, &'a str) -> S,
    ) -> Result<(), RequestError> {
        if self.merchant_code != credentials.merchant_code() {
            return Err(RequestError::unknown_merchant(&self.merchant_code));
        }
        let passcode = self.passcode.expose_secret();
        if !credentials.passcode().matches(passcode) {
            return Err(RequestError::Authentication("wrong passcode".into()));
        }
        sign(&self.merchant_code, passcode)
            .verify(credentials.secret_key(), Some(&self.checksum))
            .map_err(RequestError::Checksum)
    }
}

/// `now` as unix seconds.
pub(crate) fn unix_seconds(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A positive whole number of VND written with digits only, no leading zero, at most 20 digits.
pub(crate) fn amount(field: &'static str, value: &str) -> Result<u64, ValidationError> {
    let err = || ValidationError::new(field, Rule::Amount);
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    if value.starts_with('0') {
        return Err(err());
    }
    value.parse::<u64>().map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A JSON object's text: members from a few names (repeated at times), of every kind of
    /// value, with escapes.
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

    proptest! {
        /// Each field reads as it read from a `serde_json::Value` (the last of a name given
        /// twice; a number, a boolean or an object is not a string).
        #[test]
        fn json_object_reads_as_serde_json_value(text in json_object_text()) {
            use crate::message::rule::{Rule, ValidationError};
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
                matches!(JsonObject::parse(body, &["a"]), Err(RequestError::Json(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
            // As serde_json refuses them.
            assert!(serde_json::from_slice::<serde_json::Value>(body).is_err());
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_named() {
        for (body, kind) in [("[1]", "an array"), ("12", "a number"), ("null", "null")] {
            let Err(RequestError::Json(message)) = JsonObject::parse(body.as_bytes(), &[]) else {
                panic!("{body} was read as an object");
            };
            assert_eq!(message, format!("expected an object, got {kind}"));
        }
    }

    #[test]
    fn amounts() {
        assert_eq!(amount("totalAmount", "100000"), Ok(100_000));
        for bad in [
            "",
            "0",
            "0100",
            "100000.0",
            "-5",
            "1e5",
            " 100",
            "99999999999999999999",
        ] {
            assert_eq!(
                amount("totalAmount", bad).unwrap_err().rule,
                Rule::Amount,
                "{bad}"
            );
        }
    }
}
