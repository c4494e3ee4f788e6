//! LinkedIn's Posts API (`/rest/posts`, versioned by the `LinkedIn-Version` header, Rest.li
//! protocol 2.0.0) as the member who connected: images through `POST /rest/images
//! ?action=initializeUpload` and a `PUT` of the bytes to the upload URL it answers; then the
//! post, `201 Created` with its URN in `x-restli-id`.
//!
//! No idempotency key: an unknown outcome is settled by reading the member's recent posts
//! (`GET /rest/posts?q=author`) for the same commentary, as for X.

use serde_json::{json, Value};

use super::read_back;
use super::{body_json, describe, header, json_request, transport, Attempt, Draft, Outcome};
use crate::api::Context;
use crate::ports::{HttpRequest, HttpResponse};

/// The Posts API version this adapter speaks (YYYYMM).
pub const VERSION: &str = "202511";

fn versioned(mut r: HttpRequest) -> HttpRequest {
    r.headers.push(("linkedin-version".into(), VERSION.into()));
    r.headers.push(("x-restli-protocol-version".into(), "2.0.0".into()));
    r
}

fn rate_limited(r: &HttpResponse, now_ms: i64) -> Outcome {
    let after = header(r, "retry-after").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(60);
    Outcome::RateLimited { reason: describe(r), until_ms: now_ms.saturating_add(after.clamp(0, 86_400) * 1000) }
}

fn author(member_id: &str) -> String {
    format!("urn:li:person:{member_id}")
}

fn post_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}/")
}

pub async fn publish(ctx: &Context<'_>, api: &str, token: &str, member_id: &str, draft: &Draft<'_>) -> Attempt {
    let outcome = match try_publish(ctx, api, token, member_id, draft).await {
        Ok(o) | Err(o) => o,
    };
    Attempt { outcome, credentials: None }
}

fn before(r: &HttpResponse, now: i64) -> Option<Outcome> {
    match r.status {
        200..=299 => None,
        401 => Some(Outcome::Reconnect { reason: describe(r), status: Some(401) }),
        429 => Some(rate_limited(r, now)),
        s if s >= 500 => Some(Outcome::Retry { reason: describe(r), status: Some(s), after_ms: None }),
        s => Some(Outcome::Failed { reason: describe(r), status: Some(s) }),
    }
}

async fn try_publish(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
    member_id: &str,
    draft: &Draft<'_>,
) -> Result<Outcome, Outcome> {
    let now = ctx.clock.now_ms();
    let mut images = Vec::new();
    for file in &draft.media {
        let init = json!({ "initializeUploadRequest": { "owner": author(member_id) } });
        let r = ctx
            .http
            .send(versioned(json_request(
                "POST",
                format!("{api}/rest/images?action=initializeUpload"),
                Some(token),
                Some(&init),
            )))
            .await
            .map_err(|e| transport(&e, false))?;
        if let Some(o) = before(&r, now) {
            return Err(o);
        }
        let v = body_json(&r);
        let (Some(upload), Some(image)) = (v["value"]["uploadUrl"].as_str(), v["value"]["image"].as_str()) else {
            return Err(Outcome::Retry {
                reason: "initializeUpload answered without uploadUrl and image".into(),
                status: Some(r.status),
                after_ms: None,
            });
        };
        let put = HttpRequest {
            method: "PUT".into(),
            url: upload.to_string(),
            headers: vec![
                ("authorization".into(), format!("Bearer {token}")),
                ("content-type".into(), file.content_type.clone()),
            ],
            body: file.bytes.clone(),
        };
        let r = ctx.http.send(put).await.map_err(|e| transport(&e, false))?;
        if let Some(o) = before(&r, now) {
            return Err(o);
        }
        images.push((image.to_string(), file.alt.clone()));
    }
    let mut body = json!({
        "author": author(member_id),
        "commentary": draft.text,
        "visibility": "PUBLIC",
        "distribution": { "feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": [] },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false,
    });
    match images.as_slice() {
        [] => {}
        [(id, alt)] => body["content"] = json!({ "media": { "id": id, "altText": alt } }),
        many => {
            let list: Vec<Value> = many.iter().map(|(id, alt)| json!({ "id": id, "altText": alt })).collect();
            body["content"] = json!({ "multiImage": { "images": list } });
        }
    }
    let r = ctx
        .http
        .send(versioned(json_request("POST", format!("{api}/rest/posts"), Some(token), Some(&body))))
        .await
        .map_err(|e| transport(&e, true))?;
    Ok(match r.status {
        201 | 200 => match header(&r, "x-restli-id") {
            Some(urn) => Outcome::Published { remote_id: urn.to_string(), url: Some(post_url(urn)) },
            None => {
                Outcome::Unconfirmed { reason: "LinkedIn answered without x-restli-id".into(), status: Some(r.status) }
            }
        },
        401 => Outcome::Reconnect { reason: describe(&r), status: Some(401) },
        429 => rate_limited(&r, now),
        s if s >= 500 => Outcome::Unconfirmed { reason: describe(&r), status: Some(s) },
        s => Outcome::Failed { reason: describe(&r), status: Some(s) },
    })
}

/// Reads the member's recent posts for `draft`'s commentary; absent `grace_ms` after the last
/// try means never written.
pub async fn reconcile(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
    member_id: &str,
    draft: &Draft<'_>,
    last_try_ms: i64,
    grace_ms: i64,
) -> Option<Outcome> {
    let encoded: String = author(member_id).replace(':', "%3A");
    let url = format!("{api}/rest/posts?author={encoded}&q=author&count=50&sortBy=LAST_MODIFIED");
    let r = ctx.http.send(versioned(json_request("GET", url, Some(token), None))).await.ok()?;
    if r.status != 200 {
        return None;
    }
    let v = body_json(&r);
    let found = v["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["commentary"].as_str() == Some(draft.text))
        .and_then(|p| p["id"].as_str().map(str::to_string));
    read_back(ctx, found.map(|urn| (urn.clone(), Some(post_url(&urn)))), last_try_ms, grace_ms)
}
