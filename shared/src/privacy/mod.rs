//! The caller's own data, whole (SPEC PL-9): `GET /api/v1/users/me/export` answers everything
//! Herald holds about the caller across workspaces, as one JSON document, and
//! `DELETE /api/v1/users/me` erases the account.
//!
//! What erasure keeps and what it removes, as one policy: work shared with others (posts and
//! their versions, comments, ideas, decisions, approvals, uploads, review links, connected
//! accounts, publications, the activity log) stays with the workspace, attributed to a
//! tombstone, a new account of its own named "Deleted user" that cannot sign in or receive
//! mail; the person's id, address and name are replaced by the tombstone's wherever shared
//! records quote them, and the network addresses and user agents of what they did are dropped.
//! Everything personal goes: the profile, password, sessions, tokens, memberships, client
//! seats, notifications, the account log, pending invitations to the address, stored
//! Idempotency-Key answers. Archived workspaces the person alone owns go whole, files included;
//! an active one they alone own must first be handed to another owner or erased.

pub mod exports;
pub mod handlers;
pub mod store;

use serde::{Deserialize, Serialize};
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
    /// AI generations: the prompt and output (null when private), tokens, cost and credits.
    #[schema(value_type = Vec<Object>)]
    pub ai_usage: Vec<Json>,
    /// Calendar events: the caller's own, and those they made in workspaces.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Json>,
    /// The lists that held more than the export carries.
    pub truncated: Vec<String>,
}

/// An export of one's data built in the background.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportJobView {
    pub id: String,
    /// `pending` (being built), `ready` (its link was mailed; download it signed in too), or
    /// `expired` (its link ended and its file is deleted).
    #[schema(pattern = "^(pending|ready|expired)$")]
    pub status: String,
    /// Entries written so far (every entry once ready).
    pub entries: i64,
    pub size_bytes: i64,
    pub created_at: String,
    pub ready_at: Option<String>,
    /// When the link ends.
    pub expires_at: Option<String>,
    /// The workspace whose notifications announce it when ready.
    pub notify_workspace_id: Option<String>,
}

impl From<&store::Job> for ExportJobView {
    fn from(job: &store::Job) -> Self {
        let at = |ms: Option<i64>| ms.map(crate::validate::rfc3339);
        ExportJobView {
            id: job.id.clone(),
            status: job.status.clone(),
            entries: job.entries,
            size_bytes: job.size_bytes,
            created_at: crate::validate::rfc3339(job.created_at),
            ready_at: at(job.ready_at),
            expires_at: at(job.expires_at),
            notify_workspace_id: job.notify_workspace_id.clone(),
        }
    }
}

/// What an export to build in the background is for.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExportStartInput {
    /// A workspace of the caller's whose notifications announce the export when it is ready
    /// (besides the mail).
    pub notify_workspace_id: Option<String>,
}

/// Erasing one's account asks for its password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EraseInput {
    pub password: String,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    pub erased: bool,
    /// Archived workspaces the account alone owned, deleted with it (their files leave
    /// storage within minutes).
    pub workspaces_deleted: u64,
}

/// The caller's own data.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "privacy",
    routes: &[
        route!(GET "/api/v1/users/me/export", exportMe, User, handlers::export).trips(1),
        route!(DELETE "/api/v1/users/me", eraseMe, User, handlers::erase).trips(2),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};

#[cfg(any(test, feature = "openapi"))]
const EXPORT_INPUTS: &[crate::api::documented::Documented] =
    &[crate::api::documented::field("ExportStartInput", "notifyWorkspaceId", crate::api::documented::Rule::Id)];

/// Exports built in the background, which live in storage: an area of their own, so that a
/// host split by area (Spin) serves them where storage is.
pub const FILES: crate::api::route::Area = crate::api::route::Area {
    name: "exports",
    routes: &[
        route!(POST "/api/v1/users/me/exports", createExport, User, handlers::start_export).trips(2),
        route!(GET "/api/v1/users/me/exports", listExports, User, handlers::list_exports).trips(1),
        route!(GET "/api/v1/users/me/exports/{exportId}/download", downloadMyExport, User, handlers::download_mine)
            .trips(1),
        route!(GET "/api/v1/exports/{token}", downloadExport, Public, handlers::download_by_token).trips(1),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[EXPORT_INPUTS],
};
