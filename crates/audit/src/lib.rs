//! The audit trail. Every change to an artisan, a product or money-related settings is recorded
//! in the same transaction as the change itself, so the trail has an entry for every committed
//! change and none for a change that rolled back.
//!
//! An entry says who acted (account and role), for whom (the artisan concerned, who may read it),
//! on what (the subject), what was done, through which channel (API, offline sync, command line),
//! and what changed, field by field.

mod diff;

pub use diff::{created, diff};

use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_db::{
    ConnectionTrait, DbErr,
    entities::audit_events,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set},
};
use souk_kernel::{AccountId, ArtisanId};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("stored audit entry is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// How a change reached Souk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Api,
    Sync,
    Cli,
}

impl Via {
    pub const fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Sync => "sync",
            Via::Cli => "cli",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "api" => Some(Via::Api),
            "sync" => Some(Via::Sync),
            "cli" => Some(Via::Cli),
            _ => None,
        }
    }
}

/// Who acted: an account and the role it acted in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub account: Option<AccountId>,
    pub role: String,
}

/// What a change was made to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Subject {
    Artisan(Uuid),
    Product(Uuid),
    Agent(Uuid),
    Craft(Uuid),
}

impl Subject {
    /// Its kind (`artisan`, `product`, `agent`, `craft`) and id.
    pub fn parts(self) -> (&'static str, Uuid) {
        match self {
            Subject::Artisan(id) => ("artisan", id),
            Subject::Product(id) => ("product", id),
            Subject::Agent(id) => ("agent", id),
            Subject::Craft(id) => ("craft", id),
        }
    }

    fn from_parts(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "artisan" => Some(Subject::Artisan(id)),
            "product" => Some(Subject::Product(id)),
            "agent" => Some(Subject::Agent(id)),
            "craft" => Some(Subject::Craft(id)),
            _ => None,
        }
    }
}

/// One change, as recorded and as read back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The artisan the change concerns: the one acted for.
    pub artisan: Option<ArtisanId>,
    pub subject: Subject,
    pub action: String,
    pub via: Via,
    /// `{field: {from, to}}`; a creation has only `to`.
    pub changes: serde_json::Value,
}

impl AuditEntry {
    pub fn new(
        actor: Actor,
        artisan: Option<ArtisanId>,
        subject: Subject,
        action: &str,
        via: Via,
        changes: serde_json::Value,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            at: Utc::now(),
            actor,
            artisan,
            subject,
            action: action.to_owned(),
            via,
            changes,
        }
    }
}

/// Records an entry. Call it inside the transaction that makes the change.
pub async fn record(conn: &impl ConnectionTrait, entry: &AuditEntry) -> Result<(), DbErr> {
    let (kind, subject_id) = entry.subject.parts();
    audit_events::Entity::insert(audit_events::ActiveModel {
        id: Set(entry.id),
        at: Set(entry.at),
        actor_id: Set(entry.actor.account.map(AccountId::into_uuid)),
        actor_role: Set(entry.actor.role.clone()),
        artisan_id: Set(entry.artisan.map(ArtisanId::into_uuid)),
        subject_kind: Set(kind.to_owned()),
        subject_id: Set(subject_id),
        action: Set(entry.action.clone()),
        via: Set(entry.via.as_str().to_owned()),
        changes: Set(entry.changes.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Which entries to read, newest first.
#[derive(Clone, Copy, Debug)]
pub enum Filter {
    Artisan(ArtisanId),
    Subject(Subject),
}

/// A page of entries, newest first, before the entry `before` if given.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: Filter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AuditEntry>, AuditError> {
    let mut query = audit_events::Entity::find();
    query = match filter {
        Filter::Artisan(id) => query.filter(audit_events::Column::ArtisanId.eq(id.into_uuid())),
        Filter::Subject(subject) => {
            let (kind, id) = subject.parts();
            query
                .filter(audit_events::Column::SubjectKind.eq(kind))
                .filter(audit_events::Column::SubjectId.eq(id))
        }
    };
    if let Some(before) = before {
        query = query.filter(audit_events::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter().map(entry).collect()
}

fn entry(row: audit_events::Model) -> Result<AuditEntry, AuditError> {
    let subject = Subject::from_parts(&row.subject_kind, row.subject_id)
        .ok_or_else(|| AuditError::Corrupt(format!("subject kind {}", row.subject_kind)))?;
    let via =
        Via::parse(&row.via).ok_or_else(|| AuditError::Corrupt(format!("via {}", row.via)))?;
    Ok(AuditEntry {
        id: row.id,
        at: row.at,
        actor: Actor {
            account: row.actor_id.map(AccountId::from_uuid),
            role: row.actor_role,
        },
        artisan: row.artisan_id.map(ArtisanId::from_uuid),
        subject,
        action: row.action,
        via,
        changes: row.changes,
    })
}

#[cfg(test)]
mod tests;
