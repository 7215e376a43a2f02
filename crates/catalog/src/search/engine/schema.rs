//! The index's fields: what a product's entry is searched by, filtered and sorted on, and the
//! listing entry it shows (stored whole, so a page is filled without asking the database).

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::tokenizer;

/// Bumped whenever the schema, the normalizer or what an entry holds changes: an index written
/// with another version is rebuilt from the database at start.
pub(crate) const VERSION: u32 = 2;

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
    /// The product's words, each repeated as many times as it weighs (see
    /// [`super::weighted_term`]).
    pub words: Field,
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
    // Written pre-tokenized (the tokenizer is named for the field's sake); the frequency is the
    // weight, and positions are not needed.
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer::NAME)
        .set_index_option(IndexRecordOption::WithFreqs);
    let words = builder.add_text_field(
        "words",
        TextOptions::default().set_indexing_options(indexing),
    );
    let fields = Fields {
        id,
        id_hi,
        id_lo,
        craft_id,
        artisan_id,
        price,
        certified_until,
        summary,
        words,
    };
    (builder.build(), fields)
}
