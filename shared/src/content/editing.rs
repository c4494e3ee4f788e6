//! Writing a post: creating one, and saving an edit as the next version with what it does to
//! the post's review and schedule. The handlers of content, approvals and publishing, and the
//! import, all write posts through here.

use serde_json::Map;

use super::posts::{self, Content, PostInput, PostView, TargetInput, TargetView, MAX_TARGETS};
use super::status::{Event, PostStatus};
use super::store::posts as store;
use crate::activity::{self, Change};
use crate::api::{Call, Context, Member};
use crate::error::{AppError, FieldError};
use crate::platforms::{self, Platform};
use crate::sql::Sql;
use crate::sql::{DbError, Statement};
use crate::validate;
use crate::workflows::opening::restart;

/// Creates one post as version 1, in draft, with its targets, version and activity entry in
/// one atomic batch. Shared by the API and the CSV import.
pub async fn create_one(ctx: &Context<'_>, call: &Call<'_>, input: PostInput) -> Result<PostView, AppError> {
    let member = call.member()?;
    let author = call.caller()?.user_id.clone();
    let mut errors = Vec::new();
    if input.version.is_some() {
        errors.push(FieldError::new("version", "is only for updates"));
    }
    let title = match input.title.as_deref().map(posts::parse_title) {
        Some(Ok(t)) => t,
        Some(Err(m)) => {
            errors.push(FieldError::new("title", m));
            String::new()
        }
        None => {
            errors.push(FieldError::new("title", "is required"));
            String::new()
        }
    };
    let body = posts::parse_body(input.body.unwrap_or_default()).unwrap_or_else(|m| {
        errors.push(FieldError::new("body", m));
        String::new()
    });
    let tags = posts::parse_tags(input.tags.unwrap_or_default()).unwrap_or_else(|m| {
        errors.push(FieldError::new("tags", m));
        Vec::new()
    });
    let (campaign_id, client_id) =
        resolve_links(ctx.db, member, call, input.campaign_id, input.client_id, &mut errors).await?;
    let targets =
        parse_targets(ctx, &member.workspace_id, &body, input.targets.unwrap_or_default(), &[], &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let private = crate::workspaces::store::privacy_mode(ctx.db, &member.workspace_id).await?;
    let keep = !private;
    let content = Content { title, body, targets };
    let now = ctx.clock.now_ms();
    let id = ctx.new_id();
    let view = PostView {
        id: id.clone(),
        title: content.title.clone(),
        body: keep.then(|| content.body.clone()),
        content_hash: content.hash(),
        status: PostStatus::Draft,
        campaign_id,
        client_id,
        tags,
        author_id: author.clone(),
        version: 1,
        private,
        targets: content
            .targets
            .iter()
            .map(|t| posts::TargetView { text: if keep { t.text.clone() } else { None }, ..t.clone() })
            .collect(),
        created_at: crate::validate::rfc3339(now),
        updated_at: crate::validate::rfc3339(now),
    };
    let mut batch = vec![store::insert(&member.workspace_id, &view, now)];
    batch.extend(store::write_tags(&member.workspace_id, &id, &view.tags));
    batch.extend(store::write_targets(&member.workspace_id, &id, &content.targets, keep, now));
    batch.push(store::write_version(ctx, &member.workspace_id, &id, 1, &content, keep, &author, None));
    let change = Change {
        action: "post.create",
        entity_type: "post",
        entity_id: &id,
        before: None,
        after: Some(activity::snapshot(&view)),
    };
    batch.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&batch).await?;
    Ok(view)
}

/// Applies a new content and status to a post as the next version, atomically; answers the
/// post as stored and the sentence to tell the user, if any.
pub async fn save_edit(
    ctx: &Context<'_>,
    call: &Call<'_>,
    before: &PostView,
    after: PostView,
    content: Option<Content>,
    note: Option<String>,
    action: &str,
    extra: Vec<Statement>,
) -> Result<(PostView, Option<String>), AppError> {
    let member = call.member()?;
    let now = ctx.clock.now_ms();
    let mut after = after;
    let keep = !after.private;
    let mut message = None;
    let mut batch = Vec::new();
    // The client (and the campaign, which can bring one) selects the workflow: moving a post to
    // another is an edit its approvals must pass again, exactly like new text.
    let relinked = after.client_id != before.client_id || after.campaign_id != before.campaign_id;
    if content.is_some() || relinked {
        let next = before.status.apply(Event::Edit).map_err(|e| AppError::Conflict(e.to_string()))?;
        // A change under review starts the review again, from the first stage of the workflow
        // that governs the post as it will be.
        let (next, restart) = if next == PostStatus::InReview {
            let submitter = call.caller()?.user_id.clone();
            let version = if content.is_some() { before.version + 1 } else { before.version };
            let as_edited = PostView { version, ..after.clone() };
            let restart = restart(ctx, &member.workspace_id, &as_edited.review_subject(), &submitter).await?;
            (if restart.in_review { PostStatus::InReview } else { PostStatus::Approved }, restart.statements)
        } else {
            (next, Vec::new())
        };
        batch.extend(restart);
        if before.status == PostStatus::Scheduled {
            // Approved text is what was scheduled: changed text waits for approval again.
            batch.push(store::cancel_scheduled(&member.workspace_id, &before.id, now));
        }
        if next != before.status {
            message =
                Some(format!("the post was {}; the edit sent it back to {}", before.status.as_str(), next.as_str()));
        } else if before.status == PostStatus::InReview {
            message = Some("the post was in review; its approvals start again".into());
        }
        after.status = next;
    }
    if let Some(content) = &content {
        after.version = before.version + 1;
        after.title = content.title.clone();
        after.body = keep.then(|| content.body.clone());
        after.content_hash = content.hash();
        after.targets = content
            .targets
            .iter()
            .map(|t| posts::TargetView { text: if keep { t.text.clone() } else { None }, ..t.clone() })
            .collect();
        batch.extend(store::write_targets(&member.workspace_id, &after.id, &content.targets, keep, now));
        batch.push(store::write_version(
            ctx,
            &member.workspace_id,
            &after.id,
            after.version,
            content,
            keep,
            &call.caller()?.user_id,
            note,
        ));
    }
    after.updated_at = crate::validate::rfc3339(now);
    // The version and status checks make a concurrent change win and this one lose with 409;
    // the guard aborts the whole batch when the update did not apply.
    let mut head = store::update(&member.workspace_id, before, &after, now).to_vec();
    head.append(&mut batch);
    let mut batch = head;
    if after.tags != before.tags {
        batch.extend(store::write_tags(&member.workspace_id, &after.id, &after.tags));
    }
    batch.extend(extra);
    let change = Change {
        action,
        entity_type: "post",
        entity_id: &after.id,
        before: Some(activity::snapshot(before)),
        after: Some(activity::snapshot(&after)),
    };
    batch.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&batch).await.map_err(|e| match e {
        DbError::Unique(_) | DbError::Constraint(_) => {
            AppError::Conflict("the post was changed by someone else; reload it".into())
        }
        other => other.into(),
    })?;
    Ok((after, message))
}

/// Checks the targets against each platform's rules and the media library; answers them
/// with ids (kept from `existing` where the platform repeats, so ids stay stable).
pub async fn parse_targets(
    ctx: &Context<'_>,
    workspace_id: &str,
    body: &str,
    input: Vec<TargetInput>,
    existing: &[TargetView],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<TargetView>, AppError> {
    if input.len() > MAX_TARGETS {
        errors.push(FieldError::new("targets", format!("must have at most {MAX_TARGETS} targets")));
        return Ok(Vec::new());
    }
    let mut out: Vec<TargetView> = Vec::new();
    for (i, t) in input.into_iter().enumerate() {
        let at = |f: &str| format!("targets[{i}].{f}");
        let Some(platform) = Platform::parse(t.platform.trim()) else {
            errors.push(FieldError::new(at("platform"), format!("`{}` is not a supported platform", t.platform)));
            continue;
        };
        let account_id = match t.account_id.as_deref().map(str::trim) {
            None => None,
            Some(id) => match target_account(ctx, workspace_id, id, platform).await? {
                Ok(()) => Some(id.to_string()),
                Err(m) => {
                    errors.push(FieldError::new(at("accountId"), m));
                    continue;
                }
            },
        };
        match &account_id {
            Some(id) if out.iter().any(|o| o.account_id.as_ref() == Some(id)) => {
                errors.push(FieldError::new(at("accountId"), "each account may be targeted once"));
                continue;
            }
            None if out.iter().any(|o| o.platform == platform && o.account_id.is_none()) => {
                errors.push(FieldError::new(
                    at("platform"),
                    "each platform may be targeted once without an accountId (give each account its own with accountId)",
                ));
                continue;
            }
            _ => {}
        }
        let options = match t.options.map(|o| validate::object(o, 8 * 1024)) {
            Some(Err(m)) => {
                errors.push(FieldError::new(at("options"), m));
                Map::new()
            }
            Some(Ok(m)) => m,
            None => Map::new(),
        };
        let media_ids = t.media.unwrap_or_default();
        let media = store::describe_media(ctx.db, workspace_id, &media_ids).await?;
        for (j, found) in media.iter().enumerate() {
            if found.is_none() {
                errors.push(FieldError::new(
                    at(&format!("media[{j}]")),
                    "is not a ready asset of this workspace's media library",
                ));
            }
        }
        let infos: Vec<_> = media.into_iter().flatten().collect();
        let text = t.text.clone().unwrap_or_else(|| body.to_string());
        for e in platforms::validate_target(platform, &text, &infos) {
            errors.push(FieldError::new(format!("targets[{i}].{}", e.field), e.message));
        }
        let id = existing
            .iter()
            .find(|e| e.platform == platform && e.account_id == account_id)
            .map_or_else(|| ctx.new_id(), |e| e.id.clone());
        out.push(TargetView { id, platform, account_id, text: t.text, options, media: media_ids });
    }
    Ok(out)
}

/// Whether `id` is an account a target on `platform` may name: a connected account of this
/// workspace (one that needs reconnecting still is), on that platform. `Err` says why not.
async fn target_account(
    ctx: &Context<'_>,
    workspace_id: &str,
    id: &str,
    platform: Platform,
) -> Result<Result<(), String>, AppError> {
    if id.is_empty() {
        return Ok(Err("must be a social account id".into()));
    }
    let account = match crate::accounts::store::load(ctx.db, workspace_id, id).await {
        Ok(a) => a,
        Err(AppError::NotFound(_)) => return Ok(Err("is not a connected account of this workspace".into())),
        Err(e) => return Err(e),
    };
    Ok(if account.view.status == "disconnected" {
        Err("is disconnected: connect it again first".into())
    } else if account.platform() != platform {
        Err(format!("is a {} account, not {}", account.platform().as_str(), platform.as_str()))
    } else {
        Ok(())
    })
}

/// Campaign and client of a post must agree: a campaign's client is the post's client.
pub async fn resolve_links(
    db: &dyn Sql,
    member: &Member,
    call: &Call<'_>,
    campaign_id: Option<String>,
    client_id: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let limit_to = crate::agency::client_limit(call, member)?;
    let mut client = client_id.filter(|c| !c.trim().is_empty());
    let campaign = campaign_id.filter(|c| !c.trim().is_empty());
    if let Some(c) = &client {
        if let Err(m) = crate::agency::clients::ensure_active(db, &member.workspace_id, c).await {
            errors.push(FieldError::new("clientId", m));
        }
    }
    if let Some(id) = &campaign {
        match crate::agency::campaigns::visible(db, &member.workspace_id, &limit_to, id).await {
            Ok(c) if c.status == "archived" => errors.push(FieldError::new("campaignId", "is archived")),
            Ok(c) => match (&client, c.client_id) {
                (Some(given), Some(of_campaign)) if *given != of_campaign => {
                    errors.push(FieldError::new("clientId", "differs from the campaign's client"))
                }
                (None, Some(of_campaign)) => client = Some(of_campaign),
                _ => {}
            },
            Err(_) => errors.push(FieldError::new("campaignId", "is not a campaign of this workspace")),
        }
    }
    Ok((campaign, client))
}
