//! Campaign ideas (SPEC AG-4): post and reel ideas, created by hand today (AI generation comes
//! later), decided by the agency and then by the client through the same workflow as posts —
//! the workspace's (or the client's) internal approvers decide the agency stage, the Client
//! members attached to the campaign's client decide the client stage. An approved idea becomes
//! a draft post.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{campaigns, client_limit};
use crate::activity::{self, Change};
use crate::api::documented::{field, required, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};
use crate::validate::{labels, opt_text, rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdeaStatus {
    Generated,
    AgencyApproved,
    Rejected,
    ClientApproved,
    ClientRejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdeaEvent {
    AgencyApprove,
    AgencyReject,
    ClientApprove,
    ClientReject,
    /// The idea was reworked after a rejection: it is proposed again.
    Revise,
}

impl IdeaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IdeaStatus::Generated => "generated",
            IdeaStatus::AgencyApproved => "agency_approved",
            IdeaStatus::Rejected => "rejected",
            IdeaStatus::ClientApproved => "client_approved",
            IdeaStatus::ClientRejected => "client_rejected",
        }
    }

    fn parse(s: &str) -> Option<IdeaStatus> {
        [Self::Generated, Self::AgencyApproved, Self::Rejected, Self::ClientApproved, Self::ClientRejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The one state machine of an idea.
    pub fn apply(self, event: IdeaEvent) -> Result<IdeaStatus, String> {
        use IdeaEvent as E;
        use IdeaStatus as S;
        match (self, event) {
            (S::Generated, E::AgencyApprove) => Ok(S::AgencyApproved),
            (S::Generated, E::AgencyReject) => Ok(S::Rejected),
            (S::AgencyApproved, E::ClientApprove) => Ok(S::ClientApproved),
            (S::AgencyApproved, E::ClientReject) => Ok(S::ClientRejected),
            (S::Generated | S::Rejected | S::ClientRejected, E::Revise) => Ok(S::Generated),
            (s, e) => Err(format!("a {} idea cannot take {e:?}", s.as_str())),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaInput {
    /// `post` or `reel`; defaults to post.
    pub kind: Option<String>,
    pub title: Option<String>,
    /// The opening line or first seconds.
    pub hook: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Option<Vec<String>>,
    pub platforms: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IdeaDecisionInput {
    /// Required to reject.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdeaDecision {
    pub user_id: String,
    /// `agency` or `client`.
    pub stage: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: Option<String>,
    /// Set when the decision came through a review link (`userId` is then the link's creator).
    pub review_link_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdeaView {
    pub id: String,
    pub campaign_id: String,
    pub client_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub hook: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Vec<String>,
    pub platforms: Vec<String>,
    pub status: IdeaStatus,
    /// The draft post made from it, once it was.
    pub post_id: Option<String>,
    pub decisions: Vec<IdeaDecision>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// When the idea entered its current status (or was last reworked): under an "all" rule,
    /// the approvals of the current stage are those given since.
    #[serde(skip)]
    pub stage_opened_at: i64,
}

const COLUMNS: &str = "id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, post_id, \
     created_by, created_at, updated_at, stage_opened_at";

fn decode(r: &Row, decisions: Vec<IdeaDecision>) -> Result<IdeaView, AppError> {
    let list =
        |c: &str| -> Result<Vec<String>, AppError> { Ok(serde_json::from_value(r.json(c)?).unwrap_or_default()) };
    Ok(IdeaView {
        id: r.text("id")?,
        campaign_id: r.text("campaign_id")?,
        client_id: r.opt_text("client_id")?,
        kind: r.text("kind")?,
        title: r.text("title")?,
        hook: r.opt_text("hook")?,
        caption: r.opt_text("caption")?,
        hashtags: list("hashtags")?,
        platforms: list("platforms")?,
        status: IdeaStatus::parse(&r.text("status")?)
            .ok_or_else(|| AppError::Internal("stored idea status unknown".into()))?,
        post_id: r.opt_text("post_id")?,
        decisions,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
        stage_opened_at: r.int("stage_opened_at")?,
    })
}

pub async fn load(ctx: &Context<'_>, call: &Call<'_>) -> Result<IdeaView, AppError> {
    let member = call.member()?;
    load_in(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("ideaId")?).await
}

/// An idea of `workspace_id` with every decision; `client_user` (when not empty) limits it to
/// the clients that Client member belongs to.
pub async fn load_in(db: &dyn Sql, workspace_id: &str, client_user: &str, id: &str) -> Result<IdeaView, AppError> {
    let visible = crate::client_visible!("client_id", "?2");
    let sql = format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id = ?3 AND {visible}");
    let row = db
        .query_one(&sql, &params![workspace_id, client_user, id])
        .await?
        .ok_or_else(|| AppError::not_found("idea"))?;
    let decisions = db
        .query(
            "SELECT user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
             WHERE workspace_id = ?1 AND idea_id = ?2 ORDER BY created_at, id",
            &params![workspace_id, row.text("id")?],
        )
        .await?
        .iter()
        .map(|d| {
            Ok(IdeaDecision {
                user_id: d.text("user_id")?,
                stage: d.text("stage")?,
                decision: d.text("decision")?,
                comment: d.opt_text("comment")?,
                review_link_id: d.opt_text("review_link_id")?,
                created_at: rfc3339(d.int("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    decode(&row, decisions)
}

fn parse(input: IdeaInput, base: &mut IdeaView, errors: &mut Vec<FieldError>) {
    let mut take = |field: &str, r: Result<(), String>| {
        if let Err(m) = r {
            errors.push(FieldError::new(field, m));
        }
    };
    if let Some(k) = input.kind {
        take(
            "kind",
            if k == "post" || k == "reel" {
                base.kind = k;
                Ok(())
            } else {
                Err("must be post or reel".into())
            },
        );
    }
    if let Some(t) = input.title {
        take("title", crate::validate::line(&t, crate::validate::TITLE_MAX_CHARS).map(|t| base.title = t));
    }
    if let Some(h) = input.hook {
        take("hook", opt_text(Some(h), 500).map(|h| base.hook = h));
    }
    if let Some(c) = input.caption {
        take("caption", opt_text(Some(c), 5000).map(|c| base.caption = c));
    }
    if let Some(h) = input.hashtags {
        take("hashtags", labels(h, 30).map(|h| base.hashtags = h));
    }
    if let Some(p) = input.platforms {
        let known = p.iter().all(|x| campaigns::PLATFORMS.contains(&x.as_str()));
        take(
            "platforms",
            if known { labels(p, 8).map(|p| base.platforms = p) } else { Err("names an unknown platform".into()) },
        );
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path), ("status" = Option<String>, Query), PageQuery),
    responses((status = 200, description = "The campaign's ideas, oldest first", body = Envelope<Page<IdeaView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging = paging::by_id(call.req)?;
    let campaign =
        campaigns::visible(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("campaignId")?)
            .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND campaign_id = ?2 AND (?3 = '' OR status = ?3) \
         AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5"
    );
    let status = call.req.query_param("status").unwrap_or_default().to_lowercase();
    let values =
        params![member.workspace_id.as_str(), campaign.id.as_str(), status, paging.after.as_str(), paging.limit + 1];
    let rows = ctx.db.query(&sql, &values).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, |r| decode(r, Vec::new()), |r| Ok(r.text("id")?))?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("campaignId" = String, Path)), request_body = IdeaInput,
    responses((status = 201, description = "Proposed (GENERATED)", body = Envelope<IdeaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: IdeaInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let campaign = campaigns::visible(ctx.db, &member.workspace_id, "", call.params.get("campaignId")?).await?;
    if campaign.status == "archived" {
        return Err(AppError::Conflict("an archived campaign takes no new ideas".into()));
    }
    let now = ctx.clock.now_ms();
    let mut idea = IdeaView {
        id: ctx.new_id(),
        campaign_id: campaign.id.clone(),
        client_id: campaign.client_id.clone(),
        kind: "post".into(),
        title: String::new(),
        hook: None,
        caption: None,
        hashtags: Vec::new(),
        platforms: campaign.target_platforms.clone(),
        status: IdeaStatus::Generated,
        post_id: None,
        decisions: Vec::new(),
        created_by: call.caller()?.user_id.clone(),
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
        stage_opened_at: now,
    };
    let mut errors = Vec::new();
    if input.title.is_none() {
        errors.push(FieldError::new("title", "is required"));
    }
    parse(input, &mut idea, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let insert = Statement::new(
        "INSERT INTO ideas (id, workspace_id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, \
         created_by, created_at, updated_at, stage_opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'generated', ?11, \
         ?12, ?12, ?12)",
        params![
            idea.id.as_str(),
            member.workspace_id.as_str(),
            idea.campaign_id.as_str(),
            idea.client_id.clone(),
            idea.kind.as_str(),
            idea.title.as_str(),
            idea.hook.clone(),
            idea.caption.clone(),
            serde_json::to_string(&idea.hashtags).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&idea.platforms).unwrap_or_else(|_| "[]".into()),
            idea.created_by.as_str(),
            now
        ],
    );
    let change = Change {
        action: "idea.create",
        entity_type: "idea",
        entity_id: &idea.id,
        before: None,
        after: Some(activity::snapshot(&idea)),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(201, idea))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)),
    responses((status = 200, description = "The idea with every decision", body = Envelope<IdeaView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, load(ctx, call).await?))
}

pub(crate) fn write(ws: &str, idea: &IdeaView, before: &IdeaView, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE ideas SET kind = ?3, title = ?4, hook = ?5, caption = ?6, hashtags = ?7, platforms = ?8, status = ?9, \
             post_id = ?10, updated_at = ?11, stage_opened_at = ?13 WHERE workspace_id = ?1 AND id = ?2 AND status = ?12",
            params![
                ws,
                idea.id.as_str(),
                idea.kind.as_str(),
                idea.title.as_str(),
                idea.hook.clone(),
                idea.caption.clone(),
                serde_json::to_string(&idea.hashtags).unwrap_or_else(|_| "[]".into()),
                serde_json::to_string(&idea.platforms).unwrap_or_else(|_| "[]".into()),
                idea.status.as_str(),
                idea.post_id.clone(),
                now,
                before.status.as_str(),
                idea.stage_opened_at
            ],
        ),
        // A concurrent decision wins; this one aborts.
        Statement::guard(
            "SELECT 1 FROM ideas WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND updated_at = ?4",
            params![ws, idea.id.as_str(), idea.status.as_str(), now],
        ),
    ]
}

pub(crate) fn raced(e: DbError) -> AppError {
    match e {
        DbError::Constraint(_) => AppError::Conflict("the idea changed at the same time; reload it".into()),
        other => other.into(),
    }
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", tag = "ideas", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body = IdeaInput,
    responses((status = 200, description = "Updated; a rejected idea reworked is proposed again", body = Envelope<IdeaView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: approved ideas are not edited", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: IdeaInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let before = load(ctx, call).await?;
    let mut idea = before.clone();
    idea.status = before.status.apply(IdeaEvent::Revise).map_err(AppError::Conflict)?;
    let mut errors = Vec::new();
    parse(input, &mut idea, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    idea.updated_at = rfc3339(now);
    // A reworked idea is proposed afresh: approvals given to the old wording no longer count.
    idea.stage_opened_at = now;
    let change = Change {
        action: "idea.update",
        entity_type: "idea",
        entity_id: &idea.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&idea)),
    };
    let [w, g] = write(&ws, &idea, &before, now);
    ctx.db.batch(&[w, g, activity::record(ctx, call, &ws, change)]).await.map_err(raced)?;
    Ok(json::ok(200, idea))
}

/// What `parse` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("IdeaInput", "kind", Rule::OneOf(&["post", "reel"])),
    field("IdeaInput", "title", Rule::Line(300)),
    field("IdeaInput", "hook", Rule::Text(500)),
    field("IdeaInput", "caption", Rule::Text(5000)),
    field("IdeaInput", "hashtags", Rule::Items(0, 30, &Rule::NonBlank(100))),
    field("IdeaInput", "platforms", Rule::Items(0, 8, &Rule::OneOf(&campaigns::PLATFORMS))),
    required("createIdea", &["title"]),
];

#[cfg(test)]
mod tests {
    use super::IdeaEvent::*;
    use super::IdeaStatus::*;

    #[test]
    fn ideas_pass_the_agency_then_the_client() {
        assert_eq!(Generated.apply(AgencyApprove), Ok(AgencyApproved));
        assert_eq!(AgencyApproved.apply(ClientApprove), Ok(ClientApproved));
        assert_eq!(AgencyApproved.apply(ClientReject), Ok(ClientRejected));
        assert_eq!(Generated.apply(AgencyReject), Ok(Rejected));
        assert!(Generated.apply(ClientApprove).is_err(), "the client decides only after the agency");
        assert!(ClientApproved.apply(Revise).is_err());
        assert_eq!(ClientRejected.apply(Revise), Ok(Generated));
    }
}
