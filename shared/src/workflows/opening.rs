//! Opening a post's review (SPEC AP-2): the stage its workflow starts with, who may decide
//! it, and starting again after an edit. Submitting, deciding and the review links build on
//! this (approvals); so does an edit of a post in review (content).

use serde::Serialize;
use utoipa::ToSchema;

use super::store;
use super::{eligible_among, governing, Rule, StageApprovers, Stages, Workflow};
use crate::api::permissions::Role;
use crate::api::Context;
use crate::error::AppError;
use crate::sql::Statement;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Internal,
    Client,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Internal => "internal",
            Stage::Client => "client",
        }
    }
}

/// How a post enters review: in review at a stage, or approved at once (no workflow), and the
/// statements that record it.
pub struct Opening {
    pub in_review: bool,
    pub statements: Vec<Statement>,
    /// Who the opened stage asks (none when the post is not in review).
    pub approvers: Vec<String>,
}

/// The post a review opens for: what selects its workflow and who may not approve it.
pub struct Subject<'a> {
    pub post_id: &'a str,
    pub client_id: Option<&'a str>,
    pub author_id: &'a str,
    /// The version the review decides.
    pub version: i64,
}

/// Who may decide a stage. Without self-approval, the post's author and its submitter are
/// left out — also so that an "all" rule never waits on someone who may not decide.
/// `members` are every member with their role and whether they are attached to the post's
/// client, as [`super::governing`] answers with `wf`.
pub fn approvers_of(
    members: Vec<(String, Role, bool)>,
    wf: &Workflow,
    stage: Stage,
    post: &Subject<'_>,
    submitter: &str,
) -> Vec<String> {
    let spec: &StageApprovers = if stage == Stage::Client { &wf.client } else { &wf.internal };
    let mut ids = eligible_among(members, spec, stage == Stage::Client);
    if !wf.allow_self_approval {
        ids.retain(|u| u != post.author_id && u != submitter);
    }
    ids
}

pub fn open_stage(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    stage: Stage,
    rule: Rule,
    approvers: &[String],
    post_version: i64,
    submitter: &str,
) -> Statement {
    store::open_request(store::NewRequest {
        id: ctx.new_id(),
        workspace_id,
        post_id,
        stage: stage.as_str(),
        rule: rule.as_str(),
        approvers: serde_json::to_string(approvers).unwrap_or_else(|_| "[]".into()),
        post_version,
        submitter,
        now: ctx.clock.now_ms(),
    })
}

/// Opens the first stage for `post` at its version, or approves at once without a workflow.
pub async fn open_first(
    ctx: &Context<'_>,
    workspace_id: &str,
    post: &Subject<'_>,
    submitter: &str,
) -> Result<Opening, AppError> {
    let (wf, members) = governing(ctx.db, workspace_id, post.client_id).await?;
    open_first_with(ctx, workspace_id, post, submitter, &wf, members)
}

/// [`open_first`] under the workflow `wf` and the `members` that govern the post, read already.
pub fn open_first_with(
    ctx: &Context<'_>,
    workspace_id: &str,
    post: &Subject<'_>,
    submitter: &str,
    wf: &Workflow,
    members: Vec<(String, Role, bool)>,
) -> Result<Opening, AppError> {
    if wf.stages == Stages::None {
        return Ok(Opening { in_review: false, statements: Vec::new(), approvers: Vec::new() });
    }
    let approvers = approvers_of(members, wf, Stage::Internal, post, submitter);
    if approvers.is_empty() {
        return Err(AppError::Conflict(
            "nobody may approve this post's internal stage: the workflow names no other member".into(),
        ));
    }
    let open = open_stage(
        ctx,
        workspace_id,
        post.post_id,
        Stage::Internal,
        wf.internal.rule,
        &approvers,
        post.version,
        submitter,
    );
    Ok(Opening { in_review: true, statements: vec![open], approvers })
}

/// After an edit of a post in review or approved — of its content, or of what selects its
/// workflow (client, campaign): open reviews are cancelled and the first stage of the workflow
/// that governs `after` (its client's) opens again, for `after.version`.
pub async fn restart(
    ctx: &Context<'_>,
    workspace_id: &str,
    after: &Subject<'_>,
    submitter: &str,
) -> Result<Opening, AppError> {
    let mut opening = open_first(ctx, workspace_id, after, submitter).await?;
    opening.statements.insert(0, store::cancel_pending(workspace_id, after.post_id, ctx.clock.now_ms()));
    Ok(opening)
}
