//! The only SQL on `calendar_events`.

use crate::collab::events::{Event, Recurrence};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement, Value};

/// Whose events: a workspace's, or a person's own.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    Workspace(&'a str),
    Person(&'a str),
}

impl Owner<'_> {
    /// The condition naming the owner's rows, its id being `?1`.
    fn rows(self) -> &'static str {
        match self {
            Owner::Workspace(_) => "workspace_id = ?1",
            Owner::Person(_) => "workspace_id IS NULL AND user_id = ?1",
        }
    }

    fn id(self) -> String {
        match self {
            Owner::Workspace(id) | Owner::Person(id) => id.to_string(),
        }
    }
}

const COLUMNS: &str = "id, workspace_id, user_id, title, description, all_day, starts, ends, timezone, recurrence, \
     created_by, created_at, updated_at";

/// The most events one range reads (a range's occurrences come from them).
pub const MAX_EVENTS: i64 = 500;

pub fn decode(r: &Row) -> Result<Event, AppError> {
    let recurrence = match r.opt_text("recurrence")? {
        Some(text) => Some(
            serde_json::from_str::<Recurrence>(&text)
                .map_err(|e| AppError::Internal(format!("stored recurrence unreadable: {e}")))?,
        ),
        None => None,
    };
    Ok(Event {
        id: r.text("id")?,
        workspace_id: r.opt_text("workspace_id")?,
        user_id: r.opt_text("user_id")?,
        title: r.text("title")?,
        description: r.opt_text("description")?,
        all_day: r.int("all_day")? != 0,
        start: r.text("starts")?,
        end: r.text("ends")?,
        timezone: r.text("timezone")?,
        recurrence,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}

/// The read of the owner's event `id`.
pub fn one_read(owner: Owner<'_>, id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM calendar_events WHERE {} AND id = ?2", owner.rows()),
        params![owner.id(), id],
    )
}

/// The read of the owner's events that may have an occurrence from `from` to `to` (ms), the
/// first [`MAX_EVENTS`] by first start.
pub fn range_read(owner: Owner<'_>, from: i64, to: i64) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM calendar_events WHERE {} AND first_at < ?3 AND (last_at IS NULL OR last_at > ?2) \
             ORDER BY first_at, id LIMIT ?4",
            owner.rows()
        ),
        params![owner.id(), from, to, MAX_EVENTS],
    )
}

/// The read of the events a calendar feed shows from `from` to `to`, by the feed token's hash:
/// its owner's own, and those of every live workspace where they are more than a Client member.
/// Reads across workspaces: run it in the system scope.
pub fn feed_read(token_hash: &str, from: i64, to: i64) -> Statement {
    Statement::new(
        format!(
            "SELECT e.id AS id, e.workspace_id AS workspace_id, e.user_id AS user_id, e.title AS title, \
             e.description AS description, e.all_day AS all_day, e.starts AS starts, e.ends AS ends, \
             e.timezone AS timezone, e.recurrence AS recurrence, e.created_by AS created_by, \
             e.created_at AS created_at, e.updated_at AS updated_at, \
             (SELECT w.name FROM workspaces w WHERE w.id = e.workspace_id) AS workspace \
             FROM calendar_events e JOIN calendar_feeds f ON f.token_hash = ?1 \
             WHERE ((e.workspace_id IS NULL AND e.user_id = f.user_id) OR e.workspace_id IN \
             (SELECT m.workspace_id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id AND w.archived_at IS NULL \
              WHERE m.user_id = f.user_id AND m.role <> 'client')) \
             AND e.first_at < ?3 AND (e.last_at IS NULL OR e.last_at > ?2) ORDER BY e.first_at, e.id LIMIT ?4"
        ),
        params![token_hash, from, to, MAX_EVENTS],
    )
}

fn recurrence(e: &Event) -> Value {
    Value::from(e.recurrence.as_ref().and_then(|r| serde_json::to_string(r).ok()))
}

/// Stores a new event; `first` and `last` are its bounds (`events::bounds`).
pub fn insert(e: &Event, first: i64, last: Option<i64>) -> Statement {
    Statement::new(
        "INSERT INTO calendar_events (id, workspace_id, user_id, title, description, all_day, starts, ends, timezone, \
         recurrence, first_at, last_at, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        vec![
            Value::from(e.id.as_str()),
            Value::from(e.workspace_id.clone()),
            Value::from(e.user_id.clone()),
            Value::from(e.title.as_str()),
            Value::from(e.description.clone()),
            Value::from(i64::from(e.all_day)),
            Value::from(e.start.as_str()),
            Value::from(e.end.as_str()),
            Value::from(e.timezone.as_str()),
            recurrence(e),
            Value::from(first),
            Value::from(last),
            Value::from(e.created_by.as_str()),
            Value::from(e.created_at),
        ],
    )
}

/// Writes `e` over the owner's stored event, unless it changed since `before_updated_at` (then
/// nothing is written: the batch answers 0 rows).
pub fn update(owner: Owner<'_>, e: &Event, first: i64, last: Option<i64>, before_updated_at: i64) -> Statement {
    Statement::new(
        format!(
            "UPDATE calendar_events SET title = ?3, description = ?4, all_day = ?5, starts = ?6, ends = ?7, timezone = ?8, \
             recurrence = ?9, first_at = ?10, last_at = ?11, updated_at = ?12 WHERE {} AND id = ?2 AND updated_at = ?13",
            owner.rows()
        ),
        vec![
            Value::from(owner.id()),
            Value::from(e.id.as_str()),
            Value::from(e.title.as_str()),
            Value::from(e.description.clone()),
            Value::from(i64::from(e.all_day)),
            Value::from(e.start.as_str()),
            Value::from(e.end.as_str()),
            Value::from(e.timezone.as_str()),
            recurrence(e),
            Value::from(first),
            Value::from(last),
            Value::from(e.updated_at),
            Value::from(before_updated_at),
        ],
    )
}

/// Deletes the owner's event `id`.
pub fn delete(owner: Owner<'_>, id: &str) -> Statement {
    Statement::new(format!("DELETE FROM calendar_events WHERE {} AND id = ?2", owner.rows()), params![owner.id(), id])
}
