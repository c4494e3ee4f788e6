//! Posts: targets checked against each platform's rules, versions, status, filters and paging,
//! privacy mode, and who sees what.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn post(api: &Api, user: &User, ws: &str, body: Value) -> Value {
    let r = api.post(&w(ws, "/posts")).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.data()
}

async fn setup(label: &str) -> (Api, User, String) {
    let api = Api::new();
    let owner = signup(&api, label).await;
    let ws = create_workspace(&api, &owner, label).await;
    (api, owner, ws)
}

#[tokio::test]
async fn platform_limits_are_checked_per_target_with_field_details() {
    let (api, owner, ws) = setup("limits").await;
    let bluesky_301 = "é".repeat(301);
    let x_281 = "a".repeat(281);
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Too long", "body": "hello", "targets": [
            {"platform": "bluesky", "text": bluesky_301},
            {"platform": "x", "text": x_281},
            {"platform": "instagram"},
            {"platform": "myspace"}
        ]}))
        .send()
        .await;
    let body = r.json();
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["targets[0].text", "targets[1].text", "targets[2].media", "targets[3].platform"], "{body}");
    let details = body["details"].as_array().unwrap();
    let bluesky = details.iter().find(|d| d["field"] == "targets[0].text").unwrap();
    assert!(bluesky["message"].as_str().unwrap().contains("301"), "{bluesky}");

    // Emoji and CJK are counted the platforms' way: a family emoji is one grapheme on Bluesky
    // (300 graphemes pass, within its 3,000-byte cap); 140 CJK characters weigh 280 on X.
    let family = "👨‍👩‍👧‍👦".repeat(50) + &"漢".repeat(250);
    let cjk = "漢".repeat(140);
    let ok = post(
        &api,
        &owner,
        &ws,
        json!({"title": "Fits", "body": "hi", "targets": [
            {"platform": "bluesky", "text": family}, {"platform": "x", "text": cjk}
        ]}),
    )
    .await;
    assert_eq!(ok["targets"].as_array().unwrap().len(), 2);
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "One more", "body": "hi", "targets": [{"platform": "x", "text": "漢".repeat(141)}]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["targets[0].text"]);
    // Without its own text, a target is checked against the post's body.
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Body", "body": "b".repeat(301), "targets": [{"platform": "bluesky"}, {"platform": "linkedin"}]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["targets[0].text"]);
}

#[tokio::test]
async fn every_content_edit_is_a_version_that_can_be_compared_and_restored() {
    let (api, owner, ws) = setup("versions").await;
    let p = post(
        &api,
        &owner,
        &ws,
        json!({"title": "Launch", "body": "Our new roast is here", "targets": [{"platform": "linkedin"}]}),
    )
    .await;
    assert_eq!((p["version"].as_i64(), p["status"].as_str()), (Some(1), Some("draft")));
    let path = w(&ws, &format!("/posts/{}", p["id"].as_str().unwrap()));
    let v2 = api
        .patch(&path)
        .bearer(&owner.access)
        .json(json!({"body": "Our new roast is finally here", "version": 1}))
        .send()
        .await
        .data();
    assert_eq!(v2["version"], 2);
    let tags_only = api
        .patch(&path)
        .bearer(&owner.access)
        .json(json!({"tags": ["Coffee", "launch", "coffee"]}))
        .send()
        .await
        .data();
    assert_eq!(tags_only["version"], 2, "tags are not content: no new version");
    assert_eq!(tags_only["tags"], json!(["coffee", "launch"]));
    // A stale edit loses.
    api.patch(&path)
        .bearer(&owner.access)
        .json(json!({"body": "stale", "version": 1}))
        .send()
        .await
        .expect_error(409, "CONFLICT");

    let diff = api.get(&format!("{path}/versions/diff?from=1&to=2")).bearer(&owner.access).send().await.data();
    let inserted: Vec<&str> = diff["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "insert")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserted, ["finally "]);
    assert_eq!(diff["title"]["changed"], false);

    let restored = api.post(&format!("{path}/versions/1/restore")).bearer(&owner.access).send().await.data();
    assert_eq!((restored["version"].as_i64(), restored["body"].as_str()), (Some(3), Some("Our new roast is here")));
    let versions = api.get(&format!("{path}/versions")).bearer(&owner.access).send().await.data()["items"].clone();
    let numbers: Vec<i64> = versions.as_array().unwrap().iter().map(|v| v["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(versions[0]["note"], "restored from version 1");
    let v2_again = api.get(&format!("{path}/versions/2")).bearer(&owner.access).send().await.data();
    assert_eq!(v2_again["body"], "Our new roast is finally here", "versions never change");
    api.get(&format!("{path}/versions/9")).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&format!("{path}/versions/diff?from=1&to=x")).bearer(&owner.access).send().await.fields();
}

#[tokio::test]
async fn archive_and_soft_delete_follow_the_status_machine() {
    let (api, owner, ws) = setup("status").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    api.post(&w(&ws, "/posts"))
        .bearer(&viewer.access)
        .json(json!({"title": "No"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let p = post(&api, &writer, &ws, json!({"title": "By writer", "body": "text"})).await;
    let path = w(&ws, &format!("/posts/{}", p["id"].as_str().unwrap()));
    api.post(&format!("{path}/archive")).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(api.post(&format!("{path}/archive")).bearer(&owner.access).send().await.data()["status"], "archived");
    let r = api.patch(&path).bearer(&writer.access).json(json!({"body": "edit"})).send().await;
    let e = r.expect_error(409, "CONFLICT");
    assert!(e["error"].as_str().unwrap().contains("archived"), "{e}");
    api.post(&format!("{path}/archive")).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");
    assert_eq!(api.post(&format!("{path}/unarchive")).bearer(&owner.access).send().await.data()["status"], "draft");
    api.delete(&path).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(api.delete(&path).bearer(&owner.access).send().await.status, 200);
    api.get(&path).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn posts_filter_and_page_both_ways() {
    let (api, owner, ws) = setup("filters").await;
    let campaign =
        api.post(&w(&ws, "/campaigns")).bearer(&owner.access).json(json!({"name": "Q1"})).send().await.data();
    let cid = campaign["id"].as_str().unwrap();
    for i in 0..6 {
        let mut body =
            json!({"title": format!("P{i}"), "body": "text", "tags": [if i % 2 == 0 { "even" } else { "odd" }]});
        if i < 3 {
            body["campaignId"] = json!(cid);
            body["targets"] = json!([{"platform": "mastodon"}]);
        }
        post(&api, &owner, &ws, body).await;
    }
    let titles = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()).collect()
    };
    let get = |q: &str| api.get(&w(&ws, &format!("/posts?{q}"))).bearer(&owner.access).send();
    assert_eq!(titles(&get(&format!("campaignId={cid}")).await.data()).len(), 3);
    let even = get("tag=even&sort=title").await.data();
    assert_eq!(titles(&even), ["P0", "P2", "P4"]);
    let mastodon = get("platform=mastodon&sort=title").await.data();
    assert_eq!(titles(&mastodon), ["P0", "P1", "P2"]);
    assert!(titles(&get("status=archived").await.data()).is_empty());
    let mut fields = get("status=lost&platform=myspace&sort=random&limit=500").await.fields();
    fields.sort();
    assert_eq!(fields, ["limit", "platform", "sort", "status"]);

    // Offset paging.
    let first = get("sort=title&limit=4").await.data();
    assert_eq!(titles(&first), ["P0", "P1", "P2", "P3"]);
    assert_eq!(first["nextOffset"], 4);
    let second = get("sort=title&limit=4&offset=4").await.data();
    assert_eq!(titles(&second), ["P4", "P5"]);
    assert!(second["nextOffset"].is_null());
    // Cursor paging sees each post once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(&format!("limit=4&cursor={cursor}")).await.data();
        seen.extend(titles(&page));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["P0", "P1", "P2", "P3", "P4", "P5"]);
}

#[tokio::test]
async fn cursor_pages_never_skip_or_repeat_while_others_insert() {
    let (api, owner, ws) = setup("concurrent").await;
    for i in 0..10 {
        post(&api, &owner, &ws, json!({"title": format!("old {i}")})).await;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = String::new();
    let mut inserted = 0;
    loop {
        let page =
            api.get(&w(&ws, &format!("/posts?limit=3&cursor={cursor}"))).bearer(&owner.access).send().await.data();
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()));
        // Someone writes between every page.
        post(&api, &owner, &ws, json!({"title": format!("new {inserted}")})).await;
        inserted += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let mut old: Vec<&String> = seen.iter().filter(|t| t.starts_with("old")).collect();
    assert_eq!(old.len(), 10, "every post that existed is seen: {seen:?}");
    old.dedup();
    assert_eq!(old.len(), 10, "and only once");
    assert!(seen.iter().all(|t| t.starts_with("old")), "newer posts come before the cursor, never inside the walk");
}

#[tokio::test]
async fn a_client_member_sees_only_its_clients_posts() {
    let (api, owner, ws) = setup("client-posts").await;
    let mine = api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Mine"})).send().await.data();
    let theirs =
        api.post(&w(&ws, "/clients")).bearer(&owner.access).json(json!({"name": "Theirs"})).send().await.data();
    let campaign = api
        .post(&w(&ws, "/campaigns"))
        .bearer(&owner.access)
        .json(json!({"name": "Mine's", "clientId": mine["id"]}))
        .send()
        .await
        .data();
    let visible = post(&api, &owner, &ws, json!({"title": "Visible", "campaignId": campaign["id"]})).await;
    assert_eq!(visible["clientId"], mine["id"], "a post takes its campaign's client");
    let hidden = post(&api, &owner, &ws, json!({"title": "Hidden", "clientId": theirs["id"]})).await;
    post(&api, &owner, &ws, json!({"title": "Internal"})).await;
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Mixed", "campaignId": campaign["id"], "clientId": theirs["id"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["clientId"]);

    let client = add_member(&api, &owner, &ws, "client").await;
    api.post(&w(&ws, &format!("/clients/{}/members", mine["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .json(json!({"userId": client.id}))
        .send()
        .await;
    let list = api.get(&w(&ws, "/posts")).bearer(&client.access).send().await.data();
    let titles: Vec<&str> = list["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Visible"]);
    let seen = api
        .get(&w(&ws, &format!("/posts/{}", visible["id"].as_str().unwrap())))
        .bearer(&client.access)
        .send()
        .await
        .data();
    assert_eq!(seen["title"], "Visible");
    let hidden_path = w(&ws, &format!("/posts/{}", hidden["id"].as_str().unwrap()));
    api.get(&hidden_path).bearer(&client.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&format!("{hidden_path}/versions")).bearer(&client.access).send().await.expect_error(404, "NOT_FOUND");
    for version in ["/versions/1", "/versions/diff?from=1&to=1"] {
        api.get(&format!("{hidden_path}{version}")).bearer(&owner.access).send().await.data();
        api.get(&format!("{hidden_path}{version}")).bearer(&client.access).send().await.expect_error(404, "NOT_FOUND");
    }
    api.patch(&hidden_path)
        .bearer(&client.access)
        .json(json!({"title": "x"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn another_workspace_cannot_reach_a_post() {
    let (api, owner, ws) = setup("post-wall").await;
    let stranger = signup(&api, "post-stranger").await;
    let their_ws = create_workspace(&api, &stranger, "Theirs").await;
    let p = post(&api, &owner, &ws, json!({"title": "Mine", "body": "private words"})).await;
    let id = p["id"].as_str().unwrap();
    for path in [w(&their_ws, &format!("/posts/{id}")), w(&ws, &format!("/posts/{id}"))] {
        api.get(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
        api.patch(&path)
            .bearer(&stranger.access)
            .json(json!({"body": "defaced"}))
            .send()
            .await
            .expect_error(404, "NOT_FOUND");
        api.delete(&path).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
        api.get(&format!("{path}/versions/1")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    }
    let list = api.get(&w(&their_ws, "/posts")).bearer(&stranger.access).send().await.data();
    assert!(list["items"].as_array().unwrap().is_empty());
    // The list checks membership in the same round trip as its reads: a stranger learns nothing.
    for query in ["", "?status=draft", "?q=private", "?limit=100&sort=title"] {
        let r = api.get(&format!("{}{query}", w(&ws, "/posts"))).bearer(&stranger.access).send().await;
        r.expect_error(404, "NOT_FOUND");
        assert!(!String::from_utf8_lossy(&r.body).contains("private words"));
    }
    let still = api.get(&w(&ws, &format!("/posts/{id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(still["body"], "private words");
}

#[tokio::test]
async fn privacy_mode_stores_no_body_anywhere() {
    let (api, owner, ws) = setup("privacy").await;
    let r = api.patch(&w(&ws, "")).bearer(&owner.access).json(json!({"settings": {"privacyMode": true}})).send().await;
    assert_eq!(r.status, 200);
    let secret = format!("SECRET-{}", unique_email("body"));
    let target_secret = format!("TARGET-{}", unique_email("text"));
    let p = post(
        &api,
        &owner,
        &ws,
        json!({"title": "Quiet", "body": secret, "targets": [{"platform": "bluesky", "text": target_secret}]}),
    )
    .await;
    assert_eq!(p["private"], true);
    assert!(p["body"].is_null() && p["targets"][0]["text"].is_null());
    assert_eq!(p["contentHash"].as_str().unwrap().len(), 64);
    let path = w(&ws, &format!("/posts/{}", p["id"].as_str().unwrap()));
    assert!(api.get(&path).bearer(&owner.access).send().await.data()["body"].is_null());
    // An edit sends the whole content again: a new version, still without a body.
    let secret2 = format!("SECRET2-{}", unique_email("body"));
    let v2 = api.patch(&path).bearer(&owner.access).json(json!({"body": secret2})).send().await.data();
    assert_eq!(v2["version"], 2);
    assert_ne!(v2["contentHash"], p["contentHash"]);
    assert!(api.get(&format!("{path}/versions/1")).bearer(&owner.access).send().await.data()["body"].is_null());
    api.post(&format!("{path}/versions/1/restore")).bearer(&owner.access).send().await.expect_error(409, "CONFLICT");
    for needle in [&secret, &target_secret, &secret2] {
        if let Some(found) = api.stored_anywhere(needle).await {
            assert!(!found, "{needle} was stored");
        }
    }
}

#[tokio::test]
async fn full_text_search_finds_words_and_prefixes_with_filters() {
    let (api, owner, ws) = setup("search").await;
    post(
        &api,
        &owner,
        &ws,
        json!({"title": "Morning roast", "body": "Our Ethiopian beans, roasted slowly", "tags": ["coffee"]}),
    )
    .await;
    post(&api, &owner, &ws, json!({"title": "Evening tea", "body": "Jasmine and oolong", "tags": ["tea"]})).await;
    let archived = post(&api, &owner, &ws, json!({"title": "Old roast", "body": "discontinued"})).await;
    api.post(&w(&ws, &format!("/posts/{}/archive", archived["id"].as_str().unwrap())))
        .bearer(&owner.access)
        .send()
        .await;
    let titles = |v: Value| -> Vec<String> {
        let mut t: Vec<String> =
            v["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_string()).collect();
        t.sort();
        t
    };
    let find = |q: &str| api.get(&w(&ws, &format!("/posts?{q}"))).bearer(&owner.access).send();
    assert_eq!(titles(find("q=roast").await.data()), ["Morning roast", "Old roast"]);
    assert_eq!(titles(find("q=ethiop").await.data()), ["Morning roast"], "the last word is a prefix");
    assert_eq!(titles(find("q=jasmine%20oolong").await.data()), ["Evening tea"]);
    assert!(titles(find("q=jasmine%20roast").await.data()).is_empty(), "every word must match");
    assert_eq!(titles(find("q=roast&status=archived").await.data()), ["Old roast"]);
    assert_eq!(titles(find("q=coffee").await.data()), ["Morning roast"], "tags are searched");
    // Search syntax is not passed through: quotes and operators are just separators.
    assert_eq!(titles(find("q=%22roast%22%20OR%20*").await.data()).len(), 0);
    assert_eq!(titles(find("q=%22evening%22%20(tea").await.data()), ["Evening tea"]);
}

#[tokio::test]
async fn csv_import_reports_every_row_and_a_bad_row_stops_nothing() {
    let (api, owner, ws) = setup("import").await;
    let campaign =
        api.post(&w(&ws, "/campaigns")).bearer(&owner.access).json(json!({"name": "Imported"})).send().await.data();
    let csv = format!(
        "title,body,tags,campaignId,platforms\n\
         First,\"Hello, world\",launch|news,{cid},linkedin;mastodon\n\
         ,no title here,,,\n\
         Third,\"multi\nline body\",,,\n\
         Too long for bluesky,{long},,,bluesky\n\
         Fifth,fine,,not-a-campaign,\n",
        cid = campaign["id"].as_str().unwrap(),
        long = "x".repeat(301)
    );
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", csv).send().await;
    let report = r.data();
    assert_eq!((report["created"].as_u64(), report["failed"].as_u64()), (Some(2), Some(3)), "{report}");
    let rows = report["rows"].as_array().unwrap();
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["created", "failed", "created", "failed", "failed"]);
    assert_eq!(
        rows.iter().map(|r| r["line"].as_u64().unwrap()).collect::<Vec<_>>(),
        [2, 3, 4, 6, 7],
        "lines count the multi-line cell"
    );
    assert_eq!(rows[1]["errors"][0]["field"], "title");
    assert_eq!(rows[3]["errors"][0]["field"], "targets[0].text");
    assert_eq!(rows[4]["errors"][0]["field"], "campaignId");

    let first = api
        .get(&w(&ws, &format!("/posts/{}", rows[0]["postId"].as_str().unwrap())))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    assert_eq!(first["body"], "Hello, world");
    assert_eq!(first["tags"], json!(["launch", "news"]));
    assert_eq!(first["campaignId"], campaign["id"]);
    assert_eq!(first["targets"].as_array().unwrap().len(), 2);
    let all = api.get(&w(&ws, "/posts")).bearer(&owner.access).send().await.data();
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "failed rows left nothing behind");

    let r = api
        .post(&w(&ws, "/posts/import"))
        .bearer(&owner.access)
        .typed("text/csv", "title,colour\nA,red\n")
        .send()
        .await;
    assert_eq!(r.fields(), ["columns.colour"]);
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    api.post(&w(&ws, "/posts/import"))
        .bearer(&viewer.access)
        .typed("text/csv", "title\nA\n")
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    // Larger than a JSON body may be, within the import limit.
    let big: String = std::iter::once("title,body\n".to_string())
        .chain((0..400).map(|i| format!("Row {i},{}\n", "y".repeat(300))))
        .collect();
    assert!(big.len() > 64 * 1024);
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", big).send().await;
    assert_eq!(r.data()["created"], 400);
}

#[tokio::test]
async fn an_import_of_the_largest_file_stays_within_d1s_queries_per_invocation() {
    // D1 allows a Worker invocation 50 queries on the free plan: the rows share their reads and
    // are written in batches, whatever they name.
    let (api, owner, ws) = setup("import-max").await;
    let campaign =
        api.post(&w(&ws, "/campaigns")).bearer(&owner.access).json(json!({"name": "Bulk"})).send().await.data();
    let cid = campaign["id"].as_str().unwrap();
    // 400 rows in the campaign, 100 naming clients that do not exist (more ids than a statement binds).
    let csv: String = std::iter::once("title,body,campaignId,clientId,platforms\n".to_string())
        .chain((0..400).map(|i| format!("Row {i:03},hello,{cid},,mastodon;bluesky\n")))
        .chain((0..100).map(|i| format!("Stray {i:03},hello,,{},\n", uuid_like(i))))
        .collect();
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", csv.clone()).send().await;
    let trips: u32 = r.header("x-db-round-trips").and_then(|t| t.parse().ok()).expect("round trips are counted");
    assert!(trips <= 50, "{trips} round trips");
    let report = r.data();
    assert_eq!((report["created"].as_u64(), report["failed"].as_u64()), (Some(400), Some(100)), "{report}");
    let rows = report["rows"].as_array().unwrap();
    assert!(rows[400..].iter().all(|r| r["errors"][0]["field"] == "clientId"));
    let page =
        api.get(&w(&ws, &format!("/posts?limit=100&campaignId={cid}"))).bearer(&owner.access).send().await.data();
    assert_eq!(page["items"].as_array().unwrap().len(), 100);
    assert!(page["items"].as_array().unwrap().iter().all(|p| p["targets"].as_array().map(Vec::len) == Some(2)));
    // One row more than the limit is refused whole.
    let over = format!("{csv}Extra,hello,,,\n");
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", over).send().await;
    assert_eq!(r.fields(), ["body"]);
}

/// A well-formed id that names nothing.
fn uuid_like(i: u32) -> String {
    format!("{i:08x}-0000-4000-8000-000000000000")
}

#[tokio::test]
async fn a_full_page_of_posts_with_targets_lists_within_d1_limits() {
    // D1 binds at most 100 parameters per statement: a page of 100 posts must not bind one per post.
    let (api, owner, ws) = setup("full-page").await;
    let csv: String = std::iter::once("title,body,tags,platforms\n".to_string())
        .chain((0..120).map(|i| format!("Post {i:03},hello world,bulk,mastodon;bluesky\n")))
        .collect();
    let r = api.post(&w(&ws, "/posts/import")).bearer(&owner.access).typed("text/csv", csv).send().await;
    assert_eq!(r.data()["created"], 120);
    let get = |q: &str| api.get(&w(&ws, &format!("/posts?{q}"))).bearer(&owner.access).send();
    let items = |page: &Value| page["items"].as_array().expect("items").clone();
    for query in ["limit=100", "limit=100&q=hello", "limit=100&tag=bulk", "limit=100&sort=title"] {
        let r = get(query).await;
        assert_eq!(r.status, 200, "{query}: {}", String::from_utf8_lossy(&r.body));
        let page = r.data();
        assert_eq!(items(&page).len(), 100, "{query}");
        assert!(items(&page).iter().all(|p| p["targets"].as_array().map(Vec::len) == Some(2)), "{query}");
    }
    let first = get("limit=100").await.data();
    let cursor = first["nextCursor"].as_str().expect("a next page");
    let rest = get(&format!("limit=100&cursor={cursor}")).await.data();
    assert_eq!(items(&rest).len(), 20);
    assert!(rest["nextCursor"].is_null());
    let last = get("limit=100&sort=title&offset=100").await.data();
    assert_eq!(items(&last).len(), 20);
    assert_eq!(items(&last)[0]["title"], "Post 100");
    assert_eq!(items(&last)[0]["targets"][1]["platform"], "bluesky", "targets keep their order");
}

#[tokio::test]
async fn the_tag_filter_matches_whole_tags_only() {
    let (api, owner, ws) = setup("tag-filter").await;
    let long = "t".repeat(100);
    let tagged = [
        ("Launch", json!(["launch"])),
        ("Launch day", json!(["launch-day"])),
        ("Half off", json!(["50%_off"])),
        ("Quoted", json!(["say \"hi\""])),
        ("Long", json!([long])),
        ("Untagged", json!([])),
    ];
    for (title, tags) in tagged {
        post(&api, &owner, &ws, json!({"title": title, "tags": tags})).await;
    }
    let titles = |q: String| {
        let api = &api;
        let path = w(&ws, &format!("/posts?sort=title&{q}"));
        let access = owner.access.clone();
        async move {
            let r = api.get(&path).bearer(&access).send().await;
            assert_eq!(r.status, 200, "{q}: {}", String::from_utf8_lossy(&r.body));
            r.data()["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["title"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(titles("tag=launch".into()).await, ["Launch"]);
    assert_eq!(titles("tag=LAUNCH".into()).await, ["Launch"], "tags are matched without case");
    assert_eq!(titles("tag=50%25_off".into()).await, ["Half off"]);
    assert_eq!(titles("tag=say%20%22hi%22".into()).await, ["Quoted"]);
    assert_eq!(titles(format!("tag={long}")).await, ["Long"], "a 100-character tag is a tag");
    for wildcard in ["%25", "_", "launch%25", "%25launch%25", "launc_", "%5C"] {
        assert!(titles(format!("tag={wildcard}")).await.is_empty(), "tag={wildcard} matched");
    }
    assert!(titles(format!("tag={long}t")).await.is_empty(), "no tag is that long");
}

#[tokio::test]
async fn versions_page_newest_first_without_their_bodies() {
    let (api, owner, ws) = setup("paged-versions").await;
    let id = post(&api, &owner, &ws, json!({"title": "Draft", "body": "version 1"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = w(&ws, &format!("/posts/{id}"));
    for n in 2..=6 {
        let r = api.patch(&path).bearer(&owner.access).json(json!({"body": format!("version {n}")})).send().await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let seen = walk_pages(&api, &owner, &format!("{path}/versions"), 2).await;
    let numbers: Vec<i64> = seen.iter().map(|v| v["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [6, 5, 4, 3, 2, 1]);
    assert!(seen.iter().all(|v| v.get("body").is_none() && v.get("targets").is_none()), "summaries: {seen:?}");
    refuses_bad_paging(&api, &owner, &format!("{path}/versions")).await;
    // The body is read one version at a time.
    assert_eq!(api.get(&format!("{path}/versions/3")).bearer(&owner.access).send().await.data()["body"], "version 3");
}
