//! [`notify_service`]: the ready notify route.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use pay123_core::{NotifyHandler, NotifyListener};

use crate::{body, neutral, respond};

/// The notify listener at `path`, for `App::configure`. Every request to `path`, whatever its
/// method, is answered by the core
/// ([`NotifyListener::serve`](pay123_core::NotifyListener::serve)): the body is read up to
/// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) (413 beyond) within the listener's body
/// timeout (408 past it); a notify that fails verification is answered `-1` before `handler`
/// runs; `handler`'s outcome is answered `1`, `2` or `-3` (an error or a panic is `-3`, and the
/// error is logged with the order); methods other than `GET` and `POST` get 405.
///
/// `handler` receives the verified notify and your app's `web::Data<T>` (register it with
/// `App::app_data`); each notify runs in the core's `info` span `pay123.notify`.
///
/// ```
/// use actix_web::{App, web};
/// use pay123_actix::notify_service;
/// use pay123_actix::pay123_core::{Notify, NotifyListener, NotifyOutcome, SecretKey};
///
/// struct Shop;
///
/// async fn on_notify(notify: Notify, shop: web::Data<Shop>) -> Result<NotifyOutcome, String> {
///     // ... update the order `notify.m_transaction_id()` once ...
///     Ok(NotifyOutcome::Updated)
/// }
///
/// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
/// let app = App::new()
///     .app_data(web::Data::new(Shop))
///     .configure(notify_service("/123pay/notify", listener, on_notify));
/// ```
pub fn notify_service<T, H>(
    path: &str,
    listener: NotifyListener,
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
                async move { answer::<T, H>(&listener, &handler, request, payload).await }
            },
        )));
    }
}

async fn answer<T: 'static, H: NotifyHandler<web::Data<T>>>(
    listener: &NotifyListener,
    handler: &H,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Some(data) = request.app_data::<web::Data<T>>().cloned() else {
        tracing::error!(
            data = std::any::type_name::<T>(),
            "the notify service needs its app data: App::app_data(web::Data::new(...))"
        );
        return HttpResponse::InternalServerError().finish();
    };
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
