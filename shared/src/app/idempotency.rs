//! Idempotency-Key on POST (SPEC PL-10): a retry with the same key and the same request gets
//! the first answer again instead of doing the work twice; the same key with another request
//! is refused. Keys are scoped to the caller and kept for a day.
//!
//! A replay goes only to the principal that made the first request: the signed-in user, or on
//! anonymous routes the credentials the request carried (its refresh cookie, its bearer token),
//! which are part of the request's hash. Another principal with the same key is refused
//! (`422 IDEMPOTENCY_KEY_REUSED`), never served. Stored answers are sealed (AES-256-GCM) under a
//! key derived from the server secret and the whole first request, so the tokens a login or a
//! refresh returned are never at rest in plaintext, and only a caller repeating that exact
//! request (password or refresh token included) can open them.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::api::store;
use crate::api::Call;
use crate::api::{Context, Response};
use crate::error::AppError;
use crate::sql::DbError;

pub const TTL_MS: i64 = crate::api::IDEMPOTENCY_TTL_MS;
/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 2] = ["content-type", "set-cookie"];
/// Request headers that identify an anonymous caller.
const CREDENTIAL_HEADERS: [&str; 2] = ["authorization", "cookie"];
const SEALED_PREFIX: &str = "sealed:v1:";

/// Every part of the request that decides its answer, the caller's credentials included, in
/// one length-prefixed byte string.
fn request_material(call: &Call<'_>, scope: &str) -> Vec<u8> {
    let credentials: Vec<&str> = if call.caller.is_some() {
        Vec::new()
    } else {
        CREDENTIAL_HEADERS.iter().map(|name| call.req.header(name).unwrap_or_default()).collect()
    };
    let mut out = Vec::with_capacity(call.req.body.len() + 256);
    let parts = [scope.as_bytes(), call.req.method.as_bytes(), call.req.path.as_bytes(), call.req.query.as_bytes()]
        .into_iter()
        .chain(credentials.iter().map(|c| c.as_bytes()))
        .chain([call.req.body.as_slice()]);
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn request_hash(material: &[u8]) -> String {
    hex::encode(Sha256::digest(material))
}

/// The key a stored answer is sealed under: it needs both the server's secret and the request.
fn seal_key(secret: &[u8], material: &[u8]) -> Result<Aes256Gcm, AppError> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret)
        .map_err(|e| AppError::Internal(format!("idempotency seal key: {e}")))?;
    mac.update(b"herald idempotency seal v1\0");
    mac.update(material);
    let key = mac.finalize().into_bytes();
    <Aes256Gcm as aes_gcm::KeyInit>::new_from_slice(&key)
        .map_err(|e| AppError::Internal(format!("idempotency seal key: {e}")))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    headers: Vec<(String, String)>,
    body: String,
}

fn seal(ctx: &Context<'_>, material: &[u8], stored: &Stored) -> Result<String, AppError> {
    let plain = serde_json::to_vec(stored).map_err(|e| AppError::Internal(e.to_string()))?;
    let nonce: [u8; 12] = ctx.random.bytes();
    let sealed = seal_key(&ctx.config.jwt_secret, material)?
        .encrypt(&Nonce::from(nonce), plain.as_slice())
        .map_err(|_| AppError::Internal("idempotency seal failed".into()))?;
    let mut blob = nonce.to_vec();
    blob.extend_from_slice(&sealed);
    Ok(format!("{SEALED_PREFIX}{}", B64.encode(blob)))
}

fn open(ctx: &Context<'_>, material: &[u8], text: &str) -> Option<Stored> {
    let blob = B64.decode(text.strip_prefix(SEALED_PREFIX)?).ok()?;
    if blob.len() < 12 {
        return None;
    }
    let (nonce, sealed) = blob.split_at(12);
    let nonce = Nonce::try_from(nonce).ok()?;
    let plain = seal_key(&ctx.config.jwt_secret, material).ok()?.decrypt(&nonce, sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

fn parse_key(key: &str) -> Result<&str, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
    }
    Ok(key)
}

pub async fn replay_or_run(ctx: &Context<'_>, call: &Call<'_>, key: &str) -> Result<Response, AppError> {
    let key = parse_key(key)?;
    let scope = call.caller.as_ref().map_or_else(|| "anonymous".to_string(), |c| format!("user:{}", c.user_id));
    let material = request_material(call, &scope);
    let hash = request_hash(&material);
    let now = ctx.clock.now_ms();
    let reserved = store::reserve_key(ctx.db, &scope, key, &hash, now, now - TTL_MS).await;
    match reserved {
        Ok(_) => {}
        Err(DbError::Unique(_)) => return replay(ctx, &scope, key, &hash, &material).await,
        Err(e) => return Err(e.into()),
    }
    match (call.route.handler)(ctx, call).await {
        Ok(response) => {
            let stored = Stored {
                headers: response
                    .headers
                    .iter()
                    .filter(|(k, _)| KEPT_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)))
                    .cloned()
                    .collect(),
                body: String::from_utf8_lossy(&response.body).into_owned(),
            };
            let sealed = seal(ctx, &material, &stored)?;
            store::answer_key(ctx.db, &scope, key, response.status, sealed).await?;
            Ok(response)
        }
        Err(err) => {
            // Nothing was done; the key is free for a corrected retry.
            store::release_key(ctx.db, &scope, key).await?;
            Err(err)
        }
    }
}

async fn replay(ctx: &Context<'_>, scope: &str, key: &str, hash: &str, material: &[u8]) -> Result<Response, AppError> {
    let in_progress = || AppError::Conflict("a request with this Idempotency-Key is in progress".into());
    let (request_hash, status, body) = store::key(ctx.db, scope, key).await?.ok_or_else(in_progress)?;
    if request_hash != hash {
        return Err(AppError::IdempotencyKeyReused);
    }
    if status == 0 {
        return Err(in_progress());
    }
    // Only this exact request opens the answer; anything else (an answer stored before answers
    // were sealed) is refused rather than served.
    let stored = open(ctx, material, &body).ok_or(AppError::IdempotencyKeyReused)?;
    let mut response = Response {
        status: u16::try_from(status).unwrap_or(500),
        headers: stored.headers,
        body: stored.body.into_bytes(),
    };
    response.headers.push(("idempotent-replayed".into(), "true".into()));
    Ok(response)
}
