//! The pay123 demo shop on axum: the framework-free `shop` crate behind an axum `Router`, with
//! pay123-axum's notify router mounted at `/123pay/notify`.
//!
//! Everything here is glue: the notify route is [`pay123_axum::notify_router`] calling
//! [`Shop::on_notify`]; every other route is [`shop::http::handle`].

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pay123_axum::notify_router;
use pay123_axum::pay123_core::{HttpClient, Notify, NotifyOutcome};
use shop::{NOTIFY_PATH, Shop};
use tokio::net::TcpListener;

/// The shop's router: the notify listener and the shop's pages.
pub fn app<C>(shop: Shop<C>) -> Router
where
    C: HttpClient + Clone + 'static,
{
    let listener = shop.client().notify_listener();
    Router::new()
        .merge(notify_router(NOTIFY_PATH, listener, on_notify::<C>))
        .fallback(pages::<C>)
        .with_state(shop)
}

async fn on_notify<C: HttpClient + Clone + 'static>(
    notify: Notify,
    shop: Shop<C>,
) -> NotifyOutcome {
    shop.on_notify(notify).await
}

async fn pages<C: HttpClient + Clone + 'static>(
    State(shop): State<Shop<C>>,
    request: Request,
) -> Response {
    // Present when served with `into_make_service_with_connect_info`, as `serve` does.
    let client_ip: Option<IpAddr> = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, shop::http::MAX_FORM_BODY).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response(),
    };
    let response =
        shop::http::handle(&shop, http::Request::from_parts(parts, body), client_ip).await;
    response.map(Body::from)
}

/// Serves the shop on `listener` until the task is dropped or the server fails.
pub async fn serve<C>(listener: TcpListener, shop: Shop<C>) -> std::io::Result<()>
where
    C: HttpClient + Clone + 'static,
{
    axum::serve(
        listener,
        app(shop).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
