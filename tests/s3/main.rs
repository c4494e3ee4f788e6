//! Presigned URLs against a real S3-compatible server: the one `scripts/moto.sh` starts (moto
//! behind a SigV4 check) at `HERALD_TEST_S3_ENDPOINT`. A URL uploads exactly the file it was
//! signed for; a tampered or expired one is refused; a presigned GET reads the bytes back; and
//! the API's own flow, from `POST media/uploads` to `ready`, works over it. Without the
//! variable each test prints "skipped" and passes, unless `HERALD_REQUIRE_S3=1`.

use std::time::Duration;

use herald::media::s3::S3Settings;
use herald::ports::{Blobs, Clock, Environment};
use herald_native::{s3_blobs, SystemClock};
use herald_tests::*;
use serde_json::json;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The server's settings; `None` (after saying so) when no server is configured.
fn settings() -> Option<S3Settings> {
    let Some(endpoint) = var("HERALD_TEST_S3_ENDPOINT") else {
        assert!(
            var("HERALD_REQUIRE_S3").as_deref() != Some("1"),
            "HERALD_REQUIRE_S3=1 but HERALD_TEST_S3_ENDPOINT is unset"
        );
        println!("skipped: HERALD_TEST_S3_ENDPOINT is not set (start a server with scripts/moto.sh)");
        return None;
    };
    Some(S3Settings {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        region: var("HERALD_TEST_S3_REGION").unwrap_or_else(|| "auto".into()),
        bucket: var("HERALD_TEST_S3_BUCKET").unwrap_or_else(|| "herald-test-media".into()),
        access_key_id: var("HERALD_TEST_S3_ACCESS_KEY_ID").unwrap_or_else(|| "HERALDTESTKEY".into()),
        secret_access_key: var("HERALD_TEST_S3_SECRET_ACCESS_KEY")
            .unwrap_or_else(|| "herald-test-s3-secret-not-for-production".into()),
    })
}

fn png(width: u32, height: u32, size: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0]);
    b.resize(size, 7);
    b
}

fn key(label: &str) -> String {
    format!("tests/{}/{label}.png", unique_email("k").replace(['@', '.'], "-"))
}

async fn put(url: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let r = reqwest::Client::new()
        .put(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the S3 server answers");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.expect("the S3 server answers");
    (r.status().as_u16(), r.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
}

/// The URL with the last hex digit of its signature changed.
fn tamper(url: &str) -> String {
    let last = url.chars().last().unwrap();
    format!("{}{}", &url[..url.len() - 1], if last == '0' { '1' } else { '0' })
}

#[tokio::test]
async fn a_presigned_put_uploads_exactly_the_file_it_was_signed_for() {
    let Some(s3) = settings() else { return };
    let now = SystemClock.now_ms();
    let key = key("put");
    let file = png(32, 16, 1000);
    let url = s3.presign_put(&key, "image/png", file.len() as u64, 300, now);

    // Tampered or bent out of what was signed: refused, and nothing is stored.
    let (status, body) = put(&tamper(&url), "image/png", file.clone()).await;
    assert_eq!(status, 403, "tampered signature: {body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    assert_eq!(put(&url, "text/html", file.clone()).await.0, 403, "another content type");
    assert_eq!(put(&url, "image/png", png(32, 16, 1001)).await.0, 403, "another size");
    assert_eq!(put(&url.replace("/put.png?", "/other.png?"), "image/png", file.clone()).await.0, 403, "another key");
    let expired = s3.presign_put(&key, "image/png", file.len() as u64, 60, now - 3_600_000);
    let (status, body) = put(&expired, "image/png", file.clone()).await;
    assert_eq!(status, 403, "expired: {body}");
    assert!(body.contains("expired"), "{body}");
    let blobs = s3_blobs(s3.clone(), Duration::from_secs(10));
    assert_eq!(blobs.head(&key).await.unwrap(), None, "no refused upload was stored");

    // As signed: stored.
    let (status, body) = put(&url, "image/png", file.clone()).await;
    assert_eq!(status, 200, "{body}");

    // A presigned GET reads it back; tampered or expired, it does not.
    let read = s3.presign_get(&key, 60, SystemClock.now_ms());
    assert_eq!(get(&read).await, (200, file.clone()));
    assert_eq!(get(&tamper(&read)).await.0, 403);
    assert_eq!(get(&s3.presign_get(&key, 60, now - 3_600_000)).await.0, 403);

    // The header-signed client: HEAD, a ranged GET, DELETE.
    let info = blobs.head(&key).await.unwrap().expect("stored");
    assert_eq!((info.size, info.content_type.as_deref()), (1000, Some("image/png")));
    assert_eq!(blobs.get_prefix(&key, 24).await.unwrap(), Some(file[..24].to_vec()));
    blobs.delete(&key).await.unwrap();
    assert_eq!(blobs.head(&key).await.unwrap(), None);
}

#[tokio::test]
async fn the_api_flow_goes_from_upload_url_to_ready() {
    let Some(s3) = settings() else { return };
    let api = Api::local_with_blobs(Environment::Development, Box::new(s3_blobs(s3, Duration::from_secs(10))));
    let owner = signup(&api, "s3-owner").await;
    let ws = create_workspace(&api, &owner, "S3").await;
    let w = |rest: &str| format!("/api/v1/workspaces/{ws}{rest}");
    let file = png(1200, 628, 5000);
    let upload = |name: &str| {
        api.post(&w("/media/uploads"))
            .bearer(&owner.access)
            .json(json!({"filename": name, "contentType": "image/png", "sizeBytes": 5000, "tags": ["launch"]}))
            .send()
    };

    let created = upload("card.png").await.data();
    let id = created["asset"]["id"].as_str().unwrap();
    let url = created["upload"]["url"].as_str().unwrap();
    assert!(url.starts_with(&var("HERALD_TEST_S3_ENDPOINT").unwrap()), "{url}");
    let complete = |id: &str| api.post(&w(&format!("/media/{id}/complete"))).bearer(&owner.access).send();
    complete(id).await.expect_error(409, "CONFLICT");

    // The client sends the file with exactly the headers the answer lists.
    let mut request = reqwest::Client::new().put(url).body(file.clone());
    for (name, value) in created["upload"]["headers"].as_object().unwrap() {
        if name != "content-length" {
            request = request.header(name.as_str(), value.as_str().unwrap());
        }
    }
    let sent = request.send().await.unwrap();
    assert_eq!(sent.status().as_u16(), 200, "{}", sent.text().await.unwrap_or_default());
    assert_eq!(put(url, "image/gif", file.clone()).await.0, 403, "the URL is for a PNG only");

    let ready = complete(id).await.data();
    assert_eq!(ready["status"], "ready");
    assert_eq!((ready["width"].as_i64(), ready["height"].as_i64()), (Some(1200), Some(628)), "read with a ranged GET");
    let got = api.get(&w(&format!("/media/{id}"))).bearer(&owner.access).send().await.data();
    let download = got["downloadUrl"].as_str().expect("a presigned download URL");
    assert_eq!(get(download).await, (200, file.clone()));
    let through_api = api.get(&w(&format!("/media/{id}/content"))).bearer(&owner.access).send().await;
    assert!(through_api.status == 200 && through_api.body == file);

    // Bytes that are not a PNG, sent as one with the right size: refused at completion and removed.
    let fake = upload("fake.png").await.data();
    let fake_id = fake["asset"]["id"].as_str().unwrap();
    let mut html = b"<html><script>alert(1)</script></html>".to_vec();
    html.resize(5000, b' ');
    assert_eq!(put(fake["upload"]["url"].as_str().unwrap(), "image/png", html).await.0, 200);
    assert_eq!(complete(fake_id).await.fields(), ["contentType"]);
    complete(fake_id).await.expect_error(409, "CONFLICT");
    let pending = api.get(&w(&format!("/media/{fake_id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(pending["status"], "pending");
}
