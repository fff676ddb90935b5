//! [`notify_service`]: the ready notify route, confirming each payment with queryOrder.

use actix_web::{HttpRequest, web};
use pay123_core::HttpClient;
use pay123_core::payments::{PaymentStore, Payments};

use crate::{body, neutral, respond};

/// 123PAY's notify listener at `path`, and `payments` as the app's `web::Data<Payments<C, S>>`,
/// for `App::configure`: each notify is verified, confirmed with queryOrder and stored by
/// `payments` ([`Payments::serve_notify`]), and answered `1`, `2` or `-3`. Your code stores
/// nothing: the payment is in your [`PaymentStore`] when the reply leaves. Your own handlers
/// (checkout, return page) take `web::Data<Payments<C, S>>`: it is registered here, so it
/// cannot be missing.
///
/// The body is read up to [`MAX_NOTIFY_BODY`](pay123_core::MAX_NOTIFY_BODY) (413 beyond)
/// within the listener's body timeout (408 past it); a forged, malformed or stale notify is
/// answered `-1`; methods other than `GET` and `POST` get 405. Each notify runs in the core's
/// `info` span `pay123.notify`.
///
/// ```
/// use actix_web::App;
/// use pay123_actix::notify_service;
/// use pay123_actix::pay123_core::Credentials;
/// use pay123_actix::pay123_core::payments::Payments;
/// use pay123_actix::pay123_core::test_util::{FakeGateway, MemoryStore};
///
/// # #[actix_web::main] async fn main() {
/// let client = FakeGateway::new(Credentials::sandbox()).client(); // pay123_hyper::client(..)
/// let payments = Payments::new(client, MemoryStore::default(), tokio::time::sleep);
/// let app = App::new().configure(notify_service("/123pay/notify", payments));
/// # }
/// ```
pub fn notify_service<C, S>(
    path: &str,
    payments: Payments<C, S>,
) -> impl FnOnce(&mut web::ServiceConfig)
where
    C: HttpClient + 'static,
    S: PaymentStore,
{
    let path = path.to_owned();
    move |config: &mut web::ServiceConfig| {
        config.app_data(web::Data::new(payments.clone()));
        config.service(web::resource(path).route(web::route().to(
            move |request: HttpRequest, payload: web::Payload| {
                let payments = payments.clone();
                async move {
                    let listener = payments.listener();
                    let read = body::read(&request, payload.into_inner(), listener.body_timeout());
                    let answer = match read.await {
                        Ok(body) => payments.serve_notify(neutral(&request, &body)).await,
                        Err(refusal) => listener.refuse_body(request.method().as_str(), &refusal),
                    };
                    respond(answer)
                }
            },
        )));
    }
}
