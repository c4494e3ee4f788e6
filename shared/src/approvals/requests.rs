//! Approval requests and votes (SPEC AP-2, AP-4): submitting a post opens its first stage;
//! approvals close a stage by the stage's rule and open the next; a rejection sends the post
//! back to draft with a comment. Every status change goes through the post's state machine,
//! and every write of one decision lands in one batch.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::activity::{self, Change};
use crate::agency::client_limit;
use crate::api::documented::{self as doc, field, required, Documented};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Member, Response};
use crate::collab::notifications::{self, Notice};
use crate::content::editing::save_edit;
use crate::content::posts::PostView;
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};
use crate::validate::rfc3339;
use crate::workflows::opening::{approvers_of, open_first, open_stage, Stage};
use crate::workflows::{self as workflow, Rule, Stages, Workflow};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteView {
    pub user_id: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub id: String,
    pub post_id: String,
    pub stage: Stage,
    /// pending, approved, rejected or cancelled (a content edit restarts the review).
    pub status: String,
    pub rule: Rule,
    /// Who may decide this stage: named when it opened; while it is pending, only those who
    /// still may (a member removed or demoted out of the workflow's roles drops out). Empty for
    /// a Client member reading the internal stage.
    pub approvers: Vec<String>,
    pub post_version: i64,
    pub submitted_by: String,
    pub votes: Vec<VoteView>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Required to reject: what should change.
    pub comment: Option<String>,
}

/// Tells the approvers of the post's open stage that it waits for them.
async fn notify_pending(ctx: &Context<'_>, call: &Call<'_>, ws: &str, post: &PostView) {
    let sql = format!(
        "SELECT {COLUMNS} FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 AND status = 'pending'"
    );
    let rows = match ctx.db.query(&sql, &params![ws, post.id.as_str()]).await {
        Ok(rows) => rows,
        Err(e) => return tracing::warn!(cause = %e, "pending approval unreadable"),
    };
    for r in rows {
        let Ok(request) = decode(&r, Vec::new()) else { continue };
        let notice = Notice {
            kind: "approval.requested",
            title: format!("\"{}\" waits for your approval", post.title),
            body: format!("\"{}\" is in review at the {} stage.", post.title, request.stage.as_str()),
            subject_type: "post",
            subject_id: &post.id,
        };
        notifications::notify(ctx, call, ws, &request.approvers, notice).await;
    }
}

fn decode(r: &Row, votes: Vec<VoteView>) -> Result<RequestView, AppError> {
    Ok(RequestView {
        id: r.text("id")?,
        post_id: r.text("post_id")?,
        stage: if r.text("stage")? == "client" { Stage::Client } else { Stage::Internal },
        status: r.text("status")?,
        rule: if r.text("rule")? == "all" { Rule::All } else { Rule::Any },
        approvers: serde_json::from_str(&r.text("approvers")?).unwrap_or_default(),
        post_version: r.int("post_version")?,
        submitted_by: r.text("submitted_by")?,
        votes,
        created_at: rfc3339(r.int("created_at")?),
        closed_at: r.opt_int("closed_at")?.map(rfc3339),
    })
}

const COLUMNS: &str =
    "id, post_id, stage, status, rule, approvers, post_version, submitted_by, created_at, closed_at, \
     (SELECT p.client_id FROM posts p WHERE p.workspace_id = approval_requests.workspace_id \
      AND p.id = approval_requests.post_id) AS post_client_id, \
     (SELECT p.author_id FROM posts p WHERE p.workspace_id = approval_requests.workspace_id \
      AND p.id = approval_requests.post_id) AS post_author_id";

async fn votes_of(
    db: &dyn Sql,
    workspace_id: &str,
    request_ids: &[String],
) -> Result<Vec<(String, VoteView)>, AppError> {
    let mut out = Vec::new();
    for id in request_ids {
        let rows = db
            .query(
                "SELECT request_id, user_id, decision, comment, created_at FROM approval_votes \
                 WHERE workspace_id = ?1 AND request_id = ?2 ORDER BY created_at, id",
                &params![workspace_id, id.as_str()],
            )
            .await?;
        for r in rows {
            out.push((
                r.text("request_id")?,
                VoteView {
                    user_id: r.text("user_id")?,
                    decision: r.text("decision")?,
                    comment: r.opt_text("comment")?,
                    created_at: rfc3339(r.int("created_at")?),
                },
            ));
        }
    }
    Ok(out)
}

/// Who may decide a stage of a client's posts now, read once per list.
struct Eligible {
    client: Option<String>,
    stage: Stage,
    wf: Workflow,
    ids: Vec<String>,
}

/// Requests with their votes. The approvers of a pending stage are those named when it opened
/// who may still decide it now: a member removed, demoted out of the workflow's roles, or
/// detached from the client drops out (and an "all" rule stops waiting for them).
async fn with_votes(db: &dyn Sql, workspace_id: &str, rows: Vec<Row>) -> Result<Vec<RequestView>, AppError> {
    let ids: Vec<String> = rows.iter().map(|r| r.text("id")).collect::<Result<_, _>>()?;
    let votes = votes_of(db, workspace_id, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut eligible_now: Vec<Eligible> = Vec::new();
    for r in &rows {
        let id = r.text("id")?;
        let mut request = decode(r, votes.iter().filter(|(req, _)| *req == id).map(|(_, v)| v.clone()).collect())?;
        if request.status == "pending" {
            let client = r.opt_text("post_client_id")?;
            let cached = eligible_now.iter().position(|e| e.client == client && e.stage == request.stage);
            let at = match cached {
                Some(at) => at,
                None => {
                    let wf = workflow::effective(db, workspace_id, client.as_deref()).await?;
                    let spec = if request.stage == Stage::Client { &wf.client } else { &wf.internal };
                    let ids =
                        workflow::eligible(db, workspace_id, spec, request.stage == Stage::Client, client.as_deref())
                            .await?;
                    eligible_now.push(Eligible { client: client.clone(), stage: request.stage, wf, ids });
                    eligible_now.len() - 1
                }
            };
            let Eligible { wf, ids, .. } = &eligible_now[at];
            let author = r.opt_text("post_author_id")?.unwrap_or_default();
            let submitter = request.submitted_by.clone();
            request
                .approvers
                .retain(|u| ids.contains(u) && (wf.allow_self_approval || (*u != author && *u != submitter)));
        }
        out.push(request);
    }
    Ok(out)
}

/// What a caller may read of approvals: a Client member sees the client stage and the outcome
/// of the internal one, never its approvers, votes or reasons.
fn for_reader(member: &Member, requests: Vec<RequestView>) -> Vec<RequestView> {
    if member.role != Role::Client {
        return requests;
    }
    requests
        .into_iter()
        .map(|r| match r.stage {
            Stage::Client => r,
            Stage::Internal => RequestView { approvers: Vec::new(), votes: Vec::new(), ..r },
        })
        .collect()
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/submit", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "In review at the workflow's first stage — or approved at once when the workspace has no workflow", body = Envelope<PostView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: only drafts are submitted, or nobody may approve", body = ErrorEnvelope)))]
pub async fn submit(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let before = post_store::load(ctx.db, &member.workspace_id, "", call.params.get("postId")?).await?;
    let in_review = before.status.apply(Event::Submit).map_err(|e| AppError::Conflict(e.to_string()))?;
    let submitter = call.caller()?.user_id.clone();
    let opening = open_first(ctx, &member.workspace_id, &before.review_subject(), &submitter).await?;
    let status = if !opening.in_review {
        in_review.apply(Event::Approve).map_err(|e| AppError::Conflict(e.to_string()))?
    } else {
        in_review
    };
    let after = PostView { status, ..before.clone() };
    let (view, _) = save_edit(ctx, call, &before, after, None, None, "post.submit", opening.statements).await?;
    notify_pending(ctx, call, &member.workspace_id, &view).await;
    let message =
        (status == PostStatus::Approved).then(|| "the workspace has no approval workflow: approved".to_string());
    Ok(json::ok_with_message(200, view, message))
}

/// One request as stored (approvers as they stand now), with its post the caller may see.
async fn load_request(ctx: &Context<'_>, call: &Call<'_>) -> Result<(RequestView, PostView), AppError> {
    let member = call.member()?;
    let sql = format!("SELECT {COLUMNS} FROM approval_requests WHERE workspace_id = ?1 AND id = ?2");
    let row = ctx
        .db
        .query_one(&sql, &params![member.workspace_id.as_str(), call.params.get("approvalId")?])
        .await?
        .ok_or_else(|| AppError::not_found("approval"))?;
    let request = with_votes(ctx.db, &member.workspace_id, vec![row]).await?.remove(0);
    // A Client member reaches only its clients' posts.
    let post = post_store::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, &request.post_id)
        .await
        .map_err(|_| AppError::not_found("approval"))?;
    Ok((request, post))
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
    Ok(Statement::guard(
        "SELECT 1 FROM memberships m WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND m.role = ?3 \
         AND (m.role <> 'client' OR EXISTS (SELECT 1 FROM client_members c WHERE c.workspace_id = ?1 \
              AND c.user_id = ?2 AND c.client_id = ?4))",
        params![ws, me, role.as_str(), client],
    ))
}

fn vote(
    ctx: &Context<'_>,
    ws: &str,
    request: &RequestView,
    me: &str,
    decision: &str,
    comment: Option<String>,
) -> Statement {
    Statement::new(
        "INSERT INTO approval_votes (id, workspace_id, request_id, user_id, decision, comment, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![ctx.new_id(), ws, request.id.as_str(), me, decision, comment, ctx.clock.now_ms()],
    )
}

/// Closes a request; the guard fails the batch when someone closed it first.
fn close(ctx: &Context<'_>, ws: &str, request: &RequestView, status: &str) -> [Statement; 2] {
    let now = ctx.clock.now_ms();
    [
        Statement::new(
            "UPDATE approval_requests SET status = ?3, closed_at = ?4 WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending'",
            params![ws, request.id.as_str(), status, now],
        ),
        Statement::guard(
            "SELECT 1 FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND closed_at = ?4",
            params![ws, request.id.as_str(), status, now],
        ),
    ]
}

fn db_conflict(e: DbError) -> AppError {
    match e {
        DbError::Unique(_) | DbError::Constraint(_) => conflict(AppError::Conflict(String::new())),
        other => other.into(),
    }
}

fn conflict(e: AppError) -> AppError {
    match e {
        AppError::Conflict(_) => {
            AppError::Conflict("someone decided on this approval at the same time; reload it".into())
        }
        other => other,
    }
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/approve", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("approvalId" = String, Path)), request_body(content = Option<DecisionInput>, description = "Optional: a comment"),
    responses((status = 200, description = "The approval after this vote; the stage closes by its rule and the next one opens, or the post is approved", body = Envelope<RequestView>),
              (status = 403, description = "FORBIDDEN: not an approver of this stage, or approving one's own post", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: already decided, or the post changed", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: DecisionInput = json::parse_optional(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let (request, post) = load_request(ctx, call).await?;
    let me = may_decide(call, &request, &post)?;
    let comment = input.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    // Votes of approvers who since dropped out no longer count towards an "all" rule.
    let approvals =
        request.votes.iter().filter(|v| v.decision == "approve" && request.approvers.contains(&v.user_id)).count() + 1;
    let stage_done = request.rule == Rule::Any || approvals >= request.approvers.len();
    let mut statements = vec![
        vote(ctx, &ws, &request, &me, "approve", comment.clone()),
        still_entitled(call, &ws, &request, &post, &me)?,
    ];
    let change = Change {
        action: "approval.approve",
        entity_type: "approval",
        entity_id: &request.id,
        before: None,
        after: Some(json!({ "userId": me, "comment": comment, "stageDone": stage_done })),
    };
    if !stage_done {
        statements.push(Statement::guard(
            "SELECT 1 FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending'",
            params![ws.as_str(), request.id.as_str()],
        ));
        statements.push(activity::record(ctx, call, &ws, change));
        ctx.db.batch(&statements).await.map_err(db_conflict)?;
    } else {
        statements.extend(close(ctx, &ws, &request, "approved"));
        statements.push(activity::record(ctx, call, &ws, change));
        let wf = workflow::effective(ctx.db, &ws, post.client_id.as_deref()).await?;
        let next_stage =
            request.stage == Stage::Internal && wf.stages == Stages::InternalThenClient && post.client_id.is_some();
        if next_stage {
            // A client without any account is still asked: the stage then waits for a review link.
            let approvers =
                approvers_of(ctx.db, &ws, &wf, Stage::Client, &post.review_subject(), &request.submitted_by).await?;
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
            notify_pending(ctx, call, &ws, &post).await;
        } else {
            let status = post.status.apply(Event::Approve).map_err(|e| AppError::Conflict(e.to_string()))?;
            let after = PostView { status, ..post.clone() };
            save_edit(ctx, call, &post, after, None, None, "post.approve", statements).await.map_err(conflict)?;
            let notice = Notice {
                kind: "approval.approved",
                title: format!("\"{}\" is approved", post.title),
                body: format!("\"{}\" passed its review and is ready to schedule.", post.title),
                subject_type: "post",
                subject_id: &post.id,
            };
            notifications::notify(ctx, call, &ws, &[post.author_id.clone(), request.submitted_by.clone()], notice)
                .await;
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
    let ws = call.member()?.workspace_id.clone();
    let (request, post) = load_request(ctx, call).await?;
    let me = may_decide(call, &request, &post)?;
    let mut statements = vec![
        vote(ctx, &ws, &request, &me, "reject", Some(comment.clone())),
        still_entitled(call, &ws, &request, &post, &me)?,
    ];
    statements.extend(close(ctx, &ws, &request, "rejected"));
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
    save_edit(ctx, call, &post, after, None, None, "post.reject", statements).await.map_err(conflict)?;
    let notice = Notice {
        kind: "approval.rejected",
        title: format!("Changes requested on \"{}\"", post.title),
        body: comment,
        subject_type: "post",
        subject_id: &post.id,
    };
    notifications::notify(ctx, call, &ws, &[post.author_id.clone(), request.submitted_by.clone()], notice).await;
    read_back(ctx, call).await
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("approvalId" = String, Path)),
    responses((status = 200, description = "One approval with its votes", body = Envelope<RequestView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    read_back(ctx, call).await
}

/// The request as the caller may read it.
async fn read_back(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (request, _) = load_request(ctx, call).await?;
    let shown = for_reader(call.member()?, vec![request]);
    Ok(json::ok(200, shown.into_iter().next()))
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
    let member = call.member()?;
    let paging = paging::by_id(call.req)?;
    let status = call.req.query_param("status").unwrap_or_else(|| "pending".into());
    let mine = call.req.query_flag("mine")?;
    let me = if mine { call.caller()?.user_id.clone() } else { String::new() };
    // `mine` is decided here, before the limit, so a page is never emptied by others' items.
    // The pattern finds an id in the stored JSON array of ids: no user text, 40 bytes.
    let sql = format!(
        "SELECT {COLUMNS} FROM approval_requests WHERE workspace_id = ?1 AND status = ?2 \
         AND post_id IN (SELECT id FROM posts WHERE workspace_id = ?1 AND deleted_at IS NULL AND {}) \
         AND (?4 = '' OR (approvers LIKE ?5 AND NOT EXISTS (SELECT 1 FROM approval_votes v \
              WHERE v.workspace_id = ?1 AND v.request_id = approval_requests.id AND v.user_id = ?4))) \
         AND (?6 = '' OR id > ?6) ORDER BY id LIMIT ?7",
        post_store::VISIBLE.replace("?2", "?3")
    );
    let values = params![
        member.workspace_id.as_str(),
        status,
        client_limit(call, member)?,
        me.as_str(),
        format!("%\"{me}\"%"),
        paging.after.as_str(),
        paging.limit + 1
    ];
    let mut rows = ctx.db.query(&sql, &values).await?;
    let next_cursor = last_shown(&mut rows, paging.limit)?;
    let mut items = with_votes(ctx.db, &member.workspace_id, rows).await?;
    if mine {
        // Who may decide now: a member demoted out of the workflow no longer waits on it.
        items.retain(|r| r.approvers.contains(&me));
    }
    Ok(json::ok(200, Page { items: for_reader(member, items), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/approvals", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "The approval history: every stage opened, every vote with who, when, decision and comment; newest first. A Client member sees the internal stage's outcome only, without its approvers or votes", body = Envelope<Page<RequestView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn history(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging = paging::by_id(call.req)?;
    let post = post_store::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("postId")?)
        .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 \
         AND (?3 = '' OR id < ?3) ORDER BY id DESC LIMIT ?4"
    );
    let values = params![member.workspace_id.as_str(), post.id.as_str(), paging.after.as_str(), paging.limit + 1];
    let mut rows = ctx.db.query(&sql, &values).await?;
    let next_cursor = last_shown(&mut rows, paging.limit)?;
    let items = for_reader(member, with_votes(ctx.db, &member.workspace_id, rows).await?);
    Ok(json::ok(200, Page { items, next_cursor }))
}

/// Keeps the first `limit` rows of `limit + 1` fetched; the id of the last one shown is the
/// next page's cursor when there was more.
fn last_shown(rows: &mut Vec<Row>, limit: i64) -> Result<Option<String>, AppError> {
    if rows.len() as i64 <= limit {
        return Ok(None);
    }
    rows.truncate(limit as usize);
    Ok(rows.last().map(|r| r.text("id")).transpose()?)
}

/// What the decisions check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[field("DecisionInput", "comment", doc::Rule::Text(5000)), required("rejectApproval", &["comment"])];
