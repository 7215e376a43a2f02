//! The GS1 Digital Link resolver for labels' QR codes: `/01/<gtin>/21/<serial>` and the brand's
//! equivalent `/p/<product>/21/<serial>`, as the GS1-Conformant Resolver Standard asks:
//! a syntax error is a 400 (never a 200); `?linkType=linkset` (or `all`, or
//! `Accept: application/linkset+json`) lists the item's links; a named link type redirects to
//! that link (404 if the item has none); otherwise a 307 to the default link, the verification
//! page in the language `Accept-Language` asks for. The query string is passed on.

use axum::{
    Json,
    extract::{OriginalUri, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use souk_kernel::Lang;
use souk_labels::{Serial, link::LabelLink};

use crate::{error::ApiError, extract::Language, routes::label_page, state::AppState};

const VOC: &str = "https://ref.gs1.org/voc/";
const LINKSET: &str = "application/linkset+json";

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// A link type as asked (`gs1:pip`, its full IRI, or its short name), without its prefix.
fn link_type(asked: &str) -> &str {
    asked
        .strip_prefix("gs1:")
        .or_else(|| asked.strip_prefix(VOC))
        .or_else(|| asked.strip_prefix("https://gs1.org/voc/"))
        .or_else(|| asked.strip_prefix("https://www.gs1.org/voc/"))
        .unwrap_or(asked)
}

/// Headers that let any page (an app's web view, a verifier) read the answer.
pub(crate) fn with_cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    response
}

/// The query to pass on: everything but `linkType` (and `lang`, which the redirect sets).
fn passed_on(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            key != "linkType" && key != "lang"
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The verification page of this request's link, in `lang`.
fn page_path(path: &str, query: &str, lang: Lang) -> String {
    let kept = passed_on(query);
    let sep = if kept.is_empty() { "" } else { "&" };
    format!(
        "/verify/{}?{kept}{sep}lang={}",
        path.trim_start_matches('/'),
        lang.code()
    )
}

fn redirect(location: &str, linkset: &str) -> Result<Response, ApiError> {
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(location).map_err(|e| ApiError::internal(&e))?,
    );
    if let Ok(link) =
        HeaderValue::from_str(&format!("<{linkset}>; rel=\"linkset\"; type=\"{LINKSET}\""))
    {
        headers.insert(header::LINK, link);
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("accept, accept-language"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(with_cors(response))
}

/// Resolves a label's link.
pub async fn resolve(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Language(lang): Language,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    let (link, others) = match LabelLink::parse_parts(path, query) {
        Ok(parsed) => parsed,
        Err(e) => {
            let error = ApiError::from(souk_labels::LabelsError::from(e));
            return Ok(with_cors(if wants_html(&headers) {
                label_page::invalid_link(lang, error.status())
            } else {
                error.into_response()
            }));
        }
    };
    let asked = others
        .iter()
        .find(|(k, _)| k == "linkType")
        .map(|(_, v)| v.as_str());
    let accepts_linkset = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(LINKSET));
    let linkset_url = format!("/{}?linkType=linkset", link.item_path());
    match asked.map(link_type) {
        Some("all" | "linkset") => linkset(&state, &link, path, query).await,
        None if accepts_linkset => linkset(&state, &link, path, query).await,
        None | Some("defaultLink" | "pip" | "verificationService") => {
            redirect(&page_path(path, query, lang), &linkset_url)
        }
        Some("certificationInfo") => {
            let view = known(&state, &link).await?;
            redirect(
                &format!("/v1/certifications/{}", view.certification.id),
                &linkset_url,
            )
        }
        Some(_) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "link_type_not_found",
            "This item has no link of that type",
        )
        .detail("link types: defaultLink, pip, certificationInfo, verificationService")),
    }
}

async fn known(
    state: &AppState,
    link: &LabelLink,
) -> Result<std::sync::Arc<souk_labels::LabelView>, ApiError> {
    let serial = Serial::parse(&link.serial).ok_or_else(|| ApiError::not_found("label"))?;
    state
        .labels
        .label(&serial)
        .await?
        .ok_or_else(|| ApiError::not_found("label"))
}

/// Every link of the item, as an RFC 9264 linkset in GS1's shape.
async fn linkset(
    state: &AppState,
    link: &LabelLink,
    path: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let view = known(state, link).await?;
    let base = &state.labels.settings().base_url;
    let page = |lang: Lang| format!("{base}{}", page_path(path, query, lang));
    let kept = passed_on(query);
    let pages: Vec<Value> = [Lang::Ar, Lang::Fr, Lang::En]
        .into_iter()
        .map(|lang| {
            json!({
                "href": page(lang),
                "title": label_page::title(lang),
                "hreflang": [lang.code()],
                "type": "text/html",
            })
        })
        .collect();
    let mut item = serde_json::Map::new();
    item.insert(
        "anchor".into(),
        json!(format!("{base}/{}", link.item_path())),
    );
    item.insert(
        "description".into(),
        json!(
            view.item
                .title
                .localize(Lang::Fr, view.item.default_lang)
                .map(|t| t.text)
        ),
    );
    item.insert(
        format!("{VOC}defaultLink"),
        json!([{"href": page(state.http.default_lang), "title": label_page::title(state.http.default_lang)}]),
    );
    item.insert(format!("{VOC}pip"), Value::Array(pages));
    item.insert(
        format!("{VOC}certificationInfo"),
        json!([{
            "href": format!("{base}/v1/certifications/{}", view.certification.id),
            "title": format!("{} {}", view.certification.standard, view.certification.standard_version),
            "type": "application/json",
        }]),
    );
    item.insert(
        format!("{VOC}verificationService"),
        json!([{
            "href": format!(
                "{base}/v1/labels/{}?link={}",
                view.serial,
                encode(&format!("/{}{}{}", link.item_path(), if kept.is_empty() { "" } else { "?" }, kept))
            ),
            "title": "Label verification (JSON)",
            "type": "application/json",
        }]),
    );
    let mut response = Json(json!({ "linkset": [Value::Object(item)] })).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(LINKSET));
    headers.insert(
        header::LINK,
        HeaderValue::from_static(
            "<https://ref.gs1.org/standards/resolver/linkset-context>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"",
        ),
    );
    Ok(with_cors(response))
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `OPTIONS` on a label's link: what the resolver allows, for browsers' CORS checks.
pub async fn options() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    with_cors(response)
}

/// `/.well-known/gs1resolver`: what this resolver resolves.
pub async fn description(State(state): State<AppState>) -> Response {
    let base = &state.labels.settings().base_url;
    with_cors(
        Json(json!({
            "name": format!("{} label resolver", state.labels.settings().brand_name),
            "resolverRoot": base,
            "supportedPrimaryKeys": ["01"],
            "supportedLinkType": [{"namespace": VOC, "prefix": "gs1:"}],
            "linkTypeDefaultCanBeLinkset": false,
            "supportedContextValuesEnumerated": [],
        }))
        .into_response(),
    )
}
