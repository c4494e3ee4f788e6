//! The activity log (SPEC PL-8): every mutation, with who, what, when, from where, and the
//! entity before and after. Entries are written in the same atomic batch as the change they
//! describe, so the log never claims a change that did not happen, nor misses one that did.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use crate::api::documented::{query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// One change to record.
pub struct Change<'a> {
    /// `area.verb`, e.g. `campaign.archive`.
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// An entity as the log keeps it: its API view, as JSON.
pub fn snapshot<T: Serialize>(view: &T) -> Json {
    serde_json::to_value(view).unwrap_or_default()
}

/// The statement that records `change` in `workspace_id`, to run in the change's own batch.
pub fn record(ctx: &Context<'_>, call: &Call<'_>, workspace_id: &str, change: Change<'_>) -> Statement {
    let actor = call.caller.as_ref().map(|c| c.user_id.clone());
    Statement::new(
        "INSERT INTO activity_log (id, workspace_id, actor_id, action, entity_type, entity_id, ip, user_agent, \
         before_state, after_state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            ctx.new_id(),
            workspace_id,
            actor,
            change.action,
            change.entity_type,
            change.entity_id,
            call.req.client_ip(ctx.config),
            user_agent(call),
            change.before.map(|v| v.to_string()),
            change.after.map(|v| v.to_string()),
            ctx.clock.now_ms()
        ],
    )
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Json>,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub items: Vec<ActivityEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the activity list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
struct ActivityQuery {
    /// Only changes by this user.
    actor_id: Option<String>,
    /// e.g. `campaign`, `member`.
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// e.g. `campaign.archive`.
    action: Option<String>,
    /// RFC 3339: only changes at or after.
    since: Option<String>,
    /// RFC 3339: only changes before.
    until: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The caller's user agent as both logs keep it: at most 512 characters.
fn user_agent(call: &Call<'_>) -> Option<String> {
    call.req.header("user-agent").map(|ua| ua.chars().take(512).collect())
}

/// A before or after state as stored: JSON text, or nothing.
fn stored_state(r: &Row, column: &str) -> Result<Option<Json>, AppError> {
    Ok(r.opt_text(column)?.and_then(|t| serde_json::from_str(&t).ok()))
}

fn decode(r: &Row) -> Result<ActivityEntry, AppError> {
    Ok(ActivityEntry {
        id: r.text("id")?,
        actor_id: r.opt_text("actor_id")?,
        action: r.text("action")?,
        entity_type: r.text("entity_type")?,
        entity_id: r.text("entity_id")?,
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        before: stored_state(r, "before_state")?,
        after: stored_state(r, "after_state")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

fn time_param(call: &Call<'_>, name: &str, default: i64) -> Result<i64, AppError> {
    match call.req.query_param(name) {
        None => Ok(default),
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|_| AppError::field(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z")),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/activity", tag = "activity", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ActivityQuery),
    responses(
        (status = 200, description = "Changes, newest first", body = Envelope<ActivityPage>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let workspace_id = &call.member()?.workspace_id;
    let text = |name: &str| call.req.query_param(name).unwrap_or_default();
    let since = time_param(call, "since", 0)?;
    let until = time_param(call, "until", i64::MAX)?;
    let limit = crate::api::paging::limit(call.req)?;
    // Empty text means "no filter": one statement, typed parameters, on every dialect.
    let rows = ctx
        .db
        .query(
            "SELECT id, actor_id, action, entity_type, entity_id, ip, user_agent, before_state, after_state, created_at \
             FROM activity_log WHERE workspace_id = ?1 \
             AND (?2 = '' OR actor_id = ?2) AND (?3 = '' OR entity_type = ?3) AND (?4 = '' OR entity_id = ?4) \
             AND (?5 = '' OR action = ?5) AND created_at >= ?6 AND created_at < ?7 AND (?8 = '' OR id < ?8) \
             ORDER BY id DESC LIMIT ?9",
            &params![
                workspace_id.as_str(),
                text("actorId"),
                text("entityType"),
                text("entityId"),
                text("action"),
                since,
                until,
                text("cursor"),
                limit + 1
            ],
        )
        .await?;
    let mut items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |e| &e.id);
    Ok(json::ok(200, ActivityPage { items, next_cursor }))
}

/// A change to the account itself (its profile, password or address): it spans every
/// workspace the user is in, so it is logged once, in the account's own log.
pub struct AccountChange<'a> {
    /// `profile.update`, `password.change`, `password.reset`, `email.change`, `email.verify`.
    pub action: &'a str,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

/// The statement that records `change` in `user_id`'s account log, to run in the change's batch.
/// `call` gives the address and user agent (a reset comes from no signed-in caller).
pub fn record_account(ctx: &Context<'_>, call: &Call<'_>, user_id: &str, change: AccountChange<'_>) -> Statement {
    Statement::new(
        "INSERT INTO account_activity (id, user_id, action, ip, user_agent, before_state, after_state, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ctx.new_id(),
            user_id,
            change.action,
            call.req.client_ip(ctx.config),
            user_agent(call),
            change.before.map(|v| v.to_string()),
            change.after.map(|v| v.to_string()),
            ctx.clock.now_ms()
        ],
    )
}

/// One entry of the account's log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountEntry {
    pub id: String,
    /// `profile.update`, `password.change`, `password.reset`, `email.change` or `email.verify`.
    pub action: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The fields that changed, as they were (never a password or token).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Json>,
    /// The same fields, as they became.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Json>,
    pub created_at: String,
}

fn decode_account(r: &Row) -> Result<AccountEntry, AppError> {
    Ok(AccountEntry {
        id: r.text("id")?,
        action: r.text("action")?,
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        before: stored_state(r, "before_state")?,
        after: stored_state(r, "after_state")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

#[utoipa::path(get, path = "/api/v1/users/me/activity", tag = "users", security(("bearer" = [])),
    params(crate::api::paging::PageQuery),
    responses(
        (status = 200, description = "Changes to the caller's own account (profile, password, address), newest first", body = Envelope<crate::api::paging::Page<AccountEntry>>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn list_account(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user_id = &call.caller()?.user_id;
    let crate::api::paging::ById { limit, after } = crate::api::paging::by_id(call.req)?;
    let rows = ctx
        .db
        .query(
            "SELECT id, action, ip, user_agent, before_state, after_state, created_at FROM account_activity \
             WHERE user_id = ?1 AND (?2 = '' OR id < ?2) ORDER BY id DESC LIMIT ?3",
            &params![user_id.as_str(), after, limit + 1],
        )
        .await?;
    let mut items = rows.iter().map(decode_account).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |e| &e.id);
    Ok(json::ok(200, crate::api::paging::Page { items, next_cursor }))
}

/// What `list` checks of its query, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[query("activityList", "since", Rule::DateTime), query("activityList", "until", Rule::DateTime)];

use crate::route;

/// The activity logs: a workspace's and a user's own.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "activity",
    routes: &[
        route!(GET "/api/v1/users/me/activity", listAccountActivity, User, list_account),
        route!(GET "/api/v1/workspaces/{workspaceId}/activity", activityList, Workspace(ActivityRead), list),
    ],
    inputs: &[DOCUMENTED],
};
