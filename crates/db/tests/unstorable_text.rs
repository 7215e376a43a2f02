//! Text the database cannot store is told apart from other failures, so the gateway can answer
//! 400 for it instead of 500.

use souk_db::{
    Backend, is_unstorable_text,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};
use souk_testkit::backend_test;

backend_test!(async fn a_nul_character_is_unstorable_on_postgres_and_stored_on_sqlite(db) {
    let backend = match db.backend {
        Backend::Postgres => DbBackend::Postgres,
        Backend::Sqlite => DbBackend::Sqlite,
    };
    let select = |text: &str| {
        let sql = match backend {
            DbBackend::Postgres => "SELECT $1::text AS t",
            _ => "SELECT ? AS t",
        };
        Statement::from_sql_and_values(backend, sql, [text.into()])
    };
    assert!(db.conn.query_one_raw(select("plain")).await.is_ok());

    let nul = db.conn.query_one_raw(select("a\0b")).await;
    match db.backend {
        Backend::Postgres => {
            let err = nul.err().unwrap_or_else(|| panic!("PostgreSQL stored a NUL"));
            assert!(is_unstorable_text(&err), "{err}");
        }
        Backend::Sqlite => assert!(nul.is_ok(), "{nul:?}"),
    }

    let other = db.conn.execute_unprepared("SELECT * FROM no_such_table").await;
    let other = other.err().unwrap_or_else(|| panic!("a missing table was found"));
    assert!(!is_unstorable_text(&other), "{other}");
});
