//! The private columns of artisans, and the agents table (read only here).

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait, DbErr,
    entities::{agents, artisans, products},
    sea_orm::{
        ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    },
};
use souk_kernel::{AccountId, ArtisanId, ProductId};
use uuid::Uuid;

use super::{from_json, to_json};
use crate::{
    CatalogError,
    agency::model::{ArtisanRecord, Consent, LabelDisclosure, Payout},
    model::{AgentGrants, Craft},
};

/// The private columns of a new artisan onboarded in the field.
pub(crate) struct Private<'a> {
    pub agent: Option<AccountId>,
    pub onboarded_by: AccountId,
    pub phone: &'a str,
    pub payout: Option<&'a Payout>,
    pub consent: &'a Consent,
}

pub(crate) async fn set_private(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    private: Private<'_>,
) -> Result<(), DbErr> {
    artisans::Entity::update_many()
        .set(artisans::ActiveModel {
            agent_id: Set(private.agent.map(AccountId::into_uuid)),
            onboarded_by: Set(Some(private.onboarded_by.into_uuid())),
            phone: Set(Some(private.phone.to_owned())),
            payout: Set(private.payout.map(to_json)),
            consent: Set(Some(to_json(private.consent))),
            ..Default::default()
        })
        .filter(artisans::Column::Id.eq(artisan.into_uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The whole record of an artisan, or `None`.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    id: ArtisanId,
    crafts: &[Craft],
) -> Result<Option<ArtisanRecord>, CatalogError> {
    let Some(row) = artisans::Entity::find_by_id(id.into_uuid())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(artisan) = super::artisans::get(conn, id, crafts).await? else {
        return Ok(None);
    };
    Ok(Some(ArtisanRecord {
        access: super::artisans::access(&row)?,
        phone: row.phone.clone(),
        payout: row
            .payout
            .as_ref()
            .map(|p| from_json::<Payout>("artisans.payout", p))
            .transpose()?,
        consent: row
            .consent
            .as_ref()
            .map(|c| from_json::<Consent>("artisans.consent", c))
            .transpose()?,
        onboarded_by: row.onboarded_by.map(AccountId::from_uuid),
        claim_pending: row.claim_code_hash.is_some(),
        claim_expires_at: row.claim_code_expires_at,
        artisan,
    }))
}

/// Ids of the artisans an agent represents, oldest first.
pub(crate) async fn of_agent(
    conn: &impl ConnectionTrait,
    agent: AccountId,
    after: Option<Uuid>,
    limit: Option<u64>,
) -> Result<Vec<ArtisanId>, DbErr> {
    let mut query = artisans::Entity::find()
        .select_only()
        .column(artisans::Column::Id)
        .filter(artisans::Column::AgentId.eq(agent.into_uuid()));
    if let Some(after) = after {
        query = query.filter(artisans::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(artisans::Column::Id)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .map(ArtisanId::from_uuid)
        .collect())
}

/// Ids of the products of some artisans, newest first (older than `before`, if given).
pub(crate) async fn products_of(
    conn: &impl ConnectionTrait,
    artisans: &[ArtisanId],
    before: Option<Uuid>,
    limit: Option<u64>,
) -> Result<Vec<ProductId>, DbErr> {
    let mut query = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .filter(products::Column::ArtisanId.is_in(artisans.iter().map(|a| a.into_uuid())));
    if let Some(before) = before {
        query = query.filter(products::Column::Id.lt(before));
    }
    Ok(query
        .order_by_desc(products::Column::Id)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?
        .into_iter()
        .map(ProductId::from_uuid)
        .collect())
}

pub(crate) async fn agent_exists(
    conn: &impl ConnectionTrait,
    agent: AccountId,
) -> Result<bool, DbErr> {
    Ok(agents::Entity::find_by_id(agent.into_uuid())
        .one(conn)
        .await?
        .is_some())
}

pub(crate) async fn set_agent(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    agent: Option<AccountId>,
) -> Result<(), DbErr> {
    update(
        conn,
        artisan,
        artisans::ActiveModel {
            agent_id: Set(agent.map(AccountId::into_uuid)),
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn set_payout(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    payout: &Payout,
) -> Result<(), DbErr> {
    update(
        conn,
        artisan,
        artisans::ActiveModel {
            payout: Set(Some(to_json(payout))),
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn set_grants(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    grants: AgentGrants,
) -> Result<(), DbErr> {
    update(
        conn,
        artisan,
        artisans::ActiveModel {
            agent_grants: Set(Some(to_json(&grants))),
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn set_label_disclosure(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    disclosure: LabelDisclosure,
) -> Result<(), DbErr> {
    update(
        conn,
        artisan,
        artisans::ActiveModel {
            label_disclosure: Set(disclosure.as_str().to_owned()),
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn set_claim_code(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    update(
        conn,
        artisan,
        artisans::ActiveModel {
            claim_code_hash: Set(Some(hash.to_owned())),
            claim_code_expires_at: Set(Some(expires_at)),
            ..Default::default()
        },
    )
    .await
}

/// The artisan a claim code is outstanding for.
pub(crate) async fn by_claim_code(
    conn: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<artisans::Model>, DbErr> {
    artisans::Entity::find()
        .filter(artisans::Column::ClaimCodeHash.eq(hash))
        .one(conn)
        .await
}

/// Gives the artisan their account and spends the code, if the code is still outstanding,
/// unexpired and the artisan has no account yet. False if any of that no longer holds (a
/// concurrent claim won).
pub(crate) async fn claim(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    hash: &str,
    account: AccountId,
    grants: AgentGrants,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = artisans::Entity::update_many()
        .set(artisans::ActiveModel {
            account_id: Set(Some(account.into_uuid())),
            agent_grants: Set(Some(to_json(&grants))),
            claim_code_hash: Set(None),
            claim_code_expires_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(artisans::Column::Id.eq(artisan.into_uuid()))
        .filter(artisans::Column::ClaimCodeHash.eq(hash))
        .filter(artisans::Column::ClaimCodeExpiresAt.gt(now))
        .filter(artisans::Column::AccountId.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn update(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    mut model: artisans::ActiveModel,
) -> Result<(), DbErr> {
    model.id = NotSet;
    model.updated_at = Set(Utc::now());
    artisans::Entity::update_many()
        .set(model)
        .filter(artisans::Column::Id.eq(artisan.into_uuid()))
        .exec(conn)
        .await?;
    Ok(())
}
