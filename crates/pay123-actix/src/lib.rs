//! 123PAY for actix-web: a ready notify service that confirms each payment with queryOrder and
//! stores it, `?` for pay123's errors, and a body deadline for every route. Glue only: every
//! rule is `pay123-core`'s.
//!
//! The payment flow is [`Payments`](pay123_core::payments::Payments) (createOrder, the
//! confirmed notify, the return page, the reconciler) over your
//! [`PaymentStore`](pay123_core::payments::PaymentStore) (`pay123-sqlx`'s `SqlStore`, or
//! your own). [`notify_service`] mounts its notify listener and registers it as the app's
//! `web::Data<Payments<..>>`, which your handlers take; [`Error`] answers its errors.
//!
//! # An existing app
//!
//! ```no_run
//! use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
//! use pay123_actix::pay123_core::payments::{Payment, Payments};
//! use pay123_actix::pay123_core::{Config, CreateOrder};
//! use pay123_actix::pay123_hyper::{self, HyperClient};
//! use pay123_actix::pay123_sqlx::SqlStore;
//! use pay123_actix::{Error, notify_service};
//!
//! type Pay = web::Data<Payments<HyperClient, SqlStore>>;
//!
//! async fn checkout(pay: Pay) -> Result<HttpResponse, Error> {
//!     let id = next_order_id(); // yours: one mTransactionID per payment
//!     let order = CreateOrder::builder(id, 150_000, "https://shop.vn/return").build()?;
//!     let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
//!     let to = ("Location", created.payment_url());
//!     Ok(HttpResponse::SeeOther().insert_header(to).finish())
//! }
//!
//! async fn back(pay: Pay, request: HttpRequest) -> Result<String, Error> {
//!     Ok(pay.on_return(request.query_string()).await?.vietnamese())
//! }
//!
//! /// Called once 123PAY confirmed a payment (again until it returns `Ok`): fulfil the order.
//! async fn paid(payment: Payment) -> Result<(), std::io::Error> {
//!     # let _ = payment;
//!     Ok(()) // e.g. UPDATE orders SET paid = true WHERE id = payment.m_transaction_id
//! }
//! # fn next_order_id() -> String { String::new() }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await?;
//!     let config = Config::from_env()?; // PAY123_API_URL and the credentials
//!     let client = pay123_hyper::client(config.credentials, config.endpoints);
//!     let pay = Payments::new(client, store, tokio::time::sleep).on_paid(paid);
//!     tokio::spawn(pay.reconciler().run());
//!     HttpServer::new(move || {
//!         App::new()
//!             .route("/checkout", web::post().to(checkout))
//!             .route("/return", web::get().to(back))
//!             .configure(notify_service("/123pay/notify", pay.clone()))
//!     })
//!     .bind("127.0.0.1:3000")?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! The lower door, `unconfirmed` (feature `unconfirmed`), hands your code notifies that are
//! verified but not confirmed. actix-web is built on `http` 0.2: this crate converts no types, the core takes the
//! method, query string, content type and body as they are.
//!
//! # Server settings
//!
//! actix-web's own settings cover the request head (`client_request_timeout`) and idle
//! keep-alive connections (`keep_alive`), but its head timeout only runs for a connection's
//! first request: with keep-alive on, a client can stall the head of a second request for ever.
//! Serve a notify listener with keep-alive off and with `BodyDeadline` (feature
//! `body-deadline`) on the app for the bodies of every route, or behind a reverse proxy that
//! times both: see [the guide](pay123_core::docs::guide).
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`], the default createOrder/queryOrder
//!   transport (actix-web runs on tokio). Turn it off when your app brings its own HTTP client.
//! - `unconfirmed`: the lower door, `pay123_actix::unconfirmed`.
//! - `sqlx`: re-exports `pay123_sqlx`, the payment store on SQLite and PostgreSQL.
//! - `body-deadline`: `BodyDeadline`, a middleware that gives every request body of the app a
//!   deadline (actix-web has none), for an app that faces the internet without a proxy.
//! - `fair-slots`: `FairSlots`, a fair share of the connection slots between addresses
//!   (actix-web caps each worker's connections, not one address's).

mod body;
#[cfg(feature = "body-deadline")]
mod deadline;
mod error;
#[cfg(feature = "unconfirmed")]
mod extract;
#[cfg(feature = "fair-slots")]
mod fair;
mod service;
#[cfg(feature = "unconfirmed")]
pub mod unconfirmed;

#[cfg(feature = "body-deadline")]
pub use deadline::{BodyDeadline, DeadlineBody};
pub use error::{Error, negotiate_errors};
#[cfg(feature = "fair-slots")]
pub use fair::FairSlots;
pub use pay123_core;
#[cfg(feature = "hyper")]
pub use pay123_hyper;
#[cfg(feature = "sqlx")]
pub use pay123_sqlx;
pub use service::notify_service;

use actix_web::HttpRequest;
use actix_web::http::header;
use pay123_core::{NotifyRequest, PlainResponse};

/// The parts of a request as the core takes them.
fn neutral<'a>(request: &'a HttpRequest, body: &'a [u8]) -> NotifyRequest<'a> {
    NotifyRequest::new(
        request.method().as_str(),
        request.query_string(),
        request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        body,
    )
}

/// A core answer, as actix-web writes a response.
fn respond(answer: PlainResponse) -> actix_web::HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(answer.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = actix_web::HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, answer.content_type()));
    if let Some(allow) = answer.allow() {
        response.insert_header((header::ALLOW, allow));
    }
    response.body(answer.into_body())
}
