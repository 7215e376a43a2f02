//! What the index holds for a product: its words weighted by where they appear, the values a
//! listing is filtered and sorted on, and the listing entry itself. Only active products have an entry: only what
//! the public can find is indexed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use souk_db::entities::products;
use souk_kernel::{LocalizedText, ProductId};
use uuid::Uuid;

use super::normalize::tokens;
use crate::{
    CatalogError,
    model::{ArtisanRef, Craft, ProductStatus, ProductSummary},
    store,
};

/// How much a word weighs by where it appears in a product. A product's weight for a word is the
/// highest of the places it appears in; a query word's score is that weight times the quality of
/// the match (exact, prefix, typo), summed over the query's words.
pub const WEIGHT_TITLE: i16 = 8;
pub const WEIGHT_CRAFT: i16 = 4;
pub const WEIGHT_MATERIAL: i16 = 4;
pub const WEIGHT_ARTISAN: i16 = 3;
pub const WEIGHT_PLACE: i16 = 2;
pub const WEIGHT_DESCRIPTION: i16 = 1;

/// The searchable text of a product, by place.
pub(crate) struct Text<'a> {
    pub title: &'a LocalizedText,
    pub description: &'a LocalizedText,
    pub materials: &'a [String],
    pub craft_name: &'a LocalizedText,
    pub artisan_name: &'a LocalizedText,
    pub commune: &'a str,
}

/// A product's words (normalized) and their weights.
pub(crate) fn weighted_words(text: &Text<'_>) -> BTreeMap<String, i16> {
    let mut weights = BTreeMap::new();
    let mut add = |text: &str, weight: i16| {
        for word in tokens(text) {
            let w = weights.entry(word).or_insert(weight);
            *w = (*w).max(weight);
        }
    };
    for (_, t) in text.title.iter() {
        add(t, WEIGHT_TITLE);
    }
    for (_, t) in text.craft_name.iter() {
        add(t, WEIGHT_CRAFT);
    }
    for material in text.materials {
        add(material, WEIGHT_MATERIAL);
    }
    for (_, t) in text.artisan_name.iter() {
        add(t, WEIGHT_ARTISAN);
    }
    add(text.commune, WEIGHT_PLACE);
    for (_, t) in text.description.iter() {
        add(t, WEIGHT_DESCRIPTION);
    }
    weights
}

/// A product's index entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub id: Uuid,
    pub craft_id: Uuid,
    pub artisan_id: Uuid,
    pub price_minor: i64,
    pub certified_until: Option<DateTime<Utc>>,
    /// The product's words and their weights.
    pub words: BTreeMap<String, i16>,
    pub summary: ProductSummary,
}

impl Entry {
    /// The entry of a product row, or `None` when the public cannot see it.
    pub(crate) fn of(
        row: &products::Model,
        artisan: &ArtisanRef,
        craft: &Craft,
    ) -> Result<Option<Entry>, CatalogError> {
        if ProductStatus::parse(&row.status) != Some(ProductStatus::Active) {
            return Ok(None);
        }
        let title: LocalizedText = store::from_json("products.title", &row.title)?;
        let description: LocalizedText =
            store::from_json("products.description", &row.description)?;
        let materials: Vec<String> = store::from_json("products.materials", &row.materials)?;
        let photos: Vec<String> = store::from_json("products.photos", &row.photos)?;
        let words = weighted_words(&Text {
            title: &title,
            description: &description,
            materials: &materials,
            craft_name: &craft.name,
            artisan_name: &artisan.name,
            commune: &artisan.commune,
        });
        let summary = ProductSummary {
            id: ProductId::from_uuid(row.id),
            artisan: artisan.clone(),
            craft: craft.slug.clone(),
            title,
            default_lang: store::lang("products.default_lang", &row.default_lang)?,
            price: store::products::price(row)?,
            stock: store::to_u32("products.stock", row.stock)?,
            lead_time_days: row.lead_time_days.and_then(|d| u16::try_from(d).ok()),
            photo: photos.into_iter().next(),
            certified_until: row.certified_until,
        };
        Ok(Some(Entry {
            id: row.id,
            craft_id: row.craft_id,
            artisan_id: row.artisan_id,
            price_minor: row.price_minor,
            certified_until: row.certified_until,
            words,
            summary,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use souk_kernel::Lang;

    #[test]
    fn a_word_weighs_what_its_best_place_weighs() {
        let title = LocalizedText::from_pairs([(Lang::Fr, "Bol émaillé")]);
        let description = LocalizedText::from_pairs([(Lang::Fr, "Un bol fait main à Fès")]);
        let craft = LocalizedText::from_pairs([(Lang::Fr, "Poterie")]);
        let artisan = LocalizedText::from_pairs([(Lang::Fr, "Hassan Bennani")]);
        let words = weighted_words(&Text {
            title: &title,
            description: &description,
            materials: &["argile".into()],
            craft_name: &craft,
            artisan_name: &artisan,
            commune: "Fès",
        });
        assert_eq!(words.get("bol"), Some(&WEIGHT_TITLE));
        assert_eq!(words.get("fes"), Some(&WEIGHT_PLACE));
        assert_eq!(words.get("main"), Some(&WEIGHT_DESCRIPTION));
        assert_eq!(words.get("argile"), Some(&WEIGHT_MATERIAL));
        assert_eq!(words.get("bennani"), Some(&WEIGHT_ARTISAN));
        assert_eq!(words.get("poterie"), Some(&WEIGHT_CRAFT));
    }
}
