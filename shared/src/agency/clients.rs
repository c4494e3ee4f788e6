//! Clients of an agency workspace and their brand profiles (SPEC AG-1), and which Client
//! members are attached to them: the rule of who may be attached. The types are in
//! `model::clients`, the SQL in `store::clients`; other areas reach both through here.

pub use super::model::clients::*;
pub use super::store::clients::{ensure_active, one_of, one_read, owner_of_read, visible};

use crate::api::Context;
use crate::error::AppError;
use crate::identity::users;
use crate::workspaces::{members, permissions::Role};

/// Only a member with the Client role is attached to a client, and, when verification is on,
/// only once their address is proved: a client's work is shown to no one else.
pub async fn ensure_attachable(ctx: &Context<'_>, workspace_id: &str, user_id: &str) -> Result<(), AppError> {
    match members::role_in(ctx.db, workspace_id, user_id).await? {
        Some(Role::Client) => {}
        Some(_) => return Err(AppError::field("userId", "only members with the client role are attached to clients")),
        None => return Err(AppError::field("userId", "is not a member of this workspace")),
    }
    let user = users::by_id(ctx.db, user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    crate::identity::require_verified(
        ctx,
        &user.view,
        "this member has not verified their email address yet: a client's work is shown only to a proved address",
    )
}
