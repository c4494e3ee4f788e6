//! The queue of files to delete from storage (`object_purges`), which erasing a workspace fills.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement};

/// The oldest `limit` files waiting to be deleted.
pub async fn queued_files(db: &dyn Sql, limit: i64) -> Result<Vec<String>, AppError> {
    let rows = db
        .query("SELECT object_key FROM object_purges ORDER BY queued_at, object_key LIMIT ?1", &params![limit])
        .await?;
    Ok(rows.iter().filter_map(|r| r.opt_text("object_key").ok().flatten()).collect())
}

/// Forgets files now gone from storage.
pub fn purged(keys: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&[], keys, |list| format!("DELETE FROM object_purges WHERE object_key IN ({list})"))
}
