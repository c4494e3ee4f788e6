//! The only SQL on `publications` outside the engine and the schedules (which move here in
//! turn): cancelling an account's, the times an account is taken, a publication claimed at once.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement};

/// Cancels the account's publications still to go out (it was disconnected).
pub fn cancel_for_account(workspace_id: &str, account_id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'cancelled', reason = 'the account was disconnected', updated_at = ?3 \
         WHERE workspace_id = ?1 AND account_id = ?2 AND status IN ('scheduled', 'retrying')",
        params![workspace_id, account_id, now],
    )
}

/// Due times the account already has from `from_ms` on (anything not cancelled or ended badly).
pub async fn taken(db: &dyn Sql, ws: &str, account_id: &str, from_ms: i64) -> Result<Vec<i64>, AppError> {
    let rows = db
        .query(
            "SELECT due_at FROM publications WHERE workspace_id = ?1 AND account_id = ?2 AND due_at >= ?3 \
             AND status NOT IN ('cancelled', 'failed', 'dead')",
            &params![ws, account_id, from_ms],
        )
        .await?;
    rows.iter().map(|r| r.int("due_at").map_err(AppError::from)).collect()
}

/// A publication due now and claimed at once (publish now): no tick or queue message can take
/// it meanwhile.
pub struct Claimed<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub post_id: &'a str,
    pub target_id: &'a str,
    pub account_id: &'a str,
    pub platform: &'a str,
    pub claim: &'a str,
    pub created_by: &'a str,
    pub now: i64,
}

pub fn insert_claimed(p: Claimed<'_>) -> Statement {
    Statement::new(
        "INSERT INTO publications (id, workspace_id, post_id, target_id, account_id, platform, due_at, timezone, status, \
         claim_id, claimed_at, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'UTC', 'queued', ?8, ?7, ?9, ?7, ?7)",
        params![p.id, p.workspace_id, p.post_id, p.target_id, p.account_id, p.platform, p.now, p.claim, p.created_by],
    )
}
