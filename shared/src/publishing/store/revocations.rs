//! The queue of platform grants to revoke (`token_revocations`), which erasing a workspace fills.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement, Value};

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

/// Forgets the `settled` grants and counts a failed try for those to try `again` (each list at
/// most 100 ids, D1's bound parameters).
pub fn settle(settled: &[String], again: &[String]) -> Vec<Statement> {
    let list = |ids: &[String]| (1..=ids.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let values = |ids: &[String]| ids.iter().map(|id| Value::from(id.as_str())).collect::<Vec<_>>();
    let mut out = Vec::new();
    if !settled.is_empty() {
        out.push(Statement::new(
            format!("DELETE FROM token_revocations WHERE account_id IN ({})", list(settled)),
            values(settled),
        ));
    }
    if !again.is_empty() {
        out.push(Statement::new(
            format!("UPDATE token_revocations SET attempts = attempts + 1 WHERE account_id IN ({})", list(again)),
            values(again),
        ));
    }
    out
}
