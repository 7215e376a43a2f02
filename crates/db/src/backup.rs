//! Database backups: PostgreSQL in pg_dump's custom format (restored by pg_restore; both must be
//! on the `PATH`, at least the server's major version), SQLite as a consistent copy of its file
//! (`VACUUM INTO`). A restore goes into an empty database only: never over live data.

use std::{path::Path, process::Stdio, str::FromStr};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, sqlx::sqlite::SqliteConnectOptions};
use souk_kernel::percent::{self, Plus};
use tokio::process::Command;

use crate::{Backend, DbError, DbOptions, connect};

/// Writes a backup of the database at `url` to `file`.
pub async fn dump(url: &str, file: &Path) -> Result<(), DbError> {
    match backend(url)? {
        Backend::Postgres => {
            let mut command = libpq_command("pg_dump", url);
            command
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(file);
            run(command).await
        }
        Backend::Sqlite => {
            let conn = connect(&DbOptions::new(url)).await?;
            let path = file.to_string_lossy().replace('\'', "''");
            let done = conn
                .execute_unprepared(&format!("VACUUM INTO '{path}'"))
                .await
                .map(|_| ())
                .map_err(|e| DbError::Backup(format!("VACUUM INTO: {e}")));
            conn.close().await.ok();
            done
        }
    }
}

/// Checks that the database at `url` holds no tables (and, for SQLite, that no server has it
/// open): what a restore may go into.
pub async fn ensure_empty(url: &str) -> Result<(), DbError> {
    let backend = backend(url)?;
    let conn = connect(&DbOptions::new(url)).await?;
    let tables = count_tables(&conn, backend).await;
    conn.close().await.ok();
    match tables? {
        0 => {}
        n => {
            return Err(DbError::Backup(format!(
                "the database to restore into already has {n} table(s): restore into an empty one"
            )));
        }
    }
    if backend == Backend::Sqlite && sqlite_in_use(url)? {
        return Err(DbError::Backup(
            "the SQLite database is open (its write-ahead log is not empty): stop the server first"
                .into(),
        ));
    }
    Ok(())
}

/// Restores the backup in `file` into the database at `url`, which must hold no tables.
pub async fn restore(url: &str, file: &Path) -> Result<(), DbError> {
    if !file.is_file() {
        return Err(DbError::Backup(format!("no backup at {}", file.display())));
    }
    ensure_empty(url).await?;
    match backend(url)? {
        Backend::Postgres => {
            let mut command = libpq_command("pg_restore", url);
            command.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
            ]);
            command.arg(file);
            run(command).await
        }
        Backend::Sqlite => replace_sqlite_file(url, file),
    }
}

fn backend(url: &str) -> Result<Backend, DbError> {
    Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(crate::connect::redact(url)))
}

async fn count_tables(conn: &DatabaseConnection, backend: Backend) -> Result<i64, DbError> {
    let sql = match backend {
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema()"
        }
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
    };
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map_err(|e| DbError::Backup(format!("cannot list the tables: {e}")))?;
    let row = row.ok_or_else(|| DbError::Backup("listing the tables returned no row".into()))?;
    row.try_get::<i64>("", "n")
        .map_err(|e| DbError::Backup(format!("cannot count the tables: {e}")))
}

/// The SQLite file at `url` and its write-ahead log's name.
fn sqlite_files(url: &str) -> Result<(std::path::PathBuf, std::ffi::OsString), DbError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| DbError::Backup(format!("SQLite URL: {e}")))?;
    let target = options.get_filename().to_owned();
    let mut wal = target.as_os_str().to_owned();
    wal.push("-wal");
    Ok((target, wal))
}

/// Whether a connection still has the file open: the last one to close empties the log.
fn sqlite_in_use(url: &str) -> Result<bool, DbError> {
    let (_, wal) = sqlite_files(url)?;
    Ok(std::fs::metadata(wal).is_ok_and(|m| m.len() > 0))
}

/// The SQLite file is empty of tables (checked): put the backup in its place, with no write-ahead
/// log of the old file left beside it.
fn replace_sqlite_file(url: &str, file: &Path) -> Result<(), DbError> {
    let (target, _) = sqlite_files(url)?;
    let target = target.as_path();
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    // Through a new file and a rename: a connection still open on the old file keeps its own.
    let mut restoring = target.as_os_str().to_owned();
    restoring.push(".restoring");
    let fail = |e: std::io::Error| DbError::Backup(format!("restore to {}: {e}", target.display()));
    std::fs::copy(file, &restoring).map_err(fail)?;
    std::fs::rename(&restoring, target).map_err(fail)
}

/// `program` (pg_dump, pg_restore) on the database at `url`, its password passed in the
/// environment rather than on a command line others can read.
fn libpq_command(program: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut command = Command::new(program);
    command
        .arg(format!("--dbname={url}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    command
}

async fn run(mut command: Command) -> Result<(), DbError> {
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let output = command.output().await.map_err(|e| {
        DbError::Backup(format!(
            "cannot run {program} (PostgreSQL's client tools): {e}"
        ))
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(DbError::Backup(format!(
        "{program} failed ({}): {}",
        output.status,
        stderr.trim()
    )))
}

/// `postgres://user:secret@host/db` as `postgres://user@host/db` and `secret` (decoded; as
/// written if it does not decode). Only the authority is looked at: an `@` in the path or query
/// is not a separator.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    let password = percent::decode(password, Plus::Literal)
        .map_or_else(|| password.to_owned(), |p| p.into_owned());
    (format!("{scheme}://{user}@{host}{tail}"), Some(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://souk:s%40cret@db:5432/souk?sslmode=require"),
            (
                "postgres://souk@db:5432/souk?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_owned(), None)
        );
        assert_eq!(
            split_password("postgres://u:p@h/db?application_name=a@b"),
            (
                "postgres://u@h/db?application_name=a@b".to_owned(),
                Some("p".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://h/db?options=x@y"),
            ("postgres://h/db?options=x@y".to_owned(), None)
        );
    }
}
