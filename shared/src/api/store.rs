//! The kit's store: the SQL that serving any request may need before an area runs — whether
//! the database answers, the caller's role in a workspace (authorization, which every build
//! has, with or without the workspaces area) and Idempotency-Key answers (`idempotency_keys`).

use crate::api::permissions::Role;
use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};

/// Whether the database answers a trivial query as it should.
pub async fn answers(db: &dyn Sql) -> Result<bool, DbError> {
    Ok(db.query_one("SELECT 1 AS ok", &[]).await?.is_some_and(|row| row.int("ok").ok() == Some(1)))
}

/// The role of `user_id` in a workspace that is not archived; `None` when not a member.
pub async fn active_role(db: &dyn Sql, workspace_id: &str, user_id: &str) -> Result<Option<Role>, AppError> {
    let read = active_role_read(workspace_id, user_id);
    role_of(&db.query(&read.sql, &read.params).await?)
}

/// The read behind [`active_role`], for a handler that sends it with its own reads in one
/// round trip (`Route::folds_membership`).
pub fn active_role_read(workspace_id: &str, user_id: &str) -> Statement {
    Statement::new(
        "SELECT m.role AS role, w.status AS status FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND w.archived_at IS NULL",
        params![workspace_id, user_id],
    )
}

/// Whether the workspace [`active_role_read`] found is suspended.
pub fn suspended_of(rows: &[Row]) -> bool {
    rows.first().and_then(|r| r.text("status").ok()).is_some_and(|s| s == "suspended")
}

/// What [`active_role_read`] answered.
pub fn role_of(rows: &[Row]) -> Result<Option<Role>, AppError> {
    let Some(row) = rows.first() else { return Ok(None) };
    Role::parse(&row.text("role")?).map(Some).ok_or_else(|| AppError::Internal("stored role is unknown".into()))
}

/// Reserves `key` for a request (status 0: in progress), forgetting it first if it was stored
/// at or before `expired` (one batch, one round trip). A unique violation means the key is
/// taken: by this request before (a replay) or by another.
pub async fn reserve_key(
    db: &dyn Sql,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    expired: i64,
) -> Result<(), DbError> {
    let statements = [
        Statement::new(
            "DELETE FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2 AND created_at <= ?3",
            params![scope, key, expired],
        ),
        Statement::new(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, headers, body, created_at) \
             VALUES (?1, ?2, ?3, 0, '[]', '', ?4)",
            params![scope, key, request_hash, now],
        ),
    ];
    db.batch(&statements).await?;
    Ok(())
}

/// Stores the answer (`sealed`) under the key.
pub async fn answer_key(db: &dyn Sql, scope: &str, key: &str, status: u16, sealed: String) -> Result<(), DbError> {
    db.execute(
        "UPDATE idempotency_keys SET status = ?3, headers = '[]', body = ?4 WHERE scope = ?1 AND idem_key = ?2",
        &params![scope, key, i64::from(status), sealed],
    )
    .await?;
    Ok(())
}

/// Frees the key (the request did nothing).
pub async fn release_key(db: &dyn Sql, scope: &str, key: &str) -> Result<(), DbError> {
    db.execute("DELETE FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2", &params![scope, key]).await?;
    Ok(())
}

/// What a key holds: the request's hash, the answer's status (0 while in progress) and its
/// sealed body.
pub async fn key(db: &dyn Sql, scope: &str, key: &str) -> Result<Option<(String, i64, String)>, AppError> {
    let row = db
        .query_one(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = ?1 AND idem_key = ?2",
            &params![scope, key],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.text("request_hash")?, row.int("status")?, row.text("body")?)))
}

/// Purges the keys stored before `before`; how many.
pub async fn purge_keys(db: &dyn Sql, before: i64) -> Result<u64, DbError> {
    db.execute("DELETE FROM idempotency_keys WHERE created_at < ?1", &params![before]).await
}
