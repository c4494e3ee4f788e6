//! The only SQL on `post_versions` beside the insert of `store::posts`, which writes a version
//! in the batch of its post.

use crate::content::versions::{VersionSummary, VersionView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql};
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

/// The versions of the post numbered below `before`, newest first, at most `limit` + 1 (the
/// one past the page says whether another follows), as summaries: a body (up to a post's whole
/// text, per version) is read one at a time.
pub async fn summaries(
    db: &dyn Sql,
    workspace_id: &str,
    post_id: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<Row>, AppError> {
    Ok(db
        .query(
            "SELECT id, number, title, content_hash, author_id, note, created_at FROM post_versions \
             WHERE workspace_id = ?1 AND post_id = ?2 AND number < ?3 ORDER BY number DESC LIMIT ?4",
            &params![workspace_id, post_id, before, limit + 1],
        )
        .await?)
}
