//! Members and their roles. The rules: nobody grants a role above their own, nobody changes
//! or removes someone above them, and the last owner can neither leave nor be demoted — the
//! last rule is checked inside the writing statement, so two racing demotions cannot both win.

use super::model::MemberView;
use super::permissions::{Permission, Role};
use super::store::role_of;
use crate::api::Member;
use crate::error::AppError;
use crate::params;
use crate::sql::Sql;
use crate::validate::rfc3339;

pub fn parse_role(input: &str) -> Result<Role, String> {
    Role::parse(input.trim()).ok_or_else(|| "must be one of owner, admin, editor, writer, viewer, client".to_string())
}

pub async fn list(db: &dyn Sql, workspace_id: &str) -> Result<Vec<MemberView>, AppError> {
    let rows = db
        .query(
            "SELECT m.user_id AS user_id, u.email AS email, u.name AS name, m.role AS role, m.created_at AS created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = ?1 ORDER BY m.created_at, m.user_id",
            &params![workspace_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberView {
                user_id: r.text("user_id")?,
                email: r.text("email")?,
                name: r.text("name")?,
                role: role_of(r)?,
                joined_at: rfc3339(r.int("created_at")?),
            })
        })
        .collect()
}

pub async fn role_in(db: &dyn Sql, workspace_id: &str, user_id: &str) -> Result<Option<Role>, AppError> {
    match db
        .query_one(
            "SELECT role FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
            &params![workspace_id, user_id],
        )
        .await?
    {
        Some(row) => Ok(Some(role_of(&row)?)),
        None => Ok(None),
    }
}

const LAST_OWNER_GUARD: &str = "(role <> 'owner' OR (SELECT COUNT(*) FROM memberships o \
     WHERE o.workspace_id = ?1 AND o.role = 'owner') > 1)";

pub async fn change_role(
    db: &dyn Sql,
    actor: &Member,
    target_user: &str,
    role: Role,
    now_ms: i64,
) -> Result<(), AppError> {
    let current = role_in(db, &actor.workspace_id, target_user).await?.ok_or_else(|| AppError::not_found("member"))?;
    if !actor.role.may_grant(role) {
        return Err(AppError::Forbidden(format!("a {} cannot grant the {} role", actor.role.as_str(), role.as_str())));
    }
    if !actor.role.may_manage(current) {
        return Err(AppError::Forbidden(format!("a {} cannot change a {}", actor.role.as_str(), current.as_str())));
    }
    if current == role {
        return Ok(());
    }
    let sql = format!(
        "UPDATE memberships SET role = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND user_id = ?2 AND {LAST_OWNER_GUARD}"
    );
    let changed = db.execute(&sql, &params![actor.workspace_id.as_str(), target_user, role.as_str(), now_ms]).await?;
    if changed == 0 {
        return Err(AppError::Conflict("the last owner cannot be demoted".into()));
    }
    Ok(())
}

/// Removes `target_user`, or lets the actor leave when it is themself.
pub async fn remove(db: &dyn Sql, actor: &Member, actor_id: &str, target_user: &str) -> Result<(), AppError> {
    let current = role_in(db, &actor.workspace_id, target_user).await?.ok_or_else(|| AppError::not_found("member"))?;
    if actor_id != target_user {
        if !Permission::MembersManage.granted_to(actor.role) {
            return Err(AppError::Forbidden(format!("the {} role may not remove members", actor.role.as_str())));
        }
        if !actor.role.may_manage(current) {
            return Err(AppError::Forbidden(format!("a {} cannot remove a {}", actor.role.as_str(), current.as_str())));
        }
    }
    let sql = format!("DELETE FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND {LAST_OWNER_GUARD}");
    let changed = db.execute(&sql, &params![actor.workspace_id.as_str(), target_user]).await?;
    if changed == 0 {
        return Err(AppError::Conflict("the last owner cannot leave; make someone else owner first".into()));
    }
    Ok(())
}
