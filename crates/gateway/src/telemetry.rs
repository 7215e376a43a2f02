//! Logs (structured JSON by default), request ids (UUIDv7), and Prometheus metrics: requests,
//! latencies, cache hits and misses, and the outbox relay's deliveries and lag.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Request as HttpRequest},
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::ConstGauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};
use souk_cache::CacheStats;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogFormat, LogSettings};

/// Installs the global log subscriber (once per process; later calls are ignored).
pub fn init_logs(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    // Already installed (tests start several apps in one process): keep the first.
    drop(installed);
}

/// Request ids are UUIDv7, so they sort by time in logs.
#[derive(Clone, Copy, Default)]
pub struct MakeUuidV7;

impl MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(&mut self, _request: &HttpRequest<B>) -> Option<RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The metrics registry of one app.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
}

impl Metrics {
    pub fn new(cache: Arc<CacheStats>, relay: souk_notify::Relay) -> Self {
        let mut registry = Registry::with_prefix("souk");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.25 ms to about 4 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register_collector(Box::new(CacheCollector(cache)));
        registry.register_collector(Box::new(RelayCollector(relay)));
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// Counts every request by method, route template (never the raw path: ids would explode the
/// label set) and status, and times it.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Picks one count out of a family's counts.
type CountOf = fn(&souk_cache::FamilyCounts) -> u64;

/// The outbox relay's counters (since the process started) and lags (at its last round).
#[derive(Debug)]
struct RelayCollector(souk_notify::Relay);

impl Collector for RelayCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.stats();
        let counters = [
            (
                "relay_events",
                "Outbox events fanned out into deliveries",
                s.fanned_out,
            ),
            (
                "relay_delivered",
                "Deliveries that reached their recipient",
                s.delivered,
            ),
            (
                "relay_failed",
                "Delivery attempts that failed and will be retried",
                s.failed,
            ),
            (
                "relay_dead",
                "Deliveries given up after their last attempt",
                s.dead,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "relay_outbox_lag_seconds",
                "Age of the oldest outbox event not yet fanned out",
                s.outbox_lag_ms,
            ),
            (
                "relay_delivery_lag_seconds",
                "How long the most overdue delivery has been due",
                s.delivery_lag_ms,
            ),
        ];
        for (name, help, ms) in gauges {
            #[expect(
                clippy::cast_precision_loss,
                reason = "a lag in seconds for a dashboard"
            )]
            let gauge = ConstGauge::new(ms as f64 / 1000.0);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// Reads the cache's own counters at scrape time.
#[derive(Debug)]
struct CacheCollector(Arc<CacheStats>);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FamilyLabel {
    family: String,
}

impl Collector for CacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = self.0.snapshot();
        let series: [(&str, &str, CountOf); 3] = [
            ("cache_hits", "Reads answered from the cache", |c| c.hits),
            ("cache_misses", "Reads that went to the database", |c| {
                c.misses
            }),
            (
                "cache_errors",
                "Cache calls that failed (the database answered)",
                |c| c.errors,
            ),
        ];
        for (name, help, pick) in series {
            let counter = ConstCounter::new(0u64);
            let mut metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            for (family, counts) in &snapshot {
                let labels = FamilyLabel {
                    family: (*family).to_owned(),
                };
                ConstCounter::new(pick(counts)).encode(metric.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
