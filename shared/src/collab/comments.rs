//! Comments on posts and on campaign ideas (SPEC AP-3): internal to the agency or visible to
//! the client, with mentions of members, who are notified. A Client member never sees an
//! internal comment and writes only client-visible ones. Here: what a comment is on, and who
//! may write what and mention whom there; the SQL is in `store::comments`.

use super::model::{CommentInput, NewComment, Subject, SubjectKind, Visibility};
use crate::agency::client_limit;
use crate::api::permissions::Role;
use crate::api::{Call, Context, Member};
use crate::content::store::posts as post_store;
use crate::error::{AppError, FieldError};
use crate::workspaces::members;

/// The post or idea of the route, as the caller may see it.
pub async fn subject(ctx: &Context<'_>, call: &Call<'_>) -> Result<Subject, AppError> {
    let member = call.member()?;
    if let Ok(post_id) = call.params.get("postId") {
        let post = post_store::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, post_id).await?;
        let (id, title, client_id) = (post.id, post.title, post.client_id);
        return Ok(Subject { kind: SubjectKind::Post, id, title, client_id });
    }
    let idea = crate::agency::ideas::load(ctx, call).await?;
    let (id, title, client_id) = (idea.id, idea.title, idea.client_id);
    Ok(Subject { kind: SubjectKind::Idea, id, title, client_id })
}

/// Whether Client member `user_id` sees `on`: only when attached to its client.
async fn client_sees(ctx: &Context<'_>, workspace_id: &str, on: &Subject, user_id: &str) -> Result<bool, AppError> {
    let Some(client) = &on.client_id else { return Ok(false) };
    crate::agency::store::clients::is_attached(ctx.db, workspace_id, client, user_id).await
}

/// Parses `input` for `member` commenting on `on`, reporting every invalid field: the body,
/// the visibility their role may write, and mentions of members who can read the comment.
pub async fn parse(
    ctx: &Context<'_>,
    member: &Member,
    on: &Subject,
    input: CommentInput,
) -> Result<NewComment, AppError> {
    let mut errors = Vec::new();
    let body = input.body.trim().to_string();
    if body.is_empty() || body.chars().count() > 5000 {
        errors.push(FieldError::new("body", "must be 1 to 5000 characters"));
    }
    let visibility = match (member.role, input.visibility) {
        (Role::Client, Some(Visibility::Internal)) => {
            errors.push(FieldError::new("visibility", "client members write client-visible comments"));
            Visibility::Client
        }
        (Role::Client, _) => Visibility::Client,
        (_, v) => v.unwrap_or(Visibility::Internal),
    };
    let mut mentions: Vec<String> = Vec::new();
    for (i, id) in input.mentions.unwrap_or_default().into_iter().enumerate() {
        // An id is parsed as an id before it goes near a query.
        if !crate::api::route::is_id(&id) {
            errors.push(FieldError::new(format!("mentions[{i}]"), "must be a user id (a lower-case UUID)"));
            continue;
        }
        match members::role_in(ctx.db, &member.workspace_id, &id).await? {
            None => errors.push(FieldError::new(format!("mentions[{i}]"), "is not a member of this workspace")),
            // Mentioning someone in a comment they cannot read would leak it to them.
            Some(Role::Client) if visibility == Visibility::Internal => errors
                .push(FieldError::new(format!("mentions[{i}]"), "a client member cannot read an internal comment")),
            // Nor on a post or idea they cannot open: the notice would carry its title and the text.
            Some(Role::Client) if !client_sees(ctx, &member.workspace_id, on, &id).await? => {
                errors.push(FieldError::new(
                    format!("mentions[{i}]"),
                    format!("cannot see this {}: only its client's members", on.kind.as_str()),
                ))
            }
            Some(_) if !mentions.contains(&id) => mentions.push(id),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(NewComment { body, visibility, mentions })
}
