//! The notify listener's shape, shared by every framework adapter.
//!
//! The merchant's code receives a verified [`Notify`] and answers with a [`NotifyOutcome`]: the
//! order was updated now (`1`), was already updated (`2`), or could not be updated (`-3`, so that
//! 123PAY retries). A notify that fails verification is answered `-1` before that code runs.
//! [`NotifyListener::handle`] does all of it: any incoming request in, the signed reply out.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use crate::error::VerifyError;
use crate::notify::{Notify, NotifyVerifier, request_pairs};
use crate::reply::NotifyReply;
use crate::secret::SecretKey;
use crate::status::NotifyReturnCode;
use crate::wire;

/// The largest notify body adapters read; a larger one is answered 413.
pub const MAX_NOTIFY_BODY: usize = 16 * 1024;

/// What the merchant's code did with a verified notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyOutcome {
    /// The order was updated now: reply `1`.
    Updated,
    /// The order had been updated before (a duplicate notify): reply `2`.
    AlreadyUpdated,
    /// The order could not be updated (database down...): reply `-3`, 123PAY retries.
    Failed,
}

impl NotifyOutcome {
    /// The reply code.
    #[must_use]
    pub fn return_code(self) -> NotifyReturnCode {
        match self {
            Self::Updated => NotifyReturnCode::Processed,
            Self::AlreadyUpdated => NotifyReturnCode::AlreadyUpdated,
            Self::Failed => NotifyReturnCode::UpdateFailed,
        }
    }
}

/// `Ok(outcome)` is the outcome, any error is [`NotifyOutcome::Failed`].
impl<E> From<Result<NotifyOutcome, E>> for NotifyOutcome {
    fn from(result: Result<NotifyOutcome, E>) -> Self {
        result.unwrap_or(Self::Failed)
    }
}

/// Turns notify requests into signed replies.
#[derive(Debug, Clone)]
pub struct NotifyListener {
    verifier: NotifyVerifier,
    key: SecretKey,
    expired_code: NotifyReturnCode,
}

/// What [`NotifyListener::handle`] did, for logs and metrics, with the response to send.
#[derive(Debug)]
#[non_exhaustive]
pub struct Handled {
    /// The verified notify, or why it was refused.
    pub notify: Result<Notify, VerifyError>,
    /// The handler's outcome; `None` when it did not run or panicked.
    pub outcome: Option<NotifyOutcome>,
    /// The handler panicked (answered `-3`).
    pub panicked: bool,
    /// The reply sent; `None` for a refused HTTP method (405).
    pub reply: Option<NotifyReply>,
    /// The HTTP response.
    pub response: Response<Bytes>,
}

impl NotifyListener {
    /// A listener with the merchant's key, the 5-minute window, and `-1` for an expired `ts`.
    #[must_use]
    pub fn new(key: SecretKey) -> Self {
        Self {
            verifier: NotifyVerifier::new(key.clone()),
            key,
            expired_code: NotifyReturnCode::InvalidChecksum,
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

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &NotifyVerifier {
        &self.verifier
    }

    /// The reply code for a refused notify.
    #[must_use]
    pub fn rejection_code(&self, error: &VerifyError) -> NotifyReturnCode {
        match error {
            VerifyError::Expired { .. } => self.expired_code.clone(),
            _ => NotifyReturnCode::InvalidChecksum,
        }
    }

    /// Verifies a request; see [`NotifyVerifier::verify_request`].
    pub fn verify<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: SystemTime,
    ) -> Result<Notify, VerifyError> {
        self.verifier.verify_request(request, now)
    }

    /// Verifies the request, runs `handler` on a verified notify (catching a panic), and signs
    /// the reply. `GET` and `POST` are accepted (the fields in the body or the query string);
    /// other methods get 405.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use pay123_core::{BankCode, Notify, NotifyListener, NotifyOutcome, SecretKey, TransactionStatus};
    /// let key = SecretKey::new("MIKEY");
    /// let now = SystemTime::now();
    /// let notify = Notify::new("ORDER-1", BankCode::Vietcombank, TransactionStatus::Success, "", now)?;
    /// let request = notify.to_http_request(&"http://shop/notify".parse().unwrap(), &key);
    /// let listener = NotifyListener::new(key);
    /// let handled = futures_executor::block_on(listener.handle(&request, now, |n: Notify| async move {
    ///     assert!(n.status().is_success());
    ///     NotifyOutcome::Updated
    /// }));
    /// assert_eq!(handled.reply.unwrap().return_code().code(), "1");
    /// # Ok::<(), pay123_core::ValidationError>(())
    /// ```
    pub async fn handle<B, F, Fut, O>(
        &self,
        request: &Request<B>,
        now: SystemTime,
        handler: F,
    ) -> Handled
    where
        B: AsRef<[u8]>,
        F: FnOnce(Notify) -> Fut,
        Fut: Future<Output = O>,
        O: Into<NotifyOutcome>,
    {
        let notify = match self.check(request, now) {
            Ok(notify) => notify,
            Err(refused) => return *refused,
        };
        let result = AssertUnwindSafe(async { handler(notify.clone()).await.into() })
            .catch_unwind()
            .await;
        match result {
            Ok(outcome) => self.reply(notify, outcome, now),
            Err(_) => Handled {
                outcome: None,
                panicked: true,
                ..self.reply(notify, NotifyOutcome::Failed, now)
            },
        }
    }

    /// The first half of [`handle`](Self::handle), for an adapter whose user writes their own
    /// route: checks the method and verifies the request. `Err` is the refusal to send as it is
    /// (405, or the signed `-1` reply; see [`rejection_code`](Self::rejection_code)), decided
    /// before any of the merchant's code runs.
    pub fn check<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: SystemTime,
    ) -> Result<Notify, Box<Handled>> {
        if request.method() != Method::POST && request.method() != Method::GET {
            return Err(Box::new(Handled {
                notify: Err(VerifyError::Method(request.method().to_string())),
                outcome: None,
                panicked: false,
                reply: None,
                response: method_not_allowed(),
            }));
        }
        self.verify(request, now).map_err(|error| {
            let pairs = request_pairs(request);
            let m_transaction_id = wire::form_field(&pairs, "mTransactionID").unwrap_or("");
            let reply = NotifyReply::new(m_transaction_id, self.rejection_code(&error), now);
            Box::new(Handled {
                response: reply.to_http_response(&self.key),
                reply: Some(reply),
                notify: Err(error),
                outcome: None,
                panicked: false,
            })
        })
    }

    /// The second half of [`handle`](Self::handle): the signed reply to a verified notify for
    /// the merchant's outcome (`1`, `2` or `-3`), with `ts` taken from `now`.
    #[must_use]
    pub fn reply(&self, notify: Notify, outcome: NotifyOutcome, now: SystemTime) -> Handled {
        let reply = NotifyReply::new(notify.m_transaction_id(), outcome.return_code(), now);
        Handled {
            response: reply.to_http_response(&self.key),
            reply: Some(reply),
            notify: Ok(notify),
            outcome: Some(outcome),
            panicked: false,
        }
    }

    /// The answer to a body larger than [`MAX_NOTIFY_BODY`]: HTTP 413.
    #[must_use]
    pub fn payload_too_large() -> Response<Bytes> {
        let mut response = Response::new(Bytes::from_static(b"notify body too large"));
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        response
    }
}

fn method_not_allowed() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(b"use POST"));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, GET"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::BankCode;
    use crate::status::TransactionStatus;

    fn request(key: &SecretKey, method: Method, now: SystemTime) -> Request<Bytes> {
        let notify = Notify::new(
            "ORDER-1",
            BankCode::Vietcombank,
            TransactionStatus::Success,
            "",
            now,
        )
        .unwrap();
        let mut request = notify.to_http_request(&"http://shop/notify".parse().unwrap(), key);
        *request.method_mut() = method;
        request
    }

    #[test]
    fn check_then_reply_answers_as_handle_does() {
        let key = SecretKey::new("MIKEY");
        let listener = NotifyListener::new(key.clone());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let request = request(&key, Method::POST, now);
        let notify = listener.check(&request, now).unwrap();
        assert_eq!(notify.m_transaction_id(), "ORDER-1");
        for outcome in [
            NotifyOutcome::Updated,
            NotifyOutcome::AlreadyUpdated,
            NotifyOutcome::Failed,
        ] {
            let replied = listener.reply(notify.clone(), outcome, now);
            let handled = futures_executor::block_on(listener.handle(
                &request,
                now,
                |_| async move { outcome },
            ));
            assert_eq!(replied.response.body(), handled.response.body());
            assert_eq!(replied.reply, handled.reply);
            assert_eq!(replied.outcome, Some(outcome));
            let reply = NotifyReply::from_json(replied.response.body(), &key).unwrap();
            assert_eq!(reply.return_code(), &outcome.return_code());
        }
    }

    #[test]
    fn check_refuses_before_any_handler() {
        let key = SecretKey::new("MIKEY");
        let listener = NotifyListener::new(key.clone());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let put = listener
            .check(&request(&key, Method::PUT, now), now)
            .unwrap_err();
        assert_eq!(put.response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(put.reply.is_none());
        let forged = request(&SecretKey::new("OTHER"), Method::POST, now);
        let refused = listener.check(&forged, now).unwrap_err();
        let reply = NotifyReply::from_json(refused.response.body(), &key).unwrap();
        assert_eq!(reply.return_code(), &NotifyReturnCode::InvalidChecksum);
        assert_eq!(reply.m_transaction_id(), "ORDER-1");
        assert!(matches!(refused.notify, Err(VerifyError::Checksum(_))));
    }
}
