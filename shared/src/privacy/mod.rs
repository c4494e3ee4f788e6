//! The caller's own data, whole (SPEC PL-9): `GET /api/v1/users/me/export` answers everything
//! Herald holds about the caller across workspaces, as one JSON document.

pub mod handlers;
pub mod store;

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::ToSchema;

use crate::route;

/// Everything about one person, as of `exportedAt`. Each list holds at most
/// [`store::MAX_ROWS`] entries, oldest first; `truncated` names any list that had more.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    pub exported_at: String,
    /// The profile (never a password or its hash).
    #[schema(value_type = Object)]
    pub user: Json,
    /// Workspaces the caller belongs to, with the role.
    #[schema(value_type = Vec<Object>)]
    pub memberships: Vec<Json>,
    /// Posts the caller wrote (a private post's body was never stored).
    #[schema(value_type = Vec<Object>)]
    pub posts: Vec<Json>,
    /// The versions of posts the caller saved.
    #[schema(value_type = Vec<Object>)]
    pub post_versions: Vec<Json>,
    /// Comments on posts and ideas.
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<Json>,
    #[schema(value_type = Vec<Object>)]
    pub ideas: Vec<Json>,
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<Json>,
    /// What the caller did in workspaces (the activity log), with address and user agent.
    #[schema(value_type = Vec<Object>)]
    pub activity: Vec<Json>,
    /// Changes to the caller's own account.
    #[schema(value_type = Vec<Object>)]
    pub account_activity: Vec<Json>,
    /// Social accounts the caller connected (never their credentials).
    #[schema(value_type = Vec<Object>)]
    pub social_accounts: Vec<Json>,
    /// Files the caller uploaded (their descriptions; the files stay in the media library).
    #[schema(value_type = Vec<Object>)]
    pub media: Vec<Json>,
    /// AI generations and the credits they spent (none yet).
    #[schema(value_type = Vec<Object>)]
    pub ai_usage: Vec<Json>,
    /// The lists that held more than the export carries.
    pub truncated: Vec<String>,
}

/// The caller's own data.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "privacy",
    routes: &[route!(GET "/api/v1/users/me/export", exportMe, User, handlers::export).trips(1)],
    inputs: &[],
};
