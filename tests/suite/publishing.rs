//! Publishing (SPEC PB-1 … PB-6) against a local server that follows Mastodon's documented
//! contract: accounts connected with checked, sealed credentials; schedules; the cron (the
//! tick in process, the Worker's cron trigger and queue remotely); and, under injected
//! faults, every publication published exactly once or failed with a reason — never twice.

use std::time::{Duration, Instant};

use herald_tests::fakes::{FakeMastodon, FakeX, Fault};
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn connect(api: &Api, owner: &User, ws: &str, fake: &FakeMastodon, token: &str) -> Resp {
    api.post(&w(ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "mastodon", "instanceUrl": fake.base, "accessToken": token}))
        .send()
        .await
}

async fn post_for_mastodon(api: &Api, user: &User, ws: &str, text: &str) -> String {
    let r = api
        .post(&w(ws, "/posts"))
        .bearer(&user.access)
        .json(json!({"title": text, "body": text, "targets": [{"platform": "mastodon"}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

async fn schedule(api: &Api, user: &User, ws: &str, post: &str, body: Value) -> Resp {
    api.post(&w(ws, &format!("/posts/{post}/schedule"))).bearer(&user.access).json(body).send().await
}

async fn publications(api: &Api, user: &User, ws: &str, post: &str) -> Vec<Value> {
    let r = api.get(&w(ws, &format!("/posts/{post}/publications?limit=100"))).bearer(&user.access).send().await;
    r.data()["items"].as_array().unwrap().clone()
}

/// A valid 1×1 PNG, ready in the workspace's media library.
async fn ready_png(api: &Api, user: &User, ws: &str) -> String {
    ready_image(api, user, ws, "image/png", PNG_1X1).await
}

/// A 1×1 JPEG (Instagram takes JPEG only).
const JPEG: &str = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=";

async fn ready_jpeg(api: &Api, user: &User, ws: &str) -> String {
    ready_image(api, user, ws, "image/jpeg", JPEG).await
}

/// Checks that the platform fetched `asset` itself. Where the host presigns for an S3-compatible
/// store (Spin with `s3_*`), the URL is a presigned GET and the fake fetched the JPEG from the
/// store. On the Worker (no presigning store) the URL is Herald's signed media link: the fake
/// fetched the JPEG through it, and the link names that one asset only — a changed signature or
/// asset is a 404, without credentials either way.
async fn assert_pulled(api: &Api, fake: &FakeX, ws: &str, asset: &str) {
    use base64::Engine;
    use sha2::Digest;
    let pulls: Vec<_> = fake.pulls().into_iter().filter(|p| p.url.contains(asset)).collect();
    assert!(!pulls.is_empty(), "nobody fetched {asset}");
    if !api.is_remote() {
        return; // presigned for the in-process bucket, which nobody serves
    }
    let jpeg = base64::engine::general_purpose::STANDARD.decode(JPEG).unwrap();
    let sha: String = sha2::Sha256::digest(&jpeg).iter().map(|b| format!("{b:02x}")).collect();
    for p in &pulls {
        assert_eq!((p.sha256.as_str(), p.content_type.as_str()), (sha.as_str(), "image/jpeg"), "{p:?}");
    }
    if pulls.iter().all(|p| p.url.contains("X-Amz-Signature=")) {
        return; // presigned by the store: its signature is the store's to check
    }
    for p in &pulls {
        assert!(p.url.contains(&format!("/api/v1/media-links/{ws}/{asset}?expires=")), "{p:?}");
    }
    let path = &pulls[0].url[pulls[0].url.find("/api/").unwrap()..];
    let r = api.get(path).send().await;
    assert_eq!((r.status, r.body.as_slice()), (200, jpeg.as_slice()));
    let forged = format!("{}A", &path[..path.len() - 1]);
    let forged = if forged == path { format!("{}B", &path[..path.len() - 1]) } else { forged };
    assert_eq!(api.get(&forged).send().await.status, 404);
    let elsewhere = path.replace(asset, "0190aaaa-0000-7000-8000-000000000000");
    assert_eq!(api.get(&elsewhere).send().await.status, 404);
}

const IN_FLIGHT: [&str; 5] = ["scheduled", "queued", "publishing", "retrying", "unconfirmed"];

/// Fires the cron until no publication of `posts` is in flight (or 90 s pass).
async fn settle(api: &Api, user: &User, ws: &str, posts: &[String]) -> Vec<Value> {
    let started = Instant::now();
    loop {
        api.run_cron().await;
        tokio::time::sleep(Duration::from_millis(if api.is_remote() { 1200 } else { 400 })).await;
        let mut all = Vec::new();
        for p in posts {
            all.extend(publications(api, user, ws, p).await);
        }
        if all.iter().all(|p| !IN_FLIGHT.contains(&p["status"].as_str().unwrap_or_default())) {
            return all;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "still in flight: {all:#?}");
    }
}

#[tokio::test]
async fn accounts_are_connected_with_checked_credentials_that_never_leave_the_server() {
    let api = Api::new();
    let fake = FakeMastodon::start("mastodon-token-secret-1");
    let owner = signup(&api, "accounts").await;
    let ws = create_workspace(&api, &owner, "Accounts").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;

    connect(&api, &editor, &ws, &fake, "mastodon-token-secret-1").await.expect_error(403, "FORBIDDEN");
    assert_eq!(connect(&api, &owner, &ws, &fake, "wrong-token").await.fields(), ["accessToken"]);
    let r =
        api.post(&w(&ws, "/social-accounts")).bearer(&owner.access).json(json!({"platform": "mastodon"})).send().await;
    assert_eq!(r.fields(), ["accessToken", "instanceUrl"]);
    let r =
        api.post(&w(&ws, "/social-accounts")).bearer(&owner.access).json(json!({"platform": "myspace"})).send().await;
    assert_eq!(r.fields(), ["platform"]);

    let r = connect(&api, &owner, &ws, &fake, "mastodon-token-secret-1").await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(!String::from_utf8_lossy(&r.body).contains("mastodon-token-secret-1"), "a token never leaves");
    let account = r.data();
    assert_eq!(
        (
            account["platform"].as_str(),
            account["handle"].as_str(),
            account["externalId"].as_str(),
            account["status"].as_str()
        ),
        (Some("mastodon"), Some("herald"), Some("109"), Some("active"))
    );
    // Sealed at rest: the token is nowhere in the database.
    assert_ne!(api.stored_anywhere("mastodon-token-secret-1").await, Some(true));
    let listed = api.get(&w(&ws, "/social-accounts")).bearer(&editor.access).send().await;
    assert!(!String::from_utf8_lossy(&listed.body).contains("mastodon-token-secret-1"));
    assert_eq!(listed.data().as_array().unwrap().len(), 1);
    // Connecting the same account again reconnects it.
    let again = connect(&api, &owner, &ws, &fake, "mastodon-token-secret-1").await;
    assert_eq!((again.status, again.data()["id"].clone()), (200, account["id"].clone()));

    // Another workspace can neither see nor use it.
    let stranger = signup(&api, "accounts-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Theirs").await;
    let id = account["id"].as_str().unwrap();
    api.get(&w(&theirs, &format!("/social-accounts/{id}")))
        .bearer(&stranger.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let post = post_for_mastodon(&api, &stranger, &theirs, "Not yours").await;
    let r = schedule(&api, &stranger, &theirs, &post, json!({"accountIds": [id]})).await;
    assert_eq!(r.fields(), ["accountIds[0]"]);
    assert!(fake.statuses().is_empty());
}

#[tokio::test]
async fn a_scheduled_post_is_published_once_by_the_cron() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-once");
    let owner = signup(&api, "publish").await;
    let ws = create_workspace(&api, &owner, "Publish").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-once").await.data();
    let account_id = account["id"].as_str().unwrap();
    let unique = unique_email("text");
    let post = post_for_mastodon(&api, &owner, &ws, &format!("Hello from Herald {unique}")).await;

    // Validation first: unknown account, bad time zone, a time in the past.
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": ["nope"]})).await;
    assert_eq!(r.fields(), ["accountIds[0]"]);
    let r = schedule(
        &api,
        &owner,
        &ws,
        &post,
        json!({"accountIds": [account_id], "at": "2026-12-01T09:00", "timezone": "Mars/Base"}),
    )
    .await;
    assert_eq!(r.fields(), ["timezone"]);
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id], "at": "2020-01-01T09:00:00Z"})).await;
    assert_eq!(r.fields(), ["at"]);

    // Later today in Paris: scheduled, then rescheduled, then cancelled.
    let later = schedule(
        &api,
        &owner,
        &ws,
        &post,
        json!({"accountIds": [account_id], "at": "2099-06-01T09:00", "timezone": "Europe/Paris"}),
    )
    .await;
    assert_eq!(later.fields(), ["at"], "more than two years ahead");
    let r = schedule(
        &api,
        &owner,
        &ws,
        &post,
        json!({"accountIds": [account_id], "at": next_year("06-01T09:00"), "timezone": "Europe/Paris"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()[0]["dueAt"], next_year("06-01T07:00:00.000Z"), "09:00 in Paris in summer");
    schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await.expect_error(409, "CONFLICT");
    api.run_cron().await;
    assert_eq!(publications(&api, &owner, &ws, &post).await[0]["status"], "scheduled", "not due yet");
    let r = api
        .request("PATCH", &w(&ws, &format!("/posts/{post}/schedule")))
        .bearer(&owner.access)
        .json(json!({"at": next_year("06-02T10:30:00+02:00")}))
        .send()
        .await;
    assert_eq!(r.data()[0]["dueAt"], next_year("06-02T08:30:00.000Z"));
    let r = api.delete(&w(&ws, &format!("/posts/{post}/schedule"))).bearer(&owner.access).send().await;
    assert_eq!(r.data()[0]["status"], "cancelled");
    let status =
        api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data()["status"].clone();
    assert_eq!(status, "approved");

    // Now: the cron publishes it, once.
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    let published: Vec<&Value> = done.iter().filter(|p| p["status"] == "published").collect();
    assert_eq!(published.len(), 1, "{done:#?}");
    let p = published[0];
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].text, format!("Hello from Herald {unique}"));
    assert_eq!(p["remoteId"], statuses[0].id.as_str());
    assert_eq!(statuses[0].idempotency_key.as_deref(), p["id"].as_str(), "the publication is the idempotency key");
    assert_eq!(p["attemptLog"].as_array().unwrap().len(), 1);
    assert_eq!(p["attemptLog"][0]["outcome"], "published");
    let status =
        api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data()["status"].clone();
    assert_eq!(status, "published");
    // More cron runs publish nothing more.
    api.run_cron().await;
    api.run_cron().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.statuses().len(), 1);
}

#[tokio::test]
async fn under_injected_faults_every_publication_ends_published_once_or_failed_with_a_reason() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-faults");
    let owner = signup(&api, "faults").await;
    let ws = create_workspace(&api, &owner, "Faults").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-faults").await.data();
    let account_id = account["id"].as_str().unwrap();
    // The HTTP client gives up after 5 s (in process; PLATFORM_TIMEOUT_MS on the Worker under
    // test): an answer past that is unknown.
    let faults =
        vec![Fault::UnavailableBefore, Fault::ErrorAfter, Fault::ResetAfter, Fault::Unprocessable, Fault::HangAfter(7)];
    fake.inject(&faults);
    let mut posts = Vec::new();
    for i in 0..faults.len() + 1 {
        let post = post_for_mastodon(&api, &owner, &ws, &format!("Fault run {i} {}", unique_email("f"))).await;
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        posts.push(post);
    }
    let done = settle(&api, &owner, &ws, &posts).await;
    let count = |s: &str| done.iter().filter(|p| p["status"] == s).count();
    assert_eq!((count("published"), count("failed")), (posts.len() - 1, 1), "{done:#?}");
    assert_eq!(fake.duplicates(), 0, "{:#?}", fake.statuses());
    assert_eq!(fake.statuses().len(), posts.len() - 1, "one status per published publication");
    let failed = done.iter().find(|p| p["status"] == "failed").unwrap();
    assert!(failed["reason"].as_str().unwrap().contains("Validation failed"), "{failed}");
    // Every outcome is in the attempt logs: unconfirmed ones settled through the idempotency key.
    let outcomes: Vec<String> = done
        .iter()
        .flat_map(|p| p["attemptLog"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap().to_string()))
        .collect();
    for want in ["unconfirmed", "reconciled", "failed", "published"] {
        assert!(outcomes.iter().any(|o| o == want), "no {want} in {outcomes:?}");
    }
    // The hang was given up on, not waited out.
    let details: Vec<&str> = done
        .iter()
        .flat_map(|p| p["attemptLog"].as_array().unwrap().iter().filter_map(|a| a["detail"].as_str()))
        .collect();
    assert!(details.iter().any(|d| d.contains("no answer to the publish call (timed out)")), "{details:?}");
    for p in &done {
        if p["status"] == "published" {
            let remote = p["remoteId"].as_str().unwrap();
            assert!(fake.statuses().iter().any(|s| s.id == remote), "{p}");
        }
    }
}

#[tokio::test]
async fn a_post_schedules_to_twenty_accounts_at_once_within_its_round_trips() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("many-token-");
    let owner = signup(&api, "many-accounts").await;
    let ws = create_workspace(&api, &owner, "Many accounts").await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let r = connect(&api, &owner, &ws, &fake, &format!("many-token-{n}")).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        ids.push(r.data()["id"].as_str().unwrap().to_string());
    }
    let post = post_for_mastodon(&api, &owner, &ws, "To every account").await;
    // The harness fails any call over its route's budget: the accounts are read together, not
    // one round trip each. A 21st account and a stranger's are refused by position.
    let mut too_many = ids.clone();
    too_many.push("01900000-0000-7000-8000-000000000000".into());
    let r =
        schedule(&api, &owner, &ws, &post, json!({"accountIds": too_many, "at": next_year("01-01T09:00:00Z")})).await;
    assert_eq!(r.fields(), ["accountIds"]);
    let mut stranger = ids[..19].to_vec();
    stranger.push("01900000-0000-7000-8000-000000000000".into());
    let r =
        schedule(&api, &owner, &ws, &post, json!({"accountIds": stranger, "at": next_year("01-01T09:00:00Z")})).await;
    assert_eq!(r.fields(), ["accountIds[19]"]);
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": ids, "at": next_year("01-01T09:00:00Z")})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data().as_array().map(Vec::len), Some(20), "one publication per account");
}

#[tokio::test]
async fn a_rate_limit_pauses_the_account_and_a_revoked_token_asks_for_a_reconnect() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-limits");
    let owner = signup(&api, "limits").await;
    let ws = create_workspace(&api, &owner, "Limits").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-limits").await.data();
    let account_id = account["id"].as_str().unwrap().to_string();

    fake.inject(&[Fault::RateLimited(2)]);
    let post = post_for_mastodon(&api, &owner, &ws, &format!("Limited {}", unique_email("l"))).await;
    schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await;
    api.run_cron().await;
    let mut paused = Value::Null;
    for _ in 0..30 {
        paused = api.get(&w(&ws, &format!("/social-accounts/{account_id}"))).bearer(&owner.access).send().await.data();
        if paused["pausedUntil"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(paused["pausedUntil"].is_string(), "{paused}");
    let waiting = publications(&api, &owner, &ws, &post).await;
    assert_eq!(waiting[0]["status"], "retrying", "{waiting:#?}");
    assert!(waiting[0]["reason"].as_str().unwrap().contains("rate limited"));
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    assert_eq!(done[0]["status"], "published", "{done:#?}");
    assert_eq!(fake.statuses().len(), 1);

    fake.inject(&[Fault::Revoked]);
    let post = post_for_mastodon(&api, &owner, &ws, &format!("Revoked {}", unique_email("r"))).await;
    schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await;
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    assert_eq!(done[0]["status"], "failed");
    assert!(done[0]["reason"].as_str().unwrap().contains("reconnect"), "{}", done[0]);
    let account = api.get(&w(&ws, &format!("/social-accounts/{account_id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(account["status"], "needs_reconnect");
    let inbox = api.get(&w(&ws, "/notifications")).bearer(&owner.access).send().await.data();
    assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "account.needs_reconnect"), "{inbox}");
    // Reconnecting makes it active again.
    let again = connect(&api, &owner, &ws, &fake, "tok-limits").await;
    assert_eq!(again.data()["status"], "active");
    assert_eq!(fake.statuses().len(), 1, "nothing was posted for the revoked attempt");
}

#[tokio::test]
async fn exhausted_retries_end_in_the_dead_letter_list_with_their_reason() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-dead");
    let owner = signup(&api, "dead").await;
    let ws = create_workspace(&api, &owner, "Dead").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-dead").await.data();
    // The media upload precedes the post: its failures are safe to retry, until they run out.
    fake.fail_media(5);
    let asset = ready_png(&api, &owner, &ws).await;
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Never up", "body": "Never up", "targets": [{"platform": "mastodon", "media": [asset]}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    assert_eq!(done[0]["status"], "dead", "{done:#?}");
    assert_eq!(done[0]["attempts"], 5);
    assert!(done[0]["reason"].as_str().unwrap().contains("gave up after 5 attempts"), "{}", done[0]);
    assert_eq!(done[0]["attemptLog"].as_array().unwrap().len(), 5);
    let dead = api.get(&w(&ws, "/publications?status=dead")).bearer(&owner.access).send().await.data()["items"].clone();
    assert_eq!(dead.as_array().unwrap().len(), 1);
    assert_eq!(dead[0]["id"], done[0]["id"]);
    let r = api.get(&w(&ws, "/publications?status=zombie")).bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["status"]);
    let status =
        api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data()["status"].clone();
    assert_eq!(status, "failed");
    assert!(fake.statuses().is_empty());
}

/// A new workspace with X account `{prefix}…` connected through OAuth whose access tokens
/// last a minute (inside the refresh window): its owner, workspace, X user and account.
async fn x_account_expiring_soon(api: &Api, prefix: &str) -> (User, String, String, Value) {
    let owner = signup(api, &format!("x-{prefix}")).await;
    let ws = create_workspace(api, &owner, &format!("X {prefix}")).await;
    let user = format!("{prefix}{}", &unique_email("u")[2..10]);
    FakeX::get().token_lifetime(&user, 60);
    let account = connect_x(api, &owner, &ws, &user).await.data()[0].clone();
    (owner, ws, user, account)
}

/// Connects X account `user` through OAuth 2 with PKCE, as a browser would.
async fn connect_x(api: &Api, owner: &User, ws: &str, user: &str) -> Resp {
    connect_oauth(api, owner, ws, "x", user).await
}

async fn post_for_x(api: &Api, user: &User, ws: &str, text: &str) -> String {
    let r = api
        .post(&w(ws, "/posts"))
        .bearer(&user.access)
        .json(json!({"title": "For X", "body": text, "targets": [{"platform": "x"}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn x_connects_through_oauth_with_pkce_and_a_state_works_once() {
    let api = Api::new();
    let owner = signup(&api, "x-oauth").await;
    let ws = create_workspace(&api, &owner, "X").await;
    let user = format!("xo{}", &unique_email("u")[2..10]);
    let r = api
        .post(&w(&ws, "/social-accounts/oauth/start"))
        .bearer(&owner.access)
        .json(json!({"platform": "x", "redirectUri": "https://evil.example/steal"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["redirectUri"]);
    let r = api
        .post(&w(&ws, "/social-accounts/oauth/start"))
        .bearer(&owner.access)
        .json(json!({"platform": "mastodon", "redirectUri": "https://app.example.test/cb"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["platform"]);
    let r = api
        .post(&w(&ws, "/social-accounts/oauth/callback"))
        .bearer(&owner.access)
        .json(json!({"state": "forged", "code": "x"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["state"]);

    let x = FakeX::get();
    let started = api
        .post(&w(&ws, "/social-accounts/oauth/start"))
        .bearer(&owner.access)
        .json(json!({"platform": "x", "redirectUri": "https://app.example.test/oauth/x"}))
        .send()
        .await
        .data();
    let (code, state) = x.approve(started["authorizeUrl"].as_str().unwrap(), &user);
    let callback = json!({"state": state, "code": code});
    let r =
        api.post(&w(&ws, "/social-accounts/oauth/callback")).bearer(&owner.access).json(callback.clone()).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(!String::from_utf8_lossy(&r.body).contains("x-access-"), "tokens never leave");
    assert_eq!(r.data().as_array().map(Vec::len), Some(1), "one account");
    let account = r.data()[0].clone();
    assert_eq!(
        (account["platform"].as_str(), account["handle"].as_str(), account["authKind"].as_str()),
        (Some("x"), Some(user.as_str()), Some("oauth"))
    );
    assert_eq!(account["externalId"], format!("id-{user}"));
    // The state is spent.
    let r = api.post(&w(&ws, "/social-accounts/oauth/callback")).bearer(&owner.access).json(callback).send().await;
    assert_eq!(r.fields(), ["state"]);
    // Another workspace's member cannot spend it either.
    let stranger = signup(&api, "x-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Theirs").await;
    let started = api
        .post(&w(&ws, "/social-accounts/oauth/start"))
        .bearer(&owner.access)
        .json(json!({"platform": "x", "redirectUri": "https://app.example.test/oauth/x"}))
        .send()
        .await
        .data();
    let (code, state) = x.approve(started["authorizeUrl"].as_str().unwrap(), &user);
    let r = api
        .post(&w(&theirs, "/social-accounts/oauth/callback"))
        .bearer(&stranger.access)
        .json(json!({"state": state, "code": code}))
        .send()
        .await;
    assert_eq!(r.fields(), ["state"]);
}

#[tokio::test]
async fn x_tokens_are_refreshed_before_expiry_rotated_and_never_erased_by_a_reconnect() {
    let api = Api::new();
    let x = FakeX::get();
    // Access tokens that expire within the refresh window: every publish refreshes first.
    let (owner, ws, user, account) = x_account_expiring_soon(&api, "xr").await;
    // Reconnect with a grant that has no refresh token: the stored one must survive.
    x.withhold_refresh_tokens(&user);
    let again = connect_x(&api, &owner, &ws, &user).await;
    assert_eq!((again.status, again.data()[0]["id"].clone()), (200, account["id"].clone()));

    let before = x.refreshes();
    for round in 0..2 {
        let text = format!("Round {round} for {user}");
        let post = post_for_x(&api, &owner, &ws, &text).await;
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
        assert_eq!(done[0]["status"], "published", "round {round}: {done:#?}");
        assert!(x.tweets_of(&user).iter().any(|t| t.text == text));
    }
    // Two refreshes: the first spent the refresh token the reconnect kept; X rotated it, and
    // the second worked only because the rotated one was stored.
    assert!(x.refreshes() >= before + 2, "{} refreshes", x.refreshes() - before);
    assert_eq!(x.tweets_of(&user).len(), 2);
    let account = api
        .get(&w(&ws, &format!("/social-accounts/{}", account["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    assert_eq!(account["status"], "active");
}

#[tokio::test]
async fn x_unknown_outcomes_are_settled_by_reading_the_timeline_never_by_posting_twice() {
    let api = Api::new();
    let x = FakeX::get();
    let owner = signup(&api, "x-faults").await;
    let ws = create_workspace(&api, &owner, "X faults").await;
    let user = format!("xf{}", &unique_email("u")[2..10]);
    let account = connect_x(&api, &owner, &ws, &user).await.data()[0].clone();
    let mut posts = Vec::new();
    for (i, fault) in
        [Fault::ErrorAfter, Fault::UnavailableBefore, Fault::ResetAfter, Fault::Unprocessable].into_iter().enumerate()
    {
        let marker = format!("[{user}-{i}]");
        x.inject(&marker, fault);
        let post = post_for_x(&api, &owner, &ws, &format!("Fault {marker}")).await;
        schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
        posts.push(post);
    }
    let done = settle(&api, &owner, &ws, &posts).await;
    let count = |s: &str| done.iter().filter(|p| p["status"] == s).count();
    assert_eq!((count("published"), count("failed")), (3, 1), "{done:#?}");
    let tweets = x.tweets_of(&user);
    assert_eq!(tweets.len(), 3, "one post each, never two: {tweets:#?}");
    for p in done.iter().filter(|p| p["status"] == "published") {
        assert!(tweets.iter().any(|t| Some(t.id.as_str()) == p["remoteId"].as_str()), "{p}");
    }
    let failed = done.iter().find(|p| p["status"] == "failed").unwrap();
    assert!(failed["reason"].as_str().unwrap().contains("duplicate content"), "{failed}");
}

/// Scheduling checks membership in its first read; with an Idempotency-Key the caller is
/// admitted before the key is reserved or replayed, so a stored answer goes only to a member.
#[tokio::test]
async fn a_scheduling_key_replays_only_to_a_member_still_allowed_to_schedule() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-replay-wall");
    let owner = signup(&api, "replay-wall").await;
    let ws = create_workspace(&api, &owner, "Replay wall").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-replay-wall").await.data();
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    let post = post_for_mastodon(&api, &owner, &ws, &format!("Keyed {}", unique_email("k"))).await;
    let path = w(&ws, &format!("/posts/{post}/schedule"));
    let body = json!({"accountIds": [account["id"]], "at": next_year("08-01T09:00:00Z")});
    let send = |user: &User| {
        api.post(&path).bearer(&user.access).header("idempotency-key", "schedule-once").json(body.clone())
    };
    let first = send(&editor).send().await;
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    let again = send(&editor).send().await;
    assert_eq!((again.status, again.data()), (201, first.data()), "the same answer again");
    send(&viewer).send().await.expect_error(403, "FORBIDDEN");
    let stranger = signup(&api, "replay-stranger").await;
    send(&stranger).send().await.expect_error(404, "NOT_FOUND");
    let r = api.delete(&w(&ws, &format!("/members/{}", editor.id))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    send(&editor).send().await.expect_error(404, "NOT_FOUND");
    // Without a key the folded check refuses them too.
    let r = api.post(&path).bearer(&editor.access).json(body.clone()).send().await;
    r.expect_error(404, "NOT_FOUND");
    api.post(&path).bearer(&viewer.access).json(body).send().await.expect_error(403, "FORBIDDEN");
    // Unkeyed, a schedule is three round trips: the membership check with everything it reads,
    // the write, the answer (a key adds its reservation, its answer and the check on its own).
    let other = post_for_mastodon(&api, &owner, &ws, &format!("Unkeyed {}", unique_email("u"))).await;
    let body = json!({"accountIds": [account["id"]], "at": next_year("08-02T09:00:00Z")});
    let r = schedule(&api, &owner, &ws, &other, body).await;
    assert_eq!((r.status, r.header("x-db-round-trips")), (201, Some("3")), "{}", String::from_utf8_lossy(&r.body));
}

/// The workflow that governs scheduling is the post's client's when it has one (read through the
/// post, with it, in one round trip), else the workspace's.
#[tokio::test]
async fn a_clients_own_workflow_governs_scheduling_its_posts() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-client-flow");
    let owner = signup(&api, "client-flow").await;
    let ws = create_workspace(&api, &owner, "Client flow").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-client-flow").await.data();
    let client =
        api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Strict"})).send().await.data();
    let cid = client["id"].as_str().unwrap();
    let r = api
        .request("PUT", &w(&ws, &format!("/clients/{cid}/approval-workflow")))
        .bearer(&owner.access)
        .json(json!({"stages": "internal"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let draft_of = |client: Option<&str>, text: &str| {
        let body = json!({"title": text, "body": text, "clientId": client, "targets": [{"platform": "mastodon"}]});
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            let r = api.post(&w(ws, "/posts")).bearer(&owner.access).json(body).send().await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.data()["id"].as_str().unwrap().to_string()
        }
    };
    let strict = draft_of(Some(cid), &format!("Strict {}", unique_email("s"))).await;
    let free = draft_of(None, &format!("Free {}", unique_email("f"))).await;
    let at = json!({"accountIds": [account["id"]], "at": next_year("05-01T09:00:00Z")});
    let r = schedule(&api, &owner, &ws, &strict, at.clone()).await;
    let body = r.expect_error(409, "CONFLICT");
    assert!(body["error"].as_str().unwrap().contains("only approved posts"), "{body}");
    let r = schedule(&api, &owner, &ws, &free, at.clone()).await;
    assert_eq!(r.status, 201, "no workflow of its own: approved on the way; {}", String::from_utf8_lossy(&r.body));
    let post = api.get(&w(&ws, &format!("/posts/{free}"))).bearer(&owner.access).send().await.data();
    assert_eq!(post["status"], "scheduled");
    // Scheduled once is enough: a second schedule waits for the first to be cancelled.
    schedule(&api, &owner, &ws, &free, at).await.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn under_a_workflow_only_approved_posts_are_scheduled_and_an_edit_withdraws_the_schedule() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-flow");
    let owner = signup(&api, "flow-publish").await;
    let ws = create_workspace(&api, &owner, "Flow publish").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-flow").await.data();
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let post = post_for_mastodon(&api, &writer, &ws, &format!("Needs approval {}", unique_email("a"))).await;
    let body = json!({"accountIds": [account["id"]]});
    schedule(&api, &writer, &ws, &post, body.clone()).await.expect_error(403, "FORBIDDEN");
    let r = schedule(&api, &editor, &ws, &post, body.clone()).await;
    r.expect_error(409, "CONFLICT");
    api.post(&w(&ws, &format!("/posts/{post}/submit"))).bearer(&writer.access).send().await;
    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&owner.access).send().await.data()
        ["items"]
        .clone();
    let request = history[0]["id"].as_str().unwrap().to_string();
    let r =
        api.post(&w(&ws, &format!("/approvals/{request}/approve"))).bearer(&editor.access).json(json!({})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = schedule(
        &api,
        &editor,
        &ws,
        &post,
        json!({"accountIds": [account["id"]], "at": next_year("03-01T10:00"), "timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()[0]["dueAt"], next_year("03-01T15:00:00.000Z"), "New York keeps standard time until mid-March");
    // The approved text changes: the schedule is withdrawn and the post goes back to review.
    let current = api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&writer.access).send().await.data();
    let r = api
        .request("PATCH", &w(&ws, &format!("/posts/{post}")))
        .bearer(&writer.access)
        .json(json!({"body": "Changed after approval", "version": current["version"]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["status"], "in_review");
    let list = publications(&api, &owner, &ws, &post).await;
    assert_eq!(list[0]["status"], "cancelled");
    assert!(list[0]["reason"].as_str().unwrap().contains("edited"), "{}", list[0]);
    api.run_cron().await;
    assert!(fake.statuses().is_empty(), "nothing unapproved is published");
}

#[tokio::test]
async fn linkedin_posts_with_an_image_through_the_versioned_posts_api_once_even_after_an_unknown_outcome() {
    let api = Api::new();
    let fake = FakeX::get();
    let owner = signup(&api, "linkedin").await;
    let ws = create_workspace(&api, &owner, "LinkedIn").await;
    let user = format!("li{}", &unique_email("u")[2..10]);
    let r = connect_oauth(&api, &owner, &ws, "linkedin", &user).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let account = r.data()[0].clone();
    assert_eq!(
        (account["platform"].as_str(), account["externalId"].as_str()),
        (Some("linkedin"), Some(format!("li-{user}").as_str()))
    );
    let asset = ready_png(&api, &owner, &ws).await;
    let mut posts = Vec::new();
    for (i, fault) in [None, Some(Fault::ErrorAfter), Some(Fault::Unprocessable)].into_iter().enumerate() {
        let marker = format!("[{user}-{i}]");
        if let Some(f) = fault {
            fake.inject(&marker, f);
        }
        let r = api
            .post(&w(&ws, "/posts"))
            .bearer(&owner.access)
            .json(json!({"title": "For LinkedIn", "body": format!("Our news {marker}"), "targets": [{"platform": "linkedin", "media": [asset]}]}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let post = r.data()["id"].as_str().unwrap().to_string();
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        posts.push(post);
    }
    let done = settle(&api, &owner, &ws, &posts).await;
    let count = |s: &str| done.iter().filter(|p| p["status"] == s).count();
    assert_eq!((count("published"), count("failed")), (2, 1), "{done:#?}");
    let written = fake.tweets_of(&format!("li:{user}"));
    assert_eq!(written.len(), 2, "once each: {written:#?}");
    for p in done.iter().filter(|p| p["status"] == "published") {
        let urn = p["remoteId"].as_str().unwrap();
        assert!(urn.starts_with("urn:li:share:") && written.iter().any(|t| t.id == urn), "{p}");
    }
}

#[tokio::test]
async fn posting_slots_give_the_next_free_slot_and_repeats_schedule_each_occurrence() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-slots");
    let owner = signup(&api, "slots").await;
    let ws = create_workspace(&api, &owner, "Slots").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-slots").await.data();
    let id = account["id"].as_str().unwrap();
    let slots_path = w(&ws, &format!("/social-accounts/{id}/slots"));
    let r = api
        .request("PUT", &slots_path)
        .bearer(&owner.access)
        .json(json!({"timezone": "Mars/Base", "slots": [{"day": "someday", "time": "25:00"}]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["timezone", "slots[0].day", "slots[0].time"]);
    api.get(&w(&ws, &format!("/social-accounts/{id}/next-slot")))
        .bearer(&owner.access)
        .send()
        .await
        .expect_error(409, "CONFLICT");
    let every_day: Vec<Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| json!({"day": d, "time": "09:00"})).collect();
    let r = api
        .request("PUT", &slots_path)
        .bearer(&owner.access)
        .json(json!({"timezone": "Asia/Tokyo", "slots": every_day}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (r.data()["slotTimezone"].as_str(), r.data()["slots"].as_array().map(Vec::len)),
        (Some("Asia/Tokyo"), Some(7))
    );
    let next = api.get(&w(&ws, &format!("/social-accounts/{id}/next-slot"))).bearer(&owner.access).send().await.data();
    let first = next["at"].as_str().unwrap().to_string();
    assert!(first.ends_with("T00:00:00.000Z"), "09:00 in Tokyo is 00:00 UTC: {first}");

    // Two posts into the next free slots: the second takes the slot after the first's.
    let one = post_for_mastodon(&api, &owner, &ws, "Slot one").await;
    let two = post_for_mastodon(&api, &owner, &ws, "Slot two").await;
    let a = schedule(&api, &owner, &ws, &one, json!({"accountIds": [id], "at": "next-free-slot"})).await.data();
    let b = schedule(&api, &owner, &ws, &two, json!({"accountIds": [id], "at": "next-free-slot"})).await.data();
    assert_eq!(a[0]["dueAt"], first.as_str());
    assert_eq!(a[0]["timezone"], "Asia/Tokyo");
    let (t1, t2) = (a[0]["dueAt"].as_str().unwrap().to_string(), b[0]["dueAt"].as_str().unwrap().to_string());
    assert!(t2 > t1 && t2.ends_with("T00:00:00.000Z"), "{t1} then {t2}");

    // A weekly repeat: four publications a week apart, each 09:00 in New York, starting the
    // Sunday before the clocks change (the second Sunday of March).
    let year = next_year("")[..4].parse::<i16>().unwrap();
    let change = jiff::civil::date(year, 3, 1).nth_weekday_of_month(2, jiff::civil::Weekday::Sunday).unwrap();
    let sunday = |weeks: i64| change.checked_add(jiff::Span::new().weeks(weeks)).unwrap();
    let weekly = post_for_mastodon(&api, &owner, &ws, "Weekly tip").await;
    let r = schedule(&api, &owner, &ws, &weekly, json!({"accountIds": [id], "at": format!("{}T09:00", sunday(-1)), "timezone": "America/New_York", "repeat": {"every": "week", "count": 4}})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let data = r.data();
    let due: Vec<&str> = data.as_array().unwrap().iter().map(|p| p["dueAt"].as_str().unwrap()).collect();
    assert_eq!(
        due,
        [
            format!("{}T14:00:00.000Z", sunday(-1)),
            format!("{}T13:00:00.000Z", sunday(0)),
            format!("{}T13:00:00.000Z", sunday(1)),
            format!("{}T13:00:00.000Z", sunday(2))
        ],
        "the clocks change on the second Sunday of March"
    );
    let r = schedule(&api, &owner, &ws, &weekly, json!({"accountIds": [id], "repeat": {"every": "year", "count": 99}}))
        .await;
    assert_eq!(r.fields(), ["repeat.count"]);
}

async fn connect_token(api: &Api, owner: &User, ws: &str, body: Value) -> Value {
    let r = api.post(&w(ws, "/social-accounts")).bearer(&owner.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()
}

async fn post_with(api: &Api, user: &User, ws: &str, platform: &str, text: &str, media: &[String]) -> String {
    let r = api
        .post(&w(ws, "/posts"))
        .bearer(&user.access)
        .json(json!({"title": platform, "body": text, "targets": [{"platform": platform, "media": media}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn facebook_pages_threads_instagram_and_tiktok_publish_through_their_graph_contracts() {
    let api = Api::new();
    let fake = FakeX::get();
    let owner = signup(&api, "meta").await;
    let ws = create_workspace(&api, &owner, "Meta").await;
    let user = format!("m{}", &unique_email("u")[2..10]);
    let token = format!("meta-{user}");

    // Tokens are checked with the platform first.
    let r = api
        .post(&w(&ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "facebook", "pageId": format!("page-{user}"), "accessToken": "meta-wrong"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["accessToken"]);
    let r = api
        .post(&w(&ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "facebook", "accessToken": token}))
        .send()
        .await;
    assert_eq!(r.fields(), ["pageId"]);
    let page = connect_token(
        &api,
        &owner,
        &ws,
        json!({"platform": "facebook", "pageId": format!("page-{user}"), "accessToken": token}),
    )
    .await;
    assert_eq!(page["externalId"], format!("page-{user}"));
    let threads = connect_token(&api, &owner, &ws, json!({"platform": "threads", "accessToken": token})).await;
    assert_eq!(threads["externalId"], format!("th-{user}"));
    let ig = connect_token(
        &api,
        &owner,
        &ws,
        json!({"platform": "instagram", "instagramUserId": format!("ig-{user}"), "accessToken": token}),
    )
    .await;
    let tiktok =
        connect_token(&api, &owner, &ws, json!({"platform": "tiktok", "accessToken": format!("tiktok-{user}")})).await;
    assert_eq!(tiktok["externalId"], format!("tt-{user}"));

    let asset = ready_jpeg(&api, &owner, &ws).await;
    let mut posts = Vec::new();
    // A Page post that meets a 500 after it was written: settled by reading the feed.
    fake.inject(&format!("[{user}-fb]"), Fault::ErrorAfter);
    for (platform, account, text, media) in [
        ("facebook", &page, format!("Page news [{user}-fb]"), vec![]),
        ("facebook", &page, format!("Page photo [{user}-fbp]"), vec![asset.clone()]),
        ("threads", &threads, format!("A thread [{user}-th]"), vec![]),
        ("instagram", &ig, format!("A picture [{user}-ig]"), vec![asset.clone()]),
        ("tiktok", &tiktok, format!("A photo post [{user}-tt]"), vec![asset.clone()]),
    ] {
        let post = post_with(&api, &owner, &ws, platform, &text, &media).await;
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
        assert_eq!(r.status, 201, "{platform}: {}", String::from_utf8_lossy(&r.body));
        posts.push((platform, post, text));
    }
    let ids: Vec<String> = posts.iter().map(|p| p.1.clone()).collect();
    let done = settle(&api, &owner, &ws, &ids).await;
    for (platform, post, text) in &posts {
        let p = done.iter().find(|p| p["postId"] == post.as_str()).unwrap();
        assert_eq!(p["status"], "published", "{platform}: {p:#?}");
        let owner_id = match *platform {
            "facebook" => format!("page-{user}"),
            "threads" => format!("th-{user}"),
            "instagram" => format!("ig-{user}"),
            _ => format!("tt-{user}"),
        };
        let written: Vec<_> = fake.tweets_of(&owner_id).into_iter().filter(|t| &t.text == text).collect();
        assert_eq!(written.len(), 1, "{platform}: once, {written:#?}");
    }
    let fb = done.iter().find(|p| p["postId"] == posts[0].1.as_str()).unwrap();
    let outcomes: Vec<&str> =
        fb["attemptLog"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["unconfirmed", "reconciled"], "{fb:#?}");
    // Instagram and TikTok fetched the photo by URL.
    assert_pulled(&api, &fake, &ws, &asset).await;
}

#[tokio::test]
async fn a_facebook_login_with_a_hundred_pages_connects_them_all_at_once_and_renews_them_all() {
    // Facebook lists up to 100 Pages at once: reading which are stored binds more ids than D1
    // takes in one statement, and the harness holds the callback to its budget of round trips
    // whatever the number of Pages.
    let api = Api::new();
    let fake = FakeX::get();
    let owner = signup(&api, "hundred").await;
    let ws = create_workspace(&api, &owner, "Hundred Pages").await;
    let user = format!("h{}", &unique_email("u")[2..10]);
    fake.pages(&user, 100);
    let external = |r: &Resp| -> Vec<String> {
        let mut ids: Vec<String> =
            r.data().as_array().unwrap().iter().map(|a| a["externalId"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let first = connect_oauth(&api, &owner, &ws, "facebook", &user).await;
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    let mut expected: Vec<String> =
        (1..=100).map(|n| if n == 1 { format!("page-{user}") } else { format!("page{n}-{user}") }).collect();
    expected.sort();
    assert_eq!(external(&first), expected);
    let listed = api.get(&format!("/api/v1/workspaces/{ws}/social-accounts")).bearer(&owner.access).send().await;
    assert_eq!(listed.status, 200);
    let (listed, answered) = (listed.data(), first.data());
    let stored: Vec<&Value> = listed.as_array().unwrap().iter().filter(|a| a["platform"] == "facebook").collect();
    assert_eq!(stored.len(), 100, "each Page stored once");
    for a in &stored {
        assert_eq!(a["status"], "active");
        let answer = answered.as_array().unwrap().iter().find(|b| b["id"] == a["id"]);
        assert_eq!(answer, Some(*a), "the callback answered each account as stored");
    }
    // The same login again renews all of them: the same accounts, nothing new.
    let again = connect_oauth(&api, &owner, &ws, "facebook", &user).await;
    assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.body));
    assert_eq!(external(&again), expected);
    let ids = |r: &Resp| -> Vec<String> {
        let mut ids: Vec<String> =
            r.data().as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&again), ids(&first), "reconnected, not duplicated");
    let listed = api.get(&format!("/api/v1/workspaces/{ws}/social-accounts")).bearer(&owner.access).send().await;
    assert_eq!(listed.data().as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn facebook_instagram_threads_and_tiktok_connect_through_their_logins_and_renew_their_tokens() {
    let api = Api::new();
    let fake = FakeX::get();
    let owner = signup(&api, "logins").await;
    let ws = create_workspace(&api, &owner, "Logins").await;
    let day = 24 * 3600;
    // Meta's 60-day tokens for `user` come with three days left: inside the renewal window.
    let user = format!("l{}", &unique_email("u")[2..10]);
    fake.token_lifetime(&user, 3 * day);
    // TikTok's day-long tokens for `tt` come with a minute left: every publish refreshes first.
    let tt = format!("t{}", &unique_email("u")[2..10]);
    fake.token_lifetime(&tt, 60);

    let mut connected = Vec::new();
    for (platform, who) in [("facebook", &user), ("instagram", &user), ("threads", &user), ("tiktok", &tt)] {
        let r = connect_oauth(&api, &owner, &ws, platform, who).await;
        assert_eq!(r.status, 201, "{platform}: {}", String::from_utf8_lossy(&r.body));
        let body = String::from_utf8_lossy(&r.body);
        for token in ["meta~", "fbu~", "tiktok~", "ttr~"] {
            assert!(!body.contains(token), "{platform}: tokens never leave: {body}");
        }
        let accounts = r.data().as_array().unwrap().clone();
        assert!(accounts.iter().all(|a| a["platform"] == platform && a["authKind"] == "oauth"), "{accounts:#?}");
        connected.push((platform, accounts));
    }
    let ids = |i: usize| -> Vec<String> {
        connected[i].1.iter().map(|a| a["externalId"].as_str().unwrap().to_string()).collect()
    };
    // Facebook connects every Page the person granted in its dialog, each with its Page token.
    assert_eq!(ids(0), [format!("page-{user}"), format!("page2-{user}")]);
    // Instagram names the professional account (`user_id`), not the app-scoped id.
    assert_eq!(ids(1), [format!("ig-{user}")]);
    assert_eq!(connected[1].1[0]["handle"], format!("{user}.ig"));
    assert_eq!(ids(2), [format!("th-{user}")]);
    assert_eq!(ids(3), [format!("tt-{tt}")]);
    // From now on Meta grants live 60 days again.
    fake.token_lifetime(&user, 60 * day);

    let asset = ready_jpeg(&api, &owner, &ws).await;
    let mut tiktok_refreshes = 0;
    let mut meta_renewals = 0;
    for round in 0..2 {
        let mut posts = Vec::new();
        for (i, platform) in ["facebook", "instagram", "threads", "tiktok"].into_iter().enumerate() {
            let account = &connected[i].1[connected[i].1.len() - 1];
            let text = format!("Round {round} on {platform} [{user}]");
            let media = if platform == "facebook" { vec![] } else { vec![asset.clone()] };
            let post = post_with(&api, &owner, &ws, platform, &text, &media).await;
            let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
            assert_eq!(r.status, 201, "{platform}: {}", String::from_utf8_lossy(&r.body));
            posts.push((platform, account["externalId"].as_str().unwrap().to_string(), post, text));
        }
        let ids: Vec<String> = posts.iter().map(|p| p.2.clone()).collect();
        let done = settle(&api, &owner, &ws, &ids).await;
        for (platform, owner_id, post, text) in &posts {
            let p = done.iter().find(|p| p["postId"] == post.as_str()).unwrap();
            assert_eq!(p["status"], "published", "round {round}, {platform}: {p:#?}");
            let written = fake.tweets_of(owner_id).into_iter().filter(|t| &t.text == text).count();
            assert_eq!(written, 1, "round {round}, {platform}: once");
        }
        // Instagram's and Threads' tokens were renewed by the first round, and the renewed
        // 60-day tokens were stored, so the second round renews nothing. Against a served
        // target the suite shares one database, and another test's cron tick may renew an idle
        // 3-day token before the fake grants 60 days: then the first round renews it again.
        // TikTok refreshed every time, each time with the refresh token the previous refresh
        // rotated in (the fake takes each only once).
        if round == 0 {
            meta_renewals = fake.refreshes_of(&user);
            assert!(meta_renewals >= 2, "Instagram and Threads renewed: {meta_renewals}");
        }
        assert_eq!(fake.refreshes_of(&user), meta_renewals, "round {round}: renewed tokens were stored");
        assert!(fake.refreshes_of(&tt) > tiktok_refreshes, "round {round}");
        tiktok_refreshes = fake.refreshes_of(&tt);
    }
    assert_pulled(&api, &fake, &ws, &asset).await;
    for (_, accounts) in &connected {
        for a in accounts {
            let id = a["id"].as_str().unwrap();
            let now = api.get(&w(&ws, &format!("/social-accounts/{id}"))).bearer(&owner.access).send().await.data();
            assert_eq!(now["status"], "active", "{now}");
        }
    }
}

#[tokio::test]
async fn idle_instagram_and_threads_accounts_have_their_tokens_renewed_or_ask_for_a_reconnect() {
    let api = Api::new();
    let fake = FakeX::get();
    let owner = signup(&api, "idle").await;
    let ws = create_workspace(&api, &owner, "Idle").await;
    let day = 24 * 3600;
    // Two accounts whose 60-day tokens have three days left, and nothing to publish.
    let kept = format!("k{}", &unique_email("u")[2..10]);
    fake.token_lifetime(&kept, 3 * day);
    let ig = connect_oauth(&api, &owner, &ws, "instagram", &kept).await.data()[0].clone();
    fake.token_lifetime(&kept, 60 * day);
    let gone = format!("g{}", &unique_email("u")[2..10]);
    fake.token_lifetime(&gone, 3 * day);
    let th = connect_oauth(&api, &owner, &ws, "threads", &gone).await.data()[0].clone();
    // The person behind the Threads account withdrew Herald's access meanwhile.
    fake.revoke(&gone);

    let status = |account: Value| {
        let api = &api;
        let owner = &owner;
        let ws = &ws;
        async move {
            let id = account["id"].as_str().unwrap().to_string();
            api.get(&w(ws, &format!("/social-accounts/{id}"))).bearer(&owner.access).send().await.data()
        }
    };
    let started = Instant::now();
    loop {
        api.run_cron().await;
        if fake.refreshes_of(&kept) > 0 && status(th.clone()).await["status"] == "needs_reconnect" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the cron renewed nothing");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Renewed for 60 days: later ticks leave it alone.
    let renewals = fake.refreshes_of(&kept);
    for _ in 0..2 {
        api.run_cron().await;
    }
    assert_eq!(fake.refreshes_of(&kept), renewals);
    assert_eq!(status(ig).await["status"], "active");
    let th = status(th).await;
    assert!(th["lastError"].as_str().unwrap().contains("refused the refresh"), "{th}");
    let inbox = api.get(&w(&ws, "/notifications")).bearer(&owner.access).send().await.data();
    let items = inbox["items"].as_array().unwrap();
    assert!(items.iter().any(|n| n["kind"] == "account.needs_reconnect" && n["subjectId"] == th["id"]), "{inbox}");
}

/// A wall-clock day next year (`MM-DD`), so that the test never dates.
fn next_year(month_day: &str) -> String {
    let year = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year() + 1;
    format!("{year}-{month_day}")
}

#[tokio::test]
async fn rescheduling_a_repeating_post_moves_the_whole_series_and_keeps_its_spacing() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-move");
    let owner = signup(&api, "move").await;
    let ws = create_workspace(&api, &owner, "Move").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-move").await.data();
    let post = post_for_mastodon(&api, &owner, &ws, &format!("Weekly {}", unique_email("m"))).await;
    let day = next_year("06-01");
    let r = schedule(
        &api,
        &owner,
        &ws,
        &post,
        json!({"accountIds": [account["id"]], "at": format!("{day}T09:00"), "timezone": "Asia/Tokyo",
               "repeat": {"every": "week", "count": 3}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let due = |list: &Value| {
        let mut d: Vec<String> =
            list.as_array().unwrap().iter().map(|p| p["dueAt"].as_str().unwrap().to_string()).collect();
        d.sort();
        d
    };
    let y = &day[..4];
    assert_eq!(
        due(&r.data()),
        [format!("{y}-06-01T00:00:00.000Z"), format!("{y}-06-08T00:00:00.000Z"), format!("{y}-06-15T00:00:00.000Z")]
    );

    // Moved a day and an hour later, read in the series' own zone: still weekly, never collapsed.
    let patch = |body: Value| {
        api.request("PATCH", &w(&ws, &format!("/posts/{post}/schedule"))).bearer(&owner.access).json(body).send()
    };
    let r = patch(json!({"at": next_year("06-02T10:00")})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let moved =
        [format!("{y}-06-02T01:00:00.000Z"), format!("{y}-06-09T01:00:00.000Z"), format!("{y}-06-16T01:00:00.000Z")];
    assert_eq!(due(&r.data()), moved);
    assert!(r.data().as_array().unwrap().iter().all(|p| p["timezone"] == "Asia/Tokyo"));

    // Bad times change nothing.
    assert_eq!(patch(json!({"at": "2020-01-01T00:00:00Z"})).await.fields(), ["at"]);
    assert_eq!(patch(json!({"at": "soon"})).await.fields(), ["at"]);
    assert_eq!(patch(json!({"at": next_year("06-02T10:00"), "timezone": "Mars/Base"})).await.fields(), ["timezone"]);
    let y2 = y.parse::<i16>().unwrap() + 1;
    let r = patch(json!({"at": format!("{y2}-11-29T10:00")})).await;
    assert_eq!(r.fields(), ["at"], "the last occurrence would be more than two years ahead");
    assert_eq!(due(&Value::Array(publications(&api, &owner, &ws, &post).await)), moved);

    // Cancelled: nothing is left to move.
    api.delete(&w(&ws, &format!("/posts/{post}/schedule"))).bearer(&owner.access).send().await;
    patch(json!({"at": next_year("06-03T10:00")})).await.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn publications_stay_behind_the_workspace_and_client_walls() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-walls");
    let owner = signup(&api, "walls").await;
    let ws = create_workspace(&api, &owner, "Walls").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-walls").await.data();
    let client_of = |name: &'static str| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            api.post(&w(ws, "/clients")).bearer(&owner.access).json(json!({"name": name})).send().await.data()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (mine, theirs) = (client_of("Mine").await, client_of("Theirs").await);
    let post_of = |client: String| {
        let (api, owner, ws) = (&api, &owner, &ws);
        async move {
            let text = format!("For {client}");
            let r = api
                .post(&w(ws, "/posts"))
                .bearer(&owner.access)
                .json(json!({"title": text, "body": text, "clientId": client, "targets": [{"platform": "mastodon"}]}))
                .send()
                .await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.data()["id"].as_str().unwrap().to_string()
        }
    };
    let (my_post, their_post) = (post_of(mine.clone()).await, post_of(theirs).await);
    for p in [&my_post, &their_post] {
        let r = schedule(&api, &owner, &ws, p, json!({"accountIds": [account["id"]], "at": next_year("06-01T09:00")}))
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }

    // A Client member reads the publications of its client's posts only.
    let client = add_member(&api, &owner, &ws, "client").await;
    attach_to_client(&api, &owner, &ws, &mine, &client.id).await;
    let listed = api.get(&w(&ws, "/publications")).bearer(&client.access).send().await.data()["items"].clone();
    let posts: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["postId"].as_str().unwrap()).collect();
    assert_eq!(posts, [my_post.as_str()]);
    let all =
        api.get(&w(&ws, "/publications?status=scheduled")).bearer(&owner.access).send().await.data()["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    api.get(&w(&ws, &format!("/posts/{their_post}/publications")))
        .bearer(&client.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // Moving or cancelling a schedule is not a Client member's to do, even on its own client's
    // post (the role is checked with the post's read, in one round trip).
    let own = w(&ws, &format!("/posts/{my_post}/schedule"));
    let r =
        api.request("PATCH", &own).bearer(&client.access).json(json!({"at": next_year("07-01T09:00")})).send().await;
    r.expect_error(403, "FORBIDDEN");
    api.delete(&own).bearer(&client.access).send().await.expect_error(403, "FORBIDDEN");

    // Another tenant reaches nothing: not through this workspace, not through its own.
    let stranger = signup(&api, "walls-stranger").await;
    let elsewhere = create_workspace(&api, &stranger, "Elsewhere").await;
    for space in [&ws, &elsewhere] {
        let path = |rest: &str| w(space, &format!("/posts/{my_post}{rest}"));
        api.get(&path("/publications")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
        api.request("PATCH", &path("/schedule"))
            .bearer(&stranger.access)
            .json(json!({"at": next_year("07-01T09:00")}))
            .send()
            .await
            .expect_error(404, "NOT_FOUND");
        api.delete(&path("/schedule")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    }
    api.get(&w(&ws, "/publications")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    let theirs = api.get(&w(&elsewhere, "/publications")).bearer(&stranger.access).send().await.data()["items"].clone();
    assert_eq!(theirs, json!([]));
    // Still scheduled as the owner left them.
    for p in [&my_post, &their_post] {
        let list = publications(&api, &owner, &ws, p).await;
        assert_eq!((list.len(), list[0]["status"].as_str()), (1, Some("scheduled")));
        assert_eq!(list[0]["dueAt"], format!("{}T09:00:00.000Z", next_year("06-01")));
    }
}

#[tokio::test]
async fn the_publications_of_one_post_go_out_together() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("together-");
    // Each publish call waits (briefly) for the others: calls made together meet.
    fake.rendezvous(3);
    let owner = signup(&api, "together").await;
    let ws = create_workspace(&api, &owner, "Together").await;
    let mut accounts = Vec::new();
    for n in 1..=3 {
        let r = api
            .post(&w(&ws, "/social-accounts"))
            .bearer(&owner.access)
            .json(json!({"platform": "mastodon", "instanceUrl": fake.base, "accessToken": format!("together-{n}")}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        accounts.push(r.data()["id"].clone());
    }
    let post = post_for_mastodon(&api, &owner, &ws, &format!("All at once {}", unique_email("t"))).await;
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": accounts})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    assert!(done.iter().all(|p| p["status"] == "published"), "{done:#?}");
    assert_eq!((fake.statuses().len(), fake.duplicates()), (3, 0));
    let accounts_posted: std::collections::BTreeSet<String> = fake.statuses().into_iter().map(|s| s.account).collect();
    assert_eq!(accounts_posted.len(), 3, "one status per account");
    if api.publishes_one_at_a_time() {
        // A tick over Postgres has one connection, which carries one tenant scope at a time:
        // one after another (the Worker's queue gives each message a connection).
        assert_eq!(fake.most_in_flight(), 1);
    } else {
        assert!(fake.most_in_flight() >= 2, "published one after another: {}", fake.most_in_flight());
    }
}

#[tokio::test]
async fn publications_due_together_on_one_x_account_refresh_its_single_use_grant_once() {
    let api = Api::new();
    let x = FakeX::get();
    // Connected with an access token that expires within the refresh window; the renewed
    // one lasts two hours, so a single refresh serves every publication.
    let (owner, ws, user, account) = x_account_expiring_soon(&api, "xt").await;
    x.token_lifetime(&user, 7200);
    let mut posts = Vec::new();
    for n in 0..3 {
        let post = post_for_x(&api, &owner, &ws, &format!("Together {n} for {user}")).await;
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]]})).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        posts.push(post);
    }
    // Claimed by one cron run and published together: one of them renews the grant, the
    // others wait for it rather than spend the refresh token it already rotated.
    let done = settle(&api, &owner, &ws, &posts).await;
    assert!(done.iter().all(|p| p["status"] == "published"), "{done:#?}");
    assert_eq!(x.tweets_of(&user).len(), 3);
    let account = api
        .get(&w(&ws, &format!("/social-accounts/{}", account["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    assert_eq!(account["status"], "active", "{account}");
    assert_eq!(x.refreshes_of(&user), 1, "one refresh, not one per publication");
    assert_eq!(x.spent_refreshes_of(&user), 0, "nobody presented the refresh token another had spent");
}

#[tokio::test]
async fn publications_page_and_filter_by_due_time() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-paged");
    let owner = signup(&api, "paged-publications").await;
    let ws = create_workspace(&api, &owner, "Paged publications").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-paged").await.data();
    let mut made = Vec::new();
    for day in 1..=5 {
        let post = post_for_mastodon(&api, &owner, &ws, &format!("Day {day}")).await;
        let at = next_year(&format!("03-0{day}T09:00:00Z"));
        let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account["id"]], "at": at})).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        made.push(publications(&api, &owner, &ws, &post).await[0]["id"].as_str().unwrap().to_string());
    }
    let ids =
        |items: Vec<Value>| -> Vec<String> { items.iter().map(|p| p["id"].as_str().unwrap().to_string()).collect() };
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(ids(walk_pages(&api, &owner, &w(&ws, "/publications"), 2).await), newest_first);
    // Due on the 2nd, 3rd and 4th: from is inclusive, to exclusive.
    let (from, to) = (next_year("03-02T09:00:00Z"), next_year("03-05T09:00:00Z"));
    let window = w(&ws, &format!("/publications?status=scheduled&from={from}&to={to}"));
    assert_eq!(ids(walk_pages(&api, &owner, &window, 2).await), newest_first[1..4]);
    let r = api.get(&w(&ws, "/publications?from=yesterday&to=soon")).bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["from", "to"]);
    refuses_bad_paging(&api, &owner, &w(&ws, "/publications")).await;

    // A post's own publications page too: a repeating schedule makes several, each with its log.
    let post = post_for_mastodon(&api, &owner, &ws, "Weekly").await;
    let at = next_year("04-01T09:00:00Z");
    let body = json!({"accountIds": [account["id"]], "at": at, "repeat": {"every": "week", "count": 5}});
    assert_eq!(schedule(&api, &owner, &ws, &post, body).await.status, 201);
    let path = w(&ws, &format!("/posts/{post}/publications"));
    let paged = walk_pages(&api, &owner, &path, 2).await;
    assert_eq!(paged.len(), 5);
    let due: Vec<&str> = paged.iter().map(|p| p["dueAt"].as_str().unwrap()).collect();
    assert!(due.windows(2).all(|w| w[0] < w[1]), "in due order: {due:?}");
    assert!(paged.iter().all(|p| p["attemptLog"].is_array()));
    refuses_bad_paging(&api, &owner, &path).await;
}

/// A post's publications at their largest page with more rows than that: two accounts, 52
/// weekly occurrences each (104), so a page's attempt logs are read in chunks of ids under D1's
/// 100 bound parameters (the in-process SQLite target enforces them).
#[tokio::test]
async fn a_posts_publications_page_past_a_full_page_of_100() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("tok-hundred-");
    let owner = signup(&api, "hundred-publications").await;
    let ws = create_workspace(&api, &owner, "Hundred publications").await;
    let mut accounts = Vec::new();
    for n in 1..=2 {
        let r = connect(&api, &owner, &ws, &fake, &format!("tok-hundred-{n}")).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        accounts.push(r.data()["id"].clone());
    }
    let post = post_for_mastodon(&api, &owner, &ws, "Every week").await;
    let at = next_year("01-05T09:00:00Z");
    let body = json!({"accountIds": accounts, "at": at, "repeat": {"every": "week", "count": 52}});
    let r = schedule(&api, &owner, &ws, &post, body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let paged = walk_pages(&api, &owner, &w(&ws, &format!("/posts/{post}/publications")), 100).await;
    assert_eq!(paged.len(), 104);
    assert!(paged.iter().all(|p| p["attemptLog"].is_array()));
}

#[tokio::test]
async fn a_private_post_is_published_now_with_the_text_the_request_brings_and_stored_nowhere() {
    let api = Api::new();
    let fake = FakeMastodon::start("tok-private");
    let owner = signup(&api, "publish-private").await;
    let ws = create_workspace(&api, &owner, "Private").await;
    let r = api.patch(&w(&ws, "")).bearer(&owner.access).json(json!({"settings": {"privacyMode": true}})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let account = connect(&api, &owner, &ws, &fake, "tok-private").await.data();
    let account_id = account["id"].as_str().unwrap();
    let body = format!("PRIVATE-BODY-{}", unique_email("body"));
    let toot = format!("PRIVATE-TOOT-{}", unique_email("toot"));
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Quiet launch", "body": body, "targets": [{"platform": "mastodon", "text": toot}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["private"], true);
    let post = r.data()["id"].as_str().unwrap().to_string();
    let publish_now =
        |b: Value| api.post(&w(&ws, &format!("/posts/{post}/publish-now"))).bearer(&owner.access).json(b).send();

    // Nothing to publish later: the schedule says where to go instead.
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [account_id]})).await;
    assert!(r.expect_error(409, "CONFLICT")["error"].as_str().unwrap().contains("publish-now"));
    // Text that is not what was written (and approved) is refused, and nothing is sent.
    let r = publish_now(json!({"accountIds": [account_id], "body": body})).await;
    assert!(
        r.expect_error(409, "CONFLICT")["error"].as_str().unwrap().contains("hash"),
        "the target's text is missing"
    );
    let r = publish_now(
        json!({"accountIds": [account_id], "body": body, "targets": [{"platform": "mastodon", "text": "Something else"}]}),
    )
    .await;
    r.expect_error(409, "CONFLICT");
    let r =
        publish_now(json!({"accountIds": [account_id], "body": body, "targets": [{"platform": "x", "text": toot}]}))
            .await;
    assert_eq!(r.fields(), ["targets[0].platform"]);
    assert_eq!(fake.status_count(), 0);

    // The very text: published within the request.
    let r = publish_now(
        json!({"accountIds": [account_id], "body": body, "targets": [{"platform": "mastodon", "text": toot}]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let done = r.data();
    assert_eq!(done.as_array().unwrap().len(), 1, "{done}");
    assert_eq!(done[0]["status"], "published", "{done}");
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].text, toot, "the platform got the target's text");
    assert_eq!(done[0]["remoteId"], statuses[0].id.as_str());
    assert_eq!(done[0]["attemptLog"][0]["outcome"], "published");
    let read = api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data();
    assert_eq!((read["status"].as_str(), read["body"].is_null()), (Some("published"), true));
    assert_eq!(publications(&api, &owner, &ws, &post).await[0]["status"], "published");

    // Once: again is refused, and the cron sends nothing more.
    publish_now(json!({"accountIds": [account_id], "body": body, "targets": [{"platform": "mastodon", "text": toot}]}))
        .await
        .expect_error(409, "CONFLICT");
    api.run_cron().await;
    assert_eq!(fake.status_count(), 1);
    for needle in [&body, &toot] {
        if let Some(found) = api.stored_anywhere(needle).await {
            assert!(!found, "{needle} was stored");
        }
    }
}

/// Connects accounts `{prefix}{n}` of one Mastodon instance; answers their ids, in order.
async fn connect_many(api: &Api, owner: &User, ws: &str, fake: &FakeMastodon, prefix: &str, ns: &[u32]) -> Vec<String> {
    let mut ids = Vec::new();
    for n in ns {
        let r = connect(api, owner, ws, fake, &format!("{prefix}{n}")).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        ids.push(r.data()["id"].as_str().unwrap().to_string());
    }
    ids
}

#[tokio::test]
async fn two_accounts_of_one_platform_publish_their_own_texts_and_the_others_the_platforms() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("own-");
    let owner = signup(&api, "own-targets").await;
    let ws = create_workspace(&api, &owner, "Own targets").await;
    let accounts = connect_many(&api, &owner, &ws, &fake, "own-", &[1, 2, 3]).await;
    let unique = unique_email("own");
    let (shop, blog, everyone) =
        (format!("For the shop {unique}"), format!("For the blog {unique}"), format!("For everyone {unique}"));
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Two pages", "body": "The body", "targets": [
            {"platform": "mastodon", "accountId": accounts[0], "text": shop},
            {"platform": "mastodon", "accountId": accounts[1], "text": blog},
            {"platform": "mastodon", "text": everyone},
        ]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    let read = api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data();
    let targets: Vec<(Value, Value)> =
        read["targets"].as_array().unwrap().iter().map(|t| (t["accountId"].clone(), t["text"].clone())).collect();
    assert_eq!(
        targets,
        [(json!(accounts[0]), json!(shop)), (json!(accounts[1]), json!(blog)), (Value::Null, json!(everyone))]
    );
    let version = api.get(&w(&ws, &format!("/posts/{post}/versions/1"))).bearer(&owner.access).send().await.data();
    assert_eq!(version["targets"][1]["accountId"], json!(accounts[1]), "versions keep each target's account");

    // Each account publishes its own target; the third, without one, the platform's.
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": accounts})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let ids: Vec<&str> = read["targets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    let scheduled: Vec<(Value, Value)> =
        r.data().as_array().unwrap().iter().map(|p| (p["accountId"].clone(), p["targetId"].clone())).collect();
    for (account, target) in [(0, 0), (1, 1), (2, 2)] {
        assert!(scheduled.contains(&(json!(accounts[account]), json!(ids[target]))), "{scheduled:?}");
    }
    let done = settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    assert!(done.iter().all(|p| p["status"] == "published"), "{done:#?}");
    let mut sent: Vec<(String, String)> = fake.statuses().into_iter().map(|s| (s.account, s.text)).collect();
    sent.sort();
    assert_eq!(sent, [("1".to_string(), shop), ("2".to_string(), blog), ("3".to_string(), everyone)]);
}

#[tokio::test]
async fn an_account_without_a_target_of_its_own_needs_its_platforms() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("alone-");
    let owner = signup(&api, "own-alone").await;
    let ws = create_workspace(&api, &owner, "Alone").await;
    let accounts = connect_many(&api, &owner, &ws, &fake, "alone-", &[1, 2]).await;
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Only one", "body": "Body", "targets": [{"platform": "mastodon", "accountId": accounts[0]}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [accounts[0], accounts[1]]})).await;
    assert_eq!(r.fields(), ["accountIds[1]"]);
    let r = schedule(&api, &owner, &ws, &post, json!({"accountIds": [accounts[0]]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    settle(&api, &owner, &ws, std::slice::from_ref(&post)).await;
    let sent: Vec<(String, String)> = fake.statuses().into_iter().map(|s| (s.account, s.text)).collect();
    assert_eq!(sent, [("1".to_string(), "Body".to_string())], "a target without text sends the body");
}

#[tokio::test]
async fn a_target_names_a_connected_account_of_the_workspace_on_its_platform_once() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("check-");
    let owner = signup(&api, "own-checks").await;
    let ws = create_workspace(&api, &owner, "Checks").await;
    let accounts = connect_many(&api, &owner, &ws, &fake, "check-", &[1, 2]).await;
    let stranger = signup(&api, "own-checks-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Theirs").await;
    let foreign = connect_many(&api, &stranger, &theirs, &fake, "check-", &[3]).await;
    let r = api.delete(&w(&ws, &format!("/social-accounts/{}", accounts[1]))).bearer(&owner.access).send().await;
    assert_eq!(r.data()["status"], "disconnected");
    let create = |targets: Value| {
        api.post(&w(&ws, "/posts"))
            .bearer(&owner.access)
            .json(json!({"title": "T", "body": "B", "targets": targets}))
            .send()
    };
    let own = |id: &str| json!({"platform": "mastodon", "accountId": id});

    // Another workspace's account, a disconnected one, an unknown one, and one of another platform.
    let r =
        create(json!([own(&foreign[0]), own(&accounts[1]), own("nope"), {"platform": "x", "accountId": accounts[0]}]))
            .await;
    assert_eq!(
        r.fields(),
        ["targets[0].accountId", "targets[1].accountId", "targets[2].accountId", "targets[3].accountId"]
    );
    let details = r.json()["details"].clone();
    assert!(details[1]["message"].as_str().unwrap().contains("disconnected"), "{details}");
    assert!(details[3]["message"].as_str().unwrap().contains("mastodon"), "{details}");
    // One target per account, and one platform target per platform.
    let r =
        create(json!([own(&accounts[0]), {"platform": "mastodon"}, own(&accounts[0]), {"platform": "mastodon"}])).await;
    assert_eq!(r.fields(), ["targets[2].accountId", "targets[3].platform"]);
    // Per-account texts meet their platform's limits like any target's.
    let long = "a".repeat(501);
    let r = create(json!([{"platform": "mastodon", "accountId": accounts[0], "text": long}])).await;
    assert_eq!(r.fields(), ["targets[0].text"]);
    // Nothing of it was written; an update is checked the same way.
    let r = create(json!([own(&accounts[0])])).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    let r = api
        .request("PATCH", &w(&ws, &format!("/posts/{post}")))
        .bearer(&owner.access)
        .json(json!({"targets": [own(&foreign[0])]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["targets[0].accountId"]);
}

#[tokio::test]
async fn editing_one_accounts_text_sends_an_approved_post_back_to_review() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("review-");
    let owner = signup(&api, "own-review").await;
    let ws = create_workspace(&api, &owner, "Own review").await;
    let accounts = connect_many(&api, &owner, &ws, &fake, "review-", &[1, 2]).await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let r = api
        .request("PUT", &w(&ws, "/approval-workflow"))
        .bearer(&owner.access)
        .json(json!({"stages": "internal"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let targets = |second: &str| {
        json!([
            {"platform": "mastodon", "accountId": accounts[0], "text": "First page"},
            {"platform": "mastodon", "accountId": accounts[1], "text": second},
        ])
    };
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Reviewed", "body": "Body", "targets": targets("Second page")}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.data();
    let post = created["id"].as_str().unwrap().to_string();
    let r = api.post(&w(&ws, &format!("/posts/{post}/submit"))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let history = api.get(&w(&ws, &format!("/posts/{post}/approvals"))).bearer(&owner.access).send().await.data()
        ["items"]
        .clone();
    let request = history[0]["id"].as_str().unwrap().to_string();
    let r =
        api.post(&w(&ws, &format!("/approvals/{request}/approve"))).bearer(&editor.access).json(json!({})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let approved = api.get(&w(&ws, &format!("/posts/{post}"))).bearer(&owner.access).send().await.data();
    assert_eq!(approved["status"], "approved");

    // The same targets again change nothing.
    let patch = |t: Value, version: &Value| {
        api.request("PATCH", &w(&ws, &format!("/posts/{post}")))
            .bearer(&owner.access)
            .json(json!({"targets": t, "version": version}))
            .send()
    };
    let r = patch(targets("Second page"), &approved["version"]).await;
    assert_eq!((r.status, r.data()["status"].as_str()), (200, Some("approved")), "{}", r.json());
    assert_eq!(r.data()["version"], approved["version"]);
    // One account's text changes: a new version, back to review, the target keeping its id.
    let r = patch(targets("Second page, edited"), &approved["version"]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let edited = r.data();
    assert_eq!(edited["status"], "in_review");
    assert_eq!(edited["version"], approved["version"].as_i64().unwrap() + 1);
    assert_ne!(edited["contentHash"], approved["contentHash"]);
    assert_eq!(edited["targets"][1]["id"], created["targets"][1]["id"]);
    assert_eq!(edited["targets"][1]["text"], "Second page, edited");
    let diff =
        api.get(&w(&ws, &format!("/posts/{post}/versions/diff?from=1&to=2"))).bearer(&owner.access).send().await.data();
    assert_eq!(diff["targetsChanged"], true);
    // Moving a target to the other account is an edit too.
    let moved = json!([{"platform": "mastodon", "accountId": accounts[1], "text": "First page"}]);
    let r = patch(moved, &edited["version"]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["version"], edited["version"].as_i64().unwrap() + 1);
    assert_ne!(r.data()["targets"][0]["id"], created["targets"][0]["id"], "another account's target is another target");
    assert!(fake.statuses().is_empty());
}

#[tokio::test]
async fn a_private_post_is_published_now_with_each_accounts_own_text() {
    let api = Api::new();
    let fake = FakeMastodon::start_many("quiet-");
    let owner = signup(&api, "own-private").await;
    let ws = create_workspace(&api, &owner, "Own private").await;
    let r = api.patch(&w(&ws, "")).bearer(&owner.access).json(json!({"settings": {"privacyMode": true}})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let accounts = connect_many(&api, &owner, &ws, &fake, "quiet-", &[1, 2]).await;
    let (one, two) = (format!("QUIET-ONE-{}", unique_email("q")), format!("QUIET-TWO-{}", unique_email("q")));
    let texts = json!([
        {"platform": "mastodon", "accountId": accounts[0], "text": one},
        {"platform": "mastodon", "accountId": accounts[1], "text": two},
    ]);
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Quiet pages", "body": "B", "targets": texts}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    let publish_now =
        |b: Value| api.post(&w(&ws, &format!("/posts/{post}/publish-now"))).bearer(&owner.access).json(b).send();
    // The texts swapped between the accounts are not what was written.
    let swapped = json!([
        {"platform": "mastodon", "accountId": accounts[0], "text": two},
        {"platform": "mastodon", "accountId": accounts[1], "text": one},
    ]);
    publish_now(json!({"accountIds": accounts, "body": "B", "targets": swapped})).await.expect_error(409, "CONFLICT");
    let r =
        publish_now(json!({"accountIds": accounts, "body": "B", "targets": [{"platform": "mastodon", "text": one}]}))
            .await;
    assert_eq!(r.fields(), ["targets[0].platform"], "the post has no platform target");
    let r = publish_now(json!({"accountIds": accounts, "body": "B", "targets": texts})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let mut sent: Vec<(String, String)> = fake.statuses().into_iter().map(|s| (s.account, s.text)).collect();
    sent.sort();
    assert_eq!(sent, [("1".to_string(), one), ("2".to_string(), two)]);
}

/// A tick that dies mid-call: in process, the tick's request is dropped once the platform holds
/// the call (the status made, its answer held back), as a killed publisher would leave it.
async fn tick_killed_mid_call(api: &Api, fake: &FakeMastodon, at: i64) {
    let before = fake.status_count();
    let tick = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(at).send();
    tokio::pin!(tick);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::select! {
            r = &mut tick => panic!("the tick was to hang on the call; it answered {}", r.status),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if fake.status_count() > before {
                    // Dropped here, mid-call.
                    return;
                }
                assert!(Instant::now() < deadline, "the tick never called the platform");
            }
        }
    }
}

/// Issue 24: the attempt is recorded before the call, so a publisher killed mid-call is visible
/// as such, is recovered by replaying its idempotency key inside Mastodon's window, and past the
/// window ends failed with its reason instead of posting a second time.
#[tokio::test]
async fn a_publisher_killed_mid_call_is_recovered_inside_the_idempotency_window_and_never_posts_twice() {
    let api = Api::new();
    if api.shares_its_database() {
        // Killing a remote host's publisher mid-call is scripts/crash.sh's part. Over Postgres
        // in process the suite's tests share one database, and this test's ticks an hour ahead
        // (the tick is global) would take over the other tests' publications in flight.
        return;
    }
    let fake = FakeMastodon::start("tok-crash");
    let owner = signup(&api, "crash").await;
    let ws = create_workspace(&api, &owner, "Crash").await;
    let account = connect(&api, &owner, &ws, &fake, "tok-crash").await.data();
    let account_id = account["id"].as_str().unwrap();
    let rfc = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let get = |post: String, at: i64| {
        let api = &api;
        let owner = &owner;
        let ws = ws.clone();
        async move {
            let r = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&owner.access).at(at).send().await;
            r.data()["items"][0].clone()
        }
    };

    // Inside the window: the replay with the same key answers the status the lost call made.
    let first = post_for_mastodon(&api, &owner, &ws, "Killed mid-call, recovered").await;
    assert_eq!(schedule(&api, &owner, &ws, &first, json!({"accountIds": [account_id]})).await.status, 201);
    fake.inject(&[Fault::HangAfter(30)]);
    let t0 = jiff::Timestamp::now().as_millisecond();
    tick_killed_mid_call(&api, &fake, t0).await;
    assert_eq!(fake.status_count(), 1, "the platform made the status before the publisher died");
    let p = get(first.clone(), t0 + 1_000).await;
    assert_eq!((p["status"].as_str(), p["attempts"].as_i64()), (Some("publishing"), Some(1)), "{p:#}");
    assert_eq!(p["lastAttemptAt"], rfc(t0), "recorded before the call: {p:#}");
    let recover_at = p["recoverAt"].as_str().expect("a publication in flight says when it is taken over").to_string();
    let recover_ms = recover_at.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    assert!(recover_ms > t0 && recover_ms <= t0 + 120_000, "taken over within two minutes: {p:#}");
    assert_eq!(p["recovering"], false);
    assert_eq!(get(first.clone(), recover_ms + 1).await["recovering"], true, "past recoverAt a stuck one shows");
    let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(recover_ms + 1).send().await;
    assert_eq!(r.status, 200);
    let report = &r.data()["publishing"];
    assert_eq!((report["stalled"].as_i64(), report["reconciled"].as_i64()), (Some(1), Some(1)), "{report}");
    let p = get(first.clone(), recover_ms + 2).await;
    assert_eq!((p["status"].as_str(), p["recovering"].as_bool()), (Some("published"), Some(false)), "{p:#}");
    assert_eq!(p["remoteId"], fake.statuses()[0].id.as_str());
    assert_eq!((fake.status_count(), fake.replays()), (1, 1), "settled by the key, never posted twice");
    let outcomes: Vec<Value> = p["attemptLog"].as_array().unwrap().iter().map(|a| a["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("unconfirmed"), json!("reconciled")], "the killed attempt is in the log");

    // Past the window: Mastodon no longer knows the key, and a replay would post again.
    let second = post_for_mastodon(&api, &owner, &ws, "Killed mid-call, too late").await;
    assert_eq!(schedule(&api, &owner, &ws, &second, json!({"accountIds": [account_id]})).await.status, 201);
    fake.inject(&[Fault::HangAfter(30)]);
    let t1 = jiff::Timestamp::now().as_millisecond();
    tick_killed_mid_call(&api, &fake, t1).await;
    assert_eq!(fake.status_count(), 2);
    fake.forget_keys();
    let late = t1 + 56 * 60_000;
    let r = api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(late).send().await;
    assert_eq!(r.status, 200, "{}", r.json());
    let p = get(second, jiff::Timestamp::now().as_millisecond()).await;
    assert_eq!(p["status"], "failed", "{p:#}");
    assert!(p["reason"].as_str().unwrap().contains("never confirmed"), "{p:#}");
    assert_eq!(fake.status_count(), 2, "no second post past the idempotency window");
}
