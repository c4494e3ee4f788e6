//! The export route.

use super::{store, Export};
use crate::api::json;
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Scope;

#[utoipa::path(get, path = "/api/v1/users/me/export", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything Herald holds about the caller, across workspaces, as one JSON document (SPEC PL-9)", body = crate::api::json::Envelope<Export>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn export(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user_id = call.caller()?.user_id.clone();
    // Every read below names the caller as author, actor, owner or recipient, across the
    // workspaces they are or were in: it spans tenants by design and holds only their rows.
    ctx.db.set_scope(Scope { user_id: Some(user_id.clone()), system: true, ..Scope::default() });
    let answers = ctx.db.reads(&store::reads(&user_id)).await?;
    let mut lists = answers.iter().map(|rows| rows.iter().map(store::entry).collect::<Vec<_>>());
    let user = lists
        .next()
        .and_then(|mut u| u.pop())
        .ok_or_else(|| AppError::Unauthorized("account no longer exists".into()))?;
    let mut next = || lists.next().unwrap_or_default();
    let mut export = Export {
        exported_at: crate::validate::rfc3339(ctx.clock.now_ms()),
        user,
        memberships: next(),
        posts: next(),
        post_versions: next(),
        comments: next(),
        ideas: next(),
        notifications: next(),
        activity: next(),
        account_activity: next(),
        social_accounts: next(),
        media: next(),
        ai_usage: Vec::new(),
        truncated: Vec::new(),
    };
    for (name, list) in [
        ("memberships", &mut export.memberships),
        ("posts", &mut export.posts),
        ("postVersions", &mut export.post_versions),
        ("comments", &mut export.comments),
        ("ideas", &mut export.ideas),
        ("notifications", &mut export.notifications),
        ("activity", &mut export.activity),
        ("accountActivity", &mut export.account_activity),
        ("socialAccounts", &mut export.social_accounts),
        ("media", &mut export.media),
    ] {
        if list.len() > store::MAX_ROWS as usize {
            list.truncate(store::MAX_ROWS as usize);
            export.truncated.push(name.to_string());
        }
    }
    Ok(json::ok(200, export))
}
