//! Migrations up and down, on both databases.

use souk_db::sea_orm::ConnectionTrait;
use souk_testkit::backend_test;

backend_test!(async fn migrations_go_down_and_up_again(db) {
    let applied = souk_db::applied_migrations(&db.conn).await.unwrap_or_default();
    assert_eq!(applied.len(), 13, "{applied:?}");
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM products").await.is_ok());

    // The search change log goes, and the SQL postings of the previous search come back (empty).
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM search_changes").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM product_terms").await.is_err());
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM search_changes").await.is_err());
    for table in ["product_terms", "search_keys"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_ok(), "{table} not back");
    }
    assert!(db.conn.execute_unprepared("SELECT phone FROM artisans").await.is_ok());

    // An account's life goes: tokens and addresses, and the verification date.
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM addresses").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT email_verified_at FROM accounts").await.is_ok());
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM addresses").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM account_tokens").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT email_verified_at FROM accounts").await.is_err());

    // Contacts for notifications go: the accounts, agents and deliveries stay.
    assert!(db.conn.execute_unprepared("SELECT lang FROM accounts").await.is_ok());
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT lang FROM accounts").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT phone FROM agents").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT message FROM deliveries").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT email FROM accounts").await.is_ok());

    // The relay's tables go, the outbox stays.
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM deliveries").await.is_ok());
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM deliveries").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM webhook_endpoints").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM outbox_events").await.is_ok());

    // Crafts lose their retirement date, and stay.
    assert!(db.conn.execute_unprepared("SELECT retired_at FROM crafts").await.is_ok());
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT retired_at FROM crafts").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT slug FROM crafts").await.is_ok());

    // Label scans: every one indexed by label again, the mark gone; the scans stay.
    let scan = "INSERT INTO label_scans (id, serial, at, place, device, outcome, channel, notable) \
                VALUES ('01a23aaf-a11b-76d6-8d51-b5cf641e6533', 'K7Q2M9XP3D', CURRENT_TIMESTAMP, 'n:0', 'd', 'unknown', 'api', TRUE)";
    db.conn.execute_unprepared(scan).await.unwrap_or_else(|e| panic!("{e}"));
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT notable FROM label_scans").await.is_err());
    let kept = db.conn.query_one_raw(souk_db::sea_orm::Statement::from_string(db.conn.get_database_backend(), "SELECT COUNT(*) AS n FROM label_scans")).await;
    assert_eq!(kept.ok().flatten().and_then(|r| r.try_get::<i64>("", "n").ok()), Some(1));
    // Up again: scans recorded without the mark (before it, or by an older release) are notable.
    let older = "INSERT INTO label_scans (id, serial, at, place, device, outcome, channel) \
                 VALUES ('01a23aaf-a11b-76d6-8d51-b5cf641e6534', 'K7Q2M9XP3D', CURRENT_TIMESTAMP, 'n:0', 'd', 'unknown', 'api')";
    db.conn.execute_unprepared(older).await.unwrap_or_else(|e| panic!("{e}"));
    souk_db::migrate_up(&db.conn).await.unwrap_or_else(|e| panic!("{e}"));
    let notable = db.conn.query_one_raw(souk_db::sea_orm::Statement::from_string(db.conn.get_database_backend(), "SELECT COUNT(*) AS n FROM label_scans WHERE notable")).await;
    assert_eq!(notable.ok().flatten().and_then(|r| r.try_get::<i64>("", "n").ok()), Some(2));
    // Up went back to the last migration: down again past the change log, the account's life,
    // the contacts, the relay, the crafts' column and the mark.
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM search_changes").await.is_ok());
    souk_db::migrate_down(&db.conn, Some(6)).await.unwrap_or_else(|e| panic!("{e}"));

    // Labels go, with the products' GTIN and the artisans' disclosure; products stay.
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    for table in ["certifications", "label_batches", "labels", "label_scans", "label_reports"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }
    assert!(db.conn.execute_unprepared("SELECT gtin FROM products").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT label_disclosure FROM artisans").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM products").await.is_ok());

    // The ledger goes; orders stay.
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    for table in ["ledger_entries", "ledger_postings", "payout_batches", "payout_items", "line_shares", "refunds", "refund_lines", "card_payments", "stripe_events"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM orders").await.is_ok());

    // Orders: their tables go, the catalog stays.
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    for table in ["orders", "fulfilments", "order_lines", "order_history", "idempotency_keys", "outbox_events"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM products").await.is_ok());

    // The agency: its tables and the artisans' private columns go, the artisans stay.
    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    for table in ["audit_events", "sync_operations", "product_photos", "agents"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }
    assert!(db.conn.execute_unprepared("SELECT phone FROM artisans").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM artisans").await.is_ok());

    souk_db::migrate_down(&db.conn, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM product_terms").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM products").await.is_ok());

    souk_db::migrate_down(&db.conn, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(souk_db::applied_migrations(&db.conn).await.unwrap_or_default().is_empty());
    assert_eq!(souk_db::pending_migrations(&db.conn).await.unwrap_or_default().len(), 13);
    for table in ["products", "artisans", "crafts", "accounts", "sessions"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }

    souk_db::migrate_up(&db.conn).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(souk_db::applied_migrations(&db.conn).await.unwrap_or_default().len(), 13);
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM product_terms").await.is_err());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM search_changes").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM deliveries").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM outbox_events").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM ledger_entries").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM labels").await.is_ok());
});
