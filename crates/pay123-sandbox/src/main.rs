//! The pay123 sandbox.
fn main() {}
