//! Statements written by hand (claims with leases), with their placeholders in the backend's
//! style: `$1` on PostgreSQL, `?` on SQLite.

use souk_db::{DbErr, sea_orm::DbBackend};

/// `sql` with each `?` turned into `$n` on PostgreSQL.
pub(crate) fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// `FOR UPDATE [OF table] SKIP LOCKED` where the backend has it. SQLite has one writer at a
/// time, so a claim there needs no row locks.
pub(crate) fn skip_locked(backend: DbBackend, of: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(" FOR UPDATE OF {of} SKIP LOCKED"),
        _ => String::new(),
    }
}

/// An insert whose rows all existed already is not an error here.
pub(crate) fn nothing_inserted_is_fine(result: Result<(), DbErr>) -> Result<(), DbErr> {
    match result {
        Err(DbErr::RecordNotInserted) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_its_placeholders() {
        assert_eq!(
            placeholders(DbBackend::Postgres, "a = ? AND b < ?"),
            "a = $1 AND b < $2"
        );
        assert_eq!(placeholders(DbBackend::Sqlite, "a = ?"), "a = ?");
    }
}
