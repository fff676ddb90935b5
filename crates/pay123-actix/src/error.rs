//! [`Error`]: pay123's errors as actix-web responses, so that `?` works in a handler, and
//! [`negotiate_errors`], which answers them as JSON to a client that asks for JSON.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

/// Any pay123 error, answered as an HTTP response: `?` on a checkout
/// ([`Payments::create`](pay123_core::payments::Payments::create)), a return page, a
/// createOrder, a queryOrder or a validation in a handler that returns `Result<_,
/// pay123_actix::Error>`.
///
/// The status and the body are the core's ([`pay123_core::Error::to_response`]): 500 for the
/// merchant's own mistakes (a value that breaks a rule, wrong credentials, the store failing),
/// 503 (504 on a timeout) when 123PAY is busy or unreachable, 502 when it refused the payment,
/// 400 for a notify or return redirect your own code verified and refused (the confirmed
/// notify route and `on_return` answer those themselves: `-1`, or a page). The body tells the buyer what happened and what
/// to do, in Vietnamese then English, as text; with [`negotiate_errors`] on the app, as JSON to
/// a client that asks for it. No secret and no cause is in it: the cause is logged (`error` for
/// a 500, `warn` otherwise).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(pay123_core::Error);

impl Error {
    /// The core's error.
    #[must_use]
    pub fn inner(&self) -> &pay123_core::Error {
        &self.0
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

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let answer = self.0.to_response(false);
        self.0.log_answered(answer.status());
        let mut response = crate::respond(answer);
        let json = JsonAnswer(self.0.to_response(true));
        response.extensions_mut().insert(json);
        response
    }
}

/// A middleware that answers pay123's [`Error`]s as JSON (`{"error", "retryable",
/// "mTransactionID", "messageVi", "messageEn"}`) to a request whose `Accept` asks for JSON, and
/// as text otherwise: `App::new().wrap(actix_web::middleware::from_fn(pay123_actix::negotiate_errors))`.
/// Other responses pass as they are.
///
/// # Errors
///
/// The errors of the services it wraps, as they are.
pub async fn negotiate_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept = request.headers().get_all(header::ACCEPT);
    let json = pay123_core::wants_json(accept.filter_map(|v| v.to_str().ok()));
    let response = next.call(request).await?.map_into_boxed_body();
    let answer = response
        .response()
        .extensions()
        .get::<JsonAnswer>()
        .cloned();
    Ok(match answer.filter(|_| json) {
        // The body and its type replaced; the headers other middleware set are kept.
        Some(JsonAnswer(answer)) => {
            let (_, content_type, _, body) = answer.into_parts();
            let mut response = response.map_body(|_, _| BoxBody::new(body));
            let headers = response.headers_mut();
            headers.remove(header::CONTENT_LENGTH);
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        None => response,
    })
}
