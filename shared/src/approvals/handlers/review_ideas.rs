//! Campaign ideas on a review link (SPEC AG-4, AG-5): the link's reader decides the client's
//! part of an idea — an idea of a client's campaign once the agency approved it
//! (AGENCY_APPROVED → CLIENT_APPROVED or CLIENT_REJECTED), and nothing else: the agency stage
//! (and the only stage of an idea without a client) is the team's, decided by its approvers in
//! person. The decision goes through the same state machine and the same write as a member's
//! (`reviewing::decide_idea`), names the link's creator, who answers for the link, and carries
//! the link's id.
//!
//! The form's hidden `revision` is the idea's `updatedAt` as the page showed it: a decision on
//! an idea that changed since is refused (409), as a post's `version` is.

use crate::agency::ideas;
use crate::api::{Call, Context, Response};
use crate::approvals::ideas::{decidable_by_link, Decided, ReadWith};
use crate::approvals::review_links::{acting, decision_form, vote_comment};
use crate::approvals::reviewing::{decide_idea, open_link_with};
use crate::approvals::store::ideas as idea_store;
use crate::collab::notifications;
use crate::error::{AppError, ErrorEnvelope};

/// The form an idea's Approve or Request changes button sends.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct IdeaReviewForm {
    /// The idea's `updatedAt` the page showed.
    revision: String,
    /// Required to request changes, optional to approve (at most 5000 characters).
    comment: Option<String>,
}

#[utoipa::path(post, path = "/review/{token}/ideas/{ideaId}/approve", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("ideaId" = String, Path)),
    request_body(content = IdeaReviewForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Approved (CLIENT_APPROVED): back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: the revision is missing, or the comment too long", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link, or an idea it does not show", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the idea changed since the page showed it, or is not waiting for this review", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, true).await
}

#[utoipa::path(post, path = "/review/{token}/ideas/{ideaId}/request-changes", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("ideaId" = String, Path)),
    request_body(content = IdeaReviewForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Sent back with the comment (CLIENT_REJECTED): back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: a comment is required", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT", body = ErrorEnvelope)))]
pub async fn request_changes(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, false).await
}

async fn decide(ctx: &Context<'_>, call: &Call<'_>, approve: bool) -> Result<Response, AppError> {
    let idea_id = call.params.get("ideaId")?;
    // The link's checks, the idea with its decisions and the addresses its notice goes to: one
    // round trip after the link's own.
    let (link, answers) = open_link_with(ctx, call, |link| {
        let mut reads = ideas::held_reads(&link.workspace_id, idea_id).to_vec();
        reads.push(idea_store::addresses_read(&link.workspace_id, idea_id));
        reads
    })
    .await?;
    if !link.idea_ids.iter().any(|i| i == idea_id) {
        return Err(AppError::not_found("idea"));
    }
    let (comment, revision) =
        decision_form(&call.req.body, approve, "revision", "the idea's updatedAt the page showed", |_| true)?;
    let ws = link.workspace_id.clone();
    let before = ideas::idea_of(answers.get(..2).unwrap_or_default())?;
    if before.updated_at != revision {
        return Err(AppError::Conflict("the idea changed since the page showed it: reload the page".into()));
    }
    if !decidable_by_link(&before) {
        return Err(AppError::Conflict("this idea is not waiting for your review".into()));
    }
    let stored = vote_comment(link.reviewer_name.as_deref(), comment.as_deref());
    let decided = Decided { by: &link.created_by, link_id: Some(&link.id), comment: Some(stored), all_of: Vec::new() };
    // The link decides the client stage, which closes at once: only the author is told.
    let addresses = notifications::addresses_of(answers.get(2).map_or(&[][..], Vec::as_slice))?;
    let read = ReadWith { addresses: Some(addresses), ..ReadWith::default() };
    decide_idea(ctx, &acting(call, &link), &ws, &before, approve, decided, read).await.map_err(|e| match e {
        AppError::Conflict(_) => {
            AppError::Conflict("someone decided on this idea at the same time: reload the page".into())
        }
        other => other,
    })?;
    let token = call.params.get("token")?;
    Ok(Response::empty(303)
        .with_header("location", format!("/review/{token}?decided={}", before.id))
        .with_header("cache-control", "no-store"))
}
