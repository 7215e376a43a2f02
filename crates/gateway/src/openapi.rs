//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, Ref, RefOr, Response, ResponseBuilder, Schema, Type,
        path::{Operation, ParameterIn},
        schema::SchemaType,
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use crate::error::{FieldProblem, PROBLEM_JSON, Problem};

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

/// What a request has that an answer may be refused for.
#[derive(Clone, Copy, Debug, Default)]
struct Inputs {
    path: bool,
    query: bool,
    body: bool,
    json_body: bool,
    bearer: bool,
}

/// One refusal many operations share: given by an extractor or a middleware, not by the
/// handler, so it is documented once, in `components.responses`, and referenced.
struct SharedAnswer {
    name: &'static str,
    status: &'static str,
    description: &'static str,
    given_to: fn(Inputs) -> bool,
}

/// Every shared refusal, and which operations can get it. Read from what the extractors
/// (`extract.rs`), the error mapping (`error.rs`) and the middleware (`app.rs`, `deadline.rs`)
/// really answer.
const SHARED_ANSWERS: [SharedAnswer; 8] = [
    SharedAnswer {
        name: "BadRequest",
        status: "400",
        description: "A path parameter, the query string or the body is malformed: \
            `invalid_path`, `invalid_query`, `invalid_cursor`, `malformed_json`, \
            `unreadable_body`, `unstorable_text`",
        given_to: |i| i.path || i.query || i.body,
    },
    SharedAnswer {
        name: "Unauthorized",
        status: "401",
        description: "The bearer token is missing, unknown or expired: `unauthenticated`",
        given_to: |i| i.bearer,
    },
    SharedAnswer {
        name: "NotFound",
        status: "404",
        description: "Nothing with this id, or nothing the caller may see: `not_found`",
        given_to: |i| i.path,
    },
    SharedAnswer {
        name: "RequestTimeout",
        status: "408",
        description: "The client stopped sending its body: `body_timeout`",
        given_to: |i| i.body,
    },
    SharedAnswer {
        name: "PayloadTooLarge",
        status: "413",
        description: "The body is over the size limit: `payload_too_large`",
        given_to: |i| i.body,
    },
    SharedAnswer {
        name: "UnsupportedMediaType",
        status: "415",
        description: "The body is not sent as `Content-Type: application/json`: \
            `unsupported_media_type`",
        given_to: |i| i.json_body,
    },
    SharedAnswer {
        name: "UnprocessableContent",
        status: "422",
        description: "The body has wrong or missing fields (`invalid_body`), or the value of a \
            field or parameter is refused (`validation_failed`, with `errors`): a `limit` out of \
            range, a slug that cannot be one",
        given_to: |i| i.path || i.query || i.json_body,
    },
    SharedAnswer {
        name: "ServiceUnavailable",
        status: "503",
        description: "A service Souk depends on is down, every slot for heavy work is taken, or \
            the answer took too long: `service_unavailable`, `busy`, `request_timeout`; \
            `Retry-After` says when to try again, when known",
        given_to: |_| true,
    },
];

/// Adds to every operation the problem reports of [`SHARED_ANSWERS`] it can get but does not
/// list, each a `$ref` to its one entry in `components.responses`. An answer a handler lists
/// with its own description (which `code`s it means) stays; a bare one is replaced by the
/// reference. Applied to each router's paths (see `routes::api`), after they are collected.
pub struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for answer in &SHARED_ANSWERS {
            let response = ResponseBuilder::new()
                .description(answer.description)
                .content(
                    PROBLEM_JSON,
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                )
                .build();
            components
                .responses
                .insert(answer.name.to_owned(), RefOr::T(response));
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
                &mut item.query,
            ];
            for operation in operations.into_iter().flatten() {
                add_shared_answers(operation);
            }
        }
    }
}

fn add_shared_answers(operation: &mut Operation) {
    let inputs = inputs(operation);
    let responses = &mut operation.responses.responses;
    for answer in SHARED_ANSWERS.iter().filter(|a| (a.given_to)(inputs)) {
        let listed_as_its_own = match responses.get(answer.status) {
            None => false,
            Some(RefOr::T(listed)) => !is_bare_problem(listed),
            Some(RefOr::Ref(_)) => true,
        };
        if !listed_as_its_own {
            let shared = RefOr::Ref(Ref::from_response_name(answer.name));
            responses.insert(answer.status.to_owned(), shared);
        }
    }
}

/// A problem report listed with nothing of its own to say: no description, no other body.
fn is_bare_problem(response: &Response) -> bool {
    response.description.trim().is_empty()
        && response.content.keys().all(|media| media == PROBLEM_JSON)
}

fn inputs(operation: &Operation) -> Inputs {
    let mut inputs = Inputs::default();
    for parameter in operation.parameters.iter().flatten() {
        if let RefOr::T(parameter) = parameter {
            match parameter.parameter_in {
                ParameterIn::Path => inputs.path = true,
                ParameterIn::Query | ParameterIn::QueryString => inputs.query = true,
                ParameterIn::Header | ParameterIn::Cookie => {}
            }
        }
    }
    if let Some(body) = &operation.request_body {
        inputs.body = true;
        inputs.json_body = match body {
            RefOr::T(body) => body
                .content
                .get("application/json")
                .is_some_and(|content| !is_raw_text(content)),
            RefOr::Ref(_) => false,
        };
    }
    // Required (`[bearer]`) or optional (`[{}, bearer]`): a token sent is checked either way.
    let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
    inputs.bearer = operation
        .security
        .iter()
        .flatten()
        .any(|requirement| *requirement == bearer);
    inputs
}

/// A body documented as JSON text read raw, not by `ApiJson` (Stripe's signed webhook): its
/// content type and fields are not checked by an extractor.
fn is_raw_text(content: &RefOr<Content>) -> bool {
    let RefOr::T(content) = content else {
        return false;
    };
    matches!(
        &content.schema,
        Some(RefOr::T(Schema::Object(object)))
            if object.schema_type == SchemaType::Type(Type::String)
    )
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::{
        HttpMethod, PathItem,
        path::{OperationBuilder, ParameterBuilder},
        request_body::RequestBodyBuilder,
    };

    use super::*;

    fn statuses(openapi: &utoipa::openapi::OpenApi, path: &str) -> Vec<String> {
        let item = openapi.paths.paths.get(path);
        let operation = item.and_then(|i| i.get.as_ref().or(i.post.as_ref()));
        operation
            .map(|o| o.responses.responses.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn document(operations: Vec<(&str, HttpMethod, Operation)>) -> utoipa::openapi::OpenApi {
        let mut openapi = ApiDoc::openapi();
        for (path, method, operation) in operations {
            openapi
                .paths
                .paths
                .insert(path.to_owned(), PathItem::new(method, operation));
        }
        SharedAnswers.modify(&mut openapi);
        openapi
    }

    #[test]
    fn each_operation_gets_the_refusals_its_inputs_can_cause() {
        let get_by_id = OperationBuilder::new()
            .parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path),
            )
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .response("200", Response::new("the thing"))
            .response(
                "404",
                ResponseBuilder::new()
                    .content(
                        PROBLEM_JSON,
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
            .build();
        let post_json = OperationBuilder::new()
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", Content::new(None::<Ref>))
                    .build(),
            ))
            .response("201", Response::new("made"))
            .response(
                "422",
                Response::new("`consent_required`: the artisan's consent is not on record"),
            )
            .build();
        let ready = OperationBuilder::new()
            .response("200", Response::new("ready"))
            .response(
                "503",
                ResponseBuilder::new()
                    .content("application/json", Content::new(None::<Ref>))
                    .build(),
            )
            .build();
        let openapi = document(vec![
            ("/things/{id}", HttpMethod::Get, get_by_id),
            ("/things", HttpMethod::Post, post_json),
            ("/ready", HttpMethod::Get, ready),
        ]);
        assert_eq!(
            statuses(&openapi, "/things/{id}"),
            ["200", "400", "401", "404", "422", "503"]
        );
        assert_eq!(
            statuses(&openapi, "/things"),
            ["201", "400", "408", "413", "415", "422", "503"]
        );
        assert_eq!(statuses(&openapi, "/ready"), ["200", "503"]);
        // A bare problem the handler listed is the shared one.
        let by_id = openapi
            .paths
            .paths
            .get("/things/{id}")
            .and_then(|i| i.get.as_ref());
        let not_found = by_id.and_then(|o| o.responses.responses.get("404"));
        assert!(
            matches!(not_found, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/NotFound")),
            "a bare 404 was not replaced by the shared one"
        );
        // Its own 503 has a body of its own (what is down): kept.
        let ready = openapi
            .paths
            .paths
            .get("/ready")
            .and_then(|i| i.get.as_ref());
        let own = ready.and_then(|o| o.responses.responses.get("503"));
        assert!(
            matches!(own, Some(RefOr::T(r)) if r.content.contains_key("application/json")),
            "the readiness answer's own 503 was replaced"
        );
        // The handler's own 422, which says which codes it means, is kept.
        let things = openapi
            .paths
            .paths
            .get("/things")
            .and_then(|i| i.post.as_ref());
        let kept = things.and_then(|o| o.responses.responses.get("422"));
        assert!(
            matches!(kept, Some(RefOr::T(r)) if r.description.contains("consent_required")),
            "the handler's own 422 was replaced"
        );
        // The others are references to one shared entry each.
        let components = openapi.components.unwrap_or_default();
        for name in [
            "BadRequest",
            "Unauthorized",
            "NotFound",
            "ServiceUnavailable",
        ] {
            assert!(components.responses.contains_key(name), "{name}");
        }
    }
}
