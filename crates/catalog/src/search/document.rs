//! What the index holds for a product: its text by weight class, the values a listing is filtered
//! and sorted on, and the listing entry itself. Only active products have an entry: only what
//! the public can find is indexed.

use chrono::{DateTime, Utc};
use souk_db::entities::products;
use souk_kernel::{LocalizedText, ProductId};
use uuid::Uuid;

use crate::{
    CatalogError,
    model::{ArtisanRef, Craft, ProductStatus, ProductSummary},
    store,
};

/// Where a word appears in a product, which decides how much it weighs there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextClass {
    Title = 0,
    /// The craft's names and the materials.
    Craft = 1,
    /// The artisan's name.
    Maker = 2,
    /// The artisan's commune.
    Place = 3,
    Description = 4,
}

impl TextClass {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TextClass::Title => "title",
            TextClass::Craft => "craft",
            TextClass::Maker => "maker",
            TextClass::Place => "place",
            TextClass::Description => "description",
        }
    }
}

/// Each class and the weight of a word found there. A product's weight for a word is the highest
/// of the places it appears in; a query word's score is that weight times the quality of the
/// match (exact, prefix, typo), summed over the query's words.
pub(crate) const WEIGHTED_TEXT: [(TextClass, i16); 5] = [
    (TextClass::Title, 8),
    (TextClass::Craft, 4),
    (TextClass::Maker, 3),
    (TextClass::Place, 2),
    (TextClass::Description, 1),
];

/// A product's index entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub id: Uuid,
    pub craft_id: Uuid,
    pub artisan_id: Uuid,
    pub price_minor: i64,
    pub certified_until: Option<DateTime<Utc>>,
    /// The text of each class, in [`WEIGHTED_TEXT`] order.
    pub text: [String; WEIGHTED_TEXT.len()],
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
        let joined =
            |text: &LocalizedText| text.iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n");
        let craft_text = format!("{}\n{}", joined(&craft.name), materials.join("\n"));
        let text = [
            joined(&title),
            craft_text,
            joined(&artisan.name),
            artisan.commune.clone(),
            joined(&description),
        ];
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
            text,
            summary,
        }))
    }
}
