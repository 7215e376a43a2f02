//! Agents' records on both backends: appointment, commission bounds, and the audit of changes.

use std::time::Duration;

use souk_auth::{AuthService, AuthSettings, NewAccount, PasswordParams, Principal, Role};
use souk_cache::Cache;
use souk_catalog::{Catalog, CatalogSettings};
use souk_kernel::AccountId;
use souk_testkit::backend_test;

use crate::{AgentInput, Agents, AgentsError, SyncSettings};

fn agents(db: &souk_testkit::TestDb) -> Agents {
    let cache = Cache::in_process("agents-test", Duration::from_secs(60), 100);
    let settings = AuthSettings {
        password: PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..AuthSettings::default()
    };
    let auth = AuthService::new(db.conn.clone(), cache.clone(), settings)
        .unwrap_or_else(|e| panic!("{e}"));
    let catalog = Catalog::new(db.conn.clone(), cache, CatalogSettings::default());
    Agents::new(db.conn.clone(), catalog, auth, SyncSettings::default())
}

fn input(email: &str, commission_bps: u32) -> AgentInput {
    AgentInput {
        account: NewAccount {
            email: email.into(),
            password: "a long passphrase".into(),
            display_name: "Youssef".into(),
            role: Role::Buyer,
            lang: souk_kernel::Lang::Fr,
        },
        commission_bps,
        phone: None,
    }
}

backend_test!(async fn admins_appoint_agents_and_set_their_commission_within_bounds(db) {
    let agents = agents(&db);
    let admin = Principal { account_id: AccountId::new(), role: Role::Admin };
    let agent = agents.create_agent(Some(&admin), input("y@agents.ma", 700)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(agent.commission_bps, 700);
    let me = Principal { account_id: agent.id, role: Role::Agent };
    assert_eq!(agents.agent(&me, agent.id).await.map(|a| a.email).ok().as_deref(), Some("y@agents.ma"));

    assert!(matches!(agents.create_agent(Some(&admin), input("z@agents.ma", 5_001)).await, Err(AgentsError::Invalid { .. })));
    assert!(matches!(agents.create_agent(Some(&me), input("w@agents.ma", 100)).await, Err(AgentsError::Forbidden(_))));
    assert!(matches!(agents.set_commission(&me, agent.id, 9_000).await, Err(AgentsError::Forbidden(_))));
    assert!(matches!(agents.set_commission(&admin, AccountId::new(), 100).await, Err(AgentsError::NotFound)));

    let changed = agents.set_commission(&admin, agent.id, 450).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed.commission_bps, 450);
    let trail = souk_audit::list(&db.conn, souk_audit::Filter::Subject(souk_audit::Subject::Agent(agent.id.into_uuid())), None, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["agent.commission_changed", "agent.appointed"]);
    assert_eq!(trail[0].changes, serde_json::json!({"commission_bps": {"from": 700, "to": 450}}));
    assert_eq!(trail[0].actor.account, Some(admin.account_id));
});
