//! Sessions: an access JWT plus a refresh token that rotates on every use. Tokens of one
//! login form a family; presenting a spent token means it was stolen or replayed, so the
//! whole family dies (SPEC IAM-1).

use super::model::{AuthSession, SessionView, UserView};
use super::store::sessions as store;
use super::tokens;
use crate::api::{json, Context, Request, Response};
use crate::error::AppError;
use crate::sql::Statement;

pub const COOKIE: &str = "herald_refresh";

/// How much of a User-Agent is kept to name a session's device.
const DEVICE_MAX_CHARS: usize = 200;

/// A refresh token to hand out, its session, and the statements that store them.
pub struct Issued {
    pub token: String,
    pub session_id: String,
    pub statements: Vec<Statement>,
}

fn insert_token(ctx: &Context<'_>, user_id: &str, session_id: &str, token: &str, now: i64) -> Statement {
    store::insert_token(store::NewToken {
        id: ctx.new_id(),
        user_id,
        session_id,
        token_hash: tokens::token_hash(token),
        expires_at: now + ctx.config.refresh_ttl_secs * 1000,
        now,
    })
}

/// A new session (a login) on `device`, with its first refresh token.
pub fn start(ctx: &Context<'_>, user_id: &str, device: &str) -> Issued {
    let token = tokens::opaque_token(ctx.random.bytes());
    let session_id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let statements =
        vec![store::open(&session_id, user_id, device, now), insert_token(ctx, user_id, &session_id, &token, now)];
    Issued { token, session_id, statements }
}

/// The successor of a refresh token of `session_id` that was just spent: the session was
/// used now.
pub fn rotate(ctx: &Context<'_>, user_id: &str, session_id: &str) -> Issued {
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let statements = vec![store::touch(session_id, user_id, now), insert_token(ctx, user_id, session_id, &token, now)];
    Issued { token, session_id: session_id.to_string(), statements }
}

/// The device a request comes from, as its User-Agent says (truncated).
pub fn device_of(req: &Request) -> String {
    req.header("user-agent").unwrap_or_default().trim().chars().take(DEVICE_MAX_CHARS).collect()
}

pub fn session(ctx: &Context<'_>, user: UserView, issued: Issued) -> Result<AuthSession, AppError> {
    let access_token = tokens::issue_session_access(
        &ctx.config.jwt_secret,
        &user.id,
        Some(&issued.session_id),
        ctx.clock.now_ms(),
        ctx.config.access_ttl_secs,
    )?;
    Ok(AuthSession {
        user,
        access_token,
        refresh_token: issued.token,
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
/// A refresh token that may be spent, read before the batch that spends it.
pub struct Spendable {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
}

/// Reads `token`: unknown, expired, spent or revoked answers 401, and presenting a spent or
/// revoked one revokes its whole family (a stolen token was replayed).
pub async fn spendable(ctx: &Context<'_>, token: &str) -> Result<Spendable, AppError> {
    let stored = store::token(ctx.db, &tokens::token_hash(token)).await?.ok_or_else(spent)?;
    if stored.dead {
        revoke_family(ctx, &stored.family_id).await?;
        return Err(spent());
    }
    if stored.expires_at <= ctx.clock.now_ms() {
        return Err(spent());
    }
    Ok(Spendable { id: stored.id, user_id: stored.user_id, family_id: stored.family_id })
}

/// Spends `old` and stores `issued` (its successor) in one atomic batch. Two requests racing
/// with the same token: the guard lets only the batch whose update spent it commit (the family
/// has no other live token yet); the loser's batch writes nothing and is a reuse, which
/// revokes the family.
pub async fn spend_and_rotate(ctx: &Context<'_>, old: &Spendable, issued: &Issued) -> Result<(), AppError> {
    let mut statements = store::spend(&old.id, &old.family_id, ctx.clock.now_ms()).to_vec();
    statements.extend(issued.statements.iter().cloned());
    match ctx.db.batch(&statements).await {
        Ok(_) => Ok(()),
        Err(crate::sql::DbError::Constraint(_)) => {
            revoke_family(ctx, &old.family_id).await?;
            Err(spent())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_family(ctx: &Context<'_>, family_id: &str) -> Result<(), AppError> {
    store::revoke_family(ctx.db, family_id, ctx.clock.now_ms()).await
}

/// Logout: the family of `token`, if it exists, is revoked.
pub async fn revoke_by_token(ctx: &Context<'_>, token: &str) -> Result<(), AppError> {
    if let Some(family) = store::family_of(ctx.db, &tokens::token_hash(token)).await? {
        revoke_family(ctx, &family).await?;
    }
    Ok(())
}

/// The live sessions of `user_id`, newest use first; `current` marks the caller's.
pub async fn list(ctx: &Context<'_>, user_id: &str, current: Option<&str>) -> Result<Vec<SessionView>, AppError> {
    store::live(ctx.db, user_id, ctx.clock.now_ms(), current).await
}

/// Revokes session `session_id` of `user_id`; false when it is not theirs or not live.
pub async fn revoke(ctx: &Context<'_>, user_id: &str, session_id: &str) -> Result<bool, AppError> {
    let changed = store::revoke_live(ctx.db, user_id, session_id, ctx.clock.now_ms()).await?;
    if changed > 0 {
        // Its spent tokens too, so that a replay of one is refused as revoked.
        revoke_family(ctx, session_id).await?;
    }
    Ok(changed > 0)
}

pub use store::revoke_all;

/// An answer that signs in: the session, and the refresh token as an HTTP-only cookie too.
pub fn with_session(ctx: &Context<'_>, status: u16, session: AuthSession) -> Response {
    let cookie = cookie(ctx, &session.refresh_token);
    json::ok(status, session).with_header("set-cookie", cookie)
}
