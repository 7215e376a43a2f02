//! Offline batch sync. An agent's phone queues operations while it has no connection and sends
//! them in one batch when it has one. Each operation carries an id the phone made; the server
//! applies each exactly once, however often the batch is retried or was cut off half way:
//!
//! * the effect of an operation and the record of its id commit in the same transaction, so
//!   there is never one without the other;
//! * a batch holds a lock on its agent's record until it commits, so two copies of a batch sent
//!   at once are applied one after the other, and the second finds every id already applied;
//! * the id's primary key is the last guard: a duplicate insert fails the batch's transaction,
//!   and nothing of it is written.
//!
//! A refused operation leaves no trace while the others in the batch go on: updates refuse before
//! they write, and the other operations run in a savepoint of their own. A database error ends the
//! whole batch (nothing of it is written; the phone sends it again). Refused and conflicting operations are not recorded: nothing was
//! written, so sending them again is harmless (and may succeed once the cause is fixed).

use std::collections::HashMap;

use bytes::Bytes;
use serde::Serialize;
use souk_auth::{Principal, Role};
use souk_catalog::{
    CatalogError, ProductInput, ProductPatch, Stale, Via, agency::model::OnboardInput,
};
use souk_db::{
    ConnectionTrait, DatabaseTransaction, begin_write,
    entities::{agents, sync_operations},
    is_unique_violation,
    sea_orm::{
        ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
    },
};
use souk_kernel::{ArtisanId, ProductId};
use uuid::Uuid;

use crate::{Agents, AgentsError};

/// Bounds of one batch.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    pub max_operations: usize,
    /// The request body's bound, enforced by the gateway before anything is parsed.
    pub max_bytes: usize,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            max_operations: 1_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// One queued operation.
#[derive(Debug)]
pub struct Operation {
    /// Made by the phone: a UUID, unique per operation.
    pub id: Uuid,
    /// SHA-256 of the operation as sent, to tell a retry from a reused id.
    pub fingerprint: String,
    pub kind: OperationKind,
}

#[derive(Debug)]
pub enum OperationKind {
    /// Onboard an artisan under the id the phone gave them (so later operations can name them).
    OnboardArtisan {
        artisan: ArtisanId,
        input: OnboardInput,
    },
    /// List a product under the id the phone gave it.
    CreateProduct {
        product: ProductId,
        input: ProductInput,
    },
    /// Change a product; `patch.expected_version` is the version the change was based on.
    UpdateProduct {
        product: ProductId,
        patch: ProductPatch,
    },
    /// Add a photo to a product; the operation's id becomes the photo's id.
    AttachPhoto { product: ProductId, bytes: Bytes },
    /// An operation the gateway could not read; answered as refused, never applied.
    Unreadable(AgentsError),
}

impl OperationKind {
    pub fn name(&self) -> &'static str {
        match self {
            OperationKind::OnboardArtisan { .. } => "onboard_artisan",
            OperationKind::CreateProduct { .. } => "create_product",
            OperationKind::UpdateProduct { .. } => "update_product",
            OperationKind::AttachPhoto { .. } => "attach_photo",
            OperationKind::Unreadable(_) => "unreadable",
        }
    }
}

/// What happened to one operation.
#[derive(Debug)]
pub enum Outcome {
    Applied(serde_json::Value),
    /// Applied by an earlier batch (or earlier in this one): the answer it gave then.
    AlreadyApplied(serde_json::Value),
    /// The record changed since the version the update was based on; nothing was written.
    Conflict {
        expected: i32,
        actual: i32,
    },
    Rejected(AgentsError),
}

#[derive(Serialize)]
struct AppliedArtisan {
    artisan_id: ArtisanId,
}

#[derive(Serialize)]
struct AppliedProduct {
    product_id: ProductId,
    version: i32,
}

#[derive(Serialize)]
struct AppliedPhoto {
    product_id: ProductId,
    photo_id: Uuid,
    url: String,
}

impl Agents {
    /// Applies a batch in order and answers per operation, in the same order.
    pub async fn sync(
        &self,
        principal: &Principal,
        operations: Vec<Operation>,
    ) -> Result<Vec<Outcome>, AgentsError> {
        if principal.role != Role::Agent {
            return Err(AgentsError::Forbidden("only agents sync"));
        }
        if operations.len() > self.settings.max_operations {
            return Err(AgentsError::BatchTooLarge {
                count: operations.len(),
                max: self.settings.max_operations,
            });
        }
        let tx = begin_write(&self.db).await?;
        lock_agent(&tx, principal).await?;
        let mut applied = already_applied(&tx, &operations).await?;
        let mut stale = Stale::default();
        // Records of applied operations, written together before the commit: they commit with
        // the effects or not at all, and an operation whose savepoint rolled back has none.
        let mut records = Vec::new();
        let mut outcomes = Vec::with_capacity(operations.len());
        for op in operations {
            if let Some(done) = applied.get(&op.id) {
                outcomes.push(
                    if done.agent == principal.account_id.into_uuid()
                        && done.fingerprint == op.fingerprint
                    {
                        Outcome::AlreadyApplied(done.result.clone())
                    } else {
                        Outcome::Rejected(AgentsError::OperationIdReused)
                    },
                );
                continue;
            }
            let kind = op.kind.name();
            // An update refuses (rights, validation, stale version) before it writes anything,
            // and any database error ends the whole batch, so it needs no savepoint. The other
            // operations can be refused after a first write (a duplicate id, a photo that lost
            // a race), so they run in one.
            let needs_savepoint = !matches!(op.kind, OperationKind::UpdateProduct { .. });
            let attempt = if needs_savepoint {
                let savepoint = tx.begin().await?;
                let attempt = self.apply(&savepoint, principal, op.id, op.kind).await;
                if attempt.is_ok() {
                    savepoint.commit().await?;
                } else {
                    savepoint.rollback().await?;
                }
                attempt
            } else {
                self.apply(&tx, principal, op.id, op.kind).await
            };
            match attempt {
                Ok((result, op_stale)) => {
                    records.push(record(principal, op.id, kind, &op.fingerprint, &result));
                    stale.merge(op_stale);
                    applied.insert(
                        op.id,
                        Done {
                            agent: principal.account_id.into_uuid(),
                            fingerprint: op.fingerprint,
                            result: result.clone(),
                        },
                    );
                    outcomes.push(Outcome::Applied(result));
                }
                Err(error) => outcomes.push(match error {
                    AgentsError::Catalog(CatalogError::VersionConflict { expected, actual }) => {
                        Outcome::Conflict { expected, actual }
                    }
                    // Its savepoint rolled back: the batch goes on.
                    AgentsError::Catalog(CatalogError::Db(e))
                        if needs_savepoint && is_unique_violation(&e) =>
                    {
                        Outcome::Rejected(AgentsError::invalid(
                            "id",
                            "a record with this id already exists",
                        ))
                    }
                    AgentsError::Db(e) | AgentsError::Catalog(CatalogError::Db(e)) => {
                        return Err(AgentsError::Db(e));
                    }
                    other => Outcome::Rejected(other),
                }),
            }
        }
        for chunk in records.chunks(500) {
            sync_operations::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&tx)
                .await?;
        }
        tx.commit().await?;
        self.catalog.forget(stale).await;
        Ok(outcomes)
    }

    async fn apply(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        id: Uuid,
        kind: OperationKind,
    ) -> Result<(serde_json::Value, Stale), AgentsError> {
        let catalog = &self.catalog;
        match kind {
            OperationKind::OnboardArtisan { artisan, input } => {
                let (record, stale) = catalog
                    .onboard_artisan_in(tx, principal, Via::Sync, artisan, input)
                    .await?;
                Ok((
                    to_value(&AppliedArtisan {
                        artisan_id: record.artisan.id,
                    }),
                    stale,
                ))
            }
            OperationKind::CreateProduct { product, input } => {
                let (product, stale) = catalog
                    .create_product_in(tx, principal, Via::Sync, product, input)
                    .await?;
                let applied = AppliedProduct {
                    product_id: product.id,
                    version: product.version,
                };
                Ok((to_value(&applied), stale))
            }
            OperationKind::UpdateProduct { product, patch } => {
                if patch.expected_version.is_none() {
                    return Err(AgentsError::invalid(
                        "base_version",
                        "an update made offline must say which version it was based on",
                    ));
                }
                let (product, stale) = catalog
                    .update_product_in(tx, principal, Via::Sync, product, patch)
                    .await?;
                let applied = AppliedProduct {
                    product_id: product.id,
                    version: product.version,
                };
                Ok((to_value(&applied), stale))
            }
            OperationKind::AttachPhoto { product, bytes } => {
                let stored = catalog.store_photo(id, bytes).await?;
                match catalog
                    .record_photo_in(tx, principal, Via::Sync, product, &stored)
                    .await
                {
                    Ok((photo, stale)) => {
                        let url = photo
                            .variants
                            .first()
                            .map(|v| v.url.clone())
                            .unwrap_or_default();
                        let applied = AppliedPhoto {
                            product_id: product,
                            photo_id: photo.id,
                            url,
                        };
                        Ok((to_value(&applied), stale))
                    }
                    Err(e) => {
                        catalog.discard(&stored).await;
                        Err(e.into())
                    }
                }
            }
            OperationKind::Unreadable(error) => Err(error),
        }
    }
}

struct Done {
    agent: Uuid,
    fingerprint: String,
    result: serde_json::Value,
}

fn to_value<T: Serialize>(value: &T) -> serde_json::Value {
    // Plain structs of ids and numbers always serialize.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Serializes an agent's batches. SQLite needs nothing: its write transactions already run one
/// at a time. On PostgreSQL the agent's row is locked until the batch commits.
async fn lock_agent(tx: &DatabaseTransaction, principal: &Principal) -> Result<(), AgentsError> {
    if tx.get_database_backend() == DbBackend::Postgres {
        let row = agents::Entity::find_by_id(principal.account_id.into_uuid())
            .lock_exclusive()
            .one(tx)
            .await?;
        if row.is_none() {
            return Err(AgentsError::Forbidden("this account has no agent record"));
        }
    } else if agents::Entity::find_by_id(principal.account_id.into_uuid())
        .one(tx)
        .await?
        .is_none()
    {
        return Err(AgentsError::Forbidden("this account has no agent record"));
    }
    Ok(())
}

/// The operations of this batch that were applied before, by id.
async fn already_applied(
    tx: &DatabaseTransaction,
    operations: &[Operation],
) -> Result<HashMap<Uuid, Done>, AgentsError> {
    let mut done = HashMap::new();
    let ids: Vec<Uuid> = operations.iter().map(|op| op.id).collect();
    for chunk in ids.chunks(500) {
        let rows = sync_operations::Entity::find()
            .filter(sync_operations::Column::Id.is_in(chunk.iter().copied()))
            .all(tx)
            .await?;
        for row in rows {
            done.insert(
                row.id,
                Done {
                    agent: row.agent_id,
                    fingerprint: row.request_hash,
                    result: row.result,
                },
            );
        }
    }
    Ok(done)
}

fn record(
    principal: &Principal,
    id: Uuid,
    kind: &str,
    fingerprint: &str,
    result: &serde_json::Value,
) -> sync_operations::ActiveModel {
    sync_operations::ActiveModel {
        id: Set(id),
        agent_id: Set(principal.account_id.into_uuid()),
        kind: Set(kind.to_owned()),
        request_hash: Set(fingerprint.to_owned()),
        result: Set(result.clone()),
        applied_at: Set(chrono::Utc::now()),
    }
}
