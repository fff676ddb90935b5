//! [`notify_routes`] and [`fairing()`]: the ready notify routes, confirming each payment with
//! queryOrder.

use std::sync::Mutex;

use pay123_core::SendHttpClient;
use pay123_core::payments::{PaymentStore, Payments};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::Method;
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Orbit, Request, Rocket};

use crate::answer::NotifyAnswer;
use crate::guard::{limit, read_body};
use crate::neutral;

/// `handler` as a route for every method, mounted at `/` of the routes' base.
pub(crate) fn every_method(handler: impl Handler + Clone) -> Vec<Route> {
    [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Patch,
        Method::Options,
        Method::Head,
    ]
    .into_iter()
    .map(|method| Route::new(method, "/", handler.clone()))
    .collect()
}

/// 123PAY's notify listener as routes for every method, to mount at the path you gave 123PAY:
/// each notify is verified, confirmed with queryOrder and stored by `payments`
/// ([`Payments::serve_notify`]), and answered `1`, `2` or `-3`. Your code stores nothing: the
/// payment is in your [`PaymentStore`] when the reply leaves. [`fairing()`] mounts them, manages
/// the `Payments` and runs the reconciler.
///
/// The body is read up to the `pay123-notify` limit
/// ([`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY), 413 beyond) within the listener's body
/// timeout (408 past it); a forged, malformed or stale notify is answered `-1`; methods other
/// than `GET` and `POST` get 405. Each notify runs in the core's `info` span `pay123.notify`.
pub fn notify_routes<C, S>(payments: Payments<C, S>) -> Vec<Route>
where
    C: SendHttpClient,
    S: PaymentStore,
{
    every_method(Confirmed(payments))
}

struct Confirmed<C, S>(Payments<C, S>);

impl<C, S> Clone for Confirmed<C, S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

#[rocket::async_trait]
impl<C: SendHttpClient, S: PaymentStore> Handler for Confirmed<C, S> {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let listener = self.0.listener();
        let answer = match read_body(data, limit(request), listener).await {
            Ok(body) => self.0.serve_notify(neutral(request, &body)).await,
            Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
        };
        Outcome::from(request, NotifyAnswer(answer))
    }
}

/// The whole payment flow in a rocket app, the rocket way: manages `payments` (your routes take
/// `&State<Payments<C, S>>`; rocket refuses to launch a route that asks for it unmanaged), mounts
/// [`notify_routes`] at `path`, and runs the reconciler from liftoff to shutdown.
///
/// ```
/// use pay123_rocket::pay123_core::Credentials;
/// use pay123_rocket::pay123_core::payments::Payments;
/// use pay123_rocket::pay123_core::test_util::{FakeGateway, MemoryStore};
///
/// let client = FakeGateway::new(Credentials::sandbox()).client(); // pay123_hyper::client(..)
/// let payments = Payments::new(client, MemoryStore::default(), tokio::time::sleep);
/// let rocket = rocket::build().attach(pay123_rocket::fairing("/123pay/notify", payments));
/// ```
#[must_use]
pub fn fairing<C, S>(path: &str, payments: Payments<C, S>) -> impl Fairing
where
    C: SendHttpClient,
    S: PaymentStore,
{
    Pay123 {
        path: path.to_owned(),
        payments,
        reconciler: Mutex::new(None),
    }
}

struct Pay123<C, S> {
    path: String,
    payments: Payments<C, S>,
    reconciler: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[rocket::async_trait]
impl<C: SendHttpClient, S: PaymentStore> Fairing for Pay123<C, S> {
    fn info(&self) -> Info {
        Info {
            name: "pay123",
            kind: Kind::Ignite | Kind::Liftoff | Kind::Shutdown,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        Ok(rocket
            .manage(self.payments.clone())
            .mount(self.path.as_str(), notify_routes(self.payments.clone())))
    }

    async fn on_liftoff(&self, _: &Rocket<Orbit>) {
        let task = tokio::spawn(self.payments.reconciler().run());
        if let Ok(mut running) = self.reconciler.lock() {
            *running = Some(task);
        }
    }

    async fn on_shutdown(&self, _: &Rocket<Orbit>) {
        if let Some(task) = self.reconciler.lock().ok().and_then(|mut t| t.take()) {
            task.abort();
        }
    }
}
