//! The queue of files to delete from storage (`object_purges`), which erasing a workspace fills.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement, Value};

/// The oldest `limit` files waiting to be deleted.
pub async fn queued_files(db: &dyn Sql, limit: i64) -> Result<Vec<String>, AppError> {
    let rows = db
        .query("SELECT object_key FROM object_purges ORDER BY queued_at, object_key LIMIT ?1", &params![limit])
        .await?;
    Ok(rows.iter().filter_map(|r| r.opt_text("object_key").ok().flatten()).collect())
}

/// Forgets files now gone from storage (at most 100 at once, D1's bound parameters).
pub fn purged(keys: &[String]) -> Statement {
    let marks: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
    Statement::new(
        format!("DELETE FROM object_purges WHERE object_key IN ({})", marks.join(", ")),
        keys.iter().map(|k| Value::from(k.as_str())).collect(),
    )
}
