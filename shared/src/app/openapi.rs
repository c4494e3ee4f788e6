//! The OpenAPI 3.1 document, derived from the handlers' annotations (SPEC PL-4).

use crate::api::Response;
use crate::api::{Call, Context};
use crate::error::AppError;
use crate::route;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "platform",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(_: &Context<'_>, _: &Call<'_>) -> Result<Response, AppError> {
    Ok(serve())
}

/// The document's own route.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "openapi",
    routes: &[route!(GET "/api/v1/openapi.json", openApi, Public, openapi_json)],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};

/// Generating the document: only where it is checked or written (tests, the `openapi`
/// feature); a build that serves carries the text (`DOCUMENT`), not the generator.
#[cfg(any(test, feature = "openapi"))]
pub use generate::{document, ApiDoc};

#[cfg(any(test, feature = "openapi"))]
mod generate {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    use utoipa::{Modify, OpenApi};

    use crate::api::route::Area;

    #[derive(OpenApi)]
    #[openapi(info(
        title = "Herald API",
        description = "Content and social-media operations: plan, approve, schedule, publish, measure.\n\nEvery time in an answer is UTC with milliseconds, always in one form: `2026-12-04T20:29:29.300Z` (so times compare as text the way they compare in time)."
    ))]
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
    struct RateLimited(&'static [Area]);

    impl Modify for RateLimited {
        fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
            use utoipa::openapi::header::HeaderBuilder;
            use utoipa::openapi::{Content, Object, Ref, ResponseBuilder, Type};
            let text = |description: &str| {
                HeaderBuilder::new()
                    .schema(Some(Object::with_type(Type::String)))
                    .description(Some(description))
                    .build()
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
            for route in self.0.iter().flat_map(|a| a.routes).filter(|r| crate::app::limits::Class::of(r).is_some()) {
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

    /// The document: each route's operation from its handler's annotation, then the conventions
    /// every operation shares, written once here from the route rows rather than on each handler.
    pub fn document(areas: &'static [Area]) -> serde_json::Value {
        let mut api = ApiDoc::openapi();
        for route in areas.iter().flat_map(|a| a.routes) {
            (route.doc)(&mut api);
        }
        BearerAuth.modify(&mut api);
        RateLimited(areas).modify(&mut api);
        let mut doc = serde_json::to_value(api).unwrap_or_default();
        conventions(&mut doc, areas);
        doc
    }

    use crate::api::documented::ID_PATTERN;

    /// A D1 session bookmark as D1 writes them (`app::is_d1_bookmark`).
    const D1_BOOKMARK: &str = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{32}$";
    /// What the `x-d1-bookmark` request header may hold: a bookmark, or nothing (spaces and tabs
    /// around it are the header's, not the value's).
    const BOOKMARK_PATTERN: &str = "^[ \\t]*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{32})?[ \\t]*$";

    /// What the kit does for every route, stated on every operation: a unique operation id named
    /// after the route (`listPosts`), ids in paths as lower-case UUIDs, the Idempotency-Key header
    /// of every POST, and each status the kit itself may answer (400 for a malformed parameter or
    /// header, 401/403/404 from the access rule, 409/422 from idempotency, 413 from the body
    /// limit), in the error envelope; 429 comes from [`RateLimited`].
    fn conventions(doc: &mut serde_json::Value, areas: &[Area]) {
        use crate::api::route::Access;
        use serde_json::json;
        let error = |description: &str| {
            json!({"description": description,
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}})
        };
        for route in areas.iter().flat_map(|a| a.routes) {
            let method = route.method.to_ascii_lowercase();
            let Some(op) =
                doc.pointer_mut(&format!("/paths/{}/{method}", route.path.replace('~', "~0").replace('/', "~1")))
            else {
                continue;
            };
            op["operationId"] = json!(route.name);
            // The most round trips to the database a call may take; each answer says how many it
            // took in `x-db-round-trips`.
            op["x-db-round-trips"] = json!(route.trips);
            let has_path_params = route.path.contains('{');
            let mut standard: Vec<(&str, serde_json::Value)> = vec![(
                "400",
                error("VALIDATION_ERROR: a malformed parameter, header or body; `details` names each field"),
            )];
            if matches!(route.access, Access::User | Access::Workspace(_) | Access::Scheduler) {
                standard.push(("401", error("UNAUTHORIZED: no valid access token")));
            }
            if matches!(route.access, Access::Workspace(_)) {
                standard.push(("403", error("FORBIDDEN: the caller's role may not do this")));
            }
            if has_path_params || matches!(route.access, Access::Workspace(_) | Access::Scheduler | Access::Development)
            {
                standard
                    .push(("404", error("NOT_FOUND: no such resource here (also a workspace the caller is not in)")));
            }
            if route.method == "POST" {
                standard.push(("409", error("CONFLICT: a request with this Idempotency-Key is in progress, or the resource's state forbids this")));
                standard.push((
                "422",
                error("IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used for another request or by another caller"),
            ));
            }
            if matches!(route.method, "POST" | "PUT" | "PATCH") {
                standard.push(("413", error("PAYLOAD_TOO_LARGE: the body is over this route's limit")));
            }
            let responses = &mut op["responses"];
            for (status, response) in standard {
                if responses.get(status).is_none() {
                    responses[status] = response;
                }
            }
            // A review link's decisions change its workspace: refused while it is suspended.
            if route.path.starts_with("/review/") && route.method == "POST" && responses.get("403").is_none() {
                responses["403"] =
                    error("WORKSPACE_SUSPENDED: the link's workspace is suspended (read-only until reactivated)");
            }
            if route.refused_while_suspended() {
                if let Some(text) = responses["403"]["description"].as_str() {
                    responses["403"]["description"] = json!(format!(
                        "{text}; WORKSPACE_SUSPENDED: the workspace is suspended (read-only until reactivated)"
                    ));
                }
            }
            let mut parameters = op.get("parameters").and_then(|p| p.as_array()).cloned().unwrap_or_default();
            for p in &mut parameters {
                let is_id = p["in"] == "path" && p["name"].as_str().is_some_and(|n| n.ends_with("Id"));
                if is_id {
                    p["schema"] = json!({"type": "string", "format": "uuid", "pattern": ID_PATTERN});
                }
            }
            if route.method == "POST" {
                parameters.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Makes a retry safe: the same key and request from the same caller within a day gets the first answer again",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
            }));
            }
            // Every routed answer may carry D1's session bookmark (the Worker over D1), and
            // every routed request may send it back; the document itself is a static asset on
            // the Worker, outside the routes.
            if route.name != "openApi" {
                parameters.push(json!({"$ref": "#/components/parameters/D1Bookmark"}));
                if let Some(responses) = op["responses"].as_object_mut() {
                    for response in responses.values_mut() {
                        response["headers"][crate::app::BOOKMARK_HEADER] =
                            json!({"$ref": "#/components/headers/D1Bookmark"});
                    }
                }
            }
            if !parameters.is_empty() {
                op["parameters"] = json!(parameters);
            }
        }
        let bookmark_schema = json!({"type": "string", "pattern": BOOKMARK_PATTERN});
        doc["components"]["parameters"]["D1Bookmark"] = json!({
            "name": crate::app::BOOKMARK_HEADER, "in": "header", "required": false,
            "description": "The bookmark of the last answer this client had (the Worker over D1): its reads see at least what that answer saw or wrote, wherever D1 serves them from. Empty or absent: no bookmark yet. Other hosts check its form and ignore it",
            "schema": bookmark_schema,
        });
        doc["components"]["headers"]["D1Bookmark"] = json!({
            "description": "The Worker over D1 only: the D1 session's bookmark after this request; send it back in the next request's x-d1-bookmark to read your own writes from any replica",
            "required": false,
            "schema": {"type": "string", "pattern": D1_BOOKMARK},
        });
        open_composed_schemas(doc);
        if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(|s| s.as_object_mut()) {
            schemas.values_mut().for_each(timestamp_formats);
            for schema in schemas.values_mut().filter(|s| s["additionalProperties"] == false) {
                text_patterns(schema, crate::validate::TEXT_PATTERN);
            }
            let text = serde_json::json!({"type": "string", "pattern": crate::validate::TEXT_PATTERN});
            let any = serde_json::json!({"$ref": "#/components/schemas/JsonValue"});
            // White-label branding: the known keys (documented rows) beside any other a frontend
            // keeps there, whose keys and texts hold no control character either.
            if let Some(branding) = schemas.get_mut("Branding").and_then(|b| b.as_object_mut()) {
                branding.insert("propertyNames".into(), text.clone());
                branding.insert("additionalProperties".into(), any.clone());
            }
            schemas.insert("TimeZone".into(), crate::app::documented::time_zones());
            schemas.insert(
            "JsonValue".into(),
            serde_json::json!({
                "description": "Any JSON value whose texts, keys included, hold no control character but tab and newline",
                "anyOf": [
                    {"type": ["null", "boolean", "number"]},
                    text,
                    {"type": "array", "items": any},
                    {"type": "object", "propertyNames": text, "additionalProperties": any}
                ]
            }),
        );
        }
        if let Some(paths) = doc.pointer_mut("/paths").and_then(|p| p.as_object_mut()) {
            let parameters = paths
                .values_mut()
                .filter_map(|item| item.as_object_mut())
                .flat_map(|item| item.values_mut())
                .filter_map(|op| op.get_mut("parameters").and_then(|p| p.as_array_mut()))
                .flatten();
            for p in parameters.filter(|p| p["in"] == "query") {
                text_patterns(&mut p["schema"], crate::validate::QUERY_TEXT_PATTERN);
            }
        }
        let unknown = crate::app::documented::apply_all(doc, areas);
        debug_assert!(unknown.is_empty(), "documented rows the document does not have: {unknown:?}");
    }

    /// Herald refuses control characters in every text it takes (`json::is_refused_char`, and
    /// newlines in query values): every free-text string of an input says so with `pattern`,
    /// unless it already has a pattern, a format or an enumeration of its own. Walks arrays'
    /// items, maps' values and alternatives, not references (each input schema gets its turn).
    fn text_patterns(schema: &mut serde_json::Value, pattern: &str) {
        use serde_json::Value;
        let Some(object) = schema.as_object_mut() else { return };
        let is_text = match object.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
            _ => false,
        };
        if is_text && !["pattern", "format", "enum", "const", "$ref"].iter().any(|k| object.contains_key(*k)) {
            object.insert("pattern".into(), pattern.into());
        }
        let is_map = match object.get("type") {
            Some(Value::String(t)) => t == "object",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
            _ => false,
        };
        let free = match object.get("additionalProperties") {
            None | Some(Value::Bool(true)) => true,
            Some(Value::Object(o)) => o.is_empty(),
            _ => false,
        };
        if is_map && !object.contains_key("properties") {
            object.insert("propertyNames".into(), serde_json::json!({"type": "string", "pattern": pattern}));
            if free {
                object.insert(
                    "additionalProperties".into(),
                    serde_json::json!({"$ref": "#/components/schemas/JsonValue"}),
                );
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = object.get_mut(key) {
                text_patterns(inner, pattern);
            }
        }
        if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
            properties.values_mut().for_each(|p| text_patterns(p, pattern));
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(parts) = object.get_mut(key).and_then(|p| p.as_array_mut()) {
                parts.iter_mut().for_each(|p| text_patterns(p, pattern));
            }
        }
    }

    /// Every time a response carries (`createdAt`, `dueAt`, the other `…At`, a next slot's `at`,
    /// `pausedUntil`) is written by `validate::rfc3339`: stated as `date-time` with its exact
    /// pattern. Input schemas (closed, `additionalProperties: false`) accept more forms and keep
    /// their own description.
    fn timestamp_formats(schema: &mut serde_json::Value) {
        use serde_json::Value;
        let Some(object) = schema.as_object_mut() else {
            if let Some(items) = schema.as_array_mut() {
                items.iter_mut().for_each(timestamp_formats);
            }
            return;
        };
        if object.get("additionalProperties") == Some(&Value::Bool(false)) {
            return;
        }
        if let Some(properties) = object.get_mut("properties").and_then(|p| p.as_object_mut()) {
            for (name, property) in properties.iter_mut() {
                let is_time = name.ends_with("At") || matches!(name.as_str(), "at" | "pausedUntil");
                let is_text = match &property["type"] {
                    Value::String(t) => t == "string",
                    Value::Array(ts) => ts.iter().any(|t| t == "string"),
                    _ => false,
                };
                if is_time && is_text {
                    property["format"] = "date-time".into();
                    property["pattern"] = crate::validate::RFC3339_PATTERN.into();
                }
            }
        }
        object.values_mut().for_each(timestamp_formats);
    }

    /// A schema composed with `allOf` from a closed one (`additionalProperties: false`, as every
    /// input type is) would forbid its own extra fields: such parts are inlined, opened.
    fn open_composed_schemas(doc: &mut serde_json::Value) {
        let Some(schemas) = doc.pointer("/components/schemas").and_then(|s| s.as_object()).cloned() else { return };
        open_all_of(doc, &schemas);
    }

    /// Every `allOf` anywhere in `value` (component schemas, and envelopes that inline one).
    fn open_all_of(value: &mut serde_json::Value, schemas: &serde_json::Map<String, serde_json::Value>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(parts) = map.get_mut("allOf").and_then(|a| a.as_array_mut()) {
                    for part in parts.iter_mut() {
                        let name = part
                            .get("$ref")
                            .and_then(|r| r.as_str())
                            .map(|r| r.trim_start_matches("#/components/schemas/").to_string());
                        let opened = name
                            .and_then(|n| schemas.get(&n).cloned())
                            .filter(|s| s["additionalProperties"] == false)
                            .map(|mut s| {
                                if let Some(o) = s.as_object_mut() {
                                    o.remove("additionalProperties");
                                }
                                s
                            });
                        if let Some(opened) = opened {
                            *part = opened;
                        }
                    }
                }
                for v in map.values_mut() {
                    open_all_of(v, schemas);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| open_all_of(v, schemas)),
            _ => {}
        }
    }
}

/// The document as served. `document()` generates it from the derives; the text is kept in
/// `public/api/v1/openapi.json` so that a build carries the text and not the generator, which the
/// linker then drops (a third of the Worker's wasm). `the_committed_document_is_current` fails
/// when the file is stale; `HERALD_WRITE_OPENAPI=1 cargo test -p herald openapi` rewrites it.
pub const DOCUMENT: &str = include_str!("../../../public/api/v1/openapi.json");

pub fn serve() -> Response {
    Response::new(200, "application/json; charset=utf-8", DOCUMENT.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::routes::{all, AREAS};

    fn document() -> serde_json::Value {
        super::document(AREAS)
    }

    #[test]
    fn the_committed_document_is_current() {
        let fresh = serde_json::to_string(&document()).unwrap() + "\n";
        if std::env::var_os("HERALD_WRITE_OPENAPI").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/api/v1/openapi.json"), &fresh).unwrap();
            return;
        }
        assert!(
            DOCUMENT == fresh,
            "public/api/v1/openapi.json is stale: HERALD_WRITE_OPENAPI=1 cargo test -p herald openapi rewrites it"
        );
    }

    #[test]
    fn response_times_state_their_one_form() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for (schema, property) in
            [("PostView", "createdAt"), ("PostView", "updatedAt"), ("InviteView", "expiresAt"), ("NextSlot", "at")]
        {
            let p = &schemas[schema]["properties"][property];
            assert_eq!(p["format"], "date-time", "{schema}.{property}");
            assert_eq!(p["pattern"], crate::validate::RFC3339_PATTERN, "{schema}.{property}");
        }
        let nested = &schemas["Envelope_Vec_PublicationView"]["properties"]["data"]["items"]["properties"];
        assert_eq!(nested["publishedAt"]["pattern"], crate::validate::RFC3339_PATTERN);
        // Inputs accept more than the one form.
        assert_ne!(schemas["ScheduleInput"]["properties"]["at"]["pattern"], crate::validate::RFC3339_PATTERN);
    }

    #[test]
    fn inputs_state_what_their_parsers_check() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let zone = &schemas["UpdateMeInput"]["properties"]["timezone"]["oneOf"];
        assert_eq!(zone[0]["$ref"], "#/components/schemas/TimeZone");
        assert!(schemas["TimeZone"]["enum"].as_array().is_some_and(|z| z.contains(&"Europe/Paris".into())));
        assert_eq!(schemas["CampaignInput"]["properties"]["postsPlanned"]["maximum"], 10_000);
        assert_eq!(schemas["SignupInput"]["properties"]["name"]["pattern"], crate::validate::LINE_PATTERN);
        // Free text anywhere in an input refuses control characters, map keys included.
        assert_eq!(schemas["BlockInput"]["properties"]["body"]["pattern"], crate::validate::TEXT_PATTERN);
        assert_eq!(
            schemas["UpdateMeInput"]["properties"]["preferences"]["additionalProperties"]["$ref"],
            "#/components/schemas/JsonValue"
        );
        // A create requires what the shared input leaves optional, and drops what only updates take.
        let create = &doc["paths"]["/api/v1/workspaces/{workspaceId}/posts"]["post"]["requestBody"];
        let body = &create["content"]["application/json"]["schema"];
        assert!(body["required"].as_array().is_some_and(|r| r.contains(&"title".into())));
        assert!(body["properties"].get("version").is_none() && body["additionalProperties"] == false);
        let reject =
            &doc["paths"]["/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/reject"]["post"]["requestBody"];
        assert_eq!(reject["required"], true);
        assert_eq!(reject["content"]["application/json"]["schema"]["properties"]["comment"]["minLength"], 1);
        let since = doc["paths"]["/api/v1/workspaces/{workspaceId}/activity"]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "since").cloned())
            .unwrap_or_default();
        assert_eq!(since["schema"]["format"], "date-time");
        let mut doc = document();
        const STALE: &[crate::api::documented::Documented] =
            &[crate::api::documented::field("NoSuchInput", "name", crate::api::documented::Rule::Id)];
        let stale = [crate::api::route::Area { name: "stale", routes: &[], inputs: &[STALE] }];
        assert_eq!(crate::app::documented::apply_all(&mut doc, &stale), ["NoSuchInput.name"]);
    }

    #[test]
    fn every_route_is_documented() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        for route in all() {
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
    fn lists_document_their_paging() {
        let doc = document();
        let lists = [
            "members",
            "invites",
            "clients",
            "personas",
            "posts/{postId}/comments",
            "ideas/{ideaId}/comments",
            "posts/{postId}/versions",
            "posts/{postId}/approvals",
            "approvals",
            "publications",
            "notifications",
            "campaigns/{campaignId}/ideas",
        ];
        for list in lists {
            let op = &doc["paths"][format!("/api/v1/workspaces/{{workspaceId}}/{list}")]["get"];
            let param =
                |name: &str| op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == name)).cloned();
            let limit = param("limit").unwrap_or_else(|| panic!("{list}: no limit"));
            assert_eq!((&limit["schema"]["minimum"], &limit["schema"]["maximum"]), (&1.into(), &100.into()), "{list}");
            assert!(param("cursor").is_some(), "{list}: no cursor");
            let envelope = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
            let name = envelope.trim_start_matches("#/components/schemas/");
            let data = &doc["components"]["schemas"][name]["properties"]["data"];
            let data = match data["$ref"].as_str() {
                Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
                None => data,
            };
            assert!(data["properties"]["nextCursor"].is_object(), "{list}: no nextCursor in {data}");
        }
    }

    #[test]
    fn operation_ids_are_unique_and_named_after_their_route() {
        let doc = document();
        let mut seen = std::collections::BTreeSet::new();
        for route in all() {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{} {} has no operationId", route.method, route.path));
            assert!(seen.insert(id.to_string()), "operationId {id} appears twice");
        }
        assert_eq!(doc["paths"]["/api/v1/workspaces/{workspaceId}/posts"]["post"]["operationId"], "createPost");
        assert_eq!(doc["paths"]["/api/v1/workspaces"]["post"]["operationId"], "createWorkspace");
    }

    #[test]
    fn every_operation_documents_the_kits_statuses() {
        let doc = document();
        for route in all() {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            for status in ["400"] {
                assert!(op["responses"][status].is_object(), "{} {}: no {status}", route.method, route.path);
            }
            if route.name != "openApi" {
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let bookmark = serde_json::json!({"$ref": "#/components/parameters/D1Bookmark"});
                assert!(params.contains(&bookmark), "{} {}: no x-d1-bookmark", route.method, route.path);
                for (status, response) in op["responses"].as_object().into_iter().flatten() {
                    assert!(
                        response["headers"]["x-d1-bookmark"].is_object(),
                        "{} {} {status}",
                        route.method,
                        route.path
                    );
                }
            }
            if route.method == "POST" {
                assert!(op["responses"]["422"].is_object() && op["responses"]["409"].is_object());
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                assert!(params.iter().any(|p| p["name"] == "Idempotency-Key"), "{} {}", route.method, route.path);
            }
            for p in op["parameters"].as_array().cloned().unwrap_or_default() {
                if p["in"] == "query" {
                    let name = p["name"].as_str().unwrap_or_default();
                    assert!(
                        !name.contains('_'),
                        "{} {}: query parameter {name} is not camelCase",
                        route.method,
                        route.path
                    );
                }
            }
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
        let doc = document();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                assert!(
                    all().any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }

    #[test]
    fn each_row_documents_its_own_operation() {
        for route in all() {
            let mut api = utoipa::openapi::OpenApi::default();
            (route.doc)(&mut api);
            let doc = serde_json::to_value(&api).unwrap();
            let paths = doc["paths"].as_object().unwrap();
            let methods: Vec<&String> = paths.values().flat_map(|ops| ops.as_object().unwrap().keys()).collect();
            assert_eq!(paths.len(), 1, "{route:?}");
            assert!(paths.contains_key(route.path), "{route:?} documents {:?}", paths.keys());
            assert_eq!(methods, [&route.method.to_ascii_lowercase()], "{route:?}");
        }
    }
}
