//! Invitations by email (SPEC IAM-7): single use, expiring, only the token's hash stored.
//! Accepting requires signing in as the invited address. An invitation is never stronger than
//! whoever sent it: accepting checks, inside the writing statement, that the inviter is still a
//! member who may invite and grant that role; removing or demoting them revokes what they sent.

use super::model::InviteView;
use super::permissions::Role;
use super::store::{self, invites::NewInvite};
use crate::activity::{self, Change};
use crate::api::paging::{ById, Page};
use crate::api::Call;
use crate::api::Context;
use crate::error::AppError;
use crate::identity::model::Email;
use crate::identity::{tokens, users};
use crate::mail::MailMessage;
use crate::plans::Metric;
use crate::sql::{DbError, Scope};
use crate::validate::rfc3339;

pub use super::store::invites::revoke_sent;

/// The invitations still waiting to be accepted, oldest first, one page after the id `after`: the
/// membership check and the page in one round trip.
pub async fn pending(ctx: &Context<'_>, call: &Call<'_>, paging: &ById) -> Result<Page<InviteView>, AppError> {
    let read = store::invites::pending_read(call.params.get("workspaceId")?, ctx.clock.now_ms(), paging);
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    store::invites::pending_of(answers.first().map_or(&[][..], Vec::as_slice), paging)
}

pub async fn create(ctx: &Context<'_>, call: &Call<'_>, email: Email, role: Role) -> Result<InviteView, AppError> {
    let (inviter, inviter_id) = (call.member()?, call.caller()?.user_id.as_str());
    if !inviter.role.may_grant(role) {
        return Err(AppError::Forbidden(format!("a {} cannot invite a {}", inviter.role.as_str(), role.as_str())));
    }
    // Whether the address is a member's, and the names the mail needs: one round trip.
    let mut reads = store::invites::mail_reads(&inviter.workspace_id, inviter_id);
    let legacy = email.legacy().unwrap_or(email.as_str());
    reads.push(store::invites::member_by_email_read(&inviter.workspace_id, email.as_str(), legacy));
    let answers = ctx.db.reads(&reads).await?;
    if answers.get(2).is_some_and(|rows| !rows.is_empty()) {
        return Err(AppError::Conflict("this person is already a member".into()));
    }
    let names = store::invites::names_of(&answers)?.ok_or_else(|| AppError::not_found("workspace"))?;
    let token = tokens::opaque_token(ctx.random.bytes());
    let id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let expires = now + ctx.config.invite_ttl_secs * 1000;
    let new = NewInvite {
        id: &id,
        workspace_id: &inviter.workspace_id,
        email: email.as_str(),
        role,
        token_hash: tokens::token_hash(&token),
        invited_by: inviter_id,
        expires_at: expires,
        now_ms: now,
    };
    store::invites::insert(ctx.db, new).await?;

    let message = invitation_mail(ctx, &names, email.as_str(), role, &token, expires);
    if let Err(err) = ctx.mail.send(&message).await {
        // An invitation nobody can receive must not linger.
        store::invites::forget(ctx.db, &id).await?;
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

/// The mail that carries an invitation's token, from the workspace as its brand shows it
/// (`store::invites::names_of`): its name, its sender name and its support address.
fn invitation_mail(
    ctx: &Context<'_>,
    named: &store::invites::Named,
    email: &str,
    role: Role,
    token: &str,
    expires: i64,
) -> MailMessage {
    let link = format!("{}/invites/accept?token={token}", ctx.config.app_url.trim_end_matches('/'));
    let (workspace, inviter) = (&named.workspace, &named.inviter);
    let questions =
        named.brand.support_email.as_deref().map(|s| format!("Questions? Write to {s}.\n")).unwrap_or_default();
    MailMessage {
        to: email.to_string(),
        subject: format!("{inviter} invited you to {workspace} on Herald"),
        text: format!(
            "{inviter} invited you to join the workspace \"{workspace}\" as {role}.\n\n\
             Accept the invitation: {link}\n\nOr send this token to POST /api/v1/invites/accept:\n{token}\n\n\
             The invitation expires on {}.\n{questions}",
            rfc3339(expires),
            role = role.as_str(),
        ),
        sender_name: named.brand.sender(),
        reply_to: named.brand.support_email.clone(),
    }
}

/// A pending invitation of this workspace that the caller may manage: one whose role the
/// caller may grant (an admin does not touch an owner's invitation of an admin).
async fn manageable(ctx: &Context<'_>, call: &Call<'_>, invite_id: &str) -> Result<InviteView, AppError> {
    let member = call.member()?;
    let view = store::invites::unaccepted(ctx.db, &member.workspace_id, invite_id)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
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
    let results =
        ctx.db.batch(&[store::invites::withdraw(ws, &view.id), activity::record(ctx, call, ws, change)]).await?;
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
    let answers = ctx.db.reads(&store::invites::mail_reads(&view.workspace_id, caller)).await?;
    let names = store::invites::names_of(&answers)?.ok_or_else(|| AppError::not_found("workspace"))?;
    let message = invitation_mail(ctx, &names, &view.email, view.role, &token, expires);
    // Mail first: if it cannot be sent, the old token still works and nothing changed. The new
    // token works only once stored, and is stored only for an invitation still pending.
    ctx.mail.send(&message).await?;
    let hash = tokens::token_hash(&token);
    if !store::invites::reissue(ctx.db, &view.workspace_id, &view.id, hash, expires, caller).await? {
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
    let invite = store::invites::by_token_hash(ctx.db, &hash).await?.ok_or_else(invalid)?;
    let workspace_id = invite.workspace_id.clone();
    ctx.db.set_scope(Scope { workspace_id: Some(workspace_id.clone()), ..ctx.db.scope() });
    // Everything the answer depends on, in one round trip, in the order it is checked below.
    let answers = ctx
        .db
        .reads(&[
            store::live_read(&workspace_id),
            users::by_id_read(user_id),
            store::role_read(&workspace_id, user_id),
            // The inviter's standing is read here for a clear answer, and checked again by the update.
            store::invites::inviter_stands_read(&invite.id, invite.role),
        ])
        .await?;
    let found = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    if found(0).is_empty() || invite.expires_at <= now {
        return Err(invalid());
    }
    if invite.accepted {
        return Err(AppError::Conflict("this invitation has already been used".into()));
    }
    let user = users::first_of(found(1))?.ok_or_else(|| AppError::Unauthorized("account no longer exists".into()))?;
    if user.view.email != invite.email {
        return Err(AppError::Forbidden("this invitation was sent to another email address".into()));
    }
    // Whoever took the address first must not take what is sent to it (SPEC IAM-1).
    crate::identity::require_verified(
        ctx,
        &user.view,
        "verify your email address before accepting invitations sent to it",
    )?;
    if !found(2).is_empty() {
        return Err(AppError::Conflict("you are already a member of this workspace".into()));
    }
    if found(3).is_empty() {
        return Err(revoked());
    }
    let [spend, join, joined] = store::invites::spend(&invite.id, &workspace_id, invite.role, user_id, now);
    let change = Change {
        action: "invite.accept",
        entity_type: "member",
        entity_id: user_id,
        before: None,
        after: Some(serde_json::json!({ "inviteId": invite.id })),
    };
    // The plan's member limit holds inside the batch that adds the member (SPEC BI-2).
    let hold = crate::plans::store::hold(&workspace_id);
    let within = crate::plans::store::within(&ctx.config.plans, &workspace_id, Metric::Members, now);
    let record = activity::record(ctx, call, &workspace_id, change);
    match ctx.db.batch(&[hold, spend, join, joined, within, record]).await {
        Ok(_) => Ok(workspace_id),
        Err(DbError::Constraint(_)) => {
            let used = AppError::Conflict("this invitation has already been used, or was withdrawn meanwhile".into());
            Err(crate::plans::explain(ctx, &workspace_id, Metric::Members, 1, used).await)
        }
        Err(other) => Err(other.into()),
    }
}

fn revoked() -> AppError {
    AppError::NotFound("invitation withdrawn: whoever sent it may no longer grant this role".into())
}
