//! Templates, snippets, hashtag groups and signatures (SPEC CT-5): the reusable blocks a
//! workspace writes posts from, rendered with `{{variables}}` (the language is in
//! [`super::render`]).
//!
//! The four kinds live in one table and one resource (`/templates?kind=…`): they share naming,
//! client ownership, tags and archival, and an include finds its block by kind and name. A
//! block of a client is seen by that client's Client members and used only in renders for that
//! client; a block without a client is the agency's own, and may be included in any client's
//! text (a Client member then reads it only inside that rendered text). Blocks are kept under
//! privacy mode: they are the workspace's reusable wording, not the posts privacy mode forgets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use super::posts::{self, MAX_BODY_CHARS};
use super::posts_api;
use super::render::{self, IncludeKind, Included, Lookup, Piece, Report};
use crate::activity::{self, Change};
use crate::agency::{campaigns, client_limit, clients};
use crate::api::documented::{field, query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::platforms::Platform;
use crate::sql::{DbError, Row, Statement};
use crate::validate::rfc3339;

/// A snippet's or a signature's text.
const MAX_TEXT_CHARS: usize = 5_000;
/// What Instagram, the strictest platform, accepts in one post.
const MAX_HASHTAGS: usize = 30;
const MAX_HASHTAG_CHARS: usize = 100;
const MAX_VARIABLES: usize = 100;
const MAX_VALUE_CHARS: usize = 5_000;
/// Distinct blocks one render may include: each is a query.
const MAX_INCLUDES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Template,
    Snippet,
    HashtagGroup,
    Signature,
}

impl BlockKind {
    pub const ALL: [BlockKind; 4] =
        [BlockKind::Template, BlockKind::Snippet, BlockKind::HashtagGroup, BlockKind::Signature];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Template => "template",
            BlockKind::Snippet => "snippet",
            BlockKind::HashtagGroup => "hashtag_group",
            BlockKind::Signature => "signature",
        }
    }

    pub fn parse(s: &str) -> Option<BlockKind> {
        BlockKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Snippets and signatures hold one text.
    fn has_text(self) -> bool {
        matches!(self, BlockKind::Snippet | BlockKind::Signature)
    }

    /// The field a block's main text is read from and reported at.
    fn text_field(self) -> &'static str {
        if self == BlockKind::Template {
            "body"
        } else {
            "text"
        }
    }
}

const KIND_RULE: &str = "must be template, snippet, hashtag_group or signature";

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockInput {
    /// template, snippet, hashtag_group or signature
    pub kind: Option<String>,
    /// How includes name the block (`{{snippet:NAME}}`): 1 to 64 letters, digits, `_`, `-` or
    /// `.`; unique per kind among the workspace's active blocks.
    pub name: Option<String>,
    /// Templates: the post's title; may hold placeholders.
    pub title: Option<String>,
    /// Templates: the post's body.
    pub body: Option<String>,
    /// Templates: a text of their own for some platforms, e.g. `{"x": "Short: {{link}}"}`.
    pub platform_texts: Option<BTreeMap<String, String>>,
    /// Snippets and signatures: their text.
    pub text: Option<String>,
    /// Hashtag groups: `#` and letters, digits or underscores; duplicates are dropped; at most 30.
    pub hashtags: Option<Vec<String>>,
    /// A client's own block; absent for the agency's.
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockPatch {
    pub name: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// Replaces every per-platform text; `{}` removes them.
    pub platform_texts: Option<BTreeMap<String, String>>,
    pub text: Option<String>,
    /// Replaces the group's hashtags.
    pub hashtags: Option<Vec<String>>,
    /// `""` makes the block the agency's own again.
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    pub id: String,
    pub kind: BlockKind,
    pub name: String,
    /// Templates only.
    pub title: Option<String>,
    /// Templates only.
    pub body: Option<String>,
    /// Templates only: platform → text.
    pub platform_texts: BTreeMap<String, String>,
    /// Snippets and signatures only.
    pub text: Option<String>,
    /// Hashtag groups only.
    pub hashtags: Vec<String>,
    pub client_id: Option<String>,
    pub tags: Vec<String>,
    pub created_by: String,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl BlockView {
    /// What the `body` column holds: a template's body or a snippet's/signature's text.
    fn stored_body(&self) -> Option<String> {
        self.body.clone().or_else(|| self.text.clone())
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockPage {
    pub items: Vec<BlockView>,
    /// The offset of the next page; absent on the last.
    pub next_offset: Option<i64>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct BlockQuery {
    /// template, snippet, hashtag_group or signature
    kind: Option<String>,
    client_id: Option<String>,
    /// A whole tag, matched without case: `%` and `_` are characters like any other.
    tag: Option<String>,
    include_archived: Option<bool>,
    /// 1 to 200, default 100.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 100000)]
    offset: Option<u32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RenderInput {
    /// Values by variable name: strings, numbers or booleans. A value given here wins over the
    /// built-in of the same name (e.g. `date` for a post scheduled later).
    #[schema(value_type = Object)]
    pub variables: Option<BTreeMap<String, Json>>,
    /// The client `{{client.name}}` names; by default the template's client or the campaign's.
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
    /// Default true: an unknown variable or a missing block is an error. When false they stay
    /// as written and are listed in `unresolved`.
    pub strict: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostFromTemplateInput {
    #[schema(value_type = Object)]
    pub variables: Option<BTreeMap<String, Json>>,
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    pub template_id: String,
    pub kind: BlockKind,
    /// Templates only.
    pub title: Option<String>,
    /// A template's body, a snippet's or signature's text, or a hashtag group's hashtags
    /// separated by spaces.
    pub body: String,
    pub platform_texts: BTreeMap<String, String>,
    pub client_id: Option<String>,
    pub campaign_id: Option<String>,
    /// Variable names used, in order of first use (included blocks' too).
    pub variables: Vec<String>,
    /// Blocks included, as `snippet:NAME`, `hashtags:NAME`, `signature:NAME`.
    pub includes: Vec<String>,
    /// With `strict: false`: placeholders left as written.
    pub unresolved: Vec<String>,
}

const COLUMNS: &str =
    "id, kind, name, title, body, platform_texts, hashtags, client_id, tags, created_by, archived_at, created_at, updated_at";
const VISIBLE: &str = crate::client_visible!("client_id", "?2");

fn decode(r: &Row) -> Result<BlockView, AppError> {
    let kind =
        BlockKind::parse(&r.text("kind")?).ok_or_else(|| AppError::Internal("stored block kind is unknown".into()))?;
    let body = r.opt_text("body")?;
    Ok(BlockView {
        id: r.text("id")?,
        kind,
        name: r.text("name")?,
        title: r.opt_text("title")?,
        body: if kind == BlockKind::Template { body.clone() } else { None },
        platform_texts: serde_json::from_value(r.json("platform_texts")?).unwrap_or_default(),
        text: if kind.has_text() { body } else { None },
        hashtags: serde_json::from_value(r.json("hashtags")?).unwrap_or_default(),
        client_id: r.opt_text("client_id")?,
        tags: serde_json::from_value(r.json("tags")?).unwrap_or_default(),
        created_by: r.text("created_by")?,
        archived: r.opt_int("archived_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// A block of the workspace the caller may see (archived too), or 404.
pub async fn load(ctx: &Context<'_>, workspace_id: &str, limit_to: &str, id: &str) -> Result<BlockView, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM content_blocks WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3");
    let row = ctx.db.query_one(&sql, &params![workspace_id, limit_to, id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("template"))?)
}

// ── Validation ──────────────────────────────────────────────────────────────────────────

/// Each item `#` followed by letters, digits or underscores (not digits only: platforms do
/// not link those), deduplicated ignoring case, 1 to 30 of them.
pub fn parse_hashtags(input: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    if input.is_empty() {
        errors.push(FieldError::new("hashtags", "must have at least one hashtag"));
        return Vec::new();
    }
    if input.len() > MAX_HASHTAGS * 4 {
        errors.push(FieldError::new("hashtags", format!("must have at most {MAX_HASHTAGS} hashtags")));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in input.iter().enumerate() {
        let tag = raw.trim();
        let word = tag.strip_prefix('#').unwrap_or_default();
        let well_formed = !word.is_empty()
            && word.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !word.chars().all(|c| c.is_ascii_digit())
            && tag.chars().count() <= MAX_HASHTAG_CHARS;
        if !well_formed {
            errors.push(FieldError::new(
                format!("hashtags[{i}]"),
                format!(
                    "must be # followed by up to {} letters, digits or underscores, not only digits, without spaces",
                    MAX_HASHTAG_CHARS - 1
                ),
            ));
            continue;
        }
        let folded = tag.to_lowercase();
        if !out.iter().any(|o| o.to_lowercase() == folded) {
            out.push(tag.to_string());
        }
    }
    if out.len() > MAX_HASHTAGS {
        errors.push(FieldError::new(
            "hashtags",
            format!("must have at most {MAX_HASHTAGS} hashtags once duplicates are removed, not {}", out.len()),
        ));
    }
    out
}

/// A block's content before checking, from an input merged over what is stored.
#[derive(Default)]
struct Draft {
    title: Option<String>,
    /// A template's body or a snippet's/signature's text.
    body: Option<String>,
    platform_texts: Option<BTreeMap<String, String>>,
    hashtags: Option<Vec<String>>,
}

/// Checked content, as stored.
#[derive(Default)]
struct Parts {
    title: Option<String>,
    body: Option<String>,
    platform_texts: BTreeMap<String, String>,
    hashtags: Vec<String>,
}

/// Placeholders must parse, and a block must not include itself.
fn check_placeholders(text: &str, field: &str, own: Option<(IncludeKind, &str)>, errors: &mut Vec<FieldError>) {
    match render::parse(text) {
        Err(m) => errors.push(FieldError::new(field, m)),
        Ok(pieces) => {
            if let Some((kind, name)) = own {
                if render::includes(&pieces).iter().any(|(k, n)| *k == kind && n == name) {
                    errors.push(FieldError::new(
                        field,
                        format!("includes the block itself ({{{{{}:{name}}}}})", kind.prefix()),
                    ));
                }
            }
        }
    }
}

fn required_text(input: Option<String>, field: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    match input {
        None => errors.push(FieldError::new(field, "is required")),
        Some(t) if t.trim().is_empty() => errors.push(FieldError::new(field, "must not be empty")),
        Some(t) if t.chars().count() > max => {
            errors.push(FieldError::new(field, format!("must be at most {max} characters")))
        }
        Some(t) => return Some(t),
    }
    None
}

/// Fields that another kind of block would take.
fn foreign_fields(kind: BlockKind, given: [(&str, bool); 5], errors: &mut Vec<FieldError>) {
    for (field, present) in given {
        let allowed = match field {
            "title" | "body" | "platformTexts" => kind == BlockKind::Template,
            "text" => kind.has_text(),
            _ => kind == BlockKind::HashtagGroup,
        };
        if present && !allowed {
            let owner = match field {
                "title" | "body" | "platformTexts" => "templates",
                "text" => "snippets and signatures",
                _ => "hashtag groups",
            };
            errors.push(FieldError::new(field, format!("is only for {owner}, not a {}", kind.as_str())));
        }
    }
}

fn check_content(kind: BlockKind, name: Option<&str>, d: Draft, errors: &mut Vec<FieldError>) -> Parts {
    let own = name.and_then(|n| IncludeKind::for_block_kind(kind.as_str()).map(|k| (k, n)));
    let mut parts = Parts::default();
    match kind {
        BlockKind::Template => {
            match d.title.as_deref().map(posts::parse_title) {
                None => errors.push(FieldError::new("title", "is required")),
                Some(Err(m)) => errors.push(FieldError::new("title", m)),
                Some(Ok(t)) => {
                    check_placeholders(&t, "title", None, errors);
                    parts.title = Some(t);
                }
            }
            parts.body = required_text(d.body, "body", MAX_BODY_CHARS, errors);
            if let Some(b) = &parts.body {
                check_placeholders(b, "body", None, errors);
            }
            for (key, text) in d.platform_texts.unwrap_or_default() {
                let field = format!("platformTexts.{key}");
                let Some(platform) = Platform::parse(key.trim()) else {
                    errors.push(FieldError::new(field, format!("`{key}` is not a supported platform")));
                    continue;
                };
                if let Some(t) = required_text(Some(text), &field, MAX_BODY_CHARS, errors) {
                    check_placeholders(&t, &field, None, errors);
                    parts.platform_texts.insert(platform.as_str().to_string(), t);
                }
            }
        }
        BlockKind::Snippet | BlockKind::Signature => {
            parts.body = required_text(d.body, "text", MAX_TEXT_CHARS, errors);
            if let Some(t) = &parts.body {
                check_placeholders(t, "text", own, errors);
            }
        }
        BlockKind::HashtagGroup => match d.hashtags {
            None => errors.push(FieldError::new("hashtags", "is required")),
            Some(h) => parts.hashtags = parse_hashtags(h, errors),
        },
    }
    parts
}

fn tags(input: Option<Vec<String>>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    input.and_then(|t| posts::parse_tags(t).map_err(|m| errors.push(FieldError::new("tags", m))).ok())
}

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

/// The statements that store a block: its row, then its rows in `content_block_tags`, which the
/// tag filter reads.
fn write(member: &Member, v: &BlockView, now: i64, insert: bool) -> Vec<Statement> {
    let mut out = vec![write_block(member, v, now, insert)];
    if !insert {
        out.push(Statement::new(
            "DELETE FROM content_block_tags WHERE workspace_id = ?1 AND block_id = ?2",
            params![member.workspace_id.as_str(), v.id.as_str()],
        ));
    }
    out.extend(v.tags.iter().map(|tag| {
        Statement::new(
            "INSERT INTO content_block_tags (workspace_id, block_id, tag) VALUES (?1, ?2, ?3)",
            params![member.workspace_id.as_str(), v.id.as_str(), tag.as_str()],
        )
    }));
    out
}

fn write_block(member: &Member, v: &BlockView, now: i64, insert: bool) -> Statement {
    let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    let texts = serde_json::to_string(&v.platform_texts).unwrap_or_else(|_| "{}".into());
    let mut values = params![
        v.id.as_str(),
        member.workspace_id.as_str(),
        v.name.as_str(),
        v.title.clone(),
        v.stored_body(),
        texts,
        list(&v.hashtags),
        v.client_id.clone(),
        list(&v.tags),
        now
    ];
    if insert {
        values.extend(params![v.kind.as_str(), v.created_by.as_str()]);
        Statement::new(
            "INSERT INTO content_blocks (id, workspace_id, kind, name, title, body, platform_texts, hashtags, client_id, \
             tags, created_by, created_at, updated_at) VALUES (?1, ?2, ?11, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?12, ?10, ?10)",
            values,
        )
    } else {
        // Only an active block is edited; the guard after it fails the batch otherwise.
        Statement::new(
            "UPDATE content_blocks SET name = ?3, title = ?4, body = ?5, platform_texts = ?6, hashtags = ?7, \
             client_id = ?8, tags = ?9, updated_at = ?10 WHERE id = ?1 AND workspace_id = ?2 AND archived_at IS NULL",
            values,
        )
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
    let member = call.member()?;
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
    let sql = format!(
        "SELECT {COLUMNS} FROM content_blocks WHERE workspace_id = ?1 AND {VISIBLE} AND (?3 = '' OR kind = ?3) \
         AND (?4 = '' OR client_id = ?4) AND (?5 = 1 OR archived_at IS NULL) \
         AND (?6 = '' OR id IN (SELECT block_id FROM content_block_tags WHERE workspace_id = ?1 AND tag = ?6)) \
         ORDER BY kind, name, id LIMIT ?7 OFFSET ?8"
    );
    let rows = ctx
        .db
        .query(
            &sql,
            &params![
                member.workspace_id.as_str(),
                client_limit(call, member)?,
                kind,
                q("clientId"),
                i64::from(archived),
                q("tag").to_lowercase(),
                limit + 1,
                offset
            ],
        )
        .await?;
    let mut items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
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
    let mut batch = write(member, &view, now, true);
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
    let member = call.member()?;
    let view = load(ctx, &member.workspace_id, &client_limit(call, member)?, call.params.get("templateId")?).await?;
    Ok(json::ok(200, view))
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
    let input: BlockPatch = json::parse(&call.req.body)?;
    let member = call.member()?;
    let before = load(ctx, &member.workspace_id, "", call.params.get("templateId")?).await?;
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
    let guard = Statement::guard(
        "SELECT 1 FROM content_blocks WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL AND updated_at = ?3",
        params![member.workspace_id.as_str(), after.id.as_str(), now],
    );
    let change = Change {
        action: "template.update",
        entity_type: "template",
        entity_id: &after.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&after)),
    };
    let mut batch = write(member, &after, now, false);
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
    let member = call.member()?;
    let before = load(ctx, &member.workspace_id, "", call.params.get("templateId")?).await?;
    if before.archived {
        return Ok(json::ok(200, before));
    }
    let now = ctx.clock.now_ms();
    let after = BlockView { archived: true, updated_at: rfc3339(now), ..before.clone() };
    let write = Statement::new(
        "UPDATE content_blocks SET archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
        params![member.workspace_id.as_str(), before.id.as_str(), now],
    );
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

/// The client and campaign a render is for, agreeing with each other and with the template.
struct RenderFor {
    client: Option<clients::ClientView>,
    campaign: Option<campaigns::CampaignView>,
}

async fn render_context(
    ctx: &Context<'_>,
    call: &Call<'_>,
    block: &BlockView,
    client_id: Option<String>,
    campaign_id: Option<String>,
    for_post: bool,
    errors: &mut Vec<FieldError>,
) -> Result<RenderFor, AppError> {
    let member = call.member()?;
    let ws = member.workspace_id.as_str();
    let limit = client_limit(call, member)?;
    let mut client = None;
    if let Some(id) = client_id.filter(|c| !c.trim().is_empty()) {
        match clients::visible(ctx.db, ws, &limit, &id).await {
            Err(AppError::NotFound(_)) => errors.push(FieldError::new("clientId", "is not a client of this workspace")),
            Err(e) => return Err(e),
            Ok(c) if block.client_id.as_ref().is_some_and(|own| *own != c.id) => {
                errors.push(FieldError::new("clientId", "differs from the template's client"))
            }
            Ok(c) => client = Some(c),
        }
    }
    if let (None, Some(own)) = (&client, &block.client_id) {
        // The block is visible, so its client is too.
        client = Some(clients::visible(ctx.db, ws, "", own).await?);
    }
    let mut campaign = None;
    if let Some(id) = campaign_id.filter(|c| !c.trim().is_empty()) {
        match campaigns::visible(ctx.db, ws, &limit, &id).await {
            Err(AppError::NotFound(_)) => {
                errors.push(FieldError::new("campaignId", "is not a campaign of this workspace"))
            }
            Err(e) => return Err(e),
            Ok(c) => {
                match (&c.client_id, &client) {
                    (Some(of_campaign), Some(chosen)) if *of_campaign != chosen.id => {
                        errors.push(FieldError::new("campaignId", "belongs to another client"))
                    }
                    (Some(of_campaign), None) if block.client_id.is_none() => {
                        client = Some(clients::visible(ctx.db, ws, "", of_campaign).await?)
                    }
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

/// `{{date}}`: today in the workspace's time zone.
fn today(now_ms: i64, timezone: &str) -> String {
    let tz = jiff::tz::db().get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(now_ms).map(|t| t.to_zoned(tz).date().to_string()).unwrap_or_default()
}

async fn render_block(
    ctx: &Context<'_>,
    call: &Call<'_>,
    block: &BlockView,
    input: RenderInput,
    for_post: bool,
) -> Result<Rendered, AppError> {
    let member = call.member()?;
    let mut errors = Vec::new();
    let given = given_values(input.variables, &mut errors);
    let found = render_context(ctx, call, block, input.client_id, input.campaign_id, for_post, &mut errors).await?;
    let ws = ctx
        .db
        .query_one("SELECT name, timezone FROM workspaces WHERE id = ?1", &params![member.workspace_id.as_str()])
        .await?
        .ok_or_else(|| AppError::not_found("workspace"))?;

    let mut values: BTreeMap<String, Lookup> = BTreeMap::new();
    values.insert("workspace.name".into(), Lookup::Value(ws.text("name")?));
    values.insert("date".into(), Lookup::Value(today(ctx.clock.now_ms(), &ws.text("timezone")?)));
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
    let mut blocks = BTreeMap::new();
    for (kind, name) in wanted {
        // Another client's block is never pulled into this client's text.
        let row = ctx
            .db
            .query_one(
                "SELECT body, hashtags FROM content_blocks WHERE workspace_id = ?1 AND kind = ?2 AND name = ?3 \
                 AND archived_at IS NULL AND (client_id IS NULL OR client_id = ?4)",
                &params![member.workspace_id.as_str(), kind.block_kind(), name.as_str(), client_id.as_str()],
            )
            .await?;
        let Some(row) = row else { continue };
        let included = if kind == IncludeKind::Hashtags {
            Included::Hashtags(serde_json::from_value(row.json("hashtags")?).unwrap_or_default())
        } else {
            let text = row.opt_text("body")?.unwrap_or_default();
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
    let member = call.member()?;
    let block = load(ctx, &member.workspace_id, &client_limit(call, member)?, call.params.get("templateId")?).await?;
    Ok(json::ok(200, render_block(ctx, call, &block, input, false).await?))
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
    let member = call.member()?;
    let block = load(ctx, &member.workspace_id, &client_limit(call, member)?, call.params.get("templateId")?).await?;
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
    let rendered = render_block(ctx, call, &block, render_input, true).await?;
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
    let post = posts_api::create_one(
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

/// What the template parsers check, as the OpenAPI document states it (which fields each kind
/// takes is in the field descriptions).
pub const DOCUMENTED: &[Documented] = &[
    field("BlockInput", "kind", Rule::OneOf(&["template", "snippet", "hashtag_group", "signature"])),
    field("BlockInput", "name", Rule::Pattern(BLOCK_NAME_PATTERN, 64)),
    field("BlockPatch", "name", Rule::Pattern(BLOCK_NAME_PATTERN, 64)),
    query("listTemplates", "kind", Rule::OneOf(&["", "template", "snippet", "hashtag_group", "signature"])),
];

const BLOCK_NAME_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$";

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn hashtags(list: &[&str]) -> (Vec<String>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let out = parse_hashtags(list.iter().map(|s| s.to_string()).collect(), &mut errors);
        (out, errors)
    }

    #[test]
    fn templates_hashtags_are_checked_one_by_one_and_deduplicated() {
        let (out, errors) = hashtags(&["#coffee", " #Coffee ", "#café_2", "coffee", "#two words", "#123", "#", "#a-b"]);
        assert_eq!(out, ["#coffee", "#café_2"]);
        assert_eq!(fields(&errors), ["hashtags[3]", "hashtags[4]", "hashtags[5]", "hashtags[6]", "hashtags[7]"]);
        assert_eq!(fields(&hashtags(&[]).1), ["hashtags"]);
    }

    #[test]
    fn templates_hashtag_groups_hold_at_most_thirty_distinct_tags() {
        let mut thirty: Vec<String> = (0..30).map(|i| format!("#tag{i}")).collect();
        thirty.push("#TAG0".into());
        let mut errors = Vec::new();
        assert_eq!(parse_hashtags(thirty.clone(), &mut errors).len(), 30, "a duplicate does not count");
        assert!(errors.is_empty());
        thirty.push("#tag30".into());
        parse_hashtags(thirty, &mut errors);
        assert_eq!(fields(&errors), ["hashtags"]);
    }

    #[test]
    fn templates_content_is_checked_for_its_kind() {
        let mut errors = Vec::new();
        let draft = Draft {
            title: Some("  ".into()),
            body: Some("{{ unclosed".into()),
            platform_texts: Some(BTreeMap::from([("myspace".into(), "x".into()), ("x".into(), "{{1}}".into())])),
            hashtags: None,
        };
        check_content(BlockKind::Template, Some("t"), draft, &mut errors);
        assert_eq!(fields(&errors), ["title", "body", "platformTexts.myspace", "platformTexts.x"]);

        let mut errors = Vec::new();
        let draft = Draft { body: Some("More: {{ snippet:cta }}".into()), ..Draft::default() };
        check_content(BlockKind::Snippet, Some("cta"), draft, &mut errors);
        assert_eq!(fields(&errors), ["text"], "a snippet including itself is a cycle");
        assert!(errors[0].message.contains("itself"), "{}", errors[0].message);

        let mut errors = Vec::new();
        let draft = Draft { body: Some("— {{snippet:cta}}".into()), ..Draft::default() };
        let parts = check_content(BlockKind::Signature, Some("cta"), draft, &mut errors);
        assert!(errors.is_empty(), "a signature may include a snippet of the same name: {errors:?}");
        assert_eq!(parts.body.as_deref(), Some("— {{snippet:cta}}"));
    }

    #[test]
    fn templates_fields_of_another_kind_are_refused() {
        let mut errors = Vec::new();
        let given = [("title", true), ("body", false), ("platformTexts", false), ("text", true), ("hashtags", true)];
        foreign_fields(BlockKind::Snippet, given, &mut errors);
        assert_eq!(fields(&errors), ["title", "hashtags"]);
    }

    #[test]
    fn templates_date_is_the_workspace_day() {
        // 2026-11-23T10:30:00Z is already the 24th at UTC+14 and still the 22nd at UTC-11.
        let ms = 1_795_429_800_000;
        assert_eq!(today(ms, "UTC"), "2026-11-23");
        assert_eq!(today(ms, "Pacific/Kiritimati"), "2026-11-24");
        assert_eq!(today(ms, "Pacific/Pago_Pago"), "2026-11-22");
        assert_eq!(today(ms, "Not/AZone"), "2026-11-23", "an unknown zone falls back to UTC");
    }
}
