//! What the review page reads beside posts and ideas: their files and client-visible comments.

use crate::approvals::review_page::MediaItem;
use crate::error::AppError;
use crate::params;
use crate::sql::{placeholders, Row, Sql, Statement, Value};

/// A ready, live file of the workspace.
pub async fn media(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<Option<MediaItem>, AppError> {
    let row = db
        .query_one(
            "SELECT id, filename, content_type, alt_text FROM media_assets \
             WHERE workspace_id = ?1 AND id = ?2 AND status = 'ready' AND deleted_at IS NULL",
            &params![workspace_id, id],
        )
        .await?;
    match row {
        Some(r) => Ok(Some(MediaItem {
            id: r.text("id")?,
            filename: r.text("filename")?,
            content_type: r.text("content_type")?,
            alt_text: r.opt_text("alt_text")?,
        })),
        None => Ok(None),
    }
}

/// The read of the ready, live files among `ids` (at most 90), to send with others in one round
/// trip (`Sql::reads`); [`media_of`] reads its answer.
pub fn media_read(workspace_id: &str, ids: &[String]) -> Statement {
    let mut values = params![workspace_id];
    values.extend(ids.iter().map(Value::from));
    Statement::new(
        format!(
            "SELECT id, filename, content_type, alt_text FROM media_assets \
             WHERE workspace_id = ?1 AND status = 'ready' AND deleted_at IS NULL AND id IN ({})",
            placeholders(2, ids.len())
        ),
        values,
    )
}

/// The files [`media_read`] found.
pub fn media_of(rows: &[Row]) -> Result<Vec<MediaItem>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(MediaItem {
                id: r.text("id")?,
                filename: r.text("filename")?,
                content_type: r.text("content_type")?,
                alt_text: r.opt_text("alt_text")?,
            })
        })
        .collect()
}

/// What a comment is about: a post, or an idea.
#[derive(Debug, Clone, Copy)]
pub enum On {
    Post,
    Idea,
}

/// The read of the client-visible comments on the posts or ideas `ids` (at most 90), oldest
/// first, to send with others in one round trip (`Sql::reads`); [`comments_of`] reads its answer.
pub fn comments_read(workspace_id: &str, on: On, ids: &[String]) -> Statement {
    let (table, column) = match on {
        On::Post => ("comments", "post_id"),
        On::Idea => ("idea_comments", "idea_id"),
    };
    let mut values = params![workspace_id];
    values.extend(ids.iter().map(Value::from));
    Statement::new(
        format!(
            "SELECT c.{column} AS about, c.body AS body, c.created_at AS created_at, u.name AS author FROM {table} c \
             JOIN users u ON u.id = c.author_id WHERE c.workspace_id = ?1 AND c.{column} IN ({}) \
             AND c.visibility = 'client' AND c.deleted_at IS NULL ORDER BY c.id",
            placeholders(2, ids.len())
        ),
        values,
    )
}

/// The comments [`comments_read`] found about `id`, as (author's name, body, time in ms).
pub fn comments_of(rows: &[Row], id: &str) -> Result<Vec<(String, String, i64)>, AppError> {
    rows.iter()
        .filter(|r| r.text("about").is_ok_and(|a| a == id))
        .map(|r| Ok((r.text("author")?, r.text("body")?, r.int("created_at")?)))
        .collect()
}

/// The client-visible comments on a post or an idea, oldest first, as (author's name, body,
/// time in ms); internal ones never leave the team.
pub async fn client_comments(
    db: &dyn Sql,
    workspace_id: &str,
    on: On,
    id: &str,
) -> Result<Vec<(String, String, i64)>, AppError> {
    let (table, column) = match on {
        On::Post => ("comments", "post_id"),
        On::Idea => ("idea_comments", "idea_id"),
    };
    let sql = format!(
        "SELECT c.body AS body, c.created_at AS created_at, u.name AS author FROM {table} c \
         JOIN users u ON u.id = c.author_id WHERE c.workspace_id = ?1 AND c.{column} = ?2 \
         AND c.visibility = 'client' AND c.deleted_at IS NULL ORDER BY c.id"
    );
    let rows = db.query(&sql, &params![workspace_id, id]).await?;
    rows.iter().map(|r| Ok((r.text("author")?, r.text("body")?, r.int("created_at")?))).collect()
}
