//! Review links (SPEC AG-5): a signed, expiring link through which someone without an account
//! sees some posts on an HTML page and approves them or asks for changes, through the same
//! workflow as members. A link sees only its posts and never internal comments; an expired,
//! altered or revoked link is refused.

use std::sync::atomic::{AtomicI64, Ordering};

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

const FORM: &str = "application/x-www-form-urlencoded";

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn draft(api: &Api, user: &User, ws: &str, body: Value) -> String {
    let r = api.post(&w(ws, "/posts")).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

async fn post_of(api: &Api, user: &User, ws: &str, post: &str) -> Value {
    api.get(&w(ws, &format!("/posts/{post}"))).bearer(&user.access).send().await.data()
}

async fn pending(api: &Api, user: &User, ws: &str, post: &str) -> Value {
    let history =
        api.get(&w(ws, &format!("/posts/{post}/approvals"))).bearer(&user.access).send().await.data()["items"].clone();
    history.as_array().unwrap().iter().find(|r| r["status"] == "pending").cloned().unwrap_or(Value::Null)
}

async fn version(api: &Api, a: &Agency, post: &str) -> i64 {
    post_of(api, &a.owner, &a.ws, post).await["version"].as_i64().unwrap()
}

async fn create_link(api: &Api, user: &User, ws: &str, body: Value) -> Resp {
    api.post(&w(ws, "/review-links")).bearer(&user.access).json(body).send().await
}

/// Sends a review form; answers the response.
async fn decide(api: &Api, token: &str, post: &str, verb: &str, form: &str) -> Resp {
    api.post(&format!("/review/{token}/posts/{post}/{verb}")).typed(FORM, form.to_string()).send().await
}

/// A decision answers 303 back to the page. Over HTTP the client follows the redirect, so a
/// remote target shows the page it lands on, with its thank-you note.
#[track_caller]
fn assert_decided(r: &Resp, token: &str, post: &str) {
    if r.status == 303 {
        assert_eq!(r.header("location"), Some(format!("/review/{token}?decided={post}").as_str()));
    } else {
        let html = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 200, "{html}");
        assert!(html.contains("your decision on"), "{html}");
    }
}

async fn page(api: &Api, token: &str) -> String {
    let r = api.get(&format!("/review/{token}")).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    String::from_utf8(r.body).unwrap()
}

/// An agency whose client approves after the team: owner, an editor who makes links, a Client
/// member attached to the client "Acme", and the workflow internal then client.
struct Agency {
    api: Api,
    owner: User,
    editor: User,
    ws: String,
    client_id: String,
}

async fn agency(label: &str) -> Agency {
    let api = Api::new();
    let owner = signup(&api, label).await;
    let ws = create_workspace(&api, &owner, label).await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let client_user = add_member(&api, &owner, &ws, "client").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let client_id = client["id"].as_str().unwrap().to_string();
    api.post(&w(&ws, &format!("/clients/{client_id}/members")))
        .bearer(&owner.access)
        .json(json!({"userId": client_user.id}))
        .send()
        .await;
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal_then_client"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    Agency { api, owner, editor, ws, client_id }
}

/// A post of Acme written by the editor, submitted, and approved by the team (with an
/// internal comment on the vote): it waits at the client stage.
async fn at_client_stage(a: &Agency, title: &str, body: Value) -> String {
    let mut body = body;
    body["title"] = json!(title);
    body["clientId"] = json!(a.client_id);
    let post = draft(&a.api, &a.editor, &a.ws, body).await;
    let r = a.api.post(&w(&a.ws, &format!("/posts/{post}/submit"))).bearer(&a.editor.access).send().await;
    assert_eq!(r.data()["status"], "in_review");
    let internal = pending(&a.api, &a.owner, &a.ws, &post).await;
    let r = a
        .api
        .post(&w(&a.ws, &format!("/approvals/{}/approve", internal["id"].as_str().unwrap())))
        .bearer(&a.owner.access)
        .json(json!({"comment": "INTERNAL-VOTE-NOTE margin is thin"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(pending(&a.api, &a.owner, &a.ws, &post).await["stage"], "client");
    post
}

#[tokio::test]
async fn review_links_are_created_listed_and_revoked_by_editors() {
    let a = agency("links").await;
    let api = &a.api;
    let writer = add_member(api, &a.owner, &a.ws, "writer").await;
    let one = draft(api, &a.editor, &a.ws, json!({"title": "One"})).await;
    let two = draft(api, &a.editor, &a.ws, json!({"title": "Two"})).await;

    // Validation, each with its field.
    assert_eq!(create_link(api, &a.editor, &a.ws, json!({"postIds": []})).await.fields(), ["postIds"]);
    assert_eq!(create_link(api, &a.editor, &a.ws, json!({"postIds": [one, "nope"]})).await.fields(), ["postIds[1]"]);
    let r = create_link(api, &a.editor, &a.ws, json!({"postIds": [one], "expiresInHours": 721})).await;
    assert_eq!(r.fields(), ["expiresInHours"]);
    let r = create_link(api, &a.editor, &a.ws, json!({"postIds": [one], "expiresInMinutes": 0})).await;
    assert_eq!(r.fields(), ["expiresInMinutes"]);
    let r =
        create_link(api, &a.editor, &a.ws, json!({"postIds": [one], "expiresInHours": 1, "expiresInMinutes": 5})).await;
    assert_eq!(r.fields(), ["expiresInMinutes"]);
    let r = create_link(api, &a.editor, &a.ws, json!({"postIds": [one], "reviewerEmail": "not an address"})).await;
    assert_eq!(r.fields(), ["reviewerEmail"]);
    // Another workspace's post, and a deleted one, are not posts of this workspace.
    let stranger = signup(api, "links-stranger").await;
    let theirs_ws = create_workspace(api, &stranger, "Theirs").await;
    let theirs = draft(api, &stranger, &theirs_ws, json!({"title": "Theirs"})).await;
    assert_eq!(create_link(api, &a.editor, &a.ws, json!({"postIds": [theirs]})).await.fields(), ["postIds[0]"]);
    let gone = draft(api, &a.editor, &a.ws, json!({"title": "Gone"})).await;
    api.delete(&w(&a.ws, &format!("/posts/{gone}"))).bearer(&a.editor.access).send().await;
    assert_eq!(create_link(api, &a.editor, &a.ws, json!({"postIds": [gone]})).await.fields(), ["postIds[0]"]);
    // Writers do not share links.
    create_link(api, &writer, &a.ws, json!({"postIds": [one]})).await.expect_error(403, "FORBIDDEN");
    api.get(&w(&a.ws, "/review-links")).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");

    let r = create_link(
        api,
        &a.editor,
        &a.ws,
        json!({"postIds": [one, two, one], "reviewerName": "Ana Client", "reviewerEmail": "ana@acme.example"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let link = r.data();
    let token = link["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    assert_eq!(link["path"], format!("/review/{token}"));
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("http") && url.ends_with(&format!("/review/{token}")), "{url}");
    assert_eq!(link["postIds"], json!([one, two]), "in order, once each");
    assert_eq!((link["status"].as_str(), link["reviewerName"].as_str()), (Some("active"), Some("Ana Client")));
    assert_eq!(link["createdBy"], a.editor.id.as_str());
    // Only the token's hash is kept.
    assert_ne!(api.stored_anywhere(&token).await, Some(true));
    // About a week by default.
    let created = link["createdAt"].as_str().unwrap().to_string();
    let expires = link["expiresAt"].as_str().unwrap().to_string();
    assert!(expires > created);

    let listed = api.get(&w(&a.ws, "/review-links")).bearer(&a.editor.access).send().await;
    assert!(!String::from_utf8_lossy(&listed.body).contains(&token), "a list never shows tokens");
    let listed = listed.data();
    let mine = listed.as_array().unwrap().iter().find(|l| l["id"] == link["id"]).unwrap();
    assert_eq!(mine["postIds"], json!([one, two]));
    assert!(mine.get("token").is_none());

    page(api, &token).await;
    let id = link["id"].as_str().unwrap();
    let revoked = api.delete(&w(&a.ws, &format!("/review-links/{id}"))).bearer(&a.editor.access).send().await.data();
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revokedAt"].is_string());
    api.get(&format!("/review/{token}")).send().await.expect_error(404, "NOT_FOUND");
    api.delete(&w(&a.ws, &format!("/review-links/{id}")))
        .bearer(&a.editor.access)
        .send()
        .await
        .expect_error(409, "CONFLICT");
    api.delete(&w(&theirs_ws, &format!("/review-links/{id}")))
        .bearer(&stranger.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");

    let log = api.get(&w(&a.ws, "/activity?entityType=review_link")).bearer(&a.owner.access).send().await.data()
        ["items"]
        .clone();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["review_link.revoke", "review_link.create"]);
    assert!(!log.to_string().contains(&token), "the log never holds a token");
}

#[tokio::test]
async fn a_review_link_sees_only_its_posts_and_never_internal_comments() {
    let a = agency("links-scope").await;
    let api = &a.api;
    let shown = at_client_stage(&a, "Shown <launch> & more", json!({"body": "Our big news"})).await;
    let hidden = at_client_stage(&a, "HIDDEN-POST-TITLE", json!({"body": "not for this link"})).await;
    let comments = |post: &str| w(&a.ws, &format!("/posts/{post}/comments"));
    let c = api.post(&comments(&shown)).bearer(&a.owner.access).json(json!({"body": "SECRET-INTERNAL-COMMENT"}));
    assert_eq!(c.send().await.status, 201);
    let c = api
        .post(&comments(&shown))
        .bearer(&a.owner.access)
        .json(json!({"body": "Visible to you, dear client", "visibility": "client"}));
    assert_eq!(c.send().await.status, 201);
    let link = create_link(api, &a.editor, &a.ws, json!({"postIds": [shown]})).await.data();
    let token = link["token"].as_str().unwrap();

    let r = api.get(&format!("/review/{token}")).send().await;
    let csp = r.header("content-security-policy").unwrap_or_default().to_string();
    assert!(csp.contains("img-src 'self'") && csp.contains("form-action 'self'"), "{csp}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = page(api, token).await;
    assert!(html.contains("Shown &lt;launch&gt; &amp; more"), "{html}");
    assert!(html.contains("Our big news"));
    assert!(html.contains("Visible to you, dear client"));
    for never in ["HIDDEN-POST-TITLE", "not for this link", "SECRET-INTERNAL-COMMENT", "INTERNAL-VOTE-NOTE"] {
        assert!(!html.contains(never), "the page shows {never}");
    }
    assert!(html.contains(&format!("action=\"/review/{token}/posts/{shown}/approve\"")));

    // The other post is out of the link's reach, whatever it is asked.
    let version = post_of(api, &a.owner, &a.ws, &hidden).await["version"].clone();
    for verb in ["approve", "request-changes"] {
        decide(api, token, &hidden, verb, &format!("version={version}&comment=x")).await.expect_error(404, "NOT_FOUND");
    }
    assert_eq!(post_of(api, &a.owner, &a.ws, &hidden).await["status"], "in_review");
    // The creator losing access takes the link down with them.
    api.delete(&w(&a.ws, &format!("/members/{}", a.editor.id))).bearer(&a.owner.access).send().await;
    api.get(&format!("/review/{token}")).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_review_link_approves_and_requests_changes_through_the_workflow() {
    let a = agency("links-decide").await;
    let api = &a.api;
    let approve_me = at_client_stage(&a, "Approve me", json!({"body": "Good as is"})).await;
    let change_me = at_client_stage(&a, "Change me", json!({"body": "Too long"})).await;
    let still_internal = draft(&a.api, &a.editor, &a.ws, json!({"title": "Not yet", "clientId": a.client_id})).await;
    api.post(&w(&a.ws, &format!("/posts/{still_internal}/submit"))).bearer(&a.editor.access).send().await;
    let link = create_link(
        api,
        &a.editor,
        &a.ws,
        json!({"postIds": [approve_me, change_me, still_internal], "reviewerName": "Ana Client"}),
    )
    .await
    .data();
    let token = link["token"].as_str().unwrap();
    let html = page(api, token).await;
    assert!(!html.contains(&format!("/posts/{still_internal}/approve")), "the team decides first");

    // Approve.
    let v = version(api, &a, &approve_me).await;
    decide(api, token, &approve_me, "approve", "").await.expect_error(400, "VALIDATION_ERROR");
    decide(api, token, &approve_me, "approve", &format!("version={}", v + 1)).await.expect_error(409, "CONFLICT");
    let r = decide(api, token, &approve_me, "approve", &format!("version={v}")).await;
    assert_decided(&r, token, &approve_me);
    assert_eq!(post_of(api, &a.owner, &a.ws, &approve_me).await["status"], "approved");
    let history =
        api.get(&w(&a.ws, &format!("/posts/{approve_me}/approvals"))).bearer(&a.owner.access).send().await.data()
            ["items"]
            .clone();
    assert_eq!((history[0]["stage"].as_str(), history[0]["status"].as_str()), (Some("client"), Some("approved")));
    let vote = &history[0]["votes"][0];
    assert_eq!(
        (vote["userId"].as_str(), vote["decision"].as_str(), vote["comment"].as_str()),
        (Some(a.editor.id.as_str()), Some("approve"), Some("via review link (Ana Client)"))
    );
    decide(api, token, &approve_me, "approve", &format!("version={v}")).await.expect_error(409, "CONFLICT");

    // Request changes: a comment is required.
    let v = version(api, &a, &change_me).await;
    let r = decide(api, token, &change_me, "request-changes", &format!("version={v}&comment=+++")).await;
    assert_eq!(r.fields(), ["comment"]);
    let form = format!("version={v}&comment={}", form_encode("Shorter, please — and ✓ the date"));
    let r = decide(api, token, &change_me, "request-changes", &form).await;
    assert_decided(&r, token, &change_me);
    assert_eq!(post_of(api, &a.owner, &a.ws, &change_me).await["status"], "draft");
    let history =
        api.get(&w(&a.ws, &format!("/posts/{change_me}/approvals"))).bearer(&a.editor.access).send().await.data()
            ["items"]
            .clone();
    assert_eq!(history[0]["status"], "rejected");
    assert_eq!(history[0]["votes"][0]["comment"], "via review link (Ana Client): Shorter, please — and ✓ the date");

    // The page says what happened; nothing is left to decide on the two.
    let html = String::from_utf8(api.get(&format!("/review/{token}?decided={change_me}")).send().await.body).unwrap();
    assert!(html.contains("your decision on “Change me” is recorded"), "{html}");
    assert!(!html.contains("<form"), "{html}");
    assert!(html.contains("data-status=\"approved\"") && html.contains("data-status=\"draft\""));
    assert!(html.contains(">Changes requested</strong>"), "{html}");

    // Every decision is in the activity log, without an actor, naming the link.
    let log = api.get(&w(&a.ws, "/activity?entityType=approval")).bearer(&a.owner.access).send().await.data();
    let via_link: Vec<&Value> =
        log["items"].as_array().unwrap().iter().filter(|e| e["after"]["via"] == "review_link").collect();
    assert_eq!(via_link.len(), 2);
    assert!(via_link.iter().all(|e| e["actorId"].is_null() && e["after"]["reviewLinkId"] == link["id"]));
    let actions: Vec<&str> = via_link.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["approval.reject", "approval.approve"]);
}

#[tokio::test]
async fn altered_and_revoked_review_links_are_refused() {
    let a = agency("links-refused").await;
    let api = &a.api;
    let post = at_client_stage(&a, "Guarded", json!({})).await;
    let link = create_link(api, &a.editor, &a.ws, json!({"postIds": [post]})).await.data();
    let token = link["token"].as_str().unwrap().to_string();
    let mut altered = token.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let v = post_of(api, &a.owner, &a.ws, &post).await["version"].clone();
    for bad in [altered.as_str(), &token[..42], "x"] {
        api.get(&format!("/review/{bad}")).send().await.expect_error(404, "NOT_FOUND");
        decide(api, bad, &post, "approve", &format!("version={v}")).await.expect_error(404, "NOT_FOUND");
        let media = "0190aaaa-0000-7000-8000-000000000000";
        api.get(&format!("/review/{bad}/media/{media}")).send().await.expect_error(404, "NOT_FOUND");
    }
    let id = link["id"].as_str().unwrap();
    api.delete(&w(&a.ws, &format!("/review-links/{id}"))).bearer(&a.owner.access).send().await.data();
    decide(api, &token, &post, "approve", &format!("version={v}")).await.expect_error(404, "NOT_FOUND");
    assert_eq!(post_of(api, &a.owner, &a.ws, &post).await["status"], "in_review");
}

#[tokio::test]
async fn a_review_link_shows_its_posts_media_and_nothing_else() {
    let a = agency("links-media").await;
    let api = &a.api;
    let png = |fill: u8| {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(64u32.to_be_bytes());
        b.extend(48u32.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b.resize(1024, fill);
        b
    };
    let mut ids = Vec::new();
    for (name, fill) in [("shown.png", 0x41u8), ("other.png", 0x42u8)] {
        let r = api
            .post(&w(&a.ws, "/media/uploads"))
            .bearer(&a.editor.access)
            .json(json!({"filename": name, "contentType": "image/png", "sizeBytes": 1024, "method": "stream"}))
            .send()
            .await;
        let id = r.data()["asset"]["id"].as_str().unwrap().to_string();
        let r = api
            .request("PUT", &w(&a.ws, &format!("/media/{id}/content")))
            .bearer(&a.editor.access)
            .typed("image/png", png(fill))
            .send()
            .await;
        assert_eq!(r.data()["status"], "ready");
        ids.push(id);
    }
    let (shown, other) = (&ids[0], &ids[1]);
    api.patch(&w(&a.ws, &format!("/media/{shown}")))
        .bearer(&a.editor.access)
        .json(json!({"altText": "A <bold> chart"}))
        .send()
        .await;
    let with_media = at_client_stage(
        &a,
        "With media",
        json!({"body": "See the chart", "targets": [{"platform": "linkedin", "media": [shown]}, {"platform": "x", "text": "Chart!"}]}),
    )
    .await;
    let elsewhere = draft(
        api,
        &a.editor,
        &a.ws,
        json!({"title": "Elsewhere", "targets": [{"platform": "linkedin", "media": [other]}]}),
    )
    .await;
    let link = create_link(api, &a.editor, &a.ws, json!({"postIds": [with_media]})).await.data();
    let token = link["token"].as_str().unwrap();
    let html = page(api, token).await;
    assert!(
        html.contains(&format!("<img src=\"/review/{token}/media/{shown}\" alt=\"A &lt;bold&gt; chart\"")),
        "{html}"
    );
    assert!(html.contains("<h3>LinkedIn</h3><p class=\"text\">See the chart</p>"));
    assert!(html.contains("<h3>X</h3><p class=\"text\">Chart!</p>"));
    let r = api.get(&format!("/review/{token}/media/{shown}")).send().await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/png")));
    assert_eq!(r.body, png(0x41));
    // A file of a post the link does not show, or of no post at all, is not served.
    assert!(!elsewhere.is_empty());
    api.get(&format!("/review/{token}/media/{other}")).send().await.expect_error(404, "NOT_FOUND");
}

// ── Expiry, with a clock the test moves ──────────────────────────────────────────────────

struct MovableClock(AtomicI64);

impl herald::ports::Clock for MovableClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The router in process over a fresh SQLite, with a clock the test sets: on every target,
/// since no server's clock can be moved from outside.
struct ClockHost {
    db: herald_native::SqliteDb,
    clock: MovableClock,
    hasher: herald::identity::password::Argon2Hasher,
    blobs: herald_native::MemoryBlobs,
    config: herald::ports::Config,
}

impl ClockHost {
    fn new(now: i64) -> ClockHost {
        ClockHost {
            db: herald_native::SqliteDb::in_memory(&migrations_dir()).expect("migrations apply"),
            clock: MovableClock(AtomicI64::new(now)),
            hasher: herald::identity::password::Argon2Hasher::new(herald::identity::password::HashProfile::FreePlan),
            blobs: herald_native::MemoryBlobs::new(None),
            config: test_config(herald::ports::Environment::Test),
        }
    }

    async fn send(&self, method: &str, path: &str, bearer: Option<&str>, json: Option<Value>) -> (u16, Value, String) {
        let ctx = herald::Context {
            db: &self.db,
            clock: &self.clock,
            random: &herald_native::OsRandom,
            hasher: &self.hasher,
            mail: &herald::mail::NoMail,
            blobs: &self.blobs,
            http: &herald::ports::NoHttp,
            jobs: &herald::ports::NoQueue,
            limiter: &herald::ratelimit::Unlimited,
            config: &self.config,
            sink: None,
        };
        let mut req = herald::Request::new(method, path);
        if let Some(t) = bearer {
            req.headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        if let Some(body) = json {
            req.headers.push(("content-type".into(), "application/json".into()));
            req.body = serde_json::to_vec(&body).unwrap();
        }
        let r = herald::handle(&ctx, req).await;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        (r.status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }
}

#[tokio::test]
async fn a_review_link_expires_at_its_time() {
    let start = 1_800_000_000_000;
    let host = ClockHost::new(start);
    let (status, body, _) = host
        .send(
            "POST",
            "/api/v1/auth/signup",
            None,
            Some(json!({"email": unique_email("expiry"), "password": PASSWORD, "name": "Expiry"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let access = body["data"]["accessToken"].as_str().unwrap().to_string();
    let (_, ws, _) = host.send("POST", "/api/v1/workspaces", Some(&access), Some(json!({"name": "Clock"}))).await;
    let ws = ws["data"]["id"].as_str().unwrap().to_string();
    let (_, post, _) = host.send("POST", &w(&ws, "/posts"), Some(&access), Some(json!({"title": "Soon gone"}))).await;
    let post = post["data"]["id"].as_str().unwrap().to_string();
    let (status, link, _) = host
        .send("POST", &w(&ws, "/review-links"), Some(&access), Some(json!({"postIds": [post], "expiresInMinutes": 10})))
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["data"]["expiresAt"], "2027-01-15T08:10:00.000Z");
    let path = link["data"]["path"].as_str().unwrap().to_string();
    let ten_minutes = 10 * 60_000;

    host.clock.0.store(start + ten_minutes - 1, Ordering::SeqCst);
    let (status, _, html) = host.send("GET", &path, None, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("Soon gone"));

    host.clock.0.store(start + ten_minutes, Ordering::SeqCst);
    let (status, body, _) = host.send("GET", &path, None, None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")), "{body}");
    let (_, listed, _) = host.send("GET", &w(&ws, "/review-links"), Some(&access), None).await;
    assert_eq!(listed["data"][0]["status"], "expired");
}

#[tokio::test]
async fn a_client_without_an_account_decides_the_client_stage_through_a_link() {
    let api = Api::new();
    let owner = signup(&api, "no-account").await;
    let ws = create_workspace(&api, &owner, "No account").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let client =
        api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Offline Co"})).send().await.data();
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal_then_client"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let post = api
        .post(&w(&ws, "/posts"))
        .bearer(&editor.access)
        .json(json!({"title": "For Offline Co", "clientId": client["id"]}))
        .send()
        .await
        .data();
    let pid = post["id"].as_str().unwrap().to_string();
    api.post(&w(&ws, &format!("/posts/{pid}/submit"))).bearer(&editor.access).send().await;
    let internal = api.get(&w(&ws, &format!("/posts/{pid}/approvals"))).bearer(&owner.access).send().await.data()
        ["items"]
        .clone()[0]
        .clone();
    let r = api
        .post(&w(&ws, &format!("/approvals/{}/approve", internal["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let stage = api.get(&w(&ws, &format!("/posts/{pid}/approvals"))).bearer(&owner.access).send().await.data()["items"]
        .clone()[0]
        .clone();
    assert_eq!((stage["stage"].as_str(), stage["status"].as_str()), (Some("client"), Some("pending")));
    assert_eq!(stage["approvers"], json!([]), "no account may decide it");
    let link = create_link(&api, &editor, &ws, json!({"postIds": [pid], "reviewerName": "Offline"})).await.data();
    let token = link["token"].as_str().unwrap();
    let v = post_of(&api, &owner, &ws, &pid).await["version"].as_i64().unwrap();
    let r = decide(&api, token, &pid, "approve", &format!("version={v}")).await;
    assert_decided(&r, token, &pid);
    assert_eq!(post_of(&api, &owner, &ws, &pid).await["status"], "approved");
}

/// An idea of `campaign` by the editor; `agency_approved` has the owner approve its agency stage.
async fn idea(a: &Agency, campaign: &str, title: &str, agency_approved: bool) -> Value {
    let path = w(&a.ws, &format!("/campaigns/{campaign}/ideas"));
    let r = a
        .api
        .post(&path)
        .bearer(&a.editor.access)
        .json(json!({"title": title, "hook": format!("Hook of {title}")}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let mut idea = r.data();
    if agency_approved {
        let id = idea["id"].as_str().unwrap();
        idea = a.api.post(&w(&a.ws, &format!("/ideas/{id}/approve"))).bearer(&a.owner.access).send().await.data();
        assert_eq!(idea["status"], "AGENCY_APPROVED");
    }
    idea
}

async fn idea_of(a: &Agency, id: &str) -> Value {
    a.api.get(&w(&a.ws, &format!("/ideas/{id}"))).bearer(&a.owner.access).send().await.data()
}

async fn decide_idea(api: &Api, token: &str, idea: &str, verb: &str, form: &str) -> Resp {
    api.post(&format!("/review/{token}/ideas/{idea}/{verb}")).typed(FORM, form.to_string()).send().await
}

fn revision(idea: &Value) -> String {
    format!("revision={}", form_encode(idea["updatedAt"].as_str().unwrap()))
}

#[tokio::test]
async fn a_review_link_decides_ideas_at_the_client_stage_and_never_shows_internal_comments() {
    let a = agency("links-ideas").await;
    let api = &a.api;
    let campaign = api
        .post(&w(&a.ws, "/campaigns"))
        .bearer(&a.owner.access)
        .json(json!({"name": "Spring", "clientId": a.client_id, "targetPlatforms": ["instagram"]}))
        .send()
        .await
        .data();
    let campaign = campaign["id"].as_str().unwrap();
    let liked = idea(&a, campaign, "Roastery tour", true).await;
    let disliked = idea(&a, campaign, "Latte art contest", true).await;
    let early = idea(&a, campaign, "Still with the team", false).await;
    let elsewhere = idea(&a, campaign, "Not on the link", true).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let (liked_id, disliked_id, early_id) = (id(&liked), id(&disliked), id(&early));
    for (body, visibility) in [("INTERNAL-IDEA-NOTE budget", "internal"), ("Shall we film on Friday?", "client")] {
        let r = api
            .post(&w(&a.ws, &format!("/ideas/{liked_id}/comments")))
            .bearer(&a.editor.access)
            .json(json!({"body": body, "visibility": visibility}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }

    // Ideas are checked like posts: another workspace's idea is not one of this workspace.
    let stranger = signup(api, "links-ideas-stranger").await;
    let theirs_ws = create_workspace(api, &stranger, "Theirs").await;
    let theirs_campaign =
        api.post(&w(&theirs_ws, "/campaigns")).bearer(&stranger.access).json(json!({"name": "X"})).send().await.data();
    let theirs = api
        .post(&w(&theirs_ws, &format!("/campaigns/{}/ideas", theirs_campaign["id"].as_str().unwrap())))
        .bearer(&stranger.access)
        .json(json!({"title": "Theirs"}))
        .send()
        .await
        .data();
    let r = create_link(api, &a.editor, &a.ws, json!({"ideaIds": [liked_id, theirs["id"]]})).await;
    assert_eq!(r.fields(), ["ideaIds[1]"]);
    assert_eq!(create_link(api, &a.editor, &a.ws, json!({"ideaIds": []})).await.fields(), ["postIds"]);

    let r = create_link(
        api,
        &a.editor,
        &a.ws,
        json!({"ideaIds": [liked_id, disliked_id, early_id, liked_id], "reviewerName": "Ana"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let link = r.data();
    let token = link["token"].as_str().unwrap().to_string();
    assert_eq!(link["ideaIds"], json!([liked_id, disliked_id, early_id]));
    assert_eq!(link["postIds"], json!([]));
    let listed = api.get(&w(&a.ws, "/review-links")).bearer(&a.editor.access).send().await.data();
    let mine = listed.as_array().unwrap().iter().find(|l| l["id"] == link["id"]).unwrap().clone();
    assert_eq!(mine["ideaIds"], json!([liked_id, disliked_id, early_id]));

    let html = page(api, &token).await;
    for shown in [
        "Roastery tour",
        "Latte art contest",
        "Still with the team",
        "Hook of Roastery tour",
        "Shall we film on Friday?",
    ] {
        assert!(html.contains(shown), "missing {shown}: {html}");
    }
    assert!(!html.contains("INTERNAL-IDEA-NOTE"), "an internal comment leaked: {html}");
    assert!(!html.contains("Not on the link"));
    assert!(html.contains(&format!("action=\"/review/{token}/ideas/{liked_id}/approve\"")), "{html}");
    assert!(!html.contains(&format!("/ideas/{early_id}/approve")), "the team decides first");
    assert!(html.contains("In review by the team first"));

    // An idea the link does not show, a stale page, an idea at the team's stage.
    let r = decide_idea(api, &token, &id(&elsewhere), "approve", &revision(&elsewhere)).await;
    r.expect_error(404, "NOT_FOUND");
    decide_idea(api, &token, &early_id, "approve", &revision(&early)).await.expect_error(409, "CONFLICT");
    let r = decide_idea(api, &token, &liked_id, "approve", "revision=2020-01-01T00%3A00%3A00Z").await;
    r.expect_error(409, "CONFLICT");
    assert_eq!(decide_idea(api, &token, &liked_id, "approve", "").await.fields(), ["revision"]);
    let r = decide_idea(api, &token, &disliked_id, "request-changes", &revision(&disliked)).await;
    assert_eq!(r.fields(), ["comment"]);
    assert_eq!(idea_of(&a, &liked_id).await["status"], "AGENCY_APPROVED", "refusals change nothing");

    let r = decide_idea(api, &token, &liked_id, "approve", &format!("{}&comment=Go", revision(&liked))).await;
    assert_decided(&r, &token, &liked_id);
    let r = decide_idea(
        api,
        &token,
        &disliked_id,
        "request-changes",
        &format!("{}&comment={}", revision(&disliked), form_encode("Not our style")),
    )
    .await;
    assert_decided(&r, &token, &disliked_id);

    let done = idea_of(&a, &liked_id).await;
    assert_eq!(done["status"], "CLIENT_APPROVED");
    let last = done["decisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["stage"].as_str(), last["decision"].as_str(), last["comment"].as_str()),
        (Some("client"), Some("approve"), Some("via review link (Ana): Go"))
    );
    assert_eq!(
        (last["userId"].as_str(), last["reviewLinkId"].as_str()),
        (Some(a.editor.id.as_str()), link["id"].as_str())
    );
    let sent_back = idea_of(&a, &disliked_id).await;
    assert_eq!(sent_back["status"], "CLIENT_REJECTED");
    assert_eq!(sent_back["decisions"][1]["comment"], "via review link (Ana): Not our style");
    // Once decided, the idea waits for nobody; deciding again is refused.
    decide_idea(api, &token, &liked_id, "approve", &revision(&done)).await.expect_error(409, "CONFLICT");
    let html = page(api, &token).await;
    assert!(!html.contains(&format!("/ideas/{liked_id}/approve")));
    // The editor who wrote the ideas hears of both decisions.
    let notes = api.get(&w(&a.ws, "/notifications")).bearer(&a.editor.access).send().await.data();
    let kinds: Vec<String> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["subjectId"] == liked_id.as_str() || n["subjectId"] == disliked_id.as_str())
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"idea.approved".to_string()) && kinds.contains(&"idea.rejected".to_string()), "{notes}");

    // Revoked: the ideas are out of reach.
    let link_id = link["id"].as_str().unwrap();
    api.delete(&w(&a.ws, &format!("/review-links/{link_id}"))).bearer(&a.editor.access).send().await;
    let fresh = idea_of(&a, &early_id).await;
    decide_idea(api, &token, &early_id, "approve", &revision(&fresh)).await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_review_link_never_decides_an_idea_at_the_agency_stage() {
    let a = agency("links-ideas-own").await;
    let api = &a.api;
    let campaign =
        api.post(&w(&a.ws, "/campaigns")).bearer(&a.owner.access).json(json!({"name": "Own"})).send().await.data();
    let proposed = idea(&a, campaign["id"].as_str().unwrap(), "House brand video", false).await;
    let id = proposed["id"].as_str().unwrap();
    // The editor wrote the idea and may not approve it in person (no self-approval): nor
    // through a link of their own, whose reader stands in for a client this idea does not have.
    api.post(&w(&a.ws, &format!("/ideas/{id}/approve")))
        .bearer(&a.editor.access)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let token = create_link(api, &a.editor, &a.ws, json!({"ideaIds": [id]})).await.data()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!page(api, &token).await.contains(&format!("/ideas/{id}/approve")), "no form for the team's stage");
    for (verb, form) in
        [("approve", revision(&proposed)), ("request-changes", format!("{}&comment=No", revision(&proposed)))]
    {
        decide_idea(api, &token, id, verb, &form).await.expect_error(409, "CONFLICT");
    }
    let still = idea_of(&a, id).await;
    assert_eq!(still["status"], "GENERATED");
    assert_eq!(still["decisions"], json!([]));
}

#[tokio::test]
async fn a_review_link_never_decides_an_internal_stage_for_its_maker() {
    let api = Api::new();
    let owner = signup(&api, "links-self").await;
    let ws = create_workspace(&api, &owner, "Links self").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal", "internal": {"roles": ["owner"]}, "allowSelfApproval": false}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let pid = draft(&api, &editor, &ws, json!({"title": "My own"})).await;
    let r = api.post(&w(&ws, &format!("/posts/{pid}/submit"))).bearer(&editor.access).send().await;
    assert_eq!(r.data()["status"], "in_review");
    let internal = pending(&api, &owner, &ws, &pid).await;
    let approve = w(&ws, &format!("/approvals/{}/approve", internal["id"].as_str().unwrap()));
    api.post(&approve).bearer(&editor.access).send().await.expect_error(403, "FORBIDDEN");

    let link = create_link(&api, &editor, &ws, json!({"postIds": [pid], "reviewerName": "Me, really"})).await.data();
    let token = link["token"].as_str().unwrap();
    let html = page(&api, token).await;
    assert!(!html.contains(&format!("/posts/{pid}/approve")), "no form for an internal stage");
    let v = post_of(&api, &owner, &ws, &pid).await["version"].as_i64().unwrap();
    decide(&api, token, &pid, "approve", &format!("version={v}")).await.expect_error(409, "CONFLICT");
    decide(&api, token, &pid, "request-changes", &format!("version={v}&comment=Nope"))
        .await
        .expect_error(409, "CONFLICT");
    assert_eq!(post_of(&api, &owner, &ws, &pid).await["status"], "in_review");
    let stage = pending(&api, &owner, &ws, &pid).await;
    assert_eq!(stage["votes"], json!([]), "no vote under the editor's name: {stage}");
    // The owner, its approver, still decides it.
    let r = api.post(&approve).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(post_of(&api, &owner, &ws, &pid).await["status"], "approved");
}

/// The largest link (50 posts and ideas) is made and shown in a fixed number of round trips to
/// the database, well inside D1's 50 queries per invocation on the free plan, whatever it holds.
#[tokio::test]
async fn the_largest_link_is_made_and_shown_in_a_few_round_trips() {
    let a = agency("link-max").await;
    let waiting = at_client_stage(&a, "Waiting for Acme", json!({"body": "ready"})).await;
    let csv: String = std::iter::once("title,body,clientId,platforms\n".to_string())
        .chain((0..47).map(|i| format!("Bulk {i:02},hello,{},mastodon;bluesky\n", a.client_id)))
        .collect();
    let r = a.api.post(&w(&a.ws, "/posts/import")).bearer(&a.owner.access).typed("text/csv", csv).send().await;
    let mut post_ids: Vec<String> =
        r.data()["rows"].as_array().unwrap().iter().map(|row| row["postId"].as_str().unwrap().to_string()).collect();
    assert_eq!(post_ids.len(), 47);
    post_ids.push(waiting.clone());
    let campaign = a
        .api
        .post(&w(&a.ws, "/campaigns"))
        .bearer(&a.owner.access)
        .json(json!({"name": "Ideas", "clientId": a.client_id}))
        .send()
        .await
        .data();
    let mut idea_ids = Vec::new();
    for title in ["Reel idea", "Carousel idea"] {
        let idea = a
            .api
            .post(&w(&a.ws, &format!("/campaigns/{}/ideas", campaign["id"].as_str().unwrap())))
            .bearer(&a.owner.access)
            .json(json!({"kind": "post", "title": title}))
            .send()
            .await;
        assert_eq!(idea.status, 201, "{}", String::from_utf8_lossy(&idea.body));
        idea_ids.push(idea.data()["id"].as_str().unwrap().to_string());
    }
    let r = create_link(&a.api, &a.editor, &a.ws, json!({"postIds": post_ids, "ideaIds": idea_ids})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let trips: u32 = r.header("x-db-round-trips").and_then(|t| t.parse().ok()).unwrap();
    assert!(trips <= 10, "{trips} round trips to make the link");
    let token = r.data()["token"].as_str().unwrap().to_string();
    let mut too_many = idea_ids.clone();
    too_many.push("00000000-0000-4000-8000-000000000051".to_string());
    let one_more = create_link(&a.api, &a.editor, &a.ws, json!({"postIds": post_ids, "ideaIds": too_many})).await;
    assert_eq!(one_more.fields(), ["postIds"], "51 items are refused");

    let r = a.api.get(&format!("/review/{token}")).send().await;
    assert_eq!(r.status, 200);
    let trips: u32 = r.header("x-db-round-trips").and_then(|t| t.parse().ok()).unwrap();
    assert!(trips <= 10, "{trips} round trips to show the page");
    let html = String::from_utf8(r.body).unwrap();
    for i in 0..47 {
        assert!(html.contains(&format!("Bulk {i:02}")), "post {i} is shown");
    }
    assert!(html.contains("Waiting for Acme") && html.contains("Reel idea") && html.contains("Carousel idea"));
    // The one post at the client stage is the one the link may decide.
    let form = format!("version={}", version(&a.api, &a, &waiting).await);
    assert_decided(&decide(&a.api, &token, &waiting, "approve", &form).await, &token, &waiting);
    assert_eq!(post_of(&a.api, &a.owner, &a.ws, &waiting).await["status"], "approved");
}
