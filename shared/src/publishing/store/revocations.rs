//! The queue of platform grants to revoke (`token_revocations`), which erasing a workspace fills.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement};

/// One grant waiting: its account, platform, sealed credentials and the tries made so far.
pub struct Queued {
    pub account_id: String,
    pub platform: String,
    pub credentials: String,
    pub attempts: i64,
}

/// The oldest `limit` grants waiting.
pub async fn queued(db: &dyn Sql, limit: i64) -> Result<Vec<Queued>, AppError> {
    let rows = db
        .query(
            "SELECT account_id, platform, credentials, attempts FROM token_revocations \
             ORDER BY queued_at, account_id LIMIT ?1",
            &params![limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Queued {
                account_id: r.text("account_id")?,
                platform: r.text("platform")?,
                credentials: r.text("credentials")?,
                attempts: r.int("attempts")?,
            })
        })
        .collect()
}

/// Forgets the `settled` grants and counts a failed try for those to try `again`.
pub fn settle(settled: &[String], again: &[String]) -> Vec<Statement> {
    use crate::sql::in_chunks;
    let mut out = in_chunks(&[], settled, |list| format!("DELETE FROM token_revocations WHERE account_id IN ({list})"));
    out.extend(in_chunks(&[], again, |list| {
        format!("UPDATE token_revocations SET attempts = attempts + 1 WHERE account_id IN ({list})")
    }));
    out
}
