//! Submitting a post for approval and deciding its requests (SPEC AP-2, AP-4).

use serde_json::json;
use utoipa::IntoParams;

use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::approvals::requests::{conflict, db_conflict, for_reader, DecisionInput, RequestView};
use crate::approvals::reviewing::{notify_pending_addressed, requests_of};
use crate::approvals::store::requests as store;
use crate::collab::notifications::{self, Notice};
use crate::content::editing::save_edit;
use crate::content::posts::PostView;
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Statement;
use crate::workflows::opening::{approvers_of, open_first_with, open_stage, Stage};
use crate::workflows::{self as workflow, Rule, Stages};

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/submit", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "In review at the workflow's first stage — or approved at once when the workspace has no workflow", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: only drafts are submitted, or nobody may approve", body = ErrorEnvelope)))]
pub async fn submit(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the post, the workflow and members that govern it (through its
    // client) and the members' addresses: one round trip.
    let (ws, post_id) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    let submitter = call.caller()?.user_id.clone();
    let mut reads = post_store::one_reads(ws, &submitter, post_id).to_vec();
    reads.extend(workflow::store::governing_post_reads(ws, post_id));
    reads.push(notifications::member_addresses_read(ws));
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let before = post_store::one_of(answers.get(..3).unwrap_or_default())?;
    let in_review = before.status.apply(Event::Submit).map_err(|e| AppError::Conflict(e.to_string()))?;
    let client = before.client_id.as_deref();
    let wf = workflow::effective_among(&workflow::store::configs_of(answer(3))?, client)?;
    let members = workflow::store::members_among(answer(4), answer(5), client.unwrap_or_default())?;
    let opening = open_first_with(ctx, &member.workspace_id, &before.review_subject(), &submitter, &wf, members)?;
    let status = if !opening.in_review {
        in_review.apply(Event::Approve).map_err(|e| AppError::Conflict(e.to_string()))?
    } else {
        in_review
    };
    let after = PostView { status, ..before.clone() };
    let (view, _) = save_edit(ctx, call, &before, after, None, None, "post.submit", opening.statements).await?;
    let addresses = notifications::addresses_of(answer(6))?;
    let to = addresses.among(|id| opening.approvers.iter().any(|a| a == id));
    notify_pending_addressed(ctx, call, &member.workspace_id, &view, Stage::Internal, &to).await;
    let message =
        (status == PostStatus::Approved).then(|| "the workspace has no approval workflow: approved".to_string());
    Ok(json::ok_with_message(200, view, message))
}

/// A request to decide, as stored (approvers as they stand now), with what deciding it needs.
struct ToDecide {
    request: RequestView,
    /// Its post, as the caller may see it.
    post: PostView,
    /// The workflow and members that say who may decide the post's stages.
    workflow: workflow::Workflow,
    members: Vec<(String, crate::api::permissions::Role, bool)>,
    /// (user id, address) of the workspace's members, the post's author and the submitter.
    addresses: notifications::Recipients,
}

impl ToDecide {
    /// The addresses of `users` among those read.
    fn addressed(&self, users: &[String]) -> notifications::Recipients {
        self.addresses.among(|id| users.iter().any(|u| u == id))
    }
}

/// The membership check, the request with its votes, its post (a Client member reaches only its
/// clients' posts), the workflow and members that govern it and the addresses its notices may
/// go to: one round trip.
async fn load_request(ctx: &Context<'_>, call: &Call<'_>) -> Result<ToDecide, AppError> {
    let ws = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.as_str();
    let id = call.params.get("approvalId")?;
    let mut reads = store::one_reads(ws, viewer, id);
    let own = reads.len();
    reads.extend(store::post_reads(ws, viewer, id));
    reads.push(store::addresses_read(ws, id));
    let (_, mut answers) = call.admitted_reads(ctx.db, reads).await?;
    let rest = answers.split_off(own.min(answers.len()));
    let part = |i: usize| rest.get(i).map_or(&[][..], Vec::as_slice);
    let governing = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice).to_vec();
    let (configs, members, attachments) = (governing(2), governing(3), governing(4));
    let (mut requests, _) = requests_of(answers, 1)?;
    let request = requests.pop().ok_or_else(|| AppError::not_found("approval"))?;
    let post = post_store::where_of(part(0), part(1), part(2))?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("approval"))?;
    let client = post.client_id.as_deref();
    let workflow = workflow::effective_among(&workflow::store::configs_of(&configs)?, client)?;
    let members = workflow::store::members_among(&members, &attachments, client.unwrap_or_default())?;
    let addresses = notifications::addresses_of(part(3))?;
    Ok(ToDecide { request, post, workflow, members, addresses })
}

/// Checks that the caller may decide `request`, still open, for the post as it stands.
fn may_decide(call: &Call<'_>, request: &RequestView, post: &PostView) -> Result<String, AppError> {
    let me = call.caller()?.user_id.clone();
    if request.status != "pending" {
        return Err(AppError::Conflict(format!("this approval is already {}", request.status)));
    }
    if post.status != PostStatus::InReview || post.version != request.post_version {
        return Err(AppError::Conflict("the post changed since this approval opened".into()));
    }
    if !request.approvers.contains(&me) {
        let why = if me == post.author_id || me == request.submitted_by {
            "the workflow does not let you approve your own post"
        } else {
            "you are not an approver of this stage"
        };
        return Err(AppError::Forbidden(why.into()));
    }
    if request.votes.iter().any(|v| v.user_id == me) {
        return Err(AppError::Conflict("you have already decided on this approval".into()));
    }
    Ok(me)
}

/// Fails the decision's batch unless the voter still holds the role they decided with (and, at
/// the client stage, is still attached to the post's client): a removal or demotion racing the
/// vote wins.
fn still_entitled(
    call: &Call<'_>,
    ws: &str,
    request: &RequestView,
    post: &PostView,
    me: &str,
) -> Result<Statement, AppError> {
    let role = call.member()?.role;
    let client =
        if request.stage == Stage::Client { post.client_id.clone().unwrap_or_default() } else { String::new() };
    Ok(store::still_entitled(ws, me, role.as_str(), &client))
}

fn vote(
    ctx: &Context<'_>,
    ws: &str,
    request: &RequestView,
    me: &str,
    decision: &str,
    comment: Option<String>,
) -> Statement {
    store::vote(ctx.new_id(), ws, &request.id, me, decision, comment, ctx.clock.now_ms(), None)
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/approve", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("approvalId" = String, Path)), request_body(content = Option<DecisionInput>, description = "Optional: a comment"),
    responses((status = 200, description = "The approval after this vote; the stage closes by its rule and the next one opens, or the post is approved", body = Envelope<RequestView>),
              (status = 403, description = "FORBIDDEN: not an approver of this stage, or approving one's own post", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: already decided, or the post changed", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: DecisionInput = json::parse_optional(&call.req.body)?;
    let ws = call.params.get("workspaceId")?.to_string();
    let read = load_request(ctx, call).await?;
    let (request, post) = (&read.request, &read.post);
    let me = may_decide(call, request, post)?;
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    // Votes of approvers who since dropped out no longer count towards an "all" rule.
    let approvals =
        request.votes.iter().filter(|v| v.decision == "approve" && request.approvers.contains(&v.user_id)).count() + 1;
    let stage_done = request.rule == Rule::Any || approvals >= request.approvers.len();
    let mut statements =
        vec![vote(ctx, &ws, request, &me, "approve", comment.clone()), still_entitled(call, &ws, request, post, &me)?];
    let change = Change {
        action: "approval.approve",
        entity_type: "approval",
        entity_id: &request.id,
        before: None,
        after: Some(json!({ "userId": me, "comment": comment, "stageDone": stage_done })),
    };
    if !stage_done {
        statements.push(store::still_pending(&ws, &request.id));
        statements.push(activity::record(ctx, call, &ws, change));
        ctx.db.batch(&statements).await.map_err(db_conflict)?;
    } else {
        statements.extend(store::close(&ws, &request.id, "approved", ctx.clock.now_ms()));
        statements.push(activity::record(ctx, call, &ws, change));
        let (wf, members) = (&read.workflow, read.members.clone());
        let next_stage =
            request.stage == Stage::Internal && wf.stages == Stages::InternalThenClient && post.client_id.is_some();
        if next_stage {
            // A client without any account is still asked: the stage then waits for a review link.
            let approvers = approvers_of(members, wf, Stage::Client, &post.review_subject(), &request.submitted_by);
            statements.push(open_stage(
                ctx,
                &ws,
                &post.id,
                Stage::Client,
                wf.client.rule,
                &approvers,
                post.version,
                &request.submitted_by,
            ));
            ctx.db.batch(&statements).await.map_err(db_conflict)?;
            notify_pending_addressed(ctx, call, &ws, post, Stage::Client, &read.addressed(&approvers)).await;
        } else {
            let status = post.status.apply(Event::Approve).map_err(|e| AppError::Conflict(e.to_string()))?;
            let after = PostView { status, ..post.clone() };
            save_edit(ctx, call, post, after, None, None, "post.approve", statements).await.map_err(conflict)?;
            let notice = Notice {
                kind: "approval.approved",
                title: format!("\"{}\" is approved", post.title),
                body: format!("\"{}\" passed its review and is ready to schedule.", post.title),
                subject_type: "post",
                subject_id: &post.id,
            };
            let to = read.addressed(&[post.author_id.clone(), request.submitted_by.clone()]);
            notifications::notify_addressed(ctx, call, &ws, &to, notice).await;
        }
    }
    read_back(ctx, call).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/reject", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("approvalId" = String, Path)), request_body(content = Option<DecisionInput>, description = "Optional: a comment"),
    responses((status = 200, description = "Rejected: the post is back in draft with the comment", body = Envelope<RequestView>),
              (status = 400, description = "VALIDATION_ERROR: a comment is required", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT", body = ErrorEnvelope)))]
pub async fn reject(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: DecisionInput = json::parse(&call.req.body)?;
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let Some(comment) = comment else {
        return Err(AppError::field("comment", "say what should change"));
    };
    if comment.chars().count() > 5000 {
        return Err(AppError::field("comment", "must be at most 5000 characters"));
    }
    let ws = call.params.get("workspaceId")?.to_string();
    let read = load_request(ctx, call).await?;
    let (request, post) = (&read.request, &read.post);
    let me = may_decide(call, request, post)?;
    let mut statements = vec![
        vote(ctx, &ws, request, &me, "reject", Some(comment.clone())),
        still_entitled(call, &ws, request, post, &me)?,
    ];
    statements.extend(store::close(&ws, &request.id, "rejected", ctx.clock.now_ms()));
    statements.push(activity::record(
        ctx,
        call,
        &ws,
        Change {
            action: "approval.reject",
            entity_type: "approval",
            entity_id: &request.id,
            before: None,
            after: Some(json!({ "userId": me, "comment": comment })),
        },
    ));
    let status = post.status.apply(Event::Reject).map_err(|e| AppError::Conflict(e.to_string()))?;
    let after = PostView { status, ..post.clone() };
    save_edit(ctx, call, post, after, None, None, "post.reject", statements).await.map_err(conflict)?;
    let notice = Notice {
        kind: "approval.rejected",
        title: format!("Changes requested on \"{}\"", post.title),
        body: comment,
        subject_type: "post",
        subject_id: &post.id,
    };
    let to = read.addressed(&[post.author_id.clone(), request.submitted_by.clone()]);
    notifications::notify_addressed(ctx, call, &ws, &to, notice).await;
    read_back(ctx, call).await
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("approvalId" = String, Path)),
    responses((status = 200, description = "One approval with its votes", body = Envelope<RequestView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    read_back(ctx, call).await
}

/// The request as the caller may read it: the membership check, the request, its votes and who
/// may decide it now, in one round trip.
async fn read_back(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let reads =
        store::one_reads(call.params.get("workspaceId")?, &call.caller()?.user_id, call.params.get("approvalId")?);
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let (requests, _) = requests_of(answers, 1)?;
    let shown = for_reader(&member, requests).into_iter().next();
    Ok(json::ok(200, shown.ok_or_else(|| AppError::not_found("approval"))?))
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct ApprovalQuery {
    /// pending (default), approved, rejected or cancelled.
    status: Option<String>,
    /// Only approvals the caller may decide.
    mine: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/approvals", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ApprovalQuery, PageQuery),
    responses((status = 200, description = "Approvals, oldest first (a review queue)", body = Envelope<Page<RequestView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    let status = call.req.query_param("status").unwrap_or_else(|| "pending".into());
    let mine = call.req.query_flag("mine")?;
    let caller = call.caller()?.user_id.clone();
    let me = if mine { caller.clone() } else { String::new() };
    // The membership check, the page, its votes and who may decide it now: one round trip.
    let reads = store::queue_reads(call.params.get("workspaceId")?, &status, &caller, &me, &paging.after, paging.limit);
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let (mut items, next_cursor) = requests_of(answers, paging.limit)?;
    if mine {
        // Who may decide now: a member demoted out of the workflow no longer waits on it.
        items.retain(|r| r.approvers.contains(&me));
    }
    Ok(json::ok(200, Page { items: for_reader(&member, items), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/approvals", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "The approval history: every stage opened, every vote with who, when, decision and comment; newest first. A Client member sees the internal stage's outcome only, without its approvers or votes", body = Envelope<Page<RequestView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn history(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_id(call.req)?;
    let (workspace_id, post_id) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    // The membership check, the post behind the caller's wall, the page, its votes and who may
    // decide it now: one round trip.
    let mut reads = vec![post_store::visible_read(workspace_id, &call.caller()?.user_id, post_id)];
    reads.extend(store::history_reads(workspace_id, post_id, &paging.after, paging.limit));
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let mut answers = answers.into_iter();
    post_store::found(&answers.next().unwrap_or_default())?;
    let (items, next_cursor) = requests_of(answers.collect(), paging.limit)?;
    Ok(json::ok(200, Page { items: for_reader(&member, items), next_cursor }))
}
