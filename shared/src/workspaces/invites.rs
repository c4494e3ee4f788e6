//! Invitations by email (SPEC IAM-7): single use, expiring, only the token's hash stored.
//! Accepting requires signing in as the invited address. An invitation is never stronger than
//! whoever sent it: accepting checks, inside the writing statement, that the inviter is still a
//! member who may invite and grant that role; removing or demoting them revokes what they sent.

use super::model::InviteView;
use super::permissions::{Permission, Role};
use super::store::role_of;
use crate::activity::{self, Change};
use crate::api::paging::{self, ById, Page};
use crate::api::Call;
use crate::api::Context;
use crate::error::AppError;
use crate::identity::model::Email;
use crate::identity::{tokens, users};
use crate::mail::MailMessage;
use crate::params;
use crate::sql::{DbError, Row, Scope, Statement};
use crate::validate::rfc3339;

/// The invitations still waiting to be accepted, oldest first, one page after the id `after`.
pub async fn pending(ctx: &Context<'_>, workspace_id: &str, paging: &ById) -> Result<Page<InviteView>, AppError> {
    let rows = ctx
        .db
        .query(
            "SELECT id, workspace_id, email, role, expires_at, created_at FROM invites \
             WHERE workspace_id = ?1 AND accepted_at IS NULL AND expires_at > ?2 AND (?3 = '' OR id > ?3) \
             ORDER BY id LIMIT ?4",
            &params![workspace_id, ctx.clock.now_ms(), paging.after.as_str(), paging.limit + 1],
        )
        .await?;
    let decode = |r: &Row| {
        Ok(InviteView {
            id: r.text("id")?,
            workspace_id: r.text("workspace_id")?,
            email: r.text("email")?,
            role: role_of(r)?,
            expires_at: rfc3339(r.int("expires_at")?),
            created_at: rfc3339(r.int("created_at")?),
        })
    };
    let (items, next_cursor) = paging::page(&rows, paging.limit, decode, |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

pub async fn create(ctx: &Context<'_>, call: &Call<'_>, email: Email, role: Role) -> Result<InviteView, AppError> {
    let (inviter, inviter_id) = (call.member()?, call.caller()?.user_id.as_str());
    if !inviter.role.may_grant(role) {
        return Err(AppError::Forbidden(format!("a {} cannot invite a {}", inviter.role.as_str(), role.as_str())));
    }
    if let Some(user) = users::by_email(ctx.db, &email).await? {
        if super::store::role_in(ctx.db, &inviter.workspace_id, &user.view.id).await?.is_some() {
            return Err(AppError::Conflict("this person is already a member".into()));
        }
    }
    let token = tokens::opaque_token(ctx.random.bytes());
    let id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let expires = now + ctx.config.invite_ttl_secs * 1000;
    ctx.db
        .execute(
            "INSERT INTO invites (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &params![
                id.as_str(),
                inviter.workspace_id.as_str(),
                email.as_str(),
                role.as_str(),
                tokens::token_hash(&token),
                inviter_id,
                expires,
                now
            ],
        )
        .await?;

    let message =
        invitation_mail(ctx, &inviter.workspace_id, inviter_id, email.as_str(), role, &token, expires).await?;
    if let Err(err) = ctx.mail.send(&message).await {
        // An invitation nobody can receive must not linger.
        ctx.db.execute("DELETE FROM invites WHERE id = ?1", &params![id.as_str()]).await?;
        return Err(err);
    }
    let view = InviteView {
        id,
        workspace_id: inviter.workspace_id.clone(),
        email: email.as_str().to_string(),
        role,
        expires_at: rfc3339(expires),
        created_at: rfc3339(now),
    };
    // Logged once the mail is out: an invitation that could not be sent was never made.
    let change = Change {
        action: "invite.create",
        entity_type: "invite",
        entity_id: &view.id,
        before: None,
        after: serde_json::to_value(&view).ok(),
    };
    ctx.db.batch(&[activity::record(ctx, call, &inviter.workspace_id, change)]).await?;
    Ok(view)
}

/// The mail that carries an invitation's token.
async fn invitation_mail(
    ctx: &Context<'_>,
    workspace_id: &str,
    inviter_id: &str,
    email: &str,
    role: Role,
    token: &str,
    expires: i64,
) -> Result<MailMessage, AppError> {
    let workspace = ctx
        .db
        .query_one("SELECT name FROM workspaces WHERE id = ?1", &params![workspace_id])
        .await?
        .ok_or_else(|| AppError::not_found("workspace"))?
        .text("name")?;
    let inviter_name = users::by_id(ctx.db, inviter_id).await?.map(|u| u.view.name).unwrap_or_default();
    let link = format!("{}/invites/accept?token={token}", ctx.config.app_url.trim_end_matches('/'));
    Ok(MailMessage {
        to: email.to_string(),
        subject: format!("{inviter_name} invited you to {workspace} on Herald"),
        text: format!(
            "{inviter_name} invited you to join the workspace \"{workspace}\" as {role}.\n\n\
             Accept the invitation: {link}\n\nOr send this token to POST /api/v1/invites/accept:\n{token}\n\n\
             The invitation expires on {}.\n",
            rfc3339(expires),
            role = role.as_str(),
        ),
    })
}

/// A pending invitation of this workspace that the caller may manage: one whose role the
/// caller may grant (an admin does not touch an owner's invitation of an admin).
async fn manageable(ctx: &Context<'_>, call: &Call<'_>, invite_id: &str) -> Result<InviteView, AppError> {
    let member = call.member()?;
    let row = ctx
        .db
        .query_one(
            "SELECT id, workspace_id, email, role, expires_at, created_at FROM invites \
             WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
            &params![member.workspace_id.as_str(), invite_id],
        )
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    let view = InviteView {
        id: row.text("id")?,
        workspace_id: row.text("workspace_id")?,
        email: row.text("email")?,
        role: role_of(&row)?,
        expires_at: rfc3339(row.int("expires_at")?),
        created_at: rfc3339(row.int("created_at")?),
    };
    if !member.role.may_grant(view.role) {
        return Err(AppError::Forbidden(format!(
            "a {} cannot manage an invitation as {}",
            member.role.as_str(),
            view.role.as_str()
        )));
    }
    Ok(view)
}

/// Withdraws a pending invitation: its token stops working at once.
pub async fn revoke(ctx: &Context<'_>, call: &Call<'_>, invite_id: &str) -> Result<InviteView, AppError> {
    let view = manageable(ctx, call, invite_id).await?;
    let change = Change {
        action: "invite.revoke",
        entity_type: "invite",
        entity_id: &view.id,
        before: serde_json::to_value(&view).ok(),
        after: None,
    };
    let ws = view.workspace_id.as_str();
    let results = ctx
        .db
        .batch(&[
            Statement::new(
                "DELETE FROM invites WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
                params![ws, view.id.as_str()],
            ),
            activity::record(ctx, call, ws, change),
        ])
        .await?;
    if results.first().copied().unwrap_or(0) == 0 {
        // Accepted or withdrawn in between: nothing to revoke any more.
        return Err(AppError::not_found("invitation"));
    }
    Ok(view)
}

/// Sends a pending invitation again under a fresh token and a fresh expiry; the old token stops
/// working. The caller becomes its inviter (accepting checks the inviter's rights).
pub async fn resend(ctx: &Context<'_>, call: &Call<'_>, invite_id: &str) -> Result<InviteView, AppError> {
    let mut view = manageable(ctx, call, invite_id).await?;
    let caller = call.caller()?.user_id.as_str();
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let expires = now + ctx.config.invite_ttl_secs * 1000;
    let message = invitation_mail(ctx, &view.workspace_id, caller, &view.email, view.role, &token, expires).await?;
    // Mail first: if it cannot be sent, the old token still works and nothing changed. The new
    // token works only once stored, and is stored only for an invitation still pending.
    ctx.mail.send(&message).await?;
    let stored = ctx
        .db
        .execute(
            "UPDATE invites SET token_hash = ?3, expires_at = ?4, invited_by = ?5 \
             WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
            &params![view.workspace_id.as_str(), view.id.as_str(), tokens::token_hash(&token), expires, caller],
        )
        .await?;
    if stored == 0 {
        return Err(AppError::not_found("invitation"));
    }
    view.expires_at = rfc3339(expires);
    let change = Change {
        action: "invite.resend",
        entity_type: "invite",
        entity_id: &view.id,
        before: None,
        after: serde_json::to_value(&view).ok(),
    };
    ctx.db.batch(&[activity::record(ctx, call, &view.workspace_id, change)]).await?;
    Ok(view)
}

/// Spends the invitation and creates the membership in one atomic batch. Answers the workspace id.
pub async fn accept(ctx: &Context<'_>, call: &Call<'_>, user_id: &str, token: &str) -> Result<String, AppError> {
    let now = ctx.clock.now_ms();
    let invalid = || AppError::NotFound("invitation not found or expired".into());
    let hash = tokens::token_hash(token);
    // Knowing the token is what lets the caller see the invitation, whatever its workspace.
    ctx.db.set_scope(Scope { invite_token_hash: Some(hash.clone()), ..ctx.db.scope() });
    let row = ctx
        .db
        .query_one(
            "SELECT id, workspace_id, email, role, expires_at, accepted_at FROM invites WHERE token_hash = ?1",
            &params![hash],
        )
        .await?
        .ok_or_else(invalid)?;
    let (invite_id, workspace_id) = (row.text("id")?, row.text("workspace_id")?);
    let role = Role::parse(&row.text("role")?).ok_or_else(|| AppError::Internal("stored role is unknown".into()))?;
    ctx.db.set_scope(Scope { workspace_id: Some(workspace_id.clone()), ..ctx.db.scope() });
    let live = ctx
        .db
        .query_one("SELECT id FROM workspaces WHERE id = ?1 AND archived_at IS NULL", &params![workspace_id.as_str()])
        .await?;
    if live.is_none() || row.int("expires_at")? <= now {
        return Err(invalid());
    }
    if row.opt_int("accepted_at")?.is_some() {
        return Err(AppError::Conflict("this invitation has already been used".into()));
    }
    let user = users::by_id(ctx.db, user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("account no longer exists".into()))?;
    if user.view.email != row.text("email")? {
        return Err(AppError::Forbidden("this invitation was sent to another email address".into()));
    }
    // Whoever took the address first must not take what is sent to it (SPEC IAM-1).
    crate::identity::account::require_verified(
        ctx,
        &user.view,
        "verify your email address before accepting invitations sent to it",
    )?;
    if super::store::role_in(ctx.db, &workspace_id, user_id).await?.is_some() {
        return Err(AppError::Conflict("you are already a member of this workspace".into()));
    }
    // The inviter's standing is read here for a clear answer, and checked again by the update.
    let inviter_ok = format!(
        "EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = invites.workspace_id \
         AND m.user_id = invites.invited_by AND m.role IN ({}))",
        granters(role)
    );
    let inviter = ctx
        .db
        .query_one(
            &format!("SELECT 1 AS one FROM invites WHERE id = ?1 AND {inviter_ok}"),
            &params![invite_id.as_str()],
        )
        .await?;
    if inviter.is_none() {
        return Err(revoked());
    }
    ctx.db
        .batch(&[
            Statement::new(
                format!(
                    "UPDATE invites SET accepted_at = ?2, accepted_by = ?3 WHERE id = ?1 AND accepted_at IS NULL \
                     AND expires_at > ?2 AND {inviter_ok}"
                ),
                params![invite_id.as_str(), now, user_id],
            ),
            // Inserts only if the update above spent the invitation for this user now.
            Statement::new(
                "INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at) \
                 SELECT workspace_id, accepted_by, role, accepted_at, accepted_at FROM invites \
                 WHERE id = ?1 AND accepted_by = ?2 AND accepted_at = ?3",
                params![invite_id.as_str(), user_id, now],
            ),
            Statement::guard(
                "SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND created_at = ?3",
                params![workspace_id.as_str(), user_id, now],
            ),
            activity::record(
                ctx,
                call,
                &workspace_id,
                Change {
                    action: "invite.accept",
                    entity_type: "member",
                    entity_id: user_id,
                    before: None,
                    after: Some(serde_json::json!({ "inviteId": invite_id })),
                },
            ),
        ])
        .await
        .map_err(|e| match e {
            DbError::Constraint(_) => {
                AppError::Conflict("this invitation has already been used, or was withdrawn meanwhile".into())
            }
            other => other.into(),
        })?;
    Ok(workspace_id)
}

fn revoked() -> AppError {
    AppError::NotFound("invitation withdrawn: whoever sent it may no longer grant this role".into())
}

/// The roles that may send an invitation to `role`, as an SQL list of literals (fixed role
/// names from the permission table, never input).
fn granters(role: Role) -> String {
    Role::ALL
        .into_iter()
        .filter(|r| Permission::MembersInvite.granted_to(*r) && r.may_grant(role))
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Withdraws the pending invitations `inviter` sent that `now_role` (none: they left) may no
/// longer send. In the same batch as the removal or the role change.
pub fn revoke_sent(workspace_id: &str, inviter: &str, now_role: Option<Role>) -> Statement {
    let still = match now_role {
        Some(r) => Role::ALL
            .into_iter()
            .filter(|invited| Permission::MembersInvite.granted_to(r) && r.may_grant(*invited))
            .map(|invited| format!("'{}'", invited.as_str()))
            .collect::<Vec<_>>(),
        None => Vec::new(),
    };
    let keep = if still.is_empty() { String::new() } else { format!(" AND role NOT IN ({})", still.join(", ")) };
    Statement::new(
        format!("DELETE FROM invites WHERE workspace_id = ?1 AND invited_by = ?2 AND accepted_at IS NULL{keep}"),
        params![workspace_id, inviter],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_those_who_may_invite_and_grant_a_role_stand_behind_its_invitation() {
        assert_eq!(granters(Role::Owner), "'owner'");
        assert_eq!(granters(Role::Admin), "'owner', 'admin'");
        assert_eq!(granters(Role::Client), "'owner', 'admin'");
    }
}
