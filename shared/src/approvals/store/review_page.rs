//! What the review page reads beside posts and ideas: their files and client-visible comments.

use crate::approvals::review_page::MediaItem;
use crate::error::AppError;
use crate::params;
use crate::sql::{in_chunks, Row, Sql, Statement, Value};

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

/// The reads of the ready, live files among `ids`, to send with others in one round trip
/// (`Sql::reads`); [`media_of`] reads their answers.
pub fn media_reads(workspace_id: &str, ids: &[String]) -> Vec<Statement> {
    in_chunks(&params![workspace_id], ids, media_sql)
}

/// [`media_reads`] for the files a subquery over `values` selects (`?1` being the workspace).
pub fn media_in(ids: &str, values: Vec<Value>) -> Statement {
    Statement::new(media_sql(ids), values)
}

fn media_sql(ids: &str) -> String {
    format!(
        "SELECT id, filename, content_type, alt_text FROM media_assets \
         WHERE workspace_id = ?1 AND status = 'ready' AND deleted_at IS NULL AND id IN ({ids})"
    )
}

/// The files [`media_reads`] found.
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

/// The reads of the client-visible comments on the posts or ideas `ids`, oldest first, to send
/// with others in one round trip (`Sql::reads`); [`comments_of`] reads their answers.
pub fn comments_reads(workspace_id: &str, on: On, ids: &[String]) -> Vec<Statement> {
    in_chunks(&params![workspace_id], ids, |list| comments_sql(on, list))
}

/// [`comments_reads`] for the posts or ideas a subquery over `values` selects (`?1` being the
/// workspace).
pub fn comments_in(on: On, ids: &str, values: Vec<Value>) -> Statement {
    Statement::new(comments_sql(on, ids), values)
}

fn comments_sql(on: On, ids: &str) -> String {
    let (table, column) = match on {
        On::Post => ("comments", "post_id"),
        On::Idea => ("idea_comments", "idea_id"),
    };
    format!(
        "SELECT c.{column} AS about, c.body AS body, c.created_at AS created_at, u.name AS author FROM {table} c \
         JOIN users u ON u.id = c.author_id WHERE c.workspace_id = ?1 AND c.{column} IN ({ids}) \
         AND c.visibility = 'client' AND c.deleted_at IS NULL ORDER BY c.id"
    )
}

/// The comments [`comments_reads`] found about `id`, as (author's name, body, time in ms).
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
