//! The OpenAPI 3.1 document, derived from the handlers' annotations (SPEC PL-4).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::Response;
use crate::{activity, agency, approvals, collab, content, health, identity, mail, maintenance, workspaces};

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald API", description = "Content and social-media operations: plan, approve, schedule, publish, measure."),
    paths(
        health::health,
        identity::api::signup,
        identity::api::login,
        identity::api::refresh,
        identity::api::logout,
        identity::api::get_me,
        identity::api::update_me,
        workspaces::api::list,
        workspaces::api::create,
        workspaces::api::get,
        workspaces::api::update,
        workspaces::api::archive,
        workspaces::api::list_members,
        workspaces::api::update_member,
        workspaces::api::remove_member,
        workspaces::api::invite,
        workspaces::api::accept_invite,
        mail::mailbox,
        maintenance::tick_route,
        activity::list,
        agency::clients::list,
        agency::clients::create,
        agency::clients::get,
        agency::clients::update,
        agency::clients::archive,
        agency::clients::attach,
        agency::clients::detach,
        agency::personas::list,
        agency::personas::create,
        agency::personas::get,
        agency::personas::update,
        agency::personas::delete,
        agency::campaigns::list,
        agency::campaigns::create,
        agency::campaigns::get,
        agency::campaigns::update,
        agency::campaigns::archive,
        openapi_json,
        content::posts_api::list,
        content::posts_api::create,
        content::import::import,
        content::posts_api::get,
        content::posts_api::update,
        content::posts_api::delete,
        content::posts_api::archive,
        content::posts_api::unarchive,
        content::versions::list,
        content::versions::compare,
        content::versions::get,
        content::versions::restore,
        crate::media::handlers::list,
        crate::media::handlers::create_upload,
        crate::media::handlers::get,
        crate::media::handlers::update,
        crate::media::handlers::delete,
        crate::media::handlers::complete,
        crate::media::handlers::put_content,
        crate::media::handlers::get_content,
        crate::media::links::serve,
        crate::media::handlers::usage,
        content::templates::list,
        content::templates::create,
        content::templates::get,
        content::templates::update,
        content::templates::archive,
        content::templates::render,
        content::templates::to_post,
        approvals::workflow::get,
        approvals::workflow::put,
        approvals::workflow::get_for_client,
        approvals::workflow::put_for_client,
        approvals::requests::submit,
        approvals::requests::list,
        approvals::requests::get,
        approvals::requests::approve,
        approvals::requests::reject,
        approvals::requests::history,
        collab::comments::list,
        collab::comments::create,
        collab::comments::delete,
        collab::notifications::list,
        collab::notifications::mark_read,
        collab::notifications::mark_all_read,
        approvals::review_links::create,
        approvals::review_links::list,
        approvals::review_links::revoke,
        approvals::review_page::page,
        approvals::review_links::approve,
        approvals::review_links::request_changes,
        approvals::review_ideas::approve,
        approvals::review_ideas::request_changes,
        approvals::review_links::media,
        agency::ideas::list,
        agency::ideas::create,
        agency::ideas::get,
        agency::ideas::update,
        agency::ideas::approve,
        agency::ideas::reject,
        agency::ideas::to_post,
        crate::publishing::accounts::list,
        crate::publishing::accounts::connect,
        crate::publishing::oauth::start,
        crate::publishing::oauth::callback,
        crate::publishing::accounts::get,
        crate::publishing::slots::put,
        crate::publishing::slots::next,
        crate::publishing::accounts::disconnect,
        crate::publishing::schedule::schedule,
        crate::publishing::schedule::reschedule,
        crate::publishing::schedule::cancel,
        crate::publishing::schedule::of_post,
        crate::publishing::schedule::list,
        collab::comments::list_on_idea,
        collab::comments::create_on_idea,
        collab::comments::delete_on_idea,
    ),
    modifiers(&BearerAuth, &RateLimited),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Every rate-limited operation (`limits::Class::of`) may answer 429, with the headers that
/// say when to come back; added here once rather than on each handler.
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::{Content, Object, Ref, ResponseBuilder, Type};
        let text = |description: &str| {
            HeaderBuilder::new().schema(Some(Object::with_type(Type::String))).description(Some(description)).build()
        };
        let response = ResponseBuilder::new()
            .description(
                "RATE_LIMITED: too many requests from this address (sign-up, login, refresh, invitation accept, \
                 review decisions) or by this user (signed-in calls); try again after Retry-After",
            )
            .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorEnvelope"))))
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(Object::with_type(Type::Integer)))
                    .description(Some("Seconds until the window resets"))
                    .build(),
            )
            .header(
                "RateLimit-Policy",
                text("The policy, e.g. `\"auth\";q=10;w=60` (draft-ietf-httpapi-ratelimit-headers)"),
            )
            .header("RateLimit", text("Where the caller stands, e.g. `\"auth\";r=0;t=42`"))
            .build();
        for route in super::routes::ROUTES.iter().filter(|r| super::limits::Class::of(r).is_some()) {
            let Some(item) = openapi.paths.paths.get_mut(route.path) else { continue };
            let operation = match route.method {
                "GET" => item.get.as_mut(),
                "POST" => item.post.as_mut(),
                "PUT" => item.put.as_mut(),
                "PATCH" => item.patch.as_mut(),
                "DELETE" => item.delete.as_mut(),
                _ => None,
            };
            if let Some(operation) = operation {
                operation.responses.responses.entry("429".into()).or_insert_with(|| response.clone().into());
            }
        }
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "platform",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
#[allow(dead_code)]
fn openapi_json() {}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served. `document()` generates it from the derives; the text is kept in
/// `shared/openapi.json` so that a build carries the text and not the generator, which the
/// linker then drops (a third of the Worker's wasm). `the_committed_document_is_current` fails
/// when the file is stale; `HERALD_WRITE_OPENAPI=1 cargo test -p herald openapi` rewrites it.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn serve() -> Response {
    Response::new(200, "application/json; charset=utf-8", DOCUMENT.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::routes::ROUTES;

    #[test]
    fn the_committed_document_is_current() {
        let fresh = document().to_json().unwrap() + "\n";
        if std::env::var_os("HERALD_WRITE_OPENAPI").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"), &fresh).unwrap();
            return;
        }
        assert!(
            DOCUMENT == fresh,
            "shared/openapi.json is stale: HERALD_WRITE_OPENAPI=1 cargo test -p herald openapi rewrites it"
        );
    }

    #[test]
    fn every_route_is_documented() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for route in ROUTES {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is missing from the OpenAPI document", route.method, route.path);
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{} {} has no responses",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn limited_operations_document_429() {
        let doc = serde_json::to_value(document()).unwrap();
        let login = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"];
        assert_eq!(login["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorEnvelope");
        assert!(login["headers"]["Retry-After"].is_object());
        assert!(doc["paths"]["/api/v1/workspaces"]["get"]["responses"]["429"].is_object());
        assert!(doc["paths"]["/health"]["get"]["responses"].get("429").is_none());
    }

    #[test]
    fn every_documented_operation_is_routed() {
        let doc = serde_json::to_value(document()).unwrap();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                assert!(
                    ROUTES.iter().any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }
}
