//! The platform's promises: envelope, validation details, body limits, request ids, security
//! headers, CORS, health, the OpenAPI document and the development mailbox.

use herald::app::routes;
use herald::ports::Environment;
use herald_tests::*;
use serde_json::json;

#[tokio::test]
async fn health_checks_the_database() {
    let api = Api::new();
    let r = api.get("/health").send().await;
    assert_eq!(r.status, 200);
    let d = r.data();
    assert_eq!((d["status"].as_str(), d["database"].as_str()), (Some("ok"), Some("ok")));
}

/// D1's read replication (issue 21): on the Worker over D1 every answer carries its session's
/// bookmark, and a client that sends it back reads at least what it wrote; anything else in the
/// header is refused, on every host. Elsewhere (in process, Postgres, Spin) there is no bookmark.
#[tokio::test]
async fn a_d1_session_bookmark_comes_back_and_anything_else_is_refused() {
    let api = Api::new();
    let on_d1 = api.is_remote() && std::env::var("HERALD_TARGET_DB").is_ok_and(|db| db == "d1");
    let owner = signup(&api, "bookmark").await;
    let r = api.post("/api/v1/workspaces").bearer(&owner.access).json(json!({"name": "Bookmarked"})).send().await;
    assert_eq!(r.status, 201);
    // Anything but a bookmark in D1's form is refused, on every host.
    for bad in ["not a bookmark!", &"0".repeat(300), "first-primary", "0-0", "{}"] {
        let r = api.get("/api/v1/workspaces").bearer(&owner.access).header("x-d1-bookmark", bad).send().await;
        assert_eq!(r.fields(), ["header x-d1-bookmark"], "{bad}");
    }
    // A bookmark in D1's form that this database never gave (made up, or another database's)
    // is no server error: at worst it asks for a state every replica has. Nothing is nothing.
    for odd in ["00000000-00000000-00000000-00000000000000000000000000000000", ""] {
        let r = api.get("/api/v1/workspaces").bearer(&owner.access).header("x-d1-bookmark", odd).send().await;
        assert_eq!(r.status, 200, "{odd:?}: {}", r.json());
    }
    let Some(bookmark) = r.header("x-d1-bookmark").map(str::to_string) else {
        assert!(!on_d1, "a write on D1 answers with its session's bookmark");
        return;
    };
    assert!(on_d1, "only D1 has bookmarks");
    assert!(herald::app::is_d1_bookmark(&bookmark), "the Worker takes back the bookmarks D1 hands out: {bookmark}");
    let r = api.get("/api/v1/workspaces").bearer(&owner.access).header("x-d1-bookmark", &bookmark).send().await;
    assert_eq!(r.status, 200);
    assert!(r.data().as_array().unwrap().iter().any(|w| w["name"] == "Bookmarked"), "{}", r.data());
    assert!(r.header("x-d1-bookmark").is_some_and(|b| !b.is_empty()));
}

#[tokio::test]
async fn malformed_json_is_a_validation_error_on_the_body() {
    let api = Api::new();
    let r = api.post("/api/v1/auth/signup").raw(r#"{"email": "a@b.test", "password": "#).send().await;
    assert_eq!(r.fields(), ["body"]);
    let r = api.post("/api/v1/auth/signup").send().await;
    assert_eq!(r.fields(), ["body"], "an empty body");
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let api = Api::new();
    let r = api.post("/api/v1/auth/signup").json(json!({"email": 42, "password": PASSWORD, "name": "x"})).send().await;
    let body = r.json();
    assert_eq!(r.fields(), ["email"]);
    assert!(body["details"][0]["message"].as_str().unwrap().contains("invalid type"), "{body}");
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    let api = Api::new();
    let user = signup(&api, "unknown").await;
    let r = api
        .post("/api/v1/auth/signup")
        .json(json!({"email": unique_email("u"), "password": PASSWORD, "name": "x", "role": "admin"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["role"]);
    let r = api.patch("/api/v1/users/me").bearer(&user.access).json(json!({"isAdmin": true})).send().await;
    assert_eq!(r.fields(), ["isAdmin"]);
}

#[tokio::test]
async fn oversized_body_is_payload_too_large() {
    let api = Api::new();
    let name = "x".repeat(70 * 1024);
    let r = api
        .post("/api/v1/auth/signup")
        .json(json!({"email": unique_email("big"), "password": PASSWORD, "name": name}))
        .send()
        .await;
    r.expect_error(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn unknown_route_is_not_found_in_the_envelope() {
    let api = Api::new();
    api.get("/api/v1/nothing-here").send().await.expect_error(404, "NOT_FOUND");
    // A path that exists under other methods: 405 with the methods it takes.
    let r = api.request("PUT", "/api/v1/workspaces").send().await;
    r.expect_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    // Areas may share a path (the account's profile and its erasure): the methods add up.
    let r = api.request("PUT", "/api/v1/users/me").send().await;
    r.expect_error(405, "METHOD_NOT_ALLOWED");
    let allow = r.header("allow").unwrap_or_default().to_string();
    assert!(["GET", "PATCH", "DELETE"].iter().all(|m| allow.split(", ").any(|a| a == *m)), "{allow}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_minted() {
    let api = Api::new();
    let r = api.get("/api/v1/nothing-here").header("x-request-id", "trace-abc_123").send().await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc_123"));
    assert_eq!(r.json()["requestId"], "trace-abc_123");
    let r = api.get("/health").header("x-request-id", "bad id with spaces").send().await;
    let minted = r.header("x-request-id").unwrap();
    assert!(minted.starts_with("req_") && minted.len() > 10, "{minted}");
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let api = Api::new();
    for r in [api.get("/health").send().await, api.get("/api/v1/nope").send().await] {
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
        assert!(r.header("strict-transport-security").is_some());
        assert!(r.header("referrer-policy").is_some());
    }
}

#[tokio::test]
async fn cors_answers_only_allowed_origins() {
    let api = Api::new();
    let r = api
        .request("OPTIONS", "/api/v1/workspaces")
        .header("origin", "https://app.example.test")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert!(r.status == 204 || r.status == 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.test"));
    let r = api.get("/health").header("origin", "https://evil.example").send().await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let api = Api::new();
    let r = api.get("/api/v1/openapi.json").send().await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in routes::all() {
        let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
        assert!(op["responses"].is_object(), "{} {} missing from the served document", route.method, route.path);
    }
    let signup = &doc["paths"]["/api/v1/auth/signup"]["post"];
    assert!(signup["requestBody"].is_object());
    assert!(signup["responses"]["409"].is_object(), "error codes are documented");
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
}

#[tokio::test]
async fn the_mailbox_exists_only_in_development() {
    for env in [Environment::Production, Environment::Test] {
        let api = Api::local(env);
        api.get("/api/v1/dev/mailbox").send().await.expect_error(404, "NOT_FOUND");
    }
    let api = Api::new();
    assert_eq!(api.get("/api/v1/dev/mailbox").send().await.status, 200, "tests run in development");
}

#[tokio::test]
async fn without_a_mail_provider_outside_development_invites_fail_cleanly() {
    let api = Api::local(Environment::Production);
    let owner = signup(&api, "prod").await;
    let ws = create_workspace(&api, &owner, "Prod").await;
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": unique_email("x"), "role": "editor"}))
        .send()
        .await;
    r.expect_error(503, "SERVICE_UNAVAILABLE");
}

#[tokio::test]
async fn invitations_go_through_a_configured_mail_provider() {
    use herald_tests::fake_http::{FakeServer, Reply};
    let provider = FakeServer::start(|_| Reply { status: 200, body: r#"{"id":"email_1"}"#.into() });
    let api = Api::local_with_mail_provider(Environment::Production, &provider.url, "re_test_key");
    let owner = signup(&api, "mailer").await;
    let ws = create_workspace(&api, &owner, "Mailer").await;
    let invitee = unique_email("guest");
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": invitee, "role": "writer"}))
        .send()
        .await;
    assert_eq!(r.status, 201);
    let sent = provider.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].path.as_str()), ("POST", "/emails"));
    assert_eq!(sent[0].header("authorization"), Some("Bearer re_test_key"));
    let mail: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(mail["to"], json!([invitee]));
    assert!(mail["subject"].as_str().unwrap().contains("Mailer"));
    assert!(mail["text"].as_str().unwrap().contains("/api/v1/invites/accept"));
}

#[tokio::test]
async fn a_failing_mail_provider_is_a_502_without_upstream_details() {
    use herald_tests::fake_http::{FakeServer, Reply};
    let provider = FakeServer::start(|_| Reply { status: 500, body: r#"{"message":"secret upstream detail"}"#.into() });
    let api = Api::local_with_mail_provider(Environment::Production, &provider.url, "re_test_key");
    let owner = signup(&api, "mailfail").await;
    let ws = create_workspace(&api, &owner, "Mail fail").await;
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": unique_email("g"), "role": "writer"}))
        .send()
        .await;
    let body = r.expect_error(502, "EXTERNAL_API_ERROR");
    assert!(!body.to_string().contains("secret upstream detail"), "upstream details stay on the server");
    assert!(!body.to_string().contains("re_test_key"));
}

#[tokio::test]
async fn the_scheduler_tick_needs_its_token() {
    let api = Api::new();
    // On Cloudflare the publisher Worker's cron trigger runs the scheduled work: the API Worker
    // has no tick route at all. Hosts without a cron of their own (Spin, native) have it.
    if api.is_remote() && !std::env::var("HERALD_SCHEDULER").is_ok_and(|s| s == "tick") {
        let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).send().await;
        r.expect_error(404, "NOT_FOUND");
        return;
    }
    api.post("/api/v1/internal/tick").send().await.expect_error(401, "UNAUTHORIZED");
    let user = signup(&api, "ticker").await;
    api.post("/api/v1/internal/tick").bearer(&user.access).send().await.expect_error(401, "UNAUTHORIZED");
    let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).send().await;
    let report = r.data();
    assert!(report["refreshTokensPurged"].is_u64() && report["invitesPurged"].is_u64(), "{report}");
}

#[tokio::test]
async fn without_a_tick_secret_the_tick_route_does_not_exist() {
    let mut config = herald_tests::test_config(Environment::Development);
    config.tick_secret = None;
    assert!(herald::app::routes::find(&config, "POST", "/api/v1/internal/tick").is_err());
}

#[test]
fn d1_and_postgres_migrations_have_the_same_versions() {
    let names = |dialect: &str| {
        let dir = herald_tests::migrations_dir().join(format!("../{dialect}"));
        let mut v: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("d1"), names("postgres"));
}

#[tokio::test]
async fn authenticated_answers_are_never_cached() {
    let api = Api::new();
    let owner = signup(&api, "no-store").await;
    let r = api.get("/api/v1/workspaces").bearer(&owner.access).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = api.get("/api/v1/auth/me").bearer(&owner.access).send().await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

/// Issue 25 / 23.11: a control character in any input is refused at the edge with the field
/// named, so no database sees it and every host (SQLite, D1, Postgres) answers the same.
#[tokio::test]
async fn a_nul_in_any_kind_of_input_is_refused_with_its_field() {
    let api = Api::new();
    let owner = signup(&api, "nul").await;
    let ws = create_workspace(&api, &owner, "Nul").await;
    let w = |rest: &str| format!("/api/v1/workspaces/{ws}{rest}");
    let field = |r: &Resp| {
        let e = r.expect_error(400, "VALIDATION_ERROR");
        e["details"][0]["field"].as_str().unwrap_or_default().to_string()
    };
    // JSON: a title, a body, a nested entry.
    let post = |body: serde_json::Value| api.post(&w("/posts")).bearer(&owner.access).json(body).send();
    assert_eq!(field(&post(json!({"title": "a\u{0}b"})).await), "title");
    assert_eq!(field(&post(json!({"title": "fine", "body": "x\u{1}y"})).await), "body");
    assert_eq!(field(&post(json!({"title": "two\nlines"})).await), "title");
    assert_eq!(field(&post(json!({"title": "fine", "tags": ["ok", "b\u{0}ad"]})).await), "tags[1]");
    let made = post(json!({"title": "Fine", "body": "tabs\tand\nnew lines are fine in a body"})).await;
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let post_id = made.data()["id"].as_str().unwrap().to_string();
    // A mention that is not an id never reaches SQL.
    let r = api
        .post(&w(&format!("/posts/{post_id}/comments")))
        .bearer(&owner.access)
        .json(json!({"body": "hi", "mentions": ["abc\u{0}"]}))
        .send()
        .await;
    assert!(field(&r).starts_with("mentions"));
    // And one that is merely not an id is refused as such, naming its place.
    let r = api
        .post(&w(&format!("/posts/{post_id}/comments")))
        .bearer(&owner.access)
        .json(json!({"body": "hi", "mentions": [owner.id, "not-an-id"]}))
        .send()
        .await;
    assert_eq!(field(&r), "mentions[1]");
    // The query string.
    assert_eq!(field(&api.get(&w("/posts?q=a%00b")).bearer(&owner.access).send().await), "q");
    assert_eq!(field(&api.get(&w("/posts?tag=%01")).bearer(&owner.access).send().await), "tag");
    // The path: ids are parsed as ids.
    assert_eq!(field(&api.get(&w("/posts/abc%00")).bearer(&owner.access).send().await), "postId");
    assert_eq!(field(&api.get(&w(&format!("/posts/{post_id}x"))).bearer(&owner.access).send().await), "postId");
    // A header Herald reads. HTTP clients refuse to send control characters in headers, so
    // only the in-process host can be handed one.
    if !api.is_remote() {
        let r = api.get(&w("/posts")).bearer(&owner.access).header("user-agent", "bad\u{7f}agent").send().await;
        assert_eq!(field(&r), "header user-agent");
    }
    // Nothing was stored.
    let listed = api.get(&w("/posts")).bearer(&owner.access).send().await.data();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

/// `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, the one form of every time in an answer.
fn is_api_time(t: &str) -> bool {
    let shape = b"dddd-dd-ddTdd:dd:dd.dddZ";
    t.len() == shape.len()
        && t.bytes().zip(shape.iter()).all(|(c, &s)| if s == b'd' { c.is_ascii_digit() } else { c == s })
}

#[tokio::test]
async fn times_in_answers_always_carry_milliseconds() {
    let api = Api::new();
    let owner = signup(&api, "millisecond-times").await;
    let ws = create_workspace(&api, &owner, "Millisecond times").await;
    let r = api
        .post(&format!("/api/v1/workspaces/{ws}/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Timed"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data();
    let workspace = api.get(&format!("/api/v1/workspaces/{ws}")).bearer(&owner.access).send().await.data();
    for (what, view) in [("post", &post), ("workspace", &workspace)] {
        for field in ["createdAt", "updatedAt"] {
            let t = view[field].as_str().unwrap_or_default();
            assert!(is_api_time(t), "{what}.{field} is {t:?}");
        }
    }
    assert!(!is_api_time("2026-12-04T20:29:29.3Z") && !is_api_time("2026-12-04T20:29:29Z"));
}
