//! The notify listener, shared by every framework adapter.
//!
//! The merchant's code receives a verified [`Notify`] and answers with a [`NotifyOutcome`]: the
//! order was updated now (`1`), was already updated (`2`), or could not be updated (`-3`, so that
//! 123PAY retries). A notify that fails verification is answered `-1` before that code runs.
//!
//! An adapter does three things: it reads the body (at most [`MAX_NOTIFY_BODY`] bytes, within
//! [`NOTIFY_BODY_TIMEOUT`]), it calls [`NotifyListener::serve`] with the request's parts as a
//! [`NotifyRequest`], and it writes the [`PlainResponse`]. Everything else is here: the method
//! rule, verification, the handler call (a panic or an error answers `-3`), the signed reply,
//! the `tracing` span and its events, and the answers to a body refused (413, 408, 400).

mod exchange;
mod handler;
mod trace;

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use tracing::{Instrument, Span};

pub use exchange::{NotifyRequest, PlainResponse};
pub use handler::{HandlerError, IntoNotifyOutcome, NotifyHandler, NotifyOutcome};

use crate::clock::{Clock, SystemClock};
use crate::message::error::VerifyError;
use crate::message::notify::{Notify, NotifyVerifier};
use crate::message::reply::NotifyReply;
use crate::message::secret::SecretKey;
use crate::message::status::NotifyReturnCode;

/// The largest notify body adapters read; a larger one is answered 413.
pub const MAX_NOTIFY_BODY: usize = 16 * 1024;

/// The longest an adapter waits for the whole notify body (a few hundred bytes from 123PAY):
/// a body that trickles past it is answered 408 and the connection is not read further.
pub const NOTIFY_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the merchant's code may work on a notify, its queryOrder included.
///
/// 123PAY waits for the reply about 10 seconds (the sandbox's default), then counts the delivery
/// as failed and sends the notify again. Work done while answering (a queryOrder to confirm a
/// payment) should end within this budget, with time to spare to write the reply:
/// [`Client::query_order_within`](crate::Client::query_order_within) takes it.
pub const NOTIFY_WORK_BUDGET: Duration = Duration::from_secs(5);

/// Why a notify body was not read whole. The adapter reports it with
/// [`NotifyListener::refuse_body`], which answers it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyRefusal {
    /// More than [`MAX_NOTIFY_BODY`] bytes (or a `Content-Length` saying so): 413.
    #[error("the notify body is larger than {MAX_NOTIFY_BODY} bytes")]
    TooLarge,
    /// Not received within the listener's body timeout ([`NOTIFY_BODY_TIMEOUT`] by default): 408.
    #[error("the notify body was not received in time")]
    TimedOut,
    /// The connection failed while reading: 400.
    #[error("the notify body could not be read: {0}")]
    Unreadable(String),
}

impl BodyRefusal {
    /// The answer: 413, 408 or 400, with a short text.
    #[must_use]
    pub fn response(&self) -> PlainResponse {
        match self {
            Self::TooLarge => PlainResponse::text(413, "notify body too large"),
            Self::TimedOut => PlainResponse::text(408, "notify body not received in time"),
            Self::Unreadable(_) => PlainResponse::text(400, "could not read the notify body"),
        }
    }
}

impl BodyRefusal {
    /// [`TooLarge`](Self::TooLarge) when a request's `Content-Length` says its body is larger
    /// than [`MAX_NOTIFY_BODY`]: refused before a byte of it is read.
    #[must_use]
    pub fn declared(content_length: Option<&str>) -> Option<Self> {
        content_length
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&len| len > MAX_NOTIFY_BODY as u64)
            .map(|_| Self::TooLarge)
    }

    /// Why a chunk of a body failed: [`TimedOut`](Self::TimedOut) when an `std::io::Error` of
    /// kind `TimedOut` is in its causes (a server's body deadline), else
    /// [`Unreadable`](Self::Unreadable).
    #[must_use]
    pub fn of_read_error(error: &(dyn std::error::Error + 'static)) -> Self {
        let timed_out = crate::message::error::chain(error).any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        });
        if timed_out {
            Self::TimedOut
        } else {
            Self::Unreadable(crate::message::error::ErrorChain(error).to_string())
        }
    }
}

/// Reads a notify body, as every adapter does: refuses a `Content-Length` above
/// [`MAX_NOTIFY_BODY`] unread, then collects the chunks of `body` up to it (413 beyond); a chunk
/// that fails is [`BodyRefusal::of_read_error`]. The deadline is the adapter's to set (the core
/// starts no timer): run this within the listener's [`body_timeout`](NotifyListener::body_timeout),
/// and answer [`BodyRefusal::TimedOut`] past it.
///
/// # Errors
///
/// Why the body was not read whole.
pub async fn read_notify_body<S, B, E>(
    content_length: Option<&str>,
    body: S,
) -> Result<Vec<u8>, BodyRefusal>
where
    S: futures_util::Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: std::error::Error + 'static,
{
    use futures_util::StreamExt;
    if let Some(refusal) = BodyRefusal::declared(content_length) {
        return Err(refusal);
    }
    let mut body = std::pin::pin!(body);
    let mut read = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| BodyRefusal::of_read_error(&e))?;
        if read.len() + chunk.as_ref().len() > MAX_NOTIFY_BODY {
            return Err(BodyRefusal::TooLarge);
        }
        read.extend_from_slice(chunk.as_ref());
    }
    Ok(read)
}

/// What the listener did with one request, for logs and metrics, with the answer to send.
#[derive(Debug)]
#[non_exhaustive]
pub struct Handled {
    /// The verified notify, or why it was refused.
    pub notify: Result<Notify, VerifyError>,
    /// The handler's outcome; `None` when it did not run, failed with an error or panicked.
    pub outcome: Option<NotifyOutcome>,
    /// The handler panicked (answered `-3`).
    pub panicked: bool,
    /// The error the handler returned (answered `-3`).
    pub handler_error: Option<HandlerError>,
    /// The reply sent; `None` for a refused HTTP method (405).
    pub reply: Option<NotifyReply>,
    /// The answer.
    pub response: PlainResponse,
}

/// Turns notify requests into signed replies.
///
/// Cloning is cheap; clones share the clock.
#[derive(Clone)]
pub struct NotifyListener {
    verifier: NotifyVerifier,
    key: SecretKey,
    expired_code: NotifyReturnCode,
    clock: Arc<dyn Clock>,
    body_timeout: Duration,
}

impl fmt::Debug for NotifyListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyListener")
            .field("window", &self.verifier.window())
            .field("expired_code", &self.expired_code)
            .field("clock", &self.clock)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

impl NotifyListener {
    /// A listener with the merchant's key, the 5-minute window, `-1` for an expired `ts`, and
    /// the system clock.
    #[must_use]
    pub fn new(key: SecretKey) -> Self {
        Self {
            verifier: NotifyVerifier::new(key.clone()),
            key,
            expired_code: NotifyReturnCode::InvalidChecksum,
            clock: Arc::new(SystemClock),
            body_timeout: NOTIFY_BODY_TIMEOUT,
        }
    }

    /// Accepts a `ts` at most `window` away from now.
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.verifier = self.verifier.with_window(window);
        self
    }

    /// Answers an expired `ts` with this code instead of `-1` (123PAY's sample code uses `-2`).
    #[must_use]
    pub fn reply_expired_with(mut self, code: NotifyReturnCode) -> Self {
        self.expired_code = code;
        self
    }

    /// Reads the time from `clock` in [`serve`](Self::serve) and [`open`](Self::open) (tests
    /// fix it; the default is the system clock).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Gives adapters this deadline to read a body whole (default [`NOTIFY_BODY_TIMEOUT`]).
    #[must_use]
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The deadline an adapter reads the body within: past it, it answers
    /// [`BodyRefusal::TimedOut`] (408).
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &NotifyVerifier {
        &self.verifier
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The reply code for a refused notify.
    #[must_use]
    pub fn rejection_code(&self, error: &VerifyError) -> NotifyReturnCode {
        match error {
            VerifyError::Expired { .. } => self.expired_code.clone(),
            _ => NotifyReturnCode::InvalidChecksum,
        }
    }

    /// Checks the method and verifies the request at `now`. `Err` is the refusal to send as it
    /// is, decided before any of the merchant's code runs: 405 for a method other than `POST`
    /// and `GET`, or the `-1` reply (see [`rejection_code`](Self::rejection_code)).
    ///
    /// The `-1` reply names no order: its `mTransactionID` is empty and its checksum covers
    /// only the return code and a fresh `ts`. A refused notify is not authentic, so nothing of
    /// it is signed (123PAY joins signed fields without separators: a reply signed over a
    /// claimed `ORDER123PVCB` would be a valid notify for `ORDER`).
    pub fn check(
        &self,
        request: &NotifyRequest<'_>,
        now: SystemTime,
    ) -> Result<Notify, Box<Handled>> {
        if !request.method_allowed() {
            return Err(Box::new(Handled {
                notify: Err(VerifyError::Method(request.method().to_owned())),
                outcome: None,
                panicked: false,
                handler_error: None,
                reply: None,
                response: PlainResponse::method_not_allowed(),
            }));
        }
        self.verifier.verify(request, now).map_err(|error| {
            let reply = NotifyReply::new("", self.rejection_code(&error), now);
            Box::new(Handled {
                response: self.signed(&reply),
                reply: Some(reply),
                notify: Err(error),
                outcome: None,
                panicked: false,
                handler_error: None,
            })
        })
    }

    /// The signed reply to a verified notify for the merchant's outcome (`1`, `2` or `-3`), with
    /// `ts` taken from `now`.
    #[must_use]
    pub fn reply(&self, notify: Notify, outcome: NotifyOutcome, now: SystemTime) -> Handled {
        let reply = NotifyReply::new(notify.m_transaction_id(), outcome.return_code(), now);
        Handled {
            response: self.signed(&reply),
            reply: Some(reply),
            notify: Ok(notify),
            outcome: Some(outcome),
            panicked: false,
            handler_error: None,
        }
    }

    /// Verifies the request at `now`, runs `handler` on a verified notify (a panic or an error
    /// answers `-3`), and signs the reply, in a `pay123.notify` span. Refused requests get 405
    /// or the `-1` reply without `handler` running.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use pay123_core::{NotifyListener, NotifyOutcome, NotifyRequest, SecretKey};
    /// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
    /// let body = b"mTransactionID=ORDER-1&bankCode=123PVCB&transactionStatus=1&ts=1&checksum=00";
    /// let request = NotifyRequest::new("POST", "", Some("application/x-www-form-urlencoded"), body);
    /// let handled = futures_executor::block_on(listener.handle(&request, SystemTime::now(), |_notify| async {
    ///     unreachable!("a forged notify never reaches the merchant's code");
    ///     #[allow(unreachable_code)]
    ///     NotifyOutcome::Updated
    /// }));
    /// let reply = handled.reply.unwrap();
    /// assert_eq!(reply.return_code().code(), "-1");
    /// assert_eq!(reply.m_transaction_id(), ""); // nothing the sender chose is signed
    /// ```
    pub async fn handle<F, Fut>(
        &self,
        request: &NotifyRequest<'_>,
        now: SystemTime,
        handler: F,
    ) -> Handled
    where
        F: FnOnce(Notify) -> Fut,
        Fut: Future,
        Fut::Output: IntoNotifyOutcome,
    {
        let (span, handled) = match self.check(request, now) {
            Err(refused) => (trace::span(request.method()), *refused),
            Ok(notify) => {
                let span = trace::verified(request.method(), &notify);
                let handled = self.run(&span, notify, now, handler).await;
                (span, handled)
            }
        };
        trace::answered(&span, &handled);
        handled
    }

    /// [`handle`](Self::handle) for an `http` 1 request.
    pub async fn handle_http<B, F, Fut>(
        &self,
        request: &http::Request<B>,
        now: SystemTime,
        handler: F,
    ) -> Handled
    where
        B: AsRef<[u8]>,
        F: FnOnce(Notify) -> Fut,
        Fut: Future,
        Fut::Output: IntoNotifyOutcome,
    {
        self.handle(&NotifyRequest::from_http(request), now, handler)
            .await
    }

    /// Runs `handler` on a verified notify in its span (a panic or an error answers `-3`), and
    /// signs the reply.
    async fn run<F, Fut>(&self, span: &Span, notify: Notify, now: SystemTime, handler: F) -> Handled
    where
        F: FnOnce(Notify) -> Fut,
        Fut: Future,
        Fut::Output: IntoNotifyOutcome,
    {
        let given = notify.clone();
        let result = AssertUnwindSafe(async move { handler(given).await.into_outcome() })
            .catch_unwind()
            .instrument(span.clone())
            .await;
        match result {
            Ok(Ok(outcome)) => self.reply(notify, outcome, now),
            Ok(Err(error)) => Handled {
                outcome: None,
                handler_error: Some(error),
                ..self.reply(notify, NotifyOutcome::RetryLater, now)
            },
            Err(_) => Handled {
                outcome: None,
                panicked: true,
                ..self.reply(notify, NotifyOutcome::RetryLater, now)
            },
        }
    }

    /// What an adapter calls for each request to the notify route: [`handle`](Self::handle) at
    /// the clock's time, with `handler` given the app's `state`. Returns the answer to write.
    pub async fn serve<S, H: NotifyHandler<S>>(
        &self,
        request: NotifyRequest<'_>,
        state: S,
        handler: &H,
    ) -> PlainResponse {
        let now = self.clock.now();
        self.handle(&request, now, |notify| handler.handle(notify, state))
            .await
            .response
    }

    /// For an adapter's extractor (a route the merchant writes): checks and verifies the
    /// request at the clock's time, in a `pay123.notify` span. `Err` is the answer to send as
    /// it is (405, `-1`); [`Verified::reply`] signs the answer to a verified notify.
    pub fn open(&self, request: NotifyRequest<'_>) -> Result<Verified, PlainResponse> {
        match self.check(&request, self.clock.now()) {
            Ok(notify) => Ok(Verified {
                span: trace::verified(request.method(), &notify),
                notify,
                listener: self.clone(),
            }),
            Err(refused) => {
                trace::answered(&trace::span(request.method()), &refused);
                Err(refused.response)
            }
        }
    }

    /// What an adapter answers when it could not read the body whole (413, 408, 400), with the
    /// `pay123.notify` span and an event saying why.
    #[must_use]
    pub fn refuse_body(&self, method: &str, refusal: &BodyRefusal) -> PlainResponse {
        let span = trace::span(method);
        trace::body_refused(&span, refusal);
        refusal.response()
    }

    fn signed(&self, reply: &NotifyReply) -> PlainResponse {
        PlainResponse::json(reply.to_json(&self.key))
    }
}

/// A notify verified by [`NotifyListener::open`], for a route of the merchant's own. Reply with
/// [`reply`](Self::reply), which signs the answer and ends the span.
#[derive(Debug, Clone)]
pub struct Verified {
    notify: Notify,
    listener: NotifyListener,
    span: Span,
}

impl Verified {
    /// The verified notify.
    #[must_use]
    pub fn notify(&self) -> &Notify {
        &self.notify
    }

    /// The verified notify, without the means to reply.
    #[must_use]
    pub fn into_notify(self) -> Notify {
        self.notify
    }

    /// The `pay123.notify` span: instrument the merchant's work with it.
    #[must_use]
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The signed reply for the merchant's outcome (`1`, `2`, or `-3` for `RetryLater` and any
    /// error, which is logged), with `ts` from the listener's clock.
    #[must_use]
    pub fn reply(self, outcome: impl IntoNotifyOutcome) -> PlainResponse {
        let now = self.listener.clock.now();
        let handled = match outcome.into_outcome() {
            Ok(outcome) => self.listener.reply(self.notify, outcome, now),
            Err(error) => Handled {
                outcome: None,
                handler_error: Some(error),
                ..self
                    .listener
                    .reply(self.notify, NotifyOutcome::RetryLater, now)
            },
        };
        trace::answered(&self.span, &handled);
        handled.response
    }
}

impl std::ops::Deref for Verified {
    type Target = Notify;

    fn deref(&self) -> &Notify {
        &self.notify
    }
}

impl NotifyReply {
    /// Whether this reply, read back, verifies with `key` (used by tests of the listener).
    #[cfg(test)]
    pub(crate) fn verifies(&self, key: &SecretKey, checksum: &str) -> bool {
        crate::message::checksum::Signed::verify(self, key, Some(checksum)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::checksum::Signed;

    fn form(id: &str, status: &str, key: &SecretKey, now: SystemTime) -> String {
        let notify = Notify::for_tests(id, "123PVCB", status, now);
        let checksum = notify.checksum(key);
        format!(
            "mTransactionID={id}&bankCode=123PVCB&transactionStatus={status}&ts={}&checksum={checksum}",
            notify.ts()
        )
    }

    #[test]
    fn check_then_reply_answers_as_handle_does() {
        let key = SecretKey::new("MIKEY");
        let listener = NotifyListener::new(key.clone());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let body = form("ORDER-1", "1", &key, now);
        let request = NotifyRequest::new("POST", "", None, body.as_bytes());
        let notify = listener.check(&request, now).unwrap();
        assert_eq!(notify.m_transaction_id(), "ORDER-1");
        for outcome in [
            NotifyOutcome::Updated,
            NotifyOutcome::AlreadyUpdated,
            NotifyOutcome::RetryLater,
        ] {
            let replied = listener.reply(notify.clone(), outcome, now);
            let handled = futures_executor::block_on(listener.handle(
                &request,
                now,
                |_| async move { outcome },
            ));
            assert_eq!(replied.response, handled.response);
            assert_eq!(replied.reply, handled.reply);
            assert_eq!(replied.outcome, Some(outcome));
            let reply = replied.reply.unwrap();
            assert_eq!(reply.return_code(), &outcome.return_code());
            assert_eq!(reply.m_transaction_id(), "ORDER-1");
        }
    }

    #[test]
    fn a_refused_notify_is_answered_without_signing_what_it_claims() {
        let key = SecretKey::new("MIKEY");
        let listener = NotifyListener::new(key.clone());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let put = NotifyRequest::new("PUT", "", None, b"");
        let refused = listener.check(&put, now).unwrap_err();
        assert_eq!(refused.response.status(), 405);
        assert_eq!(refused.response.allow(), Some("POST, GET"));
        assert!(refused.reply.is_none());

        let forged = form("ORDER-1", "1", &SecretKey::new("OTHER"), now);
        let request = NotifyRequest::new("POST", "", None, forged.as_bytes());
        let refused = listener.check(&request, now).unwrap_err();
        let reply = refused.reply.clone().unwrap();
        assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
        assert_eq!(reply.m_transaction_id(), "");
        let body: serde_json::Value = serde_json::from_slice(refused.response.body()).unwrap();
        assert_eq!(body["mTransactionID"], "");
        assert!(reply.verifies(&key, body["checksum"].as_str().unwrap()));
        // The claimed id is kept for the logs, not for the reply.
        let error = refused.notify.unwrap_err();
        assert_eq!(error.claimed_m_transaction_id(), Some("ORDER-1"));
        assert!(matches!(error, VerifyError::Checksum { .. }));
    }
}
