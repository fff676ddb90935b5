//! The sandbox's manual, readable here: running it, its merchant, the test cards and the
//! triggers of every failure, the admin API and who may use it.

/// The sandbox's manual.
#[cfg_attr(not(doctest), doc = include_str!("../docs/sandbox.md"))]
pub mod manual {}
