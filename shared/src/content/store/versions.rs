//! The only SQL on `post_versions` beside the insert of `store::posts`, which writes a version
//! in the batch of its post.

use crate::content::versions::{VersionSummary, VersionView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

fn decode(r: &Row) -> Result<VersionView, AppError> {
    Ok(VersionView {
        summary: summary(r)?,
        body: r.opt_text("body")?,
        targets: serde_json::from_value(r.json("targets")?).unwrap_or_default(),
    })
}

pub fn summary(r: &Row) -> Result<VersionSummary, AppError> {
    Ok(VersionSummary {
        number: r.int("number")?,
        title: r.text("title")?,
        content_hash: r.text("content_hash")?,
        author_id: r.text("author_id")?,
        note: r.opt_text("note")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// Version `number` of the post, whole.
pub async fn one(
    db: &dyn Sql,
    workspace_id: &str,
    post_id: &str,
    number: i64,
) -> Result<Option<VersionView>, AppError> {
    let row = db
        .query_one(
            "SELECT number, title, body, targets, content_hash, author_id, note, created_at FROM post_versions \
             WHERE workspace_id = ?1 AND post_id = ?2 AND number = ?3",
            &params![workspace_id, post_id, number],
        )
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The read of version `number` of the post, to send with the membership and visibility checks
/// in one round trip; [`one_of`] reads its answer.
pub fn one_read(workspace_id: &str, post_id: &str, number: i64) -> Statement {
    Statement::new(
        "SELECT number, title, body, targets, content_hash, author_id, note, created_at FROM post_versions \
         WHERE workspace_id = ?1 AND post_id = ?2 AND number = ?3",
        params![workspace_id, post_id, number],
    )
}

/// The version [`one_read`] found, or 404.
pub fn one_of(rows: &[Row]) -> Result<VersionView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("version"))?)
}

/// The read of the post's versions numbered below `before`, newest first, `limit` + 1 at most
/// (without their bodies: [`summary`] reads each row), to send with the membership and
/// visibility checks in one round trip.
pub fn summaries_read(workspace_id: &str, post_id: &str, before: i64, limit: i64) -> Statement {
    Statement::new(
        "SELECT id, number, title, content_hash, author_id, note, created_at FROM post_versions \
         WHERE workspace_id = ?1 AND post_id = ?2 AND number < ?3 ORDER BY number DESC LIMIT ?4",
        params![workspace_id, post_id, before, limit + 1],
    )
}
