//! Cross-origin access to the `/v1` API for the web front ends named in `http.cors_origins`
//! (none by default: no CORS headers at all). The label resolver's public answers keep their
//! own `*` (`routes/resolver.rs`), whatever this says.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS rules for `origins` (checked by the configuration); `None` when there are none.
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            // The request headers the API reads, beyond those every browser may send.
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::ACCEPT_LANGUAGE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-souk-device"),
                HeaderName::from_static("x-request-id"),
            ])
            // The answer headers a page may read, beyond the safelisted ones.
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::RETRY_AFTER,
                header::CONTENT_DISPOSITION,
                header::WWW_AUTHENTICATE,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// Runs `/v1` requests through the CORS rules (a preflight is answered here); every other path
/// passes as it came.
pub async fn for_api(State(cors): State<CorsLayer>, request: Request, next: Next) -> Response {
    if !is_api(request.uri().path()) {
        return next.run(request).await;
    }
    match cors.layer(next).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn is_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_api_is_under_the_rules() {
        for path in ["/v1", "/v1/products", "/v1/auth/login"] {
            assert!(is_api(path), "{path}");
        }
        for path in [
            "/",
            "/v10",
            "/v1x/products",
            "/01/1234/21/ab",
            "/health/live",
            "/media/a",
        ] {
            assert!(!is_api(path), "{path}");
        }
    }

    #[test]
    fn no_origins_no_rules() {
        assert!(layer(&[]).is_none());
        assert!(layer(&["https://souk.ma".to_owned()]).is_some());
    }
}
