//! [`Error`]: pay123's errors as axum responses, so that `?` works in a handler, and
//! [`negotiate_errors`], which answers them as JSON to a client that asks for JSON.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

pay123_core::adapter_error! {
    /// Any pay123 error as an axum response, for `?` in a handler returning `Result<_,
    /// pay123_axum::Error>`: the status and the buyer's text of
    /// [`pay123_core::Error::to_response`] (see [`pay123_core::Failure`]), text, or JSON with
    /// [`negotiate_errors`] on the router. The cause goes to the log, never to the buyer.
    pub struct Error;
}

impl Error {
    /// The HTTP status it is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
