//! [`Error`]: pay123's errors as actix-web responses, so that `?` works in a handler, and
//! [`negotiate_errors`], which answers them as JSON to a client that asks for JSON.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

pay123_core::adapter_error! {
    /// Any pay123 error as an actix-web response, for `?` in a handler returning `Result<_,
    /// pay123_actix::Error>`: the status and the buyer's text of
    /// [`pay123_core::Error::to_response`] (see [`pay123_core::Failure`]), text, or JSON with
    /// [`negotiate_errors`] on the app. The cause goes to the log, never to the buyer.
    pub struct Error;
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
