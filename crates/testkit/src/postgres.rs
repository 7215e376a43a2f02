//! A fresh, migrated database per test: a temporary SQLite file, or a new PostgreSQL database
//! dropped when the test ends.

use std::time::Duration;

use souk_db::{Backend, DatabaseConnection, DbOptions, sea_orm::ConnectionTrait};
use tempfile::TempDir;

use crate::services::{ci, postgres_admin_url, require};

/// A migrated, empty database for one test.
pub struct TestDb {
    pub conn: DatabaseConnection,
    /// The URL to give a gateway so it opens this same database.
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(
        #[expect(
            dead_code,
            reason = "held so the directory lives as long as the database"
        )]
        TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// A new SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let url = DbOptions::sqlite_file(&dir.path().join("souk.db"));
        let conn = open_migrated(&url).await;
        TestDb {
            conn,
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new SQLite database with no tables at all, in a temporary directory.
    pub async fn sqlite_empty() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let url = DbOptions::sqlite_file(&dir.path().join("souk.db"));
        let conn = souk_db::connect(&DbOptions::new(&url))
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        TestDb {
            conn,
            url,
            backend: Backend::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new PostgreSQL database, or `None` (skipped) when PostgreSQL is unreachable outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let db = Self::postgres_empty().await?;
        souk_db::migrate_up(&db.conn)
            .await
            .unwrap_or_else(|e| panic!("migrate test database: {e}"));
        Some(db)
    }

    /// A new PostgreSQL database with no tables at all (what a first deploy meets), or `None`
    /// (skipped) when PostgreSQL is unreachable outside CI.
    pub async fn postgres_empty() -> Option<TestDb> {
        let admin_url = postgres_admin_url();
        if !require("PostgreSQL", &admin_url, probe(&admin_url).await, ci()) {
            return None;
        }
        Some(Self::empty_on(admin_url).await)
    }

    /// A new, migrated database on the server `admin_url` names (a private one, say).
    pub async fn postgres_on(admin_url: &str) -> TestDb {
        let db = Self::empty_on(admin_url.to_owned()).await;
        souk_db::migrate_up(&db.conn)
            .await
            .unwrap_or_else(|e| panic!("migrate test database: {e}"));
        db
    }

    async fn empty_on(admin_url: String) -> TestDb {
        let name = format!("souk_test_{}", uuid::Uuid::now_v7().simple());
        let admin = souk_db::connect(&admin_options(&admin_url))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL admin connection: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("create test database: {e}"));
        drop(admin);
        let url = with_database(&admin_url, &name);
        let conn = open(&url).await;
        TestDb {
            conn,
            url,
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }
}

async fn open(url: &str) -> DatabaseConnection {
    let mut options = DbOptions::new(url);
    options.max_connections = 8;
    souk_db::connect(&options)
        .await
        .unwrap_or_else(|e| panic!("open test database: {e}"))
}

async fn open_migrated(url: &str) -> DatabaseConnection {
    let conn = open(url).await;
    souk_db::migrate_up(&conn)
        .await
        .unwrap_or_else(|e| panic!("migrate test database: {e}"));
    conn
}

fn admin_options(url: &str) -> DbOptions {
    let mut options = DbOptions::new(url);
    options.max_connections = 1;
    options.acquire_timeout = Duration::from_secs(3);
    options
}

/// Checks PostgreSQL accepts a connection at `url`.
pub(crate) async fn probe(url: &str) -> Result<(), String> {
    let conn = souk_db::connect(&admin_options(url))
        .await
        .map_err(|e| e.to_string())?;
    conn.execute_unprepared("SELECT 1")
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: drop the database
        // from a thread of its own. Best effort; `scripts/test` also sweeps leftovers.
        let dropped = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(admin) = souk_db::connect(&admin_options(&admin_url)).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(e) = admin.execute_unprepared(&sql).await {
                        tracing::warn!(error = %e, database = %name, "test database not dropped");
                    }
                }
            });
        });
        let _ = dropped.join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "t1"),
            "postgres://u@h:5432/t1"
        );
    }
}
