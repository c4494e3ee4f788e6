//! Sessions: an access JWT plus a refresh token that rotates on every use. Tokens of one
//! login form a family; presenting a spent token means it was stolen or replayed, so the
//! whole family dies (SPEC IAM-1).

use super::model::{AuthSession, SessionView, UserView};
use super::tokens;
use crate::api::{json, Context, Request, Response};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

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
    Statement::new(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ctx.new_id(),
            user_id,
            session_id,
            tokens::token_hash(token),
            now + ctx.config.refresh_ttl_secs * 1000,
            now
        ],
    )
}

/// A new session (a login) on `device`, with its first refresh token.
pub fn start(ctx: &Context<'_>, user_id: &str, device: &str) -> Issued {
    let token = tokens::opaque_token(ctx.random.bytes());
    let session_id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let statements = vec![
        Statement::new(
            "INSERT INTO sessions (id, user_id, device, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![session_id.as_str(), user_id, device, now],
        ),
        insert_token(ctx, user_id, &session_id, &token, now),
    ];
    Issued { token, session_id, statements }
}

/// The successor of a refresh token of `session_id` that was just spent: the session was
/// used now (a family from before sessions existed gets its row here).
pub fn rotate(ctx: &Context<'_>, user_id: &str, session_id: &str) -> Issued {
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let statements = vec![
        Statement::new(
            "INSERT INTO sessions (id, user_id, device, created_at, last_used_at) VALUES (?1, ?2, '', ?3, ?3) \
             ON CONFLICT (id) DO UPDATE SET last_used_at = excluded.last_used_at",
            params![session_id, user_id, now],
        ),
        insert_token(ctx, user_id, session_id, &token, now),
    ];
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
    Ok(Spendable { id, user_id, family_id })
}

/// Spends `old` and stores `issued` (its successor) in one atomic batch. Two requests racing
/// with the same token: the guard lets only the batch whose update spent it commit (the family
/// has no other live token yet); the loser's batch writes nothing and is a reuse, which
/// revokes the family.
pub async fn spend_and_rotate(ctx: &Context<'_>, old: &Spendable, issued: &Issued) -> Result<(), AppError> {
    let now = ctx.clock.now_ms();
    let mut statements = vec![
        Statement::new(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
            params![old.id.as_str(), now],
        ),
        Statement::guard(
            "SELECT 1 FROM refresh_tokens o WHERE o.id = ?1 AND o.used_at = ?2 AND NOT EXISTS \
             (SELECT 1 FROM refresh_tokens n WHERE n.family_id = ?3 AND n.id <> ?1 \
              AND n.used_at IS NULL AND n.revoked_at IS NULL)",
            params![old.id.as_str(), now, old.family_id.as_str()],
        ),
    ];
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

/// A session is live while one of its refresh tokens can still be spent.
const LIVE: &str = "EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = s.id AND t.used_at IS NULL \
                    AND t.revoked_at IS NULL AND t.expires_at > ?2)";

/// The live sessions of `user_id`, newest use first; `current` marks the caller's.
pub async fn list(ctx: &Context<'_>, user_id: &str, current: Option<&str>) -> Result<Vec<SessionView>, AppError> {
    let rows = ctx
        .db
        .query(
            &format!(
                "SELECT s.id AS id, s.device AS device, s.created_at AS created_at, s.last_used_at AS last_used_at \
                 FROM sessions s WHERE s.user_id = ?1 AND {LIVE} ORDER BY s.last_used_at DESC, s.id DESC LIMIT 200"
            ),
            &params![user_id, ctx.clock.now_ms()],
        )
        .await?;
    rows.iter().map(|r| view(r, current)).collect()
}

fn view(r: &Row, current: Option<&str>) -> Result<SessionView, AppError> {
    let id = r.text("id")?;
    Ok(SessionView {
        current: current == Some(id.as_str()),
        device: r.text("device")?,
        created_at: rfc3339(r.int("created_at")?),
        last_used_at: rfc3339(r.int("last_used_at")?),
        id,
    })
}

/// Revokes session `session_id` of `user_id`; false when it is not theirs or not live.
pub async fn revoke(ctx: &Context<'_>, user_id: &str, session_id: &str) -> Result<bool, AppError> {
    let changed = ctx
        .db
        .execute(
            "UPDATE refresh_tokens SET revoked_at = ?3 WHERE family_id = ?1 AND user_id = ?2 AND revoked_at IS NULL \
             AND used_at IS NULL AND expires_at > ?3",
            &params![session_id, user_id, ctx.clock.now_ms()],
        )
        .await?;
    if changed > 0 {
        // Its spent tokens too, so that a replay of one is refused as revoked.
        revoke_family(ctx, session_id).await?;
    }
    Ok(changed > 0)
}

/// Revokes every session of `user_id` except `keep` (the caller's own, when it stays).
pub fn revoke_all(user_id: &str, keep: Option<&str>, now: i64) -> Statement {
    match keep {
        Some(keep) => Statement::new(
            "UPDATE refresh_tokens SET revoked_at = ?3 WHERE user_id = ?1 AND family_id <> ?2 AND revoked_at IS NULL",
            params![user_id, keep, now],
        ),
        None => Statement::new(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            params![user_id, now],
        ),
    }
}

/// An answer that signs in: the session, and the refresh token as an HTTP-only cookie too.
pub fn with_session(ctx: &Context<'_>, status: u16, session: AuthSession) -> Response {
    let cookie = cookie(ctx, &session.refresh_token);
    json::ok(status, session).with_header("set-cookie", cookie)
}
