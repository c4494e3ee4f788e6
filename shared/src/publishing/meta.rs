//! Meta's platforms through their Graph APIs, with a token the account owner gave (a Page
//! access token; an Instagram professional account's token; a Threads user token):
//!
//! - **Facebook Pages**: `POST /{page-id}/feed` `{message}`, or `POST /{page-id}/photos`
//!   (multipart `source` + `caption`) for a photo → `{id}` / `{post_id}`.
//! - **Instagram**: create a container `POST /{ig-user-id}/media` `{image_url, caption}` (a
//!   carousel: child containers, then `media_type=CAROUSEL`), poll `GET /{container}
//!   ?fields=status_code` until `FINISHED`, then `POST /{ig-user-id}/media_publish`
//!   `{creation_id}` → `{id}`. Media must be reachable by URL (presigned GET).
//! - **Threads**: `POST /{user-id}/threads` `{media_type: TEXT|IMAGE, text, image_url?}` →
//!   container, then `POST /{user-id}/threads_publish` `{creation_id}` → `{id}`.
//!
//! Rate limits: 429, Graph error codes 4/17/32/613, and the usage headers
//! (`x-app-usage`, `x-business-use-case-usage`: any percentage at 100 pauses the account for
//! `estimated_time_to_regain_access` minutes). Error code 190 is an expired or revoked token.
//! Unknown outcomes are settled by reading the account's recent posts for the same text.

use serde_json::{json, Value};

use super::read_back;
use super::{body_json, describe, header, json_request, transport, Attempt, Draft, Outcome};
use crate::api::Context;
use crate::platforms::Platform;
use crate::ports::{HttpRequest, HttpResponse};

pub const GRAPH_VERSION: &str = "v23.0";
pub const THREADS_VERSION: &str = "v1.0";

pub fn default_api(platform: Platform) -> &'static str {
    match platform {
        Platform::Threads => "https://graph.threads.net",
        _ => "https://graph.facebook.com",
    }
}

fn version(platform: Platform) -> &'static str {
    if platform == Platform::Threads {
        THREADS_VERSION
    } else {
        GRAPH_VERSION
    }
}

/// Minutes until a usage header says the account may call again, when it is exhausted.
fn usage_pause(r: &HttpResponse) -> Option<i64> {
    let mut worst: Option<i64> = None;
    for name in ["x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"] {
        let Some(raw) = header(r, name) else { continue };
        let v: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
        // x-app-usage is one object; x-business-use-case-usage maps ids to lists of objects.
        let mut objects = Vec::new();
        match &v {
            Value::Object(map) if map.contains_key("call_count") => objects.push(v.clone()),
            Value::Object(map) => {
                map.values().for_each(|l| l.as_array().into_iter().flatten().for_each(|o| objects.push(o.clone())))
            }
            _ => {}
        }
        for o in objects {
            let full =
                ["call_count", "total_cputime", "total_time"].iter().any(|k| o[k].as_i64().is_some_and(|p| p >= 100));
            if full {
                let minutes = o["estimated_time_to_regain_access"].as_i64().unwrap_or(60).max(1);
                worst = Some(worst.map_or(minutes, |w| w.max(minutes)));
            }
        }
    }
    worst
}

fn classify(r: &HttpResponse, now: i64, irreversible: bool) -> Option<Outcome> {
    let code = body_json(r)["error"]["code"].as_i64();
    let reason = {
        let e = &body_json(r)["error"];
        match e["message"].as_str() {
            Some(m) => format!("HTTP {}: {m} (code {})", r.status, e["code"]),
            None => describe(r),
        }
    };
    if let Some(minutes) = usage_pause(r).filter(|_| r.status >= 400) {
        return Some(Outcome::RateLimited { reason, until_ms: now.saturating_add(minutes.clamp(0, 24 * 60) * 60_000) });
    }
    match (r.status, code) {
        (200..=299, _) => None,
        (429, _) | (_, Some(4 | 17 | 32 | 613)) => {
            let minutes = usage_pause(r).unwrap_or(60);
            Some(Outcome::RateLimited { reason, until_ms: now.saturating_add(minutes.clamp(0, 24 * 60) * 60_000) })
        }
        (401, _) | (_, Some(190)) => Some(Outcome::Reconnect { reason, status: Some(r.status) }),
        (s, _) if s >= 500 && irreversible => Some(Outcome::Unconfirmed { reason, status: Some(s) }),
        (s, _) if s >= 500 => Some(Outcome::Retry { reason, status: Some(s), after_ms: None }),
        (s, _) => Some(Outcome::Failed { reason, status: Some(s) }),
    }
}

fn form_post(url: String, token: &str, fields: &[(&str, &str)]) -> HttpRequest {
    let mut body = json!({});
    for (k, v) in fields {
        body[*k] = json!(v);
    }
    json_request("POST", url, Some(token), Some(&body))
}

pub async fn publish(
    ctx: &Context<'_>,
    platform: Platform,
    api: &str,
    token: &str,
    id: &str,
    draft: &Draft<'_>,
) -> Attempt {
    let result = match platform {
        Platform::Facebook => facebook(ctx, api, token, id, draft).await,
        Platform::Instagram => instagram(ctx, api, token, id, draft).await,
        _ => threads(ctx, api, token, id, draft).await,
    };
    Attempt { outcome: result.unwrap_or_else(|o| o), credentials: None }
}

async fn send(ctx: &Context<'_>, request: HttpRequest, irreversible: bool) -> Result<HttpResponse, Outcome> {
    let now = ctx.clock.now_ms();
    let r = ctx.http.send(request).await.map_err(|e| transport(&e, irreversible))?;
    match classify(&r, now, irreversible) {
        Some(o) => Err(o),
        None => Ok(r),
    }
}

async fn facebook(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
    page: &str,
    draft: &Draft<'_>,
) -> Result<Outcome, Outcome> {
    let v = GRAPH_VERSION;
    let r = match draft.media.first() {
        None => send(ctx, form_post(format!("{api}/{v}/{page}/feed"), token, &[("message", draft.text)]), true).await?,
        Some(file) => {
            let url = format!("{api}/{v}/{page}/photos");
            let fields = [("caption", draft.text), ("published", "true")];
            let request = super::multipart_post(ctx, url, token, &fields, "source", file);
            send(ctx, request, true).await?
        }
    };
    let b = body_json(&r);
    let id = b["post_id"].as_str().or_else(|| b["id"].as_str()).map(str::to_string);
    Ok(match id {
        Some(id) => Outcome::Published { url: Some(format!("https://www.facebook.com/{id}")), remote_id: id },
        None => Outcome::Unconfirmed { reason: "Facebook answered without an id".into(), status: Some(r.status) },
    })
}

fn need_urls<'a>(draft: &'a Draft<'_>, platform: &str) -> Result<Vec<&'a str>, Outcome> {
    draft
        .media
        .iter()
        .map(|m| {
            m.url.as_deref().ok_or_else(|| Outcome::Failed {
                reason: format!("{platform} fetches media by URL: configure PUBLIC_URL (signed media links) or presigned media URLs (S3_* settings)"),
                status: None,
            })
        })
        .collect()
}

/// Waits for a container to be ready (a few polls), or says to come back later.
async fn wait_ready(ctx: &Context<'_>, api: &str, version: &str, token: &str, container: &str) -> Result<(), Outcome> {
    for _ in 0..10 {
        let r = send(
            ctx,
            json_request("GET", format!("{api}/{version}/{container}?fields=status_code"), Some(token), None),
            false,
        )
        .await?;
        match body_json(&r)["status_code"].as_str() {
            Some("FINISHED") | Some("PUBLISHED") => return Ok(()),
            Some("ERROR") | Some("EXPIRED") => {
                return Err(Outcome::Failed {
                    reason: format!("the media container ended {}", body_json(&r)["status_code"]),
                    status: None,
                });
            }
            _ => {}
        }
    }
    Err(Outcome::Retry {
        reason: format!("media container {container} is still processing"),
        status: None,
        after_ms: Some(30_000),
    })
}

async fn instagram(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
    user: &str,
    draft: &Draft<'_>,
) -> Result<Outcome, Outcome> {
    let v = GRAPH_VERSION;
    let urls = need_urls(draft, "Instagram")?;
    if urls.is_empty() {
        return Err(Outcome::Failed { reason: "Instagram needs an image or a video".into(), status: None });
    }
    let container = if urls.len() == 1 {
        let kind = if draft.media[0].content_type.starts_with("video/") {
            ("media_type", "REELS", "video_url")
        } else {
            ("", "", "image_url")
        };
        let mut fields = vec![(kind.2, urls[0]), ("caption", draft.text)];
        if !kind.0.is_empty() {
            fields.push((kind.0, kind.1));
        }
        let r = send(ctx, form_post(format!("{api}/{v}/{user}/media"), token, &fields), false).await?;
        body_json(&r)["id"].as_str().map(str::to_string)
    } else {
        let mut children = Vec::new();
        for (url, file) in urls.iter().zip(&draft.media) {
            let field = if file.content_type.starts_with("video/") { "video_url" } else { "image_url" };
            let r = send(
                ctx,
                form_post(format!("{api}/{v}/{user}/media"), token, &[(field, url), ("is_carousel_item", "true")]),
                false,
            )
            .await?;
            children.push(body_json(&r)["id"].as_str().unwrap_or_default().to_string());
        }
        let joined = children.join(",");
        let r = send(
            ctx,
            form_post(
                format!("{api}/{v}/{user}/media"),
                token,
                &[("media_type", "CAROUSEL"), ("children", &joined), ("caption", draft.text)],
            ),
            false,
        )
        .await?;
        body_json(&r)["id"].as_str().map(str::to_string)
    };
    let container =
        container.ok_or_else(|| Outcome::Retry { reason: "no container id".into(), status: None, after_ms: None })?;
    wait_ready(ctx, api, v, token, &container).await?;
    let r =
        send(ctx, form_post(format!("{api}/{v}/{user}/media_publish"), token, &[("creation_id", &container)]), true)
            .await?;
    Ok(match body_json(&r)["id"].as_str() {
        Some(id) => Outcome::Published { remote_id: id.to_string(), url: None },
        None => Outcome::Unconfirmed { reason: "media_publish answered without an id".into(), status: Some(r.status) },
    })
}

async fn threads(ctx: &Context<'_>, api: &str, token: &str, user: &str, draft: &Draft<'_>) -> Result<Outcome, Outcome> {
    let v = THREADS_VERSION;
    let urls = need_urls(draft, "Threads")?;
    let fields: Vec<(&str, &str)> = match urls.first() {
        None => vec![("media_type", "TEXT"), ("text", draft.text)],
        Some(url) => vec![("media_type", "IMAGE"), ("image_url", url), ("text", draft.text)],
    };
    let r = send(ctx, form_post(format!("{api}/{v}/{user}/threads"), token, &fields), false).await?;
    let container = body_json(&r)["id"].as_str().map(str::to_string);
    let container =
        container.ok_or_else(|| Outcome::Retry { reason: "no container id".into(), status: None, after_ms: None })?;
    if !urls.is_empty() {
        wait_ready(ctx, api, v, token, &container).await?;
    }
    let r =
        send(ctx, form_post(format!("{api}/{v}/{user}/threads_publish"), token, &[("creation_id", &container)]), true)
            .await?;
    Ok(match body_json(&r)["id"].as_str() {
        Some(id) => Outcome::Published { remote_id: id.to_string(), url: None },
        None => {
            Outcome::Unconfirmed { reason: "threads_publish answered without an id".into(), status: Some(r.status) }
        }
    })
}

/// Reads the account's recent posts for `draft`'s text.
pub async fn reconcile(
    ctx: &Context<'_>,
    platform: Platform,
    api: &str,
    token: &str,
    id: &str,
    draft: &Draft<'_>,
    last_try_ms: i64,
    grace_ms: i64,
) -> Option<Outcome> {
    let v = version(platform);
    let (path, field) = match platform {
        Platform::Facebook => ("feed", "message"),
        Platform::Instagram => ("media", "caption"),
        _ => ("threads", "text"),
    };
    let url = format!("{api}/{v}/{id}/{path}?fields=id,{field}&limit=50");
    let r = ctx.http.send(json_request("GET", url, Some(token), None)).await.ok()?;
    if r.status != 200 {
        return None;
    }
    let found = body_json(&r)["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p[field].as_str() == Some(draft.text))
        .and_then(|p| p["id"].as_str().map(str::to_string));
    read_back(ctx, found.map(|id| (id, None)), last_try_ms, grace_ms)
}

/// Checks a token and answers who it is for: (id, handle, name).
pub async fn verify(
    ctx: &Context<'_>,
    platform: Platform,
    api: &str,
    token: &str,
    id: Option<&str>,
) -> Result<(String, String, Option<String>), Option<String>> {
    let v = version(platform);
    let url = match (platform, id) {
        (Platform::Facebook, Some(page)) => format!("{api}/{v}/{page}?fields=id,name"),
        (Platform::Instagram, Some(user)) => format!("{api}/{v}/{user}?fields=id,username,name"),
        _ => format!("{api}/{v}/me?fields=id,username,name"),
    };
    let r = ctx.http.send(json_request("GET", url, Some(token), None)).await.map_err(|e| Some(e.to_string()))?;
    if r.status == 400 || r.status == 401 || r.status == 403 || r.status == 404 {
        return Err(None);
    }
    if r.status != 200 {
        return Err(Some(describe(&r)));
    }
    let b = body_json(&r);
    let text = |k: &str| b[k].as_str().map(str::to_string);
    let found = text("id").map(|i| (i.clone(), text("username").or_else(|| text("name")).unwrap_or(i), text("name")));
    found.ok_or_else(|| Some("the platform answered without an id".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: serde_json::to_vec(&body).unwrap(),
        }
    }

    #[test]
    fn meta_usage_headers_and_error_codes_pause_or_ask_for_a_reconnect() {
        let usage = r#"{"112233":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#;
        let r = response(
            400,
            &[("x-business-use-case-usage", usage)],
            json!({"error": {"message": "limit", "code": 80001}}),
        );
        assert_eq!(
            classify(&r, 0, true),
            Some(Outcome::RateLimited { reason: "HTTP 400: limit (code 80001)".into(), until_ms: 7 * 60_000 })
        );
        let r = response(400, &[], json!({"error": {"message": "Application request limit reached", "code": 4}}));
        assert!(matches!(classify(&r, 0, false), Some(Outcome::RateLimited { until_ms: 3_600_000, .. })));
        let r = response(400, &[], json!({"error": {"message": "Error validating access token", "code": 190}}));
        assert!(matches!(classify(&r, 0, true), Some(Outcome::Reconnect { .. })));
        let r = response(500, &[], json!({"error": {"message": "oops", "code": 1}}));
        assert!(matches!(classify(&r, 0, true), Some(Outcome::Unconfirmed { .. })));
        assert!(matches!(classify(&r, 0, false), Some(Outcome::Retry { .. })));
        let r = response(
            200,
            &[("x-app-usage", r#"{"call_count":100,"total_time":1,"total_cputime":1}"#)],
            json!({"id": "1"}),
        );
        assert_eq!(classify(&r, 0, true), None, "a success is a success even at the limit");
    }
}
