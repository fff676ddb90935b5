//! [`VerifiedNotify`]: an extractor for a route of your own.

use std::ops::Deref;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pay123_core::{Handled, Notify, NotifyListener, NotifyOutcome, VerifyError};
use tracing::Span;

use crate::{body, trace};

/// A notify verified by the core (method, checksum, `ts` window), for a route of your own.
///
/// The state must give a [`NotifyListener`] (`NotifyListener: FromRef<S>`). A refused notify
/// never reaches your code: the rejection is the core's answer (the signed `-1` reply, 405, or
/// 413 for a body over [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY)). Answer with
/// [`VerifiedNotify::reply`], which signs the reply.
///
/// Unlike [`notify_router`](crate::notify_router), a panic in your route is not turned into
/// `-3`: prefer the router unless you need the extractor.
///
/// ```
/// use axum::{Router, extract::{FromRef, State}, response::Response, routing::post};
/// use pay123_axum::VerifiedNotify;
/// use pay123_axum::pay123_core::{NotifyListener, NotifyOutcome, SecretKey};
///
/// #[derive(Clone)]
/// struct App {
///     listener: NotifyListener,
/// }
///
/// impl FromRef<App> for NotifyListener {
///     fn from_ref(app: &App) -> Self {
///         app.listener.clone()
///     }
/// }
///
/// async fn notify(State(_app): State<App>, verified: VerifiedNotify) -> Response {
///     // ... update the order `verified.m_transaction_id()` once ...
///     verified.reply(NotifyOutcome::Updated)
/// }
///
/// let app: Router = Router::new()
///     .route("/123pay/notify", post(notify).get(notify))
///     .with_state(App { listener: NotifyListener::new(SecretKey::new("MIKEY")) });
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedNotify {
    notify: Notify,
    listener: NotifyListener,
    span: Span,
}

impl VerifiedNotify {
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

    /// The signed reply for your outcome (`1`, `2` or `-3`), HTTP 200, `ts` from now.
    #[must_use]
    pub fn reply(self, outcome: impl Into<NotifyOutcome>) -> Response {
        let handled = self
            .listener
            .reply(self.notify, outcome.into(), SystemTime::now());
        trace::answered(&self.span, &handled);
        handled.response.map(Body::from)
    }
}

impl Deref for VerifiedNotify {
    type Target = Notify;

    fn deref(&self) -> &Notify {
        &self.notify
    }
}

impl<S> FromRequest<S> for VerifiedNotify
where
    NotifyListener: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = NotifyRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let listener = NotifyListener::from_ref(state);
        let span = trace::span(request.method());
        let request = body::read(request).await.inspect_err(|rejection| {
            trace::body_refused(&span, rejection);
        })?;
        match listener.check(&request, SystemTime::now()) {
            Ok(notify) => {
                trace::verified(&span, &notify);
                Ok(Self {
                    notify,
                    listener,
                    span,
                })
            }
            Err(refused) => {
                trace::answered(&span, &refused);
                Err(NotifyRejection::Refused(refused))
            }
        }
    }
}

/// Why a notify request did not reach the merchant's code; its response is the answer to send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyRejection {
    /// The core refused it: a method other than `GET`/`POST` (405), or a notify that failed
    /// verification (the signed `-1` reply, HTTP 200).
    #[error("{}", refused_text(.0))]
    Refused(Box<Handled>),
    /// The body is larger than [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY): 413.
    #[error(
        "the notify body is larger than {} bytes",
        pay123_core::MAX_NOTIFY_BODY
    )]
    TooLarge,
    /// The body could not be read (the connection failed): 400.
    #[error("the notify body could not be read: {0}")]
    Body(#[source] axum::BoxError),
}

fn refused_text(handled: &Handled) -> String {
    match &handled.notify {
        Err(error) => error.to_string(),
        Ok(_) => "refused".to_owned(),
    }
}

impl NotifyRejection {
    /// Why the core refused the notify, when it did.
    #[must_use]
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match self {
            Self::Refused(handled) => handled.notify.as_ref().err(),
            _ => None,
        }
    }
}

impl IntoResponse for NotifyRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(handled) => handled.response.map(Body::from),
            Self::TooLarge => NotifyListener::payload_too_large().map(Body::from),
            Self::Body(_) => {
                (StatusCode::BAD_REQUEST, "could not read the notify body").into_response()
            }
        }
    }
}
