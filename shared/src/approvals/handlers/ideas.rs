//! Deciding an idea as a member (SPEC AG-5), and a draft post from an approved idea.

use crate::agency::ideas::{load, raced, write, IdeaDecisionInput, IdeaStatus, IdeaView};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::approvals::ideas::{event_of, Decided, ReadWith};
use crate::approvals::reviewing::decide_idea;
use crate::approvals::store::ideas as idea_store;
use crate::content::editing::create_one;
use crate::content::posts::{PostInput, PostView, TargetInput};
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;
use crate::workflows::{self as workflow, Stages};

async fn decide(ctx: &Context<'_>, call: &Call<'_>, approve: bool) -> Result<Response, AppError> {
    let input: IdeaDecisionInput = json::parse_optional(&call.req.body)?;
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if !approve && comment.is_none() {
        return Err(AppError::field("comment", "say what should change"));
    }
    let ws = call.params.get("workspaceId")?.to_string();
    let me = call.caller()?.user_id.clone();
    // The membership check, the idea with its decisions, the workflow and members that decide
    // who may decide it (the same as for posts), who approved its open stage in this round and
    // the addresses its notices go to: one round trip.
    let idea_id = call.params.get("ideaId")?;
    let mut reads = crate::agency::ideas::load_reads(&ws, &me, idea_id).to_vec();
    reads.extend(workflow::store::governing_idea_reads(&ws, idea_id));
    reads.push(idea_store::approved_read(&ws, idea_id));
    reads.push(idea_store::addresses_read(&ws, idea_id));
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let before = crate::agency::ideas::idea_of(answers.get(..2).unwrap_or_default())?;
    let client_stage = before.status == IdeaStatus::AgencyApproved;
    // Nothing to decide in this status: 409, before asking who may decide.
    before.status.apply(event_of(before.status, approve)).map_err(AppError::Conflict)?;
    let client = before.client_id.as_deref();
    let wf = workflow::effective_among(&workflow::store::configs_of(answer(2))?, client)?;
    let members = workflow::store::members_among(answer(3), answer(4), client.unwrap_or_default())?;
    let client_approvers = client.map(|_| workflow::eligible_among(members.clone(), &wf.client, true));
    let spec = if client_stage { &wf.client } else { &wf.internal };
    let internal_default = workflow::Workflow::default().internal;
    let spec = if !client_stage && wf.stages == Stages::None { &internal_default } else { spec };
    let mut allowed = workflow::eligible_among(members, spec, client_stage);
    if !wf.allow_self_approval {
        allowed.retain(|u| *u != before.created_by);
    }
    if !allowed.contains(&me) {
        return Err(AppError::Forbidden(format!(
            "you may not decide the {} stage of this idea",
            if client_stage { "client" } else { "agency" }
        )));
    }
    let all_of = if spec.rule == workflow::Rule::All { allowed } else { Vec::new() };
    let decided = Decided { by: &me, link_id: None, comment, all_of };
    let stage = if client_stage { "client" } else { "agency" };
    let read = ReadWith {
        approved: idea_store::approved_of(answer(5), stage)?,
        client_approvers,
        addresses: Some(crate::collab::notifications::addresses_of(answer(6))?),
    };
    let view = decide_idea(ctx, call, &ws, &before, approve, decided, read).await?;
    if view.status == before.status {
        let message = "approval recorded: this stage needs every approver, and others have yet to approve";
        return Ok(json::ok_with_message(200, view, Some(message.into())));
    }
    Ok(json::ok(200, view))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/approve", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body(content = Option<IdeaDecisionInput>, description = "Optional"),
    responses((status = 200, description = "GENERATED → AGENCY_APPROVED by an internal approver; AGENCY_APPROVED → CLIENT_APPROVED by the client", body = Envelope<IdeaView>),
              (status = 403, description = "FORBIDDEN: not an approver of this stage", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: nothing to decide in this status", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, true).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/reject", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body(content = Option<IdeaDecisionInput>, description = "Optional"),
    responses((status = 200, description = "GENERATED → REJECTED, or AGENCY_APPROVED → CLIENT_REJECTED, with the comment", body = Envelope<IdeaView>),
              (status = 400, description = "VALIDATION_ERROR: a comment is required", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT", body = ErrorEnvelope)))]
pub async fn reject(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, false).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/post", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)),
    responses((status = 201, description = "A draft post made from the approved idea (client-approved, or agency-approved when the campaign has no client)", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: not approved yet, or already a post", body = ErrorEnvelope)))]
pub async fn to_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let before = load(ctx, call).await?;
    let approved = before.status == IdeaStatus::ClientApproved
        || (before.status == IdeaStatus::AgencyApproved && before.client_id.is_none());
    if !approved {
        return Err(AppError::Conflict(format!("a {} idea is not approved for posting", before.status.as_str())));
    }
    if before.post_id.is_some() {
        return Err(AppError::Conflict("this idea already became a post".into()));
    }
    let mut body = [before.hook.clone(), before.caption.clone()].into_iter().flatten().collect::<Vec<_>>().join("\n\n");
    if !before.hashtags.is_empty() {
        body.push_str("\n\n");
        body.push_str(&before.hashtags.join(" "));
    }
    let input = PostInput {
        title: Some(before.title.clone()),
        body: Some(body),
        campaign_id: Some(before.campaign_id.clone()),
        client_id: before.client_id.clone(),
        tags: Some(vec![before.kind.clone()]),
        targets: Some(
            before
                .platforms
                .iter()
                .map(|p| TargetInput { platform: p.clone(), account_id: None, text: None, options: None, media: None })
                .collect(),
        ),
        version: None,
    };
    let post = create_one(ctx, call, input).await?;
    let now = ctx.clock.now_ms();
    let mut idea = before.clone();
    idea.post_id = Some(post.id.clone());
    idea.updated_at = rfc3339(now);
    let [w, g] = write(&ws, &idea, &before, now);
    ctx.db.batch(&[w, g]).await.map_err(raced)?;
    Ok(json::ok(201, post))
}
