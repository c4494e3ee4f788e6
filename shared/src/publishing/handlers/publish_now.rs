//! Publish-now for privacy mode (SPEC CT-7): a private post keeps only a hash of its content,
//! so nothing can publish it later. The request brings the text; it must hash to what was
//! approved, and the post is published through the same engine within the request, its text
//! held in memory only. Publications and attempts are recorded as for any post, without it.

use futures_util::future::join_all;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::content::editing::save_edit;
use crate::content::posts::{self, Content, PostView, TargetView};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::publishing::engine::{self, Message};
use crate::publishing::handlers::schedule::{approved_on_the_way, named_accounts, pairs_of, read_scheduling};
use crate::publishing::schedule::PublicationView;
use crate::publishing::store as publications;
use crate::publishing::store::list_of;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PublishNowInput {
    /// The accounts to publish to (1 to 20); each must be connected and have a target: its
    /// own, else its platform's.
    #[serde(default)]
    pub account_ids: Vec<String>,
    /// The post's body, exactly as written: Herald kept only the hash of the post's content.
    pub body: String,
    /// The texts of the targets that have their own, exactly as written (an account's target
    /// named by its `accountId`).
    #[serde(default, deserialize_with = "crate::api::json::objects")]
    pub targets: Vec<TargetText>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetText {
    pub platform: String,
    /// The account of a target that has one; absent for the platform's target.
    pub account_id: Option<String>,
    pub text: String,
}

/// The post's content with the texts given, and each target's text to send; field errors for
/// targets the post does not have.
fn content_with(post: &PostView, input: &PublishNowInput, errors: &mut Vec<FieldError>) -> (Content, Vec<TargetView>) {
    let mut targets = post.targets.clone();
    for (i, given) in input.targets.iter().enumerate() {
        let account = given.account_id.as_deref().map(str::trim);
        let field = if account.is_some() { "accountId" } else { "platform" };
        match targets
            .iter_mut()
            .find(|t| t.platform.as_str() == given.platform.trim() && t.account_id.as_deref() == account)
        {
            Some(t) if t.text.is_none() => t.text = Some(given.text.clone()),
            Some(_) => errors.push(FieldError::new(format!("targets[{i}].{field}"), "is named twice")),
            None => errors.push(FieldError::new(
                format!("targets[{i}].{field}"),
                match account {
                    Some(_) => format!("the post has no {} target for this account", given.platform.trim()),
                    None => format!("the post has no {} target", given.platform.trim()),
                },
            )),
        }
    }
    (Content { title: post.title.clone(), body: input.body.clone(), targets: targets.clone() }, targets)
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/publish-now", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = PublishNowInput,
    responses((status = 201, description = "Published within the request: one publication per (target, account), each \
                  `published`, `failed` with its reason (send it again), or `unconfirmed` when the platform did not say", body = Envelope<Vec<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: accounts that are not connected or match no target, a target the post does not have", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more posts this period (a publication counts once); `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins and editors publish", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: not a private post (schedule it instead), not approved, already scheduled, \
                  or the text sent is not the post's content (its hash differs)", body = ErrorEnvelope)))]
pub async fn publish_now(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PublishNowInput = json::parse(&call.req.body)?;
    let ws = call.params.get("workspaceId")?.to_string();
    let me = call.caller()?.user_id.clone();
    let mut named_errors = Vec::new();
    let ids = named_accounts(&input.account_ids, &mut named_errors);
    let read = read_scheduling(ctx, call, &ws, call.params.get("postId")?, &ids, false, 0).await?;
    let post = read.post;
    let mut errors = Vec::new();
    if let Err(m) = posts::parse_body(input.body.clone()) {
        errors.push(FieldError::new("body", m));
    }
    errors.append(&mut named_errors);
    let pairs = pairs_of(&post, &ids, read.accounts.iter(), &mut errors)?;
    let (content, targets) = content_with(&post, &input, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if !post.private {
        return Err(AppError::Conflict(
            "publish-now is for posts written under privacy mode; schedule this one (without `at` it goes now)".into(),
        ));
    }
    // What was approved is what is published: the text must be the content whose hash was kept.
    if content.hash() != post.content_hash {
        return Err(AppError::Conflict(
            "the text sent is not this post's content (its hash differs): send the body and the targets' texts \
             exactly as written"
                .into(),
        ));
    }
    let status = approved_on_the_way(&post, read.pending, &read.workflow)?;
    let now = ctx.clock.now_ms();
    // Claimed at once, as the tick would: no tick or queue message can take them meanwhile.
    let claim = ctx.new_id();
    let mut statements = Vec::new();
    let mut sends = Vec::new();
    for (target_id, account) in &pairs {
        let id = ctx.new_id();
        statements.push(publications::insert_claimed(publications::Claimed {
            id: &id,
            workspace_id: &ws,
            post_id: &post.id,
            target_id,
            account_id: &account.view.id,
            platform: account.platform().as_str(),
            claim: &claim,
            created_by: &me,
            now,
        }));
        let text = targets
            .iter()
            .find(|t| &t.id == target_id)
            .and_then(|t| t.text.clone())
            .unwrap_or_else(|| input.body.clone());
        let message = Message { publication_id: id, workspace_id: ws.clone(), claim_id: claim.clone() };
        sends.push((message, text));
    }
    let after = PostView { status, ..post.clone() };
    let published = sends.len() as i64;
    statements.extend(super::schedule::counted(ctx, &ws, published, now));
    let saved = save_edit(ctx, call, &post, after, None, None, "post.publish_now", statements).await;
    super::schedule::refused_by_plan(ctx, &ws, published, saved).await?;
    // A post's targets go out together (SPEC PB-7), all in this workspace's scope.
    for done in join_all(sends.iter().map(|(m, text)| send_private(ctx, m, text))).await {
        // Its platform call may have happened: the publication stays in flight for the ticks
        // to settle, and the answer shows it as it is.
        if let Err(e) = done {
            tracing::error!(cause = %e, "a private publication could not be recorded");
        }
    }
    let created: Vec<&str> = sends.iter().map(|(m, _)| m.publication_id.as_str()).collect();
    let list = list_of(ctx.db, &ws, &post.id, true, &crate::publishing::store::Leases::of(ctx)).await?;
    Ok(json::ok(201, list.into_iter().filter(|p| created.contains(&p.id.as_str())).collect::<Vec<_>>()))
}

/// Publishes one claimed publication of the post with its text, here.
#[cfg(not(feature = "forward-private-sends"))]
async fn send_private(ctx: &Context<'_>, m: &Message, text: &str) -> Result<(), AppError> {
    engine::publish_private(ctx, m, text).await.map(drop)
}

/// Hands one claimed publication and its text, signed, to the function that publishes (the
/// publisher Worker), which answers once it has published and recorded it.
#[cfg(feature = "forward-private-sends")]
async fn send_private(ctx: &Context<'_>, m: &Message, text: &str) -> Result<(), AppError> {
    let send = engine::PrivateSend { message: m.clone(), text: text.to_string() };
    let body = serde_json::to_string(&send).map_err(|e| AppError::Internal(e.to_string()))?;
    let signature = engine::private_send_signature(ctx.config, body.as_bytes());
    ctx.jobs.publish_private(&body, &signature).await.map_err(AppError::Internal)
}

/// What `publish_now` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("PublishNowInput", "accountIds", Rule::Items(1, 20, &Rule::Id)),
    field("PublishNowInput", "body", Rule::Text(crate::content::posts::MAX_BODY_CHARS)),
    field("TargetText", "platform", Rule::OneOf(&crate::agency::campaigns::PLATFORMS)),
    field("TargetText", "accountId", Rule::Id),
    field("TargetText", "text", Rule::Text(crate::content::posts::MAX_BODY_CHARS)),
];
