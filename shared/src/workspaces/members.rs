//! Members and their roles. The rules: nobody grants a role above their own, nobody changes
//! or removes someone above them, and the last owner can neither leave nor be demoted — the
//! last rule is checked inside the writing statement, so two racing demotions cannot both win.

use super::model::MemberView;
use super::permissions::{Permission, Role};
use super::store::role_of;
use serde_json::json;

use crate::activity::{self, Change};
use crate::api::paging::{self, int_key, ByKey, Page};
use crate::api::{Call, Context};
use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};
use crate::validate::rfc3339;

pub fn parse_role(input: &str) -> Result<Role, String> {
    Role::parse(input.trim()).ok_or_else(|| "must be one of owner, admin, editor, writer, viewer, client".to_string())
}

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
pub async fn page(db: &dyn Sql, workspace_id: &str, paging: &ByKey) -> Result<Page<MemberView>, AppError> {
    let (at, after) = match &paging.after {
        Some((key, id)) => (int_key(key)?, id.as_str()),
        None => (0, ""),
    };
    let sql = format!(
        "{MEMBER} AND (?2 = '' OR m.created_at > ?3 OR (m.created_at = ?3 AND m.user_id > ?2)) \
         ORDER BY m.created_at, m.user_id LIMIT ?4"
    );
    let rows = db.query(&sql, &params![workspace_id, after, at, paging.limit + 1]).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, decode, |r| {
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

pub use super::store::role_in;

const LAST_OWNER_GUARD: &str = "(role <> 'owner' OR (SELECT COUNT(*) FROM memberships o \
     WHERE o.workspace_id = ?1 AND o.role = 'owner') > 1)";

pub async fn change_role(ctx: &Context<'_>, call: &Call<'_>, target_user: &str, role: Role) -> Result<(), AppError> {
    let (db, actor, now_ms) = (ctx.db, call.member()?, ctx.clock.now_ms());
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
    let change = Change {
        action: "member.role",
        entity_type: "member",
        entity_id: target_user,
        before: Some(json!({ "role": current.as_str() })),
        after: Some(json!({ "role": role.as_str() })),
    };
    let batch = [
        Statement::new(sql, params![actor.workspace_id.as_str(), target_user, role.as_str(), now_ms]),
        // The update applied only if it left an owner behind; otherwise nothing is written.
        Statement::guard(
            "SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND role = ?3 AND updated_at = ?4",
            params![actor.workspace_id.as_str(), target_user, role.as_str(), now_ms],
        ),
        // Invitations they sent and may no longer send are withdrawn with the change.
        super::invites::revoke_sent(&actor.workspace_id, target_user, Some(role)),
        activity::record(ctx, call, &actor.workspace_id, change),
    ];
    db.batch(&batch).await.map_err(|e| match e {
        DbError::Constraint(_) => AppError::Conflict("the last owner cannot be demoted".into()),
        other => other.into(),
    })?;
    Ok(())
}

/// Removes `target_user`, or lets the actor leave when it is themself.
pub async fn remove(ctx: &Context<'_>, call: &Call<'_>, target_user: &str) -> Result<(), AppError> {
    let (db, actor, actor_id) = (ctx.db, call.member()?, call.caller()?.user_id.as_str());
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
    let change = Change {
        action: if actor_id == target_user { "member.leave" } else { "member.remove" },
        entity_type: "member",
        entity_id: target_user,
        before: Some(json!({ "role": current.as_str() })),
        after: None,
    };
    let batch = [
        Statement::new(sql, params![actor.workspace_id.as_str(), target_user]),
        Statement::guard(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2)",
            params![actor.workspace_id.as_str(), target_user],
        ),
        // Invitations they sent leave with them.
        super::invites::revoke_sent(&actor.workspace_id, target_user, None),
        activity::record(ctx, call, &actor.workspace_id, change),
    ];
    db.batch(&batch).await.map_err(|e| match e {
        DbError::Constraint(_) => {
            AppError::Conflict("the last owner cannot leave; make someone else owner first".into())
        }
        other => other.into(),
    })?;
    Ok(())
}
