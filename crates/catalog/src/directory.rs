//! The public directory of artisans: by commune, craft and cooperative, and searched by name
//! with the catalog's own matching (Arabic and French folded, prefixes, one-letter typos).
//! Listed in the order they joined; a page is the next artisans after the cursor's.

use std::sync::Arc;

use serde_json::Value;
use souk_db::entities::{artisan_crafts, artisans};
use souk_db::sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query,
};
use souk_kernel::{ArtisanId, Page, PageRequest};
use uuid::Uuid;

use crate::{
    Artisan, Catalog, CatalogError,
    search::{normalize::tokens, query::quality},
};

/// Which artisans the directory shows.
#[derive(Clone, Debug, Default)]
pub struct DirectoryFilter {
    /// A commune, compared without case, accents or Arabic letter forms ("fes" finds "Fès";
    /// a commune written in Arabic is found in Arabic).
    pub commune: Option<String>,
    /// A craft's slug.
    pub craft: Option<String>,
    pub cooperative: Option<String>,
    /// Words of their name.
    pub q: Option<String>,
}

/// What the directory reads of an artisan to filter it.
type Row = (Uuid, Value, String, Option<String>);

impl Catalog {
    /// A page of the directory.
    pub async fn directory(
        &self,
        filter: &DirectoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Arc<Artisan>>, CatalogError> {
        let mut query = artisans::Entity::find()
            .select_only()
            .columns([
                artisans::Column::Id,
                artisans::Column::Name,
                artisans::Column::Commune,
                artisans::Column::Cooperative,
            ])
            .order_by_asc(artisans::Column::Id);
        if let Some(slug) = &filter.craft {
            let crafts = self.crafts().await?;
            let craft = crafts
                .iter()
                .find(|c| c.slug == *slug)
                .ok_or_else(|| CatalogError::invalid("craft", "is not a craft's slug"))?;
            let practising = Query::select()
                .column(artisan_crafts::Column::ArtisanId)
                .from(artisan_crafts::Entity)
                .and_where(artisan_crafts::Column::CraftId.eq(craft.id.into_uuid()))
                .to_owned();
            query = query.filter(artisans::Column::Id.in_subquery(practising));
        }
        if let Some(after) = page.after {
            query = query.filter(artisans::Column::Id.gt(after));
        }
        let wanted = Wanted::of(filter);
        let limit = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
        let ids: Vec<Uuid> = query
            .into_tuple::<Row>()
            .all(self.db())
            .await?
            .into_iter()
            .filter(|row| wanted.takes(row))
            .map(|(id, ..)| id)
            .take(limit)
            .collect();
        let ids = Page::of(ids, page.limit, |id| *id);
        let mut items = Vec::with_capacity(ids.items.len());
        for id in &ids.items {
            items.push(self.artisan(ArtisanId::from_uuid(*id)).await?);
        }
        Ok(Page {
            items,
            next_cursor: ids.next_cursor,
        })
    }
}

/// The filters that compare words, folded once.
struct Wanted {
    commune: Option<Vec<String>>,
    cooperative: Option<Vec<String>>,
    name: Vec<String>,
}

impl Wanted {
    fn of(filter: &DirectoryFilter) -> Wanted {
        Wanted {
            commune: filter.commune.as_deref().map(tokens),
            cooperative: filter.cooperative.as_deref().map(tokens),
            name: filter.q.as_deref().map(tokens).unwrap_or_default(),
        }
    }

    fn takes(&self, (_, name, commune, cooperative): &Row) -> bool {
        let same = |wanted: &Option<Vec<String>>, have: Option<&str>| match wanted {
            None => true,
            Some(words) => have.map(tokens).as_ref() == Some(words),
        };
        if !same(&self.commune, Some(commune)) || !same(&self.cooperative, cooperative.as_deref()) {
            return false;
        }
        if self.name.is_empty() {
            return true;
        }
        // Every word asked for matches a word of the name in some language.
        let names: Vec<String> = match name {
            Value::Object(texts) => texts
                .values()
                .filter_map(Value::as_str)
                .flat_map(tokens)
                .collect(),
            _ => Vec::new(),
        };
        self.name
            .iter()
            .all(|word| names.iter().any(|term| quality(word, term).is_some()))
    }
}
