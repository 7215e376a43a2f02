//! tantivy as the catalog's search engine: an index per replica, in a folder of its own (or in
//! memory for tests and tools), written only by the feed.

mod candidates;
mod ranking;
pub(crate) mod schema;
mod tokenizer;
mod weighted_term;

use std::{
    ops::Bound,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term,
    collector::TopDocs,
    directory::{MmapDirectory, error::LockError},
    indexer::{LogMergePolicy, NoMergePolicy},
    query::{
        AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query, RangeQuery,
        TermQuery, TermSetQuery,
    },
    schema::{IndexRecordOption, Value},
    tokenizer::{PreTokenizedString, TextAnalyzer, Token},
};
use uuid::Uuid;

use self::{
    ranking::{Ranking, key_of},
    schema::Fields,
    tokenizer::SoukTokenizer,
    weighted_term::WeightedTermQuery,
};
use super::{
    backend::{SearchBackend, Staged},
    document::Entry,
    request::{Filter, Hit, SearchRequest},
    vocabulary::Vocabulary,
};
use crate::{CatalogError, input::Sort, model::ProductSummary};

/// The indexing memory of an index in memory (tests, tools).
const IN_RAM_WRITER_BYTES: usize = 15_000_000;
/// Query words whose candidates are remembered (per index generation).
const REMEMBERED_WORDS: usize = 20_000;

type Candidates = Arc<Vec<crate::search::query::Candidate>>;

pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    vocabulary: Arc<Vocabulary>,
    generation: AtomicU64,
    /// A word's candidates, read from the term dictionaries of one generation of the index:
    /// buyers' queries share their words, and finding a word's typos walks every dictionary.
    remembered: quick_cache::sync::Cache<(u64, String), Candidates>,
}

impl std::fmt::Debug for TantivyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivyIndex").finish_non_exhaustive()
    }
}

fn fault(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::SearchUnavailable(e.to_string())
}

/// Small stored blocks: a page reads 25 entries scattered over the index, each from its block.
fn builder(schema: tantivy::schema::Schema) -> tantivy::IndexBuilder {
    let settings = tantivy::IndexSettings {
        docstore_blocksize: 4_096,
        ..tantivy::IndexSettings::default()
    };
    Index::builder().schema(schema).settings(settings)
}

impl TantivyIndex {
    /// An index in memory: empty at each start.
    pub fn in_ram(vocabulary: Arc<Vocabulary>) -> Result<TantivyIndex, CatalogError> {
        let (schema, fields) = schema::build();
        let index = builder(schema).create_in_ram().map_err(fault)?;
        Self::ready(index, fields, vocabulary, IN_RAM_WRITER_BYTES).map_err(fault)
    }

    /// The index kept in `dir` (made if missing). An index of another schema there is replaced.
    /// `writer_bytes` is the indexing memory (15 MB at least).
    pub fn open(
        dir: &Path,
        vocabulary: Arc<Vocabulary>,
        writer_bytes: usize,
    ) -> Result<TantivyIndex, CatalogError> {
        let (schema, fields) = schema::build();
        let cannot = |e: &dyn std::fmt::Display| {
            CatalogError::SearchUnavailable(format!("search index in {}: {e}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| cannot(&e))?;
        let directory = MmapDirectory::open(dir).map_err(|e| cannot(&e))?;
        let index = match builder(schema.clone()).open_or_create(directory) {
            Ok(index) => index,
            Err(TantivyError::SchemaError(_) | TantivyError::IncompatibleIndex(_)) => {
                tracing::warn!(dir = %dir.display(), "search index of another version: rebuilt");
                std::fs::remove_dir_all(dir).map_err(|e| cannot(&e))?;
                std::fs::create_dir_all(dir).map_err(|e| cannot(&e))?;
                builder(schema).create_in_dir(dir).map_err(|e| cannot(&e))?
            }
            Err(e) => return Err(cannot(&e)),
        };
        Self::ready(index, fields, vocabulary, writer_bytes).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => cannot(
                &"the folder is in use by another process; give each replica a folder of its own \
                  (search.index_dir)",
            ),
            other => cannot(&other),
        })
    }

    fn ready(
        index: Index,
        fields: Fields,
        vocabulary: Arc<Vocabulary>,
        writer_bytes: usize,
    ) -> tantivy::Result<TantivyIndex> {
        index
            .tokenizers()
            .register(tokenizer::NAME, TextAnalyzer::from(SoukTokenizer));
        let writer = index.writer_with_num_threads(1, writer_bytes.max(IN_RAM_WRITER_BYTES))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TantivyIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            vocabulary,
            generation: AtomicU64::new(0),
            remembered: quick_cache::sync::Cache::new(REMEMBERED_WORDS),
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>> {
        // A panic while writing leaves nothing half-committed: the writer is still usable.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn id_term(&self, id: Uuid) -> Term {
        let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
        Term::from_field_text(self.fields.id, id.hyphenated().encode_lower(&mut buf))
    }

    fn document(&self, entry: &Entry) -> Result<TantivyDocument, CatalogError> {
        let f = &self.fields;
        let id = entry.id.as_u128();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, entry.id.hyphenated().to_string());
        doc.add_u64(f.id_hi, (id >> 64) as u64);
        doc.add_u64(f.id_lo, id as u64);
        doc.add_text(f.craft_id, entry.craft_id.hyphenated().to_string());
        doc.add_text(f.artisan_id, entry.artisan_id.hyphenated().to_string());
        doc.add_i64(f.price, entry.price_minor);
        let certified = entry
            .certified_until
            .map_or(i64::MIN, |until| until.timestamp_micros());
        doc.add_i64(f.certified_until, certified);
        let summary = serde_json::to_vec(&entry.summary).map_err(fault)?;
        doc.add_bytes(f.summary, &summary);
        doc.add_pre_tokenized_text(f.words, weighted_tokens(&entry.words));
        Ok(doc)
    }

    /// A word's candidates in the index `searcher` reads.
    fn candidates(
        &self,
        searcher: &tantivy::Searcher,
        word: &str,
    ) -> Result<Candidates, CatalogError> {
        // The searcher's generation, read with it: a commit after it makes a new key.
        let key = (searcher.generation().generation_id(), word.to_owned());
        if let Some(found) = self.remembered.get(&key) {
            return Ok(found);
        }
        let found = Arc::new(candidates::of_word(
            searcher,
            &self.fields,
            &self.vocabulary,
            word,
        )?);
        self.remembered.insert(key, Arc::clone(&found));
        Ok(found)
    }

    /// The query: every word matched (each by its best candidate), and the filters.
    fn query(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest,
    ) -> Result<Option<Box<dyn Query>>, CatalogError> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in request.words.iter().flatten() {
            let found = self.candidates(searcher, word)?;
            if found.is_empty() {
                // Every word must match something.
                return Ok(None);
            }
            let disjuncts: Vec<Box<dyn Query>> = found
                .iter()
                .map(|c| {
                    let term = Term::from_field_text(self.fields.words, &c.term);
                    Box::new(WeightedTermQuery::new(term, c.quality)) as Box<dyn Query>
                })
                .collect();
            // A product's score for a word is its best match of it.
            clauses.push((Occur::Must, Box::new(DisjunctionMaxQuery::new(disjuncts))));
        }
        for filter in self.filters(&request.filter, request.now) {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        Ok(Some(if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        }))
    }

    fn filters(&self, filter: &Filter, now: chrono::DateTime<chrono::Utc>) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let text = |field, id: &Uuid| Term::from_field_text(field, &id.hyphenated().to_string());
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if let Some(crafts) = &filter.craft_ids {
            let terms = crafts.iter().map(|c| text(f.craft_id, c));
            filters.push(Box::new(TermSetQuery::new(terms)));
        }
        if let Some(artisan) = &filter.artisan {
            let term = text(f.artisan_id, artisan);
            filters.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        let now = Term::from_field_i64(f.certified_until, now.timestamp_micros());
        match filter.certified {
            Some(true) => filters.push(Box::new(RangeQuery::new(
                Bound::Excluded(now),
                Bound::Unbounded,
            ))),
            Some(false) => filters.push(Box::new(RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(now),
            ))),
            None => {}
        }
        if filter.price_min.is_some() || filter.price_max.is_some() {
            let bound = |v: Option<i64>| match v {
                Some(v) => Bound::Included(Term::from_field_i64(f.price, v)),
                None => Bound::Unbounded,
            };
            filters.push(Box::new(RangeQuery::new(
                bound(filter.price_min),
                bound(filter.price_max),
            )));
        }
        filters
    }

    fn summary(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<ProductSummary, CatalogError> {
        let doc: TantivyDocument = searcher.doc(address).map_err(fault)?;
        let bytes = doc
            .get_first(self.fields.summary)
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| CatalogError::Corrupt("a search entry has no summary".into()))?;
        serde_json::from_slice(bytes)
            .map_err(|e| CatalogError::Corrupt(format!("a search entry's summary: {e}")))
    }
}

impl SearchBackend for TantivyIndex {
    fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, CatalogError> {
        let searcher = self.reader.searcher();
        let Some(query) = self.query(&searcher, request)? else {
            return Ok(Vec::new());
        };
        let below = request
            .after
            .as_ref()
            .map(|after| key_of(after, request.sort))
            .transpose()?;
        let ranking = Ranking {
            sort: request.sort,
            below,
            fields: self.fields,
        };
        let collector = TopDocs::with_limit(request.limit.max(1)).order_by(ranking);
        let found = searcher.search(&query, &collector).map_err(fault)?;
        let mut hits = Vec::with_capacity(found.len());
        for (key, address) in found {
            // Entries at or before the cursor have no key: they rank last, and are not shown.
            let Some((primary, _)) = key else { continue };
            hits.push(Hit {
                summary: self.summary(&searcher, address)?,
                score: if request.sort == Sort::Relevance {
                    primary
                } else {
                    0
                },
            });
        }
        Ok(hits)
    }

    fn stage(&self, change: Staged) -> Result<(), CatalogError> {
        let writer = self.writer();
        match change {
            Staged::Reset => {
                writer.delete_all_documents().map_err(fault)?;
                // A rebuild writes many parts: merged once, at the end, by `compact`.
                writer.set_merge_policy(Box::new(NoMergePolicy));
            }
            Staged::Replace { remove, add } => {
                for id in remove {
                    writer.delete_term(self.id_term(id));
                }
                for entry in add {
                    writer.delete_term(self.id_term(entry.id));
                    writer.add_document(self.document(&entry)?).map_err(fault)?;
                }
            }
        }
        Ok(())
    }

    fn commit(&self, stamp: &str) -> Result<(), CatalogError> {
        let mut writer = self.writer();
        let mut commit = writer.prepare_commit().map_err(fault)?;
        commit.set_payload(stamp);
        commit.commit().map_err(fault)?;
        drop(writer);
        self.reader.reload().map_err(fault)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    fn compact(&self) -> Result<(), CatalogError> {
        let parts = self.index.searchable_segment_ids().map_err(fault)?;
        let merged = {
            let mut writer = self.writer();
            writer.set_merge_policy(Box::new(LogMergePolicy::default()));
            (parts.len() > 1).then(|| writer.merge(&parts))
        };
        if let Some(merged) = merged {
            merged.wait().map_err(fault)?;
            self.reader.reload().map_err(fault)?;
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    fn stamp(&self) -> Result<Option<String>, CatalogError> {
        Ok(self.index.load_metas().map_err(fault)?.payload)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// A product's words as tokens, each repeated as many times as it weighs.
fn weighted_tokens(words: &std::collections::BTreeMap<String, i16>) -> PreTokenizedString {
    let mut tokens = Vec::new();
    for (word, weight) in words {
        for _ in 0..*weight {
            tokens.push(Token {
                offset_from: 0,
                offset_to: 0,
                position: tokens.len(),
                text: word.clone(),
                position_length: 1,
            });
        }
    }
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}
