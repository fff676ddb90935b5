//! 123PAY for rocket: ready notify routes that confirm each payment with queryOrder and store
//! it, a fairing that mounts them and runs the reconciler, and pay123's errors as responders.
//! Glue only: every rule is `pay123-core`'s.
//!
//! The payment flow is [`Payments`](pay123_core::payments::Payments) (createOrder, the
//! confirmed notify, the return page, the reconciler) over your
//! [`PaymentStore`](pay123_core::payments::PaymentStore) (`pay123-sqlx`'s `SqlStore`, or
//! your own). [`fairing()`] manages it (your routes take `&State<Payments<..>>`), mounts its
//! notify listener ([`notify_routes`]) and runs its reconciler; [`Error`] answers its errors.
//!
//! # A `#[launch]` app
//!
//! ```no_run
//! use pay123_rocket::pay123_core::payments::Payments;
//! use pay123_rocket::pay123_core::{CreateOrder, Credentials, Endpoints};
//! use pay123_rocket::pay123_hyper::{self, HyperClient};
//! use pay123_rocket::pay123_sqlx::SqlStore;
//! use pay123_rocket::Error;
//! use rocket::http::uri::Origin;
//! use rocket::response::Redirect;
//! use rocket::{State, get, launch, post, routes};
//!
//! type Pay = Payments<HyperClient, SqlStore>;
//!
//! #[post("/checkout")]
//! async fn checkout(pay: &State<Pay>) -> Result<Redirect, Error> {
//!     let order = CreateOrder::builder("ORDER-1", 150_000, "https://shop.vn/return").build()?;
//!     let created = pay.create(&order).await?; // recorded, created at 123PAY, stored
//!     Ok(Redirect::to(created.payment_url().to_owned()))
//! }
//!
//! #[get("/return")]
//! async fn back(pay: &State<Pay>, uri: &Origin<'_>) -> Result<String, Error> {
//!     let query = uri.query().map_or("", |q| q.as_str());
//!     Ok(pay.on_return(query).await?.vietnamese())
//! }
//!
//! #[launch]
//! async fn rocket() -> _ {
//!     let store = SqlStore::connect("sqlite://shop.db?mode=rwc").await.expect("the database");
//!     let client = pay123_hyper::client(Credentials::sandbox(), Endpoints::sandbox());
//!     let pay = Payments::new(client, store, tokio::time::sleep);
//!     rocket::build()
//!         .mount("/", routes![checkout, back])
//!         .attach(pay123_rocket::fairing("/123pay/notify", pay))
//! }
//! ```
//!
//! The lower door, [`unconfirmed`], hands your code notifies that are verified but not
//! confirmed. rocket is built on `http` 0.2 and types of its own: this crate converts no types,
//! the core takes the method, query string, content type and body as they are.
//!
//! # Logs
//!
//! pay123 logs with `tracing`; rocket 0.5 with `log`. With no `tracing` subscriber installed,
//! pay123's events are `log` records (tracing's `log` feature, which this crate turns on), so
//! rocket's logger shows them at its level: a refused notify is a warning in rocket's output.
//!
//! # Serving
//!
//! rocket 0.5 sets no timeout on a request's head, none on an idle keep-alive connection, and
//! waits for the first bytes of every body before routing; it cannot serve on a listener of
//! your own. [`serve`] runs your rocket app behind pay123-hyper's server (header, body and idle
//! timeouts, a body cap, a connection cap), handing each request, read whole, to rocket's own
//! routing, guards, fairings and catchers. See the guide.
//!
//! # Features
//!
//! - `hyper` (default): re-exports [`pay123_hyper`] with its client, the default
//!   createOrder/queryOrder transport.
//! - `sqlx`: re-exports `pay123_sqlx`, the payment store on SQLite and PostgreSQL.

mod answer;
mod error;
mod guard;
mod routes;
mod serve;
pub mod unconfirmed;

pub use answer::NotifyAnswer;
pub use error::Error;
pub use pay123_core;
pub use pay123_hyper;
#[cfg(feature = "sqlx")]
pub use pay123_sqlx;
pub use routes::{fairing, notify_routes};
pub use serve::{Limits, serve};

use pay123_core::NotifyRequest;
use rocket::Request;

/// The parts of a request as the core takes them.
fn neutral<'a>(request: &'a Request<'_>, body: &'a [u8]) -> NotifyRequest<'a> {
    NotifyRequest::new(
        request.method().as_str(),
        request.uri().query().map_or("", |q| q.as_str()),
        request.headers().get_one("Content-Type"),
        body,
    )
}
