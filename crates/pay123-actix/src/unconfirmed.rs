//! The lower door: notifies verified (fields, checksum, `ts` window) but **not confirmed** with
//! queryOrder. A notify carries no amount and is only a hint: code that takes this door must
//! confirm the payment itself ([`OrderStatus::judge`](pay123_core::OrderStatus::judge) after
//! a queryOrder) before calling it paid. [`notify_service`](crate::notify_service) does all of
//! it.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use pay123_core::{NotifyHandler, NotifyListener};

pub use crate::extract::{NotifyRejection, VerifiedNotify};
use crate::{body, neutral, respond};

/// The notify listener at `path`, for `App::configure`, calling `handler` with each verified
/// (not confirmed) notify and `data`, which it registers on its route (so it cannot be
/// missing). `handler`'s outcome is answered `1`, `2` or `-3` (an error or a panic is `-3`, and
/// the error is logged with the order); a forged, malformed or stale notify is answered `-1`
/// before it runs; the body limits are [`notify_service`](crate::notify_service)'s.
///
/// ```
/// use actix_web::{App, web};
/// use pay123_actix::unconfirmed::notify_service;
/// use pay123_actix::pay123_core::{Notify, NotifyListener, NotifyOutcome, SecretKey};
///
/// struct Shop; // your state: a pool, a client...
///
/// async fn on_notify(notify: Notify, shop: web::Data<Shop>) -> Result<NotifyOutcome, String> {
///     // Not confirmed: ask 123PAY (queryOrder) and judge the answer before calling it paid.
///     Ok(NotifyOutcome::RetryLater)
/// }
///
/// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
/// let shop = web::Data::new(Shop);
/// let app = App::new().configure(notify_service("/123pay/notify", listener, shop, on_notify));
/// ```
pub fn notify_service<T, H>(
    path: &str,
    listener: NotifyListener,
    data: web::Data<T>,
    handler: H,
) -> impl FnOnce(&mut web::ServiceConfig)
where
    T: 'static,
    H: NotifyHandler<web::Data<T>>,
{
    let path = path.to_owned();
    let listener = Arc::new(listener);
    move |config: &mut web::ServiceConfig| {
        config.service(web::resource(path).route(web::route().to(
            move |request: HttpRequest, payload: web::Payload| {
                let listener = listener.clone();
                let handler = handler.clone();
                let data = data.clone();
                async move { answer(&listener, &handler, data, request, payload).await }
            },
        )));
    }
}

async fn answer<T: 'static, H: NotifyHandler<web::Data<T>>>(
    listener: &NotifyListener,
    handler: &H,
    data: web::Data<T>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let read = body::read(&request, payload.into_inner(), listener.body_timeout()).await;
    let answer = match read {
        Ok(body) => {
            listener
                .serve(neutral(&request, &body), data, handler)
                .await
        }
        Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
    };
    respond(answer)
}
