//! The sandbox through real HTTP on 127.0.0.1: the API's answers, the bank pages' forms, every
//! trigger, notify delivery, the admin API, concurrency, and the binary's command line.

mod api {
    pub(crate) mod support;

    mod admin;
    mod cli;
    mod concurrency;
    mod dashboard;
    mod errors;
    mod flow;
    mod notify;
    mod query_order;
    mod strict;
    mod triggers;
}
