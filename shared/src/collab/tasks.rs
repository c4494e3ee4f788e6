//! Tasks (SPEC CO-1): a piece of the team's work, optionally about a campaign or a post, with an
//! assignee, a due instant, a status and a priority. A task's client is resolved as it is
//! written (its campaign's, else its post's, else the one named), so a Client member sees the
//! tasks of their clients and nothing else, as with posts. The SQL is in `store::tasks`, the
//! routes in `handlers::tasks`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::documented::{field, query, required, Documented, Rule};
use crate::api::Context;
use crate::error::AppError;
use crate::validate::{self, opt_text, Fields};

pub const STATUSES: [&str; 4] = ["todo", "in_progress", "done", "cancelled"];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// What "my tasks" and `open=true` list: not done, not cancelled.
pub const OPEN: [&str; 2] = ["todo", "in_progress"];

/// A new task, or the fields of one to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskInput {
    /// One line, 1 to 200 characters.
    pub title: Option<String>,
    /// At most 5,000 characters; `""` removes it.
    pub description: Option<String>,
    /// todo (the default), in_progress, done or cancelled.
    pub status: Option<String>,
    /// low, normal (the default), high or urgent.
    pub priority: Option<String>,
    /// A member of the workspace other than a Client member; `""` leaves it unassigned.
    pub assignee_id: Option<String>,
    /// RFC 3339; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Option<String>>,
    /// A campaign of the workspace; `""` removes the link.
    pub campaign_id: Option<String>,
    /// A post of the workspace; `""` removes the link.
    pub post_id: Option<String>,
    /// The client the task is for when neither its campaign nor its post says it (they decide
    /// when they do, and must agree); `""` for none.
    pub client_id: Option<String>,
}

/// A field given, even as `null` (`Some(None)`), told from a field left out (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A task as stored and shown (times as RFC 3339).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<String>,
    pub due_at: Option<String>,
    /// Past due and still open.
    pub overdue: bool,
    pub campaign_id: Option<String>,
    pub post_id: Option<String>,
    pub client_id: Option<String>,
    /// When it was last marked done.
    pub completed_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPage {
    pub items: Vec<TaskView>,
    pub next_cursor: Option<String>,
}

/// A task of "my tasks", with its workspace's name.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyTask {
    pub workspace_name: String,
    #[serde(flatten)]
    pub task: TaskView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyTaskPage {
    pub items: Vec<MyTask>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct TaskQuery {
    /// todo, in_progress, done or cancelled.
    status: Option<String>,
    /// true: only todo and in_progress.
    open: Option<bool>,
    priority: Option<String>,
    /// A member's id, or `me`.
    assignee_id: Option<String>,
    campaign_id: Option<String>,
    post_id: Option<String>,
    client_id: Option<String>,
    /// true: only open tasks past their due time.
    overdue: Option<bool>,
    cursor: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A task as its input leaves it, before the links are checked against the workspace.
pub struct Applied {
    /// Links the input names (`Some("")` removes).
    pub assignee_id: Option<String>,
    pub campaign_id: Option<String>,
    pub post_id: Option<String>,
    pub client_id: Option<String>,
}

/// Applies the plain fields of `input` onto `t` (at `now`), reporting every invalid one in `f`;
/// answers the links it names, which the caller checks against the workspace.
pub fn apply(t: &mut TaskView, input: TaskInput, now_ms: i64, f: &mut Fields) -> Applied {
    if let Some(title) = f.take_opt("title", input.title, |s| validate::line(&s, 200)) {
        t.title = title;
    }
    if let Some(v) = f.take_opt("description", input.description.map(Some), |d| opt_text(d, 5000)) {
        t.description = v;
    }
    if let Some(s) = f.take_opt("status", input.status, |s| one_of(s, &STATUSES)) {
        if s == "done" && t.status != "done" {
            t.completed_at = Some(validate::rfc3339(now_ms));
        }
        t.status = s;
    }
    if let Some(p) = f.take_opt("priority", input.priority, |p| one_of(p, &PRIORITIES)) {
        t.priority = p;
    }
    match input.due_at {
        Some(None) => t.due_at = None,
        Some(Some(due)) => {
            if let Some(ms) = f.take("dueAt", instant(&due)) {
                t.due_at = Some(validate::rfc3339(ms));
            }
        }
        None => {}
    }
    let id = |field: &str, s: Option<String>, f: &mut Fields| s.and_then(|s| f.take(field, id_or_empty(s)));
    Applied {
        assignee_id: id("assigneeId", input.assignee_id, f),
        campaign_id: id("campaignId", input.campaign_id, f),
        post_id: id("postId", input.post_id, f),
        client_id: id("clientId", input.client_id, f),
    }
}

fn one_of(s: String, words: &[&str]) -> Result<String, String> {
    if words.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!("must be one of {}", words.join(", ")))
    }
}

/// An RFC 3339 instant, in ms.
pub fn instant(s: &str) -> Result<i64, String> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| "must be an RFC 3339 time with an offset, such as 2027-03-10T09:30:00Z".into())
}

fn id_or_empty(s: String) -> Result<String, String> {
    if s.is_empty() || crate::api::route::is_id(&s) {
        Ok(s)
    } else {
        Err("must be an id".into())
    }
}

/// What [`apply`] and the list's parameters check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("TaskInput", "title", Rule::Line(200)),
    field("TaskInput", "description", Rule::Text(5000)),
    field("TaskInput", "status", Rule::OneOf(&STATUSES)),
    field("TaskInput", "priority", Rule::OneOf(&PRIORITIES)),
    field("TaskInput", "assigneeId", Rule::IdOrEmpty),
    field("TaskInput", "dueAt", Rule::DateTime),
    field("TaskInput", "campaignId", Rule::IdOrEmpty),
    field("TaskInput", "postId", Rule::IdOrEmpty),
    field("TaskInput", "clientId", Rule::IdOrEmpty),
    required("createTask", &["title"]),
    query("listTasks", "status", Rule::OneOf(&STATUSES)),
    query("listTasks", "priority", Rule::OneOf(&PRIORITIES)),
    query("listTasks", "assigneeId", Rule::Pattern(ASSIGNEE_PATTERN, 36)),
    query("listTasks", "campaignId", Rule::Id),
    query("listTasks", "postId", Rule::Id),
    query("listTasks", "clientId", Rule::Id),
];

/// A member's id, or `me`.
const ASSIGNEE_PATTERN: &str = "^(me|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$";

/// How long before its due time a task's assignee is told it is coming.
pub const DUE_SOON_MS: i64 = 24 * 3_600_000;

/// The cron's reminders: at most `limit` assignees of open tasks told, in their notifications,
/// that a task is due within a day or is overdue, each once per due time (a new due time or
/// assignee may be told again). One read and one batch; answers how many were told.
pub async fn remind(ctx: &Context<'_>, now: i64, limit: i64) -> Result<u64, AppError> {
    use crate::collab::model::Notice;
    use crate::collab::store::{notifications, tasks as store};
    let read = store::due_read(now, now + DUE_SOON_MS, limit);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    let due = store::due_of(&rows)?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut writes = Vec::with_capacity(due.len() + 2);
    let (mut overdue, mut soon) = (Vec::new(), Vec::new());
    for task in &due {
        let late = task.due_at < now;
        let when = validate::rfc3339(task.due_at);
        let notice = Notice {
            kind: if late { "task.overdue" } else { "task.due_soon" },
            title: if late { format!("Overdue: {}", task.title) } else { format!("Due soon: {}", task.title) },
            body: if late {
                format!("The task “{}” was due {when}.", task.title)
            } else {
                format!("The task “{}” is due {when}.", task.title)
            },
            subject_type: "task",
            subject_id: &task.id,
        };
        writes.push(notifications::insert_for_member(
            ctx.new_id(),
            &task.workspace_id,
            &task.assignee_id,
            &notice,
            now,
        ));
        if late { &mut overdue } else { &mut soon }.push(task.id.clone());
    }
    writes.extend(store::mark_told(&overdue, true, now));
    writes.extend(store::mark_told(&soon, false, now));
    ctx.db.batch(&writes).await?;
    Ok(due.len() as u64)
}
