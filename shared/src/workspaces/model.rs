//! The shapes the workspace API speaks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use utoipa::ToSchema;

use super::permissions::Role;
use crate::api::documented::{field, Documented, Rule};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspaceInput {
    #[schema(max_length = 100)]
    pub name: String,
    /// IANA time zone; defaults to the creator's.
    pub timezone: Option<String>,
    /// White-label branding (see `Branding`); other keys are kept as sent.
    #[schema(value_type = Option<Branding>)]
    pub branding: Option<Json>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Json>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspaceInput {
    pub name: Option<String>,
    pub timezone: Option<String>,
    /// Merged into the stored branding (RFC 7396): `null` removes a key (see `Branding`).
    #[schema(value_type = Option<Branding>)]
    pub branding: Option<Json>,
    /// Merged into the stored settings (RFC 7396).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Json>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub timezone: String,
    /// `active`, `suspended` or `archived`.
    pub status: String,
    #[schema(value_type = Object)]
    pub branding: Map<String, Json>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Json>,
    /// The caller's role in this workspace.
    pub role: Role,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: String,
}

/// Erasing a workspace is confirmed by typing its name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EraseWorkspaceInput {
    /// The workspace's name, exactly.
    pub confirm_name: String,
}

/// What erasing a workspace did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceErased {
    pub id: String,
    pub erased: bool,
    /// Files queued for deletion from storage; the scheduled tick deletes them within minutes.
    pub files_queued: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberInput {
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInviteInput {
    pub email: String,
    /// owner, admin, editor, writer, viewer or client — at most the inviter's own role.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteInput {
    /// The token from the invitation email.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub removed: bool,
}

/// White-label branding (README, "White-label"): what clients see on review pages and what the
/// workspace's mails carry. These keys are checked; any other is kept as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Branding {
    /// Shown to clients instead of the workspace's name.
    pub display_name: Option<String>,
    /// An image of the workspace's media library, shown on review pages.
    pub logo_media_id: Option<String>,
    /// `#rrggbb`: the accent of review pages.
    pub primary_color: Option<String>,
    /// `#rrggbb`.
    pub accent_color: Option<String>,
    /// The sender name of the workspace's mails (else `displayName`).
    pub mail_sender_name: Option<String>,
    /// Where replies to the workspace's mails go; review pages offer it for questions.
    pub support_email: Option<String>,
}

/// What the workspace parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("CreateWorkspaceInput", "name", Rule::Line(100)),
    field("CreateWorkspaceInput", "timezone", Rule::TimeZone),
    field("UpdateWorkspaceInput", "name", Rule::Line(100)),
    field("UpdateWorkspaceInput", "timezone", Rule::TimeZone),
    field("UpdateMemberInput", "role", Rule::OneOf(&ROLE_NAMES)),
    field("CreateInviteInput", "email", Rule::Email),
    field("CreateInviteInput", "role", Rule::OneOf(&ROLE_NAMES)),
    field("Branding", "displayName", Rule::Line(100)),
    field("Branding", "logoMediaId", Rule::Id),
    field("Branding", "primaryColor", Rule::Pattern(COLOR, 7)),
    field("Branding", "accentColor", Rule::Pattern(COLOR, 7)),
    field("Branding", "mailSenderName", Rule::Line(64)),
    field("Branding", "supportEmail", Rule::Email),
];

/// A colour as `#rrggbb`.
const COLOR: &str = "^#[0-9A-Fa-f]{6}$";

/// Every role, by name.
const ROLE_NAMES: [&str; 6] = ["owner", "admin", "editor", "writer", "viewer", "client"];
