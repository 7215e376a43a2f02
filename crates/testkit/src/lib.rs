//! Test support shared by the crates' database tests and the black-box API tests.
//!
//! Database tests run twice: on SQLite (always) and on PostgreSQL (when reachable). A test that
//! needs a service that is not there is skipped with a message on a developer's machine, and
//! fails under `CI=true`: CI never passes for want of a service.

mod kannel_server;
mod postgres;
mod postgres_server;
mod redis_server;
mod s3_server;
mod services;
mod smtp_server;

pub use kannel_server::{KannelServer, Sms};
pub use postgres::TestDb;
pub use postgres_server::PostgresServer;
pub use redis_server::RedisServer;
pub use s3_server::{BUCKET as S3_BUCKET, S3Server};
pub use smtp_server::SmtpServer;

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}
pub use services::{Availability, ci, postgres_admin_url, redis_url, require};

/// Declares a test that runs once per database backend: `<name>::on_sqlite` and
/// `<name>::on_postgres`. The body gets a migrated, empty [`TestDb`] named by the first argument.
///
/// ```text
/// backend_test!(async fn products_round_trip(db) {
///     assert!(db.conn.ping().await.is_ok());
/// });
/// ```
#[macro_export]
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let $db = $crate::TestDb::sqlite().await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some($db) = $crate::TestDb::postgres().await else { return };
                $body
            }
        }
    };
}
