//! The activity log (SPEC PL-8): every mutation, with who, what, when, from where, and the
//! entity before and after. Entries are written in the same atomic batch as the change they
//! describe, so the log never claims a change that did not happen, nor misses one that did.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use crate::api::documented::{query, Documented, Rule};
use crate::api::{Call, Context};
use crate::params;
use crate::sql::Statement;

pub mod handlers;
pub mod store;

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
    store::insert(params![
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
    ])
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
pub struct ActivityQuery {
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
pub fn user_agent(call: &Call<'_>) -> Option<String> {
    call.req.header("user-agent").map(|ua| ua.chars().take(512).collect())
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
    store::insert_account(params![
        ctx.new_id(),
        user_id,
        change.action,
        call.req.client_ip(ctx.config),
        user_agent(call),
        change.before.map(|v| v.to_string()),
        change.after.map(|v| v.to_string()),
        ctx.clock.now_ms()
    ])
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

/// What `list` checks of its query, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[query("activityList", "since", Rule::DateTime), query("activityList", "until", Rule::DateTime)];

use crate::route;

/// The activity logs: a workspace's and a user's own.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "activity",
    routes: &[
        route!(GET "/api/v1/users/me/activity", listAccountActivity, User, handlers::list_account),
        route!(GET "/api/v1/workspaces/{workspaceId}/activity", activityList, Workspace(ActivityRead), handlers::list)
            .folds_membership()
            .trips(1),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[DOCUMENTED],
};
