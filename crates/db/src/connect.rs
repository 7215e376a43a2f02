//! Opening the pool. The URL decides the backend: `postgres://` for production and CI, `sqlite:`
//! for the zero-setup default.

use std::{path::Path, str::FromStr, time::Duration};

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL must start with postgres://, postgresql:// or sqlite: (got {0:?})")]
    UnsupportedUrl(String),
    #[error("cannot create the folder of the SQLite database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sea_orm::DbErr),
    #[error("migration failed: {0}")]
    Migrate(#[source] sea_orm::DbErr),
    #[error("backup: {0}")]
    Backup(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else {
            None
        }
    }
}

/// How to open the pool.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long a SQLite writer waits for the write lock before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }

    /// The SQLite file URL for a database kept at `path`, created if missing.
    pub fn sqlite_file(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }
}

pub async fn connect(options: &DbOptions) -> Result<DatabaseConnection, DbError> {
    let backend = Backend::of_url(&options.url)
        .ok_or_else(|| DbError::UnsupportedUrl(redact(&options.url)))?;
    let mut opts = ConnectOptions::new(options.url.clone());
    opts.max_connections(options.max_connections)
        .min_connections(1)
        .acquire_timeout(options.acquire_timeout)
        .connect_timeout(options.acquire_timeout)
        // A ping on every checkout costs a round trip per query; ping only connections that sat
        // idle long enough to have been dropped by the server or a proxy.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        create_parent_dir(&options.url)?;
        let busy = options.sqlite_busy_timeout;
        opts.map_sqlx_sqlite_opts(move |o: SqliteConnectOptions| {
            // WAL lets readers run beside the one writer; NORMAL sync is safe with WAL.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy)
                .foreign_keys(true)
        });
    }
    Database::connect(opts).await.map_err(DbError::Connect)
}

/// Creates the folder a SQLite file database lives in.
fn create_parent_dir(url: &str) -> Result<(), DbError> {
    let Ok(parsed) = SqliteConnectOptions::from_str(url) else {
        return Ok(());
    };
    let file = parsed.get_filename();
    if file.as_os_str() == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_picks_the_backend() {
        assert_eq!(
            Backend::of_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("sqlite://data/souk.db?mode=rwc"),
            Some(Backend::Sqlite)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("mysql://user:secret@host/db"), "mysql://***@host/db");
    }
}
