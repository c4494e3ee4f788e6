//! TikTok's Content Posting API (Direct Post), with a user token holding `video.publish`:
//! `POST /v2/post/publish/video/init/` (a video pulled from a URL) or
//! `POST /v2/post/publish/content/init/` (`media_type: PHOTO`, images pulled from URLs) answers a
//! `publish_id`; TikTok then downloads and posts, and `POST /v2/post/publish/status/fetch/`
//! tells how far it got (`PROCESSING_DOWNLOAD`, `PUBLISH_COMPLETE`, `FAILED` with a reason).
//!
//! The init call is the irreversible one. Its `publish_id` is kept on the publication
//! (`unconfirmed` while TikTok processes), and later ticks read the status — the post is never
//! initialised twice.

use serde_json::{json, Value};

use super::{body_json, describe, json_request, transport, Attempt, Draft, Outcome};
use crate::api::Context;
use crate::ports::HttpResponse;

pub const DEFAULT_API: &str = "https://open.tiktokapis.com";

fn error_code(r: &HttpResponse) -> String {
    body_json(r)["error"]["code"].as_str().unwrap_or_default().to_string()
}

fn classify(r: &HttpResponse, now: i64, irreversible: bool) -> Option<Outcome> {
    let code = error_code(r);
    if r.status == 200 && (code.is_empty() || code == "ok") {
        return None;
    }
    let reason = match body_json(r)["error"]["message"].as_str() {
        Some(m) if !m.is_empty() => format!("HTTP {}: {code}: {m}", r.status),
        _ => describe(r),
    };
    Some(match (r.status, code.as_str()) {
        (429, _) | (_, "rate_limit_exceeded") => Outcome::RateLimited { reason, until_ms: now + 60_000 },
        (401, _)
        | (_, "access_token_invalid" | "scope_not_authorized" | "token_not_authorized_for_specified_deployment") => {
            Outcome::Reconnect { reason, status: Some(r.status) }
        }
        (s, _) if s >= 500 && irreversible => Outcome::Unconfirmed { reason, status: Some(s) },
        (s, _) if s >= 500 => Outcome::Retry { reason, status: Some(s), after_ms: None },
        (s, _) => Outcome::Failed { reason, status: Some(s) },
    })
}

pub async fn publish(ctx: &Context<'_>, api: &str, token: &str, draft: &Draft<'_>) -> Attempt {
    let outcome = match try_publish(ctx, api, token, draft).await {
        Ok(o) | Err(o) => o,
    };
    Attempt { outcome, credentials: None }
}

async fn try_publish(ctx: &Context<'_>, api: &str, token: &str, draft: &Draft<'_>) -> Result<Outcome, Outcome> {
    let now = ctx.clock.now_ms();
    let urls: Vec<&str> = draft
        .media
        .iter()
        .map(|m| {
            m.url.as_deref().ok_or_else(|| Outcome::Failed {
                reason: "TikTok pulls media by URL: configure PUBLIC_URL (signed media links) or presigned media URLs (S3_* settings)".into(),
                status: None,
            })
        })
        .collect::<Result<_, _>>()?;
    let Some(first) = draft.media.first() else {
        return Err(Outcome::Failed { reason: "TikTok needs a video or photos".into(), status: None });
    };
    let (path, body) = if first.content_type.starts_with("video/") {
        (
            "/v2/post/publish/video/init/",
            json!({
                "post_info": { "title": draft.text, "privacy_level": "PUBLIC_TO_EVERYONE" },
                "source_info": { "source": "PULL_FROM_URL", "video_url": urls[0] },
            }),
        )
    } else {
        (
            "/v2/post/publish/content/init/",
            json!({
                "post_info": { "title": draft.text.chars().take(90).collect::<String>(), "description": draft.text, "privacy_level": "PUBLIC_TO_EVERYONE" },
                "source_info": { "source": "PULL_FROM_URL", "photo_images": urls, "photo_cover_index": 0 },
                "post_mode": "DIRECT_POST",
                "media_type": "PHOTO",
            }),
        )
    };
    let r = ctx
        .http
        .send(json_request("POST", format!("{api}{path}"), Some(token), Some(&body)))
        .await
        .map_err(|e| transport(&e, true))?;
    if let Some(o) = classify(&r, now, true) {
        return Err(o);
    }
    let Some(publish_id) = body_json(&r)["data"]["publish_id"].as_str().map(str::to_string) else {
        return Err(Outcome::Unconfirmed { reason: "TikTok answered without a publish_id".into(), status: Some(200) });
    };
    Ok(status(ctx, api, token, &publish_id)
        .await
        .unwrap_or(Outcome::Pending { remote_id: publish_id, reason: "TikTok is processing the post".into() }))
}

/// Where TikTok is with `publish_id`: published, failed, or still processing (`Pending`);
/// `None` when it could not say.
pub async fn status(ctx: &Context<'_>, api: &str, token: &str, publish_id: &str) -> Option<Outcome> {
    let body = json!({ "publish_id": publish_id });
    let r = ctx
        .http
        .send(json_request("POST", format!("{api}/v2/post/publish/status/fetch/"), Some(token), Some(&body)))
        .await
        .ok()?;
    if classify(&r, 0, false).is_some() {
        return None;
    }
    let data: Value = body_json(&r)["data"].clone();
    Some(match data["status"].as_str() {
        Some("PUBLISH_COMPLETE") => {
            let post = data["publicaly_available_post_id"].as_array().and_then(|a| a.first()).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            Outcome::Published { remote_id: post.unwrap_or_else(|| publish_id.to_string()), url: None }
        }
        Some("FAILED") => Outcome::Failed {
            reason: format!("TikTok: {}", data["fail_reason"].as_str().unwrap_or("failed")),
            status: None,
        },
        _ => Outcome::Pending {
            remote_id: publish_id.to_string(),
            reason: format!("TikTok: {}", data["status"].as_str().unwrap_or("processing")),
        },
    })
}

/// TikTok's `GET /v2/user/info/`: (open_id, display name, display name).
pub(super) async fn user(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
) -> Result<(String, String, Option<String>), Option<String>> {
    let url = format!("{api}/v2/user/info/?fields=open_id,display_name");
    let r = ctx.http.send(json_request("GET", url, Some(token), None)).await.map_err(|e| Some(e.to_string()))?;
    if r.status == 401 {
        return Err(None);
    }
    let v = body_json(&r);
    let user = &v["data"]["user"];
    match (r.status, user["open_id"].as_str()) {
        (200, Some(id)) => {
            let name = user["display_name"].as_str().map(str::to_string);
            Ok((id.to_string(), name.clone().unwrap_or_else(|| id.to_string()), name))
        }
        _ => Err(Some(describe(&r))),
    }
}
