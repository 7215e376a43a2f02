//! The index's fields: what a product's entry is searched by, filtered and sorted on, and the
//! listing entry it shows (stored whole, so a page is filled without asking the database).

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::tokenizer;
use crate::search::document::WEIGHTED_TEXT;

/// Bumped whenever the schema, the normalizer or what an entry holds changes: an index written
/// with another version is rebuilt from the database at start.
pub(crate) const VERSION: u32 = 1;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    /// The product id (hyphenated), to replace or remove an entry.
    pub id: Field,
    /// The id's two halves as fast fields, for ordering (UUIDv7: newest first) and keyset paging.
    pub id_hi: Field,
    pub id_lo: Field,
    pub craft_id: Field,
    pub artisan_id: Field,
    pub price: Field,
    /// Microseconds since the epoch; `i64::MIN` when never certified.
    pub certified_until: Field,
    /// The listing entry (JSON).
    pub summary: Field,
    /// The searchable text, one field per weight class, in [`WEIGHTED_TEXT`] order.
    pub text: [Field; WEIGHTED_TEXT.len()],
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let id_hi = builder.add_u64_field("id_hi", FAST);
    let id_lo = builder.add_u64_field("id_lo", FAST);
    let craft_id = builder.add_text_field("craft_id", STRING);
    let artisan_id = builder.add_text_field("artisan_id", STRING);
    let price = builder.add_i64_field("price", FAST);
    let certified_until = builder.add_i64_field("certified_until", FAST);
    let summary = builder.add_bytes_field("summary", STORED);
    // Which words a product has is all a search needs: no frequencies, no positions.
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer::NAME)
        .set_index_option(IndexRecordOption::Basic);
    let options = TextOptions::default().set_indexing_options(indexing);
    let text =
        WEIGHTED_TEXT.map(|(class, _)| builder.add_text_field(class.name(), options.clone()));
    let fields = Fields {
        id,
        id_hi,
        id_lo,
        craft_id,
        artisan_id,
        price,
        certified_until,
        summary,
        text,
    };
    (builder.build(), fields)
}
