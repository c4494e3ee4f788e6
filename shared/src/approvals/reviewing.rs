//! The steps approvals' handlers share: opening a review link, whether a link may decide a
//! post, who may decide a pending stage now, telling approvers that a post waits for them, and
//! recording a decision on an idea.

use serde_json::json;

use super::ideas::{event_of, Decided, ReadWith};
use super::requests::RequestView;
use super::review_links::{refused, state, Link, LinkState};
use super::store::requests::{self as request_store, Stored};
use super::store::{ideas as idea_store, review_links as link_store};
use crate::activity::{self, Change};
use crate::agency::ideas::{raced, write, IdeaDecision, IdeaStatus, IdeaView};
use crate::api::permissions::{Permission, Role};
use crate::api::{Call, Context};
use crate::collab::notifications::{self, Notice};
use crate::content::posts::PostView;
use crate::content::status::PostStatus;
use crate::error::AppError;
use crate::identity::tokens;
use crate::sql::{Row, Scope};
use crate::validate::rfc3339;
use crate::workflows::{self as workflow, opening::Stage};

/// The live link named by the `token` in the path, with its posts and ideas, or 404. Leaves
/// the database scoped to the link's workspace.
pub async fn open_link(ctx: &Context<'_>, call: &Call<'_>) -> Result<Link, AppError> {
    Ok(open_link_with(ctx, call, |_| Vec::new()).await?.0)
}

/// [`open_link`], with the reads `more` makes for the link (keyed on it: its workspace and id)
/// sent in the same round trip as the link's own checks: two round trips in all. Answers the
/// link and what `more`'s reads found, in order.
pub async fn open_link_with(
    ctx: &Context<'_>,
    call: &Call<'_>,
    more: impl FnOnce(&Link) -> Vec<crate::sql::Statement>,
) -> Result<(Link, Vec<Vec<Row>>), AppError> {
    let token = call.params.get("token")?;
    if token.is_empty() || token.len() > 128 {
        return Err(refused());
    }
    // Only the hash is looked up: knowing the token is what lets the caller find the link.
    let hash = tokens::token_hash(token);
    ctx.db.set_scope(Scope { review_token_hash: Some(hash.clone()), ..Scope::default() });
    let link = link_store::by_token_hash(ctx.db, &hash).await?.ok_or_else(refused)?;
    ctx.db.set_scope(Scope {
        workspace_id: Some(link.workspace_id.clone()),
        review_token_hash: Some(hash),
        ..Scope::default()
    });
    if state(link.expires_at, link.revoked_at, ctx.clock.now_ms()) != LinkState::Active {
        return Err(refused());
    }
    let mut reads = link_store::opening_reads(&link).to_vec();
    reads.extend(more(&link));
    let mut answers = ctx.db.reads(&reads).await?.into_iter();
    let (role, items) = (answers.next().unwrap_or_default(), answers.next().unwrap_or_default());
    let suspended = crate::api::store::suspended_of(&role);
    let (role, link) = link_store::opened(link, &role, &items)?;
    // The creator must still be a member, of a live workspace, allowed to make links.
    let allowed =
        role.and_then(|role| Role::parse(&role)).is_some_and(|role| Permission::ReviewLinksManage.granted_to(role));
    if !allowed {
        return Err(refused());
    }
    // A suspended workspace can be read, through its links too, but not changed (SPEC IAM-5).
    if suspended && call.req.method != "GET" {
        return Err(AppError::Suspended(
            "this workspace is suspended: its review links show but take no decisions".into(),
        ));
    }
    Ok((link, answers.collect()))
}

/// Whether a link may decide `post` now, from what was read already: it is in review, and its
/// newest pending request (id, stage, version) is at the stage links decide under its workflow
/// (`link_stage`), for the post's current version.
pub fn decidable_from(post: &PostView, pending: Option<&(String, String, i64)>, link_stage: Option<&str>) -> bool {
    post.status == PostStatus::InReview
        && pending.is_some_and(|(_, stage, version)| link_stage == Some(stage.as_str()) && *version == post.version)
}

/// Requests as they stand now. The approvers of a pending stage are those named when it opened
/// who may still decide it: a member removed, demoted out of the workflow's roles, or detached
/// from the client drops out (and an "all" rule stops waiting for them). The workflows and
/// members this needs are read with the list, in the same round trip
/// (`request_store::page_reads`, whose answers these are): the first `limit` requests, and the
/// next page's cursor when there were more.
pub fn requests_of(answers: Vec<Vec<Row>>, limit: i64) -> Result<(Vec<RequestView>, Option<String>), AppError> {
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let (rows, votes, configs, members, attachments) = (next(), next(), next(), next(), next());
    let (stored, next_cursor) = request_store::page_of(rows, &votes, limit)?;
    let configs = workflow::store::configs_of(&configs)?;
    let mut out = Vec::with_capacity(stored.len());
    for Stored { mut request, post_client_id: client, post_author_id: author } in stored {
        if request.status == "pending" {
            let wf = workflow::effective_among(&configs, client.as_deref())?;
            let spec = if request.stage == Stage::Client { &wf.client } else { &wf.internal };
            let here = workflow::store::members_among(&members, &attachments, client.as_deref().unwrap_or_default())?;
            let ids = workflow::eligible_among(here, spec, request.stage == Stage::Client);
            let submitter = request.submitted_by.clone();
            request
                .approvers
                .retain(|u| ids.contains(u) && (wf.allow_self_approval || (*u != author && *u != submitter)));
        }
        out.push(request);
    }
    Ok((out, next_cursor))
}

/// Tells `approvers` (user id, address), whom the post's `stage` just opened for, that it waits
/// for them.
pub async fn notify_pending_addressed(
    ctx: &Context<'_>,
    call: &Call<'_>,
    ws: &str,
    post: &PostView,
    stage: Stage,
    approvers: &notifications::Recipients,
) {
    notifications::notify_addressed(ctx, call, ws, approvers, pending_notice(post, stage)).await;
}

fn pending_notice(post: &PostView, stage: Stage) -> Notice<'_> {
    Notice {
        kind: "approval.requested",
        title: format!("\"{}\" waits for your approval", post.title),
        body: format!("\"{}\" is in review at the {} stage.", post.title, stage.as_str()),
        subject_type: "post",
        subject_id: &post.id,
    }
}

/// Records a decision already authorised on `before`'s current stage: the new status, the
/// decision row and the activity entry in one batch (a concurrent decision makes it a 409),
/// then notifies the author, and the client's approvers when it is their turn.
pub async fn decide_idea(
    ctx: &Context<'_>,
    call: &Call<'_>,
    ws: &str,
    before: &IdeaView,
    approve: bool,
    decided: Decided<'_>,
    read: ReadWith,
) -> Result<IdeaView, AppError> {
    let client_stage = before.status == IdeaStatus::AgencyApproved;
    let mut next = before.status.apply(event_of(before.status, approve)).map_err(AppError::Conflict)?;
    let stage = if client_stage { "client" } else { "agency" };
    if approve && !decided.all_of.is_empty() {
        let given = &read.approved;
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
        idea.stage_round = before.stage_round + 1;
    }
    let decision = idea_store::decision(
        ctx.new_id(),
        ws,
        &idea.id,
        decided.by,
        stage,
        if approve { "approve" } else { "reject" },
        comment.clone(),
        now,
        before.stage_round,
        decided.link_id,
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
    // The idea as a reload would show it: with this decision last.
    idea.decisions.push(IdeaDecision {
        user_id: decided.by.to_string(),
        stage: stage.to_string(),
        decision: if approve { "approve" } else { "reject" }.to_string(),
        comment: comment.clone(),
        review_link_id: decided.link_id.map(str::to_string),
        created_at: rfc3339(now),
    });
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
    let author = std::slice::from_ref(&idea.created_by);
    match &read.addresses {
        Some(known) => {
            let to = known.among(|id| id == idea.created_by);
            notifications::notify_addressed(ctx, call, ws, &to, notice).await
        }
        None => notifications::notify(ctx, call, ws, author, notice).await,
    }
    if idea.status == IdeaStatus::AgencyApproved && idea.client_id.is_some() {
        let client_approvers = match read.client_approvers {
            Some(approvers) => approvers,
            None => {
                let (wf, members) = workflow::governing(ctx.db, ws, idea.client_id.as_deref()).await?;
                workflow::eligible_among(members, &wf.client, true)
            }
        };
        let notice = Notice {
            kind: "idea.requested",
            title: format!("A new idea waits for your approval: \"{}\"", idea.title),
            body: idea.hook.clone().or_else(|| idea.caption.clone()).unwrap_or_default(),
            subject_type: "idea",
            subject_id: &idea.id,
        };
        match &read.addresses {
            Some(known) => {
                let to = known.among(|id| client_approvers.iter().any(|a| a == id));
                notifications::notify_addressed(ctx, call, ws, &to, notice).await
            }
            None => notifications::notify(ctx, call, ws, &client_approvers, notice).await,
        }
    }
    Ok(idea)
}
