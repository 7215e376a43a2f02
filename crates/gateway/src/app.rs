//! Assembling the application: storage, cache, services, and the router with its middleware.

use std::{any::Any, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use souk_agents::{Agents, SyncSettings};
use souk_auth::{AuthService, AuthSettings, PasswordParams};
use souk_cache::{Cache, RedisBackend, RedisOptions};
use souk_catalog::{Catalog, CatalogSettings, Photos, TantivyIndex};
use souk_db::{Backend, DatabaseConnection, DbOptions};
use souk_labels::Labels;
use souk_media::PhotoStore;
use souk_orders::Orders;
use souk_payments::{Payments, StripeProvider};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{MigrateOnStart, Settings},
    cors,
    deadline::{self, Deadlines},
    error::{ApiError, RetryOnce},
    lifecycle::{Lifecycle, ShutdownPolicy},
    openapi::ApiDoc,
    routes,
    state::{AppState, Health, HttpPolicy, Services},
    telemetry::{self, MakeUuidV7, Metrics},
};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] souk_db::DbError),
    #[error("cannot read the database: {0}")]
    Query(String),
    #[error("cache: {0}")]
    Cache(#[from] souk_cache::CacheError),
    #[error("accounts: {0}")]
    Auth(#[from] souk_auth::AuthError),
    #[error("the database has migrations pending ({0}): run `souk migrate` first")]
    PendingMigrations(String),
    #[error("photo store: {0}")]
    Photos(#[from] souk_media::MediaError),
    #[error("demo data: {0}")]
    Seed(String),
    #[error("payments: {0}")]
    Payments(#[from] souk_payments::PaymentsError),
    #[error("labels: {0}")]
    Labels(#[from] souk_labels::LabelsError),
    #[error("search: {0}")]
    Search(#[from] souk_catalog::CatalogError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("outbox relay: {0}")]
    Notify(#[from] souk_notify::NotifyError),
}

/// A built application, ready to serve.
pub struct App {
    pub router: Router,
    pub state: AppState,
    /// How often this replica looks for lapsed reservations.
    pub expiry_interval: Duration,
    /// How often this replica flushes the label scans it buffered.
    pub scan_flush_interval: Duration,
    /// How often this replica reads the search change log.
    pub search_poll_interval: Duration,
    /// How often this replica relays the outbox.
    pub relay_interval: Duration,
    /// What it does after the shutdown signal.
    pub shutdown: ShutdownPolicy,
}

/// Opens the database the settings name (the SQLite default when none is configured).
pub async fn open_database(settings: &Settings) -> Result<DatabaseConnection, StartError> {
    let mut options = DbOptions::new(settings.database_url());
    options.max_connections = settings.database.max_connections;
    options.acquire_timeout = Duration::from_millis(settings.database.acquire_timeout_ms);
    Ok(souk_db::connect(&options).await?)
}

fn backend(settings: &Settings) -> Backend {
    Backend::of_url(&settings.database_url()).unwrap_or(Backend::Sqlite)
}

/// Applies or checks migrations as `database.migrate_on_start` says.
async fn prepare_schema(db: &DatabaseConnection, settings: &Settings) -> Result<(), StartError> {
    let migrate = match settings.database.migrate_on_start {
        MigrateOnStart::Always => true,
        MigrateOnStart::Never => false,
        MigrateOnStart::Auto => backend(settings) == Backend::Sqlite,
    };
    if migrate {
        souk_db::migrate_up(db).await?;
        return Ok(());
    }
    let pending = souk_db::pending_migrations(db).await?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(StartError::PendingMigrations(pending.join(", ")))
    }
}

/// The cache the settings name: Redis when a URL is configured, else in-process.
pub fn open_cache(settings: &Settings) -> Result<Cache, StartError> {
    let c = &settings.cache;
    let ttl = Duration::from_secs(c.ttl_seconds);
    match settings.redis_url() {
        Some(url) => {
            let options = RedisOptions {
                op_timeout: Duration::from_millis(c.op_timeout_ms),
                retry_after: Duration::from_millis(c.retry_after_ms),
            };
            Ok(Cache::new(
                Arc::new(RedisBackend::new(url, options)?),
                &c.namespace,
                ttl,
                c.local_entries,
            ))
        }
        None => Ok(Cache::in_process(&c.namespace, ttl, c.local_entries)),
    }
}

/// The photo store and bounds the settings name.
pub fn photos(settings: &Settings, work: souk_kernel::WorkSlots) -> Result<Photos, StartError> {
    let p = &settings.photos;
    let base = p.public_base_url.trim();
    Ok(Photos {
        store: PhotoStore::open(&settings.photo_storage())?,
        limits: settings.photo_limits(),
        work,
        uploads_per_hour: p.uploads_per_hour,
        public_base: if base.is_empty() {
            "/media".into()
        } else {
            base.to_owned()
        },
    })
}

pub fn auth_settings(settings: &Settings) -> AuthSettings {
    let a = &settings.auth;
    AuthSettings {
        token_ttl: Duration::from_secs(a.token_ttl_hours.saturating_mul(3600)),
        login_limit_per_account: a.login_limit_per_account,
        login_limit_per_address: a.login_limit_per_address,
        login_window: Duration::from_secs(a.login_window_seconds),
        password: PasswordParams {
            memory_kib: a.argon2_memory_kib,
            iterations: a.argon2_iterations,
            parallelism: a.argon2_parallelism,
        },
        reset_ttl: Duration::from_secs(a.reset_ttl_minutes.saturating_mul(60)),
        verification_ttl: Duration::from_secs(a.verification_ttl_hours.saturating_mul(3600)),
        email_limit_per_account: a.email_limit_per_account,
        email_limit_per_address: a.email_limit_per_address,
        email_window: Duration::from_secs(a.email_window_seconds),
        links_url: settings.account_links_url(),
    }
}

impl App {
    /// Opens storage, prepares the schema, seeds the demo on a first SQLite run, and builds the
    /// router.
    pub async fn build(settings: &Settings) -> Result<App, StartError> {
        let db = open_database(settings).await?;
        prepare_schema(&db, settings).await?;
        let cache = open_cache(settings)?;
        // One set of heavy-work slots for the whole replica: photos, label sheets and batches,
        // sync batches take turns in it, so their memory adds up to a bound.
        let work = settings.work_slots();
        let catalog = Catalog::with_search_index(
            db.clone(),
            cache.clone(),
            CatalogSettings {
                page_size: settings.catalog.page_size,
                cache_listings: settings.catalog.cache_listings,
            },
            search_index(settings)?,
        )
        .with_photos(photos(settings, work.clone())?);
        let auth = AuthService::new(db.clone(), cache.clone(), auth_settings(settings))?;
        let agents = Agents::new(
            db.clone(),
            catalog.clone(),
            auth.clone(),
            SyncSettings {
                max_operations: settings.agents.sync_max_operations,
                max_bytes: settings.agents.sync_max_bytes,
            },
        );
        let labels = Labels::new(
            db.clone(),
            cache.clone(),
            catalog.clone(),
            settings.label_settings(work),
        )?;
        if settings.demo.seed_on_first_run && backend(settings) == Backend::Sqlite {
            seed_demo(&catalog, &auth, &labels).await?;
        }
        let orders = Orders::new(db.clone(), catalog.clone(), settings.order_settings());
        if settings.payments.stripe_secret_key.is_empty() {
            tracing::info!("card payments are off: no Stripe key configured");
        }
        let payments = Payments::new(
            db.clone(),
            orders.clone(),
            StripeProvider::new(&settings.stripe_settings())?,
        );
        let relay = souk_notify::Relay::new(db.clone(), settings.relay_settings())?;
        let metrics = Arc::new(Metrics::new(cache.stats().clone(), relay.clone()));
        let state = AppState::new(Services {
            catalog,
            agents,
            orders,
            payments,
            labels,
            relay,
            label_answers: crate::routes::label_answers::LabelAnswers::new(
                usize::try_from(settings.labels.rendered_answers).unwrap_or(usize::MAX),
            ),
            // One parsed query per label scanned, as there is one rendered answer.
            scanned_links: crate::routes::scanned_links::ScannedLinks::new(
                usize::try_from(settings.labels.rendered_answers).unwrap_or(usize::MAX),
            ),
            auth,
            health: Health {
                db,
                cache: cache.clone(),
            },
            lifecycle: Arc::new(Lifecycle::default()),
            metrics,
            http: HttpPolicy {
                default_lang: settings.catalog.default_lang,
                trust_forwarded_for: settings.http.trust_forwarded_for,
            },
        });
        let router = router(state.clone(), settings);
        Ok(App {
            router,
            state,
            expiry_interval: Duration::from_millis(settings.orders.expiry_interval_ms),
            scan_flush_interval: Duration::from_millis(settings.labels.flush_interval_ms),
            search_poll_interval: Duration::from_millis(settings.search.poll_interval_ms.max(10)),
            relay_interval: Duration::from_millis(settings.notify.relay_interval_ms),
            shutdown: settings.shutdown_policy(),
        })
    }

    /// Serves until `shutdown` completes, then drains, closes and stops (see [`Lifecycle`]):
    /// returns once the requests in flight, the writes they started and the workers have ended,
    /// or when the grace period is over.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let lifecycle = self.state.lifecycle.clone();
        let labels = self.state.labels.clone();
        let workers = [
            tokio::spawn(expiry_worker(
                self.state.orders.clone(),
                self.expiry_interval,
                lifecycle.clone(),
            )),
            tokio::spawn(scan_flusher(
                labels.clone(),
                self.scan_flush_interval,
                lifecycle.clone(),
            )),
            tokio::spawn(search_follower(
                self.state.catalog.clone(),
                self.search_poll_interval,
                lifecycle.clone(),
            )),
            tokio::spawn(relay_worker(
                self.state.relay.clone(),
                self.relay_interval,
                lifecycle.clone(),
            )),
        ];
        let policy = self.shutdown;
        let (closing, closed_at) = tokio::sync::watch::channel(None);
        let signal = drain_then_close(shutdown, lifecycle.clone(), policy.drain, closing);
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(listener, service).with_graceful_shutdown(signal);
        let served = tokio::select! {
            served = server.into_future() => served,
            () = grace_over(closed_at.clone(), policy.grace) => {
                tracing::warn!("requests still in flight when the grace period ended");
                Ok(())
            }
        };
        let started = (*closed_at.borrow()).unwrap_or_else(tokio::time::Instant::now);
        let deadline = started + policy.grace;
        if !lifecycle.finish(deadline).await {
            tracing::warn!("writes still running when the grace period ended");
        }
        for worker in workers {
            if tokio::time::timeout_at(deadline, worker).await.is_err() {
                tracing::warn!("a background worker was still busy when the grace period ended");
            }
        }
        // The scans of the last moments are not lost with the process.
        match tokio::time::timeout_at(deadline, labels.flush_scans()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "last scans not written"),
            Err(_) => tracing::warn!("last scans not written: the grace period ended"),
        }
        tracing::info!("stopped");
        served
    }
}

/// The graceful-shutdown signal axum waits for: after `shutdown`, the replica drains for `drain`
/// (not ready, still serving), then says when it closed.
async fn drain_then_close(
    shutdown: impl Future<Output = ()>,
    lifecycle: Arc<Lifecycle>,
    drain: Duration,
    closing: tokio::sync::watch::Sender<Option<tokio::time::Instant>>,
) {
    shutdown.await;
    lifecycle.start_draining();
    tracing::info!(
        drain_ms = drain.as_millis(),
        "draining: not ready, still serving"
    );
    tokio::time::sleep(drain).await;
    tracing::info!("closing: no new connections; finishing the requests in flight");
    closing.send_replace(Some(tokio::time::Instant::now()));
}

/// Resolves `grace` after the replica closed (never, if it did not).
async fn grace_over(
    mut closed_at: tokio::sync::watch::Receiver<Option<tokio::time::Instant>>,
    grace: Duration,
) {
    let closed = closed_at
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|at| *at);
    match closed {
        Some(at) => tokio::time::sleep_until(at + grace).await,
        None => std::future::pending().await,
    }
}

/// The demo catalog and a few demo labels, on the first start of an empty database. The labels'
/// links are logged: open one to see a label verified.
async fn seed_demo(
    catalog: &Catalog,
    auth: &AuthService,
    labels: &Labels,
) -> Result<(), StartError> {
    let report = souk_demo::seed_demo(catalog)
        .await
        .map_err(|e| StartError::Seed(e.to_string()))?;
    if report.products == 0 {
        return Ok(());
    }
    tracing::info!(
        products = report.products,
        artisans = report.artisans,
        "demo catalog seeded"
    );
    let links = souk_demo::seed_labels(catalog, auth, labels, 3).await?;
    for link in &links {
        tracing::info!(%link, "demo label: open it to see it verified");
    }
    Ok(())
}

/// The replica's search index, in its folder, with the vocabulary of the trade.
fn search_index(settings: &Settings) -> Result<TantivyIndex, StartError> {
    let vocabulary = Arc::new(settings.search_vocabulary()?);
    let bytes = usize::try_from(settings.search.writer_memory_mb.saturating_mul(1_000_000))
        .unwrap_or(usize::MAX);
    Ok(TantivyIndex::open(
        &settings.search_index_dir(),
        vocabulary,
        bytes,
    )?)
}

/// Keeps this replica's search index in step with the database: builds it if it must (the
/// replica is not ready until then), then applies the change log every `every`, and forgets
/// changes older than the log keeps once an hour.
async fn search_follower(catalog: Catalog, every: Duration, lifecycle: Arc<Lifecycle>) {
    let feed = catalog.search_feed().clone();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = lifecycle.stopping() => return,
        }
        if let Err(e) = feed.catch_up().await {
            tracing::warn!(error = %e, "search change log not applied; will retry");
        }
        if last_prune.elapsed() >= Duration::from_secs(3600) {
            last_prune = tokio::time::Instant::now();
            match feed.prune().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "old search changes forgotten"),
                Err(e) => tracing::warn!(error = %e, "search change log not pruned"),
            }
        }
    }
}

/// Gives back the stock of orders whose reservation lapsed. Every replica runs one; expiring
/// locks the order and checks again, so no order is released twice. A sweep under way when the
/// replica stops runs to its end.
async fn expiry_worker(orders: Orders, every: Duration, lifecycle: Arc<Lifecycle>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = lifecycle.stopping() => return,
        }
        match orders.sweep(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "lapsed reservations released"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed; will retry"),
        }
    }
}

/// Relays the outbox: fans events out into deliveries and sends those that are due. Every
/// replica runs it; leases keep them from sending one delivery twice at once.
async fn relay_worker(relay: souk_notify::Relay, every: Duration, lifecycle: Arc<Lifecycle>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = lifecycle.stopping() => return,
        }
        if let Err(e) = relay.run_once().await {
            tracing::warn!(error = %e, "outbox relay round failed; will retry");
        }
    }
}

/// Writes the label scans this replica buffered and applies the clone rule to them. The last
/// flush is the shutdown's own.
async fn scan_flusher(labels: Labels, every: Duration, lifecycle: Arc<Lifecycle>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = lifecycle.stopping() => return,
        }
        if let Err(e) = labels.flush_scans().await {
            tracing::warn!(error = %e, "scan flush failed; will retry");
        }
    }
}

/// The router: documented API routes, the OpenAPI document and docs page, and the middleware
/// every request passes (request id, trace, CORS for `/v1` where configured, panic guard, body
/// limit, deadlines, metrics).
pub fn router(state: AppState, settings: &Settings) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::api())
        .merge(routes::uploads(settings.photos.max_upload_bytes))
        .split_for_parts();
    let deadlines = Deadlines {
        request: Duration::from_millis(settings.http.request_timeout_ms),
        body_idle: Duration::from_millis(settings.http.body_timeout_ms),
    };
    let routed = api
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .route("/media/{*key}", axum::routing::get(routes::photos::file))
        .merge(routes::label_links())
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(retry_lost_connection))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            telemetry::track,
        ))
        .layer(middleware::from_fn_with_state(
            state.lifecycle.clone(),
            close_when_draining,
        ))
        .layer(middleware::from_fn_with_state(deadlines, deadline::enforce))
        .layer(DefaultBodyLimit::max(settings.http.body_limit_bytes))
        .layer(CatchPanicLayer::custom(panic_response));
    // Outside the panic guard, so a 500 reaches the browser that asked for it.
    let routed = match cors::layer(&settings.http.cors_origins) {
        Some(rules) => routed.layer(middleware::from_fn_with_state(rules, cors::for_api)),
        None => routed,
    };
    routed
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeUuidV7))
        .with_state(state)
}

async fn route_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "No such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed on this route",
    )
}

/// Runs a read once more when the database dropped its connection under it (a restart, a
/// failover): the pool has discarded that connection, and the client gets an answer instead of
/// a 503. Only GET and HEAD, whose request has no body to replay.
async fn retry_lost_connection(request: Request, next: Next) -> Response {
    if !matches!(request.method(), &Method::GET | &Method::HEAD) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let again = Request::from_parts(parts.clone(), axum::body::Body::empty());
    let response = next.clone().run(Request::from_parts(parts, body)).await;
    if response.extensions().get::<RetryOnce>().is_none() {
        return response;
    }
    tracing::info!("database connection lost under a read; trying it once more");
    next.run(again).await
}

/// While draining, every answer asks its client to close the connection, so keep-alive clients
/// and proxies open their next one to a replica that stays.
async fn close_when_draining(
    State(lifecycle): State<Arc<Lifecycle>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if lifecycle.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::internal(&"a handler panicked").into_response()
}
