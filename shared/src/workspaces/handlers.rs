//! Workspace, member and invitation handlers. Access was checked from the route table before
//! any of these runs; they parse, call the use case and respond.

use serde_json::{Map, Value as Json};

use super::model::*;
use super::{invites, members, store};
use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::identity::model::Email;
use crate::identity::users;
use crate::sql::Scope;
use crate::validate::{self, Fields};

const DOC_MAX_BYTES: usize = 16 * 1024;

/// The white-label keys of a branding object (or patch) as they must be (`branding.*`).
fn checked_branding(branding: Option<&Map<String, Json>>) -> Result<(), AppError> {
    let errors = branding.map(super::branding::check).unwrap_or_default();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn to_text(map: Map<String, Json>) -> Result<String, AppError> {
    let text = serde_json::to_string(&Json::Object(map)).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(text)
}

#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's active workspaces with the caller's role in each", body = Envelope<Vec<WorkspaceView>>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, store::list_for(ctx.db, &call.caller()?.user_id).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces", security(("bearer" = [])),
    request_body = CreateWorkspaceInput,
    responses(
        (status = 201, description = "Created; the caller is its owner", body = Envelope<WorkspaceView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CreateWorkspaceInput = json::parse(&call.req.body)?;
    let user_id = &call.caller()?.user_id;
    let mut f = Fields::default();
    let name = f.take("name", validate::name(&input.name));
    let timezone = f.take_opt("timezone", input.timezone, |t| validate::timezone(&t));
    let branding = f.take_opt("branding", input.branding, |b| validate::object(b, DOC_MAX_BYTES));
    let settings = f.take_opt("settings", input.settings, |s| validate::object(s, DOC_MAX_BYTES));
    let Some(name) = name.filter(|_| f.is_ok()) else {
        return Err(f.error());
    };
    checked_branding(branding.as_ref())?;
    let timezone = match timezone {
        Some(tz) => tz,
        None => users::by_id(ctx.db, user_id).await?.map_or_else(|| "UTC".to_string(), |u| u.view.timezone),
    };
    let id = ctx.new_id();
    let mut statements: Vec<_> = store::create(store::NewWorkspace {
        id: &id,
        name: &name,
        timezone: &timezone,
        branding: to_text(branding.unwrap_or_default())?,
        settings: to_text(settings.unwrap_or_default())?,
        owner_id: user_id,
        now_ms: ctx.clock.now_ms(),
    })
    .into();
    statements.push(crate::plans::store::create(&id, ctx.config.plans.default_plan, ctx.clock.now_ms()));
    // The workspace's first entry in its own log, in the batch that creates it.
    statements.push(activity::record(
        ctx,
        call,
        &id,
        Change {
            action: "workspace.create",
            entity_type: "workspace",
            entity_id: &id,
            before: None,
            after: Some(serde_json::json!({"id": id, "name": name, "timezone": timezone})),
        },
    ));
    ctx.db.set_scope(Scope { workspace_id: Some(id.clone()), ..ctx.db.scope() });
    ctx.db.batch(&statements).await?;
    Ok(json::ok(201, store::get_for(ctx.db, &id, user_id).await?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}", tag = "workspaces", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses(
        (status = 200, description = "The workspace", body = Envelope<WorkspaceView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND, also for a workspace the caller does not belong to", body = ErrorEnvelope),
    ))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the workspace: one round trip.
    let read = store::get_for_read(call.params.get("workspaceId")?, &call.caller()?.user_id);
    let (_, found) = call.admitted_one(ctx.db, read, store::view_of).await?;
    Ok(json::ok(200, found))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}", tag = "workspaces", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    request_body = UpdateWorkspaceInput,
    responses(
        (status = 200, description = "The updated workspace", body = Envelope<WorkspaceView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: UpdateWorkspaceInput = json::parse(&call.req.body)?;
    let (member, user_id) = (call.member()?, &call.caller()?.user_id);
    let mut f = Fields::default();
    let name = f.take_opt("name", input.name, |n| validate::name(&n));
    let timezone = f.take_opt("timezone", input.timezone, |t| validate::timezone(&t));
    let branding = f.take_opt("branding", input.branding, |b| validate::object(b, DOC_MAX_BYTES));
    let settings = f.take_opt("settings", input.settings, |s| validate::object(s, DOC_MAX_BYTES));
    if !f.is_ok() {
        return Err(f.error());
    }
    checked_branding(branding.as_ref())?;
    let current = store::get_for(ctx.db, &member.workspace_id, user_id).await?;
    let before = serde_json::to_value(&current).ok();
    let mut after_view = current.clone();
    let merge = |mut base: Map<String, Json>, patch: Map<String, Json>, field: &str| {
        validate::merge_patch(&mut base, patch);
        let text = to_text(base)?;
        if text.len() > DOC_MAX_BYTES {
            return Err(AppError::field(field, format!("must be at most {DOC_MAX_BYTES} bytes of JSON")));
        }
        Ok(text)
    };
    let change = store::WorkspaceChange {
        name,
        timezone,
        branding: branding.map(|p| merge(current.branding, p, "branding")).transpose()?,
        settings: settings.map(|p| merge(current.settings, p, "settings")).transpose()?,
    };
    if let Some(n) = &change.name {
        after_view.name = n.clone();
    }
    if let Some(t) = &change.timezone {
        after_view.timezone = t.clone();
    }
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str::<Map<String, Json>>(t).ok());
    if let Some(b) = parse(&change.branding) {
        after_view.branding = b;
    }
    if let Some(s) = parse(&change.settings) {
        after_view.settings = s;
    }
    let record = activity::record(
        ctx,
        call,
        &member.workspace_id,
        Change {
            action: "workspace.update",
            entity_type: "workspace",
            entity_id: &member.workspace_id,
            before,
            after: serde_json::to_value(&after_view).ok(),
        },
    );
    ctx.db.batch(&[store::update(&member.workspace_id, change, ctx.clock.now_ms()), record]).await?;
    Ok(json::ok(200, store::get_for(ctx.db, &member.workspace_id, user_id).await?))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}", tag = "workspaces", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses(
        (status = 200, description = "Archived: it disappears from every member's list; its data is kept", body = Envelope<WorkspaceView>),
        (status = 403, description = "FORBIDDEN: owners only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, user_id) = (call.member()?, &call.caller()?.user_id);
    let mut view = store::get_for(ctx.db, &member.workspace_id, user_id).await?;
    let before = serde_json::to_value(&view).ok();
    view.status = "archived".into();
    let change = Change {
        action: "workspace.archive",
        entity_type: "workspace",
        entity_id: &member.workspace_id,
        before,
        after: serde_json::to_value(&view).ok(),
    };
    let [archive, guard] = store::archive(&member.workspace_id, ctx.clock.now_ms());
    let record = activity::record(ctx, call, &member.workspace_id, change);
    ctx.db.batch(&[archive, guard, record]).await.map_err(|e| match e {
        crate::sql::DbError::Constraint(_) => AppError::not_found("workspace"),
        other => other.into(),
    })?;
    Ok(json::ok(200, view))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/erase", tag = "workspaces", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = EraseWorkspaceInput,
    responses(
        (status = 200, description = "Erased, at once and for good: every row of the workspace (members, clients, campaigns, posts and versions, media, templates, approvals, review links, connected accounts with their sealed credentials, publications, the activity log, the plan); within minutes (the scheduled tick) its files leave storage and each platform that offers it revokes the accounts' grants. Works while suspended", body = Envelope<WorkspaceErased>),
        (status = 400, description = "VALIDATION_ERROR: confirmName is not the workspace's name", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: a paid plan is still running at the payment provider: cancel it in the billing portal first", body = ErrorEnvelope),
    ))]
pub async fn erase(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: EraseWorkspaceInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let answers = ctx.db.reads(&store::erase_reads(&ws)).await?;
    let rows = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let name = rows(0).first().and_then(|r| r.opt_text("name").ok().flatten());
    let name = name.ok_or_else(|| AppError::not_found("workspace"))?;
    if input.confirm_name != name {
        return Err(AppError::field("confirmName", "must be the workspace's name, exactly"));
    }
    if !rows(1).is_empty() {
        return Err(AppError::Conflict(
            "the workspace's paid plan is still running: cancel it in the billing portal first".into(),
        ));
    }
    let changed = ctx.db.batch(&store::erase(&ws, ctx.clock.now_ms())).await?;
    // D1 counts the rows a cascade deletes too: any count but none is the workspace gone.
    if changed.get(2).is_none_or(|n| *n == 0) {
        return Err(AppError::not_found("workspace"));
    }
    let files_queued = changed.first().copied().unwrap_or(0);
    Ok(json::ok(200, WorkspaceErased { id: ws, erased: true, files_queued }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/members", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), PageQuery),
    responses(
        (status = 200, description = "Members and their roles, in the order they joined", body = Envelope<Page<MemberView>>),
        (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: client members cannot list the team", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list_members(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_key(call.req)?;
    // The membership check and the page: one round trip.
    let read = members::page_read(call.params.get("workspaceId")?, &paging)?;
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    Ok(json::ok(200, members::page_of(answers.first().map_or(&[][..], Vec::as_slice), &paging)?))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/members/{userId}", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("userId" = String, Path)),
    request_body = UpdateMemberInput,
    responses(
        (status = 200, description = "The member with the new role", body = Envelope<MemberView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: granting above one's own role, or changing someone above", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the last owner cannot be demoted", body = ErrorEnvelope),
    ))]
pub async fn update_member(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: UpdateMemberInput = json::parse(&call.req.body)?;
    let role = members::parse_role(&input.role).map_err(|m| AppError::field("role", m))?;
    let member = call.member()?;
    let target = call.params.get("userId")?;
    members::change_role(ctx, call, target, role).await?;
    let view =
        members::one(ctx.db, &member.workspace_id, target).await?.ok_or_else(|| AppError::not_found("member"))?;
    Ok(json::ok(200, view))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/members/{userId}", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 200, description = "Removed, or left when userId is the caller", body = Envelope<Removed>),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the last owner cannot leave", body = ErrorEnvelope),
    ))]
pub async fn remove_member(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let target = call.params.get("userId")?;
    members::remove(ctx, call, target).await?;
    Ok(json::ok(200, Removed { removed: true }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/invites", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), PageQuery),
    responses(
        (status = 200, description = "Invitations not yet accepted nor expired, oldest first", body = Envelope<Page<InviteView>>),
        (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list_invites(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    Ok(json::ok(200, invites::pending(ctx, call, &paging).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/invites", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    request_body = CreateInviteInput,
    responses(
        (status = 201, description = "Invitation created and emailed; the token travels only by email", body = Envelope<InviteView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: inviting above one's own role", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: already a member", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the mail provider failed", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no mail provider configured", body = ErrorEnvelope),
    ))]
pub async fn invite(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CreateInviteInput = json::parse(&call.req.body)?;
    let mut f = Fields::default();
    let email = f.take("email", Email::parse(&input.email));
    let role = f.take("role", members::parse_role(&input.role));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(f.error());
    };
    let view = invites::create(ctx, call, email, role).await?;
    Ok(json::ok(201, view))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/invites/{inviteId}", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("inviteId" = String, Path)),
    responses(
        (status = 200, description = "Withdrawn: its token no longer works", body = Envelope<InviteView>),
        (status = 403, description = "FORBIDDEN: the caller may not invite, or may not grant the invitation's role", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no pending invitation with this id here", body = ErrorEnvelope),
    ))]
pub async fn revoke_invite(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, invites::revoke(ctx, call, call.params.get("inviteId")?).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/invites/{inviteId}/resend", tag = "members", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("inviteId" = String, Path)),
    responses(
        (status = 200, description = "Sent again under a fresh token and expiry; the previous token no longer works", body = Envelope<InviteView>),
        (status = 403, description = "FORBIDDEN: the caller may not invite, or may not grant the invitation's role", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no pending invitation with this id here", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: mail cannot be sent; the invitation is unchanged", body = ErrorEnvelope),
    ))]
pub async fn resend_invite(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, invites::resend(ctx, call, call.params.get("inviteId")?).await?))
}

#[utoipa::path(post, path = "/api/v1/invites/accept", tag = "members", security(("bearer" = [])),
    request_body = AcceptInviteInput,
    responses(
        (status = 200, description = "Joined; the workspace with the new role", body = Envelope<WorkspaceView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: the invitation is for another address; EMAIL_NOT_VERIFIED: the caller has not verified their address yet (when verification is on)", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: unknown, expired or withdrawn invitation (its inviter was removed, or may no longer grant the role)", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: already used, or already a member", body = ErrorEnvelope),
        (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more members; the invitation stays valid; `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
    ))]
pub async fn accept_invite(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: AcceptInviteInput = json::parse(&call.req.body)?;
    let token = input.token.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(AppError::field("token", "must be the token from the invitation email"));
    }
    let user_id = &call.caller()?.user_id;
    let workspace_id = invites::accept(ctx, call, user_id, token).await?;
    Ok(json::ok(200, store::get_for(ctx.db, &workspace_id, user_id).await?))
}
