//! The catalog service: the one entry point the gateway calls.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use chrono::Utc;
use sha2::{Digest, Sha256};
use souk_audit::{Actor, AuditEntry, Subject, Via};
use souk_auth::{Account, AuthService, NewAccount, Principal, Role};
use souk_cache::{Cache, CacheKey};
use souk_db::{DatabaseConnection, DatabaseTransaction, begin_write};
use souk_kernel::{AccountId, ArtisanId, CraftId, Cursor, Page, ProductId};

use crate::{
    CatalogError,
    cache_keys::{self, FAMILY_ARTISAN, FAMILY_CRAFTS, FAMILY_LISTING, FAMILY_PRODUCT},
    input::{self, ArtisanInput, ListingQuery, ProductInput, ProductPatch, Sort},
    model::{Artisan, Craft, Product, ProductStatus, ProductSummary},
    photos::Photos,
    rights::{self, Capacity, Scope},
    search::{
        self,
        backend::SearchBackend,
        engine::TantivyIndex,
        feed::SearchFeed,
        query::MAX_QUERY_WORDS,
        request::{Filter, Position, SearchRequest},
        vocabulary::Vocabulary,
    },
    store,
};

/// How long the search change log keeps a change.
pub const SEARCH_LOG_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone, Debug)]
pub struct CatalogSettings {
    /// Items on a listing page when the client does not say.
    pub page_size: u32,
    /// Whether listing and search pages are cached. They are keyed by the search index's state,
    /// which every product write moves on, so a catalog written to many times a second may do
    /// better without.
    pub cache_listings: bool,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            page_size: 24,
            cache_listings: true,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Catalog {
    db: DatabaseConnection,
    cache: Cache,
    settings: Arc<CatalogSettings>,
    photos: Arc<Photos>,
    search: Arc<SearchFeed>,
}

impl Catalog {
    /// A catalog whose search index is in memory (built from the database when first needed);
    /// [`Catalog::with_search_index`] gives it one on disk.
    pub fn new(db: DatabaseConnection, cache: Cache, settings: CatalogSettings) -> Self {
        let index = TantivyIndex::in_ram(Arc::new(Vocabulary::built_in()))
            .unwrap_or_else(|e| panic!("a search index in memory: {e}"));
        Self::with_search_index(db, cache, settings, index)
    }

    /// A catalog searching with `index` (kept on disk, say).
    pub fn with_search_index(
        db: DatabaseConnection,
        cache: Cache,
        settings: CatalogSettings,
        index: TantivyIndex,
    ) -> Self {
        let backend: Arc<dyn SearchBackend> = Arc::new(index);
        let search = Arc::new(SearchFeed::new(db.clone(), backend, SEARCH_LOG_RETENTION));
        Self {
            db,
            cache,
            settings: Arc::new(settings),
            photos: Arc::new(Photos::default()),
            search,
        }
    }

    /// The feed that keeps this replica's search index in step with the database.
    pub fn search_feed(&self) -> &Arc<SearchFeed> {
        &self.search
    }

    /// Keeps photos in `photos` (the default is an in-memory store, for tests).
    pub fn with_photos(mut self, photos: Photos) -> Self {
        self.photos = Arc::new(photos);
        self
    }

    pub(crate) fn photos_handle(&self) -> Arc<Photos> {
        Arc::clone(&self.photos)
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    pub(crate) async fn cache_invalidate(&self, scopes: &[&str]) {
        self.cache.invalidate(scopes).await;
    }

    // ---- reads --------------------------------------------------------------------------------

    /// The crafts taxonomy, in display order.
    pub async fn crafts(&self) -> Result<Arc<Vec<Craft>>, CatalogError> {
        let key = CacheKey {
            family: FAMILY_CRAFTS,
            scope: cache_keys::CRAFTS,
            key: "all",
        };
        self.cache
            .get_or_load(key, || store::crafts::all(&self.db))
            .await
    }

    /// An artisan's public profile.
    pub async fn artisan(&self, id: ArtisanId) -> Result<Arc<Artisan>, CatalogError> {
        let scope = cache_keys::artisan(id);
        let key = CacheKey {
            family: FAMILY_ARTISAN,
            scope: &scope,
            key: "",
        };
        // Not found is not cached: the loader's error passes through.
        self.cache
            .get_or_load(key, || async {
                let crafts = self.crafts().await?;
                store::artisans::get(&self.db, id, &crafts)
                    .await?
                    .ok_or(CatalogError::NotFound("artisan"))
            })
            .await
    }

    /// The artisan profile of an artisan's account, if it has one.
    pub async fn artisan_of_account(
        &self,
        account: AccountId,
    ) -> Result<Option<ArtisanId>, CatalogError> {
        Ok(store::artisans::of_account(&self.db, account).await?)
    }

    /// A product. Drafts and archived products are visible only to their artisan and admins.
    pub async fn product(
        &self,
        id: ProductId,
        viewer: Option<&Principal>,
    ) -> Result<Arc<Product>, CatalogError> {
        let product = self.cached_product(id).await?;
        let visible = product.status == ProductStatus::Active
            || viewer.is_some_and(|v| rights::may_view(v, &product.access));
        if visible {
            Ok(product)
        } else {
            Err(CatalogError::NotFound("product"))
        }
    }

    async fn cached_product(&self, id: ProductId) -> Result<Arc<Product>, CatalogError> {
        let scope = cache_keys::product(id);
        let key = CacheKey {
            family: FAMILY_PRODUCT,
            scope: &scope,
            key: "",
        };
        self.cache
            .get_or_load(key, || async {
                let crafts = self.crafts().await?;
                store::products::get(&self.db, id, &crafts)
                    .await?
                    .ok_or(CatalogError::NotFound("product"))
            })
            .await
    }

    /// A page of active products: searched, filtered, ordered.
    pub async fn list_products(
        &self,
        query: ListingQuery,
    ) -> Result<Arc<Page<ProductSummary>>, CatalogError> {
        let plan = self.plan_listing(query).await?;
        if !self.settings.cache_listings {
            return self.load_listing(&plan).await.map(Arc::new);
        }
        // Keyed by the index state it is read from: a cached page never outlives that state.
        let key = format!("{}.{}", self.search.state_tag(), plan.cache_key);
        let key = CacheKey {
            family: FAMILY_LISTING,
            scope: cache_keys::LISTINGS,
            key: &key,
        };
        self.cache
            .get_or_load(key, || self.load_listing(&plan))
            .await
    }

    /// Checks a listing request and resolves it to what the query needs.
    async fn plan_listing(&self, query: ListingQuery) -> Result<ListingPlan, CatalogError> {
        let words = match &query.q {
            Some(q) if q.chars().count() > input::QUERY_MAX_CHARS => {
                return Err(CatalogError::invalid(
                    "q",
                    format!("is longer than {} characters", input::QUERY_MAX_CHARS),
                ));
            }
            Some(q) => {
                let mut seen = BTreeSet::new();
                let words: Vec<String> = search::tokens(q)
                    .into_iter()
                    .filter(|w| seen.insert(w.clone()))
                    .take(MAX_QUERY_WORDS)
                    .collect();
                Some(words)
            }
            None => None,
        };
        let sort = match (query.sort, &words) {
            (Some(Sort::Relevance), None) => {
                return Err(CatalogError::invalid(
                    "sort",
                    "relevance needs a search query q",
                ));
            }
            (Some(sort), _) => sort,
            (None, Some(_)) => Sort::Relevance,
            (None, None) => Sort::Newest,
        };
        let limit = query.limit.unwrap_or(self.settings.page_size);
        if !(1..=input::PAGE_SIZE_MAX).contains(&limit) {
            return Err(CatalogError::invalid(
                "limit",
                format!("must be between 1 and {}", input::PAGE_SIZE_MAX),
            ));
        }
        for (field, value) in [
            ("price_min", query.price_min),
            ("price_max", query.price_max),
        ] {
            if value.is_some_and(|v| !(0..=souk_kernel::Money::MAX_PRICE_MINOR).contains(&v)) {
                return Err(CatalogError::invalid(
                    field,
                    format!(
                        "must be between 0 and {}",
                        souk_kernel::Money::MAX_PRICE_MINOR
                    ),
                ));
            }
        }
        if let (Some(min), Some(max)) = (query.price_min, query.price_max)
            && min > max
        {
            return Err(CatalogError::invalid("price_min", "is above price_max"));
        }
        let craft_ids = match &query.craft {
            Some(slug) => {
                let slug = input::slug("craft", slug)?;
                Some(craft_and_descendants(&self.crafts().await?, &slug)?)
            }
            None => None,
        };
        let after = match &query.cursor {
            Some(raw) => {
                let position: Position =
                    Cursor::decode(raw).map_err(|_| CatalogError::InvalidCursor)?;
                if position.sort != sort {
                    return Err(CatalogError::InvalidCursor);
                }
                Some(position)
            }
            None => None,
        };
        let filter = Filter {
            craft_ids,
            artisan: query.artisan.map(ArtisanId::into_uuid),
            certified: query.certified,
            price_min: query.price_min,
            price_max: query.price_max,
        };
        let cache_key = listing_cache_key(&words, &filter, sort, after.as_ref(), limit);
        Ok(ListingPlan {
            words,
            filter,
            sort,
            after,
            limit,
            cache_key,
        })
    }

    async fn load_listing(&self, plan: &ListingPlan) -> Result<Page<ProductSummary>, CatalogError> {
        if plan.words.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let limit = plan.limit as usize;
        let request = SearchRequest {
            words: plan.words.clone(),
            filter: plan.filter.clone(),
            sort: plan.sort,
            after: plan.after,
            limit: limit + 1,
            now: Utc::now(),
        };
        let mut hits = self.search.search(request).await?;
        let next_cursor = if hits.len() > limit {
            hits.truncate(limit);
            hits.last()
                .map(|last| Cursor::encode(&last.position(plan.sort)).into_string())
        } else {
            None
        };
        let items = hits.into_iter().map(|hit| hit.summary).collect();
        Ok(Page { items, next_cursor })
    }

    // ---- writes -------------------------------------------------------------------------------

    /// Lists a new product. Artisans list for themselves; their agent and admins for them.
    pub async fn create_product(
        &self,
        principal: &Principal,
        input: ProductInput,
    ) -> Result<Arc<Product>, CatalogError> {
        let tx = begin_write(&self.db).await?;
        let (product, stale) = self
            .create_product_in(&tx, principal, Via::Api, ProductId::new(), input)
            .await?;
        tx.commit().await?;
        self.forget(stale).await;
        self.product(product.id, Some(principal)).await
    }

    /// Lists a new product with the given id inside the caller's transaction, with its search
    /// terms and audit entry. The caller commits, then hands the returned [`Stale`] to
    /// [`Catalog::forget`].
    pub async fn create_product_in(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        via: Via,
        id: ProductId,
        input: ProductInput,
    ) -> Result<(Product, Stale), CatalogError> {
        let artisan_id = match (input.artisan_id, principal.role) {
            (Some(id), _) => id,
            (None, Role::Artisan) => store::artisans::of_account(tx, principal.account_id)
                .await?
                .ok_or(CatalogError::Forbidden(
                    "this account has no artisan profile",
                ))?,
            (None, Role::Admin | Role::Agent) => {
                return Err(CatalogError::invalid("artisan_id", "is required"));
            }
            (None, _) => {
                return Err(CatalogError::Forbidden(
                    "only artisans, their agents and admins list products",
                ));
            }
        };
        let crafts = self.crafts().await?;
        let (artisan_row, artisan) = store::artisans::row(tx, artisan_id)
            .await?
            .ok_or_else(|| CatalogError::invalid("artisan_id", "no artisan with this id"))?;
        let access = store::artisans::access(&artisan_row)?;
        let capacity = rights::act_for(principal, &access, Scope::Products)?;
        let craft = crate::crafts::current(&crafts, &input::slug("craft", &input.craft)?, "craft")?;
        let title = input::text("title", input.title, input::TITLE_MAX_CHARS)?;
        let description = input::optional_text(
            "description",
            input.description,
            input::DESCRIPTION_MAX_CHARS,
        )?;
        let default_lang = input::default_lang("title", input.default_lang, &title)?;
        let now = Utc::now();
        let product = Product {
            id,
            listed_by: capacity.on_behalf().then_some(principal.account_id),
            listed_by_agent: capacity == Capacity::Agent,
            access,
            artisan,
            craft: craft.slug.clone(),
            title,
            description,
            default_lang,
            materials: input::materials(input.materials)?,
            dimensions: input::dimensions(input.length_mm, input.width_mm, input.height_mm)?,
            weight_g: input::optional_bounded("weight_g", input.weight_g, 1, input::WEIGHT_MAX_G)?,
            price: input::price(input.price_minor, input.currency.as_deref())?,
            stock: input::bounded("stock", input.stock, 0, input::STOCK_MAX)?,
            lead_time_days: input::lead_time(input.lead_time_days)?,
            status: input.status.unwrap_or(ProductStatus::Active),
            photos: input::photos(input.photos)?,
            certified_until: crate::certified::for_line(tx, artisan_id, craft.id).await?,
            gtin: input::gtin(input.gtin)?,
            version: 1,
            created_at: now,
            updated_at: now,
        };

        store::products::insert(tx, &product, craft.id).await?;
        let entry = AuditEntry::new(
            actor(principal),
            Some(artisan_id),
            Subject::Product(product.id.into_uuid()),
            "product.created",
            via,
            souk_audit::created(&snapshot(&product)),
        );
        souk_audit::record(tx, &entry).await?;
        let stale = Stale::product(product.id);
        Ok((product, stale))
    }

    /// Changes a product. Only its artisan, their agent or an admin may; a stale
    /// `expected_version` is a conflict, never a silent overwrite.
    pub async fn update_product(
        &self,
        principal: &Principal,
        id: ProductId,
        patch: ProductPatch,
    ) -> Result<Arc<Product>, CatalogError> {
        let tx = begin_write(&self.db).await?;
        let (_, stale) = self
            .update_product_in(&tx, principal, Via::Api, id, patch)
            .await?;
        tx.commit().await?;
        self.forget(stale).await;
        self.product(id, Some(principal)).await
    }

    /// [`Catalog::update_product`] inside the caller's transaction.
    pub async fn update_product_in(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        via: Via,
        id: ProductId,
        patch: ProductPatch,
    ) -> Result<(Product, Stale), CatalogError> {
        let crafts = self.crafts().await?;
        let mut product = store::products::get(tx, id, &crafts)
            .await?
            .ok_or(CatalogError::NotFound("product"))?;
        rights::act_for(principal, &product.access, Scope::Products)?;
        if let Some(expected) = patch.expected_version
            && expected != product.version
        {
            return Err(CatalogError::VersionConflict {
                expected,
                actual: product.version,
            });
        }
        let before = snapshot(&product);
        let base_version = product.version;
        let stock_before = product.stock;
        let craft_before = product.craft.clone();
        apply_patch(&mut product, patch, &crafts)?;
        product.version = base_version + 1;
        product.updated_at = Utc::now();
        let craft = find_craft(&crafts, &product.craft)?;
        if !store::products::update_if_version(
            tx,
            &product,
            craft.id,
            base_version,
            product.stock != stock_before,
        )
        .await?
        {
            let actual = store::products::version(tx, id)
                .await?
                .unwrap_or(base_version);
            return Err(CatalogError::VersionConflict {
                expected: base_version,
                actual,
            });
        }
        let mut stale = Stale::product(id);
        if product.craft != craft_before {
            // The artisan's line certifications are per craft.
            stale.merge(crate::certified::refresh_in(tx, &[id]).await?);
            product.certified_until = crate::certified::of_product(tx, id).await?;
        }
        let entry = AuditEntry::new(
            actor(principal),
            Some(product.artisan.id),
            Subject::Product(id.into_uuid()),
            "product.updated",
            via,
            souk_audit::diff(&before, &snapshot(&product)),
        );
        souk_audit::record(tx, &entry).await?;
        Ok((product, stale))
    }

    /// Drops what committed writes made stale from the cache, and makes the products they
    /// changed searchable as they now are on this replica (the others follow the change log).
    pub async fn forget(&self, stale: Stale) {
        if !stale.scopes.is_empty() {
            let scopes: Vec<&str> = stale.scopes.iter().map(String::as_str).collect();
            self.cache.invalidate(&scopes).await;
        }
        if !stale.products.is_empty() {
            let ids = stale.products.iter().map(|id| id.into_uuid()).collect();
            if let Err(e) = self.search.apply(ids).await {
                // The change is in the log: the feed applies it at its next poll.
                tracing::warn!(error = %e, "search index not updated after a write");
            }
        }
    }

    /// Signs up an artisan: their account and public profile, together or not at all.
    pub async fn register_artisan(
        &self,
        auth: &AuthService,
        account: NewAccount,
        profile: ArtisanInput,
    ) -> Result<(Account, Artisan), CatalogError> {
        let crafts = self.crafts().await?;
        let (mut artisan, craft_ids) = build_artisan(&crafts, profile, ArtisanId::new())?;
        let prepared = auth
            .prepare(
                NewAccount {
                    role: Role::Artisan,
                    ..account
                },
                false,
            )
            .await?;
        artisan.account_id = Some(prepared.id());
        let tx = begin_write(&self.db).await?;
        let account = AuthService::insert(&tx, prepared).await?;
        store::artisans::insert(&tx, &artisan, &craft_ids).await?;
        tx.commit().await?;
        Ok((account, artisan))
    }
}

/// Checks an artisan's public profile and resolves their crafts.
pub(crate) fn build_artisan(
    crafts: &[Craft],
    profile: ArtisanInput,
    id: ArtisanId,
) -> Result<(Artisan, Vec<CraftId>), CatalogError> {
    let name = input::text("artisan.name", profile.name, input::NAME_MAX_CHARS)?;
    let bio = input::optional_text("artisan.bio", profile.bio, input::BIO_MAX_CHARS)?;
    let default_lang = input::default_lang("artisan.name", profile.default_lang, &name)?;
    let commune = input::short_line("artisan.commune", &profile.commune, 80)?;
    let cooperative = profile
        .cooperative
        .as_deref()
        .map(|c| input::short_line("artisan.cooperative", c, 120))
        .transpose()?;
    if profile.crafts.is_empty() || profile.crafts.len() > 10 {
        return Err(CatalogError::invalid(
            "artisan.crafts",
            "between 1 and 10 crafts",
        ));
    }
    let mut craft_ids = Vec::new();
    let mut slugs = Vec::new();
    for (i, raw) in profile.crafts.iter().enumerate() {
        let field = format!("artisan.crafts[{i}]");
        let craft = crate::crafts::current(crafts, &input::slug(&field, raw)?, &field)?;
        if !craft_ids.contains(&craft.id) {
            craft_ids.push(craft.id);
            slugs.push(craft.slug.clone());
        }
    }
    let artisan = Artisan {
        id,
        account_id: None,
        name,
        bio,
        default_lang,
        commune,
        cooperative,
        crafts: slugs,
        label_disclosure: Default::default(),
        created_at: Utc::now(),
    };
    Ok((artisan, craft_ids))
}

struct ListingPlan {
    words: Option<Vec<String>>,
    filter: Filter,
    sort: Sort,
    after: Option<Position>,
    limit: u32,
    cache_key: String,
}

/// A stable key for a listing request: a digest of everything that decides its result.
fn listing_cache_key(
    words: &Option<Vec<String>>,
    filter: &Filter,
    sort: Sort,
    after: Option<&Position>,
    limit: u32,
) -> String {
    let canonical = format!("{words:?}|{filter:?}|{sort:?}|{after:?}|{limit}");
    hex::encode(&Sha256::digest(canonical.as_bytes())[..16])
}

/// The cache scopes a committed write made stale. Collect them while writing, and hand them to
/// [`Catalog::forget`] once the transaction has committed.
#[derive(Debug, Default)]
#[must_use = "hand it to Catalog::forget after the commit"]
pub struct Stale {
    scopes: Vec<String>,
    /// Products whose search entries changed.
    products: Vec<ProductId>,
}

impl Stale {
    /// These products changed (an order reserved or released their stock, say).
    pub fn products(products: impl IntoIterator<Item = ProductId>) -> Self {
        let products: Vec<ProductId> = products.into_iter().collect();
        Self {
            scopes: products.iter().copied().map(cache_keys::product).collect(),
            products,
        }
    }

    pub(crate) fn product(id: ProductId) -> Self {
        Self {
            scopes: vec![cache_keys::product(id)],
            products: vec![id],
        }
    }

    /// The artisan's private record changed (agent, grants, payout...): their products' pages
    /// show who may act for them. Their search entries hold only what this does not change (the
    /// public name and commune, which no write changes after sign-up); a write that changes those
    /// must log the products ([`store::changes::record`]).
    pub(crate) fn artisan(id: ArtisanId, products: impl IntoIterator<Item = ProductId>) -> Self {
        let mut scopes = vec![cache_keys::artisan(id)];
        scopes.extend(products.into_iter().map(cache_keys::product));
        Self {
            scopes,
            products: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: Stale) {
        for scope in other.scopes {
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        for product in other.products {
            if !self.products.contains(&product) {
                self.products.push(product);
            }
        }
    }
}

pub(crate) fn actor(principal: &Principal) -> Actor {
    Actor {
        account: Some(principal.account_id),
        role: principal.role.as_str().to_owned(),
    }
}

/// What the audit trail compares: the fields a writer can change.
fn snapshot(p: &Product) -> serde_json::Value {
    serde_json::json!({
        "craft": p.craft,
        "title": p.title,
        "description": p.description,
        "default_lang": p.default_lang,
        "materials": p.materials,
        "dimensions_mm": p.dimensions,
        "weight_g": p.weight_g,
        "price_minor": p.price.amount_minor,
        "currency": p.price.currency.code(),
        "stock": p.stock,
        "lead_time_days": p.lead_time_days,
        "status": p.status.as_str(),
        "photos": p.photos,
        "gtin": p.gtin,
    })
}

fn find_craft<'a>(crafts: &'a [Craft], slug: &str) -> Result<&'a Craft, CatalogError> {
    crafts
        .iter()
        .find(|c| c.slug == slug)
        .ok_or_else(|| CatalogError::invalid("craft", "unknown craft"))
}

/// The ids of a craft and every craft under it.
fn craft_and_descendants(crafts: &[Craft], slug: &str) -> Result<Vec<uuid::Uuid>, CatalogError> {
    let root = find_craft(crafts, slug)?;
    let mut ids = vec![root.id];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i];
        ids.extend(
            crafts
                .iter()
                .filter(|c| c.parent == Some(parent))
                .map(|c| c.id),
        );
        i += 1;
    }
    Ok(ids.into_iter().map(CraftId::into_uuid).collect())
}

fn apply_patch(
    product: &mut Product,
    patch: ProductPatch,
    crafts: &[Craft],
) -> Result<(), CatalogError> {
    if let Some(craft) = patch.craft {
        let slug = input::slug("craft", &craft)?;
        // Moving to a craft needs it current; a product keeps a craft retired since it took it.
        if slug != product.craft {
            product.craft = crate::crafts::current(crafts, &slug, "craft")?.slug.clone();
        }
    }
    if let Some(title) = patch.title {
        product
            .title
            .merge(input::text("title", title, input::TITLE_MAX_CHARS)?);
    }
    if let Some(description) = patch.description {
        product.description.merge(input::optional_text(
            "description",
            description,
            input::DESCRIPTION_MAX_CHARS,
        )?);
    }
    if let Some(lang) = patch.default_lang {
        product.default_lang = input::default_lang("title", Some(lang), &product.title)?;
    }
    if let Some(materials) = patch.materials {
        product.materials = input::materials(materials)?;
    }
    let dims = &mut product.dimensions;
    if let Some(v) = patch.length_mm {
        dims.length_mm = input::optional_bounded("length_mm", v, 1, input::DIMENSION_MAX_MM)?;
    }
    if let Some(v) = patch.width_mm {
        dims.width_mm = input::optional_bounded("width_mm", v, 1, input::DIMENSION_MAX_MM)?;
    }
    if let Some(v) = patch.height_mm {
        dims.height_mm = input::optional_bounded("height_mm", v, 1, input::DIMENSION_MAX_MM)?;
    }
    if let Some(v) = patch.weight_g {
        product.weight_g = input::optional_bounded("weight_g", v, 1, input::WEIGHT_MAX_G)?;
    }
    if let Some(price) = patch.price_minor {
        product.price = input::price(price, Some(product.price.currency.code()))?;
    }
    if let Some(stock) = patch.stock {
        product.stock = input::bounded("stock", stock, 0, input::STOCK_MAX)?;
    }
    if let Some(days) = patch.lead_time_days {
        product.lead_time_days = input::lead_time(days)?;
    }
    if let Some(status) = patch.status {
        product.status = status;
    }
    if let Some(photos) = patch.photos {
        product.photos = input::photos(photos)?;
    }
    if let Some(gtin) = patch.gtin {
        product.gtin = input::gtin(gtin)?;
    }
    Ok(())
}
