//! Review links (SPEC AG-5): an Editor shares some posts with someone who has no account — a
//! client — through a signed, expiring link. The link opens a small server-rendered page
//! (`review_page.rs`) whose Approve and Request changes buttons act through the same approval
//! workflow as members do. A link can be revoked.
//!
//! The token: 32 random bytes (base64url), shown once when the link is made. Only its SHA-256
//! is stored, so nobody — not even a database reader — can rebuild a link, and a token is found
//! by looking its hash up: no comparison of secrets that could leak through timing. A link is
//! refused (404, the same for every reason) when its token is unknown or altered, when it has
//! expired or was revoked, when its workspace is archived, or when its creator no longer holds
//! the permission to make one: a link is never stronger than whoever made it.
//!
//! What a link decides: the client stage of a workflow that has one for the post, and nothing
//! else — never an internal stage, whoever made the link. A decision closes that stage's pending request
//! whatever its rule (the link speaks for the reviewer it was made for), moves the post through
//! its state machine, and records a vote. `approval_votes.user_id` must be a user: the vote
//! names the link's creator, who answers for the link, carries the link in `review_link_id`,
//! and its comment starts with "via review link (reviewer name)" so the history says how the
//! decision was made. The activity entries have no actor (nobody signed in) and name the link.
//!
//! Ideas: a link can show campaign ideas too (`review_link_ideas`); `review_ideas.rs` decides them.
//! Comments: the page shows a post's client-visible comments, never internal ones.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::activity::{self, Change};
use crate::agency::{client_limit, ideas};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::permissions::{Permission, Role};
use crate::api::{percent_decode, Call, Context, Member, Response};
use crate::content::editing::save_edit;
use crate::content::posts::PostView;
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::identity::model::Email;
use crate::identity::tokens;
use crate::params;
use crate::sql::{DbError, Row, Scope, Sql, Statement};
use crate::validate::{self, rfc3339};
use crate::workflows::{self as workflow, Stages, Workflow};

/// A week, unless the creator says otherwise.
pub const DEFAULT_HOURS: i64 = 168;
pub const MAX_HOURS: i64 = 720;
pub const MAX_MINUTES: i64 = MAX_HOURS * 60;
pub const MAX_POSTS: usize = 50;
pub const MAX_COMMENT_CHARS: usize = 5000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReviewLinkInput {
    /// The posts to review, in the order the page shows them. Each must be a post of this
    /// workspace the caller sees, not deleted.
    #[serde(default)]
    pub post_ids: Vec<String>,
    /// The campaign ideas to review, shown after the posts. Each must be an idea of this
    /// workspace the caller sees. Posts and ideas together: 1 to 50.
    #[serde(default)]
    pub idea_ids: Vec<String>,
    /// 1 to 720; 168 (a week) when neither this nor `expiresInMinutes` is given.
    pub expires_in_hours: Option<i64>,
    /// 1 to 43200, instead of `expiresInHours`.
    pub expires_in_minutes: Option<i64>,
    /// Who the link is for, shown in the approval history.
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewLinkView {
    pub id: String,
    pub post_ids: Vec<String>,
    pub idea_ids: Vec<String>,
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// active, expired or revoked.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewLinkCreated {
    #[serde(flatten)]
    pub link: ReviewLinkView,
    /// The secret of the link. Shown this once: only its hash is stored.
    pub token: String,
    /// `/review/{token}`, served by this API.
    pub path: String,
    /// The full address under this API's configured public address (`PUBLIC_URL`, else
    /// `APP_URL`); request headers never choose it.
    pub url: String,
}

/// The form an Approve or Request changes button sends.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ReviewDecisionForm {
    /// The post version the page showed: a decision on another version is refused (409).
    version: i64,
    /// What should change: required to request changes, optional to approve (at most 5000
    /// characters).
    comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
        }
    }
}

/// A link's state at `now_ms`: it dies at `expires_at` exactly.
pub fn state(expires_at: i64, revoked_at: Option<i64>, now_ms: i64) -> LinkState {
    if revoked_at.is_some() {
        LinkState::Revoked
    } else if now_ms >= expires_at {
        LinkState::Expired
    } else {
        LinkState::Active
    }
}

/// The stage a review link decides for a post under `wf`: only ever the client stage. A link
/// speaks for the client; the internal stage is the team's, decided by its approvers in person,
/// so a post without a client stage is never decided through a link.
pub fn link_stage(wf: &Workflow, post_has_client: bool) -> Option<&'static str> {
    match wf.stages {
        Stages::InternalThenClient if post_has_client => Some("client"),
        Stages::None | Stages::Internal | Stages::InternalThenClient => None,
    }
}

/// The comment stored with a vote cast through a link.
pub fn vote_comment(reviewer: Option<&str>, comment: Option<&str>) -> String {
    let via = match reviewer {
        Some(name) => format!("via review link ({name})"),
        None => "via review link".to_string(),
    };
    match comment {
        Some(c) => format!("{via}: {c}"),
        None => via,
    }
}

/// The origin links are given under: see [`ReviewLinkCreated::url`]. Always configuration
/// (`PUBLIC_URL`, else `APP_URL`), never a request header: a forged `Host` must not turn a
/// link Herald hands out into one to another site.
pub fn public_origin(config: &crate::ports::Config) -> String {
    config.public_url.as_deref().unwrap_or(&config.app_url).trim_end_matches('/').to_string()
}

/// A form-encoded body (`application/x-www-form-urlencoded`), as name/value pairs.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A review form's fields: the comment (required to request changes, at most 5000
/// characters) and `pin` — what pins the decision to what the page showed — required and
/// `valid`. Every problem at once, each on its field.
pub(crate) fn decision_form(
    body: &[u8],
    approve: bool,
    pin: &str,
    pin_hint: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<(Option<String>, String), AppError> {
    let form = parse_form(body);
    let comment = form_value(&form, "comment").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let mut errors = Vec::new();
    if !approve && comment.is_none() {
        errors.push(FieldError::new("comment", "say what should change"));
    }
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        errors.push(FieldError::new("comment", format!("must be at most {MAX_COMMENT_CHARS} characters")));
    }
    for (name, value) in &form {
        if name.chars().chain(value.chars()).any(crate::api::json::is_refused_char) {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            errors.push(FieldError::new(shown, "must not contain control characters"));
        }
    }
    let pinned = form_value(&form, pin).map(str::trim).filter(|v| !v.is_empty() && valid(v)).map(str::to_string);
    if pinned.is_none() {
        errors.push(FieldError::new(pin, format!("is required: {pin_hint}")));
    }
    match pinned {
        Some(p) if errors.is_empty() => Ok((comment, p)),
        _ => Err(AppError::Validation(errors)),
    }
}

pub(crate) fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

// ── Links ───────────────────────────────────────────────────────────────────────────────

/// A link as stored, with its posts in order.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub workspace_id: String,
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub post_ids: Vec<String>,
    pub idea_ids: Vec<String>,
}

impl Link {
    pub fn view(&self, now_ms: i64) -> ReviewLinkView {
        ReviewLinkView {
            id: self.id.clone(),
            post_ids: self.post_ids.clone(),
            idea_ids: self.idea_ids.clone(),
            reviewer_name: self.reviewer_name.clone(),
            reviewer_email: self.reviewer_email.clone(),
            created_by: self.created_by.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at),
            revoked_at: self.revoked_at.map(rfc3339),
            status: state(self.expires_at, self.revoked_at, now_ms).as_str().into(),
        }
    }
}

const LINK_COLUMNS: &str =
    "id, workspace_id, reviewer_name, reviewer_email, created_by, created_at, expires_at, revoked_at";

fn decode(r: &Row, post_ids: Vec<String>, idea_ids: Vec<String>) -> Result<Link, AppError> {
    Ok(Link {
        id: r.text("id")?,
        workspace_id: r.text("workspace_id")?,
        reviewer_name: r.opt_text("reviewer_name")?,
        reviewer_email: r.opt_text("reviewer_email")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        expires_at: r.int("expires_at")?,
        revoked_at: r.opt_int("revoked_at")?,
        post_ids,
        idea_ids,
    })
}

/// A link's posts and ideas, each in order.
async fn items_of(db: &dyn Sql, workspace_id: &str, link_id: &str) -> Result<(Vec<String>, Vec<String>), AppError> {
    let rows = db
        .query(
            "SELECT 'post' AS kind, post_id AS item, position FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2 \
             UNION ALL SELECT 'idea' AS kind, idea_id AS item, position FROM review_link_ideas \
             WHERE workspace_id = ?1 AND link_id = ?2 ORDER BY kind DESC, position",
            &params![workspace_id, link_id],
        )
        .await?;
    let (mut posts, mut ideas) = (Vec::new(), Vec::new());
    for r in &rows {
        let list = if r.text("kind")? == "post" { &mut posts } else { &mut ideas };
        list.push(r.text("item")?);
    }
    Ok((posts, ideas))
}

/// Trimmed ids without repeats, in their order.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().map(|p| p.trim().to_string()) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn refused() -> AppError {
    AppError::NotFound("review link not found, expired or revoked".into())
}

/// The live link named by the `token` in the path, or 404. Leaves the database scoped to the
/// link's workspace.
pub async fn open(ctx: &Context<'_>, call: &Call<'_>) -> Result<Link, AppError> {
    let token = call.params.get("token")?;
    if token.is_empty() || token.len() > 128 {
        return Err(refused());
    }
    // Only the hash is looked up: knowing the token is what lets the caller find the link.
    let hash = tokens::token_hash(token);
    ctx.db.set_scope(Scope { review_token_hash: Some(hash.clone()), ..Scope::default() });
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE token_hash = ?1");
    let row = ctx.db.query_one(&sql, &params![hash.as_str()]).await?.ok_or_else(refused)?;
    let workspace_id = row.text("workspace_id")?;
    ctx.db.set_scope(Scope {
        workspace_id: Some(workspace_id.clone()),
        review_token_hash: Some(hash),
        ..Scope::default()
    });
    let link = decode(&row, Vec::new(), Vec::new())?;
    if state(link.expires_at, link.revoked_at, ctx.clock.now_ms()) != LinkState::Active {
        return Err(refused());
    }
    // The creator must still be a member, of a live workspace, allowed to make links.
    let creator = ctx
        .db
        .query_one(
            "SELECT m.role AS role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND w.archived_at IS NULL",
            &params![workspace_id.as_str(), link.created_by.as_str()],
        )
        .await?;
    let allowed = match creator {
        Some(r) => Role::parse(&r.text("role")?).is_some_and(|role| Permission::ReviewLinksManage.granted_to(role)),
        None => false,
    };
    if !allowed {
        return Err(refused());
    }
    let (post_ids, idea_ids) = items_of(ctx.db, &workspace_id, &link.id).await?;
    Ok(Link { post_ids, idea_ids, ..link })
}

/// The request as the link acts: in the link's workspace, with no signed-in caller (activity
/// entries have no actor). The role is never consulted: the route's access rule is Public and
/// the use cases called with it check only the workspace.
pub(crate) fn acting<'r>(call: &Call<'r>, link: &Link) -> Call<'r> {
    Call {
        req: call.req,
        route: call.route,
        params: call.params.clone(),
        caller: None,
        member: Some(Member { workspace_id: link.workspace_id.clone(), role: Role::Client }),
    }
}

// ── Management (signed-in Editors and above) ────────────────────────────────────────────

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/review-links", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = ReviewLinkInput,
    responses((status = 201, description = "The link, with its token and address: the only time the token is shown", body = Envelope<ReviewLinkCreated>),
              (status = 400, description = "VALIDATION_ERROR: unknown or deleted posts, expiry out of range", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins and editors only", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ReviewLinkInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let me = call.caller()?.user_id.clone();
    let mut errors = Vec::new();
    let post_ids = distinct(&input.post_ids);
    let idea_ids = distinct(&input.idea_ids);
    if post_ids.is_empty() && idea_ids.is_empty() {
        errors.push(FieldError::new("postIds", "name at least one post or idea"));
    } else if post_ids.len() + idea_ids.len() > MAX_POSTS {
        errors.push(FieldError::new("postIds", format!("at most {MAX_POSTS} posts and ideas per link")));
    } else {
        let limit = client_limit(call, member)?;
        for (i, id) in post_ids.iter().enumerate() {
            match post_store::load(ctx.db, &member.workspace_id, &limit, id).await {
                Ok(_) => {}
                Err(AppError::NotFound(_)) => {
                    errors.push(FieldError::new(format!("postIds[{i}]"), "is not a post of this workspace"))
                }
                Err(e) => return Err(e),
            }
        }
        for (i, id) in idea_ids.iter().enumerate() {
            match ideas::load_in(ctx.db, &member.workspace_id, &limit, id).await {
                Ok(_) => {}
                Err(AppError::NotFound(_)) => {
                    errors.push(FieldError::new(format!("ideaIds[{i}]"), "is not an idea of this workspace"))
                }
                Err(e) => return Err(e),
            }
        }
    }
    let minutes = match (input.expires_in_hours, input.expires_in_minutes) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("expiresInMinutes", "give expiresInHours or expiresInMinutes, not both"));
            0
        }
        (Some(h), None) if !(1..=MAX_HOURS).contains(&h) => {
            errors.push(FieldError::new("expiresInHours", format!("must be 1 to {MAX_HOURS}")));
            0
        }
        (Some(h), None) => h * 60,
        (None, Some(m)) if !(1..=MAX_MINUTES).contains(&m) => {
            errors.push(FieldError::new("expiresInMinutes", format!("must be 1 to {MAX_MINUTES}")));
            0
        }
        (None, Some(m)) => m,
        (None, None) => DEFAULT_HOURS * 60,
    };
    let reviewer_name = match input.reviewer_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => validate::name(n).map_err(|m| errors.push(FieldError::new("reviewerName", m))).ok(),
        None => None,
    };
    let reviewer_email = match input.reviewer_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Email::parse(e)
            .map(|e| e.as_str().to_string())
            .map_err(|m| errors.push(FieldError::new("reviewerEmail", m)))
            .ok(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    let link = Link {
        id: ctx.new_id(),
        workspace_id: member.workspace_id.clone(),
        reviewer_name,
        reviewer_email,
        created_by: me,
        created_at: now,
        expires_at: now + minutes * 60_000,
        revoked_at: None,
        post_ids,
        idea_ids,
    };
    let mut statements = vec![Statement::new(
        "INSERT INTO review_links (id, workspace_id, token_hash, reviewer_name, reviewer_email, created_by, \
         expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            link.id.as_str(),
            link.workspace_id.as_str(),
            tokens::token_hash(&token),
            link.reviewer_name.clone(),
            link.reviewer_email.clone(),
            link.created_by.as_str(),
            link.expires_at,
            now
        ],
    )];
    for (i, post) in link.post_ids.iter().enumerate() {
        statements.push(Statement::new(
            "INSERT INTO review_link_items (workspace_id, link_id, post_id, position) VALUES (?1, ?2, ?3, ?4)",
            params![link.workspace_id.as_str(), link.id.as_str(), post.as_str(), i as i64],
        ));
    }
    for (i, idea) in link.idea_ids.iter().enumerate() {
        statements.push(Statement::new(
            "INSERT INTO review_link_ideas (workspace_id, link_id, idea_id, position) VALUES (?1, ?2, ?3, ?4)",
            params![link.workspace_id.as_str(), link.id.as_str(), idea.as_str(), i as i64],
        ));
    }
    let view = link.view(now);
    let change = Change {
        action: "review_link.create",
        entity_type: "review_link",
        entity_id: &link.id,
        before: None,
        after: serde_json::to_value(&view).ok(),
    };
    statements.push(activity::record(ctx, call, &link.workspace_id, change));
    ctx.db.batch(&statements).await?;
    let path = format!("/review/{token}");
    let url = format!("{}{path}", public_origin(ctx.config));
    Ok(json::ok(201, ReviewLinkCreated { link: view, token, path, url }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/review-links", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's review links, newest first (at most 200); never their tokens", body = Envelope<Vec<ReviewLinkView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.as_str();
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200");
    let rows = ctx.db.query(&sql, &params![ws]).await?;
    let items = ctx
        .db
        .query(
            "SELECT 'post' AS kind, link_id, post_id AS item, position FROM review_link_items WHERE workspace_id = ?1 \
             AND link_id IN (SELECT id FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200) \
             UNION ALL SELECT 'idea' AS kind, link_id, idea_id AS item, position FROM review_link_ideas WHERE workspace_id = ?1 \
             AND link_id IN (SELECT id FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200) \
             ORDER BY link_id, kind DESC, position",
            &params![ws],
        )
        .await?;
    let now = ctx.clock.now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = r.text("id")?;
        let of = |kind: &str| {
            items
                .iter()
                .filter(|i| i.text("link_id").is_ok_and(|l| l == id) && i.text("kind").is_ok_and(|k| k == kind))
                .map(|i| i.text("item"))
                .collect::<Result<Vec<_>, DbError>>()
        };
        out.push(decode(r, of("post")?, of("idea")?)?.view(now));
    }
    Ok(json::ok(200, out))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/review-links/{linkId}", tag = "review", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("linkId" = String, Path)),
    responses((status = 200, description = "Revoked: the link opens nothing from now on", body = Envelope<ReviewLinkView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: already revoked", body = ErrorEnvelope)))]
pub async fn revoke(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE workspace_id = ?1 AND id = ?2");
    let row = ctx
        .db
        .query_one(&sql, &params![ws.as_str(), call.params.get("linkId")?])
        .await?
        .ok_or_else(|| AppError::not_found("review link"))?;
    let before = decode(&row, Vec::new(), Vec::new())?;
    let (post_ids, idea_ids) = items_of(ctx.db, &ws, &before.id).await?;
    let before = Link { post_ids, idea_ids, ..before };
    if before.revoked_at.is_some() {
        return Err(AppError::Conflict("this review link is already revoked".into()));
    }
    let now = ctx.clock.now_ms();
    let after = Link { revoked_at: Some(now), ..before.clone() };
    let change = Change {
        action: "review_link.revoke",
        entity_type: "review_link",
        entity_id: &before.id,
        before: serde_json::to_value(before.view(now)).ok(),
        after: serde_json::to_value(after.view(now)).ok(),
    };
    let statements = [
        Statement::new(
            "UPDATE review_links SET revoked_at = ?3, revoked_by = ?4 WHERE workspace_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![ws.as_str(), before.id.as_str(), now, me.as_str()],
        ),
        // Two revocations at once: the second finds the first's time and fails its batch.
        Statement::guard(
            "SELECT 1 FROM review_links WHERE workspace_id = ?1 AND id = ?2 AND revoked_at = ?3 AND revoked_by = ?4",
            params![ws.as_str(), before.id.as_str(), now, me.as_str()],
        ),
        activity::record(ctx, call, &ws, change),
    ];
    ctx.db.batch(&statements).await.map_err(|e| match e {
        DbError::Constraint(_) | DbError::Unique(_) => AppError::Conflict("this review link is already revoked".into()),
        other => other.into(),
    })?;
    Ok(json::ok(200, after.view(now)))
}

// ── What the page shows and decides ─────────────────────────────────────────────────────

/// A post's pending approval request, if any: (id, stage, post version).
pub async fn pending_request(
    db: &dyn Sql,
    workspace_id: &str,
    post_id: &str,
) -> Result<Option<(String, String, i64)>, AppError> {
    let row = db
        .query_one(
            "SELECT id, stage, post_version FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 \
             AND status = 'pending' ORDER BY created_at DESC, id DESC LIMIT 1",
            &params![workspace_id, post_id],
        )
        .await?;
    match row {
        Some(r) => Ok(Some((r.text("id")?, r.text("stage")?, r.int("post_version")?))),
        None => Ok(None),
    }
}

/// Whether the link may decide `post` now: it is in review, and its pending request is at
/// the stage links decide, for the post's current version. Answers the request's id.
pub async fn decidable(db: &dyn Sql, workspace_id: &str, post: &PostView) -> Result<Option<String>, AppError> {
    if post.status != PostStatus::InReview {
        return Ok(None);
    }
    let Some((id, stage, version)) = pending_request(db, workspace_id, &post.id).await? else {
        return Ok(None);
    };
    let wf = workflow::effective(db, workspace_id, post.client_id.as_deref()).await?;
    Ok((link_stage(&wf, post.client_id.is_some()) == Some(stage.as_str()) && version == post.version).then_some(id))
}

#[utoipa::path(post, path = "/review/{token}/posts/{postId}/approve", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("postId" = String, Path)),
    request_body(content = ReviewDecisionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Approved: back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: the version is missing, or the comment too long", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link, or a post it does not show", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the post changed since the page showed it, or is not waiting for this review", body = ErrorEnvelope)))]
pub async fn approve(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, true).await
}

#[utoipa::path(post, path = "/review/{token}/posts/{postId}/request-changes", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("postId" = String, Path)),
    request_body(content = ReviewDecisionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Changes requested: the post is back in draft with the comment; back to the review page (Location)"),
              (status = 400, description = "VALIDATION_ERROR: a comment is required", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT", body = ErrorEnvelope)))]
pub async fn request_changes(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    decide(ctx, call, false).await
}

/// Forms need no CSRF token here. A CSRF attack borrows a credential the browser attaches by
/// itself (a cookie); this page has none — the credential is the token in the URL, and a
/// third-party page can only aim a form at it by knowing the token, in which case it needs no
/// browser at all. A token derived from the link token would be known to exactly the same
/// people, so it would add nothing. What the hidden field does carry is the post `version` the
/// page showed: a decision on any other version is refused, so nobody approves text they were
/// not shown (a stale tab, an edit in between). The page's policy adds `form-action 'self'`,
/// and `Referrer-Policy: no-referrer` keeps the token out of Referer headers.
async fn decide(ctx: &Context<'_>, call: &Call<'_>, approve: bool) -> Result<Response, AppError> {
    let link = open(ctx, call).await?;
    let post_id = call.params.get("postId")?;
    if !link.post_ids.iter().any(|p| p == post_id) {
        return Err(AppError::not_found("post"));
    }
    let (comment, version) =
        decision_form(&call.req.body, approve, "version", "the post version the page showed", |v| {
            v.parse::<i64>().is_ok()
        })?;
    let version = version.parse::<i64>().ok();
    let ws = link.workspace_id.clone();
    let post = post_store::load(ctx.db, &ws, "", post_id).await?;
    if Some(post.version) != version {
        return Err(AppError::Conflict("the post changed since the page showed it: reload the page".into()));
    }
    let Some(request_id) = decidable(ctx.db, &ws, &post).await? else {
        return Err(AppError::Conflict("this post is not waiting for your review".into()));
    };
    let already = ctx
        .db
        .query_one(
            "SELECT 1 AS one FROM approval_votes WHERE workspace_id = ?1 AND request_id = ?2 AND user_id = ?3",
            &params![ws.as_str(), request_id.as_str(), link.created_by.as_str()],
        )
        .await?;
    if already.is_some() {
        // One vote per user and request: the creator voted on this stage in person already.
        return Err(AppError::Conflict("the link's creator has already decided on this review".into()));
    }
    let decision = if approve { "approve" } else { "reject" };
    let stored_comment = vote_comment(link.reviewer_name.as_deref(), comment.as_deref());
    let now = ctx.clock.now_ms();
    let closed = if approve { "approved" } else { "rejected" };
    let acting = acting(call, &link);
    let statements = vec![
        Statement::new(
            "INSERT INTO approval_votes (id, workspace_id, request_id, user_id, decision, comment, created_at, review_link_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                ctx.new_id(),
                ws.as_str(),
                request_id.as_str(),
                link.created_by.as_str(),
                decision,
                stored_comment.as_str(),
                now,
                link.id.as_str()
            ],
        ),
        // Closes the request whatever its rule; the guard fails the batch when someone closed
        // it first.
        Statement::new(
            "UPDATE approval_requests SET status = ?3, closed_at = ?4 WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending'",
            params![ws.as_str(), request_id.as_str(), closed, now],
        ),
        Statement::guard(
            "SELECT 1 FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND closed_at = ?4",
            params![ws.as_str(), request_id.as_str(), closed, now],
        ),
        activity::record(
            ctx,
            &acting,
            &ws,
            Change {
                action: if approve { "approval.approve" } else { "approval.reject" },
                entity_type: "approval",
                entity_id: &request_id,
                before: None,
                after: Some(json!({
                    "via": "review_link",
                    "reviewLinkId": link.id,
                    "reviewer": link.reviewer_name,
                    "userId": link.created_by,
                    "comment": comment,
                    "stageDone": true,
                })),
            },
        ),
    ];
    let event = if approve { Event::Approve } else { Event::Reject };
    let status = post.status.apply(event).map_err(|e| AppError::Conflict(e.to_string()))?;
    let after = PostView { status, ..post.clone() };
    let action = if approve { "post.approve" } else { "post.reject" };
    save_edit(ctx, &acting, &post, after, None, None, action, statements).await.map_err(|e| match e {
        AppError::Conflict(_) => {
            AppError::Conflict("someone decided on this post at the same time: reload the page".into())
        }
        other => other,
    })?;
    let who = link.reviewer_name.clone().unwrap_or_else(|| "The client".into());
    let notice = if approve {
        crate::collab::notifications::Notice {
            kind: "approval.approved",
            title: format!("\"{}\" is approved", post.title),
            body: format!("{who} approved \"{}\" through a review link.", post.title),
            subject_type: "post",
            subject_id: &post.id,
        }
    } else {
        crate::collab::notifications::Notice {
            kind: "approval.rejected",
            title: format!("Changes requested on \"{}\"", post.title),
            body: format!("{who} through a review link: {}", comment.unwrap_or_default()),
            subject_type: "post",
            subject_id: &post.id,
        }
    };
    let recipients = [post.author_id.clone(), link.created_by.clone()];
    crate::collab::notifications::notify(ctx, &acting, &ws, &recipients, notice).await;
    let token = call.params.get("token")?;
    Ok(Response::empty(303)
        .with_header("location", format!("/review/{token}?decided={}", post.id))
        .with_header("cache-control", "no-store"))
}

#[utoipa::path(get, path = "/review/{token}/media/{mediaId}", tag = "review",
    params(("token" = String, Path, description = "The review link's token"), ("mediaId" = String, Path)),
    responses((status = 200, description = "The file, when one of the link's posts uses it (files up to 20 MiB)", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 302, description = "Larger files: a presigned GET URL in Location"),
              (status = 404, description = "NOT_FOUND: an unknown, altered, expired or revoked link, or a file none of its posts uses", body = ErrorEnvelope)))]
pub async fn media(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let link = open(ctx, call).await?;
    let row = ctx
        .db
        .query_one(
            "SELECT object_key, content_type, size_bytes FROM media_assets WHERE workspace_id = ?1 AND id = ?2 \
             AND status = 'ready' AND deleted_at IS NULL AND id IN (SELECT m.asset_id FROM post_target_media m \
             JOIN review_link_items i ON i.workspace_id = m.workspace_id AND i.post_id = m.post_id \
             JOIN posts p ON p.id = m.post_id AND p.workspace_id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND i.link_id = ?3 AND p.deleted_at IS NULL)",
            &params![link.workspace_id.as_str(), call.params.get("mediaId")?, link.id.as_str()],
        )
        .await?
        .ok_or_else(|| AppError::not_found("media"))?;
    let key = row.text("object_key")?;
    let no_store = "private, no-store";
    if row.int("size_bytes")? > crate::media::handlers::SERVE_MAX_BYTES {
        let url = ctx.blobs.presign_get(&key, 5 * 60, ctx.clock.now_ms())?;
        return Ok(Response::empty(302).with_header("location", url).with_header("cache-control", no_store));
    }
    let bytes =
        ctx.blobs.get(&key).await?.ok_or_else(|| AppError::Internal(format!("media object {key} is missing")))?;
    Ok(Response::new(200, &row.text("content_type")?, bytes).with_header("cache-control", no_store))
}

/// What `create` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ReviewLinkInput", "expiresInHours", Rule::Range(1, MAX_HOURS)),
    field("ReviewLinkInput", "expiresInMinutes", Rule::Range(1, MAX_MINUTES)),
    field("ReviewLinkInput", "postIds", Rule::Items(0, MAX_POSTS, &Rule::Id)),
    field("ReviewLinkInput", "ideaIds", Rule::Items(0, MAX_POSTS, &Rule::Id)),
    field("ReviewLinkInput", "reviewerName", Rule::Line(100)),
    field("ReviewLinkInput", "reviewerEmail", Rule::Email),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Clock;

    /// A clock that says what it is told.
    struct FixedClock(i64);
    impl Clock for FixedClock {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn a_review_link_expires_at_its_time_exactly_and_revocation_wins() {
        let made = 1_700_000_000_000;
        let expires = made + DEFAULT_HOURS * 3_600_000;
        for (now, want) in [
            (made, LinkState::Active),
            (expires - 1, LinkState::Active),
            (expires, LinkState::Expired),
            (expires + 86_400_000, LinkState::Expired),
        ] {
            assert_eq!(state(expires, None, FixedClock(now).now_ms()), want, "at {now}");
        }
        assert_eq!(state(expires, Some(made + 1), made + 2), LinkState::Revoked);
        assert_eq!(state(expires, Some(made + 1), expires + 1), LinkState::Revoked);
    }

    #[test]
    fn a_review_link_acts_only_at_the_client_stage() {
        let mut wf = Workflow::default();
        assert_eq!(link_stage(&wf, true), None, "no workflow: nothing to decide");
        wf.stages = Stages::Internal;
        assert_eq!(link_stage(&wf, true), None, "the internal stage is never a link's");
        wf.stages = Stages::InternalThenClient;
        assert_eq!(link_stage(&wf, true), Some("client"));
        assert_eq!(link_stage(&wf, false), None, "a post without a client has no client stage");
    }

    #[test]
    fn a_tampered_review_token_has_another_hash() {
        let token = tokens::opaque_token([7; 32]);
        let mut tampered = token.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_ne!(tokens::token_hash(&token), tokens::token_hash(&tampered));
        assert_eq!(token.len(), 43);
    }

    #[test]
    fn review_forms_are_decoded() {
        let form = parse_form(b"version=3&comment=Shorter%2C+please%21+%E2%9C%93&empty=&bad=%zz%4");
        assert_eq!(form_value(&form, "version"), Some("3"));
        assert_eq!(form_value(&form, "comment"), Some("Shorter, please! ✓"));
        assert_eq!(form_value(&form, "empty"), Some(""));
        assert_eq!(form_value(&form, "bad"), Some("%zz%4"));
        assert_eq!(form_value(&form, "missing"), None);
        assert!(parse_form(b"").is_empty());
    }

    #[test]
    fn review_votes_say_they_came_through_a_link() {
        assert_eq!(vote_comment(Some("Ana"), Some("Shorter")), "via review link (Ana): Shorter");
        assert_eq!(vote_comment(None, None), "via review link");
    }

    #[test]
    fn review_urls_come_from_configuration_only() {
        let mut config = crate::ports::Config::new(crate::ports::Environment::Production, b"k".to_vec());
        config.app_url = "https://app.example/".into();
        assert_eq!(public_origin(&config), "https://app.example");
        config.public_url = Some("https://api.example".into());
        assert_eq!(public_origin(&config), "https://api.example");
    }
}
