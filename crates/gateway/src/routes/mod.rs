//! The HTTP resources, one file each. Handlers are thin: extract, call one service, map.

pub mod admin;
pub mod agency;
pub mod artisans;
pub mod auth;
pub mod certifications;
pub mod crafts;
pub mod fulfilments;
pub mod health;
pub mod label_answers;
pub mod label_page;
mod label_text;
pub mod labels;
pub mod me;
pub mod orders;
pub mod payouts;
pub mod photos;
pub mod products;
pub mod resolver;
pub mod scanned_links;
pub mod sync;
pub mod webhooks;

use utoipa::Modify;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{openapi::SharedAnswers, state::AppState};

/// A router's operations with the refusals they share (bad input, no token, no such id...)
/// documented once each: added now that the router has collected its paths.
fn documented(mut router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    SharedAnswers.modify(router.get_openapi_mut());
    router
}

/// Every documented route.
pub fn api() -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_everywhere))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::verify_email))
        .routes(routes!(me::get_me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(me::request_verification))
        .routes(routes!(me::list_addresses, me::add_address))
        .routes(routes!(
            me::get_address,
            me::replace_address,
            me::delete_address
        ))
        .routes(routes!(crafts::list_crafts))
        .routes(routes!(crafts::list_all_crafts, crafts::add_craft))
        .routes(routes!(crafts::rename_craft))
        .routes(routes!(crafts::retire_craft))
        .routes(routes!(webhooks::register_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::delivery_log))
        .routes(routes!(webhooks::replay_delivery))
        .routes(routes!(artisans::get_artisan))
        .routes(routes!(artisans::list_artisans))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(products::get_product, products::update_product))
        .routes(routes!(agency::onboard_artisan, agency::my_artisans))
        .routes(routes!(agency::my_products))
        .routes(routes!(agency::me))
        .routes(routes!(agency::claim_code))
        .routes(routes!(agency::claim))
        .routes(routes!(agency::record))
        .routes(routes!(agency::set_grants))
        .routes(routes!(agency::set_payout))
        .routes(routes!(agency::audit))
        .routes(routes!(admin::create_agent))
        .routes(routes!(admin::update_agent))
        .routes(routes!(admin::assign_agent))
        .routes(routes!(admin::list_accounts))
        .routes(routes!(sync::sync))
        .routes(routes!(photos::list))
        .routes(routes!(orders::quote))
        .routes(routes!(orders::place, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::confirm))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::refund))
        .routes(routes!(fulfilments::list))
        .routes(routes!(fulfilments::get))
        .routes(routes!(fulfilments::accept))
        .routes(routes!(fulfilments::ship))
        .routes(routes!(fulfilments::deliver))
        .routes(routes!(fulfilments::refuse))
        .routes(routes!(fulfilments::remit))
        .routes(routes!(payouts::statement))
        .routes(routes!(payouts::create_batch, payouts::list_batches))
        .routes(routes!(payouts::get_batch))
        .routes(routes!(payouts::batch_csv))
        .routes(routes!(payouts::receipt))
        .routes(routes!(payouts::pay))
        .routes(routes!(payouts::stripe_webhook))
        .routes(routes!(
            certifications::certify,
            certifications::list_certifications
        ))
        .routes(routes!(certifications::get_certification))
        .routes(routes!(certifications::issue_labels))
        .routes(routes!(labels::get_batch))
        .routes(routes!(labels::batch_labels))
        .routes(routes!(labels::list_batches))
        .routes(routes!(labels::product_labels))
        .routes(routes!(labels::get_sheet))
        .routes(routes!(labels::qr_png))
        .routes(routes!(labels::qr_svg))
        .routes(routes!(labels::verify))
        .routes(routes!(labels::revoke))
        .routes(routes!(labels::attach))
        .routes(routes!(labels::send_with))
        .routes(routes!(labels::report))
        .routes(routes!(labels::list_reports))
        .routes(routes!(labels::get_keys))
        .routes(routes!(labels::get_revocations))
        .routes(routes!(labels::clear_suspicion))
        .routes(routes!(labels::set_disclosure));
    documented(router)
}

/// What a label's QR code opens: the GS1 resolver and the verification pages (HTML, not in the
/// OpenAPI document).
pub fn label_links() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/01/{*rest}",
            get(resolver::resolve).options(resolver::options),
        )
        .route(
            "/p/{*rest}",
            get(resolver::resolve).options(resolver::options),
        )
        .route("/.well-known/gs1resolver", get(resolver::description))
        .route("/verify", get(label_page::code_page))
        .route("/verify/report", post(label_page::report))
        .route("/verify/{*rest}", get(label_page::page))
}

/// Photo uploads: the only routes whose bodies may exceed the general body limit.
pub fn uploads(max_bytes: usize) -> OpenApiRouter<AppState> {
    // Room for the multipart framing around the photo itself.
    let limit = max_bytes.saturating_add(64 * 1024);
    let router = OpenApiRouter::new()
        .routes(routes!(photos::upload))
        .layer(axum::extract::DefaultBodyLimit::max(limit));
    documented(router)
}
