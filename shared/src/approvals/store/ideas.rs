//! Idea decisions.

use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement};

/// The read of who approved idea `idea_id` in its current round (`IdeaView::stage_round`, by
/// subquery), with the stage of each approval, to send with the idea's own read in one round
/// trip; [`approved_of`] reads it for one stage.
pub fn approved_read(workspace_id: &str, idea_id: &str) -> Statement {
    Statement::new(
        "SELECT DISTINCT user_id, stage FROM idea_decisions WHERE workspace_id = ?1 AND idea_id = ?2 \
         AND decision = 'approve' AND stage_round = (SELECT stage_round FROM ideas WHERE workspace_id = ?1 AND id = ?2)",
        params![workspace_id, idea_id],
    )
}

/// Who [`approved_read`] found approving `stage`.
pub fn approved_of(rows: &[Row], stage: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for r in rows {
        if r.text("stage")? == stage {
            out.push(r.text("user_id")?);
        }
    }
    Ok(out)
}

/// The read of the addresses of the workspace's members and of idea `idea_id`'s author (who may
/// have left), to send with the idea's own read in one round trip; `notifications::addresses_of`
/// reads it.
pub fn addresses_read(workspace_id: &str, idea_id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT id, email, {} FROM users WHERE id IN (SELECT user_id FROM memberships WHERE workspace_id = ?1) \
         OR id = (SELECT created_by FROM ideas WHERE workspace_id = ?1 AND id = ?2)",
            crate::collab::store::notifications::FROM_COLUMNS
        ),
        params![workspace_id, idea_id],
    )
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
