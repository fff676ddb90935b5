//! The lower door: notifies verified (fields, checksum, `ts` window) but **not confirmed** with
//! queryOrder. A notify carries no amount and is only a hint: code that takes this door must
//! confirm the payment itself ([`OrderStatus::judge`](pay123_core::OrderStatus::judge) after
//! a queryOrder) before calling it paid. [`notify_routes`](crate::notify_routes) does all of it.

use std::sync::Arc;

use pay123_core::{NotifyHandler, NotifyListener};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Data, Request, State};

use crate::answer::NotifyAnswer;
pub use crate::guard::{NOTIFY_LIMIT, NotifyRejection, VerifiedNotify, catchers};
use crate::guard::{limit, read_body, state};
use crate::neutral;

/// The notify listener as routes for every method, calling `handler` with each verified (not
/// confirmed) notify, to mount at a path of your choice:
/// `rocket.mount("/123pay/notify", notify_routes(listener, handler))`.
///
/// Every request is answered by the core
/// ([`NotifyListener::serve`](pay123_core::NotifyListener::serve)): the body is read up to the
/// `pay123-notify` limit ([`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY), 413 beyond) within
/// the listener's body timeout (408 past it); a notify that fails verification is answered `-1`
/// before `handler` runs; `handler`'s outcome is answered `1`, `2` or `-3` (an error or a panic
/// is `-3`, and the error is logged with the order); methods other than `GET` and `POST` get
/// 405. `handler` receives the verified notify and your managed `&State<T>`
/// (`rocket.manage(...)`); each notify runs in the core's `info` span `pay123.notify`.
///
/// ```
/// use pay123_rocket::unconfirmed::notify_routes;
/// use pay123_rocket::pay123_core::{Notify, NotifyListener, NotifyOutcome, SecretKey};
/// use rocket::State;
///
/// struct Shop;
///
/// async fn on_notify(notify: Notify, shop: &State<Shop>) -> Result<NotifyOutcome, String> {
///     // Not confirmed: ask 123PAY (queryOrder) and judge the answer before calling it paid.
///     Ok(NotifyOutcome::RetryLater)
/// }
///
/// let listener = NotifyListener::new(SecretKey::new("MIKEY"));
/// let rocket = rocket::build()
///     .manage(Shop)
///     .mount("/123pay/notify", notify_routes(listener, on_notify));
/// ```
pub fn notify_routes<T, H>(listener: NotifyListener, handler: H) -> Vec<Route>
where
    T: Send + Sync + 'static,
    H: for<'r> NotifyHandler<&'r State<T>>,
    for<'r> <H as NotifyHandler<&'r State<T>>>::Future: Send,
{
    crate::routes::every_method(Notified {
        listener: Arc::new(listener),
        handler,
        state: std::marker::PhantomData,
    })
}

struct Notified<T, H> {
    listener: Arc<NotifyListener>,
    handler: H,
    state: std::marker::PhantomData<fn() -> T>,
}

impl<T, H: Clone> Clone for Notified<T, H> {
    fn clone(&self) -> Self {
        Self {
            listener: self.listener.clone(),
            handler: self.handler.clone(),
            state: std::marker::PhantomData,
        }
    }
}

#[rocket::async_trait]
impl<T, H> Handler for Notified<T, H>
where
    T: Send + Sync + 'static,
    H: for<'r> NotifyHandler<&'r State<T>>,
    for<'r> <H as NotifyHandler<&'r State<T>>>::Future: Send,
{
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let listener = &self.listener;
        let Some(state) = state::<T>(request) else {
            tracing::error!(
                state = std::any::type_name::<T>(),
                "the notify routes need their managed state: rocket.manage(...)"
            );
            return Outcome::Error(rocket::http::Status::InternalServerError);
        };
        let answer = match read_body(data, limit(request), listener).await {
            Ok(body) => {
                listener
                    .serve(neutral(request, &body), state, &self.handler)
                    .await
            }
            Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
        };
        Outcome::from(request, NotifyAnswer(answer))
    }
}
