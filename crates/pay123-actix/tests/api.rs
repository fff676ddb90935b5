//! pay123-actix through actix-web's own test tools (`actix_web::test`) and over real HTTP: the
//! same reply matrix as pay123-axum's.

#[path = "api/confirmed.rs"]
mod confirmed;
#[path = "api/http.rs"]
mod http;
#[path = "api/service.rs"]
mod service;
#[path = "api/support.rs"]
mod support;
