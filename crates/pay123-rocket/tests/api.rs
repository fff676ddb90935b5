//! pay123-rocket through rocket's own test client (`rocket::local::asynchronous::Client`): the
//! same reply matrix as the other adapters.

#[path = "api/confirmed.rs"]
mod confirmed;
#[path = "api/local.rs"]
mod local;
#[path = "api/support.rs"]
mod support;
