//! The only SQL on `memberships` beside the role look-up of the store's root.

use super::role_of;
use crate::api::paging::{self, int_key, ByKey, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;
use crate::workspaces::model::MemberView;
use crate::workspaces::permissions::Role;

const MEMBER: &str = "SELECT m.user_id AS user_id, u.email AS email, u.name AS name, m.role AS role, \
     m.created_at AS created_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1";

fn decode(r: &Row) -> Result<MemberView, AppError> {
    Ok(MemberView {
        user_id: r.text("user_id")?,
        email: r.text("email")?,
        name: r.text("name")?,
        role: role_of(r)?,
        joined_at: rfc3339(r.int("created_at")?),
    })
}

/// Members in the order they joined, one page after the member `after` (join time, user id).
/// The read of one page of members, oldest first, after `paging`'s (joined, user id): to send
/// with others in one round trip (`Sql::reads`); [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, paging: &ByKey) -> Result<Statement, AppError> {
    let (at, after) = match &paging.after {
        Some((key, id)) => (int_key(key)?, id.as_str()),
        None => (0, ""),
    };
    Ok(Statement::new(
        format!(
            "{MEMBER} AND (?2 = '' OR m.created_at > ?3 OR (m.created_at = ?3 AND m.user_id > ?2)) \
             ORDER BY m.created_at, m.user_id LIMIT ?4"
        ),
        params![workspace_id, after, at, paging.limit + 1],
    ))
}

/// The page [`page_read`] found.
pub fn page_of(rows: &[Row], paging: &ByKey) -> Result<Page<MemberView>, AppError> {
    let (items, next_cursor) = paging::page(rows, paging.limit, decode, |r| {
        Ok(paging::keyed(&r.int("created_at")?.to_string(), &r.text("user_id")?))
    })?;
    Ok(Page { items, next_cursor })
}

/// Every member, for checks over the whole team (a workflow naming its approvers).
pub async fn list(db: &dyn Sql, workspace_id: &str) -> Result<Vec<MemberView>, AppError> {
    let sql = format!("{MEMBER} ORDER BY m.created_at, m.user_id");
    db.query(&sql, &params![workspace_id]).await?.iter().map(decode).collect()
}

pub async fn one(db: &dyn Sql, workspace_id: &str, user_id: &str) -> Result<Option<MemberView>, AppError> {
    let sql = format!("{MEMBER} AND m.user_id = ?2");
    db.query_one(&sql, &params![workspace_id, user_id]).await?.as_ref().map(decode).transpose()
}

/// Holds inside the writing statement, so two racing demotions cannot both win.
const LAST_OWNER_GUARD: &str = "(role <> 'owner' OR (SELECT COUNT(*) FROM memberships o \
     WHERE o.workspace_id = ?1 AND o.role = 'owner') > 1)";

/// Sets the member's role unless that leaves the workspace without an owner: then the guard
/// fails the batch (a constraint error) and nothing is written.
pub fn set_role(workspace_id: &str, user_id: &str, role: Role, now_ms: i64) -> [Statement; 2] {
    [
        Statement::new(
            format!(
                "UPDATE memberships SET role = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND user_id = ?2 \
                 AND {LAST_OWNER_GUARD}"
            ),
            params![workspace_id, user_id, role.as_str(), now_ms],
        ),
        Statement::guard(
            "SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND role = ?3 AND updated_at = ?4",
            params![workspace_id, user_id, role.as_str(), now_ms],
        ),
    ]
}

/// Removes the member unless they are the last owner: then the guard fails the batch.
pub fn delete(workspace_id: &str, user_id: &str) -> [Statement; 2] {
    [
        Statement::new(
            format!("DELETE FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND {LAST_OWNER_GUARD}"),
            params![workspace_id, user_id],
        ),
        Statement::guard(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2)",
            params![workspace_id, user_id],
        ),
    ]
}
