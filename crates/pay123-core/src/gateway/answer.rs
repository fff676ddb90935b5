//! The wire, gateway side: writing what 123PAY answers and sends (JSON arrays, forms).

use bytes::Bytes;
use http::{HeaderValue, Response, header};

use crate::message::status::ReturnCode;

/// The content type of a notify.
pub(crate) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

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

/// A JSON response with status 200.
pub(crate) fn json_response(body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::message::wire::JSON_CONTENT_TYPE),
    );
    response
}

/// Serializes a JSON array of optional strings.
pub(crate) fn array_body(items: &[Option<&str>]) -> Vec<u8> {
    serde_json::to_vec(items).expect("a list of optional strings serializes to JSON")
}

/// Writes a form-urlencoded string.
pub(crate) fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The gateway's failure answer `[returnCode, description]` (no checksum), HTTP 200.
///
/// ```
/// use pay123_core::ReturnCode;
/// use pay123_core::gateway::error_response;
/// let response = error_response(&ReturnCode::Busy, "He thong ban");
/// assert_eq!(response.body().as_ref(), br#"["5000","He thong ban"]"#);
/// ```
#[must_use]
pub fn error_response(code: &ReturnCode, description: &str) -> Response<Bytes> {
    json_response(array_body(&[Some(code.code()), Some(description)]))
}
