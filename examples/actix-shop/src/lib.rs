//! The pay123 demo shop on actix-web: the framework-free `shop` crate behind actix resources,
//! extractors and responders, with pay123-actix's notify service mounted at `/123pay/notify`.
//!
//! actix-web closes a connection that is slow to send its first request head
//! (`client_request_timeout`) or stays idle (`keep_alive`), but its head timeout does not run for
//! a connection's later requests: the shop serves with keep-alive off, so that every connection
//! carries one request, read within the head timeout, its body within pay123-actix's
//! [`BodyDeadline`].

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header::{self, ContentType};
use actix_web::http::{KeepAlive, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, HttpServer, web};
use pay123_actix::pay123_hyper::HyperClient;
use pay123_actix::{BodyDeadline, FairSlots, notify_service};
use shop::web::{CheckoutForm, MAX_FORM_BODY, ORDER_ID_HEADER, Page, Problem};
use shop::{NOTIFY_PATH, RETURN_PATH, StoreError};

/// The shop this app serves: the domain over pay123's default transport.
pub type Shop = shop::Shop<HyperClient>;

/// The limits of the shop's server: how long a connection may take to send its request head, a
/// request its body, and a client to read its answer; and how many connections are served at
/// once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The request head (actix-web's `client_request_timeout`).
    pub header: Duration,
    /// The request body, for every route ([`BodyDeadline`] and the notify listener's own).
    pub body: Duration,
    /// Reading the answer once it is written (actix-web's `client_disconnect_timeout`: with
    /// keep-alive off, every connection shuts down after its answer).
    pub write: Duration,
    /// The most connections served at once, shared among the workers (actix-web's
    /// `max_connections` is per worker).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header: Duration::from_secs(10),
            body: Duration::from_secs(10),
            write: Duration::from_secs(10),
            max_connections: 2048,
        }
    }
}

/// The shop's routes, its notify service and its form limits, for `App::configure`.
pub fn configure(
    shop: web::Data<Shop>,
    body_timeout: Duration,
) -> impl FnOnce(&mut web::ServiceConfig) {
    let payments = shop.payments().clone();
    let listener = payments.listener().clone().with_body_timeout(body_timeout);
    let payments = payments.with_listener(listener);
    move |config: &mut web::ServiceConfig| {
        config
            .app_data(shop)
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_FORM_BODY)
                    .error_handler(|error, request| {
                        let problem = match error {
                            actix_web::error::UrlencodedError::Overflow { .. } => {
                                Problem::too_large()
                            }
                            _ => Problem::bad_form(),
                        };
                        actix_web::error::InternalError::from_response(
                            error,
                            problem_response(&problem, wants_json(request)),
                        )
                        .into()
                    }),
            )
            .service(web::resource("/").route(web::get().to(products)))
            .service(web::resource("/checkout").route(web::post().to(checkout)))
            .service(web::resource(RETURN_PATH).route(web::get().to(return_page)))
            .service(web::resource("/orders/{id}").route(web::get().to(order)))
            .configure(notify_service(NOTIFY_PATH, payments))
            .default_service(web::to(not_found));
    }
}

/// Serves the shop on `listener` until the returned handle stops it (`handle.stop(true)`), or the
/// returned future ends.
pub fn serve(
    listener: TcpListener,
    shop: Shop,
    limits: Limits,
) -> std::io::Result<(actix_web::dev::Server, ServerHandle)> {
    // A fair share of the connections between addresses; a trusted proxy held to the total.
    let fair =
        FairSlots::new(limits.max_connections).trusted_proxies(shop.trusted_proxies().clone());
    let shop = web::Data::new(shop);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(BodyDeadline::new(limits.body).middleware()))
            .configure(configure(shop.clone(), limits.body))
    })
    .workers(workers)
    .client_request_timeout(limits.header)
    .client_disconnect_timeout(limits.write)
    .keep_alive(KeepAlive::Disabled)
    .shutdown_timeout(5)
    .max_connections(limits.max_connections.div_ceil(workers).max(1))
    .on_connect(fair.on_connect())
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok((server, handle))
}

async fn products(shop: web::Data<Shop>) -> HttpResponse {
    page(shop::web::products_page(shop.catalog()))
}

async fn checkout(
    request: HttpRequest,
    shop: web::Data<Shop>,
    json: WantsJson,
    web::Form(form): web::Form<CheckoutForm>,
) -> HttpResponse {
    let json = json.0;
    let Some(product_id) = form.product_id.filter(|p| !p.is_empty()) else {
        return problem_response(&Problem::no_product(), json);
    };
    let forwarded: Vec<_> = request
        .headers()
        .get_all(shop.trusted_proxies().header_name())
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    let buyer = request
        .peer_addr()
        .map(|addr| shop.client_ip(addr.ip(), forwarded.iter().map(AsRef::as_ref)));
    match shop
        .checkout(&product_id, form.bank_code.as_deref(), buyer)
        .await
    {
        Ok(created) => {
            let mut response = HttpResponse::SeeOther();
            response
                .insert_header((header::LOCATION, created.redirect_url.as_str()))
                .insert_header((ORDER_ID_HEADER, created.m_transaction_id.as_str()));
            if json {
                response
                    .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
                    .content_type(ContentType::json())
                    .body(created.to_json())
            } else {
                response.finish()
            }
        }
        Err(error) => problem_response(&Problem::checkout(&error), json),
    }
}

async fn return_page(request: HttpRequest, shop: web::Data<Shop>) -> HttpResponse {
    match shop.on_return(request.query_string()).await {
        Ok(view) => page(shop::web::return_page(&view)),
        Err(e) => store_error(&e, false),
    }
}

async fn order(id: web::Path<String>, shop: web::Data<Shop>, json: WantsJson) -> HttpResponse {
    match shop.order(&id).await {
        Ok(Some(order)) if json.0 => HttpResponse::Ok()
            .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
            .content_type(ContentType::json())
            .body(order.to_json()),
        Ok(Some(order)) => page(shop::web::order_page(&order)),
        Ok(None) => problem_response(&Problem::order_not_found(), json.0),
        Err(e) => store_error(&e, json.0),
    }
}

async fn not_found(json: WantsJson) -> HttpResponse {
    problem_response(&Problem::page_not_found(), json.0)
}

fn store_error(error: &StoreError, json: bool) -> HttpResponse {
    shop::log_store_error(error);
    problem_response(&Problem::store(), json)
}

/// The client asked for JSON (`Accept: application/json`).
struct WantsJson(bool);

impl FromRequest for WantsJson {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Self(wants_json(request))))
    }
}

fn wants_json(request: &HttpRequest) -> bool {
    let accept = request.headers().get_all(header::ACCEPT);
    shop::web::wants_json(accept.filter_map(|v| v.to_str().ok()))
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn page(page: Page) -> HttpResponse {
    HttpResponse::build(status(page.status))
        .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
        .content_type(ContentType::html())
        .body(page.html)
}

fn problem_response(problem: &Problem, json: bool) -> HttpResponse {
    let mut response = if json {
        HttpResponse::build(status(problem.status()))
            .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
            .content_type(ContentType::json())
            .body(problem.to_json())
    } else {
        page(problem.to_page())
    };
    if let Some(id) = &problem.m_transaction_id
        && let Ok(value) = header::HeaderValue::from_str(id)
    {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static(ORDER_ID_HEADER), value);
    }
    response
}
