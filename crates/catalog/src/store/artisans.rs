//! Artisans' profiles.

use std::collections::HashMap;

use souk_db::{
    ConnectionTrait, DbErr,
    entities::{artisan_crafts, artisans},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::{AccountId, ArtisanId, CraftId};
use uuid::Uuid;

use super::{from_json, lang, to_json};
use crate::{
    CatalogError,
    model::{AgentGrants, Artisan, ArtisanAccess, ArtisanRef, Craft},
};

/// Who may act for the artisan of this row.
pub(crate) fn access(row: &artisans::Model) -> Result<ArtisanAccess, CatalogError> {
    let grants = match &row.agent_grants {
        Some(json) => from_json("artisans.agent_grants", json)?,
        None => AgentGrants::default(),
    };
    Ok(ArtisanAccess {
        artisan: ArtisanId::from_uuid(row.id),
        account: row.account_id.map(AccountId::from_uuid),
        agent: row.agent_id.map(AccountId::from_uuid),
        grants,
        consent_on_record: row.consent.is_some(),
    })
}

fn artisan_ref(row: &artisans::Model) -> Result<ArtisanRef, CatalogError> {
    Ok(ArtisanRef {
        id: ArtisanId::from_uuid(row.id),
        name: from_json("artisans.name", &row.name)?,
        default_lang: lang("artisans.default_lang", &row.default_lang)?,
        commune: row.commune.clone(),
    })
}

/// An artisan's full profile, with the slugs of their crafts.
pub(crate) async fn get(
    conn: &impl ConnectionTrait,
    id: ArtisanId,
    crafts: &[Craft],
) -> Result<Option<Artisan>, CatalogError> {
    let Some(row) = artisans::Entity::find_by_id(id.into_uuid())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let craft_ids: Vec<Uuid> = artisan_crafts::Entity::find()
        .filter(artisan_crafts::Column::ArtisanId.eq(row.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.craft_id)
        .collect();
    let crafts = crafts
        .iter()
        .filter(|c| craft_ids.contains(&c.id.into_uuid()))
        .map(|c| c.slug.clone())
        .collect();
    Ok(Some(Artisan {
        id: ArtisanId::from_uuid(row.id),
        account_id: row.account_id.map(AccountId::from_uuid),
        name: from_json("artisans.name", &row.name)?,
        bio: from_json("artisans.bio", &row.bio)?,
        default_lang: lang("artisans.default_lang", &row.default_lang)?,
        commune: row.commune,
        cooperative: row.cooperative,
        crafts,
        label_disclosure: crate::agency::model::LabelDisclosure::parse(&row.label_disclosure)
            .ok_or_else(|| {
                CatalogError::Corrupt(format!(
                    "artisans.label_disclosure: {}",
                    row.label_disclosure
                ))
            })?,
        created_at: row.created_at,
    }))
}

/// The row and reference of one artisan.
pub(crate) async fn row(
    conn: &impl ConnectionTrait,
    id: ArtisanId,
) -> Result<Option<(artisans::Model, ArtisanRef)>, CatalogError> {
    let Some(row) = artisans::Entity::find_by_id(id.into_uuid())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let reference = artisan_ref(&row)?;
    Ok(Some((row, reference)))
}

/// The artisan profile that belongs to an account.
pub(crate) async fn of_account(
    conn: &impl ConnectionTrait,
    account: AccountId,
) -> Result<Option<ArtisanId>, DbErr> {
    let row = artisans::Entity::find()
        .filter(artisans::Column::AccountId.eq(account.into_uuid()))
        .one(conn)
        .await?;
    Ok(row.map(|r| ArtisanId::from_uuid(r.id)))
}

/// References of several artisans, for a listing page.
pub(crate) async fn refs(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, ArtisanRef>, CatalogError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = artisans::Entity::find()
        .filter(artisans::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.id, artisan_ref(row)?)))
        .collect()
}

pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    artisan: &Artisan,
    crafts: &[CraftId],
) -> Result<(), DbErr> {
    let now = artisan.created_at;
    artisans::Entity::insert(artisans::ActiveModel {
        id: Set(artisan.id.into_uuid()),
        account_id: Set(artisan.account_id.map(AccountId::into_uuid)),
        name: Set(to_json(&artisan.name)),
        bio: Set(to_json(&artisan.bio)),
        default_lang: Set(artisan.default_lang.code().to_owned()),
        commune: Set(artisan.commune.clone()),
        cooperative: Set(artisan.cooperative.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        agent_id: Set(None),
        onboarded_by: Set(None),
        phone: Set(None),
        payout: Set(None),
        consent: Set(None),
        agent_grants: Set(None),
        claim_code_hash: Set(None),
        claim_code_expires_at: Set(None),
        label_disclosure: Set(crate::agency::model::LabelDisclosure::default()
            .as_str()
            .to_owned()),
    })
    .exec_without_returning(conn)
    .await?;
    if !crafts.is_empty() {
        let links = crafts.iter().map(|craft| artisan_crafts::ActiveModel {
            artisan_id: Set(artisan.id.into_uuid()),
            craft_id: Set(craft.into_uuid()),
        });
        artisan_crafts::Entity::insert_many(links)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
