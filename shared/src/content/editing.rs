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

/// What creating posts needs to know beyond their input: whether the workspace keeps texts
/// private, and which of the clients and campaigns the posts name exist for the caller. Read
/// in one round trip, for one post or for every row of an import.
pub struct Known {
    private: bool,
    /// The active clients among those named.
    clients: Vec<String>,
    /// The campaigns among those named that the caller may see.
    campaigns: Vec<crate::agency::model::campaigns::CampaignView>,
}

impl Known {
    /// Reads what posts naming `client_ids` and `campaign_ids` need to know.
    pub async fn read(
        db: &dyn Sql,
        member: &Member,
        call: &Call<'_>,
        client_ids: &[String],
        campaign_ids: &[String],
    ) -> Result<Known, AppError> {
        let unique = |ids: &[String]| {
            let mut ids: Vec<String> = ids.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let (client_ids, campaign_ids) = (unique(client_ids), unique(campaign_ids));
        let limit_to = crate::agency::client_limit(call, member)?;
        let clients = crate::agency::store::clients::active_among(&member.workspace_id, &client_ids);
        let campaigns = crate::agency::store::campaigns::visible_among(&member.workspace_id, &limit_to, &campaign_ids);
        let mut reads = vec![crate::workspaces::store::privacy_mode_read(&member.workspace_id)];
        let (n_clients, n_campaigns) = (clients.len(), campaigns.len());
        reads.extend(clients);
        reads.extend(campaigns);
        let answers = db.reads(&reads).await?;
        let mut known = Known {
            private: crate::workspaces::store::privacy_mode_of(answers.first().map_or(&[][..], Vec::as_slice))?,
            clients: Vec::new(),
            campaigns: Vec::new(),
        };
        for rows in answers.iter().skip(1).take(n_clients) {
            known.clients.extend(crate::agency::store::clients::ids_of(rows)?);
        }
        for rows in answers.iter().skip(1 + n_clients).take(n_campaigns) {
            known.campaigns.extend(crate::agency::store::campaigns::decode_all(rows)?);
        }
        Ok(known)
    }

    /// Campaign and client of a post must agree: a campaign's client is the post's client.
    pub fn links(
        &self,
        campaign_id: Option<String>,
        client_id: Option<String>,
        errors: &mut Vec<FieldError>,
    ) -> (Option<String>, Option<String>) {
        let mut client = client_id.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let campaign = campaign_id.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        if let Some(c) = &client {
            if !self.clients.contains(c) {
                errors.push(FieldError::new("clientId", "is not an active client of this workspace"));
            }
        }
        if let Some(id) = &campaign {
            match self.campaigns.iter().find(|c| c.id == *id) {
                Some(c) if c.status == "archived" => errors.push(FieldError::new("campaignId", "is archived")),
                Some(c) => match (&client, &c.client_id) {
                    (Some(given), Some(of_campaign)) if given != of_campaign => {
                        errors.push(FieldError::new("clientId", "differs from the campaign's client"))
                    }
                    (None, Some(of_campaign)) => client = Some(of_campaign.clone()),
                    _ => {}
                },
                None => errors.push(FieldError::new("campaignId", "is not a campaign of this workspace")),
            }
        }
        (campaign, client)
    }
}

/// Creates one post as version 1, in draft, with its targets, version and activity entry in
/// one atomic batch. Shared by the API, templates and ideas.
pub async fn create_one(ctx: &Context<'_>, call: &Call<'_>, input: PostInput) -> Result<PostView, AppError> {
    let member = call.member()?;
    let known = Known::read(ctx.db, member, call, input.client_id.as_slice(), input.campaign_id.as_slice()).await?;
    let (view, batch) = draft(ctx, call, input, &known).await?;
    ctx.db.batch(&batch).await?;
    Ok(view)
}

/// A new post from `input`, checked against what is `known`, and the statements that store it
/// (the post, its tags, targets, first version and activity entry), to be run as one batch.
/// Reads nothing unless a target names an account or media.
pub async fn draft(
    ctx: &Context<'_>,
    call: &Call<'_>,
    input: PostInput,
    known: &Known,
) -> Result<(PostView, Vec<Statement>), AppError> {
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
    let (campaign_id, client_id) = known.links(input.campaign_id, input.client_id, &mut errors);
    let targets =
        parse_targets(ctx, &member.workspace_id, &body, input.targets.unwrap_or_default(), &[], &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let private = known.private;
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
    Ok((view, batch))
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
    // Every account and asset the targets name, read in one round trip.
    let account_ids: Vec<String> =
        input.iter().filter_map(|t| t.account_id.as_deref().map(str::trim)).map(str::to_string).collect();
    let media_ids: Vec<String> = input.iter().flat_map(|t| t.media.iter().flatten().cloned()).collect();
    let (accounts, media) = if account_ids.is_empty() && media_ids.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let accounts = crate::accounts::store::among(workspace_id, &account_ids);
        let n_accounts = accounts.len();
        let mut reads = accounts;
        reads.extend(store::describe_media(workspace_id, &media_ids));
        let answers = ctx.db.reads(&reads).await?;
        let mut accounts = Vec::new();
        for row in answers.iter().take(n_accounts).flatten() {
            accounts.push(crate::accounts::store::decode(row)?);
        }
        let mut media = Vec::new();
        for rows in answers.iter().skip(n_accounts) {
            media.extend(store::media_of(rows)?);
        }
        (accounts, media)
    };
    let mut out: Vec<TargetView> = Vec::new();
    for (i, t) in input.into_iter().enumerate() {
        let at = |f: &str| format!("targets[{i}].{f}");
        let Some(platform) = Platform::parse(t.platform.trim()) else {
            errors.push(FieldError::new(at("platform"), format!("`{}` is not a supported platform", t.platform)));
            continue;
        };
        let account_id = match t.account_id.as_deref().map(str::trim) {
            None => None,
            Some(id) => match target_account(&accounts, id, platform) {
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
        let mut infos = Vec::with_capacity(media_ids.len());
        for (j, id) in media_ids.iter().enumerate() {
            match media.iter().find(|(found, _)| found == id) {
                Some((_, info)) => infos.push(info.clone()),
                None => errors.push(FieldError::new(
                    at(&format!("media[{j}]")),
                    "is not a ready asset of this workspace's media library",
                )),
            }
        }
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
/// workspace (one that needs reconnecting still is), among `accounts`, on that platform. `Err`
/// says why not.
fn target_account(accounts: &[crate::accounts::Account], id: &str, platform: Platform) -> Result<(), String> {
    if id.is_empty() {
        return Err("must be a social account id".into());
    }
    let Some(account) = accounts.iter().find(|a| a.view.id == id) else {
        return Err("is not a connected account of this workspace".into());
    };
    if account.view.status == "disconnected" {
        Err("is disconnected: connect it again first".into())
    } else if account.platform() != platform {
        Err(format!("is a {} account, not {}", account.platform().as_str(), platform.as_str()))
    } else {
        Ok(())
    }
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
    let known = Known::read(db, member, call, client_id.as_slice(), campaign_id.as_slice()).await?;
    Ok(known.links(campaign_id, client_id, errors))
}
