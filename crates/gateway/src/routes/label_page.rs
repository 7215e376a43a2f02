//! The page a label's QR code opens: at once, in the reader's language (Arabic right to left,
//! French, English), whether the label is authentic, the item and its photo, its maker as far as
//! they agreed, the certification and its certifier, whether it is sold or revoked, a warning if
//! it looks cloned, and a form to report a fake. Plain HTML, no script, small enough for a poor
//! connection. Also the page for a short code typed by hand.

use axum::{
    body::Bytes,
    extract::{OriginalUri, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use souk_kernel::Lang;
use souk_labels::{
    Channel, LabelState, NotAuthentic, ReportInput, Target, Verdict, Verification, link::LabelLink,
};

use crate::{
    error::ApiError,
    extract::{ApiQuery, LabelScanner, Language},
    routes::label_text::{Text, text},
    state::AppState,
};

/// The page's title in a language (also the linkset's link titles).
pub fn title(lang: Lang) -> &'static str {
    text(lang).title
}

const STYLE: &str = "
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans Arabic',sans-serif;background:#f6f3ee;color:#1d1b18}
main{max-width:34rem;margin:0 auto;padding:1rem}
.verdict{border-radius:.8rem;padding:1rem 1.2rem;color:#fff;margin:.5rem 0 1rem}
.verdict h1{margin:0;font-size:1.9rem}.verdict p{margin:.3rem 0 0}
.ok{background:#17803d}.bad{background:#b3261e}.revoked{background:#b35c00}
.warning{border:2px solid #b35c00;background:#fff4e5;border-radius:.6rem;padding:.7rem 1rem;margin-bottom:1rem}
.warning strong{display:block}
section{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin-bottom:.8rem}
h2{font-size:.85rem;text-transform:uppercase;letter-spacing:.04em;color:#6b645b;margin:0 0 .3rem}
.photo{width:100%;border-radius:.5rem;max-height:18rem;object-fit:cover}
.code{font-family:ui-monospace,monospace;font-size:1.2rem;letter-spacing:.08em}
.muted{color:#6b645b;font-size:.9rem}
nav{display:flex;gap:.8rem;justify-content:flex-end;font-size:.9rem}
nav a{color:#1d1b18}
form label{display:block;margin:.4rem 0 .1rem}
select,textarea,input{width:100%;font:inherit;padding:.4rem;border:1px solid #c9c1b6;border-radius:.4rem}
button{margin-top:.6rem;font:inherit;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#1d1b18;color:#fff}
";

fn layout(t: &Text, switch: &dyn Fn(Lang) -> String, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(t.lang) dir=(t.dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (t.title) }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                main {
                    nav {
                        a href=(switch(Lang::Ar)) lang="ar" { "العربية" }
                        a href=(switch(Lang::Fr)) lang="fr" { "Français" }
                        a href=(switch(Lang::En)) lang="en" { "English" }
                    }
                    (body)
                }
            }
        }
    }
}

fn html_response(status: StatusCode, lang: &str, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    let headers = response.headers_mut();
    if let Ok(lang) = HeaderValue::from_str(lang) {
        headers.insert(header::CONTENT_LANGUAGE, lang);
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
    // Every view is a scan, and says whether it looks cloned: never from a shared cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn verdict_block(t: &Text, v: &Verification) -> Markup {
    let (class, heading, detail) = match v.verdict {
        Verdict::Authentic => ("ok", t.authentic, t.authentic_detail),
        Verdict::Revoked => ("revoked", t.revoked, t.revoked_detail),
        Verdict::NotAuthentic(why) => (
            "bad",
            t.not_authentic,
            match why {
                NotAuthentic::UnknownSerial | NotAuthentic::Malformed => t.unknown_serial,
                NotAuthentic::Unsigned => t.unsigned,
                NotAuthentic::UnknownKey => t.unknown_key,
                NotAuthentic::BadSignature | NotAuthentic::Mismatch => t.altered,
            },
        ),
    };
    html! {
        div.verdict.(class) id="verdict" data-verdict=(v.verdict.as_str()) {
            h1 { (if class == "ok" { "✓ " } else { "✗ " }) (heading) }
            p { (detail) }
        }
    }
}

fn details(t: &Text, v: &Verification) -> Markup {
    let lang = t.page_lang();
    let Some(view) = v.view.as_ref() else {
        return html! {};
    };
    let today = chrono::Utc::now().date_naive();
    let cert = &view.certification;
    let title = view
        .item
        .title
        .localize(lang, view.item.default_lang)
        .map(|l| l.text)
        .unwrap_or_default();
    let craft = view
        .item
        .craft_name
        .localize(lang, Lang::Fr)
        .map(|l| l.text)
        .unwrap_or_default();
    let maker = v.maker.as_deref();
    let maker_name = maker
        .and_then(|m| {
            m.name
                .as_ref()
                .and_then(|n| n.localize(lang, m.default_lang))
        })
        .map(|l| l.text);
    html! {
        @if matches!(v.verdict, Verdict::NotAuthentic(_)) {
            p.muted { (t.the_real_label) }
        }
        @if v.suspect.is_some() && !matches!(v.verdict, Verdict::NotAuthentic(_)) {
            div.warning id="warning" role="alert" {
                strong { "⚠ " (t.warning_title) }
                (t.warning_detail)
            }
        }
        section id="item" {
            h2 { (t.item) }
            @if let Some(photo) = &view.item.photo {
                img.photo src=(photo) alt=(title);
            }
            p { strong { (title) } br; span.muted { (craft) } }
        }
        section id="maker" {
            h2 { (t.maker) }
            @match maker_name {
                Some(name) => {
                    p {
                        (name)
                        @if let Some(commune) = maker.and_then(|m| m.commune.as_ref()) {
                            " — " (commune)
                        }
                        @if let Some(coop) = maker.and_then(|m| m.cooperative.as_ref()) {
                            br; span.muted { (coop) }
                        }
                    }
                }
                None => { p { (t.anonymous_maker) } }
            }
        }
        section id="certification" {
            h2 { (t.certification) }
            p {
                strong { (cert.standard) " " (cert.standard_version) } br;
                (t.certified_by) " " (cert.certifier_name) br;
                span.muted { (t.inspected_on) " " (t.date(cert.inspected_on)) } br;
                @if cert.valid_until >= today {
                    (t.valid_until) " " (t.date(cert.valid_until))
                } @else {
                    (t.ended_on) " " (t.date(cert.valid_until)) ". " span.muted { (t.ended_note) }
                }
                @if cert.line { br; span.muted { (t.line_note) } }
            }
        }
        section id="status" {
            h2 { (t.status) }
            p {
                @match v.state {
                    Some(LabelState::Sold { on }) => { (t.sold_on) " " (t.date(on)) }
                    Some(LabelState::Revoked { on }) => {
                        (t.revoked_on) " " (t.date(on))
                        @if let Some(reason) = &view.revoked_reason { br; span.muted { (reason) } }
                    }
                    _ => { (t.status_valid) }
                }
                @if let Some(owner) = v.ownership {
                    br;
                    @if owner.yours {
                        (t.registered_to_you) " " (t.date(owner.since.date_naive()))
                        @if owner.registered_now { ". " (t.just_registered) }
                    } @else {
                        (t.registered_since) " " (t.date(owner.since.date_naive()))
                    }
                }
            }
            p.muted {
                (t.code) " " span.code { (view.serial.short_code()) } " · "
                (t.issued_on) " " (t.date(view.issued_on))
            }
        }
    }
}

fn report_form(t: &Text, serial: &str) -> Markup {
    html! {
        section id="report" {
            h2 { (t.report_title) }
            p.muted { (t.report_intro) }
            form method="post" action="/verify/report" {
                input type="hidden" name="serial" value=(serial);
                input type="hidden" name="lang" value=(t.lang);
                label for="reason" { (t.reason) }
                select id="reason" name="reason" {
                    @for (value, label) in t.reasons { option value=(value) { (label) } }
                }
                label for="details" { (t.details) }
                textarea id="details" name="details" rows="3" maxlength="2000" {}
                label for="contact" { (t.contact) }
                input id="contact" name="contact" maxlength="200";
                button type="submit" { (t.send) }
            }
        }
    }
}

fn verification_page(t: &Text, v: &Verification, switch: &dyn Fn(Lang) -> String) -> Markup {
    layout(
        t,
        switch,
        html! {
            (verdict_block(t, v))
            (details(t, v))
            (report_form(t, &v.serial))
        },
    )
}

fn status_of(v: &Verification) -> StatusCode {
    if v.view.is_none() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    }
}

/// The same page in another language: this request's path and query, `lang` replaced.
fn switcher(path: &str, query: &str) -> impl Fn(Lang) -> String + use<> {
    let path = path.to_owned();
    let kept: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .map(str::to_owned)
        .collect();
    move |lang: Lang| {
        let mut q = kept.clone();
        q.push(format!("lang={}", lang.code()));
        format!("{path}?{}", q.join("&"))
    }
}

/// The page for a link that is not a label link (the resolver's answer to browsers): 400 for
/// a syntax error, 404 for a well-formed link of no label.
pub fn invalid_link(lang: Lang, status: StatusCode) -> Response {
    let t = text(lang);
    let page = layout(
        t,
        &|l: Lang| format!("/verify?lang={}", l.code()),
        html! {
            div.verdict.bad id="verdict" data-verdict="invalid_link" {
                h1 { "✗ " (t.invalid_link) }
                p { (t.invalid_link_detail) }
            }
        },
    );
    html_response(status, t.lang, page)
}

/// The page a QR code opens (through the resolver's redirect): `/verify/01/<gtin>/21/<serial>`.
pub async fn page(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Language(lang): Language,
    LabelScanner(mut scanner): LabelScanner,
) -> Result<Response, ApiError> {
    let t = text(lang);
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    let link_path = path.strip_prefix("/verify").unwrap_or(path);
    let (link, _) = match LabelLink::parse_parts(link_path, query) {
        Ok(parsed) => parsed,
        Err(souk_labels::link::LinkError::NotALabel) => {
            return Ok(invalid_link(lang, StatusCode::NOT_FOUND));
        }
        Err(_) => return Ok(invalid_link(lang, StatusCode::BAD_REQUEST)),
    };
    scanner.channel = Channel::Page;
    let verification = state.labels.verify(Target::Link(link), &scanner).await?;
    let page = verification_page(t, &verification, &switcher(path, query));
    Ok(html_response(status_of(&verification), t.lang, page))
}

#[derive(Debug, Deserialize)]
pub struct CodeParams {
    pub code: Option<String>,
}

/// `/verify`: a form for the short code printed beside the QR code, and its answer.
pub async fn code_page(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<CodeParams>,
    LabelScanner(mut scanner): LabelScanner,
) -> Result<Response, ApiError> {
    let t = text(lang);
    let switch = switcher(uri.path(), uri.query().unwrap_or_default());
    let form = html! {
        section id="enter-code" {
            form method="get" action="/verify" {
                input type="hidden" name="lang" value=(t.lang);
                label for="code" { (t.enter_code) }
                input id="code" name="code" placeholder=(t.enter_code_hint) autocomplete="off" value=[params.code.as_deref()];
                button type="submit" { (t.check) }
            }
        }
    };
    let Some(code) = params.code.filter(|c| !c.trim().is_empty()) else {
        return Ok(html_response(
            StatusCode::OK,
            t.lang,
            layout(t, &switch, form),
        ));
    };
    scanner.channel = Channel::Page;
    let verification = state.labels.verify(Target::Code(code), &scanner).await?;
    let page = layout(
        t,
        &switch,
        html! {
            (verdict_block(t, &verification))
            (details(t, &verification))
            (form)
            (report_form(t, &verification.serial))
        },
    );
    Ok(html_response(status_of(&verification), t.lang, page))
}

#[derive(Debug, Deserialize)]
struct ReportForm {
    serial: String,
    reason: String,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// The page's "report a fake" form.
pub async fn report(
    State(state): State<AppState>,
    LabelScanner(mut scanner): LabelScanner,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form: ReportForm = serde_urlencoded::from_bytes(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "The form has wrong or missing fields",
        )
        .detail(e.to_string())
    })?;
    let lang = form
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or(state.http.default_lang);
    let t = text(lang);
    scanner.channel = Channel::Page;
    state
        .labels
        .report(
            ReportInput {
                serial: form.serial,
                reason: form.reason,
                details: form.details,
                contact: form.contact,
            },
            &scanner,
        )
        .await?;
    let page = layout(
        t,
        &|l: Lang| format!("/verify?lang={}", l.code()),
        html! { section id="thanks" { p { (t.thanks) } } },
    );
    Ok(html_response(StatusCode::CREATED, t.lang, page))
}
