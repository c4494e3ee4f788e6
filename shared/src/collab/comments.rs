//! Comments on posts and on campaign ideas (SPEC AP-3): internal to the agency or visible to
//! the client, with mentions of members, who are notified. A Client member never sees an
//! internal comment and writes only client-visible ones. Here: what a comment is on, and who
//! may write what and mention whom there; the SQL is in `store::comments`.

use super::model::{CommentInput, NewComment, Subject, SubjectKind, Visibility, MAX_MENTIONS};
use crate::agency::client_limit;
use crate::api::permissions::Role;
use crate::api::{Call, Context, Member};
use crate::collab::store;
use crate::collab::store::comments::Mentioned;
use crate::content::store::posts as post_store;
use crate::error::{AppError, FieldError};

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

/// The caller admitted, the post or idea of the route as they may see it, and the members among
/// `mentioned` (ids, each as written) with what decides whether they may be mentioned: one
/// round trip.
pub async fn subject_and_mentioned(
    ctx: &Context<'_>,
    call: &Call<'_>,
    mentioned: &[String],
) -> Result<(Subject, Vec<Mentioned>, crate::collab::model::MailFrom), AppError> {
    let ws = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.as_str();
    let (kind, id) = match call.params.get("postId") {
        Ok(post_id) => (SubjectKind::Post, post_id),
        Err(_) => (SubjectKind::Idea, call.params.get("ideaId")?),
    };
    let mut reads = match kind {
        SubjectKind::Post => post_store::one_reads(ws, viewer, id).to_vec(),
        SubjectKind::Idea => crate::agency::ideas::load_reads(ws, viewer, id).to_vec(),
    };
    let own = reads.len();
    // Only ids go near a query (the others are refused by `parse`), at most MAX_MENTIONS.
    let ids: Vec<String> =
        mentioned.iter().filter(|m| crate::api::route::is_id(m)).take(MAX_MENTIONS).cloned().collect();
    reads.extend(store::comments::mentioned_reads(ws, kind, id, &ids));
    // With the membership check: the caller is admitted by the same round trip.
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let subject = match kind {
        SubjectKind::Post => {
            let post = post_store::one_of(answers.get(..own).unwrap_or_default())?;
            Subject { kind, id: post.id, title: post.title, client_id: post.client_id }
        }
        SubjectKind::Idea => {
            let idea = crate::agency::ideas::idea_of(answers.get(..own).unwrap_or_default())?;
            Subject { kind, id: idea.id, title: idea.title, client_id: idea.client_id }
        }
    };
    let mentioned = store::comments::mentioned_of(answers.iter().skip(own).flatten())?;
    let from = store::notifications::from_of(answers.get(own).map_or(&[][..], Vec::as_slice));
    Ok((subject, mentioned, from))
}

/// Parses `input` for `member` commenting on `on`, reporting every invalid field: the body,
/// the visibility their role may write, and mentions of members who can read the comment
/// (`found`: the members among them, from [`subject_and_mentioned`]). Answers the comment and
/// the address of each member it mentions.
pub fn parse(
    member: &Member,
    on: &Subject,
    input: CommentInput,
    found: &[Mentioned],
) -> Result<(NewComment, Vec<(String, String)>), AppError> {
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
    let given = input.mentions.unwrap_or_default();
    if given.len() > MAX_MENTIONS {
        errors.push(FieldError::new("mentions", format!("must name at most {MAX_MENTIONS} members")));
    }
    let mut mentions: Vec<String> = Vec::new();
    let mut addresses = Vec::new();
    for (i, id) in given.into_iter().enumerate().take(MAX_MENTIONS) {
        if !crate::api::route::is_id(&id) {
            errors.push(FieldError::new(format!("mentions[{i}]"), "must be a user id (a lower-case UUID)"));
            continue;
        }
        match found.iter().find(|m| m.user_id == id) {
            None => errors.push(FieldError::new(format!("mentions[{i}]"), "is not a member of this workspace")),
            // Mentioning someone in a comment they cannot read would leak it to them.
            Some(m) if m.role == Role::Client && visibility == Visibility::Internal => errors
                .push(FieldError::new(format!("mentions[{i}]"), "a client member cannot read an internal comment")),
            // Nor on a post or idea they cannot open: the notice would carry its title and the text.
            Some(m) if m.role == Role::Client && !(on.client_id.is_some() && m.sees_subject) => {
                errors.push(FieldError::new(
                    format!("mentions[{i}]"),
                    format!("cannot see this {}: only its client's members", on.kind.as_str()),
                ))
            }
            Some(m) if !mentions.contains(&id) => {
                addresses.push((id.clone(), m.email.clone()));
                mentions.push(id);
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((NewComment { body, visibility, mentions }, addresses))
}
