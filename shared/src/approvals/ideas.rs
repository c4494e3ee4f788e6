//! Deciding an idea (SPEC AG-5): the agency's stage, then the client's, by the stages of the
//! approval workflow, and a draft post made from an approved idea. The ideas themselves are
//! the agency's (`crate::agency::ideas`).

use crate::activity::{self, Change};
use crate::agency::ideas::{load, raced, write, IdeaDecisionInput, IdeaEvent, IdeaStatus, IdeaView};
use crate::api::documented::{field, required, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::collab::notifications::{self, Notice};
use crate::content::editing::create_one;
use crate::content::posts::{PostInput, PostView, TargetInput};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{DbError, Statement};
use crate::validate::rfc3339;
use crate::workflows::{self as workflow, Stages};
use serde_json::json;

/// Who decided an idea's stage, and how.
pub struct Decided<'a> {
    /// The user the decision row names: the member, or a review link's creator.
    pub by: &'a str,
    pub link_id: Option<&'a str>,
    pub comment: Option<String>,
    /// Under an "all" rule, every approver the stage needs: an approval closes the stage only
    /// once each of them has approved it. Empty for "any", and for a review link (which
    /// speaks for the reviewer it was made for and closes the stage).
    pub all_of: Vec<String>,
}

/// Records a decision already authorised on `before`'s current stage: the new status, the
/// decision row and the activity entry in one batch (a concurrent decision makes it a 409),
/// then notifies the author, and the client's approvers when it is their turn.
pub async fn apply(
    ctx: &Context<'_>,
    call: &Call<'_>,
    ws: &str,
    before: &IdeaView,
    approve: bool,
    decided: Decided<'_>,
) -> Result<IdeaView, AppError> {
    let client_stage = before.status == IdeaStatus::AgencyApproved;
    let event = match (client_stage, approve) {
        (false, true) => IdeaEvent::AgencyApprove,
        (false, false) => IdeaEvent::AgencyReject,
        (true, true) => IdeaEvent::ClientApprove,
        (true, false) => IdeaEvent::ClientReject,
    };
    let mut next = before.status.apply(event).map_err(AppError::Conflict)?;
    let stage = if client_stage { "client" } else { "agency" };
    if approve && !decided.all_of.is_empty() {
        let given = ctx
            .db
            .query(
                "SELECT DISTINCT user_id FROM idea_decisions WHERE workspace_id = ?1 AND idea_id = ?2 AND stage = ?3 \
                 AND decision = 'approve' AND created_at >= ?4",
                &params![ws, before.id.as_str(), stage, before.stage_opened_at],
            )
            .await?
            .iter()
            .map(|r| r.text("user_id"))
            .collect::<Result<Vec<_>, DbError>>()?;
        if given.iter().any(|u| u == decided.by) {
            return Err(AppError::Conflict("you have already approved this stage of the idea".into()));
        }
        if decided.all_of.iter().any(|u| u != decided.by && !given.contains(u)) {
            // Recorded; the stage stays open for the others.
            next = before.status;
        }
    }
    let comment = decided.comment.clone();
    let now = ctx.clock.now_ms();
    let mut idea = before.clone();
    idea.status = next;
    idea.updated_at = rfc3339(now);
    if next != before.status {
        idea.stage_opened_at = now;
    }
    let decision = Statement::new(
        "INSERT INTO idea_decisions (id, workspace_id, idea_id, user_id, stage, decision, comment, created_at, \
         review_link_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            ctx.new_id(),
            ws,
            idea.id.as_str(),
            decided.by,
            stage,
            if approve { "approve" } else { "reject" },
            comment.clone(),
            now,
            decided.link_id
        ],
    );
    let change = Change {
        action: if approve { "idea.approve" } else { "idea.reject" },
        entity_type: "idea",
        entity_id: &idea.id,
        before: Some(json!({ "status": before.status.as_str() })),
        after: Some(json!({ "status": idea.status.as_str(), "comment": comment, "reviewLinkId": decided.link_id })),
    };
    let [w, g] = write(ws, &idea, before, now);
    ctx.db.batch(&[w, g, decision, activity::record(ctx, call, ws, change)]).await.map_err(raced)?;
    if next == before.status {
        return Ok(idea);
    }
    // Tell the author, and the client when it is their turn.
    let verdict = if approve { "approved" } else { "sent back" };
    let notice = Notice {
        kind: if approve { "idea.approved" } else { "idea.rejected" },
        title: format!("Your idea \"{}\" was {verdict} ({stage} stage)", idea.title),
        body: comment.clone().unwrap_or_default(),
        subject_type: "idea",
        subject_id: &idea.id,
    };
    notifications::notify(ctx, call, ws, std::slice::from_ref(&idea.created_by), notice).await;
    if idea.status == IdeaStatus::AgencyApproved && idea.client_id.is_some() {
        let wf = workflow::effective(ctx.db, ws, before.client_id.as_deref()).await?;
        let client_approvers = workflow::eligible(ctx.db, ws, &wf.client, true, idea.client_id.as_deref()).await?;
        let notice = Notice {
            kind: "idea.requested",
            title: format!("A new idea waits for your approval: \"{}\"", idea.title),
            body: idea.hook.clone().or_else(|| idea.caption.clone()).unwrap_or_default(),
            subject_type: "idea",
            subject_id: &idea.id,
        };
        notifications::notify(ctx, call, ws, &client_approvers, notice).await;
    }
    Ok(idea)
}

async fn decide(ctx: &Context<'_>, call: &Call<'_>, approve: bool) -> Result<Response, AppError> {
    let input: IdeaDecisionInput = json::parse_optional(&call.req.body)?;
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if !approve && comment.is_none() {
        return Err(AppError::field("comment", "say what should change"));
    }
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let before = load(ctx, call).await?;
    let client_stage = before.status == IdeaStatus::AgencyApproved;
    let event = match (client_stage, approve) {
        (false, true) => IdeaEvent::AgencyApprove,
        (false, false) => IdeaEvent::AgencyReject,
        (true, true) => IdeaEvent::ClientApprove,
        (true, false) => IdeaEvent::ClientReject,
    };
    // Nothing to decide in this status: 409, before asking who may decide.
    before.status.apply(event).map_err(AppError::Conflict)?;
    // The same workflow as posts decides who may decide each stage.
    let wf = workflow::effective(ctx.db, &ws, before.client_id.as_deref()).await?;
    let spec = if client_stage { &wf.client } else { &wf.internal };
    let internal_default = workflow::Workflow::default().internal;
    let spec = if !client_stage && wf.stages == Stages::None { &internal_default } else { spec };
    let mut allowed = workflow::eligible(ctx.db, &ws, spec, client_stage, before.client_id.as_deref()).await?;
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
    let after = apply(ctx, call, &ws, &before, approve, decided).await?;
    let view = load(ctx, call).await?;
    if after.status == before.status {
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

/// What the decisions check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[field("IdeaDecisionInput", "comment", Rule::Text(5000)), required("rejectIdea", &["comment"])];
