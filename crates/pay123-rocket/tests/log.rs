//! In a rocket app, which logs with `log` and sets no `tracing` subscriber, pay123's events are
//! `log` records: a refused notify leaves a warning. (A binary of its own: the other tests set a
//! `tracing` subscriber, which takes the events instead.)

use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use pay123_core::payments::Payments;
use pay123_core::test_util::{FakeGateway, MemoryStore};
use pay123_core::{BankCode, Credentials, Notify, SecretKey, TransactionStatus};
use rocket::local::asynchronous::Client;

#[derive(Default)]
struct Records(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Records {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

fn records() -> &'static Records {
    static RECORDS: OnceLock<&'static Records> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let records: &'static Records = Box::leak(Box::default());
        log::set_logger(records).expect("the only logger");
        log::set_max_level(log::LevelFilter::Info);
        records
    })
}

#[rocket::async_test]
async fn a_refused_notify_is_a_log_record_rocket_shows() {
    let records = records();
    let gateway = FakeGateway::new(Credentials::sandbox());
    let payments = Payments::new(gateway.client(), MemoryStore::default(), tokio::time::sleep);
    // rocket's own logger is off: the test's logger stands for it.
    let config = rocket::Config {
        log_level: rocket::config::LogLevel::Off,
        ..rocket::Config::debug_default()
    };
    let rocket = rocket::custom(config).attach(pay123_rocket::fairing("/123pay/notify", payments));
    let client = Client::tracked(rocket).await.unwrap();
    let forged = Notify::new(
        "ORDER-LOG",
        BankCode::Vietcombank,
        TransactionStatus::Success,
        "",
        SystemTime::now(),
    )
    .unwrap()
    .to_form(&SecretKey::new("guessed"));
    client.post("/123pay/notify").body(forged).dispatch().await;
    let seen = records.0.lock().unwrap().clone();
    let refused = seen
        .iter()
        .find(|(_, text)| text.contains("notify refused"))
        .unwrap_or_else(|| panic!("no record of the refusal in {seen:?}"));
    assert_eq!(refused.0, log::Level::Warn, "{refused:?}");
    assert!(refused.1.contains("ORDER-LOG"), "{refused:?}");
    assert!(!seen.iter().any(|(_, text)| text.contains("MIKEY")));
}
