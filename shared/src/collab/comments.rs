//! Comments on posts and on campaign ideas (SPEC AP-3): internal to the agency or visible to
//! the client, with mentions of members, who are notified. A Client member never sees an
//! internal comment and writes only client-visible ones.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::notifications::{self, Notice};
use crate::activity::{self, Change};
use crate::agency::client_limit;
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Response};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;
use crate::workspaces::members;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// The agency's team only.
    Internal,
    /// Also the client's members.
    Client,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Client => "client",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Defaults to internal; Client members always write client-visible comments.
    pub visibility: Option<Visibility>,
    /// Members to notify. Each must be able to read the comment where it is: a Client member
    /// only a client-visible one, on its own client's post or idea.
    pub mentions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    pub id: String,
    /// `post` or `idea`.
    pub subject_type: String,
    pub subject_id: String,
    pub author_id: String,
    pub body: String,
    pub visibility: Visibility,
    pub mentions: Vec<String>,
    pub created_at: String,
}

/// What is commented on: a post or an idea the caller may see. Tables and columns are fixed
/// names, never input.
struct Subject {
    kind: &'static str,
    id: String,
    title: String,
    table: &'static str,
    column: &'static str,
    /// The client whose Client members see it; none: no Client member does.
    client_id: Option<String>,
}

async fn subject(ctx: &Context<'_>, call: &Call<'_>) -> Result<Subject, AppError> {
    let member = call.member()?;
    if let Ok(post_id) = call.params.get("postId") {
        let post = post_store::load(ctx.db, &member.workspace_id, &client_limit(call, member)?, post_id).await?;
        let (id, title, client_id) = (post.id, post.title, post.client_id);
        return Ok(Subject { kind: "post", id, title, table: "comments", column: "post_id", client_id });
    }
    let idea = crate::agency::ideas::load(ctx, call).await?;
    let (id, title, client_id) = (idea.id, idea.title, idea.client_id);
    Ok(Subject { kind: "idea", id, title, table: "idea_comments", column: "idea_id", client_id })
}

/// Whether Client member `user_id` sees `on`: only when attached to its client.
async fn client_sees(ctx: &Context<'_>, workspace_id: &str, on: &Subject, user_id: &str) -> Result<bool, AppError> {
    let Some(client) = &on.client_id else { return Ok(false) };
    let row = ctx
        .db
        .query_one(
            "SELECT 1 AS one FROM client_members WHERE workspace_id = ?1 AND client_id = ?2 AND user_id = ?3",
            &params![workspace_id, client.as_str(), user_id],
        )
        .await?;
    Ok(row.is_some())
}

fn decode(r: &Row, subject: &Subject) -> Result<CommentView, AppError> {
    Ok(CommentView {
        id: r.text("id")?,
        subject_type: subject.kind.to_string(),
        subject_id: subject.id.clone(),
        author_id: r.text("author_id")?,
        body: r.text("body")?,
        visibility: if r.text("visibility")? == "client" { Visibility::Client } else { Visibility::Internal },
        mentions: serde_json::from_value(r.json("mentions")?).unwrap_or_default(),
        created_at: rfc3339(r.int("created_at")?),
    })
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "Comments, oldest first; a Client member gets only client-visible ones", body = Envelope<Page<CommentView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging = paging::by_id(call.req)?;
    let on = subject(ctx, call).await?;
    let client_only = i64::from(member.role == Role::Client);
    let sql = format!(
        "SELECT id, author_id, body, visibility, mentions, created_at FROM {} \
         WHERE workspace_id = ?1 AND {} = ?2 AND deleted_at IS NULL AND (?3 = 0 OR visibility = 'client') \
         AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5",
        on.table, on.column
    );
    let values =
        params![member.workspace_id.as_str(), on.id.as_str(), client_only, paging.after.as_str(), paging.limit + 1];
    let rows = ctx.db.query(&sql, &values).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, |r| decode(r, &on), |r| Ok(r.text("id")?))?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = CommentInput,
    responses((status = 201, description = "Posted; mentioned members are notified in the app and by mail", body = Envelope<CommentView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CommentInput = json::parse(&call.req.body)?;
    let member = call.member()?;
    let me = call.caller()?.user_id.clone();
    let on = subject(ctx, call).await?;
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
            Some(Role::Client) if !client_sees(ctx, &member.workspace_id, &on, &id).await? => {
                errors.push(FieldError::new(
                    format!("mentions[{i}]"),
                    format!("cannot see this {}: only its client's members", on.kind),
                ))
            }
            Some(_) if !mentions.contains(&id) => mentions.push(id),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    let view = CommentView {
        id: ctx.new_id(),
        subject_type: on.kind.to_string(),
        subject_id: on.id.clone(),
        author_id: me.clone(),
        body,
        visibility,
        mentions,
        created_at: rfc3339(now),
    };
    let insert = Statement::new(
        format!(
            "INSERT INTO {} (id, workspace_id, {}, author_id, body, visibility, mentions, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            on.table, on.column
        ),
        params![
            view.id.as_str(),
            member.workspace_id.as_str(),
            on.id.as_str(),
            me.as_str(),
            view.body.as_str(),
            visibility.as_str(),
            serde_json::to_string(&view.mentions).unwrap_or_else(|_| "[]".into()),
            now
        ],
    );
    let change = Change {
        action: "comment.create",
        entity_type: "comment",
        entity_id: &view.id,
        before: None,
        after: Some(
            json!({ "on": on.kind, "id": on.id, "visibility": visibility.as_str(), "mentions": view.mentions }),
        ),
    };
    ctx.db.batch(&[insert, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    let notice = Notice {
        kind: "comment.mention",
        title: format!("You were mentioned on \"{}\"", on.title),
        body: view.body.clone(),
        subject_type: on.kind,
        subject_id: &on.id,
    };
    notifications::notify(ctx, call, &member.workspace_id, &view.mentions, notice).await;
    Ok(json::ok(201, view))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), ("commentId" = String, Path)),
    responses((status = 200, description = "Deleted", body = Envelope<CommentView>),
              (status = 403, description = "FORBIDDEN: only its author, an owner or an admin", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let me = &call.caller()?.user_id;
    let on = subject(ctx, call).await?;
    let client_only = i64::from(member.role == Role::Client);
    let sql = format!(
        "SELECT id, author_id, body, visibility, mentions, created_at FROM {} \
         WHERE workspace_id = ?1 AND {} = ?2 AND id = ?3 AND deleted_at IS NULL AND (?4 = 0 OR visibility = 'client')",
        on.table, on.column
    );
    let row = ctx
        .db
        .query_one(
            &sql,
            &params![member.workspace_id.as_str(), on.id.as_str(), call.params.get("commentId")?, client_only],
        )
        .await?
        .ok_or_else(|| AppError::not_found("comment"))?;
    let comment = decode(&row, &on)?;
    if comment.author_id != *me && !matches!(member.role, Role::Owner | Role::Admin) {
        return Err(AppError::Forbidden("only its author, an owner or an admin may delete a comment".into()));
    }
    let write = Statement::new(
        format!("UPDATE {} SET deleted_at = ?3 WHERE workspace_id = ?1 AND id = ?2", on.table),
        params![member.workspace_id.as_str(), comment.id.as_str(), ctx.clock.now_ms()],
    );
    let change = Change {
        action: "comment.delete",
        entity_type: "comment",
        entity_id: &comment.id,
        before: serde_json::to_value(&comment).ok(),
        after: None,
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, comment))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path), PageQuery),
    responses((status = 200, description = "Comments on the idea, oldest first; a Client member gets only client-visible ones", body = Envelope<Page<CommentView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    list(ctx, call).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path)), request_body = CommentInput,
    responses((status = 201, description = "Posted; mentioned members are notified", body = Envelope<CommentView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    create(ctx, call).await
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}", tag = "comments", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("ideaId" = String, Path), ("commentId" = String, Path)),
    responses((status = 200, description = "Deleted", body = Envelope<CommentView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete_on_idea(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    delete(ctx, call).await
}

/// What `create` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[field("CommentInput", "body", Rule::NonBlank(5000)), field("CommentInput", "mentions", Rule::Each(&Rule::Id))];
