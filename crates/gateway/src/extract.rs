//! Extractors that turn requests into typed input, and refuse bad input with a problem report
//! in the same shape as every other error.

use axum::{
    body::Bytes,
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request,
        rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection},
    },
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;
use souk_auth::Principal;
use souk_kernel::{Lang, negotiate_accept_language};

use crate::{error::ApiError, state::AppState};

/// A JSON body; malformed, mistyped or oversized bodies become problem reports.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "The body has wrong or missing fields",
        )
        .detail(e.body_text()),
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not valid JSON",
        )
        .detail(e.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e) => body_rejection(e),
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            "The body could not be read",
        )
        .detail(other.body_text()),
    }
}

/// A body read whole, as it came (a signed webhook's exact payload); over the body limit or
/// cut short, a problem report like every other body's.
pub struct RawBody(pub Bytes);

impl<S> FromRequest<S> for RawBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| body_rejection(&rejection))
    }
}

/// Why a body could not be read: the one mapping of every body extractor's failure.
fn body_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The body is too large",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            "The body could not be read",
        )
        .detail(rejection.body_text())
    }
}

/// Query-string parameters.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "The query string is invalid",
    )
    .detail(rejection.body_text())
}

/// Path parameters (ids): a malformed one is a 400, not a 404.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_path",
        "A path parameter is invalid",
    )
    .detail(rejection.body_text())
}

/// The language to answer in: `lang` in the query, else `Accept-Language`, else the default.
#[derive(Clone, Copy, Debug)]
pub struct Language(pub Lang);

impl FromRequestParts<AppState> for Language {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Read in place: the query of a scanned label is long, and only `lang` is wanted here,
        // so only a key that may be `lang` is decoded, never the other values.
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                let maybe = key == "lang" || key.contains(['%', '+']);
                maybe
                    .then(|| form_urlencoded::parse(pair.as_bytes()).next())
                    .flatten()
                    .filter(|(k, _)| k == "lang")
                    .map(|(_, v)| v)
            })
        });
        if let Some(tag) = from_query {
            return tag.parse::<Lang>().map(Language).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "The query string is invalid",
                )
                .detail(e.to_string())
            });
        }
        let accepted = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(negotiate_accept_language);
        Ok(Language(accepted.unwrap_or(state.http.default_lang)))
    }
}

fn bearer(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(ApiError::unauthenticated);
    Some(token)
}

/// The signed-in caller; a request without a valid token is refused with 401.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (principal, _) = signed_in(parts, state).await?;
        Ok(Authenticated(principal))
    }
}

/// Who holds the request's bearer token, and the token; 401 without a live one.
async fn signed_in<'a>(
    parts: &'a Parts,
    state: &AppState,
) -> Result<(Principal, &'a str), ApiError> {
    let token = bearer(parts).ok_or_else(ApiError::unauthenticated)??;
    Ok((state.auth.authenticate(token).await?, token))
}

/// The caller and the token they signed in with (to end that session, or to keep it).
pub struct SignedIn {
    pub principal: Principal,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (principal, token) = signed_in(parts, state).await?;
        Ok(SignedIn {
            principal,
            token: token.to_owned(),
        })
    }
}

/// The caller if they sent a token (an invalid token is still refused, not ignored).
pub struct MaybeAuthenticated(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeAuthenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            None => Ok(MaybeAuthenticated(None)),
            Some(token) => Ok(MaybeAuthenticated(Some(
                state.auth.authenticate(token?).await?,
            ))),
        }
    }
}

/// The client's address, for per-address limits. Behind a trusted proxy, the first address of
/// `X-Forwarded-For`.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.http.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(ClientAddr(forwarded.to_owned()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| ip_text(c.0.ip()));
        Ok(ClientAddr(peer.unwrap_or_else(|| "unknown".into())))
    }
}

/// An address as text, as `Display` writes it. IPv4 is written by hand: this runs on every
/// label scan, and the formatting machinery costs several times more.
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// Who is scanning a label, as far as a scan may know: their account if signed in, the app's
/// install id (`X-Souk-Device`), the browser and the address. The handler says the channel, and
/// the coarse place if the scanner gave one.
pub struct LabelScanner(pub souk_labels::Scanner);

impl FromRequestParts<AppState> for LabelScanner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeAuthenticated(principal) =
            MaybeAuthenticated::from_request_parts(parts, state).await?;
        let ClientAddr(client_addr) = ClientAddr::from_request_parts(parts, state).await?;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(LabelScanner(souk_labels::Scanner {
            principal,
            device_hint: header("x-souk-device"),
            user_agent: header("user-agent").unwrap_or_default(),
            client_addr,
            place_hint: None,
            channel: souk_labels::Channel::Api,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_display_writes_them() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "9.10.99.100",
            "196.200.10.255",
            "::1",
            "2001:db8::8a2e:370:7334",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"));
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }
}
