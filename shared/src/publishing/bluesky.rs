//! Bluesky through the AT Protocol, on the account's PDS: `com.atproto.server.createSession`
//! with the handle and an app password, `com.atproto.repo.uploadBlob` for each image, and
//! `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with facets (links, mentions,
//! tags; UTF-8 byte offsets) and an `app.bsky.embed.images` embed.
//!
//! Exactly once: the record key is a TID derived from the publication, so the same
//! publication always names the same record. An unknown outcome is settled with
//! `com.atproto.repo.getRecord` on that key: found means published, `RecordNotFound` means
//! nothing was written and it is safe to try again.

use serde_json::{json, Value};

use super::{body_json, describe, header, json_request, transport, Attempt, Credentials, Draft, Outcome};
use crate::accounts::store::Verified;
use crate::api::Context;
use crate::error::AppError;
use crate::ports::{HttpRequest, HttpResponse};
use crate::validate::rfc3339;

fn xrpc(service: &str, method: &str) -> String {
    format!("{service}/xrpc/{method}")
}

/// `ratelimit-reset` is in seconds since the epoch.
fn rate_limited(r: &HttpResponse, now_ms: i64) -> Outcome {
    let until_ms = header(r, "ratelimit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|s| s.saturating_mul(1000))
        .filter(|t| *t > now_ms)
        .unwrap_or(now_ms + 60_000);
    Outcome::RateLimited { reason: describe(r), until_ms }
}

pub async fn verify(ctx: &Context<'_>, service: &str, handle: &str, password: &str) -> Result<Verified, AppError> {
    let body = json!({ "identifier": handle, "password": password });
    let r = ctx
        .http
        .send(json_request("POST", xrpc(service, "com.atproto.server.createSession"), None, Some(&body)))
        .await
        .map_err(|e| AppError::ExternalApi(format!("Bluesky server {service}: {e}")))?;
    match r.status {
        200 => {}
        400 | 401 => {
            return Err(AppError::field("appPassword", "the Bluesky server refused this handle and app password"))
        }
        _ => return Err(AppError::ExternalApi(format!("Bluesky createSession: {}", describe(&r)))),
    }
    let v = body_json(&r);
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(did), Some(handle)) = (text("did"), text("handle")) else {
        return Err(AppError::ExternalApi("Bluesky createSession answered without did and handle".into()));
    };
    Ok(Verified {
        external_id: did,
        handle,
        display_name: None,
        service_url: service.to_string(),
        auth_kind: "app_password",
        access_expires_at: None,
        credentials: Credentials {
            app_password: Some(password.to_string()),
            access_token: text("accessJwt"),
            refresh_token: text("refreshJwt"),
        },
    })
}

/// A fresh session from the app password.
async fn new_session(ctx: &Context<'_>, service: &str, did: &str, creds: &Credentials) -> Result<Credentials, Outcome> {
    let Some(password) = creds.app_password.as_deref() else {
        return Err(Outcome::Reconnect { reason: "no app password is stored".into(), status: None });
    };
    let body = json!({ "identifier": did, "password": password });
    let r = ctx
        .http
        .send(json_request("POST", xrpc(service, "com.atproto.server.createSession"), None, Some(&body)))
        .await
        .map_err(|e| transport(&e, false))?;
    match r.status {
        200 => {
            let v = body_json(&r);
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            Ok(Credentials {
                app_password: creds.app_password.clone(),
                access_token: text("accessJwt"),
                refresh_token: text("refreshJwt"),
            })
        }
        401 | 400 => Err(Outcome::Reconnect {
            reason: format!("the app password was refused ({})", describe(&r)),
            status: Some(r.status),
        }),
        429 => Err(rate_limited(&r, ctx.clock.now_ms())),
        _ => Err(Outcome::Retry { reason: describe(&r), status: Some(r.status), after_ms: None }),
    }
}

fn expired(r: &HttpResponse) -> bool {
    r.status == 401 || (r.status == 400 && body_json(r).get("error").and_then(Value::as_str) == Some("ExpiredToken"))
}

/// Sends `build(token)` with the session, renewing it once when the PDS says it expired.
async fn authed(
    ctx: &Context<'_>,
    service: &str,
    did: &str,
    creds: &mut Credentials,
    renewed: &mut bool,
    build: &dyn Fn(&str) -> HttpRequest,
    irreversible: bool,
) -> Result<HttpResponse, Outcome> {
    if creds.access_token.is_none() {
        *creds = new_session(ctx, service, did, creds).await?;
        *renewed = true;
    }
    for _ in 0..2 {
        let token = creds.access_token.clone().unwrap_or_default();
        let r = ctx.http.send(build(&token)).await.map_err(|e| transport(&e, irreversible))?;
        if expired(&r) && !*renewed {
            *creds = new_session(ctx, service, did, creds).await?;
            *renewed = true;
            continue;
        }
        return Ok(r);
    }
    Err(Outcome::Reconnect { reason: "the session was refused right after it was made".into(), status: Some(401) })
}

const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key of a publication: a TID (13 characters, base32-sortable) from its creation
/// time and a hash of its id, so every attempt names the same record.
pub fn record_key(publication_id: &str, created_at_ms: i64) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(publication_id.as_bytes());
    let salt = u64::from_be_bytes([0, 0, 0, 0, 0, 0, hash[0], hash[1]]);
    let micros = (created_at_ms.max(0) as u64) * 1000 + salt % 1000;
    let clock_id = u64::from(hash[2]) << 2 | u64::from(hash[3] & 3);
    let value = ((micros & ((1 << 53) - 1)) << 10) | clock_id;
    (0..13).rev().map(|i| TID_ALPHABET[((value >> (i * 5)) & 31) as usize] as char).collect()
}

/// Links, mentions and tags in `text`, with UTF-8 byte offsets. Mentions need the DID of the
/// handle: `resolve` answers it (or none, and the mention stays plain text).
pub fn facet_spans(text: &str) -> Vec<(usize, usize, &str, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || bytes[i - 1].is_ascii_whitespace() || bytes[i - 1] == b'(';
        let rest = &text[i..];
        let end_of_token =
            |from: usize| rest[from..].find(|c: char| c.is_whitespace()).map_or(rest.len(), |e| from + e);
        if at_word_start && (rest.starts_with("https://") || rest.starts_with("http://")) {
            let mut end = end_of_token(0);
            while end > 0
                && matches!(rest.as_bytes()[end - 1], b'.' | b',' | b';' | b':' | b'!' | b'?' | b')' | b'"' | b'\'')
            {
                end -= 1;
            }
            out.push((i, i + end, "link", &rest[..end]));
            i += end.max(1);
            continue;
        }
        if at_word_start && (rest.starts_with('@') || rest.starts_with('#')) {
            let kind = if rest.starts_with('@') { "mention" } else { "tag" };
            let mut end = 1;
            for (offset, c) in rest[1..].char_indices() {
                let ok = if kind == "mention" {
                    c.is_ascii_alphanumeric() || c == '.' || c == '-'
                } else {
                    c.is_alphanumeric() || c == '_'
                };
                if !ok {
                    break;
                }
                end = 1 + offset + c.len_utf8();
            }
            while kind == "mention" && end > 1 && rest.as_bytes()[end - 1] == b'.' {
                end -= 1;
            }
            let value = &rest[1..end];
            let valid = match kind {
                "mention" => value.contains('.') && !value.starts_with('.'),
                _ => !value.is_empty() && !value.chars().all(|c| c.is_ascii_digit()) && value.chars().count() <= 64,
            };
            if valid {
                out.push((i, i + end, kind, value));
            }
            i += end;
            continue;
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

async fn facets(ctx: &Context<'_>, service: &str, text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (start, end, kind, value) in facet_spans(text) {
        let feature = match kind {
            "link" => json!({ "$type": "app.bsky.richtext.facet#link", "uri": value }),
            "tag" => json!({ "$type": "app.bsky.richtext.facet#tag", "tag": value }),
            _ => {
                let url = format!("{}?handle={}", xrpc(service, "com.atproto.identity.resolveHandle"), value);
                let did = match ctx.http.send(json_request("GET", url, None, None)).await {
                    Ok(r) if r.status == 200 => body_json(&r).get("did").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                };
                match did {
                    Some(did) => json!({ "$type": "app.bsky.richtext.facet#mention", "did": did }),
                    None => continue,
                }
            }
        };
        out.push(json!({ "index": { "byteStart": start, "byteEnd": end }, "features": [feature] }));
    }
    out
}

/// One try to publish `draft` to the account (`did` on `service`).
pub async fn publish(ctx: &Context<'_>, service: &str, did: &str, creds: Credentials, draft: &Draft<'_>) -> Attempt {
    let mut creds = creds;
    let mut renewed = false;
    let outcome = match try_publish(ctx, service, did, &mut creds, &mut renewed, draft).await {
        Ok(o) | Err(o) => o,
    };
    Attempt { outcome, credentials: renewed.then_some(creds) }
}

async fn try_publish(
    ctx: &Context<'_>,
    service: &str,
    did: &str,
    creds: &mut Credentials,
    renewed: &mut bool,
    draft: &Draft<'_>,
) -> Result<Outcome, Outcome> {
    let now = ctx.clock.now_ms();
    let mut images = Vec::new();
    for m in &draft.media {
        let upload = |token: &str| HttpRequest {
            method: "POST".into(),
            url: xrpc(service, "com.atproto.repo.uploadBlob"),
            headers: vec![
                ("authorization".into(), format!("Bearer {token}")),
                ("content-type".into(), m.content_type.clone()),
            ],
            body: m.bytes.clone(),
        };
        let r = authed(ctx, service, did, creds, renewed, &upload, false).await?;
        match r.status {
            200 => {}
            429 => return Err(rate_limited(&r, now)),
            s if s >= 500 => return Err(Outcome::Retry { reason: describe(&r), status: Some(s), after_ms: None }),
            s => {
                return Err(Outcome::Failed {
                    reason: format!("the image {} was refused: {}", m.filename, describe(&r)),
                    status: Some(s),
                })
            }
        }
        let blob = body_json(&r).get("blob").cloned().unwrap_or(Value::Null);
        if blob.is_null() {
            return Err(Outcome::Retry {
                reason: "uploadBlob answered without a blob".into(),
                status: Some(200),
                after_ms: None,
            });
        }
        images.push(json!({ "alt": m.alt, "image": blob }));
    }
    let rkey = record_key(draft.publication_id, draft.created_at_ms);
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": draft.text,
        "createdAt": rfc3339(now),
    });
    let facets = facets(ctx, service, draft.text).await;
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if !images.is_empty() {
        record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
    }
    let body = json!({ "repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record });
    let create =
        |token: &str| json_request("POST", xrpc(service, "com.atproto.repo.createRecord"), Some(token), Some(&body));
    let r = authed(ctx, service, did, creds, renewed, &create, true).await?;
    Ok(match r.status {
        200 => {
            let uri = body_json(&r).get("uri").and_then(Value::as_str).map(str::to_string);
            Outcome::Published {
                remote_id: uri.unwrap_or_else(|| format!("at://{did}/app.bsky.feed.post/{rkey}")),
                url: Some(format!("https://bsky.app/profile/{did}/post/{rkey}")),
            }
        }
        429 => rate_limited(&r, now),
        s if s >= 500 => Outcome::Unconfirmed { reason: describe(&r), status: Some(s) },
        s => Outcome::Failed { reason: describe(&r), status: Some(s) },
    })
}

/// Settles an unknown outcome by reading the record the publication would have written.
/// `Some(Published)` when it exists, `Some(Retry)` when the PDS says it does not (safe to
/// send again), `None` when the PDS could not tell.
pub async fn reconcile(
    ctx: &Context<'_>,
    service: &str,
    did: &str,
    publication_id: &str,
    created_at_ms: i64,
) -> Option<Outcome> {
    let rkey = record_key(publication_id, created_at_ms);
    let url =
        format!("{}?repo={did}&collection=app.bsky.feed.post&rkey={rkey}", xrpc(service, "com.atproto.repo.getRecord"));
    let r = ctx.http.send(json_request("GET", url, None, None)).await.ok()?;
    let v = body_json(&r);
    match r.status {
        200 => Some(Outcome::Published {
            remote_id: v
                .get("uri")
                .and_then(Value::as_str)
                .map_or_else(|| format!("at://{did}/app.bsky.feed.post/{rkey}"), str::to_string),
            url: Some(format!("https://bsky.app/profile/{did}/post/{rkey}")),
        }),
        400 | 404 if v.get("error").and_then(Value::as_str) == Some("RecordNotFound") || r.status == 404 => {
            Some(Outcome::Retry {
                reason: "the platform has no such post: it was never written".into(),
                status: Some(r.status),
                after_ms: None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_are_stable_valid_tids() {
        let a = record_key("0192-pub-a", 1_767_225_600_000);
        assert_eq!(a, record_key("0192-pub-a", 1_767_225_600_000), "the same publication, the same record");
        assert_ne!(a, record_key("0192-pub-b", 1_767_225_600_000));
        assert_eq!(a.len(), 13);
        assert!(a.bytes().all(|b| TID_ALPHABET.contains(&b)));
        assert!(matches!(a.as_bytes()[0], b'2'..=b'7' | b'a'..=b'j'), "the top bit is zero: {a}");
    }

    #[test]
    fn facets_use_utf8_byte_offsets() {
        let text = "Café ☕ at https://example.com/menu. Ask @ana.bsky.social #coffee #2026 (see http://x.example)";
        let spans = facet_spans(text);
        let found: Vec<(&str, &str)> = spans.iter().map(|(_, _, k, v)| (*k, *v)).collect();
        assert_eq!(
            found,
            [
                ("link", "https://example.com/menu"),
                ("mention", "ana.bsky.social"),
                ("tag", "coffee"),
                ("link", "http://x.example")
            ]
        );
        for (start, end, kind, value) in spans {
            let covered = &text.as_bytes()[start..end];
            let want = match kind {
                "link" => value.to_string(),
                "mention" => format!("@{value}"),
                _ => format!("#{value}"),
            };
            assert_eq!(covered, want.as_bytes());
        }
        let (start, _, _, _) = facet_spans("☕ https://a.example")[0];
        assert_eq!(start, 4, "☕ is three bytes, then a space");
    }
}
