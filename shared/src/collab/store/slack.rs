//! The only SQL on `slack_hooks`: a workspace's Slack webhook (its URL sealed), the kinds of
//! notices it takes and its last failure. Notices read it with the brand
//! (`notifications::FROM_COLUMNS`).

use crate::collab::model::{SlackFailure, SlackView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// The read of the workspace's webhook, to send with the membership check; [`view_of`] reads it.
pub fn read(workspace_id: &str) -> Statement {
    Statement::new(
        "SELECT host, kinds, updated_at, failed_at, failure FROM slack_hooks WHERE workspace_id = ?1",
        params![workspace_id],
    )
}

/// The webhook [`read`] found, as shown (none: not connected).
pub fn view_of(rows: &[Row]) -> Result<SlackView, AppError> {
    let Some(r) = rows.first() else {
        return Ok(SlackView { connected: false, host: None, kinds: Vec::new(), updated_at: None, last_failure: None });
    };
    let last_failure = match (r.opt_int("failed_at")?, r.opt_text("failure")?) {
        (Some(at), Some(reason)) => Some(SlackFailure { at: rfc3339(at), reason }),
        _ => None,
    };
    Ok(SlackView {
        connected: true,
        host: Some(r.text("host")?),
        kinds: serde_json::from_str(&r.text("kinds")?).unwrap_or_default(),
        updated_at: Some(rfc3339(r.int("updated_at")?)),
        last_failure,
    })
}

/// Keeps the workspace's webhook, replacing one it had (and its failure).
pub fn save(workspace_id: &str, sealed: &str, host: &str, kinds: &[String], now_ms: i64) -> Statement {
    let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
    Statement::new(
        "INSERT INTO slack_hooks (workspace_id, url_sealed, host, kinds, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id) DO UPDATE SET url_sealed = excluded.url_sealed, host = excluded.host, \
         kinds = excluded.kinds, updated_at = excluded.updated_at, failed_at = NULL, failure = NULL",
        params![workspace_id, sealed, host, kinds, now_ms],
    )
}

/// Forgets the workspace's webhook.
pub fn remove(workspace_id: &str) -> Statement {
    Statement::new("DELETE FROM slack_hooks WHERE workspace_id = ?1", params![workspace_id])
}

/// Records a post that failed, while the webhook is still the one sealed as `sealed`.
pub fn failed(workspace_id: &str, sealed: &str, now_ms: i64, reason: &str) -> Statement {
    Statement::new(
        "UPDATE slack_hooks SET failed_at = ?3, failure = ?4 WHERE workspace_id = ?1 AND url_sealed = ?2",
        params![workspace_id, sealed, now_ms, reason],
    )
}
