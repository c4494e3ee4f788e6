//! Mastodon (and compatible servers) on the account's instance, with an access token:
//! `GET /api/v1/accounts/verify_credentials` to connect, `POST /api/v2/media` (multipart;
//! 202 means still processing, polled at `GET /api/v1/media/{id}`), then
//! `POST /api/v1/statuses` with an `Idempotency-Key`: the instance answers a repeated key
//! with the status it already made (for an hour), so settling an unknown outcome repeats the
//! same call with the same key and reads back the one status — never a second post.

use serde_json::{json, Value};

use super::{body_json, describe, header, json_request, transport, Attempt, Credentials, Draft, Outcome};
use crate::accounts::store::Verified;
use crate::api::Context;
use crate::error::AppError;
use crate::ports::HttpResponse;

/// How long an instance remembers an `Idempotency-Key` (Mastodon keeps it an hour).
pub const IDEMPOTENCY_WINDOW_MS: i64 = 55 * 60 * 1000;

pub async fn verify(ctx: &Context<'_>, instance: &str, token: &str) -> Result<Verified, AppError> {
    let url = format!("{instance}/api/v1/accounts/verify_credentials");
    let r = ctx
        .http
        .send(json_request("GET", url, Some(token), None))
        .await
        .map_err(|e| AppError::ExternalApi(format!("Mastodon instance {instance}: {e}")))?;
    match r.status {
        200 => {}
        401 | 403 => return Err(AppError::field("accessToken", "the instance refused this access token")),
        _ => return Err(AppError::ExternalApi(format!("Mastodon verify_credentials: {}", describe(&r)))),
    }
    let v = body_json(&r);
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(id), Some(acct)) = (text("id"), text("acct").or_else(|| text("username"))) else {
        return Err(AppError::ExternalApi("Mastodon verify_credentials answered without id and acct".into()));
    };
    Ok(Verified {
        external_id: id,
        handle: acct,
        display_name: text("display_name"),
        service_url: instance.to_string(),
        auth_kind: "token",
        access_expires_at: None,
        credentials: Credentials { access_token: Some(token.to_string()), ..Credentials::default() },
    })
}

/// `X-RateLimit-Reset` is an ISO 8601 time.
fn rate_limited(r: &HttpResponse, now_ms: i64) -> Outcome {
    let until_ms = header(r, "x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
        .filter(|t| *t > now_ms)
        .unwrap_or(now_ms + 60_000);
    Outcome::RateLimited { reason: describe(r), until_ms }
}

fn classify_before(r: &HttpResponse, now_ms: i64) -> Option<Outcome> {
    match r.status {
        200..=299 => None,
        401 => Some(Outcome::Reconnect { reason: describe(r), status: Some(401) }),
        429 => Some(rate_limited(r, now_ms)),
        s if s >= 500 => Some(Outcome::Retry { reason: describe(r), status: Some(s), after_ms: None }),
        s => Some(Outcome::Failed { reason: describe(r), status: Some(s) }),
    }
}

/// One try to publish `draft` with the account's token.
pub async fn publish(ctx: &Context<'_>, instance: &str, creds: &Credentials, draft: &Draft<'_>) -> Attempt {
    let outcome = match try_publish(ctx, instance, creds, draft).await {
        Ok(o) | Err(o) => o,
    };
    Attempt { outcome, credentials: None }
}

async fn try_publish(
    ctx: &Context<'_>,
    instance: &str,
    creds: &Credentials,
    draft: &Draft<'_>,
) -> Result<Outcome, Outcome> {
    let Some(token) = creds.access_token.as_deref() else {
        return Err(Outcome::Reconnect { reason: "no access token is stored".into(), status: None });
    };
    let now = ctx.clock.now_ms();
    let mut media_ids = Vec::new();
    for file in &draft.media {
        let url = format!("{instance}/api/v2/media");
        let request = super::multipart_post(ctx, url, token, &[("description", &file.alt)], "file", file);
        let r = ctx.http.send(request).await.map_err(|e| transport(&e, false))?;
        if let Some(o) = classify_before(&r, now) {
            return Err(o);
        }
        let id = body_json(&r).get("id").and_then(Value::as_str).map(str::to_string);
        let Some(id) = id else {
            return Err(Outcome::Retry {
                reason: "the media upload answered without an id".into(),
                status: Some(r.status),
                after_ms: None,
            });
        };
        if r.status == 202 {
            // Still processing: wait for it a little, then let a later attempt try again.
            let mut ready = false;
            for _ in 0..5 {
                let r = ctx
                    .http
                    .send(json_request("GET", format!("{instance}/api/v1/media/{id}"), Some(token), None))
                    .await
                    .map_err(|e| transport(&e, false))?;
                if r.status == 200 {
                    ready = true;
                    break;
                }
                if let Some(o) = classify_before(&r, now).filter(|_| r.status != 206) {
                    return Err(o);
                }
            }
            if !ready {
                return Err(Outcome::Retry {
                    reason: format!("media {id} is still processing"),
                    status: Some(206),
                    after_ms: Some(30_000),
                });
            }
        }
        media_ids.push(id);
    }
    let body = json!({ "status": draft.text, "media_ids": media_ids, "visibility": "public" });
    let mut request = json_request("POST", format!("{instance}/api/v1/statuses"), Some(token), Some(&body));
    request.headers.push(("idempotency-key".into(), draft.publication_id.to_string()));
    let r = ctx.http.send(request).await.map_err(|e| transport(&e, true))?;
    Ok(match r.status {
        200 => {
            let v = body_json(&r);
            let id = v.get("id").and_then(Value::as_str).map(str::to_string);
            match id {
                Some(id) => {
                    Outcome::Published { remote_id: id, url: v.get("url").and_then(Value::as_str).map(str::to_string) }
                }
                None => Outcome::Unconfirmed {
                    reason: "the instance answered 200 without a status id".into(),
                    status: Some(200),
                },
            }
        }
        401 => Outcome::Reconnect { reason: describe(&r), status: Some(401) },
        429 => rate_limited(&r, now),
        s if s >= 500 => Outcome::Unconfirmed { reason: describe(&r), status: Some(s) },
        s => Outcome::Failed { reason: describe(&r), status: Some(s) },
    })
}

/// Settles an unknown outcome: within the instance's idempotency window the same call with
/// the same key answers the status it made (or makes it, if the first call never arrived —
/// once either way). Past the window there is no safe way to tell: `None`.
pub async fn reconcile(
    ctx: &Context<'_>,
    instance: &str,
    creds: &Credentials,
    draft: &Draft<'_>,
    first_try_ms: i64,
) -> Option<Outcome> {
    if ctx.clock.now_ms() - first_try_ms > IDEMPOTENCY_WINDOW_MS {
        return None;
    }
    let attempt = publish(ctx, instance, creds, draft).await;
    match attempt.outcome {
        Outcome::Unconfirmed { .. } => None,
        other => Some(other),
    }
}
