//! The core's answers and pay123's errors as rocket responses, and notify bodies read within the
//! core's limits.

use std::io::Cursor;

use pay123_core::{BodyRefusal, MAX_NOTIFY_BODY, NotifyListener, NotifyRequest, PlainResponse};
use rocket::Request;
use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::response::{self, Responder, Response};

/// The core's answer to a notify request (the signed reply with HTTP 200, or 405, 408, 413,
/// 400), as rocket writes a response.
#[derive(Debug, Clone)]
pub struct NotifyAnswer(pub PlainResponse);

impl<'r> Responder<'r, 'static> for NotifyAnswer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let (status, content_type, allow, body) = self.0.into_parts();
        let mut response = Response::build();
        response
            .status(Status::new(status))
            .raw_header("Content-Type", content_type);
        if let Some(allow) = allow {
            response.raw_header("Allow", allow);
        }
        response.sized_body(body.len(), Cursor::new(body)).ok()
    }
}

/// The parts of a request as the core takes them.
pub(crate) fn neutral<'a>(request: &'a Request<'_>, body: &'a [u8]) -> NotifyRequest<'a> {
    let query = request.uri().query().map_or("", |q| q.as_str());
    let content_type = request.headers().get_one("Content-Type");
    NotifyRequest::new(request.method().as_str(), query, content_type, body)
}

/// The whole notify body, or why not: more than [`MAX_NOTIFY_BODY`] bytes (declared or read),
/// not received within the listener's body timeout, or a failed connection.
pub(crate) async fn read_body(
    request: &Request<'_>,
    data: Data<'_>,
    listener: &NotifyListener,
) -> Result<Vec<u8>, BodyRefusal> {
    let declared = request.headers().get_one("Content-Length");
    BodyRefusal::declared(declared).map_or(Ok(()), Err)?;
    let read = data.open(MAX_NOTIFY_BODY.bytes()).into_bytes();
    let read = tokio::time::timeout(listener.body_timeout(), read).await;
    let read = read.map_err(|_| BodyRefusal::TimedOut)?;
    let read = read.map_err(|e| BodyRefusal::Unreadable(e.to_string()))?;
    read.is_complete()
        .then(|| read.into_inner())
        .ok_or(BodyRefusal::TooLarge)
}

pay123_core::adapter_error! {
    /// Any pay123 error as a rocket responder, for `?` in a route returning `Result<_,
    /// pay123_rocket::Error>`: the status and the buyer's text of
    /// [`pay123_core::Error::to_response`] (see [`pay123_core::Failure`]), JSON when the
    /// request's `Accept` asks for it, text otherwise. The cause goes to the log, never to the
    /// buyer.
    pub struct Error;
}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let json = pay123_core::wants_json(request.headers().get("Accept"));
        let answer = self.0.to_response(json);
        self.0.log_answered(answer.status());
        NotifyAnswer(answer).respond_to(request)
    }
}
