//! The only SQL on `comments` (on posts) and `idea_comments` (on ideas).

use crate::api::paging::{self, ById, Page};
use crate::collab::model::{CommentView, Subject, SubjectKind, Visibility};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

/// The table holding a subject's comments and the column naming the subject: fixed names,
/// never input.
fn thread(kind: SubjectKind) -> (&'static str, &'static str) {
    match kind {
        SubjectKind::Post => ("comments", "post_id"),
        SubjectKind::Idea => ("idea_comments", "idea_id"),
    }
}

fn decode(r: &Row, subject: &Subject) -> Result<CommentView, AppError> {
    Ok(CommentView {
        id: r.text("id")?,
        subject_type: subject.kind.as_str().to_string(),
        subject_id: subject.id.clone(),
        author_id: r.text("author_id")?,
        body: r.text("body")?,
        visibility: if r.text("visibility")? == "client" { Visibility::Client } else { Visibility::Internal },
        mentions: serde_json::from_value(r.json("mentions")?).unwrap_or_default(),
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// The comments on `on`, oldest first, only client-visible ones when `client_only`, one page
/// after `paging`'s id.
pub async fn page(
    db: &dyn Sql,
    workspace_id: &str,
    on: &Subject,
    client_only: bool,
    paging: &ById,
) -> Result<Page<CommentView>, AppError> {
    let (table, column) = thread(on.kind);
    let sql = format!(
        "SELECT id, author_id, body, visibility, mentions, created_at FROM {table} \
         WHERE workspace_id = ?1 AND {column} = ?2 AND deleted_at IS NULL AND (?3 = 0 OR visibility = 'client') \
         AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5"
    );
    let values = params![workspace_id, on.id.as_str(), i64::from(client_only), paging.after.as_str(), paging.limit + 1];
    let rows = db.query(&sql, &values).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, |r| decode(r, on), |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

/// A comment on `on` that is not deleted, client-visible when `client_only`, or 404.
pub async fn visible(
    db: &dyn Sql,
    workspace_id: &str,
    on: &Subject,
    id: &str,
    client_only: bool,
) -> Result<CommentView, AppError> {
    let (table, column) = thread(on.kind);
    let sql = format!(
        "SELECT id, author_id, body, visibility, mentions, created_at FROM {table} \
         WHERE workspace_id = ?1 AND {column} = ?2 AND id = ?3 AND deleted_at IS NULL AND (?4 = 0 OR visibility = 'client')"
    );
    let row = db
        .query_one(&sql, &params![workspace_id, on.id.as_str(), id, i64::from(client_only)])
        .await?
        .ok_or_else(|| AppError::not_found("comment"))?;
    decode(&row, on)
}

pub fn insert(workspace_id: &str, on: &Subject, c: &CommentView, now_ms: i64) -> Statement {
    let (table, column) = thread(on.kind);
    Statement::new(
        format!(
            "INSERT INTO {table} (id, workspace_id, {column}, author_id, body, visibility, mentions, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
        ),
        params![
            c.id.as_str(),
            workspace_id,
            on.id.as_str(),
            c.author_id.as_str(),
            c.body.as_str(),
            c.visibility.as_str(),
            serde_json::to_string(&c.mentions).unwrap_or_else(|_| "[]".into()),
            now_ms
        ],
    )
}

/// Comments are deleted softly: the row stays, no list shows it.
pub fn delete(workspace_id: &str, kind: SubjectKind, id: &str, now_ms: i64) -> Statement {
    let (table, _) = thread(kind);
    Statement::new(
        format!("UPDATE {table} SET deleted_at = ?3 WHERE workspace_id = ?1 AND id = ?2"),
        params![workspace_id, id, now_ms],
    )
}
