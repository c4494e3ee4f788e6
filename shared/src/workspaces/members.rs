//! Members and their roles. The rules: nobody grants a role above their own, nobody changes
//! or removes someone above them, and the last owner can neither leave nor be demoted — the
//! last rule is checked inside the writing statement (`store::members`), so two racing
//! demotions cannot both win.

use super::permissions::{Permission, Role};
use super::store;
use serde_json::json;

use crate::activity::{self, Change};
use crate::api::{Call, Context};
use crate::error::AppError;
use crate::sql::DbError;

pub fn parse_role(input: &str) -> Result<Role, String> {
    Role::parse(input.trim()).ok_or_else(|| "must be one of owner, admin, editor, writer, viewer, client".to_string())
}

pub use super::store::members::{list, one, page_of, page_read};
pub use super::store::role_in;

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
    let change = Change {
        action: "member.role",
        entity_type: "member",
        entity_id: target_user,
        before: Some(json!({ "role": current.as_str() })),
        after: Some(json!({ "role": role.as_str() })),
    };
    // The update applies only if it leaves an owner behind; otherwise nothing is written.
    let [update, applied] = store::members::set_role(&actor.workspace_id, target_user, role, now_ms);
    let batch = [
        update,
        applied,
        // Invitations they sent and may no longer send are withdrawn with the change.
        store::invites::revoke_sent(&actor.workspace_id, target_user, Some(role)),
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
    let change = Change {
        action: if actor_id == target_user { "member.leave" } else { "member.remove" },
        entity_type: "member",
        entity_id: target_user,
        before: Some(json!({ "role": current.as_str() })),
        after: None,
    };
    let [delete, gone] = store::members::delete(&actor.workspace_id, target_user);
    let batch = [
        delete,
        gone,
        // Invitations they sent leave with them.
        store::invites::revoke_sent(&actor.workspace_id, target_user, None),
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
