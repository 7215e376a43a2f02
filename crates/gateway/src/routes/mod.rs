//! The HTTP resources, one file each. Handlers are thin: extract, call one service, map.

pub mod artisans;
pub mod auth;
pub mod crafts;
pub mod health;
pub mod products;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Every documented route.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(crafts::list_crafts))
        .routes(routes!(artisans::get_artisan))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(products::get_product, products::update_product))
}
