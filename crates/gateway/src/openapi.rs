//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::{FieldProblem, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Souk",
        description = "The marketplace of certified crafts of the Fès-Meknès region. Errors are \
            application/problem+json with a stable `code`; money is integer minor units (MAD \
            centimes); times are UTC; ids are UUIDv7; lists are cursor-paginated.",
    ),
    tags(
        (name = "catalog", description = "Crafts, artisans and products"),
        (name = "auth", description = "Accounts and sign-in"),
        (name = "operations", description = "Health and metrics"),
        (name = "orders", description = "Checkout, orders, fulfilments per artisan"),
        (name = "payments", description = "Statements and payout batches"),
        (name = "labels", description = "Certifications, brand labels, verification, revocation"),
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
