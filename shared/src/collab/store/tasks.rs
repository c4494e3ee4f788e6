//! The only SQL on `tasks`.

use crate::collab::tasks::TaskView;
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement, Value};
use crate::validate::rfc3339;

const COLUMNS: &str = "id, workspace_id, title, description, status, priority, assignee_id, due_at, campaign_id, \
     post_id, client_id, completed_at, created_by, created_at, updated_at";
/// What `?2`, the caller, sees of the tasks of `?1`, before their role is known.
const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("client_id", "?1", "?2");
/// Where a task without a due time sorts in "my tasks": after every due one.
const NO_DUE: i64 = i64::MAX / 2;

/// A task as stored, `overdue` as of `now`.
pub fn decode(r: &Row, now: i64) -> Result<TaskView, AppError> {
    let status = r.text("status")?;
    let due = r.opt_int("due_at")?;
    Ok(TaskView {
        id: r.text("id")?,
        workspace_id: r.text("workspace_id")?,
        title: r.text("title")?,
        description: r.opt_text("description")?,
        overdue: due.is_some_and(|d| d < now) && crate::collab::tasks::OPEN.contains(&status.as_str()),
        status,
        priority: r.text("priority")?,
        assignee_id: r.opt_text("assignee_id")?,
        due_at: due.map(rfc3339),
        campaign_id: r.opt_text("campaign_id")?,
        post_id: r.opt_text("post_id")?,
        client_id: r.opt_text("client_id")?,
        completed_at: r.opt_int("completed_at")?.map(rfc3339),
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// The read of task `id` as the caller `viewer` may see it (a Client member: only their
/// clients'), to send with the membership check in one round trip.
pub fn one_read(workspace_id: &str, viewer: &str, id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM tasks WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3"),
        params![workspace_id, viewer, id],
    )
}

/// What a list of a workspace's tasks asks for; an empty text asks for nothing.
pub struct TaskFilter {
    pub status: String,
    pub open: bool,
    pub priority: String,
    pub assignee_id: String,
    pub campaign_id: String,
    pub post_id: String,
    pub client_id: String,
    pub overdue: bool,
    /// The last id of the page before.
    pub cursor: String,
    pub limit: i64,
}

/// The read of the tasks `viewer` may see, newest first, one more than the limit.
pub fn list_read(workspace_id: &str, viewer: &str, f: &TaskFilter, now: i64) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM tasks WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} \
             AND (?3 = '' OR status = ?3) AND (?4 = 0 OR status IN ('todo', 'in_progress')) \
             AND (?5 = '' OR priority = ?5) AND (?6 = '' OR assignee_id = ?6) AND (?7 = '' OR campaign_id = ?7) \
             AND (?8 = '' OR post_id = ?8) AND (?9 = '' OR client_id = ?9) \
             AND (?10 = 0 OR (status IN ('todo', 'in_progress') AND due_at < ?11)) \
             AND (?12 = '' OR id < ?12) ORDER BY id DESC LIMIT ?13"
        ),
        params![
            workspace_id,
            viewer,
            f.status.as_str(),
            i64::from(f.open),
            f.priority.as_str(),
            f.assignee_id.as_str(),
            f.campaign_id.as_str(),
            f.post_id.as_str(),
            f.client_id.as_str(),
            i64::from(f.overdue),
            now,
            f.cursor.as_str(),
            f.limit + 1
        ],
    )
}

/// The reads that check a task's links (each `""` when not named): the campaign and the post
/// with their clients, the client, and the assignee's role in the workspace. [`Links::of`]
/// reads their answers.
pub fn links_reads(
    workspace_id: &str,
    campaign_id: &str,
    post_id: &str,
    client_id: &str,
    assignee: &str,
) -> [Statement; 4] {
    [
        Statement::new(
            "SELECT client_id FROM campaigns WHERE workspace_id = ?1 AND id = ?2 AND status <> 'archived'",
            params![workspace_id, campaign_id],
        ),
        Statement::new(
            "SELECT client_id FROM posts WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
            params![workspace_id, post_id],
        ),
        Statement::new(
            "SELECT id FROM clients WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
            params![workspace_id, client_id],
        ),
        Statement::new(
            "SELECT role FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
            params![workspace_id, assignee],
        ),
    ]
}

/// What [`links_reads`] found.
pub struct Links {
    /// The campaign, if found: its client.
    pub campaign: Option<Option<String>>,
    /// The post, if found: its client.
    pub post: Option<Option<String>>,
    pub client: bool,
    /// The assignee's role, if a member.
    pub assignee_role: Option<String>,
}

impl Links {
    pub fn of(answers: &[Vec<Row>]) -> Result<Links, AppError> {
        let first = |i: usize| answers.get(i).and_then(|rows| rows.first());
        let client_of = |i: usize| first(i).map(|r| r.opt_text("client_id")).transpose();
        Ok(Links {
            campaign: client_of(0)?,
            post: client_of(1)?,
            client: first(2).is_some(),
            assignee_role: first(3).map(|r| r.text("role")).transpose()?,
        })
    }
}

fn ms(t: &Option<String>) -> Option<i64> {
    t.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()).map(|t| t.as_millisecond())
}

/// Stores a new task.
pub fn insert(t: &TaskView, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO tasks (id, workspace_id, title, description, status, priority, assignee_id, due_at, campaign_id, \
         post_id, client_id, completed_at, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        vec![
            Value::from(t.id.as_str()),
            Value::from(t.workspace_id.as_str()),
            Value::from(t.title.as_str()),
            Value::from(t.description.clone()),
            Value::from(t.status.as_str()),
            Value::from(t.priority.as_str()),
            Value::from(t.assignee_id.clone()),
            Value::from(ms(&t.due_at)),
            Value::from(t.campaign_id.clone()),
            Value::from(t.post_id.clone()),
            Value::from(t.client_id.clone()),
            Value::from(ms(&t.completed_at)),
            Value::from(t.created_by.as_str()),
            Value::from(now),
        ],
    )
}

/// Writes `t` over the task as it was at `before_ms` (its `updated_at`): 0 rows when someone
/// changed it meanwhile. A new due time or assignee may be told of it again.
pub fn update(t: &TaskView, now: i64, before_ms: i64, due_changed: bool) -> Statement {
    Statement::new(
        "UPDATE tasks SET title = ?3, description = ?4, status = ?5, priority = ?6, assignee_id = ?7, due_at = ?8, \
         campaign_id = ?9, post_id = ?10, client_id = ?11, completed_at = ?12, updated_at = ?13, \
         due_soon_at = CASE WHEN ?15 = 1 THEN NULL ELSE due_soon_at END, \
         overdue_at = CASE WHEN ?15 = 1 THEN NULL ELSE overdue_at END \
         WHERE workspace_id = ?1 AND id = ?2 AND updated_at = ?14",
        vec![
            Value::from(t.workspace_id.as_str()),
            Value::from(t.id.as_str()),
            Value::from(t.title.as_str()),
            Value::from(t.description.clone()),
            Value::from(t.status.as_str()),
            Value::from(t.priority.as_str()),
            Value::from(t.assignee_id.clone()),
            Value::from(ms(&t.due_at)),
            Value::from(t.campaign_id.clone()),
            Value::from(t.post_id.clone()),
            Value::from(t.client_id.clone()),
            Value::from(ms(&t.completed_at)),
            Value::from(now),
            Value::from(before_ms),
            Value::from(i64::from(due_changed)),
        ],
    )
}

pub fn delete(workspace_id: &str, id: &str) -> Statement {
    Statement::new("DELETE FROM tasks WHERE workspace_id = ?1 AND id = ?2", params![workspace_id, id])
}

/// The stored `updated_at` of a task, for the update's guard.
pub fn updated_ms(t: &TaskView) -> i64 {
    t.updated_at.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or(0)
}

/// The read of the open tasks assigned to `user_id` in every workspace they are a member of
/// (not an archived one), soonest due first (those without a due time last), after the cursor
/// (`after`: its sort key and id), one more than `limit`. Reads across workspaces: on Postgres
/// the policy lets a person reach the tasks assigned to them.
pub fn mine_read(user_id: &str, after: Option<(i64, &str)>, limit: i64) -> Statement {
    let (key, id) = after.unwrap_or((i64::MIN, ""));
    Statement::new(
        format!(
            "SELECT t.id AS id, t.workspace_id AS workspace_id, t.title AS title, t.description AS description, \
             t.status AS status, t.priority AS priority, t.assignee_id AS assignee_id, t.due_at AS due_at, \
             t.campaign_id AS campaign_id, t.post_id AS post_id, t.client_id AS client_id, \
             t.completed_at AS completed_at, t.created_by AS created_by, t.created_at AS created_at, \
             t.updated_at AS updated_at, w.name AS workspace_name, COALESCE(t.due_at, {NO_DUE}) AS sort_key \
             FROM tasks t JOIN workspaces w ON w.id = t.workspace_id \
             WHERE t.assignee_id = ?1 AND t.status IN ('todo', 'in_progress') AND w.archived_at IS NULL \
             AND t.workspace_id IN (SELECT m.workspace_id FROM memberships m WHERE m.user_id = ?1) \
             AND (COALESCE(t.due_at, {NO_DUE}) > ?2 OR (COALESCE(t.due_at, {NO_DUE}) = ?2 AND t.id > ?3)) \
             ORDER BY COALESCE(t.due_at, {NO_DUE}), t.id LIMIT ?4"
        ),
        params![user_id, key, id, limit + 1],
    )
}

/// An open, assigned task whose due notice is owed.
pub struct Due {
    pub id: String,
    pub workspace_id: String,
    pub assignee_id: String,
    pub title: String,
    pub due_at: i64,
}

/// The read of at most `limit` open, assigned tasks, in every workspace, owed a notice at `now`:
/// past due and not yet told so, or due before `soon` and not yet told it is coming. Earliest
/// due first. Run it in the system scope.
pub fn due_read(now: i64, soon: i64, limit: i64) -> Statement {
    Statement::new(
        "SELECT id, workspace_id, assignee_id, title, due_at FROM tasks WHERE status IN ('todo', 'in_progress') \
         AND assignee_id IS NOT NULL AND due_at IS NOT NULL AND overdue_at IS NULL \
         AND (due_at < ?1 OR (due_at < ?2 AND due_soon_at IS NULL)) ORDER BY due_at, id LIMIT ?3",
        params![now, soon, limit],
    )
}

pub fn due_of(rows: &[Row]) -> Result<Vec<Due>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.text("id")?,
                workspace_id: r.text("workspace_id")?,
                assignee_id: r.text("assignee_id")?,
                title: r.text("title")?,
                due_at: r.int("due_at")?,
            })
        })
        .collect()
}

/// Records that the tasks `ids` were told they are overdue (`overdue`) or coming due, at `now`.
pub fn mark_told(ids: &[String], overdue: bool, now: i64) -> Vec<Statement> {
    let column = if overdue { "overdue_at" } else { "due_soon_at" };
    crate::sql::in_chunks(&params![now], ids, |list| format!("UPDATE tasks SET {column} = ?1 WHERE id IN ({list})"))
}
