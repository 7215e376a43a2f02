//! Migrations up and down, on both databases.

use souk_db::sea_orm::ConnectionTrait;
use souk_testkit::backend_test;

backend_test!(async fn migrations_go_down_and_up_again(db) {
    let applied = souk_db::applied_migrations(&db.conn).await.unwrap_or_default();
    assert_eq!(applied.len(), 7, "{applied:?}");
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM products").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT phone FROM artisans").await.is_ok());

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
    assert_eq!(souk_db::pending_migrations(&db.conn).await.unwrap_or_default().len(), 7);
    for table in ["products", "artisans", "crafts", "accounts", "sessions"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert!(db.conn.execute_unprepared(&sql).await.is_err(), "{table} survived");
    }

    souk_db::migrate_up(&db.conn).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(souk_db::applied_migrations(&db.conn).await.unwrap_or_default().len(), 7);
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM product_terms").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM outbox_events").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM ledger_entries").await.is_ok());
    assert!(db.conn.execute_unprepared("SELECT COUNT(*) FROM labels").await.is_ok());
});
