//! Agents' records: who they are and the commission they earn on their artisans' sales.

use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_audit::{Actor, AuditEntry, Subject, Via};
use souk_auth::{AuthService, NewAccount, Principal, Role};
use souk_db::{
    begin_write,
    entities::agents,
    sea_orm::{ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::AccountId;

use crate::{Agents, AgentsError};

/// A commission above half of a sale is surely a typo.
pub const MAX_COMMISSION_BPS: u32 = 5_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub id: AccountId,
    pub display_name: String,
    pub email: String,
    /// Where short messages reach them, in international form.
    pub phone: Option<String>,
    /// Basis points of the value of their artisans' sales (100 = 1%).
    pub commission_bps: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new agent, as an admin appoints them.
#[derive(Clone, Debug)]
pub struct AgentInput {
    pub account: NewAccount,
    pub commission_bps: u32,
    /// Their phone, for short messages (a Moroccan `06…` number becomes `+2126…`).
    pub phone: Option<String>,
}

fn actor(principal: &Principal) -> Actor {
    Actor {
        account: Some(principal.account_id),
        role: principal.role.as_str().to_owned(),
    }
}

fn commission(bps: u32) -> Result<i32, AgentsError> {
    if bps > MAX_COMMISSION_BPS {
        return Err(AgentsError::invalid(
            "commission_bps",
            format!("must be between 0 and {MAX_COMMISSION_BPS} (50%)"),
        ));
    }
    i32::try_from(bps).map_err(|_| AgentsError::invalid("commission_bps", "out of range"))
}

impl Agents {
    /// An admin (or the command line, as `None`) appoints an agent: their account and record.
    pub async fn create_agent(
        &self,
        principal: Option<&Principal>,
        input: AgentInput,
    ) -> Result<Agent, AgentsError> {
        if principal.is_some_and(|p| !p.is_admin()) {
            return Err(AgentsError::Forbidden("only admins appoint agents"));
        }
        let bps = commission(input.commission_bps)?;
        let phone = input
            .phone
            .as_deref()
            .map(|raw| souk_catalog::agency::phone("phone", raw))
            .transpose()?;
        let prepared = self
            .auth
            .prepare(
                NewAccount {
                    role: Role::Agent,
                    ..input.account
                },
                true,
            )
            .await?;
        let tx = begin_write(&self.db).await?;
        let account = AuthService::insert(&tx, prepared).await?;
        let now = Utc::now();
        agents::Entity::insert(agents::ActiveModel {
            account_id: Set(account.id.into_uuid()),
            display_name: Set(account.display_name.clone()),
            commission_bps: Set(bps),
            phone: Set(phone),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&tx)
        .await?;
        let (actor, via) = match principal {
            Some(p) => (actor(p), Via::Api),
            None => (
                Actor {
                    account: None,
                    role: "operator".into(),
                },
                Via::Cli,
            ),
        };
        let entry = AuditEntry::new(
            actor,
            None,
            Subject::Agent(account.id.into_uuid()),
            "agent.appointed",
            via,
            serde_json::json!({"commission_bps": {"to": bps}, "email": {"to": account.email}}),
        );
        souk_audit::record(&tx, &entry).await?;
        tx.commit().await?;
        self.agent_record(account.id).await
    }

    /// An admin changes an agent's commission. Recorded in the audit trail.
    pub async fn set_commission(
        &self,
        principal: &Principal,
        agent: AccountId,
        commission_bps: u32,
    ) -> Result<Agent, AgentsError> {
        if !principal.is_admin() {
            return Err(AgentsError::Forbidden("only admins set commissions"));
        }
        let bps = commission(commission_bps)?;
        let tx = begin_write(&self.db).await?;
        let before = agents::Entity::find_by_id(agent.into_uuid())
            .one(&tx)
            .await?
            .ok_or(AgentsError::NotFound)?;
        agents::Entity::update_many()
            .set(agents::ActiveModel {
                account_id: NotSet,
                commission_bps: Set(bps),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(agents::Column::AccountId.eq(agent.into_uuid()))
            .exec(&tx)
            .await?;
        let entry = AuditEntry::new(
            actor(principal),
            None,
            Subject::Agent(agent.into_uuid()),
            "agent.commission_changed",
            Via::Api,
            serde_json::json!({"commission_bps": {"from": before.commission_bps, "to": bps}}),
        );
        souk_audit::record(&tx, &entry).await?;
        tx.commit().await?;
        self.agent_record(agent).await
    }

    /// The phones of these agents (those that have one), for short messages.
    pub async fn phones(
        conn: &impl souk_db::ConnectionTrait,
        ids: &[AccountId],
    ) -> Result<std::collections::HashMap<AccountId, String>, AgentsError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        Ok(agents::Entity::find()
            .filter(agents::Column::AccountId.is_in(ids.iter().map(|id| id.into_uuid())))
            .filter(agents::Column::Phone.is_not_null())
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|row| Some((AccountId::from_uuid(row.account_id), row.phone?)))
            .collect())
    }

    /// An agent's record: for the agent and admins.
    pub async fn agent(&self, principal: &Principal, id: AccountId) -> Result<Agent, AgentsError> {
        if !(principal.is_admin() || principal.account_id == id) {
            return Err(AgentsError::Forbidden(
                "only the agent themself or an admin may see this",
            ));
        }
        self.agent_record(id).await
    }

    async fn agent_record(&self, id: AccountId) -> Result<Agent, AgentsError> {
        let row = agents::Entity::find_by_id(id.into_uuid())
            .one(&self.db)
            .await?
            .ok_or(AgentsError::NotFound)?;
        let account = self.auth.account(id).await?.ok_or(AgentsError::NotFound)?;
        Ok(Agent {
            id,
            display_name: row.display_name,
            email: account.email,
            phone: row.phone,
            commission_bps: u32::try_from(row.commission_bps).unwrap_or_default(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
