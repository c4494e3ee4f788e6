//! Telling a workspace's owners and admins that an account must be connected again: the
//! engine finds out when a platform refuses its grant, OAuth renewal when a refresh fails.

use crate::api::permissions::Role;
use crate::api::Context;

/// Tells the workspace's owners and admins that an account must be connected again.
pub async fn notify(ctx: &Context<'_>, workspace_id: &str, account_id: &str) {
    let Ok(account) = crate::accounts::store::load(ctx.db, workspace_id, account_id).await else { return };
    let members = crate::workspaces::members::list(ctx.db, workspace_id).await.unwrap_or_default();
    let recipients: Vec<String> =
        members.into_iter().filter(|m| matches!(m.role, Role::Owner | Role::Admin)).map(|m| m.user_id).collect();
    let notice = crate::collab::notifications::Notice {
        kind: "account.needs_reconnect",
        title: format!("Reconnect {} on {}", account.view.handle, account.platform().as_str()),
        body: "Publishing to this account stopped: its grant was revoked or its password changed.".into(),
        subject_type: "social_account",
        subject_id: &account.view.id,
    };
    crate::collab::notifications::notify_from(ctx, "", workspace_id, &recipients, notice).await;
}
