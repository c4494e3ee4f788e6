//! Bluesky against a real AT Protocol PDS on localhost (`scripts/pds.sh`, at
//! `HERALD_TEST_PDS_URL`): connect with a handle and an app password, publish a post with an
//! image, a link, a tag and a mention through the cron, and read the record back from the PDS.
//! Skipped without a PDS unless `HERALD_REQUIRE_PDS` is set (CI sets it).

use std::time::{Duration, Instant};

use base64::Engine;
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

/// A valid 1×1 PNG.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn pds() -> Option<String> {
    match std::env::var("HERALD_TEST_PDS_URL") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            assert!(
                std::env::var("HERALD_REQUIRE_PDS").is_err(),
                "HERALD_REQUIRE_PDS is set but HERALD_TEST_PDS_URL is not"
            );
            eprintln!("no PDS (HERALD_TEST_PDS_URL): skipped");
            None
        }
    }
}

async fn xrpc(http: &reqwest::Client, pds: &str, method: &str, token: Option<&str>, body: Option<Value>) -> Value {
    let url = format!("{pds}/xrpc/{method}");
    let mut rb = match &body {
        Some(b) => http.post(url).header("content-type", "application/json").body(b.to_string()),
        None => http.get(url),
    };
    if let Some(t) = token {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    let r = rb.send().await.expect("the PDS answers");
    let status = r.status();
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).unwrap_or(Value::Null);
    assert!(status.is_success(), "{method}: {status} {v}");
    v
}

#[tokio::test]
async fn a_post_with_an_image_and_facets_reaches_a_real_pds_once() {
    let Some(pds) = pds() else { return };
    let http = reqwest::Client::new();
    // An account on the PDS, and an app password for Herald.
    // unique_email is label-<12 random hex>@…: the hex makes the handle unique.
    let email = unique_email("h");
    let name = format!("h{}", &email[2..14]);
    let handle = format!("{name}.test");
    let created = xrpc(
        &http,
        &pds,
        "com.atproto.server.createAccount",
        None,
        Some(json!({"handle": handle, "email": format!("{name}@example.com"), "password": "main-password-not-for-herald"})),
    )
    .await;
    let did = created["did"].as_str().unwrap().to_string();
    let access = created["accessJwt"].as_str().unwrap();
    let app =
        xrpc(&http, &pds, "com.atproto.server.createAppPassword", Some(access), Some(json!({"name": "herald"}))).await;
    let app_password = app["password"].as_str().unwrap();

    let api = Api::new();
    let owner = signup(&api, "bluesky").await;
    let ws = create_workspace(&api, &owner, "Bluesky").await;
    let r = api
        .post(&w(&ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "bluesky", "handle": handle, "appPassword": "wrong-wrong-wrong-wrong", "serviceUrl": pds}))
        .send()
        .await;
    assert_eq!(r.fields(), ["appPassword"]);
    let r = api
        .post(&w(&ws, "/social-accounts"))
        .bearer(&owner.access)
        .json(json!({"platform": "bluesky", "handle": handle, "appPassword": app_password, "serviceUrl": pds}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(!String::from_utf8_lossy(&r.body).contains(app_password));
    let account = r.data();
    assert_eq!(
        (account["externalId"].as_str(), account["handle"].as_str()),
        (Some(did.as_str()), Some(handle.as_str()))
    );
    assert_ne!(api.stored_anywhere(app_password).await, Some(true), "the app password is sealed");

    // An image in the media library.
    let png = base64::engine::general_purpose::STANDARD.decode(PNG_1X1).unwrap();
    let r = api
        .post(&w(&ws, "/media/uploads"))
        .bearer(&owner.access)
        .json(json!({"method": "stream", "filename": "dot.png", "contentType": "image/png", "sizeBytes": png.len(), "altText": "A single dot"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let asset = r.data()["asset"]["id"].as_str().unwrap().to_string();
    let r = api
        .request("PUT", &w(&ws, &format!("/media/{asset}/content")))
        .bearer(&owner.access)
        .typed("image/png", png.clone())
        .send()
        .await;
    assert_eq!(r.data()["status"], "ready", "{}", String::from_utf8_lossy(&r.body));

    let text = format!("Café ☕ launch: https://example.com/herald #herald with @{handle}");
    let r = api
        .post(&w(&ws, "/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Bluesky launch", "body": text, "targets": [{"platform": "bluesky", "media": [asset]}]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let post = r.data()["id"].as_str().unwrap().to_string();
    let r = api
        .post(&w(&ws, &format!("/posts/{post}/schedule")))
        .bearer(&owner.access)
        .json(json!({"accountIds": [account["id"]]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let started = Instant::now();
    let publication = loop {
        api.run_cron().await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let list = api.get(&w(&ws, &format!("/posts/{post}/publications"))).bearer(&owner.access).send().await.data();
        let p = list["items"][0].clone();
        if p["status"] == "published" || p["status"] == "failed" || p["status"] == "dead" {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{p}");
    };
    assert_eq!(publication["status"], "published", "{publication}");
    let uri = publication["remoteId"].as_str().unwrap();
    let rkey = uri.rsplit('/').next().unwrap();
    assert!(uri.starts_with(&format!("at://{did}/app.bsky.feed.post/")), "{uri}");

    // Read it back from the PDS.
    let url = format!("com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}");
    let record = xrpc(&http, &pds, &url, None, None).await;
    let value = &record["value"];
    assert_eq!(value["text"], text.as_str());
    let facets = value["facets"].as_array().expect("facets");
    let link =
        facets.iter().find(|f| f["features"][0]["$type"] == "app.bsky.richtext.facet#link").expect("a link facet");
    assert_eq!(link["features"][0]["uri"], "https://example.com/herald");
    let (start, end) =
        (link["index"]["byteStart"].as_u64().unwrap() as usize, link["index"]["byteEnd"].as_u64().unwrap() as usize);
    assert_eq!(&text.as_bytes()[start..end], b"https://example.com/herald", "UTF-8 byte offsets");
    assert!(facets.iter().any(|f| f["features"][0]["tag"] == "herald"), "{facets:?}");
    assert!(
        facets.iter().any(|f| f["features"][0]["did"] == did.as_str()),
        "the mention resolves to the DID: {facets:?}"
    );
    let image = &value["embed"]["images"][0];
    assert_eq!(value["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(image["alt"], "A single dot");
    assert_eq!(image["image"]["mimeType"], "image/png");
    let cid = image["image"]["ref"]["$link"].as_str().unwrap();
    let blob = http.get(format!("{pds}/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}")).send().await.unwrap();
    assert_eq!(blob.bytes().await.unwrap().to_vec(), png, "the image the PDS keeps is ours");

    // Once: more cron runs write nothing more.
    api.run_cron().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let listed = xrpc(
        &http,
        &pds,
        &format!("com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post"),
        None,
        None,
    )
    .await;
    assert_eq!(listed["records"].as_array().unwrap().len(), 1);
}
