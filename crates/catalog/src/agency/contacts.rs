//! How to reach an artisan about their sales and payouts: their own account, or the agent who
//! represents them, and a phone for short messages. The notification relay reads it here, for a
//! whole batch of events at once.

use std::collections::HashMap;

use souk_db::{
    ConnectionTrait,
    entities::artisans,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use souk_kernel::{AccountId, ArtisanId, Lang, LocalizedText};

use crate::CatalogError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtisanContact {
    pub id: ArtisanId,
    pub name: LocalizedText,
    /// The language their profile is written in first.
    pub default_lang: Lang,
    /// Their own account, once they have one (claimed, or signed up themselves).
    pub account: Option<AccountId>,
    /// The agent who represents them, if any.
    pub agent: Option<AccountId>,
    /// Their own phone, in international form.
    pub phone: Option<String>,
}

/// These artisans (those that exist).
pub async fn contacts(
    conn: &impl ConnectionTrait,
    ids: &[ArtisanId],
) -> Result<HashMap<ArtisanId, ArtisanContact>, CatalogError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = artisans::Entity::find()
        .filter(artisans::Column::Id.is_in(ids.iter().map(|id| id.into_uuid())))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = ArtisanId::from_uuid(row.id);
            let contact = ArtisanContact {
                id,
                name: serde_json::from_value(row.name).unwrap_or_default(),
                default_lang: row.default_lang.parse().unwrap_or(Lang::Fr),
                account: row.account_id.map(AccountId::from_uuid),
                agent: row.agent_id.map(AccountId::from_uuid),
                phone: row.phone,
            };
            (id, contact)
        })
        .collect())
}
