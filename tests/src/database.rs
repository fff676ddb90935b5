//! The databases a shop under test runs on: a SQLite file, or a database of its own on the test
//! PostgreSQL server that `scripts/test` starts (`PAY123_TEST_POSTGRES_URL`).

use std::path::Path;

use sqlx::Connection;

/// The variable that names the test PostgreSQL server: a URL whose user may create databases.
pub const POSTGRES_URL_VAR: &str = "PAY123_TEST_POSTGRES_URL";

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Database {
    /// The URL of a new, empty database: a file in `dir`, or a database created on the test
    /// PostgreSQL server.
    pub async fn fresh(self, dir: &Path) -> String {
        match self {
            Self::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("shop.db").display()),
            Self::Postgres => fresh_postgres().await,
        }
    }
}

/// The test PostgreSQL server's URL. Panics with what to do when it is not set: a test that
/// needs PostgreSQL never passes without it.
pub fn postgres_server() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: run the tests with scripts/test, which starts a \
             PostgreSQL server, or point it at one (postgres://user@127.0.0.1:PORT/postgres, a \
             user that may create databases)"
        )
    })
}

/// Creates a database with a new name on the test server; its URL.
pub async fn fresh_postgres() -> String {
    let server = postgres_server();
    let mut url = url::Url::parse(&server).expect("PAY123_TEST_POSTGRES_URL is a URL");
    let name = format!("shop_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    url.set_path(&name);
    url.to_string()
}
