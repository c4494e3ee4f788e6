//! Posts: their model, storage and the rules of writing one (SPEC CT-1, CT-2, CT-3, CT-7).
//! Every change of title, body or targets is stored as a new immutable version in the same
//! atomic batch as the post, so the history can never disagree with the post.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::status::PostStatus;
use crate::api::documented::{field, omitted, required, Documented, Rule};
use crate::api::{Call, Context, Member};
use crate::error::{AppError, FieldError};
use crate::params;
use crate::platforms::{self, MediaInfo, Platform};
use crate::sql::{placeholders, Dialect, Row, Sql, Statement, Value, MAX_IDS_PER_STATEMENT};
use crate::validate::{self, rfc3339};
use crate::workflows::opening::Subject;

pub const MAX_BODY_CHARS: usize = 65_535;
const MAX_TARGETS: usize = 20;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetInput {
    /// x, linkedin, facebook, instagram, threads, tiktok, bluesky or mastodon
    pub platform: String,
    /// A connected social account of the workspace, on this platform: the target is that
    /// account's own (two pages of one platform get different texts). Without it the target
    /// is the platform's, for every account of the platform that has none of its own.
    pub account_id: Option<String>,
    /// This target's own text; the post's body when absent.
    pub text: Option<String>,
    /// Platform-specific options (e.g. `{"replySettings":"following"}`), kept as given.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Json>,
    /// Media asset ids, in order.
    pub media: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Replaces every target.
    #[serde(default, deserialize_with = "crate::api::json::opt_objects")]
    pub targets: Option<Vec<TargetInput>>,
    /// On update: the version the edit was made from. A stale one answers 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub id: String,
    pub platform: Platform,
    /// The account this target is for; null for the platform's target, used by every account
    /// of the platform without one of its own.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The target's own text, or null when it uses the post's body (always null under privacy mode).
    pub text: Option<String>,
    #[schema(value_type = Object)]
    pub options: Map<String, Json>,
    pub media: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub id: String,
    pub title: String,
    /// Null when the workspace keeps no bodies (privacy mode).
    pub body: Option<String>,
    /// SHA-256 of the title, body and targets: what privacy mode keeps.
    pub content_hash: String,
    pub status: PostStatus,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub tags: Vec<String>,
    pub author_id: String,
    /// The current version number.
    pub version: i64,
    /// Written under privacy mode: no body was stored.
    pub private: bool,
    pub targets: Vec<TargetView>,
    pub created_at: String,
    pub updated_at: String,
}

impl PostView {
    /// What opens this post's review, at its version.
    pub fn review_subject(&self) -> Subject<'_> {
        Subject {
            post_id: &self.id,
            client_id: self.client_id.as_deref(),
            author_id: &self.author_id,
            version: self.version,
        }
    }
}

/// The content that versions record.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub title: String,
    pub body: String,
    pub targets: Vec<TargetView>,
}

impl Content {
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        h.update([0]);
        h.update(self.body.as_bytes());
        h.update([0]);
        let targets: Vec<HashedTarget<'_>> = self.targets.iter().map(HashedTarget::from).collect();
        h.update(serde_json::to_vec(&targets).unwrap_or_default());
        hex::encode(h.finalize())
    }
}

/// A target as the content hash reads it: a platform's target hashes exactly as it did before
/// targets could name an account, so hashes kept under privacy mode stay valid.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HashedTarget<'a> {
    id: &'a str,
    platform: Platform,
    text: &'a Option<String>,
    options: &'a Map<String, Json>,
    media: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

impl<'a> From<&'a TargetView> for HashedTarget<'a> {
    fn from(t: &'a TargetView) -> Self {
        HashedTarget {
            id: &t.id,
            platform: t.platform,
            text: &t.text,
            options: &t.options,
            media: &t.media,
            account_id: t.account_id.as_deref(),
        }
    }
}

pub const COLUMNS: &str =
    "id, title, body, content_hash, status, campaign_id, client_id, tags, author_id, version, private, \
     created_at, updated_at";
pub const VISIBLE: &str = crate::client_visible!("client_id", "?2");

pub fn decode(r: &Row, targets: Vec<TargetView>) -> Result<PostView, AppError> {
    let status =
        PostStatus::parse(&r.text("status")?).ok_or_else(|| AppError::Internal("stored status is unknown".into()))?;
    Ok(PostView {
        id: r.text("id")?,
        title: r.text("title")?,
        body: r.opt_text("body")?,
        content_hash: r.text("content_hash")?,
        status,
        campaign_id: r.opt_text("campaign_id")?,
        client_id: r.opt_text("client_id")?,
        tags: serde_json::from_value(r.json("tags")?).unwrap_or_default(),
        author_id: r.text("author_id")?,
        version: r.int("version")?,
        private: r.int("private")? != 0,
        targets,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// The targets of some posts, in order, with their media in order.
pub async fn targets_of(
    db: &dyn Sql,
    workspace_id: &str,
    post_ids: &[String],
) -> Result<Vec<(String, TargetView)>, AppError> {
    // A page's ids go in chunks: D1 refuses a statement binding more than 100 parameters.
    let mut rows = Vec::new();
    let mut media = Vec::new();
    for chunk in post_ids.chunks(MAX_IDS_PER_STATEMENT) {
        let mut values: Vec<Value> = vec![workspace_id.into()];
        values.extend(chunk.iter().map(Value::from));
        let ids = placeholders(2, chunk.len());
        let sql = format!(
            "SELECT id, post_id, platform, account_id, text, options FROM post_targets WHERE workspace_id = ?1 \
             AND post_id IN ({ids}) ORDER BY post_id, position"
        );
        rows.extend(db.query(&sql, &values).await?);
        let sql = format!(
            "SELECT target_id, asset_id FROM post_target_media WHERE workspace_id = ?1 AND post_id IN ({ids}) \
             ORDER BY target_id, position"
        );
        media.extend(db.query(&sql, &values).await?);
    }
    rows.iter()
        .map(|r| {
            let id = r.text("id")?;
            let platform = Platform::parse(&r.text("platform")?)
                .ok_or_else(|| AppError::Internal("stored platform is unknown".into()))?;
            let assets = media
                .iter()
                .filter(|m| m.text("target_id").is_ok_and(|t| t == id))
                .map(|m| m.text("asset_id"))
                .collect::<Result<Vec<_>, _>>()?;
            let options = match r.json("options")? {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            let target = TargetView {
                id,
                platform,
                account_id: r.opt_text("account_id")?,
                text: r.opt_text("text")?,
                options,
                media: assets,
            };
            Ok((r.text("post_id")?, target))
        })
        .collect()
}

pub async fn load(db: &dyn Sql, workspace_id: &str, limit_to: &str, post_id: &str) -> Result<PostView, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM posts WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3 AND deleted_at IS NULL");
    let row = db
        .query_one(&sql, &params![workspace_id, limit_to, post_id])
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    let targets = targets_of(db, workspace_id, &[post_id.to_string()]).await?.into_iter().map(|(_, t)| t).collect();
    decode(&row, targets)
}

/// Whether the workspace keeps post bodies (privacy mode off).
pub async fn privacy_mode(db: &dyn Sql, workspace_id: &str) -> Result<bool, AppError> {
    let row = db.query_one("SELECT settings FROM workspaces WHERE id = ?1", &params![workspace_id]).await?;
    Ok(row.map(|r| r.json("settings")).transpose()?.is_some_and(|s| s["privacyMode"] == Json::Bool(true)))
}

/// What the media library knows of each asset, in order; `None` for an id that is not a
/// ready asset of the workspace.
async fn describe_media(db: &dyn Sql, workspace_id: &str, ids: &[String]) -> Result<Vec<Option<MediaInfo>>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = db
            .query_one(
                "SELECT content_type, size_bytes, width, height, duration_ms FROM media_assets \
                 WHERE workspace_id = ?1 AND id = ?2 AND status = 'ready' AND deleted_at IS NULL",
                &params![workspace_id, id.as_str()],
            )
            .await?;
        out.push(match row {
            None => None,
            Some(r) => Some(MediaInfo {
                mime: r.text("content_type")?,
                bytes: u64::try_from(r.int("size_bytes")?).unwrap_or(0),
                width: r.opt_int("width")?.and_then(|w| u32::try_from(w).ok()),
                height: r.opt_int("height")?.and_then(|h| u32::try_from(h).ok()),
                duration_seconds: r.opt_int("duration_ms")?.map(|ms| ms as f64 / 1000.0),
            }),
        });
    }
    Ok(out)
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
        let media = describe_media(ctx.db, workspace_id, &media_ids).await?;
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

/// The statements that replace a post's targets.
pub fn write_targets(
    workspace_id: &str,
    post_id: &str,
    targets: &[TargetView],
    keep_text: bool,
    now: i64,
) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "DELETE FROM post_targets WHERE workspace_id = ?1 AND post_id = ?2",
        params![workspace_id, post_id],
    )];
    for (i, t) in targets.iter().enumerate() {
        let options = serde_json::to_string(&t.options).unwrap_or_else(|_| "{}".into());
        out.push(Statement::new(
            "INSERT INTO post_targets (id, workspace_id, post_id, position, platform, account_id, text, options, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                t.id.as_str(),
                workspace_id,
                post_id,
                i as i64,
                t.platform.as_str(),
                t.account_id.clone(),
                if keep_text { t.text.clone() } else { None },
                options,
                now
            ],
        ));
        for (j, asset) in t.media.iter().enumerate() {
            out.push(Statement::new(
                "INSERT INTO post_target_media (workspace_id, post_id, target_id, asset_id, position) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workspace_id, post_id, t.id.as_str(), asset.as_str(), j as i64],
            ));
        }
    }
    out
}

/// The statements that replace a post's rows in `post_tags`, which the tag filter reads.
pub fn write_tags(workspace_id: &str, post_id: &str, tags: &[String]) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "DELETE FROM post_tags WHERE workspace_id = ?1 AND post_id = ?2",
        params![workspace_id, post_id],
    )];
    out.extend(tags.iter().map(|tag| {
        Statement::new(
            "INSERT INTO post_tags (workspace_id, post_id, tag) VALUES (?1, ?2, ?3)",
            params![workspace_id, post_id, tag.as_str()],
        )
    }));
    out
}

/// The statement that records version `number` of a post.
pub fn write_version(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    number: i64,
    content: &Content,
    keep_text: bool,
    author_id: &str,
    note: Option<String>,
) -> Statement {
    let stored_targets: Vec<TargetView> = content
        .targets
        .iter()
        .map(|t| TargetView { text: if keep_text { t.text.clone() } else { None }, ..t.clone() })
        .collect();
    Statement::new(
        "INSERT INTO post_versions (id, workspace_id, post_id, number, title, body, targets, content_hash, author_id, note, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            ctx.new_id(),
            workspace_id,
            post_id,
            number,
            content.title.as_str(),
            if keep_text { Some(content.body.clone()) } else { None },
            serde_json::to_string(&stored_targets).unwrap_or_else(|_| "[]".into()),
            content.hash(),
            author_id,
            note,
            ctx.clock.now_ms()
        ],
    )
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

/// A title is one line of at most 300 characters: no control characters at all.
pub fn parse_title(input: &str) -> Result<String, String> {
    crate::validate::line(input, crate::validate::TITLE_MAX_CHARS)
}

/// A body may hold tabs and newlines, and no other control character.
pub fn parse_body(input: String) -> Result<String, String> {
    if input.chars().count() > MAX_BODY_CHARS {
        Err(format!("must be at most {MAX_BODY_CHARS} characters"))
    } else if input.chars().any(crate::api::json::is_refused_char) {
        Err("must not contain control characters other than tab and newline".into())
    } else {
        Ok(input)
    }
}

pub fn parse_tags(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for t in crate::validate::labels(input, 30)? {
        let t = t.to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// What the post parsers check (`parse_title`, `parse_body`, `parse_tags`, `parse_targets`),
/// as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("PostInput", "title", Rule::Line(300)),
    field("PostInput", "body", Rule::Text(MAX_BODY_CHARS)),
    field("PostInput", "campaignId", Rule::IdOrEmpty),
    field("PostInput", "clientId", Rule::IdOrEmpty),
    field("PostInput", "tags", Rule::Items(0, 30, &Rule::NonBlank(100))),
    field("PostInput", "targets", Rule::Items(0, MAX_TARGETS, &Rule::Keep)),
    field("PostInput", "version", Rule::Range(1, i64::MAX)),
    field("TargetInput", "platform", Rule::OneOf(&crate::agency::campaigns::PLATFORMS)),
    field("TargetInput", "accountId", Rule::Id),
    field("TargetInput", "text", Rule::Text(MAX_BODY_CHARS)),
    field("TargetInput", "media", Rule::Each(&Rule::Id)),
    required("createPost", &["title"]),
    omitted("createPost", &["version"]),
];

/// How a list is ordered: by creation either way (a cursor pages these), by last update, or by
/// title (pages by offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Updated,
    Title,
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "updated" => Sort::Updated,
            "title" => Sort::Title,
            _ => return None,
        })
    }

    /// Whether a cursor (the last id seen) pages this order.
    pub fn by_id(self) -> bool {
        matches!(self, Sort::Newest | Sort::Oldest)
    }
}

/// What a post list asks for, from its query string: every value parsed to its type, every
/// problem reported at once.
#[derive(Debug, Clone)]
pub struct PostFilter {
    /// Search words (at most ten), matched as prefixes of the last one.
    pub words: Vec<String>,
    pub status: Option<PostStatus>,
    pub platform: Option<Platform>,
    /// Empty: any.
    pub campaign_id: String,
    pub client_id: String,
    pub tag: String,
    pub author_id: String,
    /// Created in [from, to), in milliseconds.
    pub from: i64,
    pub to: i64,
    pub sort: Sort,
    /// After this id (a cursor); empty from the start.
    pub cursor: String,
    pub offset: i64,
    /// Pages by offset (asked for, or the sort has no cursor).
    pub by_offset: bool,
    pub limit: i64,
}

impl PostFilter {
    pub fn parse(query: impl Fn(&str) -> Option<String>) -> Result<PostFilter, AppError> {
        let text = |n: &str| query(n).unwrap_or_default();
        let mut errors = Vec::new();
        let status = text("status");
        let status = match PostStatus::parse(&status) {
            None if !status.is_empty() => {
                errors.push(FieldError::new("status", "is not a post status"));
                None
            }
            parsed => parsed,
        };
        let platform = text("platform");
        let platform = match Platform::parse(&platform) {
            None if !platform.is_empty() => {
                errors.push(FieldError::new("platform", "is not a supported platform"));
                None
            }
            parsed => parsed,
        };
        let mut time = |name: &str, default: i64| match query(name) {
            None => default,
            Some(t) => t.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or_else(|_| {
                errors.push(FieldError::new(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z"));
                default
            }),
        };
        let (from, to) = (time("from", 0), time("to", i64::MAX));
        let limit = query("limit").map_or(Some(50), |l| l.parse::<i64>().ok().filter(|l| (1..=100).contains(l)));
        let offset = query("offset").map(|o| o.parse::<i64>().ok().filter(|o| (0..=1_000_000).contains(o)));
        let sort = Sort::parse(&query("sort").unwrap_or_else(|| "newest".into())).unwrap_or_else(|| {
            errors.push(FieldError::new("sort", "must be newest, oldest, updated or title"));
            Sort::Newest
        });
        let cursor = text("cursor");
        if limit.is_none() {
            errors.push(FieldError::new("limit", "must be 1 to 100"));
        }
        if offset.is_some_and(|o| o.is_none()) {
            errors.push(FieldError::new("offset", "must be 0 to 1000000"));
        }
        if !cursor.is_empty() && !sort.by_id() {
            errors.push(FieldError::new("cursor", "works with sort newest or oldest; use offset for other sorts"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(PostFilter {
            words: search_words(&text("q")),
            status,
            platform,
            campaign_id: text("campaignId"),
            client_id: text("clientId"),
            tag: text("tag").to_lowercase(),
            author_id: text("authorId"),
            from,
            to,
            sort,
            cursor,
            by_offset: offset.is_some() || !sort.by_id(),
            offset: offset.flatten().unwrap_or(0),
            limit: limit.unwrap_or(50),
        })
    }
}

/// One page of the posts `filter` asks for, that the caller (limited to `client_limit`'s
/// clients when not empty) may see, with their targets; and whether more follow.
pub async fn list(
    db: &dyn Sql,
    workspace_id: &str,
    client_limit: &str,
    filter: &PostFilter,
) -> Result<(Vec<PostView>, bool), AppError> {
    let order = match filter.sort {
        Sort::Newest => "id DESC",
        Sort::Oldest => "id ASC",
        Sort::Updated => "updated_at DESC, id DESC",
        Sort::Title => "title ASC, id ASC",
    };
    let after = if filter.sort == Sort::Oldest { "id > ?12" } else { "id < ?12" };
    let search = match (filter.words.is_empty(), db.dialect()) {
        (true, _) => "",
        (false, Dialect::Sqlite) => "AND rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?14)",
        (false, Dialect::Postgres) => "AND search @@ to_tsquery('simple', ?14)",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM posts WHERE workspace_id = ?1 AND {VISIBLE} AND deleted_at IS NULL \
         AND (?3 = '' OR status = ?3) AND (?4 = '' OR campaign_id = ?4) AND (?5 = '' OR client_id = ?5) \
         AND (?6 = '' OR id IN (SELECT post_id FROM post_targets WHERE workspace_id = ?1 AND platform = ?6)) \
         AND (?7 = '' OR id IN (SELECT post_id FROM post_tags WHERE workspace_id = ?1 AND tag = ?7)) \
         AND (?8 = '' OR author_id = ?8) \
         AND created_at >= ?9 AND created_at < ?10 AND (?12 = '' OR {after}) {search} \
         ORDER BY {order} LIMIT ?11 OFFSET ?13"
    );
    let mut values: Vec<Value> = params![
        workspace_id,
        client_limit,
        filter.status.map_or("", PostStatus::as_str),
        filter.campaign_id.as_str(),
        filter.client_id.as_str(),
        filter.platform.map_or("", Platform::as_str),
        filter.tag.as_str(),
        filter.author_id.as_str(),
        filter.from,
        filter.to,
        filter.limit + 1,
        filter.cursor.as_str(),
        filter.offset
    ];
    if !filter.words.is_empty() {
        values.push(search_query(&filter.words, db.dialect()).into());
    }
    let rows = db.query(&sql, &values).await?;
    // The row past the page only says whether there is a next page.
    let page = &rows[..rows.len().min(filter.limit as usize)];
    let ids: Vec<String> = page.iter().map(|r| r.text("id")).collect::<Result<_, _>>()?;
    let mut targets = targets_of(db, workspace_id, &ids).await?;
    let mut items = Vec::with_capacity(page.len());
    for row in page {
        let id = row.text("id")?;
        let mine = targets.iter().filter(|(p, _)| *p == id).map(|(_, t)| t.clone()).collect();
        targets.retain(|(p, _)| *p != id);
        items.push(decode(row, mine)?);
    }
    Ok((items, rows.len() > page.len()))
}

/// The words of a search (at most ten), lower-cased; everything but letters and digits
/// separates them, so no search syntax of either engine can be injected.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(10).map(str::to_lowercase).collect()
}

/// Every word must match; the last one may be a prefix (search as you type).
fn search_query(words: &[String], dialect: Dialect) -> String {
    let last = words.len().saturating_sub(1);
    let terms = words.iter().enumerate().map(|(i, w)| match (dialect, i == last) {
        (Dialect::Sqlite, true) => format!("\"{w}\"*"),
        (Dialect::Sqlite, false) => format!("\"{w}\""),
        (Dialect::Postgres, true) => format!("{w}:*"),
        (Dialect::Postgres, false) => w.clone(),
    });
    match dialect {
        Dialect::Sqlite => terms.collect::<Vec<_>>().join(" "),
        Dialect::Postgres => terms.collect::<Vec<_>>().join(" & "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(account_id: Option<&str>, text: Option<&str>) -> TargetView {
        TargetView {
            id: "t1".into(),
            platform: Platform::Mastodon,
            account_id: account_id.map(str::to_string),
            text: text.map(str::to_string),
            options: Map::new(),
            media: vec!["m1".into()],
        }
    }

    #[test]
    fn a_platform_targets_hash_is_what_it_was_before_targets_named_accounts() {
        let content = Content { title: "T".into(), body: "B".into(), targets: vec![target(None, Some("own"))] };
        // The hash of this content as computed before `accountId` existed: hashes kept under
        // privacy mode must still match the text sent again.
        let mut h = Sha256::new();
        h.update(b"T\0B\0");
        h.update(br#"[{"id":"t1","platform":"mastodon","text":"own","options":{},"media":["m1"]}]"#);
        assert_eq!(content.hash(), hex::encode(h.finalize()));
    }

    #[test]
    fn an_accounts_target_hashes_its_account_and_its_text() {
        let hash = |t: TargetView| Content { title: "T".into(), body: "B".into(), targets: vec![t] }.hash();
        let platform = hash(target(None, Some("x")));
        let a1 = hash(target(Some("a1"), Some("x")));
        assert_ne!(platform, a1);
        assert_ne!(a1, hash(target(Some("a2"), Some("x"))));
        assert_ne!(a1, hash(target(Some("a1"), Some("y"))));
    }
}
