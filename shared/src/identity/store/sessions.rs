//! The only SQL on `sessions` and `refresh_tokens`. A session is a login; its refresh tokens
//! form one family, each spent once.

use crate::error::AppError;
use crate::identity::model::SessionView;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

/// A refresh token to store: `token_hash` only, never the token.
pub struct NewToken<'a> {
    pub id: String,
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub token_hash: String,
    pub expires_at: i64,
    pub now: i64,
}

pub fn insert_token(t: NewToken<'_>) -> Statement {
    Statement::new(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![t.id, t.user_id, t.session_id, t.token_hash, t.expires_at, t.now],
    )
}

/// A new session on `device`.
pub fn open(session_id: &str, user_id: &str, device: &str, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO sessions (id, user_id, device, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![session_id, user_id, device, now],
    )
}

/// The session was used now (a family from before sessions existed gets its row here).
pub fn touch(session_id: &str, user_id: &str, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO sessions (id, user_id, device, created_at, last_used_at) VALUES (?1, ?2, '', ?3, ?3) \
         ON CONFLICT (id) DO UPDATE SET last_used_at = excluded.last_used_at",
        params![session_id, user_id, now],
    )
}

/// A refresh token as stored.
pub struct StoredToken {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: i64,
    /// Spent or revoked.
    pub dead: bool,
}

pub async fn token(db: &dyn Sql, token_hash: &str) -> Result<Option<StoredToken>, AppError> {
    let row = db
        .query_one(
            "SELECT id, user_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = ?1",
            &params![token_hash],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(StoredToken {
        id: row.text("id")?,
        user_id: row.text("user_id")?,
        family_id: row.text("family_id")?,
        expires_at: row.int("expires_at")?,
        dead: row.opt_int("used_at")?.is_some() || row.opt_int("revoked_at")?.is_some(),
    }))
}

/// Spends token `id` at `now`, then a guard that fails the batch unless this update spent it
/// and its family has no other live token (two racing refreshes: only one commits).
pub fn spend(id: &str, family_id: &str, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
            params![id, now],
        ),
        Statement::guard(
            "SELECT 1 FROM refresh_tokens o WHERE o.id = ?1 AND o.used_at = ?2 AND NOT EXISTS \
             (SELECT 1 FROM refresh_tokens n WHERE n.family_id = ?3 AND n.id <> ?1 \
              AND n.used_at IS NULL AND n.revoked_at IS NULL)",
            params![id, now, family_id],
        ),
    ]
}

pub async fn revoke_family(db: &dyn Sql, family_id: &str, now: i64) -> Result<(), AppError> {
    db.execute(
        "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
        &params![family_id, now],
    )
    .await?;
    Ok(())
}

/// The family of the token with this hash, if any.
pub async fn family_of(db: &dyn Sql, token_hash: &str) -> Result<Option<String>, AppError> {
    let row = db.query_one("SELECT family_id FROM refresh_tokens WHERE token_hash = ?1", &params![token_hash]).await?;
    Ok(row.map(|r| r.text("family_id")).transpose()?)
}

/// A session is live while one of its refresh tokens can still be spent.
const LIVE: &str = "EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = s.id AND t.used_at IS NULL \
                    AND t.revoked_at IS NULL AND t.expires_at > ?2)";

/// The live sessions of `user_id` at `now`, newest use first; `current` marks the caller's.
pub async fn live(db: &dyn Sql, user_id: &str, now: i64, current: Option<&str>) -> Result<Vec<SessionView>, AppError> {
    let rows = db
        .query(
            &format!(
                "SELECT s.id AS id, s.device AS device, s.created_at AS created_at, s.last_used_at AS last_used_at \
                 FROM sessions s WHERE s.user_id = ?1 AND {LIVE} ORDER BY s.last_used_at DESC, s.id DESC LIMIT 200"
            ),
            &params![user_id, now],
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

/// Revokes the live tokens of session `session_id` of `user_id`; how many there were (none:
/// not theirs, or not live).
pub async fn revoke_live(db: &dyn Sql, user_id: &str, session_id: &str, now: i64) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE refresh_tokens SET revoked_at = ?3 WHERE family_id = ?1 AND user_id = ?2 AND revoked_at IS NULL \
             AND used_at IS NULL AND expires_at > ?3",
            &params![session_id, user_id, now],
        )
        .await?)
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

/// Purges the refresh tokens that expired before `before`, then the sessions left without
/// any; how many tokens.
pub async fn purge(db: &dyn Sql, before: i64) -> Result<u64, AppError> {
    let purged = db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?1", &params![before]).await?;
    db.execute(
        "DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = sessions.id)",
        &[],
    )
    .await?;
    Ok(purged)
}
