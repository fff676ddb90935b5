//! End-to-end tests of pay123: one conformance list that runs against any demo shop (axum today;
//! actix-web and rocket reuse it), through real HTTP on loopback, with the real sandbox and a
//! real SQLite file.
//!
//! A shop takes part by implementing [`Launcher`] and calling [`conformance!`] in a test file.

pub mod browser;
pub mod buyer;
pub mod contract;
pub mod database;
pub mod nginx;
pub mod qc;
pub mod scenarios;
pub mod world;

pub use buyer::{Buyer, Page};
pub use database::Database;
pub use world::{BehindNginx, Launcher, OnPostgres, ShopSetup, World};

/// Expands to one `#[tokio::test]` per scenario of [`scenarios`], run against the shop that
/// `$launcher` starts, in three modules: `sqlite` (the shop on a SQLite file), `postgres` (on a
/// database of its own on the test PostgreSQL server; see [`database`]) and `nginx` (the slow
/// and idle connections, behind nginx). The slow and idle connections are also tried against the
/// shop directly, unless the shop is one that runs only behind a proxy (`proxied`).
#[macro_export]
macro_rules! conformance {
    ($launcher:expr) => {
        $crate::conformance!($launcher, proxied);
        mod direct {
            use super::*;
            $crate::conformance!(@contract $launcher; slow_and_idle_connections_are_cut);
        }
    };
    ($launcher:expr, proxied) => {
        mod sqlite {
            use super::*;
            $crate::conformance!(@all $launcher);
        }
        mod postgres {
            use super::*;
            $crate::conformance!(@all $crate::OnPostgres($launcher));
        }
        mod nginx {
            use super::*;
            $crate::conformance!(@contract $crate::BehindNginx($launcher);
                slow_and_idle_connections_are_cut,
                the_buyers_address_through_the_proxy,
            );
        }
    };
    (@all $launcher:expr) => {
        $crate::conformance!(@tests $launcher;
            successful_payment,
            successful_payment_choosing_the_bank_at_123pay,
            cancel,
            wrong_otp_three_times,
            duplicate_notify,
            concurrent_duplicates_cost_few_queries,
            forged_notify,
            dropped_notify_resolved_by_the_return_page,
            lost_notify_and_no_return_paid_by_the_reconciler,
            hung_create_order_resolves_to_what_123pay_knows,
            notify_without_confirmation_never_pays,
            amount_mismatch_is_never_paid,
            busy_on_create_order,
            fifty_concurrent_checkouts,
            racing_notifies_end_as_123pay_says,
        );
        $crate::conformance!(@contract $launcher; http_contract);
        $crate::conformance!(@browser $launcher; browser_payment, browser_cancel);
    };
    (@contract $launcher:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::contract::$name(&$launcher).await;
            }
        )*
    };
    (@browser $launcher:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::browser::$name(&$launcher).await;
            }
        )*
    };
    (@tests $launcher:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::scenarios::$name(&$launcher).await;
            }
        )*
    };
}

/// A spawned task, aborted when this is dropped: what keeps a shop under test running.
#[derive(Debug)]
pub struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
