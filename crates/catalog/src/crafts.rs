//! Keeping the crafts taxonomy: the reference data loaded into an empty database, and the
//! operators' changes (add, rename, retire). A retired craft stays on what already has it; no new
//! product or artisan may take it.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::Utc;
use souk_audit::{AuditEntry, Subject, Via};
use souk_auth::{Principal, Role};
use souk_db::{DatabaseTransaction, begin_write};
use souk_kernel::{CraftId, Lang, LocalizedText};

use crate::{
    Catalog, CatalogError, cache_keys, input,
    model::Craft,
    reference::{self, ReferenceCraft},
    service::{Stale, actor},
    store,
};

/// A craft an operator adds.
#[derive(Clone, Debug, Default)]
pub struct NewCraft {
    pub slug: String,
    /// The slug of the broader craft, if any.
    pub parent: Option<String>,
    pub name: BTreeMap<Lang, String>,
}

impl Catalog {
    /// Adds the reference taxonomy's crafts that are not there yet (by slug); returns how many.
    /// Crafts already there are left as they are, renamed or retired.
    pub async fn load_reference(&self) -> Result<usize, CatalogError> {
        let existing = store::crafts::all(self.db()).await?;
        let mut ids: HashMap<String, CraftId> =
            existing.iter().map(|c| (c.slug.clone(), c.id)).collect();
        let mut position = existing.iter().map(|c| c.position).max().unwrap_or(-1);
        let tx = begin_write(self.db()).await?;
        let mut added = 0;
        for wanted in reference::CRAFTS {
            if ids.contains_key(wanted.slug) {
                continue;
            }
            position += 1;
            let craft = reference_craft(wanted, &ids, position);
            store::crafts::insert(&tx, &craft).await?;
            ids.insert(craft.slug.clone(), craft.id);
            added += 1;
        }
        tx.commit().await?;
        if added > 0 {
            self.cache_invalidate(&[cache_keys::CRAFTS]).await;
        }
        Ok(added)
    }

    /// Every craft, retired ones too. Admins only.
    pub async fn all_crafts(&self, principal: &Principal) -> Result<Arc<Vec<Craft>>, CatalogError> {
        admin_only(principal)?;
        self.crafts().await
    }

    /// Adds a craft at the end of the taxonomy. Admins only.
    pub async fn add_craft(
        &self,
        principal: &Principal,
        input: NewCraft,
    ) -> Result<Craft, CatalogError> {
        admin_only(principal)?;
        let slug = input::slug("slug", &input.slug)?;
        let name = input::text("name", input.name, input::NAME_MAX_CHARS)?;
        let tx = begin_write(self.db()).await?;
        let crafts = store::crafts::all(&tx).await?;
        if crafts.iter().any(|c| c.slug == slug) {
            return Err(CatalogError::CraftExists(slug));
        }
        let parent = match &input.parent {
            Some(raw) => Some(current(&crafts, &input::slug("parent", raw)?, "parent")?.id),
            None => None,
        };
        let craft = Craft {
            id: CraftId::new(),
            slug,
            parent,
            name,
            position: crafts.iter().map(|c| c.position).max().unwrap_or(-1) + 1,
            retired_at: None,
        };
        store::crafts::insert(&tx, &craft).await?;
        let created =
            serde_json::json!({"slug": craft.slug, "parent": input.parent, "name": craft.name});
        audit(
            &tx,
            principal,
            &craft,
            "craft.added",
            souk_audit::created(&created),
        )
        .await?;
        tx.commit().await?;
        self.cache_invalidate(&[cache_keys::CRAFTS]).await;
        Ok(craft)
    }

    /// Renames a craft in the languages given (the others keep their names) and reindexes its
    /// products, whose search terms include the craft's names. Admins only.
    pub async fn rename_craft(
        &self,
        principal: &Principal,
        slug: &str,
        name: BTreeMap<Lang, String>,
    ) -> Result<Craft, CatalogError> {
        admin_only(principal)?;
        let slug = input::slug("slug", slug)?;
        let names = input::text("name", name, input::NAME_MAX_CHARS)?;
        let tx = begin_write(self.db()).await?;
        let mut crafts = store::crafts::all(&tx).await?;
        let Some(craft) = crafts.iter_mut().find(|c| c.slug == slug) else {
            return Err(CatalogError::NotFound("craft"));
        };
        let before = craft.name.clone();
        craft.name.merge(names);
        let craft = craft.clone();
        store::crafts::rename(&tx, craft.id, &craft.name).await?;
        // The craft's names are in its products' search entries.
        let products = store::products::ids_in_craft(&tx, craft.id).await?;
        let ids: Vec<uuid::Uuid> = products.iter().map(|p| p.into_uuid()).collect();
        store::changes::record(&tx, &ids).await?;
        let changes = serde_json::json!({"name": {"from": before, "to": craft.name}});
        audit(&tx, principal, &craft, "craft.renamed", changes).await?;
        tx.commit().await?;
        self.cache_invalidate(&[cache_keys::CRAFTS]).await;
        self.forget(Stale::products(products)).await;
        Ok(craft)
    }

    /// Retires a craft: it leaves the public taxonomy and no new product or artisan may take
    /// it; what already has it keeps it. Retiring a retired craft changes nothing. Admins only.
    pub async fn retire_craft(
        &self,
        principal: &Principal,
        slug: &str,
    ) -> Result<Craft, CatalogError> {
        admin_only(principal)?;
        let slug = input::slug("slug", slug)?;
        let tx = begin_write(self.db()).await?;
        let crafts = store::crafts::all(&tx).await?;
        let Some(mut craft) = crafts.into_iter().find(|c| c.slug == slug) else {
            return Err(CatalogError::NotFound("craft"));
        };
        if craft.retired_at.is_some() {
            return Ok(craft);
        }
        let at = Utc::now();
        store::crafts::retire(&tx, craft.id, at).await?;
        craft.retired_at = Some(at);
        let changes = serde_json::json!({"retired_at": {"from": null, "to": at}});
        audit(&tx, principal, &craft, "craft.retired", changes).await?;
        tx.commit().await?;
        self.cache_invalidate(&[cache_keys::CRAFTS]).await;
        Ok(craft)
    }
}

/// The craft with this slug, if it may still be given to a product or an artisan.
pub(crate) fn current<'a>(
    crafts: &'a [Craft],
    slug: &str,
    field: &str,
) -> Result<&'a Craft, CatalogError> {
    match crafts.iter().find(|c| c.slug == slug) {
        Some(craft) if craft.retired_at.is_none() => Ok(craft),
        Some(_) => Err(CatalogError::invalid(field, "this craft is retired")),
        None => Err(CatalogError::invalid(field, "unknown craft")),
    }
}

fn admin_only(principal: &Principal) -> Result<(), CatalogError> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(CatalogError::Forbidden(
            "only an operator may change the crafts taxonomy",
        ))
    }
}

async fn audit(
    tx: &DatabaseTransaction,
    principal: &Principal,
    craft: &Craft,
    action: &str,
    changes: serde_json::Value,
) -> Result<(), CatalogError> {
    let entry = AuditEntry::new(
        actor(principal),
        None,
        Subject::Craft(craft.id.into_uuid()),
        action,
        Via::Api,
        changes,
    );
    souk_audit::record(tx, &entry).await?;
    Ok(())
}

fn reference_craft(
    wanted: &ReferenceCraft,
    ids: &HashMap<String, CraftId>,
    position: i32,
) -> Craft {
    let [ar, fr, en] = wanted.name;
    Craft {
        id: CraftId::new(),
        slug: wanted.slug.to_owned(),
        parent: wanted.parent.and_then(|p| ids.get(p).copied()),
        name: LocalizedText::from_pairs([(Lang::Ar, ar), (Lang::Fr, fr), (Lang::En, en)]),
        position,
        retired_at: None,
    }
}
