//! The lower door: notifies verified (fields, checksum, `ts` window) but **not confirmed** with
//! queryOrder. A notify carries no amount and is only a hint: code that takes this door must
//! confirm the payment itself ([`OrderStatus::judge`](pay123_core::OrderStatus::judge) after
//! a queryOrder) before calling it paid. [`fairing()`](crate::fairing) does all of it.

use std::sync::Arc;

use pay123_core::{BodyRefusal, IntoNotifyOutcome, NotifyHandler, NotifyListener};
use rocket::data::{self, Data, FromData};
use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Request, State};

use crate::http::{NotifyAnswer, neutral, read_body};

/// The notify listener as routes for every method, calling `handler` with each verified (not
/// confirmed) notify, to mount at a path of your choice:
/// `rocket.mount("/123pay/notify", notify_routes(listener, handler))`.
///
/// Every request is answered by the core
/// ([`NotifyListener::serve`](pay123_core::NotifyListener::serve)): the body is read up to the
/// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) bytes (413 beyond) within
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
        let Some(state) = State::get(request.rocket()) else {
            tracing::error!(
                state = std::any::type_name::<T>(),
                "the notify routes need their managed state: rocket.manage(...)"
            );
            return Outcome::Error(rocket::http::Status::InternalServerError);
        };
        let answer = match read_body(request, data, listener).await {
            Ok(body) => {
                let notify = neutral(request, &body);
                listener.serve(notify, state, &self.handler).await
            }
            Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
        };
        Outcome::from(request, NotifyAnswer(answer))
    }
}

pay123_core::adapter_verified_notify! {
    /// A notify verified by the core (method, fields, checksum, `ts` window) but **not confirmed**
    /// with queryOrder, for a route of your own: `data = "<notify>"`, taken as
    /// `Result<VerifiedNotify, NotifyRejection>` so that the route answers a refusal with the
    /// core's answer (the signed `-1` reply, 408, 413 beyond
    /// [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY)) by returning the rejection. Answer a verified one with [`VerifiedNotify::reply`], which signs the reply.
    ///
    /// The managed state must hold the listener (`rocket.manage(listener)`); rocket refuses to
    /// launch a route that takes the guard without it.
    ///
    /// ```
    /// use pay123_rocket::pay123_core::{NotifyListener, NotifyOutcome, SecretKey};
    /// use pay123_rocket::NotifyAnswer;
    /// use pay123_rocket::unconfirmed::{NotifyRejection, VerifiedNotify};
    /// use rocket::{post, routes};
    ///
    /// #[post("/", data = "<notify>")]
    /// fn notify(notify: Result<VerifiedNotify, NotifyRejection>) -> Result<NotifyAnswer, NotifyRejection> {
    ///     let notify = notify?; // a refusal is answered as the core says
    ///     // Verified, not confirmed: ask 123PAY (queryOrder, `OrderStatus::judge`) before
    ///     // calling it paid, then update the order once.
    ///     Ok(notify.reply(NotifyOutcome::RetryLater)) // -3: 123PAY sends it again
    /// }
    ///
    /// let rocket = rocket::build()
    ///     .manage(NotifyListener::new(SecretKey::new("MIKEY")))
    ///     .mount("/123pay/notify", routes![notify]);
    /// ```
    pub struct VerifiedNotify;
    /// Why the guard refused a request, and the core's answer to it: a responder.
    pub struct NotifyRejection;
}

impl VerifiedNotify {
    /// The signed reply for your outcome (`1`, `2`, or `-3` for `RetryLater` and for an error,
    /// which is logged with the order), HTTP 200, `ts` from now.
    #[must_use]
    pub fn reply(self, outcome: impl IntoNotifyOutcome) -> NotifyAnswer {
        NotifyAnswer(self.0.reply(outcome))
    }
}

/// A route that takes the guard in an app that does not manage the listener: rocket refuses to
/// launch it, rather than answering 500 to every notify.
impl rocket::Sentinel for VerifiedNotify {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        if rocket.state::<NotifyListener>().is_none() {
            tracing::error!(
                "VerifiedNotify needs the NotifyListener in the managed state: \
                 rocket.manage(listener)"
            );
            return true;
        }
        false
    }
}

impl<'r> Responder<'r, 'static> for NotifyRejection {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        NotifyAnswer(self.0).respond_to(request)
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for VerifiedNotify {
    type Error = NotifyRejection;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let listener = request.guard::<&State<NotifyListener>>().await.succeeded();
        let Some(listener) = listener else {
            let answer = BodyRefusal::Unreadable(String::new()).response();
            return data::Outcome::Error((Status::InternalServerError, NotifyRejection(answer)));
        };
        let answer = match read_body(request, data, listener).await {
            Ok(body) => match listener.open(neutral(request, &body)) {
                Ok(verified) => return data::Outcome::Success(Self(verified)),
                Err(answer) => answer,
            },
            Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
        };
        // Taken as a `Result`, the route answers this rejection; taken alone, rocket's
        // catcher for the status does (the signed reply is lost then).
        let status = match answer.status() {
            200 => Status::BadRequest,
            code => Status::new(code),
        };
        data::Outcome::Error((status, NotifyRejection(answer)))
    }
}
