//! Taking platform grants back when a workspace is erased (SPEC PL-9): the erasure queues each
//! connected account's sealed credentials (`token_revocations`); the scheduled tick asks each
//! platform that offers it ([`oauth::revoke_call`]) to revoke the grant, and forgets the row,
//! at once when done or when the platform offers no revocation, after [`MAX_ATTEMPTS`] failed
//! tries otherwise.

use super::{oauth, store};
use crate::api::Context;
use crate::error::AppError;
use crate::platforms::Platform;

/// Tries per grant: a platform down for three ticks in a row loses its chance.
pub const MAX_ATTEMPTS: i64 = 3;

/// Revokes up to `limit` queued grants; answers how many the platforms took back.
pub async fn revoke_queued(ctx: &Context<'_>, limit: i64) -> Result<u64, AppError> {
    let queued = store::revocations::queued(ctx.db, limit).await?;
    let (mut settled, mut again, mut revoked) = (Vec::new(), Vec::new(), 0);
    for grant in queued {
        match revoke(ctx, &grant).await {
            Ok(taken) => {
                revoked += u64::from(taken);
                settled.push(grant.account_id);
            }
            Err(err) => {
                tracing::warn!(account = %grant.account_id, platform = %grant.platform, %err, "a grant could not be revoked");
                if grant.attempts + 1 >= MAX_ATTEMPTS {
                    settled.push(grant.account_id);
                } else {
                    again.push(grant.account_id);
                }
            }
        }
    }
    let writes = store::revocations::settle(&settled, &again);
    if !writes.is_empty() {
        ctx.db.batch(&writes).await?;
    }
    Ok(revoked)
}

/// Asks the platform to take the grant back: `true` when it did, `false` when there is nothing
/// it can be asked (no revocation, no client, no token); an error to try again.
async fn revoke(ctx: &Context<'_>, grant: &store::revocations::Queued) -> Result<bool, String> {
    let Some(provider) = Platform::parse(&grant.platform).and_then(oauth::provider) else { return Ok(false) };
    let Some((id, secret)) = oauth::client(ctx, provider.platform) else { return Ok(false) };
    let sealed = ctx.config.token_keys.open(&grant.credentials, &grant.account_id).map_err(|e| e.to_string())?;
    let credentials: crate::accounts::Credentials = serde_json::from_slice(&sealed).map_err(|e| e.to_string())?;
    let Some(request) = oauth::revoke_call(ctx, provider, &id, &secret, &credentials) else { return Ok(false) };
    let answer = ctx.http.send(request).await.map_err(|e| e.to_string())?;
    match answer.status {
        200..=299 => Ok(true),
        // The grant is no longer good (revoked, expired): nothing left to take back.
        400 | 401 => Ok(false),
        status => Err(format!("the platform answered HTTP {status}")),
    }
}
