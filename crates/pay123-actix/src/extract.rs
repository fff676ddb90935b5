//! [`VerifiedNotify`]: an extractor for a route of your own.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use pay123_core::{IntoNotifyOutcome, NotifyListener};

use crate::{body, neutral, respond};

pay123_core::adapter_verified_notify! {
    /// A notify verified by the core (method, fields, checksum, `ts` window), for a route of your
    /// own.
    ///
    /// The app data must hold the listener: `App::app_data(web::Data::new(listener))`. A refused
    /// notify never reaches your code: the extractor's error is the core's answer (the signed `-1`
    /// reply with HTTP 200, 405, 413 beyond
    /// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY), 408 past the listener's body timeout).
    /// Answer with [`VerifiedNotify::reply`], which signs the reply.
    ///
    /// Unlike [`notify_service`](crate::unconfirmed::notify_service), a panic in your route is not turned into
    /// `-3`: prefer the service unless you need the extractor.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, web};
    /// use pay123_actix::unconfirmed::VerifiedNotify;
    /// use pay123_actix::pay123_core::{NotifyListener, NotifyOutcome, SecretKey};
    ///
    /// async fn notify(verified: VerifiedNotify) -> HttpResponse {
    ///     // Verified, not confirmed: ask 123PAY (queryOrder, `OrderStatus::judge`) before
    ///     // calling it paid, then update the order once.
    ///     verified.reply(NotifyOutcome::RetryLater) // -3: 123PAY sends it again
    /// }
    ///
    /// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
    /// let app = App::new()
    ///     .app_data(web::Data::new(listener))
    ///     .route("/123pay/notify", web::route().to(notify));
    /// ```
    pub struct VerifiedNotify;
    /// The core's answer to a notify refused before your code runs: the signed `-1` reply (HTTP
    /// 200), 405, 408 or 413. As an actix `ResponseError`, it is that answer.
    pub struct NotifyRejection;
}

impl VerifiedNotify {
    /// The signed reply for your outcome (`1`, `2`, or `-3` for `RetryLater` and for an error,
    /// which is logged with the order), HTTP 200, `ts` from now.
    #[must_use]
    pub fn reply(self, outcome: impl IntoNotifyOutcome) -> HttpResponse {
        respond(self.0.reply(outcome))
    }
}

impl FromRequest for VerifiedNotify {
    type Error = NotifyRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, NotifyRejection>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let Some(listener) = request.app_data::<web::Data<NotifyListener>>() else {
                return Err(NotifyRejection::not_configured());
            };
            let body = body::read(&request, payload, listener.body_timeout())
                .await
                .map_err(|refusal| {
                    NotifyRejection(listener.refuse_body(request.method().as_str(), &refusal))
                })?;
            listener
                .open(neutral(&request, &body))
                .map(Self)
                .map_err(NotifyRejection)
        })
    }
}

impl NotifyRejection {
    fn not_configured() -> Self {
        tracing::error!(
            "VerifiedNotify needs the NotifyListener in the app data: \
             App::app_data(web::Data::new(listener))"
        );
        Self(pay123_core::BodyRefusal::Unreadable(String::new()).response())
    }
}

impl std::fmt::Display for NotifyRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "notify refused with HTTP {}", self.0.status())
    }
}

impl ResponseError for NotifyRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.0.status())
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        respond(self.0.clone())
    }
}
