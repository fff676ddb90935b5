//! The library behind `pay123`, the command line of a 123PAY integrator: the go-live self-check
//! ([`qc`]), which runs 123PAY's merchant QC cases against a merchant's own shop and writes the
//! report of the evidence of each case.
//!
//! The command line's other commands (checksums, orders, notifies, the sandbox) are in the
//! binary; its manual is `docs/cli.md` in pay123's repository (and `pay123 --help`).

pub mod qc;
