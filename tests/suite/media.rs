//! The media library: declarations checked against the allow-list and the size limits, the
//! streamed upload from pending to ready, metadata, filters, usage by posts, and tenancy.
//! Presigned URLs themselves are proved against an S3-compatible server in `tests/s3`.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn setup(label: &str) -> (Api, User, String) {
    let api = Api::new();
    let owner = signup(&api, label).await;
    let ws = create_workspace(&api, &owner, label).await;
    (api, owner, ws)
}

/// A PNG's signature and header chunk for `width`×`height`, padded to `size` bytes: enough
/// for the server to recognise the type and read the size.
fn png(width: u32, height: u32, size: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0]);
    b.resize(size, 0x42);
    b
}

/// Declares a streamed upload; answers the pending asset.
async fn declare(api: &Api, user: &User, ws: &str, body: Value) -> Value {
    let mut body = body;
    body["method"] = json!("stream");
    let r = api.post(&w(ws, "/media/uploads")).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()["asset"].clone()
}

async fn put_content(api: &Api, user: &User, ws: &str, id: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    api.request("PUT", &w(ws, &format!("/media/{id}/content")))
        .bearer(&user.access)
        .typed(content_type, bytes)
        .send()
        .await
}

/// A ready PNG of 640×480.
async fn ready_png(api: &Api, user: &User, ws: &str, name: &str) -> String {
    let asset = declare(api, user, ws, json!({"filename": name, "contentType": "image/png", "sizeBytes": 2048})).await;
    let id = asset["id"].as_str().unwrap().to_string();
    let r = put_content(api, user, ws, &id, "image/png", png(640, 480, 2048)).await;
    assert_eq!(r.data()["status"], "ready");
    id
}

#[tokio::test]
async fn declarations_outside_the_allow_list_or_the_limits_are_refused_with_details() {
    let (api, owner, ws) = setup("media-rules").await;
    let upload = |body: Value| api.post(&w(&ws, "/media/uploads")).bearer(&owner.access).json(body).send();

    let r = upload(json!({"filename": "doc.pdf", "contentType": "application/pdf", "sizeBytes": 1000})).await;
    let details = r.expect_error(400, "VALIDATION_ERROR")["details"].clone();
    assert_eq!(details[0]["field"], "contentType");
    assert!(details[0]["message"].as_str().unwrap().contains("image/png"), "says what is allowed: {details}");

    let over = 20 * 1024 * 1024 + 1;
    let r = upload(json!({"filename": "huge.png", "contentType": "image/png", "sizeBytes": over})).await;
    let details = r.expect_error(400, "VALIDATION_ERROR")["details"].clone();
    assert_eq!(details[0]["field"], "sizeBytes");
    assert!(details[0]["message"].as_str().unwrap().contains("20 MiB"), "{details}");
    let r =
        upload(json!({"filename": "long.mp4", "contentType": "video/mp4", "sizeBytes": 500 * 1024 * 1024 + 1})).await;
    assert_eq!(r.fields(), ["sizeBytes"]);

    // Every problem at once.
    let r = upload(json!({"filename": "", "contentType": "image/png", "sizeBytes": 0, "width": -3,
                          "durationMs": 5, "folder": "a//b", "tags": [""], "method": "fax"}))
    .await;
    assert_eq!(r.fields(), ["filename", "sizeBytes", "width", "durationMs", "tags", "folder", "method"]);
    let r = upload(json!({"filename": "a.png", "contentType": "image/png", "sizeBytes": 10, "colour": "red"})).await;
    assert_eq!(r.fields(), ["colour"]);

    // Nothing was created by the refusals.
    let listed = api.get(&w(&ws, "/media")).bearer(&owner.access).send().await.data();
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn a_presigned_upload_answers_a_url_that_signs_type_and_size() {
    let (api, owner, ws) = setup("media-presign").await;
    let r = api
        .post(&w(&ws, "/media/uploads"))
        .bearer(&owner.access)
        .json(json!({"filename": "cat.png", "contentType": "image/png", "sizeBytes": 2048, "altText": "A cat"}))
        .send()
        .await;
    if api.is_remote() && r.status == 503 {
        // wrangler dev has R2 but no S3 endpoint to presign for: a clear refusal, nothing created.
        r.expect_error(503, "SERVICE_UNAVAILABLE");
        let listed = api.get(&w(&ws, "/media")).bearer(&owner.access).send().await.data();
        assert_eq!(listed["items"], json!([]));
        return;
    }
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let d = r.data();
    let (asset, upload) = (&d["asset"], &d["upload"]);
    assert_eq!((asset["status"].as_str(), asset["altText"].as_str()), (Some("pending"), Some("A cat")));
    assert_eq!(upload["method"], "PUT");
    assert_eq!(upload["headers"], json!({"content-type": "image/png", "content-length": "2048"}));
    let url = upload["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256&"), "{url}");
    assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost&X-Amz-Signature="), "{url}");
    assert!(!url.contains("secret"), "no secret in the URL: {url}");
    assert!(upload["expiresAt"].as_str().is_some_and(|t| t > asset["createdAt"].as_str().unwrap()));
    // Nothing uploaded yet: completing is refused.
    let r = api
        .post(&w(&ws, &format!("/media/{}/complete", asset["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .send()
        .await;
    r.expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn a_streamed_upload_goes_from_pending_to_ready_with_the_file_checked() {
    let (api, owner, ws) = setup("media-stream").await;
    let asset = declare(
        &api,
        &owner,
        &ws,
        json!({"filename": "photos/cat.png", "contentType": "image/png", "sizeBytes": 4096, "width": 1, "height": 1}),
    )
    .await;
    let id = asset["id"].as_str().unwrap();
    assert_eq!((asset["status"].as_str(), asset["filename"].as_str()), (Some("pending"), Some("cat.png")));

    let complete = || api.post(&w(&ws, &format!("/media/{id}/complete"))).bearer(&owner.access).send();
    complete().await.expect_error(409, "CONFLICT");

    // Another type, another size, or bytes of another kind are refused.
    assert_eq!(put_content(&api, &owner, &ws, id, "image/gif", png(640, 480, 4096)).await.fields(), ["content-type"]);
    assert_eq!(put_content(&api, &owner, &ws, id, "image/png", png(640, 480, 4000)).await.fields(), ["content-length"]);
    let mut html = b"<html><script>alert(1)</script>".to_vec();
    html.resize(4096, b' ');
    assert_eq!(put_content(&api, &owner, &ws, id, "image/png", html).await.fields(), ["contentType"]);
    let still = api.get(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(still["status"], "pending");

    let file = png(640, 480, 4096);
    let r = put_content(&api, &owner, &ws, id, "image/png", file.clone()).await;
    let ready = r.data();
    assert_eq!(ready["status"], "ready");
    assert_eq!((ready["width"].as_i64(), ready["height"].as_i64()), (Some(640), Some(480)), "read from the file");
    assert_eq!(ready["sizeBytes"], 4096);

    let r = api.get(&w(&ws, &format!("/media/{id}/content"))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert!(r.body == file, "the bytes come back unchanged");

    // Ready is final: completing again changes nothing, uploading again is refused.
    assert_eq!(complete().await.data(), ready);
    put_content(&api, &owner, &ws, id, "image/png", file).await.expect_error(409, "CONFLICT");

    let log = api.get(&w(&ws, &format!("/activity?entityId={id}"))).bearer(&owner.access).send().await.data();
    // Entries of one millisecond may list in either order.
    let mut actions: Vec<&str> =
        log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["media.complete", "media.create"], "nothing logged for the refused uploads");
}

#[tokio::test]
async fn a_streamed_body_over_the_type_limit_is_refused() {
    let (api, owner, ws) = setup("media-413").await;
    let asset =
        declare(&api, &owner, &ws, json!({"filename": "a.png", "contentType": "image/png", "sizeBytes": 100})).await;
    let id = asset["id"].as_str().unwrap();
    if api.is_remote() {
        // Sending 20 MiB to a server that answers before reading it proves nothing over HTTP/1.1;
        // the Worker's path is the same domain code.
        return;
    }
    let r = put_content(&api, &owner, &ws, id, "image/png", png(1, 1, 20 * 1024 * 1024 + 1)).await;
    r.expect_error(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn metadata_is_edited_and_lists_filter_and_page() {
    let (api, owner, ws) = setup("media-list").await;
    let summer = declare(
        &api,
        &owner,
        &ws,
        json!({"filename": "beach.png", "contentType": "image/png", "sizeBytes": 10,
               "folder": "/campaigns/summer/", "tags": ["Launch", "beach"]}),
    )
    .await;
    let clip = declare(
        &api,
        &owner,
        &ws,
        json!({"filename": "clip.mp4", "contentType": "video/mp4", "sizeBytes": 10, "durationMs": 15000,
               "folder": "campaigns/winter"}),
    )
    .await;
    let gif = declare(
        &api,
        &owner,
        &ws,
        json!({"filename": "party.gif", "contentType": "image/gif", "sizeBytes": 10, "tags": ["launch", "Q3"]}),
    )
    .await;
    assert_eq!(summer["folder"], "campaigns/summer");
    assert_eq!(summer["tags"], json!(["launch", "beach"]));
    assert_eq!(clip["durationMs"], 15000);

    let ids = |q: &str| {
        let api = &api;
        let owner = &owner;
        let path = w(&ws, &format!("/media{q}"));
        async move {
            let d = api.get(&path).bearer(&owner.access).send().await.data();
            d["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["filename"].as_str().unwrap().to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        }
    };
    // Newest first is id order (UUIDv7): within one millisecond the order is the ids'.
    let listed = api.get(&w(&ws, "/media")).bearer(&owner.access).send().await.data();
    let order: Vec<String> =
        listed["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(order.len(), 3);
    assert!(order.windows(2).all(|p| p[0] > p[1]), "newest first: {order:?}");
    assert_eq!(ids("").await, ["beach.png", "clip.mp4", "party.gif"]);
    assert_eq!(ids("?folder=campaigns/summer").await, ["beach.png"]);
    assert_eq!(ids("?tag=LAUNCH").await, ["beach.png", "party.gif"]);
    assert_eq!(ids("?type=video").await, ["clip.mp4"]);
    assert_eq!(ids("?type=image/gif").await, ["party.gif"]);
    assert_eq!(ids("?type=image&tag=beach").await, ["beach.png"]);
    assert_eq!(ids("?status=ready").await, Vec::<String>::new());
    let bad = api.get(&w(&ws, "/media?type=audio&status=gone&limit=0")).bearer(&owner.access).send().await;
    assert_eq!(bad.fields(), ["limit", "type", "status"]);

    // Cursor pages, one asset each, never repeat.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let d = api.get(&w(&ws, &format!("/media?limit=1{cursor}"))).bearer(&owner.access).send().await.data();
        seen.extend(d["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()));
        match d["nextCursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, order);
    assert!([&gif, &clip, &summer].iter().all(|a| seen.contains(&a["id"].as_str().unwrap().to_string())));

    let id = summer["id"].as_str().unwrap();
    let patch = |body: Value| api.patch(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).json(body).send();
    let d = patch(json!({"altText": "Sunset over the beach", "tags": ["Beach", "Sunset"], "folder": ""})).await.data();
    assert_eq!(
        (d["altText"].as_str(), d["folder"].as_str(), d["tags"].clone()),
        (Some("Sunset over the beach"), None, json!(["beach", "sunset"]))
    );
    assert_eq!(ids("?tag=launch").await, ["party.gif"], "the tag index follows the edit");
    assert_eq!(ids("?tag=sunset").await, ["beach.png"]);
    let (long, many): (String, Vec<String>) = ("x".repeat(1001), (0..31).map(|i| format!("t{i}")).collect());
    assert_eq!(patch(json!({"altText": long, "tags": many})).await.fields(), ["altText", "tags"]);
    assert_eq!(patch(json!({"contentType": "image/gif"})).await.fields(), ["contentType"], "the type is not editable");
    let d = patch(json!({"altText": ""})).await.data();
    assert!(d["altText"].is_null());

    let log = api.get(&w(&ws, &format!("/activity?entityId={id}"))).bearer(&owner.access).send().await.data();
    // Entries of one millisecond may list in either order.
    let mut actions: Vec<&str> =
        log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["media.create", "media.update", "media.update"]);
}

#[tokio::test]
async fn another_workspace_cannot_reach_an_asset() {
    let (api, owner, ws) = setup("media-mine").await;
    let asset =
        declare(&api, &owner, &ws, json!({"filename": "a.png", "contentType": "image/png", "sizeBytes": 10})).await;
    let id = asset["id"].as_str().unwrap();
    let stranger = signup(&api, "media-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Theirs").await;
    for path in [w(&theirs, &format!("/media/{id}")), w(&ws, &format!("/media/{id}"))] {
        api.get(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
        api.delete(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
        api.patch(&path)
            .bearer(&stranger.access)
            .json(json!({"altText": "mine now"}))
            .send()
            .await
            .expect_error(404, "NOT_FOUND");
    }
    put_content(&api, &stranger, &theirs, id, "image/png", png(1, 1, 10)).await.expect_error(404, "NOT_FOUND");
    api.get(&w(&theirs, &format!("/media/{id}/usage")))
        .bearer(&stranger.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let listed = api.get(&w(&theirs, "/media")).bearer(&stranger.access).send().await.data();
    assert_eq!(listed["items"], json!([]));
    // The library checks membership in the same round trip as its read: a stranger sees nothing.
    for query in ["", "?type=image", "?status=pending", "?limit=100"] {
        api.get(&format!("{}{query}", w(&ws, "/media")))
            .bearer(&stranger.access)
            .send()
            .await
            .expect_error(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn viewers_see_the_library_but_do_not_change_it() {
    let (api, owner, ws) = setup("media-roles").await;
    let asset =
        declare(&api, &owner, &ws, json!({"filename": "a.png", "contentType": "image/png", "sizeBytes": 10})).await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    let listed = api.get(&w(&ws, "/media")).bearer(&viewer.access).send().await.data();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let r = api
        .post(&w(&ws, "/media/uploads"))
        .bearer(&viewer.access)
        .json(json!({"filename": "b.png", "contentType": "image/png", "sizeBytes": 10, "method": "stream"}))
        .send()
        .await;
    r.expect_error(403, "FORBIDDEN");
    let id = asset["id"].as_str().unwrap();
    api.delete(&w(&ws, &format!("/media/{id}"))).bearer(&viewer.access).send().await.expect_error(403, "FORBIDDEN");
    let writer = add_member(&api, &owner, &ws, "writer").await;
    declare(&api, &writer, &ws, json!({"filename": "c.png", "contentType": "image/png", "sizeBytes": 10})).await;
}

#[tokio::test]
async fn an_asset_a_post_uses_shows_its_usage_and_cannot_be_deleted() {
    let (api, owner, ws) = setup("media-usage").await;
    let id = ready_png(&api, &owner, &ws, "launch.png").await;
    let usage = |id: &str| api.get(&w(&ws, &format!("/media/{id}/usage"))).bearer(&owner.access).send();
    assert_eq!(usage(&id).await.data(), json!([]));

    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Launch day", "body": "We launch today", "targets": [
            {"platform": "x", "media": [id]},
            {"platform": "linkedin"}
        ]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data();
    let post_id = post["id"].as_str().unwrap();
    let used = usage(&id).await.data();
    assert_eq!(used.as_array().unwrap().len(), 1, "{used}");
    assert_eq!((used[0]["postId"].as_str(), used[0]["title"].as_str()), (Some(post_id), Some("Launch day")));
    assert_eq!(used[0]["targets"], json!([{"targetId": post["targets"][0]["id"], "platform": "x", "position": 0}]));

    let delete = |id: &str| api.delete(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).send();
    delete(&id).await.expect_error(409, "CONFLICT");
    assert_eq!(api.get(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).send().await.data()["status"], "ready");

    // Once the post no longer uses it, the asset can go.
    let r = api
        .patch(&w(&ws, &format!("/posts/{post_id}")))
        .bearer(&owner.access)
        .json(json!({"targets": [{"platform": "x"}, {"platform": "linkedin"}]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(usage(&id).await.data(), json!([]));
    assert_eq!(delete(&id).await.data()["id"], id.as_str());
    api.get(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
    let listed = api.get(&w(&ws, "/media")).bearer(&owner.access).send().await.data();
    assert_eq!(listed["items"], json!([]));
    let log = api.get(&w(&ws, &format!("/activity?entityId={id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "media.delete").count(), 1);
}

#[tokio::test]
async fn a_client_member_sees_only_assets_its_clients_posts_use() {
    let (api, owner, ws) = setup("media-client").await;
    let shown = ready_png(&api, &owner, &ws, "shown.png").await;
    let hidden = ready_png(&api, &owner, &ws, "hidden.png").await;
    let client = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Acme"})).send().await.data();
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Acme post", "body": "hi", "clientId": client["id"], "targets": [{"platform": "linkedin", "media": [shown]}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let member = add_member(&api, &owner, &ws, "client").await;
    api.post(&w(&ws, &format!("/clients/{}/members", client["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .json(json!({"userId": member.id}))
        .send()
        .await;
    let list = api.get(&w(&ws, "/media")).bearer(&member.access).send().await.data();
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [shown.as_str()]);
    assert_eq!(api.get(&w(&ws, &format!("/media/{shown}"))).bearer(&member.access).send().await.status, 200);
    api.get(&w(&ws, &format!("/media/{hidden}"))).bearer(&member.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/media/{hidden}/usage")))
        .bearer(&member.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&w(&ws, &format!("/media/{hidden}/content")))
        .bearer(&member.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let used = api.get(&w(&ws, &format!("/media/{shown}/usage"))).bearer(&member.access).send().await.data();
    assert_eq!(used.as_array().map(Vec::len), Some(1), "the client's post that uses it: {used}");
    assert_eq!(used[0]["title"], "Acme post");
    let all = api.get(&w(&ws, "/media")).bearer(&owner.access).send().await.data();
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "the agency sees its whole library");
}

/// How long a slow upload's body takes to arrive, and when the other upload is sent meanwhile.
const SLOW: std::time::Duration = std::time::Duration::from_millis(2000);
const MEANWHILE: std::time::Duration = std::time::Duration::from_millis(500);

async fn put_slowly(api: &Api, user: &User, ws: &str, id: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    api.request("PUT", &w(ws, &format!("/media/{id}/content")))
        .bearer(&user.access)
        .typed(content_type, bytes)
        .slow(SLOW)
        .send()
        .await
}

/// The asset's file and dimensions as the API serves them.
async fn content_of(api: &Api, user: &User, ws: &str, id: &str) -> (Vec<u8>, Option<i64>, Option<i64>) {
    let r = api.get(&w(ws, &format!("/media/{id}/content"))).bearer(&user.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let asset = api.get(&w(ws, &format!("/media/{id}"))).bearer(&user.access).send().await.data();
    assert_eq!(asset["status"], "ready");
    (r.body, asset["width"].as_i64(), asset["height"].as_i64())
}

#[tokio::test]
async fn a_second_upload_after_ready_is_refused_and_the_file_is_unchanged() {
    let (api, owner, ws) = setup("media-write-once").await;
    let id = ready_png(&api, &owner, &ws, "first.png").await;
    let r = put_content(&api, &owner, &ws, &id, "image/png", png(100, 50, 2048)).await;
    assert!(r.expect_error(409, "CONFLICT")["error"].as_str().unwrap().contains("already uploaded"));
    let mut html = b"<html>not a picture</html>".to_vec();
    html.resize(2048, b' ');
    put_content(&api, &owner, &ws, &id, "image/png", html).await.expect_error(409, "CONFLICT");
    let r = api.post(&w(&ws, &format!("/media/{id}/complete"))).bearer(&owner.access).send().await;
    assert_eq!(r.data()["width"], 640, "completing a ready asset changes nothing");
    assert_eq!(content_of(&api, &owner, &ws, &id).await, (png(640, 480, 2048), Some(640), Some(480)));
}

#[tokio::test]
async fn of_two_uploads_at_once_one_wins_and_the_asset_is_its_file() {
    let (api, owner, ws) = setup("media-race").await;
    let asset =
        declare(&api, &owner, &ws, json!({"filename": "race.png", "contentType": "image/png", "sizeBytes": 4096}))
            .await;
    let id = asset["id"].as_str().unwrap();
    let (slow, fast) = (png(111, 222, 4096), png(333, 444, 4096));
    let (a, b) = tokio::join!(put_slowly(&api, &owner, &ws, id, "image/png", slow.clone()), async {
        tokio::time::sleep(MEANWHILE).await;
        put_content(&api, &owner, &ws, id, "image/png", fast.clone()).await
    });
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409],
        "exactly one upload wins: {} / {}",
        String::from_utf8_lossy(&a.body),
        String::from_utf8_lossy(&b.body)
    );
    let (winner, loser, file, dims) =
        if a.status == 200 { (&a, &b, slow, (111, 222)) } else { (&b, &a, fast, (333, 444)) };
    loser.expect_error(409, "CONFLICT");
    let won = winner.data();
    assert_eq!((won["width"].as_i64(), won["height"].as_i64()), (Some(dims.0), Some(dims.1)));
    assert_eq!(content_of(&api, &owner, &ws, id).await, (file.clone(), Some(dims.0), Some(dims.1)));

    // Later uploads change nothing either.
    put_content(&api, &owner, &ws, id, "image/png", png(5, 5, 4096)).await.expect_error(409, "CONFLICT");
    assert_eq!(content_of(&api, &owner, &ws, id).await, (file, Some(dims.0), Some(dims.1)));
    let log = api.get(&w(&ws, &format!("/activity?entityId={id}"))).bearer(&owner.access).send().await.data();
    let completions = log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "media.complete").count();
    assert_eq!(completions, 1, "one transition to ready: {log}");
}

#[tokio::test]
async fn a_body_that_is_not_an_image_is_refused_and_never_breaks_the_asset() {
    let (api, owner, ws) = setup("media-not-image").await;
    let declared = json!({"filename": "pic.png", "contentType": "image/png", "sizeBytes": 4096});
    let mut html = b"<html><script>alert(1)</script>".to_vec();
    html.resize(4096, b' ');
    let good = png(640, 480, 4096);

    // The non-image upload holds the asset while it arrives: the good one meanwhile waits its turn.
    let id = declare(&api, &owner, &ws, declared.clone()).await["id"].as_str().unwrap().to_string();
    let (bad, meanwhile) = tokio::join!(put_slowly(&api, &owner, &ws, &id, "image/png", html.clone()), async {
        tokio::time::sleep(MEANWHILE).await;
        put_content(&api, &owner, &ws, &id, "image/png", good.clone()).await
    });
    assert!(meanwhile.expect_error(409, "CONFLICT")["error"].as_str().unwrap().contains("in progress"));
    assert_eq!(bad.fields(), ["contentType"]);
    // Refused, nothing kept: the asset is pending, its content not there yet (never a 500), and
    // the file can be sent again.
    let r = api.get(&w(&ws, &format!("/media/{id}"))).bearer(&owner.access).send().await;
    assert_eq!(r.data()["status"], "pending");
    let r = api.get(&w(&ws, &format!("/media/{id}/content"))).bearer(&owner.access).send().await;
    r.expect_error(409, "CONFLICT");
    assert_eq!(put_content(&api, &owner, &ws, &id, "image/png", good.clone()).await.data()["status"], "ready");
    assert_eq!(content_of(&api, &owner, &ws, &id).await, (good.clone(), Some(640), Some(480)));

    // The other way round: the non-image body sent while the good one arrives is refused, and
    // the asset is the good file.
    let id = declare(&api, &owner, &ws, declared).await["id"].as_str().unwrap().to_string();
    let (ok, bad) = tokio::join!(put_slowly(&api, &owner, &ws, &id, "image/png", good.clone()), async {
        tokio::time::sleep(MEANWHILE).await;
        put_content(&api, &owner, &ws, &id, "image/png", html.clone()).await
    });
    bad.expect_error(409, "CONFLICT");
    assert_eq!(ok.data()["status"], "ready");
    put_content(&api, &owner, &ws, &id, "image/png", html).await.expect_error(409, "CONFLICT");
    assert_eq!(content_of(&api, &owner, &ws, &id).await, (good, Some(640), Some(480)));
}
