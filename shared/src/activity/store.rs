//! The only SQL on `activity_log` and `account_activity`.

use serde_json::Value as Json;

use super::{AccountEntry, ActivityEntry};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};
use crate::validate::rfc3339;

/// An entry of a workspace's log: `activity::record` fills the eleven values, in the order of
/// the columns (media's guarded entries rely on this text).
pub fn insert(values: Vec<Value>) -> Statement {
    Statement::new(
        "INSERT INTO activity_log (id, workspace_id, actor_id, action, entity_type, entity_id, ip, user_agent, \
         before_state, after_state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        values,
    )
}

/// An entry of an account's own log, the eight values in the order of the columns.
pub fn insert_account(values: Vec<Value>) -> Statement {
    Statement::new(
        "INSERT INTO account_activity (id, user_id, action, ip, user_agent, before_state, after_state, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        values,
    )
}

/// A before or after state as stored: JSON text, or nothing.
fn stored_state(r: &Row, column: &str) -> Result<Option<Json>, AppError> {
    Ok(r.opt_text(column)?.and_then(|t| serde_json::from_str(&t).ok()))
}

fn decode(r: &Row) -> Result<ActivityEntry, AppError> {
    Ok(ActivityEntry {
        id: r.text("id")?,
        actor_id: r.opt_text("actor_id")?,
        action: r.text("action")?,
        entity_type: r.text("entity_type")?,
        entity_id: r.text("entity_id")?,
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        before: stored_state(r, "before_state")?,
        after: stored_state(r, "after_state")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// What a page of a workspace's log selects (empty texts: no filter).
pub struct Filter<'a> {
    pub actor_id: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub since: i64,
    pub until: i64,
}

/// The read of the entries before the id `before` (empty: the newest), newest first, `limit` + 1
/// at most, to send with the membership check in one round trip; [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, f: &Filter<'_>, before: &str, limit: i64) -> Statement {
    // Empty text means "no filter": one statement, typed parameters, on every dialect.
    Statement::new(
        "SELECT id, actor_id, action, entity_type, entity_id, ip, user_agent, before_state, after_state, created_at \
         FROM activity_log WHERE workspace_id = ?1 \
         AND (?2 = '' OR actor_id = ?2) AND (?3 = '' OR entity_type = ?3) AND (?4 = '' OR entity_id = ?4) \
         AND (?5 = '' OR action = ?5) AND created_at >= ?6 AND created_at < ?7 AND (?8 = '' OR id < ?8) \
         ORDER BY id DESC LIMIT ?9",
        params![workspace_id, f.actor_id, f.entity_type, f.entity_id, f.action, f.since, f.until, before, limit + 1],
    )
}

/// The entries [`page_read`] found.
pub fn page_of(rows: &[Row]) -> Result<Vec<ActivityEntry>, AppError> {
    rows.iter().map(decode).collect()
}

/// The account's entries before the id `before` (empty: the newest), newest first, `limit` + 1
/// at most.
pub async fn account_page(
    db: &dyn Sql,
    user_id: &str,
    before: &str,
    limit: i64,
) -> Result<Vec<AccountEntry>, AppError> {
    let rows = db
        .query(
            "SELECT id, action, ip, user_agent, before_state, after_state, created_at FROM account_activity \
             WHERE user_id = ?1 AND (?2 = '' OR id < ?2) ORDER BY id DESC LIMIT ?3",
            &params![user_id, before, limit + 1],
        )
        .await?;
    rows.iter().map(decode_account).collect()
}
fn decode_account(r: &Row) -> Result<AccountEntry, AppError> {
    Ok(AccountEntry {
        id: r.text("id")?,
        action: r.text("action")?,
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        before: stored_state(r, "before_state")?,
        after: stored_state(r, "after_state")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}
