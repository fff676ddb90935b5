//! [`Error`]: pay123's errors as axum responses, so that `?` works in a handler, and
//! [`negotiate_errors`], which answers them as JSON to a client that asks for JSON.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

/// Any pay123 error, answered as an HTTP response: `?` on a checkout
/// ([`Payments::create`](pay123_core::payments::Payments::create)), a return page, a
/// createOrder, a queryOrder or a validation in a handler that returns `Result<_,
/// pay123_axum::Error>`.
///
/// The status and the body are the core's ([`pay123_core::Error::to_response`]): 500 for the
/// merchant's own mistakes (a value that breaks a rule, wrong credentials, the store failing),
/// 503 (504 on a timeout) when 123PAY is busy or unreachable, 502 when it refused the payment,
/// 400 for a notify or return redirect your own code verified and refused (the confirmed
/// notify route and `on_return` answer those themselves: `-1`, or a page). The body tells the buyer what happened and what
/// to do, in Vietnamese then English, as text; with [`negotiate_errors`] on the router, as JSON
/// to a client that asks for it. No secret and no cause is in it: the cause is logged (`error`
/// for a 500, `warn` otherwise).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(pay123_core::Error);

impl Error {
    /// The core's error.
    #[must_use]
    pub fn inner(&self) -> &pay123_core::Error {
        &self.0
    }

    /// The HTTP status it is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// `?` on any pay123 error: the core's [`Error`](pay123_core::Error) and every error it wraps.
impl<E: Into<pay123_core::Error>> From<E> for Error {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

/// The JSON answer of an error, kept in its response for [`negotiate_errors`].
#[derive(Debug, Clone)]
struct JsonAnswer(pay123_core::PlainResponse);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let answer = self.0.to_response(false);
        self.0.log_answered(answer.status());
        let mut response = crate::response::from_core(answer);
        let json = JsonAnswer(self.0.to_response(true));
        response.extensions_mut().insert(json);
        response
    }
}

/// A middleware that answers pay123's [`Error`]s as JSON (`{"error", "retryable",
/// "mTransactionID", "messageVi", "messageEn"}`) to a request whose `Accept` asks for JSON, and
/// as text otherwise:
/// `router.layer(axum::middleware::from_fn(pay123_axum::negotiate_errors))`. Other responses pass
/// as they are.
pub async fn negotiate_errors(request: Request, next: Next) -> Response {
    let accept = request.headers().get_all(header::ACCEPT);
    let json = pay123_core::wants_json(accept.iter().filter_map(|v| v.to_str().ok()));
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<JsonAnswer>() {
        // The body and its type replaced; the headers other layers set are kept.
        Some(JsonAnswer(answer)) if json => {
            let (mut head, _) = response.into_parts();
            let (_, content_type, _, body) = answer.into_parts();
            head.headers.remove(header::CONTENT_LENGTH);
            head.headers.insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static(content_type),
            );
            Response::from_parts(head, axum::body::Body::from(body))
        }
        _ => response,
    }
}
