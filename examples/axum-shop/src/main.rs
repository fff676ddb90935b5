//! The axum demo shop.
fn main() {}
