//! A workspace's Slack incoming webhook (SPEC CO-4): checked and proven before it is kept, kept
//! sealed and never shown, posted the notices of the kinds chosen (and no others), failures
//! recorded on it; only owners and admins manage it, and no other workspace reaches it.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use herald_tests::fake_http::{FakeServer, Recorded, Reply};
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

/// A server that takes Slack's incoming webhooks: `/services/…/good` answers `200 ok` (or
/// `status` with Slack's error code when set), any other path `404 no_service`.
fn slack(status: Arc<AtomicU16>) -> FakeServer {
    FakeServer::start(move |r: &Recorded| {
        let json = r.header("content-type") == Some("application/json")
            && serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| b["text"].is_string());
        match (r.method.as_str(), r.path.ends_with("/good"), status.load(Ordering::SeqCst)) {
            _ if !json => Reply { status: 400, body: "invalid_payload".into() },
            ("POST", true, 200) => Reply { status: 200, body: "ok".into() },
            ("POST", true, 410) => Reply { status: 410, body: "channel_is_archived".into() },
            ("POST", true, s) => Reply { status: s, body: "rollup_error".into() },
            _ => Reply { status: 404, body: "no_service".into() },
        }
    })
}

fn texts(server: &FakeServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_slack_channel_gets_the_notices_of_the_kinds_chosen() {
    let api = Api::new();
    let owner = signup(&api, "slack").await;
    let ws = create_workspace(&api, &owner, "Slack").await;
    let editor = add_member(&api, &owner, &ws, "editor").await;
    let status = Arc::new(AtomicU16::new(200));
    let server = slack(status.clone());
    let secret = "/services/T0001/B0002/XXXXsecretXXXX/good";
    let hook = format!("{}{secret}", server.url);
    let path = w(&ws, "/slack");

    let none = api.get(&path).bearer(&owner.access).send().await.data();
    assert_eq!((&none["connected"], &none["kinds"]), (&json!(false), &json!([])));
    // Checked before anything is sent.
    for (body, fields) in [
        (json!({"webhookUrl": "ftp://hooks.example/x", "kinds": ["comment.mention"]}), vec!["webhookUrl"]),
        (json!({"webhookUrl": "https://example.com/services/x", "kinds": ["comment.mention"]}), vec!["webhookUrl"]),
        (json!({"webhookUrl": format!("{hook}?q=1"), "kinds": []}), vec!["webhookUrl", "kinds"]),
        (json!({"webhookUrl": hook, "kinds": ["post.published"]}), vec!["kinds"]),
        (json!({"kinds": ["comment.mention"]}), vec!["webhookUrl"]),
    ] {
        let r = api.request("PUT", &path).bearer(&owner.access).json(body.clone()).send().await;
        assert_eq!(r.fields(), fields, "{body}");
    }
    assert!(server.requests().is_empty());
    // A webhook its server does not know is refused with the server's answer.
    let gone = format!("{}/services/T0001/B0002/nope", server.url);
    let r =
        api.request("PUT", &path).bearer(&owner.access).json(json!({"webhookUrl": gone, "kinds": ["comment.mention"]}));
    let r = r.send().await;
    assert_eq!(r.fields(), ["webhookUrl"]);
    assert!(r.json()["details"][0]["message"].as_str().unwrap().contains("404 no_service"), "{}", r.json());
    // Only owners and admins manage it.
    let as_editor = api
        .request("PUT", &path)
        .bearer(&editor.access)
        .json(json!({"webhookUrl": hook, "kinds": ["comment.mention"]}));
    as_editor.send().await.expect_error(403, "FORBIDDEN");
    api.get(&path).bearer(&editor.access).send().await.expect_error(403, "FORBIDDEN");

    let put = json!({"webhookUrl": hook, "kinds": ["comment.mention", "approval.requested", "comment.mention"]});
    let saved = api.request("PUT", &path).bearer(&owner.access).json(put).send().await.data();
    assert_eq!(saved["connected"], true);
    assert_eq!(saved["kinds"], json!(["comment.mention", "approval.requested"]));
    assert_eq!(saved["host"], server.url.trim_start_matches("http://"));
    let welcome = texts(&server);
    assert_eq!(welcome.len(), 2, "the refused one, then the welcome: {welcome:?}");
    assert!(welcome[1].contains("comment.mention, approval.requested"), "{welcome:?}");
    // Never shown, never stored as it is.
    let shown = api.get(&path).bearer(&owner.access).send().await;
    assert_eq!(shown.data()["host"], saved["host"]);
    assert!(!String::from_utf8_lossy(&shown.body).contains("XXXXsecretXXXX"));
    assert_ne!(api.stored_anywhere("XXXXsecretXXXX").await, Some(true));
    // Another workspace's owner does not reach it.
    let stranger = signup(&api, "slack-other").await;
    api.get(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    api.delete(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");

    // A mention is a chosen kind: posted, its markup escaped.
    let post = api.post(&w(&ws, "/posts")).bearer(&owner.access).json(json!({"title": "Launch"})).send().await.data();
    let comments = w(&ws, &format!("/posts/{}/comments", post["id"].as_str().unwrap()));
    let mention = json!({"body": "<!channel> check this & that", "mentions": [editor.id]});
    assert_eq!(api.post(&comments).bearer(&owner.access).json(mention).send().await.status, 201);
    let posted = texts(&server);
    assert_eq!(posted.len(), 3, "{posted:?}");
    assert!(posted[2].ends_with("\n&lt;!channel&gt; check this &amp; that"), "{posted:?}");
    // Only the chosen kinds: a decision is not one.
    let put = json!({"webhookUrl": hook, "kinds": ["approval.approved"]});
    assert_eq!(api.request("PUT", &path).bearer(&owner.access).json(put).send().await.status, 200);
    let before = texts(&server).len();
    let mention = json!({"body": "again", "mentions": [editor.id]});
    assert_eq!(api.post(&comments).bearer(&owner.access).json(mention).send().await.status, 201);
    assert_eq!(texts(&server).len(), before, "a mention is no longer posted");

    // A channel that is gone: the notice is still recorded in the app, the failure on the hook.
    let put = json!({"webhookUrl": hook, "kinds": ["comment.mention"]});
    assert_eq!(api.request("PUT", &path).bearer(&owner.access).json(put).send().await.status, 200);
    status.store(410, Ordering::SeqCst);
    let mention = json!({"body": "into the void", "mentions": [editor.id]});
    assert_eq!(api.post(&comments).bearer(&owner.access).json(mention).send().await.status, 201);
    let inbox = api.get(&w(&ws, "/notifications")).bearer(&editor.access).send().await.data();
    assert_eq!(inbox["items"][0]["body"], "into the void");
    let failed = api.get(&path).bearer(&owner.access).send().await.data();
    assert_eq!(failed["lastFailure"]["reason"], "410 channel_is_archived", "{failed}");
    // A server that fails is not the webhook's fault: 502, and the hook kept as it was.
    status.store(500, Ordering::SeqCst);
    let put = json!({"webhookUrl": hook, "kinds": ["idea.requested"]});
    api.request("PUT", &path).bearer(&owner.access).json(put).send().await.expect_error(502, "EXTERNAL_API_ERROR");
    assert_eq!(api.get(&path).bearer(&owner.access).send().await.data()["kinds"], json!(["comment.mention"]));
    // Saved again, the failure is forgotten.
    status.store(200, Ordering::SeqCst);
    let put = json!({"webhookUrl": hook, "kinds": ["comment.mention"]});
    let saved = api.request("PUT", &path).bearer(&owner.access).json(put).send().await.data();
    assert!(saved["lastFailure"].is_null());

    // Removed: nothing more is posted.
    assert_eq!(api.delete(&path).bearer(&owner.access).send().await.data()["removed"], true);
    assert_eq!(api.delete(&path).bearer(&owner.access).send().await.data()["removed"], false);
    let before = texts(&server).len();
    let mention = json!({"body": "quiet now", "mentions": [editor.id]});
    assert_eq!(api.post(&comments).bearer(&owner.access).json(mention).send().await.status, 201);
    assert_eq!(texts(&server).len(), before);
    assert_eq!(api.get(&path).bearer(&owner.access).send().await.data()["connected"], false);
}
