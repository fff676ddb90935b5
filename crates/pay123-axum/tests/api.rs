//! pay123-axum through axum's own harness (`tower::ServiceExt::oneshot`).

#[path = "api/confirmed.rs"]
mod confirmed;
#[path = "api/error.rs"]
mod error;
#[path = "api/extract.rs"]
mod extract;
#[path = "api/router.rs"]
mod router;
#[path = "api/support.rs"]
mod support;
#[path = "api/trace.rs"]
mod trace;
