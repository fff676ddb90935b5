//! [`VerifiedNotify`]: an extractor for a route of your own.

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use pay123_core::{IntoNotifyOutcome, NotifyListener};

use crate::{body, neutral, response};

pay123_core::adapter_verified_notify! {
    /// A notify verified by the core (method, fields, checksum, `ts` window), for a route of your
    /// own.
    ///
    /// The state must give a [`NotifyListener`] (`NotifyListener: FromRef<S>`). A refused notify
    /// never reaches your code: the rejection is the core's answer (the signed `-1` reply, 405, 413
    /// beyond [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY), 408 for a body that trickles past
    /// [`NOTIFY_BODY_TIMEOUT`](pay123_core::NOTIFY_BODY_TIMEOUT)). Answer with
    /// [`VerifiedNotify::reply`], which signs the reply.
    ///
    /// Unlike [`notify_router`](crate::unconfirmed::notify_router), a panic in your route is not turned into
    /// `-3`: prefer the router unless you need the extractor.
    ///
    /// ```
    /// use axum::{Router, extract::{FromRef, State}, response::Response, routing::post};
    /// use pay123_axum::unconfirmed::VerifiedNotify;
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
    ///     // Verified, not confirmed: ask 123PAY (queryOrder, `OrderStatus::judge`) before
    ///     // calling it paid, then update the order once.
    ///     verified.reply(NotifyOutcome::RetryLater) // -3: 123PAY sends it again
    /// }
    ///
    /// let app: Router = Router::new()
    ///     .route("/123pay/notify", post(notify).get(notify))
    ///     .with_state(App { listener: NotifyListener::new(SecretKey::new("MIKEY")) });
    /// ```
    pub struct VerifiedNotify;
    /// The core's answer to a notify refused before your code runs: the signed `-1` reply (HTTP
    /// 200), 405, 408 or 413.
    pub struct NotifyRejection;
}

impl VerifiedNotify {
    /// The signed reply for your outcome (`1`, `2`, or `-3` for `RetryLater` and for an error,
    /// which is logged with the order), HTTP 200, `ts` from now.
    #[must_use]
    pub fn reply(self, outcome: impl IntoNotifyOutcome) -> Response {
        response::from_core(self.0.reply(outcome))
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
        let (parts, read) = body::read(request, listener.body_timeout()).await;
        let body = read.map_err(|refusal| {
            NotifyRejection(listener.refuse_body(parts.method.as_str(), &refusal))
        })?;
        listener
            .open(neutral(&parts, &body))
            .map(Self)
            .map_err(NotifyRejection)
    }
}

impl IntoResponse for NotifyRejection {
    fn into_response(self) -> Response {
        response::from_core(self.0)
    }
}
