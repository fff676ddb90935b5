//! A notify request and its answer as plain values, for any HTTP framework.
//!
//! actix-web and rocket are built on `http` 0.2, axum on `http` 1: the listener takes the
//! method, the query string, the content type and the body as they are, and answers with a
//! status, a content type and a body, so that no adapter converts one framework's types into
//! another's. [`NotifyRequest::from_http`] and [`PlainResponse::into_http`] are the `http` 1
//! wrappers.

use bytes::Bytes;

use crate::message::wire;

/// A notify request as any framework receives it. The fields are those of a form POST; the same
/// fields in the query string are accepted when the body is empty.
#[derive(Debug, Clone, Copy)]
pub struct NotifyRequest<'a> {
    method: &'a str,
    query: &'a str,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

impl<'a> NotifyRequest<'a> {
    /// A request: its method (`POST`), query string without the `?` (`""` when none), the value
    /// of its `Content-Type` header, and its whole body.
    #[must_use]
    pub fn new(
        method: &'a str,
        query: &'a str,
        content_type: Option<&'a str>,
        body: &'a [u8],
    ) -> Self {
        Self {
            method,
            query,
            content_type,
            body,
        }
    }

    /// The parts of an `http` 1 request.
    #[must_use]
    pub fn from_http<B: AsRef<[u8]>>(request: &'a http::Request<B>) -> Self {
        Self::new(
            request.method().as_str(),
            request.uri().query().unwrap_or(""),
            request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            request.body().as_ref(),
        )
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The query string (without the `?`).
    #[must_use]
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The `Content-Type` header.
    #[must_use]
    pub fn content_type(&self) -> Option<&'a str> {
        self.content_type
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The form that carries the fields: the body when it holds anything, else the query.
    pub(crate) fn form(&self) -> &'a [u8] {
        if self.body.iter().any(|b| !b.is_ascii_whitespace()) {
            self.body
        } else {
            self.query.as_bytes()
        }
    }

    /// `POST` or `GET` (the fields in the query string, as official samples accept).
    pub(crate) fn method_allowed(&self) -> bool {
        self.method.eq_ignore_ascii_case("POST") || self.method.eq_ignore_ascii_case("GET")
    }
}

/// An answer in plain values (status, content type, body), as any framework writes it: the
/// answer to a notify request (the signed JSON reply with HTTP 200, or 405, 408, 413 or 400
/// with a short text), or an [`Error`](crate::Error)'s answer
/// ([`Error::to_response`](crate::Error::to_response)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainResponse {
    status: u16,
    content_type: &'static str,
    allow: Option<&'static str>,
    body: Bytes,
}

impl PlainResponse {
    /// A JSON body with HTTP 200.
    pub(crate) fn json(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: wire::JSON_CONTENT_TYPE,
            allow: None,
            body: Bytes::from(body),
        }
    }

    /// A plain text answer.
    pub(crate) fn text(status: u16, text: &'static str) -> Self {
        Self::with_body(
            status,
            "text/plain; charset=utf-8",
            Bytes::from_static(text.as_bytes()),
        )
    }

    /// Any answer without an `Allow` header.
    pub(crate) fn with_body(status: u16, content_type: &'static str, body: Bytes) -> Self {
        Self {
            status,
            content_type,
            allow: None,
            body,
        }
    }

    /// 405, with the methods accepted.
    pub(crate) fn method_not_allowed() -> Self {
        Self {
            allow: Some("POST, GET"),
            ..Self::text(405, "use POST")
        }
    }

    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of the `Content-Type` header.
    #[must_use]
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The value of the `Allow` header (for 405).
    #[must_use]
    pub fn allow(&self) -> Option<&'static str> {
        self.allow
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, owned.
    #[must_use]
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The status, the `Content-Type`, the `Allow` header (for 405) and the body, for an
    /// adapter that writes them.
    #[must_use]
    pub fn into_parts(self) -> (u16, &'static str, Option<&'static str>, Bytes) {
        (self.status, self.content_type, self.allow, self.body)
    }

    /// As an `http` 1 response.
    #[must_use]
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() =
            http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(self.content_type),
        );
        if let Some(allow) = self.allow {
            headers.insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        }
        response
    }
}
