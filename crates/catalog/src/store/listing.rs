//! The listing query: filters, an optional search, an order, and a keyset position.
//!
//! With a search, each query word's candidate terms are looked up in `product_terms`; a product
//! scores, per word, the best weight x quality among its matching terms, and must match every
//! word. Keyset pagination (never OFFSET) means a page never skips or repeats an item while
//! products are being added.

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait,
    sea_orm::{DbBackend, QueryResult},
};
use uuid::Uuid;

use super::sql::Sql;
use crate::{CatalogError, input::Sort, search::query::Candidate};

/// What a listing is filtered on (already checked and resolved to ids).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    pub craft_ids: Option<Vec<Uuid>>,
    pub artisan: Option<Uuid>,
    pub certified: Option<bool>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.craft_ids.is_none()
            && self.artisan.is_none()
            && self.certified.is_none()
            && self.price_min.is_none()
            && self.price_max.is_none()
    }
}

/// Where the previous page ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Position {
    pub sort: Sort,
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// One row of a listing page.
pub(crate) struct Row {
    pub id: Uuid,
    pub artisan_id: Uuid,
    pub craft_id: Uuid,
    pub title: serde_json::Value,
    pub default_lang: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub lead_time_days: Option<i32>,
    pub photos: serde_json::Value,
    pub certified_until: Option<DateTime<Utc>>,
    pub score: i64,
}

const COLUMNS: &str = "p.id, p.artisan_id, p.craft_id, p.title, p.default_lang, p.price_minor, \
    p.currency, p.stock, p.lead_time_days, p.photos, p.certified_until";

pub(crate) async fn page(
    conn: &impl ConnectionTrait,
    words: Option<&[Vec<Candidate>]>,
    filter: &Filter,
    sort: Sort,
    after: Option<Position>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, CatalogError> {
    let mut sql = Sql::new(conn.get_database_backend());
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    match words {
        Some(words) if sort == Sort::Relevance => {
            // Rank from the index alone (only active products are indexed), in order, then
            // walk that order through the products table until the page is full: a product
            // filtered out costs one index probe, and the walk stops at the page's end.
            sql.push("SELECT ")
                .push(COLUMNS)
                .push(", s.score AS score FROM (");
            match (words, after) {
                ([only], None) if filter.is_empty() => top_of_one_word(&mut sql, only, limit),
                _ => {
                    sql.push("SELECT sc.product_id, sc.score FROM (");
                    scores(&mut sql, words);
                    sql.push(") sc");
                    if let Some(after) = after {
                        let score = after.score.ok_or(CatalogError::InvalidCursor)?;
                        sql.push(" WHERE sc.score < ").bind(score);
                        sql.push(" OR (sc.score = ").bind(score);
                        sql.push(" AND sc.product_id < ").bind(after.id).push(")");
                    }
                    sql.push(" ORDER BY sc.score DESC, sc.product_id DESC");
                }
            }
            sql.push(") s");
            if conn.get_database_backend() == DbBackend::Postgres {
                // LATERAL keeps PostgreSQL to that walk (a hash join would read every product).
                sql.push(" CROSS JOIN LATERAL (SELECT * FROM products p WHERE p.id = s.product_id");
                sql.push(" AND p.status = 'active'");
                filters(&mut sql, filter, now);
                sql.push(") p");
            } else {
                sql.push(" JOIN products p ON p.id = s.product_id WHERE p.status = 'active'");
                filters(&mut sql, filter, now);
            }
            sql.push(" ORDER BY s.score DESC, s.product_id DESC LIMIT ")
                .bind(limit);
            let rows = conn.query_all_raw(sql.build()).await?;
            return rows.iter().map(read_row).collect();
        }
        Some(words) => {
            sql.push("SELECT ")
                .push(COLUMNS)
                .push(", s.score AS score FROM (");
            scores(&mut sql, words);
            sql.push(") s JOIN products p ON p.id = s.product_id WHERE p.status = 'active'");
        }
        None => {
            sql.push("SELECT ")
                .push(COLUMNS)
                .push(", CAST(0 AS BIGINT) AS score FROM products p WHERE p.status = 'active'");
        }
    }
    filters(&mut sql, filter, now);
    if let Some(after) = after {
        keyset(&mut sql, sort, after)?;
    }
    sql.push(match sort {
        // Relevance without words is refused before a query is planned.
        Sort::Relevance | Sort::Newest => " ORDER BY p.id DESC",
        Sort::PriceAsc => " ORDER BY p.price_minor ASC, p.id ASC",
        Sort::PriceDesc => " ORDER BY p.price_minor DESC, p.id DESC",
    });
    sql.push(" LIMIT ").bind(limit);
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter().map(read_row).collect()
}

/// The first page of a one-word search, read from the top of each matching term's postings.
///
/// The index is ordered by term, weight and product, so the best `limit` products of one term
/// are the last `limit` entries of its range. A product's score is its best over the word's
/// terms, so the best `limit` products overall are among the best `limit` of each term: merging
/// those few lists replaces aggregating every product that matches. (Later pages use the general
/// query, whose order is the same.)
fn top_of_one_word(sql: &mut Sql, candidates: &[Candidate], limit: i64) {
    sql.push("SELECT u.product_id AS product_id, MAX(u.score) AS score FROM (");
    for (i, c) in candidates.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT * FROM (SELECT t.product_id AS product_id, CAST(t.weight * ");
        sql.bind(i32::from(c.quality))
            .push(" AS BIGINT) AS score FROM product_terms t WHERE t.term = ");
        sql.bind(c.term.clone())
            .push(" ORDER BY t.weight DESC, t.product_id DESC LIMIT ")
            .bind(limit);
        sql.push(&format!(") a{i}"));
    }
    sql.push(") u GROUP BY u.product_id ORDER BY score DESC, u.product_id DESC LIMIT ")
        .bind(limit);
}

/// `product_id, score` of the products that match every word: per word, the best weight x
/// quality among the product's matching terms; summed over the words.
fn scores(sql: &mut Sql, words: &[Vec<Candidate>]) {
    let best_of = |sql: &mut Sql, candidates: &[Candidate], alias: &str| {
        sql.push("SELECT t.product_id AS product_id, CAST(MAX(t.weight * CASE t.term");
        for c in candidates {
            sql.push(" WHEN ")
                .bind(c.term.clone())
                .push(" THEN ")
                .bind(i32::from(c.quality));
        }
        sql.push(" ELSE 0 END) AS BIGINT) AS ")
            .push(alias)
            .push(" FROM product_terms t WHERE t.term IN ");
        sql.bind_list(candidates.iter().map(|c| c.term.clone()))
            .push(" GROUP BY t.product_id");
    };
    if let [only] = words {
        best_of(sql, only, "score");
        return;
    }
    sql.push("SELECT m.product_id AS product_id, CAST(SUM(m.best) AS BIGINT) AS score FROM (");
    for (i, candidates) in words.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        best_of(sql, candidates, "best");
    }
    let words = i64::try_from(words.len()).unwrap_or(i64::MAX);
    sql.push(") m GROUP BY m.product_id HAVING COUNT(*) = ")
        .bind(words);
}

fn filters(sql: &mut Sql, filter: &Filter, now: DateTime<Utc>) {
    if let Some(crafts) = &filter.craft_ids {
        sql.push(" AND p.craft_id IN ")
            .bind_list(crafts.iter().copied());
    }
    if let Some(artisan) = filter.artisan {
        sql.push(" AND p.artisan_id = ").bind(artisan);
    }
    match filter.certified {
        Some(true) => {
            sql.push(" AND p.certified_until > ").bind(now);
        }
        Some(false) => {
            sql.push(" AND (p.certified_until IS NULL OR p.certified_until <= ")
                .bind(now)
                .push(")");
        }
        None => {}
    }
    if let Some(min) = filter.price_min {
        sql.push(" AND p.price_minor >= ").bind(min);
    }
    if let Some(max) = filter.price_max {
        sql.push(" AND p.price_minor <= ").bind(max);
    }
}

fn keyset(sql: &mut Sql, sort: Sort, after: Position) -> Result<(), CatalogError> {
    if after.sort != sort {
        return Err(CatalogError::InvalidCursor);
    }
    match sort {
        Sort::Newest => {
            sql.push(" AND p.id < ").bind(after.id);
        }
        Sort::PriceAsc | Sort::PriceDesc => {
            let price = after.price.ok_or(CatalogError::InvalidCursor)?;
            let (cmp, id_cmp) = if sort == Sort::PriceAsc {
                (" > ", " > ")
            } else {
                (" < ", " < ")
            };
            sql.push(" AND (p.price_minor").push(cmp).bind(price);
            sql.push(" OR (p.price_minor = ")
                .bind(price)
                .push(" AND p.id")
                .push(id_cmp)
                .bind(after.id)
                .push("))");
        }
        // Pages in relevance order are read by the search branch of `page`, never here.
        Sort::Relevance => return Err(CatalogError::InvalidCursor),
    }
    Ok(())
}

fn read_row(row: &QueryResult) -> Result<Row, CatalogError> {
    let get_err = |e: souk_db::DbErr| CatalogError::Corrupt(format!("listing row: {e}"));
    Ok(Row {
        id: row.try_get("", "id").map_err(get_err)?,
        artisan_id: row.try_get("", "artisan_id").map_err(get_err)?,
        craft_id: row.try_get("", "craft_id").map_err(get_err)?,
        title: row.try_get("", "title").map_err(get_err)?,
        default_lang: row.try_get("", "default_lang").map_err(get_err)?,
        price_minor: row.try_get("", "price_minor").map_err(get_err)?,
        currency: row.try_get("", "currency").map_err(get_err)?,
        stock: row.try_get("", "stock").map_err(get_err)?,
        lead_time_days: row.try_get("", "lead_time_days").map_err(get_err)?,
        photos: row.try_get("", "photos").map_err(get_err)?,
        certified_until: row.try_get("", "certified_until").map_err(get_err)?,
        score: row.try_get("", "score").map_err(get_err)?,
    })
}
