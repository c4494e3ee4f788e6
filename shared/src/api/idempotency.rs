//! Idempotency-Key on POST (SPEC PL-10): a retry with the same key and the same request gets
//! the first answer again instead of doing the work twice; the same key with another request
//! is refused. Keys are scoped to the caller and kept for a day.

use sha2::{Digest, Sha256};

use super::access::Call;
use super::{dispatch, Context, Response};
use crate::error::AppError;
use crate::params;
use crate::sql::DbError;

pub const TTL_MS: i64 = 24 * 3600 * 1000;
/// Response headers worth replaying.
const KEPT_HEADERS: [&str; 2] = ["content-type", "set-cookie"];

fn request_hash(call: &Call<'_>) -> String {
    let mut h = Sha256::new();
    for part in [call.req.method.as_bytes(), call.req.path.as_bytes(), call.req.query.as_bytes(), &call.req.body] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
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
    let hash = request_hash(call);
    let now = ctx.clock.now_ms();
    ctx.db
        .execute(
            "DELETE FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2 AND created_at <= ?3",
            &params![scope.as_str(), key, now - TTL_MS],
        )
        .await?;
    let reserved = ctx
        .db
        .execute(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, headers, body, created_at) \
             VALUES (?1, ?2, ?3, 0, '[]', '', ?4)",
            &params![scope.as_str(), key, hash.as_str(), now],
        )
        .await;
    match reserved {
        Ok(_) => {}
        Err(DbError::Unique(_)) => return replay(ctx, &scope, key, &hash).await,
        Err(e) => return Err(e.into()),
    }
    match dispatch::dispatch(ctx, call).await {
        Ok(response) => {
            let headers: Vec<&(String, String)> = response
                .headers
                .iter()
                .filter(|(k, _)| KEPT_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)))
                .collect();
            let headers = serde_json::to_string(&headers).map_err(|e| AppError::Internal(e.to_string()))?;
            ctx.db
                .execute(
                    "UPDATE idempotency_keys SET status = ?3, headers = ?4, body = ?5 WHERE scope = ?1 AND idem_key = ?2",
                    &params![
                        scope.as_str(),
                        key,
                        i64::from(response.status),
                        headers,
                        String::from_utf8_lossy(&response.body).into_owned()
                    ],
                )
                .await?;
            Ok(response)
        }
        Err(err) => {
            // Nothing was done; the key is free for a corrected retry.
            ctx.db
                .execute(
                    "DELETE FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2",
                    &params![scope.as_str(), key],
                )
                .await?;
            Err(err)
        }
    }
}

async fn replay(ctx: &Context<'_>, scope: &str, key: &str, hash: &str) -> Result<Response, AppError> {
    let row = ctx
        .db
        .query_one(
            "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2",
            &params![scope, key],
        )
        .await?
        .ok_or_else(|| AppError::Conflict("a request with this Idempotency-Key is in progress".into()))?;
    if row.text("request_hash")? != hash {
        return Err(AppError::Conflict("this Idempotency-Key was used for a different request".into()));
    }
    let status = row.int("status")?;
    if status == 0 {
        return Err(AppError::Conflict("a request with this Idempotency-Key is in progress".into()));
    }
    let headers: Vec<(String, String)> = serde_json::from_str(&row.text("headers")?).unwrap_or_default();
    let mut response = Response {
        status: u16::try_from(status).unwrap_or(500),
        headers,
        body: row.opt_text("body")?.unwrap_or_default().into_bytes(),
    };
    response.headers.push(("idempotent-replayed".into(), "true".into()));
    Ok(response)
}
