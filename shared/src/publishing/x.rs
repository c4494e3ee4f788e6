//! X (Twitter) API v2 with an OAuth 2 user token: images through `POST /2/media/upload`
//! (multipart), then `POST /2/tweets` `{text, media: {media_ids}}` → 201 `{data: {id, text}}`.
//! Rate limits answer 429 with `x-rate-limit-reset` (seconds since the epoch).
//!
//! X has no idempotency key, so an unknown outcome is settled by reading the account's own
//! recent posts (`GET /2/users/{id}/tweets` since the first attempt) for the same text: found
//! means published; still absent after a grace period means it was never written and is sent
//! again; before that, wait.

use serde_json::{json, Value};

use super::read_back;
use super::{body_json, describe, header, json_request, transport, Attempt, Draft, Outcome};
use crate::api::Context;
use crate::ports::HttpResponse;
use crate::validate::rfc3339;

fn rate_limited(r: &HttpResponse, now_ms: i64) -> Outcome {
    let until_ms = header(r, "x-rate-limit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|s| s.saturating_mul(1000))
        .filter(|t| *t > now_ms)
        .unwrap_or(now_ms + 60_000);
    Outcome::RateLimited { reason: describe(r), until_ms }
}

fn status_url(id: &str) -> String {
    format!("https://x.com/i/web/status/{id}")
}

pub async fn publish(ctx: &Context<'_>, api: &str, token: &str, draft: &Draft<'_>) -> Attempt {
    let outcome = match try_publish(ctx, api, token, draft).await {
        Ok(o) | Err(o) => o,
    };
    Attempt { outcome, credentials: None }
}

async fn try_publish(ctx: &Context<'_>, api: &str, token: &str, draft: &Draft<'_>) -> Result<Outcome, Outcome> {
    let now = ctx.clock.now_ms();
    let mut media_ids = Vec::new();
    for file in &draft.media {
        let url = format!("{api}/2/media/upload");
        let request = super::multipart_post(ctx, url, token, &[("media_category", "tweet_image")], "media", file);
        let r = ctx.http.send(request).await.map_err(|e| transport(&e, false))?;
        match r.status {
            200 | 201 => {}
            401 => return Err(Outcome::Reconnect { reason: describe(&r), status: Some(401) }),
            429 => return Err(rate_limited(&r, now)),
            s if s >= 500 => return Err(Outcome::Retry { reason: describe(&r), status: Some(s), after_ms: None }),
            s => {
                return Err(Outcome::Failed {
                    reason: format!("the image was refused: {}", describe(&r)),
                    status: Some(s),
                })
            }
        }
        let v = body_json(&r);
        let id = v["data"]["id"].as_str().or_else(|| v["media_id_string"].as_str()).map(str::to_string);
        media_ids.push(id.ok_or_else(|| Outcome::Retry {
            reason: "the media upload answered without an id".into(),
            status: Some(r.status),
            after_ms: None,
        })?);
    }
    let mut body = json!({ "text": draft.text });
    if !media_ids.is_empty() {
        body["media"] = json!({ "media_ids": media_ids });
    }
    let r = ctx
        .http
        .send(json_request("POST", format!("{api}/2/tweets"), Some(token), Some(&body)))
        .await
        .map_err(|e| transport(&e, true))?;
    Ok(match r.status {
        200 | 201 => match body_json(&r)["data"]["id"].as_str() {
            Some(id) => Outcome::Published { remote_id: id.to_string(), url: Some(status_url(id)) },
            None => Outcome::Unconfirmed { reason: "X answered without a post id".into(), status: Some(r.status) },
        },
        401 => Outcome::Reconnect { reason: describe(&r), status: Some(401) },
        429 => rate_limited(&r, now),
        s if s >= 500 => Outcome::Unconfirmed { reason: describe(&r), status: Some(s) },
        s => Outcome::Failed { reason: describe(&r), status: Some(s) },
    })
}

/// Reads the account's posts since `first_try_ms` for `draft`'s text. `grace_ms` after the
/// last try, absence means it was never written.
pub async fn reconcile(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
    user_id: &str,
    draft: &Draft<'_>,
    first_try_ms: i64,
    last_try_ms: i64,
    grace_ms: i64,
) -> Option<Outcome> {
    let since = rfc3339(first_try_ms - 60_000);
    let url = format!("{api}/2/users/{user_id}/tweets?max_results=100&start_time={since}");
    let r = ctx.http.send(json_request("GET", url, Some(token), None)).await.ok()?;
    if r.status != 200 {
        return None;
    }
    let v: Value = body_json(&r);
    let found = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["text"].as_str() == Some(draft.text))
        .and_then(|t| t["id"].as_str().map(str::to_string));
    read_back(ctx, found.map(|id| (id.clone(), Some(status_url(&id)))), last_try_ms, grace_ms)
}
