//! The pay123 demo shop on rocket: the framework-free `shop` crate behind rocket routes, form
//! guards, responders, catchers and managed state, with pay123-rocket's fairing (the confirmed
//! notify routes at `/123pay/notify` and the reconciler), served by rocket itself. rocket 0.5
//! has no header or idle timeouts: facing the internet, it runs behind a reverse proxy
//! (`docs/deploying.md`).

use std::io::Cursor;
use std::net::SocketAddr;

use pay123_rocket::pay123_core::payments::ReconcilerSettings;
use pay123_rocket::pay123_hyper::HyperClient;
use rocket::data::ToByteUnit;
use rocket::fairing::{AdHoc, Fairing};
use rocket::figment::Figment;
use rocket::form::{Form, FromForm};
use rocket::http::uri::Origin;
use rocket::http::{Method, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder, Response};
use rocket::{Build, Request, Rocket, State, catch, catchers, get, post, routes};
use shop::web::{MAX_FORM_BODY, ORDER_ID_HEADER, Page, Problem};
use shop::{NOTIFY_PATH, RETURN_PATH, StoreError};

/// The shop this app serves: the domain over pay123's default transport.
pub type Shop = shop::Shop<HyperClient>;

/// rocket's configuration (`Rocket.toml`, `ROCKET_*`) for the shop at `addr`: the address and
/// port of `SHOP_ADDR`, the form limit, and rocket's own log quiet (the shop logs with
/// `tracing`, and prints its own banner).
#[must_use]
pub fn figment(addr: SocketAddr) -> Figment {
    rocket::Config::figment()
        .merge(("address", addr.ip()))
        .merge(("port", addr.port()))
        .merge(("limits.form", MAX_FORM_BODY.bytes()))
        .merge(("log_level", rocket::config::LogLevel::Critical))
}

/// The shop as a rocket app on `figment`: its routes, catchers and managed state, and
/// pay123-rocket's fairing (the confirmed notify routes, and the reconciler with `reconciler`'s
/// settings: `None` runs none).
pub fn rocket(
    shop: Shop,
    figment: Figment,
    reconciler: Option<ReconcilerSettings>,
) -> Rocket<Build> {
    let payments =
        pay123_rocket::fairing(NOTIFY_PATH, shop.payments().clone()).reconciler(reconciler);
    rocket::custom(figment)
        .manage(shop)
        .mount("/", routes![products, checkout, return_page, order])
        .register("/", catchers![not_found, too_large, unprocessable])
        .attach(payments)
        .attach(method_not_allowed())
}

/// The checkout form.
#[derive(Debug, FromForm)]
struct CheckoutForm {
    product_id: Option<String>,
    bank_code: Option<String>,
}

#[get("/")]
fn products(shop: &State<Shop>) -> Html {
    Html(shop::web::products_page(shop.catalog()))
}

#[post("/checkout", data = "<form>")]
async fn checkout(
    shop: &State<Shop>,
    buyer: Buyer,
    json: WantsJson,
    form: Form<CheckoutForm>,
) -> Answer {
    let form = form.into_inner();
    let Some(product_id) = form.product_id.filter(|p| !p.is_empty()) else {
        return Answer::Problem(Problem::no_product(), json.0);
    };
    match shop
        .checkout(&product_id, form.bank_code.as_deref(), buyer.0)
        .await
    {
        Ok(created) => Answer::Redirect(created, json.0),
        Err(error) => Answer::Problem(Problem::checkout(&error), json.0),
    }
}

#[get("/return")]
async fn return_page(shop: &State<Shop>, uri: &Origin<'_>) -> Answer {
    let query = uri.query().map_or("", |q| q.as_str());
    match shop.on_return(query).await {
        Ok(view) => Answer::Page(shop::web::return_page(&view)),
        Err(e) => store_error(&e, false),
    }
}

#[get("/orders/<id>")]
async fn order(shop: &State<Shop>, id: &str, json: WantsJson) -> Answer {
    match shop.order(id).await {
        Ok(Some(order)) if json.0 => Answer::Json(order.to_json()),
        Ok(Some(order)) => Answer::Page(shop::web::order_page(&order)),
        Ok(None) => Answer::Problem(Problem::order_not_found(), json.0),
        Err(e) => store_error(&e, json.0),
    }
}

#[catch(404)]
fn not_found(request: &Request<'_>) -> Answer {
    Answer::Problem(Problem::page_not_found(), wants_json(request))
}

#[catch(413)]
fn too_large(request: &Request<'_>) -> Answer {
    Answer::Problem(Problem::too_large(), wants_json(request))
}

#[catch(422)]
fn unprocessable(request: &Request<'_>) -> Answer {
    Answer::Problem(Problem::bad_form(), wants_json(request))
}

fn store_error(error: &StoreError, json: bool) -> Answer {
    shop::log_store_error(error);
    Answer::Problem(Problem::store(), json)
}

/// 405 with `Allow` for a path the shop serves with other methods (rocket answers 404).
fn method_not_allowed() -> impl Fairing {
    AdHoc::on_response("405 for known paths", |request, response| {
        Box::pin(async move {
            if response.status() != Status::NotFound {
                return;
            }
            let path = request.uri().path();
            let allow = match path.as_str() {
                "/" | RETURN_PATH => Some((Method::Get, "GET, HEAD")),
                "/checkout" => Some((Method::Post, "POST")),
                p if p.starts_with("/orders/") && p.len() > "/orders/".len() => {
                    Some((Method::Get, "GET, HEAD"))
                }
                _ => None,
            };
            if let Some((method, allow)) = allow
                && request.method() != method
            {
                response.set_status(Status::MethodNotAllowed);
                response.set_raw_header("Allow", allow);
            }
        })
    })
}

/// The buyer's address: the peer's, or behind a trusted proxy the one it wrote in
/// `X-Forwarded-For` (see `Shop::with_trusted_proxies`).
struct Buyer(Option<std::net::IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Buyer {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let buyer = match (request.remote(), request.rocket().state::<Shop>()) {
            (Some(peer), Some(shop)) => {
                let forwarded = request.headers().get(shop.trusted_proxies().header_name());
                Some(shop.client_ip(peer.ip(), forwarded))
            }
            (peer, _) => peer.map(|peer| peer.ip()),
        };
        Outcome::Success(Self(buyer))
    }
}

/// The client asked for JSON (`Accept: application/json`).
struct WantsJson(bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for WantsJson {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(wants_json(request)))
    }
}

fn wants_json(request: &Request<'_>) -> bool {
    shop::web::wants_json(request.headers().get("Accept"))
}

/// An HTML page, not to be cached.
struct Html(Page);

impl<'r> Responder<'r, 'static> for Html {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        Answer::Page(self.0).respond_to(request)
    }
}

/// What the shop's routes answer.
enum Answer {
    Page(Page),
    Json(String),
    Problem(Problem, bool),
    Redirect(shop::Checkout, bool),
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response.raw_header("Cache-Control", "no-store");
        let (status, content_type, body) = match self {
            Self::Page(page) => (page.status, "text/html; charset=utf-8", page.html),
            Self::Json(json) => (200, "application/json", json),
            Self::Problem(problem, json) => {
                if let Some(id) = &problem.m_transaction_id {
                    response.raw_header(ORDER_ID_HEADER, id.clone());
                }
                if json {
                    (problem.status(), "application/json", problem.to_json())
                } else {
                    let page = problem.to_page();
                    (page.status, "text/html; charset=utf-8", page.html)
                }
            }
            Self::Redirect(created, json) => {
                response
                    .raw_header("Location", created.redirect_url.clone())
                    .raw_header(ORDER_ID_HEADER, created.m_transaction_id.clone());
                if json {
                    (303, "application/json", created.to_json())
                } else {
                    (303, "text/plain; charset=utf-8", String::new())
                }
            }
        };
        response
            .status(Status::new(status))
            .raw_header("Content-Type", content_type)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}
