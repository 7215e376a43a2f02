//! Liveness, readiness, and metrics for operators and orchestrators.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{dto::CheckStatus, state::AppState};

#[derive(Serialize, ToSchema)]
pub struct Live {
    status: &'static str,
}

/// The process is up. Checks nothing else: a restart would not fix a database outage.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, body = Live)))]
pub async fn live() -> Json<Live> {
    Json(Live { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    status: CheckStatus,
    database: CheckStatus,
    cache: CheckStatus,
    search: CheckStatus,
}

/// Ready for traffic: the database answers, the search index is built, and Redis answers too when
/// one is configured. While Redis is down the service still answers (from the database), so that
/// alone does not fail readiness; it shows as `cache: down`. Until the replica's search index is
/// built from the database it is `search: building` (503). From SIGTERM on, a replica is
/// `draining`: 503 while it finishes.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    responses((status = 200, body = Ready), (status = 503, body = Ready))
)]
pub async fn ready(State(state): State<AppState>) -> Response {
    if state.lifecycle.is_draining() {
        let body = Ready {
            status: CheckStatus::Draining,
            database: CheckStatus::Draining,
            cache: CheckStatus::Draining,
            search: CheckStatus::Draining,
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let database = match souk_db::ping(&state.health.db).await {
        Ok(()) => CheckStatus::Ok,
        Err(err) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            CheckStatus::Down
        }
    };
    let cache = match (
        state.health.cache.backend_kind(),
        state.health.cache.ping().await,
    ) {
        ("memory", _) => CheckStatus::Disabled,
        (_, Ok(())) => CheckStatus::Ok,
        (_, Err(_)) => CheckStatus::Down,
    };
    let search = if state.catalog.search_feed().is_ready() {
        CheckStatus::Ok
    } else {
        CheckStatus::Building
    };
    let ok = matches!(database, CheckStatus::Ok) && matches!(search, CheckStatus::Ok);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Ready {
        status: if ok {
            CheckStatus::Ok
        } else {
            CheckStatus::Down
        },
        database,
        cache,
        search,
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics (OpenMetrics text): requests, latencies, cache hits and misses.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
