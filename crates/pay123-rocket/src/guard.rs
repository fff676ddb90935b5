//! [`VerifiedNotify`]: a data guard for a route of your own, and the [`catchers`] that answer
//! its refusals.

use pay123_core::{
    BodyRefusal, IntoNotifyOutcome, MAX_NOTIFY_BODY, Notify, NotifyListener, PlainResponse,
    Verified,
};
use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::{Catcher, Request, State};

use crate::answer::NotifyAnswer;
use crate::neutral;

/// The name of the `Limits` entry the guard reads the body under (default
/// [`MAX_NOTIFY_BODY`]): `limits.pay123-notify` in `Rocket.toml` or the figment.
pub const NOTIFY_LIMIT: &str = "pay123-notify";

/// A notify verified by the core (method, fields, checksum, `ts` window), for a route of your
/// own: `data = "<notify>"`.
///
/// The managed state must hold the listener (`rocket.manage(listener)`). A refused notify never
/// reaches your route: the guard fails, and the [`catchers`] answer with the core's answer (the
/// signed `-1` reply with HTTP 200, 408, 413 beyond the `pay123-notify` limit). Register them at
/// your notify route's path. Answer with [`VerifiedNotify::reply`], which signs the reply.
///
/// ```
/// use pay123_rocket::pay123_core::{NotifyListener, NotifyOutcome, SecretKey};
/// use pay123_rocket::NotifyAnswer;
/// use pay123_rocket::unconfirmed::{VerifiedNotify, catchers};
/// use rocket::{post, routes};
///
/// #[post("/", data = "<notify>")]
/// fn notify(notify: VerifiedNotify) -> NotifyAnswer {
///     // Verified, not confirmed: ask 123PAY (queryOrder, `OrderStatus::judge`) before
///     // calling it paid, then update the order once.
///     notify.reply(NotifyOutcome::RetryLater) // -3: 123PAY sends it again
/// }
///
/// let rocket = rocket::build()
///     .manage(NotifyListener::new(SecretKey::new("MIKEY")))
///     .mount("/123pay/notify", routes![notify])
///     .register("/123pay/notify", catchers());
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedNotify(Verified);

impl VerifiedNotify {
    /// The verified notify.
    #[must_use]
    pub fn notify(&self) -> &Notify {
        self.0.notify()
    }

    /// The verified notify, without the means to reply.
    #[must_use]
    pub fn into_notify(self) -> Notify {
        self.0.into_notify()
    }

    /// The signed reply for your outcome (`1`, `2`, or `-3` for `RetryLater` and for an error,
    /// which is logged with the order), HTTP 200, `ts` from now.
    #[must_use]
    pub fn reply(self, outcome: impl IntoNotifyOutcome) -> NotifyAnswer {
        NotifyAnswer(self.0.reply(outcome))
    }
}

impl std::ops::Deref for VerifiedNotify {
    type Target = Notify;

    fn deref(&self) -> &Notify {
        self.0.notify()
    }
}

/// Why the guard refused a request; its answer is what the [`catchers`] send.
#[derive(Debug, Clone)]
pub struct NotifyRejection(PlainResponse);

impl NotifyRejection {
    /// The answer.
    #[must_use]
    pub fn response(&self) -> &PlainResponse {
        &self.0
    }
}

/// The answer of the request's refusal, for the catchers.
#[derive(Debug, Default)]
struct Refused(Option<PlainResponse>);

fn refuse<'r>(
    request: &'r Request<'_>,
    answer: PlainResponse,
) -> data::Outcome<'r, VerifiedNotify> {
    // A failing guard's error never reaches a catcher: the answer waits in the request's cache.
    let status = match answer.status() {
        200 => Status::BadRequest,
        code => Status::new(code),
    };
    request.local_cache(|| Refused(Some(answer.clone())));
    data::Outcome::Error((status, NotifyRejection(answer)))
}

/// Reads the body under `limit` within the listener's deadline.
pub(crate) async fn read_body(
    data: Data<'_>,
    limit: rocket::data::ByteUnit,
    listener: &NotifyListener,
) -> Result<Vec<u8>, BodyRefusal> {
    match tokio::time::timeout(listener.body_timeout(), data.open(limit).into_bytes()).await {
        Err(_) => Err(BodyRefusal::TimedOut),
        Ok(Err(e)) => Err(BodyRefusal::Unreadable(e.to_string())),
        Ok(Ok(read)) if !read.is_complete() => Err(BodyRefusal::TooLarge),
        Ok(Ok(read)) => Ok(read.into_inner()),
    }
}

/// The limit a notify body is read under.
pub(crate) fn limit(request: &Request<'_>) -> rocket::data::ByteUnit {
    request
        .limits()
        .get(NOTIFY_LIMIT)
        .unwrap_or_else(|| MAX_NOTIFY_BODY.bytes())
        .min(MAX_NOTIFY_BODY.bytes())
}

#[rocket::async_trait]
impl<'r> FromData<'r> for VerifiedNotify {
    type Error = NotifyRejection;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let Some(listener) = request.rocket().state::<NotifyListener>() else {
            tracing::error!("VerifiedNotify needs the NotifyListener in the managed state");
            return data::Outcome::Error((
                Status::InternalServerError,
                NotifyRejection(BodyRefusal::Unreadable(String::new()).response()),
            ));
        };
        let declared = request
            .headers()
            .get_one("Content-Length")
            .and_then(|v| v.parse::<u64>().ok());
        let body = if declared.is_some_and(|len| len > MAX_NOTIFY_BODY as u64) {
            Err(BodyRefusal::TooLarge)
        } else {
            read_body(data, limit(request), listener).await
        };
        let body = match body {
            Ok(body) => body,
            Err(refusal) => {
                return refuse(
                    request,
                    listener.refuse_body(request.method().as_str(), &refusal),
                );
            }
        };
        match listener.open(neutral(request, &body)) {
            Ok(verified) => data::Outcome::Success(Self(verified)),
            Err(answer) => refuse(request, answer),
        }
    }
}

/// Catchers that answer a refusal of [`VerifiedNotify`] with the core's answer (400 for the
/// signed `-1` reply sent with HTTP 200, 405, 408, 413), and any other error of their path with
/// its status and reason in plain text. Register them at your notify route's path:
/// `rocket.register("/123pay/notify", catchers())`.
#[must_use]
pub fn catchers() -> Vec<Catcher> {
    [400, 405, 408, 413, 500]
        .into_iter()
        .map(|code| Catcher::new(code, catch))
        .collect()
}

fn catch<'r>(status: Status, request: &'r Request<'_>) -> rocket::catcher::BoxFuture<'r> {
    Box::pin(async move {
        match &request.local_cache(Refused::default).0 {
            Some(answer) => {
                rocket::response::Responder::respond_to(NotifyAnswer(answer.clone()), request)
            }
            None => {
                let text = format!("{} {}", status.code, status.reason_lossy());
                rocket::Response::build()
                    .status(status)
                    .raw_header("Content-Type", "text/plain; charset=utf-8")
                    .sized_body(text.len(), std::io::Cursor::new(text))
                    .ok()
            }
        }
    })
}

/// The managed `State<T>` of a request.
pub(crate) fn state<'r, T: Send + Sync + 'static>(
    request: &'r Request<'_>,
) -> Option<&'r State<T>> {
    State::get(request.rocket())
}
