//! [`NotifyAnswer`]: the core's answer as a rocket responder.

use std::io::Cursor;

use pay123_core::PlainResponse;
use rocket::Request;
use rocket::http::Status;
use rocket::response::{self, Responder, Response};

/// The core's answer to a notify request (the signed reply with HTTP 200, or 405, 408, 413,
/// 400), as rocket writes a response.
#[derive(Debug, Clone)]
pub struct NotifyAnswer(pub PlainResponse);

impl<'r> Responder<'r, 'static> for NotifyAnswer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let answer = self.0;
        let mut response = Response::build();
        response
            .status(Status::new(answer.status()))
            .raw_header("Content-Type", answer.content_type());
        if let Some(allow) = answer.allow() {
            response.raw_header("Allow", allow);
        }
        let body = answer.into_body();
        response.sized_body(body.len(), Cursor::new(body)).ok()
    }
}
