//! What goes into the search index for a product: its terms, weighted by where they appear, and
//! the lookup keys of each term (the term, its prefixes, and its one-letter deletions).

use std::collections::{BTreeMap, HashSet};

use souk_db::{
    ConnectionTrait, DbErr,
    entities::{product_terms, search_keys},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::{LocalizedText, ProductId};

use super::normalize::tokens;

/// How much a term weighs by where it appears. A product's weight for a term is the highest of
/// the places it appears in.
pub const WEIGHT_TITLE: i16 = 8;
pub const WEIGHT_CRAFT: i16 = 4;
pub const WEIGHT_MATERIAL: i16 = 4;
pub const WEIGHT_ARTISAN: i16 = 3;
pub const WEIGHT_PLACE: i16 = 2;
pub const WEIGHT_DESCRIPTION: i16 = 1;

/// Kinds of lookup key, as bits.
pub const KIND_EXACT: i16 = 1;
pub const KIND_PREFIX: i16 = 2;
pub const KIND_DELETION: i16 = 4;

/// Shortest prefix that finds longer words.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Shortest word whose typos are forgiven; shorter words would match too much.
pub const MIN_TYPO_CHARS: usize = 4;

/// Rows per INSERT: well under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 4_000;

/// The searchable text of a product.
pub struct Document<'a> {
    pub title: &'a LocalizedText,
    pub description: &'a LocalizedText,
    pub materials: &'a [String],
    pub craft_name: &'a LocalizedText,
    pub artisan_name: &'a LocalizedText,
    pub commune: &'a str,
}

/// A product's terms and their weights.
pub fn terms(doc: &Document<'_>) -> BTreeMap<String, i16> {
    let mut weights = BTreeMap::new();
    let mut add = |text: &str, weight: i16| {
        for term in tokens(text) {
            let w = weights.entry(term).or_insert(weight);
            *w = (*w).max(weight);
        }
    };
    for (_, text) in doc.title.iter() {
        add(text, WEIGHT_TITLE);
    }
    for (_, text) in doc.craft_name.iter() {
        add(text, WEIGHT_CRAFT);
    }
    for material in doc.materials {
        add(material, WEIGHT_MATERIAL);
    }
    for (_, text) in doc.artisan_name.iter() {
        add(text, WEIGHT_ARTISAN);
    }
    add(doc.commune, WEIGHT_PLACE);
    for (_, text) in doc.description.iter() {
        add(text, WEIGHT_DESCRIPTION);
    }
    weights
}

/// The word with the character at `skip` left out.
pub(crate) fn without(chars: &[char], skip: usize) -> String {
    chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, c)| *c)
        .collect()
}

/// The lookup keys of a term and what each is to it.
pub fn keys(term: &str) -> BTreeMap<String, i16> {
    let chars: Vec<char> = term.chars().collect();
    let mut keys = BTreeMap::new();
    keys.insert(term.to_owned(), KIND_EXACT);
    for len in MIN_PREFIX_CHARS..chars.len() {
        *keys.entry(chars[..len].iter().collect()).or_insert(0) |= KIND_PREFIX;
    }
    if chars.len() >= MIN_TYPO_CHARS {
        for skip in 0..chars.len() {
            *keys.entry(without(&chars, skip)).or_insert(0) |= KIND_DELETION;
        }
    }
    keys
}

/// Replaces a product's index rows (call it in the transaction that writes the product). An
/// inactive product gets no terms: only what the public can find is indexed.
pub async fn replace(
    conn: &impl ConnectionTrait,
    product: ProductId,
    terms: &BTreeMap<String, i16>,
) -> Result<(), DbErr> {
    product_terms::Entity::delete_many()
        .filter(product_terms::Column::ProductId.eq(product.into_uuid()))
        .exec(conn)
        .await?;
    let mut known = HashSet::new();
    write_many(conn, &[(product, terms.clone())], &mut known).await
}

/// Adds index rows for products that have none yet (new products, or a bulk import).
/// `known` holds terms whose keys are already stored, to skip them; it is updated.
pub async fn write_many(
    conn: &impl ConnectionTrait,
    products: &[(ProductId, BTreeMap<String, i16>)],
    known: &mut HashSet<String>,
) -> Result<(), DbErr> {
    let rows: Vec<product_terms::ActiveModel> = products
        .iter()
        .flat_map(|(id, terms)| {
            terms
                .iter()
                .map(move |(term, weight)| product_terms::ActiveModel {
                    term: Set(term.clone()),
                    product_id: Set(id.into_uuid()),
                    weight: Set(*weight),
                })
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        product_terms::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }

    let mut key_rows = Vec::new();
    for (_, terms) in products {
        for term in terms.keys() {
            if known.insert(term.clone()) {
                key_rows.extend(keys(term).into_iter().map(|(key, kind)| {
                    search_keys::ActiveModel {
                        key: Set(key),
                        term: Set(term.clone()),
                        kind: Set(kind),
                    }
                }));
            }
        }
    }
    for chunk in key_rows.chunks(ROWS_PER_INSERT) {
        // The vocabulary is shared: another product may have brought the same term first.
        search_keys::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use souk_kernel::Lang;

    #[test]
    fn a_title_word_outweighs_the_same_word_in_the_description() {
        let title = LocalizedText::from_pairs([(Lang::Fr, "Bol émaillé")]);
        let description = LocalizedText::from_pairs([(Lang::Fr, "Un bol fait main à Fès")]);
        let craft = LocalizedText::from_pairs([(Lang::Fr, "Poterie")]);
        let artisan = LocalizedText::from_pairs([(Lang::Fr, "Hassan Bennani")]);
        let doc = Document {
            title: &title,
            description: &description,
            materials: &["argile".into()],
            craft_name: &craft,
            artisan_name: &artisan,
            commune: "Fès",
        };
        let terms = terms(&doc);
        assert_eq!(terms.get("bol"), Some(&WEIGHT_TITLE));
        assert_eq!(terms.get("fes"), Some(&WEIGHT_PLACE));
        assert_eq!(terms.get("main"), Some(&WEIGHT_DESCRIPTION));
        assert_eq!(terms.get("argile"), Some(&WEIGHT_MATERIAL));
        assert_eq!(terms.get("bennani"), Some(&WEIGHT_ARTISAN));
        assert_eq!(terms.get("poterie"), Some(&WEIGHT_CRAFT));
    }

    #[test]
    fn keys_are_the_term_its_prefixes_and_its_deletions() {
        let keys = keys("bols");
        assert_eq!(keys.get("bols"), Some(&KIND_EXACT));
        assert_eq!(keys.get("bo"), Some(&KIND_PREFIX));
        // "bol" is both a prefix and a deletion of "bols".
        assert_eq!(keys.get("bol"), Some(&(KIND_PREFIX | KIND_DELETION)));
        assert_eq!(keys.get("ols"), Some(&KIND_DELETION));
        assert!(!keys.contains_key("b"));
        // Short words get no deletions.
        assert!(!super::keys("bol").contains_key("bl"));
    }
}
