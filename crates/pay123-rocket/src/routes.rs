//! [`fairing()`]: the notify routes confirming each payment with queryOrder, and the
//! reconciler.

use pay123_core::SendHttpClient;
use pay123_core::payments::{PaymentStore, Payments, ReconcilerSettings};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::Method::{Delete, Get, Head, Options, Patch, Post, Put};
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Orbit, Request, Rocket};

use crate::http::{NotifyAnswer, neutral, read_body};

/// `handler` as a route for every method, mounted at `/` of the routes' base.
pub(crate) fn every_method(h: impl Handler + Clone) -> Vec<Route> {
    let methods = [Get, Post, Put, Delete, Patch, Options, Head];
    methods.map(|m| Route::new(m, "/", h.clone())).into()
}

/// 123PAY's notify listener as routes for every method: each notify is verified, confirmed
/// with queryOrder and stored by the flow ([`Payments::serve_notify`]), and answered `1`, `2` or
/// `-3`; the body is read up to [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) bytes (413
/// beyond) within the listener's body timeout (408 past it); a forged, malformed or stale
/// notify is answered `-1`; methods other than `GET` and `POST` get 405. Each notify runs in the
/// core's `info` span `pay123.notify`.
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
        let answer = match read_body(request, data, listener).await {
            Ok(body) => self.0.serve_notify(neutral(request, &body)).await,
            Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
        };
        Outcome::from(request, NotifyAnswer(answer))
    }
}

/// The whole payment flow in a rocket app, the rocket way: manages `payments` (your routes take
/// `&State<Payments<C, S>>`; rocket refuses to launch a route that asks for it unmanaged), mounts
/// 123PAY's notify listener at `path` (each notify verified, confirmed with queryOrder, stored by
/// `payments` and answered `1`, `2` or `-3`: your code stores nothing), and runs the reconciler
/// (default [`ReconcilerSettings`]) from liftoff to shutdown.
///
/// ```
/// use pay123_rocket::pay123_core::Credentials;
/// use pay123_rocket::pay123_core::payments::Payments;
/// use pay123_rocket::pay123_core::test_util::{FakeGateway, MemoryStore};
///
/// let client = FakeGateway::new(Credentials::sandbox()).client(); // pay123_hyper::client(..)
/// let payments = Payments::new(client, MemoryStore::default(), rocket::tokio::time::sleep);
/// let rocket = rocket::build().attach(pay123_rocket::fairing("/123pay/notify", payments));
/// ```
#[must_use]
pub fn fairing<C, S>(path: &str, payments: Payments<C, S>) -> Pay123<C, S>
where
    C: SendHttpClient,
    S: PaymentStore,
{
    Pay123 {
        path: path.to_owned(),
        payments,
        reconciler: Some(ReconcilerSettings::default()),
    }
}

/// The fairing of [`fairing()`].
pub struct Pay123<C, S> {
    path: String,
    payments: Payments<C, S>,
    reconciler: Option<ReconcilerSettings>,
}

impl<C, S> Pay123<C, S> {
    /// Runs the reconciler with these settings (`None`: not at all, on an instance that only
    /// serves buyers while others reconcile).
    #[must_use]
    pub fn reconciler(mut self, settings: Option<ReconcilerSettings>) -> Self {
        self.reconciler = settings;
        self
    }
}

#[rocket::async_trait]
impl<C: SendHttpClient, S: PaymentStore> Fairing for Pay123<C, S> {
    fn info(&self) -> Info {
        Info {
            name: "pay123",
            kind: Kind::Ignite | Kind::Liftoff,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        Ok(rocket.manage(self.payments.clone()).mount(
            self.path.as_str(),
            every_method(Confirmed(self.payments.clone())),
        ))
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        if let Some(settings) = self.reconciler {
            let reconciler = self.payments.reconciler().with_settings(settings);
            tokio::spawn(reconciler.run_until(rocket.shutdown()));
        }
    }
}
