//! Template handlers (SPEC CT-5): list, create, read, edit and archive blocks, render one, and
//! make a post from a template. The rendering language is in `content::render`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::activity::{self, Change};
use crate::agency::{campaigns, clients};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::content::editing;
use crate::content::posts::{self, MAX_BODY_CHARS};
use crate::content::render::{self, IncludeKind, Included, Lookup, Piece, Report};
use crate::content::store::templates as store;
use crate::content::templates::*;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::sql::DbError;
use crate::validate::rfc3339;

async fn active_client(ctx: &Context<'_>, member: &Member, id: &str, errors: &mut Vec<FieldError>) {
    if let Err(m) = clients::ensure_active(ctx.db, &member.workspace_id, id).await {
        errors.push(FieldError::new("clientId", m));
    }
}

fn unique_name(kind: BlockKind, name: &str) -> impl FnOnce(DbError) -> AppError + '_ {
    move |e| match e {
        DbError::Unique(_) => AppError::Conflict(format!(
            "a {} named {name} already exists in this workspace",
            kind.as_str().replace('_', " ")
        )),
        DbError::Constraint(_) => AppError::Conflict("the block was changed or archived meanwhile; reload it".into()),
        other => other.into(),
    }
}

// ── Handlers ────────────────────────────────────────────────────────────────────────────

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/templates", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), BlockQuery),
    responses(
        (status = 200, description = "Templates, snippets, hashtag groups and signatures by kind and name; a Client member sees only its clients' blocks", body = Envelope<BlockPage>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let q = |n: &str| call.req.query_param(n).unwrap_or_default();
    let mut errors = Vec::new();
    let kind = q("kind");
    if !kind.is_empty() && BlockKind::parse(&kind).is_none() {
        errors.push(FieldError::new("kind", KIND_RULE));
    }
    let limit =
        call.req.query_param("limit").map_or(Some(100), |l| l.parse::<i64>().ok().filter(|l| (1..=200).contains(l)));
    let offset =
        call.req.query_param("offset").map_or(Some(0), |o| o.parse::<i64>().ok().filter(|o| (0..=100_000).contains(o)));
    let (Some(limit), Some(offset)) = (limit, offset) else {
        if limit.is_none() {
            errors.push(FieldError::new("limit", "must be 1 to 200"));
        }
        if offset.is_none() {
            errors.push(FieldError::new("offset", "must be 0 to 100000"));
        }
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let archived = call.req.query_flag("includeArchived")?;
    let filter = store::BlockFilter {
        kind: &kind,
        client_id: &q("clientId"),
        include_archived: archived,
        tag: &q("tag").to_lowercase(),
        limit,
        offset,
    };
    // The membership check and the page: one round trip.
    let read = store::list_read(call.params.get("workspaceId")?, &call.caller()?.user_id, &filter);
    let (_, mut items) = call.admitted_one(ctx.db, read, store::list_of).await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(json::ok(200, BlockPage { items, next_offset: more.then_some(offset + limit) }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/templates", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = BlockInput,
    responses(
        (status = 201, description = "Created", body = Envelope<BlockView>),
        (status = 400, description = "VALIDATION_ERROR: every field, each with its own detail", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: viewers and Client members read only", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: an active block of this kind already has the name", body = ErrorEnvelope),
    ))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: BlockInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let mut errors = Vec::new();
    let kind = match input.kind.as_deref().map(|k| BlockKind::parse(k.trim())) {
        None => {
            errors.push(FieldError::new("kind", "is required"));
            None
        }
        Some(None) => {
            errors.push(FieldError::new("kind", KIND_RULE));
            None
        }
        Some(kind) => kind,
    };
    let name = match input.name.as_deref().map(render::block_name) {
        None => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
        Some(Err(m)) => {
            errors.push(FieldError::new("name", m));
            None
        }
        Some(Ok(n)) => Some(n),
    };
    let parts = match kind {
        Some(kind) => {
            foreign_fields(
                kind,
                [
                    ("title", input.title.is_some()),
                    ("body", input.body.is_some()),
                    ("platformTexts", input.platform_texts.is_some()),
                    ("text", input.text.is_some()),
                    ("hashtags", input.hashtags.is_some()),
                ],
                &mut errors,
            );
            let body = if kind == BlockKind::Template { input.body } else { input.text };
            let draft =
                Draft { title: input.title, body, platform_texts: input.platform_texts, hashtags: input.hashtags };
            check_content(kind, name.as_deref(), draft, &mut errors)
        }
        None => Parts::default(),
    };
    let client_id = input.client_id.filter(|c| !c.trim().is_empty());
    if let Some(c) = &client_id {
        active_client(ctx, member, c, &mut errors).await;
    }
    let tags = tags(input.tags, &mut errors).unwrap_or_default();
    let (Some(kind), Some(name), true) = (kind, name, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = ctx.clock.now_ms();
    let view = BlockView {
        id: ctx.new_id(),
        kind,
        name,
        title: parts.title,
        body: parts.body.clone().filter(|_| kind == BlockKind::Template),
        platform_texts: parts.platform_texts,
        text: parts.body.filter(|_| kind.has_text()),
        hashtags: parts.hashtags,
        client_id,
        tags,
        created_by: call.caller()?.user_id.clone(),
        archived: false,
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let change = Change {
        action: "template.create",
        entity_type: "template",
        entity_id: &view.id,
        before: None,
        after: Some(activity::snapshot(&view)),
    };
    let mut batch = store::write(member, &view, now, true);
    batch.push(activity::record(ctx, call, &member.workspace_id, change));
    ctx.db.batch(&batch).await.map_err(unique_name(kind, &view.name))?;
    Ok(json::ok(201, view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/templates/{templateId}", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)),
    responses(
        (status = 200, description = "The block, archived or not", body = Envelope<BlockView>),
        (status = 404, description = "NOT_FOUND, also for another client's block seen by a Client member", body = ErrorEnvelope),
    ))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the block: one round trip.
    let read =
        store::load_read(call.params.get("workspaceId")?, &call.caller()?.user_id, call.params.get("templateId")?);
    let (_, found) = call.admitted_one(ctx.db, read, store::one_of).await?;
    Ok(json::ok(200, found))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/templates/{templateId}", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)), request_body = BlockPatch,
    responses(
        (status = 200, description = "Updated; the kind never changes", body = Envelope<BlockView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: archived, or the new name is taken", body = ErrorEnvelope),
    ))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_block(ctx, call).await?;
    let member = &member;
    let input: BlockPatch = json::parse(&call.req.body)?;
    if before.archived {
        return Err(AppError::Conflict(format!(
            "an archived {} cannot be changed",
            before.kind.as_str().replace('_', " ")
        )));
    }
    let kind = before.kind;
    let mut errors = Vec::new();
    foreign_fields(
        kind,
        [
            ("title", input.title.is_some()),
            ("body", input.body.is_some()),
            ("platformTexts", input.platform_texts.is_some()),
            ("text", input.text.is_some()),
            ("hashtags", input.hashtags.is_some()),
        ],
        &mut errors,
    );
    let name = match input.name.as_deref().map(render::block_name) {
        None => before.name.clone(),
        Some(Ok(n)) => n,
        Some(Err(m)) => {
            errors.push(FieldError::new("name", m));
            before.name.clone()
        }
    };
    let body = if kind == BlockKind::Template { input.body } else { input.text };
    // The whole content is checked again, so a rename is also checked against self-includes.
    let draft = Draft {
        title: input.title.or(before.title.clone()),
        body: body.or(before.stored_body()),
        platform_texts: input.platform_texts.or(Some(before.platform_texts.clone())),
        hashtags: input.hashtags.or(Some(before.hashtags.clone())).filter(|_| kind == BlockKind::HashtagGroup),
    };
    let parts = check_content(kind, Some(&name), draft, &mut errors);
    let client_id = match input.client_id {
        None => before.client_id.clone(),
        Some(c) if c.trim().is_empty() => None,
        Some(c) => {
            // A block may stay with its client after that client is archived; moving to one needs it active.
            if before.client_id.as_deref() != Some(c.as_str()) {
                active_client(ctx, member, &c, &mut errors).await;
            }
            Some(c)
        }
    };
    let tags = tags(input.tags, &mut errors).unwrap_or_else(|| before.tags.clone());
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    let after = BlockView {
        name,
        title: parts.title,
        body: parts.body.clone().filter(|_| kind == BlockKind::Template),
        platform_texts: parts.platform_texts,
        text: parts.body.filter(|_| kind.has_text()),
        hashtags: parts.hashtags,
        client_id,
        tags,
        updated_at: rfc3339(now),
        ..before.clone()
    };
    let guard = store::updated_at(&member.workspace_id, &after.id, now);
    let change = Change {
        action: "template.update",
        entity_type: "template",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    let mut batch = store::write(member, &after, now, false);
    batch.extend([guard, activity::record(ctx, call, &member.workspace_id, change)]);
    ctx.db.batch(&batch).await.map_err(unique_name(kind, &after.name))?;
    Ok(json::ok(200, after))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/templates/{templateId}", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)),
    responses(
        (status = 200, description = "Archived: kept, listed only with includeArchived, no longer included by other blocks; its name is free again", body = Envelope<BlockView>),
        (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn archive(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_block(ctx, call).await?;
    let member = &member;
    if before.archived {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let after = BlockView { archived: true, updated_at: rfc3339(now), ..before.clone() };
    let write = store::archive(&member.workspace_id, &before.id, now);
    let change = Change {
        action: "template.archive",
        entity_type: "template",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, after))
}

// ── Rendering ───────────────────────────────────────────────────────────────────────────

/// The values given by the caller, checked: names as variables are named, scalar values.
fn given_values(input: Option<BTreeMap<String, Json>>, errors: &mut Vec<FieldError>) -> BTreeMap<String, String> {
    let input = input.unwrap_or_default();
    if input.len() > MAX_VARIABLES {
        errors.push(FieldError::new("variables", format!("must have at most {MAX_VARIABLES} values")));
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    for (name, value) in input {
        let field = format!("variables.{name}");
        if !render::is_variable_name(&name) {
            errors.push(FieldError::new(field, "is not a variable name ([a-zA-Z][a-zA-Z0-9_.]*)"));
            continue;
        }
        let text = match value {
            Json::String(s) => s,
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            _ => {
                errors.push(FieldError::new(field, "must be a string, a number or a boolean"));
                continue;
            }
        };
        if text.chars().count() > MAX_VALUE_CHARS {
            errors.push(FieldError::new(field, format!("must be at most {MAX_VALUE_CHARS} characters")));
            continue;
        }
        out.insert(name, text);
    }
    out
}

struct RenderFor {
    client: Option<clients::ClientView>,
    campaign: Option<campaigns::CampaignView>,
}

/// A block to render, read with everything a render reads before its includes: the client and
/// campaign given (each as the caller may see it), the block's own client, the campaign's
/// client and the workspace's name and time zone, in one round trip.
struct ToRender {
    block: BlockView,
    client_id: Option<String>,
    campaign_id: Option<String>,
    /// The answers of `[block, workspace, block's client, client given, campaign given,
    /// campaign's client]`.
    answers: Vec<Vec<crate::sql::Row>>,
}

impl ToRender {
    fn answer(&self, i: usize) -> &[crate::sql::Row] {
        self.answers.get(i).map_or(&[][..], Vec::as_slice)
    }
}

async fn read_to_render(
    ctx: &Context<'_>,
    call: &Call<'_>,
    client_id: Option<String>,
    campaign_id: Option<String>,
) -> Result<ToRender, AppError> {
    let ws = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.as_str();
    let block_id = call.params.get("templateId")?;
    let client_id = client_id.filter(|c| !c.trim().is_empty());
    let campaign_id = campaign_id.filter(|c| !c.trim().is_empty());
    let reads = vec![
        store::load_read(ws, viewer, block_id),
        crate::workspaces::store::name_and_timezone_read(ws),
        clients::owner_of_read(ws, "content_blocks", block_id),
        clients::one_read(ws, viewer, client_id.as_deref().unwrap_or_default()),
        campaigns::one_read(ws, viewer, campaign_id.as_deref().unwrap_or_default()),
        clients::owner_of_read(ws, "campaigns", campaign_id.as_deref().unwrap_or_default()),
    ];
    // With the membership check: the caller is admitted by the same round trip.
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let block = store::one_of(answers.first().map_or(&[][..], Vec::as_slice))?;
    Ok(ToRender { block, client_id, campaign_id, answers })
}

/// The client and campaign a render is for, from what [`read_to_render`] found: problems with
/// the ones given go to `errors`.
fn render_context(read: &ToRender, for_post: bool, errors: &mut Vec<FieldError>) -> Result<RenderFor, AppError> {
    let block = &read.block;
    let mut client = None;
    if read.client_id.is_some() {
        match clients::one_of(read.answer(3)) {
            Err(AppError::NotFound(_)) => errors.push(FieldError::new("clientId", "is not a client of this workspace")),
            Err(e) => return Err(e),
            Ok(c) if block.client_id.as_ref().is_some_and(|own| *own != c.id) => {
                errors.push(FieldError::new("clientId", "differs from the template's client"))
            }
            Ok(c) => client = Some(c),
        }
    }
    if let (None, Some(_)) = (&client, &block.client_id) {
        // The block is visible, so its client is too.
        client = Some(clients::one_of(read.answer(2))?);
    }
    let mut campaign = None;
    if read.campaign_id.is_some() {
        match campaigns::one_of(read.answer(4)) {
            Err(AppError::NotFound(_)) => {
                errors.push(FieldError::new("campaignId", "is not a campaign of this workspace"))
            }
            Err(e) => return Err(e),
            Ok(c) => {
                match (&c.client_id, &client) {
                    (Some(of_campaign), Some(chosen)) if *of_campaign != chosen.id => {
                        errors.push(FieldError::new("campaignId", "belongs to another client"))
                    }
                    (Some(_), None) if block.client_id.is_none() => client = Some(clients::one_of(read.answer(5))?),
                    _ => {}
                }
                if for_post && c.status == "archived" {
                    errors.push(FieldError::new("campaignId", "is archived"));
                }
                campaign = Some(c);
            }
        }
    }
    if for_post && client.as_ref().is_some_and(|c| c.archived) {
        errors.push(FieldError::new("clientId", "is archived"));
    }
    Ok(RenderFor { client, campaign })
}

/// Renders what [`read_to_render`] read; the blocks its texts include are read together, in a
/// second round trip.
async fn render_block(
    ctx: &Context<'_>,
    call: &Call<'_>,
    read: &ToRender,
    input: RenderInput,
    for_post: bool,
) -> Result<Rendered, AppError> {
    let member = call.member()?;
    let block = &read.block;
    let mut errors = Vec::new();
    let given = given_values(input.variables, &mut errors);
    let found = render_context(read, for_post, &mut errors)?;
    let workspace = read.answer(1).first().ok_or_else(|| AppError::not_found("workspace"))?;
    let (workspace_name, timezone) = (workspace.text("name")?, workspace.text("timezone")?);

    let mut values: BTreeMap<String, Lookup> = BTreeMap::new();
    values.insert("workspace.name".into(), Lookup::Value(workspace_name));
    values.insert("date".into(), Lookup::Value(today(ctx.clock.now_ms(), &timezone)));
    values.insert(
        "client.name".into(),
        match &found.client {
            Some(c) => Lookup::Value(c.name.clone()),
            None => Lookup::Unavailable("needs a client: pass clientId, or render a template of a client".into()),
        },
    );
    values.insert(
        "campaign.name".into(),
        match &found.campaign {
            Some(c) => Lookup::Value(c.name.clone()),
            None => Lookup::Unavailable("needs a campaign: pass campaignId".into()),
        },
    );
    values.extend(given.into_iter().map(|(k, v)| (k, Lookup::Value(v))));

    // The texts to render, each with the field its problems are reported at.
    let mut texts: Vec<(String, Vec<Piece>)> = Vec::new();
    let mut add = |field: String, text: &str, errors: &mut Vec<FieldError>| match render::parse(text) {
        Ok(p) => texts.push((field, p)),
        Err(m) => errors.push(FieldError::new(field, m)),
    };
    if let Some(t) = &block.title {
        add("title".into(), t, &mut errors);
    }
    if let Some(b) = block.stored_body() {
        add(block.kind.text_field().into(), &b, &mut errors);
    }
    for (platform, t) in &block.platform_texts {
        add(format!("platformTexts.{platform}"), t, &mut errors);
    }

    // Includes nest one level, so the blocks the root names are all a render can need.
    let mut wanted: Vec<(IncludeKind, String)> = Vec::new();
    for (_, pieces) in &texts {
        for inc in render::includes(pieces) {
            if !wanted.contains(&inc) {
                wanted.push(inc);
            }
        }
    }
    if wanted.len() > MAX_INCLUDES {
        errors.push(FieldError::new(
            block.kind.text_field(),
            format!("includes {} blocks; at most {MAX_INCLUDES} are allowed", wanted.len()),
        ));
        wanted.truncate(MAX_INCLUDES);
    }
    let client_id = found.client.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    // Another client's block is never pulled into this client's text.
    let reads: Vec<_> = wanted
        .iter()
        .map(|(kind, name)| store::includable_read(&member.workspace_id, kind.block_kind(), name, &client_id))
        .collect();
    let answers = if reads.is_empty() { Vec::new() } else { ctx.db.reads(&reads).await? };
    let mut blocks = BTreeMap::new();
    for ((kind, name), rows) in wanted.into_iter().zip(answers.iter()) {
        let Some((body, hashtags)) = store::includable_of(rows)? else { continue };
        let included = if kind == IncludeKind::Hashtags {
            Included::Hashtags(hashtags)
        } else {
            let text = body.unwrap_or_default();
            // Stored texts were checked when written; should one not parse, it is shown as written.
            Included::Text(render::parse(&text).unwrap_or_else(|_| vec![Piece::Text(text)]))
        };
        blocks.insert((kind, name), included);
    }

    let env = render::Env {
        values: &values,
        blocks: &blocks,
        root: IncludeKind::for_block_kind(block.kind.as_str()).map(|k| (k, block.name.clone())),
        strict: input.strict.unwrap_or(true),
        max_chars: MAX_BODY_CHARS,
    };
    let mut report = Report::default();
    let mut out = Rendered {
        template_id: block.id.clone(),
        kind: block.kind,
        title: None,
        body: block.hashtags.join(" "),
        platform_texts: BTreeMap::new(),
        client_id: found.client.map(|c| c.id),
        campaign_id: found.campaign.map(|c| c.id),
        variables: Vec::new(),
        includes: Vec::new(),
        unresolved: Vec::new(),
    };
    for (field, pieces) in &texts {
        let text = render::render(pieces, field, &env, &mut report);
        match field.strip_prefix("platformTexts.") {
            Some(platform) => {
                out.platform_texts.insert(platform.to_string(), text);
            }
            None if field == "title" => out.title = Some(text),
            None => out.body = text,
        }
    }
    errors.extend(report.errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    out.variables = report.variables;
    out.includes = report.includes;
    out.unresolved = report.unresolved;
    Ok(out)
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/templates/{templateId}/render", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)), request_body(content = Option<RenderInput>, description = "Optional: the values to fill"),
    responses(
        (status = 200, description = "The block rendered: given values, then the built-ins {{client.name}}, {{campaign.name}}, {{workspace.name}} and {{date}} (today in the workspace's time zone), and includes of other active blocks; `\\{{` writes a literal `{{`", body = Envelope<Rendered>),
        (status = 400, description = "VALIDATION_ERROR: an unknown variable at `variables.NAME`; a missing block, a cycle or a too deep include at the text it is in", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn render(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: RenderInput = json::parse_optional(&call.req.body)?;
    let read = read_to_render(ctx, call, input.client_id.clone(), input.campaign_id.clone()).await?;
    Ok(json::ok(200, render_block(ctx, call, &read, input, false).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/templates/{templateId}/posts", tag = "templates", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("templateId" = String, Path)), request_body(content = Option<PostFromTemplateInput>, description = "Optional"),
    responses(
        (status = 201, description = "A draft post made from the template rendered strictly, exactly as POST /posts would make it", body = Envelope<posts::PostView>),
        (status = 400, description = "VALIDATION_ERROR: as for render, plus the post's own title and body rules; `templateId` when the block is not a template", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: the role may not write posts", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the template is archived", body = ErrorEnvelope),
    ))]
pub async fn to_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PostFromTemplateInput = json::parse_optional(&call.req.body)?;
    let read = read_to_render(ctx, call, input.client_id.clone(), input.campaign_id.clone()).await?;
    let block = &read.block;
    if block.kind != BlockKind::Template {
        return Err(AppError::field(
            "templateId",
            format!("is a {}; only templates make posts", block.kind.as_str().replace('_', " ")),
        ));
    }
    if block.archived {
        return Err(AppError::Conflict("an archived template makes no posts".into()));
    }
    let render_input = RenderInput {
        variables: input.variables,
        client_id: input.client_id,
        campaign_id: input.campaign_id,
        strict: Some(true),
    };
    let rendered = render_block(ctx, call, &read, render_input, true).await?;
    // The post's own rules, so the draft does not fail later at POST /posts for these.
    let mut errors = Vec::new();
    let title = posts::parse_title(rendered.title.as_deref().unwrap_or_default())
        .map_err(|m| errors.push(FieldError::new("title", format!("once rendered {m}"))))
        .unwrap_or_default();
    let body = posts::parse_body(rendered.body)
        .map_err(|m| errors.push(FieldError::new("body", format!("once rendered {m}"))))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let targets = rendered
        .platform_texts
        .into_iter()
        .map(|(platform, text)| posts::TargetInput {
            platform,
            account_id: None,
            text: Some(text),
            options: None,
            media: None,
        })
        .collect::<Vec<_>>();
    // The same path as POST /posts: its validation (platform limits included), version 1,
    // activity entry, all in one batch.
    let post = editing::create_one(
        ctx,
        call,
        posts::PostInput {
            title: Some(title),
            body: Some(body),
            campaign_id: rendered.campaign_id,
            client_id: rendered.client_id,
            tags: None,
            targets: Some(targets),
            version: None,
        },
    )
    .await?;
    Ok(json::ok(201, post))
}

/// The caller's membership check and the block in the path: one round trip.
async fn admitted_block(ctx: &Context<'_>, call: &Call<'_>) -> Result<(Member, BlockView), AppError> {
    let (workspace_id, id) = (call.params.get("workspaceId")?, call.params.get("templateId")?);
    let read = store::load_read(workspace_id, &call.caller()?.user_id, id);
    call.admitted_one(ctx.db, read, store::one_of).await
}
