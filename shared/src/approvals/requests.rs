//! Approval requests and votes (SPEC AP-2, AP-4): submitting a post opens its first stage;
//! approvals close a stage by the stage's rule and open the next; a rejection sends the post
//! back to draft with a comment. Every status change goes through the post's state machine,
//! and every write of one decision lands in one batch. Here: what a request looks like and
//! who may read what of it; the handlers decide (`handlers::requests`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{self as doc, field, required, Documented};
use crate::api::permissions::Role;
use crate::api::Member;
use crate::error::AppError;
use crate::sql::DbError;
use crate::workflows::opening::Stage;
use crate::workflows::Rule;

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

/// What a caller may read of approvals: a Client member sees the client stage and the outcome
/// of the internal one, never its approvers, votes or reasons.
pub fn for_reader(member: &Member, requests: Vec<RequestView>) -> Vec<RequestView> {
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

pub fn db_conflict(e: DbError) -> AppError {
    match e {
        DbError::Unique(_) | DbError::Constraint(_) => conflict(AppError::Conflict(String::new())),
        other => other.into(),
    }
}

pub fn conflict(e: AppError) -> AppError {
    match e {
        AppError::Conflict(_) => {
            AppError::Conflict("someone decided on this approval at the same time; reload it".into())
        }
        other => other,
    }
}

/// What the decisions check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[field("DecisionInput", "comment", doc::Rule::Text(5000)), required("rejectApproval", &["comment"])];
