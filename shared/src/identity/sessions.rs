//! Sessions: an access JWT plus a refresh token that rotates on every use. Tokens of one
//! login form a family; presenting a spent token means it was stolen or replayed, so the
//! whole family dies (SPEC IAM-1).

use super::model::{AuthSession, UserView};
use super::tokens;
use crate::api::Context;
use crate::error::AppError;
use crate::params;
use crate::sql::Statement;

pub const COOKIE: &str = "herald_refresh";

/// A refresh token to hand out and the statement that stores its hash.
pub struct Issued {
    pub token: String,
    pub insert: Statement,
}

/// Mints a refresh token in `family_id` (a new family for a fresh login).
pub fn mint(ctx: &Context<'_>, user_id: &str, family_id: &str) -> Issued {
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let insert = Statement::new(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ctx.new_id(),
            user_id,
            family_id,
            tokens::token_hash(&token),
            now + ctx.config.refresh_ttl_secs * 1000,
            now
        ],
    );
    Issued { token, insert }
}

pub fn session(ctx: &Context<'_>, user: UserView, refresh_token: String) -> Result<AuthSession, AppError> {
    let access_token =
        tokens::issue_access(&ctx.config.jwt_secret, &user.id, ctx.clock.now_ms(), ctx.config.access_ttl_secs)?;
    Ok(AuthSession {
        user,
        access_token,
        refresh_token,
        expires_in: ctx.config.access_ttl_secs,
        token_type: "Bearer".into(),
    })
}

/// The refresh cookie: HTTP-only, Secure, SameSite=Strict, sent only to the auth routes.
pub fn cookie(ctx: &Context<'_>, token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/api/v1/auth; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        ctx.config.refresh_ttl_secs
    )
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/api/v1/auth; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

fn spent() -> AppError {
    AppError::Unauthorized("refresh token is invalid, expired or already used".into())
}

/// Spends `token` and answers its user and family, so a successor can be minted.
pub async fn spend(ctx: &Context<'_>, token: &str) -> Result<(String, String), AppError> {
    let now = ctx.clock.now_ms();
    let row = ctx
        .db
        .query_one(
            "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = ?1",
            &params![tokens::token_hash(token)],
        )
        .await?
        .ok_or_else(spent)?;
    let (id, user_id, family_id) = (row.text("id")?, row.text("user_id")?, row.text("family_id")?);
    if row.opt_int("used_at")?.is_some() || row.opt_int("revoked_at")?.is_some() {
        revoke_family(ctx, &family_id).await?;
        return Err(spent());
    }
    if row.int("expires_at")? <= now {
        return Err(spent());
    }
    // Two requests racing with the same token: only one update wins; the loser is a reuse.
    let changed = ctx
        .db
        .execute(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
            &params![id, now],
        )
        .await?;
    if changed != 1 {
        revoke_family(ctx, &family_id).await?;
        return Err(spent());
    }
    Ok((user_id, family_id))
}

pub async fn revoke_family(ctx: &Context<'_>, family_id: &str) -> Result<(), AppError> {
    ctx.db
        .execute(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
            &params![family_id, ctx.clock.now_ms()],
        )
        .await?;
    Ok(())
}

/// Logout: the family of `token`, if it exists, is revoked.
pub async fn revoke_by_token(ctx: &Context<'_>, token: &str) -> Result<(), AppError> {
    let row = ctx
        .db
        .query_one("SELECT family_id FROM refresh_tokens WHERE token_hash = ?1", &params![tokens::token_hash(token)])
        .await?;
    if let Some(row) = row {
        revoke_family(ctx, &row.text("family_id")?).await?;
    }
    Ok(())
}
