//! Recording and reading entries on both backends.

use serde_json::json;
use souk_kernel::{AccountId, ArtisanId};
use souk_testkit::backend_test;
use uuid::Uuid;

use crate::{Actor, AuditEntry, Filter, Subject, Via, list, record};

fn actor() -> Actor {
    Actor {
        account: None,
        role: "system".into(),
    }
}

backend_test!(async fn entries_read_back_newest_first_per_artisan_and_subject(db) {
    let artisan = ArtisanId::new();
    let product = Uuid::now_v7();
    let first = AuditEntry::new(actor(), Some(artisan), Subject::Artisan(artisan.into_uuid()), "artisan.onboarded", Via::Sync, json!({"commune": {"to": "Sefrou"}}));
    let second = AuditEntry::new(
        Actor { account: Some(AccountId::new()), role: "agent".into() },
        Some(artisan), Subject::Product(product), "product.updated", Via::Api,
        json!({"price_minor": {"from": 1, "to": 2}}),
    );
    let elsewhere = AuditEntry::new(actor(), Some(ArtisanId::new()), Subject::Product(Uuid::now_v7()), "product.created", Via::Cli, json!({}));
    for entry in [&first, &second, &elsewhere] {
        record(&db.conn, entry).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let all = list(&db.conn, Filter::Artisan(artisan), None, 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, second.id);
    assert_eq!(all[0].actor, second.actor);
    assert_eq!(all[0].changes, second.changes);
    assert_eq!(all[1].via, Via::Sync);
    let older = list(&db.conn, Filter::Artisan(artisan), Some(second.id), 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), vec![first.id]);
    let on_product = list(&db.conn, Filter::Subject(Subject::Product(product)), None, 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(on_product.len(), 1);
    assert_eq!(on_product[0].action, "product.updated");
});
