//! Idea decisions.

use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Sql, Statement};

/// Who approved the idea's `stage` in its current `round` (`IdeaView::stage_round`).
pub async fn approved_by(
    db: &dyn Sql,
    workspace_id: &str,
    idea_id: &str,
    stage: &str,
    round: i64,
) -> Result<Vec<String>, AppError> {
    Ok(db
        .query(
            "SELECT DISTINCT user_id FROM idea_decisions WHERE workspace_id = ?1 AND idea_id = ?2 AND stage = ?3 \
             AND decision = 'approve' AND stage_round = ?4",
            &params![workspace_id, idea_id, stage, round],
        )
        .await?
        .iter()
        .map(|r| r.text("user_id"))
        .collect::<Result<Vec<_>, DbError>>()?)
}

/// One decision on an idea's stage in its `round`: `approve` or `reject`, by a user, perhaps
/// through a link.
#[allow(clippy::too_many_arguments)]
pub fn decision(
    id: String,
    workspace_id: &str,
    idea_id: &str,
    user_id: &str,
    stage: &str,
    decision: &str,
    comment: Option<String>,
    at: i64,
    round: i64,
    link_id: Option<&str>,
) -> Statement {
    Statement::new(
        "INSERT INTO idea_decisions (id, workspace_id, idea_id, user_id, stage, decision, comment, created_at, \
         stage_round, review_link_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![id, workspace_id, idea_id, user_id, stage, decision, comment, at, round, link_id],
    )
}
