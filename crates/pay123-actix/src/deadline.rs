//! [`BodyDeadline`] (feature `body-deadline`): a deadline for every request body of an app.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;

/// A deadline for every request body of an app: a body that has not arrived whole within it
/// fails with a timeout (the extractor reading it answers an error; the connection is closed).
/// A body the route does not read (a `GET` sent with a chunked body that never ends) is not
/// waited for: the connection is closed after the answer. actix-web has neither setting of its
/// own: it would keep reading an unread chunked body, with no deadline, before the next request.
///
/// ```
/// use std::time::Duration;
/// use actix_web::{App, middleware::from_fn};
/// use pay123_actix::BodyDeadline;
///
/// let app = App::new().wrap(from_fn(BodyDeadline::new(Duration::from_secs(10)).middleware()));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(Duration);

/// The future of the middleware.
type Answer<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

impl BodyDeadline {
    /// A deadline of `timeout`, counted from when the request's head was read.
    #[must_use]
    pub fn new(timeout: Duration) -> Self {
        Self(timeout)
    }

    /// The deadline.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.0
    }

    /// The middleware, for `App::wrap(actix_web::middleware::from_fn(...))`.
    pub fn middleware<B: MessageBody + 'static>(
        self,
    ) -> impl Fn(ServiceRequest, Next<B>) -> Answer<DeadlineBody<B>> + Clone {
        move |mut request: ServiceRequest, next: Next<B>| {
            let payload = Rc::new(RefCell::new(request.take_payload()));
            let deadline = tokio::time::Instant::now() + self.0;
            let sleep = Box::pin(tokio::time::sleep_until(deadline));
            let bounded: Payload = Payload::Stream {
                payload: Box::pin(Deadline {
                    payload: Rc::clone(&payload),
                    sleep,
                }),
            };
            request.set_payload(bounded);
            Box::pin(async move {
                let response = next.call(request).await?;
                // Held by the answer's body until it is written: a request body still unread
                // then makes actix-web close the connection rather than read the rest with no
                // deadline.
                Ok(response.map_body(|_, body| DeadlineBody {
                    body: Box::pin(body),
                    _request_body: payload,
                }))
            })
        }
    }
}

/// The body of an answer of [`BodyDeadline`]'s: the app's, holding the request's body until it
/// is written (see [`BodyDeadline::middleware`]).
pub struct DeadlineBody<B> {
    body: Pin<Box<B>>,
    _request_body: Rc<RefCell<Payload>>,
}

impl<B> std::fmt::Debug for DeadlineBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineBody").finish_non_exhaustive()
    }
}

impl<B: MessageBody> MessageBody for DeadlineBody<B> {
    type Error = B::Error;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.get_mut().body.as_mut().poll_next(cx)
    }
}

/// A payload that fails once its deadline has passed.
struct Deadline {
    payload: Rc<RefCell<Payload>>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut *self.payload.borrow_mut()).poll_next(cx);
        if let Poll::Ready(item) = polled {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            let timeout = std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive within the body deadline",
            );
            return Poll::Ready(Some(Err(PayloadError::Io(timeout))));
        }
        Poll::Pending
    }
}
