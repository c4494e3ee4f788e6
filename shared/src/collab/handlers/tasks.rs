//! Task handlers (SPEC CO-1; see `collab::tasks`): a workspace's tasks, and the caller's open
//! tasks across all of their workspaces.

use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Member, Response};
use crate::collab::model::Notice;
use crate::collab::notifications;
use crate::collab::store::tasks::{self as store, Links, TaskFilter};
use crate::collab::tasks::{self, MyTask, MyTaskPage, TaskInput, TaskPage, TaskQuery, TaskView, PRIORITIES, STATUSES};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::validate::{rfc3339, Fields};

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("workspaceId" = String, Path), TaskQuery),
    responses((status = 200, description = "The workspace's tasks the caller may see (a Client member: their clients'), newest first", body = Envelope<TaskPage>),
              (status = 400, description = "VALIDATION_ERROR: a filter that is not one of its values or not an id, a malformed limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let me = call.caller()?.user_id.clone();
    let mut errors: Vec<FieldError> = Vec::new();
    let mut word = |name: &str, words: &[&str]| match call.req.query_param(name) {
        Some(w) if !words.contains(&w.as_str()) => {
            errors.push(FieldError::new(name, format!("must be one of {}", words.join(", "))));
            String::new()
        }
        w => w.unwrap_or_default(),
    };
    let (status, priority) = (word("status", &STATUSES), word("priority", &PRIORITIES));
    let mut id = |name: &str| match call.req.query_param(name) {
        Some(v) if name == "assigneeId" && v == "me" => me.clone(),
        Some(v) if !crate::api::route::is_id(&v) => {
            errors.push(FieldError::new(name, "must be an id"));
            String::new()
        }
        v => v.unwrap_or_default(),
    };
    let (assignee_id, campaign_id, post_id, client_id) =
        (id("assigneeId"), id("campaignId"), id("postId"), id("clientId"));
    let mut flag = |name: &str| match call.req.query_flag(name) {
        Ok(b) => b,
        Err(AppError::Validation(mut e)) => {
            errors.append(&mut e);
            false
        }
        Err(_) => false,
    };
    let (open, overdue) = (flag("open"), flag("overdue"));
    let paging = match crate::api::paging::by_id(call.req) {
        Ok(p) => Some(p),
        Err(AppError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(other) => return Err(other),
    };
    let (Some(crate::api::paging::ById { limit, after }), true) = (paging, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let filter = TaskFilter {
        status,
        open,
        priority,
        assignee_id,
        campaign_id,
        post_id,
        client_id,
        overdue,
        cursor: after,
        limit,
    };
    let now = ctx.clock.now_ms();
    // The membership check and the page: one round trip.
    let read = store::list_read(call.params.get("workspaceId")?, &me, &filter, now);
    let (_, mut items) =
        call.admitted_one(ctx.db, read, |rows| rows.iter().map(|r| store::decode(r, now)).collect()).await?;
    let next_cursor = crate::api::paging::next_cursor(&mut items, limit, |t: &TaskView| &t.id);
    Ok(json::ok(200, TaskPage { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = TaskInput,
    responses((status = 201, description = "Created; its assignee is notified (unless they created it)", body = Envelope<TaskView>),
              (status = 400, description = "VALIDATION_ERROR: a missing title, a field out of its rules, a campaign, post or client not of the workspace, a campaign and a post of different clients, an assignee who is not a member or is a Client member", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins, editors and writers", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: TaskInput = json::parse(&call.req.body)?;
    let untitled = input.title.is_none();
    let ws = call.params.get("workspaceId")?;
    let now = ctx.clock.now_ms();
    let mut t = TaskView {
        id: ctx.new_id(),
        workspace_id: ws.to_string(),
        title: String::new(),
        description: None,
        status: "todo".into(),
        priority: "normal".into(),
        assignee_id: None,
        due_at: None,
        overdue: false,
        campaign_id: None,
        post_id: None,
        client_id: None,
        completed_at: None,
        created_by: call.caller()?.user_id.clone(),
        created_at: rfc3339(now),
        updated_at: rfc3339(now),
    };
    let pending = begin(&mut t, input, now);
    // The membership check and the links: one round trip.
    let (member, answers) = call.admitted_reads(ctx.db, links_reads(ws, &pending).into()).await?;
    if untitled {
        return Err(AppError::field("title", "is required"));
    }
    finish(&mut t, pending, &answers)?;
    t.overdue = overdue(&t, now);
    let change = Change {
        action: "task.create",
        entity_type: "task",
        entity_id: &t.id,
        before: None,
        after: Some(activity::snapshot(&t)),
    };
    ctx.db.batch(&[store::insert(&t, now), activity::record(ctx, call, &member.workspace_id, change)]).await?;
    if let Some(assignee) = &t.assignee_id {
        notify_assigned(ctx, call, &t, assignee).await;
    }
    Ok(json::ok(201, t))
}

/// A task with its input's plain fields applied, and the links it will have, to check.
struct Pending {
    f: Fields,
    named: tasks::Applied,
    campaign: Option<String>,
    post: Option<String>,
    client: Option<String>,
    assignee: Option<String>,
}

/// Applies the plain fields of `input` onto `t` and works out the links it names.
fn begin(t: &mut TaskView, input: TaskInput, now: i64) -> Pending {
    let mut f = Fields::default();
    let named = tasks::apply(t, input, now, &mut f);
    let set = |named: &Option<String>, current: &Option<String>| match named {
        Some(id) if id.is_empty() => None,
        Some(id) => Some(id.clone()),
        None => current.clone(),
    };
    Pending {
        campaign: set(&named.campaign_id, &t.campaign_id),
        post: set(&named.post_id, &t.post_id),
        client: set(&named.client_id, &t.client_id),
        assignee: set(&named.assignee_id, &t.assignee_id),
        f,
        named,
    }
}

/// The reads that check the links: the campaign and the post (named or kept: they decide the
/// client), a client and an assignee only when named.
fn links_reads(workspace_id: &str, p: &Pending) -> [crate::sql::Statement; 4] {
    let fresh = |named: &Option<String>, v: &Option<String>| {
        if named.is_some() {
            v.clone().unwrap_or_default()
        } else {
            String::new()
        }
    };
    store::links_reads(
        workspace_id,
        &p.campaign.clone().unwrap_or_default(),
        &p.post.clone().unwrap_or_default(),
        &fresh(&p.named.client_id, &p.client),
        &fresh(&p.named.assignee_id, &p.assignee),
    )
}

/// Judges the links by what [`links_reads`] found and sets them on `t`, reporting every invalid
/// field at once.
fn finish(t: &mut TaskView, p: Pending, answers: &[Vec<crate::sql::Row>]) -> Result<(), AppError> {
    let Pending { mut f, named, campaign, post, client, assignee } = p;
    let links = Links::of(answers)?;
    if named.campaign_id.as_deref().is_some_and(|c| !c.is_empty()) && links.campaign.is_none() {
        f.take::<()>("campaignId", Err("is not a campaign of this workspace (or it is archived)".into()));
    }
    if named.post_id.as_deref().is_some_and(|p| !p.is_empty()) && links.post.is_none() {
        f.take::<()>("postId", Err("is not a post of this workspace".into()));
    }
    if named.client_id.as_deref().is_some_and(|c| !c.is_empty()) && !links.client {
        f.take::<()>("clientId", Err("is not an active client of this workspace".into()));
    }
    if let Some(a) = named.assignee_id.as_deref().filter(|a| !a.is_empty()) {
        match links.assignee_role.as_deref() {
            None => f.take::<()>("assigneeId", Err(format!("{a} is not a member of this workspace"))),
            Some("client") => f.take::<()>("assigneeId", Err("a Client member cannot be assigned tasks".into())),
            Some(_) => None,
        };
    }
    // The client: the campaign's, else the post's (they must agree), else the one named.
    let resolved = match (links.campaign.flatten(), links.post.flatten()) {
        (Some(a), Some(b)) if a != b => {
            f.take::<()>("postId", Err("belongs to another client than the task's campaign".into()));
            client
        }
        (Some(c), _) | (None, Some(c)) => {
            if named.client_id.as_deref().is_some_and(|n| !n.is_empty() && n != c) {
                f.take::<()>("clientId", Err("is not the client of the task's campaign or post".into()));
            }
            Some(c)
        }
        (None, None) => client,
    };
    if !f.is_ok() {
        return Err(f.error());
    }
    t.campaign_id = campaign;
    t.post_id = post;
    t.client_id = resolved;
    t.assignee_id = assignee;
    Ok(())
}

fn overdue(t: &TaskView, now: i64) -> bool {
    tasks::OPEN.contains(&t.status.as_str())
        && t.due_at.as_deref().and_then(|d| tasks::instant(d).ok()).is_some_and(|d| d < now)
}

async fn notify_assigned(ctx: &Context<'_>, call: &Call<'_>, t: &TaskView, assignee: &str) {
    let due = t.due_at.as_deref().map(|d| format!(" (due {d})")).unwrap_or_default();
    let notice = Notice {
        kind: "task.assigned",
        title: format!("Task assigned to you: {}", t.title),
        body: format!("You were assigned the task “{}”{due}.", t.title),
        subject_type: "task",
        subject_id: &t.id,
    };
    notifications::notify(ctx, call, &t.workspace_id, &[assignee.to_string()], notice).await;
}

/// The caller's membership check and the task in the path, as they may see it: one round trip.
async fn admitted_task(ctx: &Context<'_>, call: &Call<'_>) -> Result<(Member, TaskView), AppError> {
    let (ws, id) = (call.params.get("workspaceId")?, call.params.get("taskId")?);
    let now = ctx.clock.now_ms();
    call.admitted_one(ctx.db, store::one_read(ws, &call.caller()?.user_id, id), |rows| {
        store::decode(rows.first().ok_or_else(|| AppError::not_found("task"))?, now)
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", tag = "tasks", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("taskId" = String, Path)),
    responses((status = 200, description = "The task", body = Envelope<TaskView>),
              (status = 404, description = "NOT_FOUND (also a task of a client the caller is not attached to)", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, admitted_task(ctx, call).await?.1))
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", tag = "tasks", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("taskId" = String, Path)), request_body = TaskInput,
    responses((status = 200, description = "Changed; a new assignee is notified", body = Envelope<TaskView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins, editors and writers", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: changed by someone else meanwhile", body = ErrorEnvelope)))]
pub async fn update(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: TaskInput = json::parse(&call.req.body)?;
    let (member, before) = admitted_task(ctx, call).await?;
    let now = ctx.clock.now_ms();
    let mut t = before.clone();
    let pending = begin(&mut t, input, now);
    let answers = ctx.db.reads(&links_reads(&member.workspace_id, &pending)).await?;
    finish(&mut t, pending, &answers)?;
    let before_ms = store::updated_ms(&before);
    let now = now.max(before_ms + 1);
    t.updated_at = rfc3339(now);
    t.overdue = overdue(&t, now);
    let due_changed = t.due_at != before.due_at || t.assignee_id != before.assignee_id;
    let change = Change {
        action: "task.update",
        entity_type: "task",
        entity_id: &t.id,
        before: Some(activity::snapshot(&before)),
        after: Some(activity::snapshot(&t)),
    };
    let written = ctx
        .db
        .batch(&[
            store::update(&t, now, before_ms, due_changed),
            activity::record(ctx, call, &member.workspace_id, change),
        ])
        .await?;
    if written.first().copied().unwrap_or_default() == 0 {
        return Err(AppError::Conflict("the task was changed by someone else; reload it".into()));
    }
    if let Some(assignee) = t.assignee_id.as_ref().filter(|a| before.assignee_id.as_ref() != Some(*a)) {
        notify_assigned(ctx, call, &t, assignee).await;
    }
    Ok(json::ok(200, t))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", tag = "tasks", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("taskId" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 403, description = "FORBIDDEN: owners, admins, editors and writers", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (member, before) = admitted_task(ctx, call).await?;
    let change = Change {
        action: "task.delete",
        entity_type: "task",
        entity_id: &before.id,
        before: Some(activity::snapshot(&before)),
        after: None,
    };
    ctx.db
        .batch(&[
            store::delete(&member.workspace_id, &before.id),
            activity::record(ctx, call, &member.workspace_id, change),
        ])
        .await?;
    Ok(Response::empty(204))
}

#[utoipa::path(get, path = "/api/v1/users/me/tasks", tag = "tasks", security(("bearer" = [])),
    params(crate::api::paging::PageQuery),
    responses((status = 200, description = "The caller's open tasks (todo, in progress) in every workspace they are a member of (not an archived one), soonest due first, those without a due time last, each with its workspace's name", body = Envelope<MyTaskPage>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let me = &call.caller()?.user_id;
    let crate::api::paging::ByKey { limit, after } = crate::api::paging::by_key(call.req)?;
    let after = match &after {
        Some((key, id)) => Some((crate::api::paging::int_key(key)?, id.as_str())),
        None => None,
    };
    let now = ctx.clock.now_ms();
    // Every workspace's at once: one round trip.
    let read = store::mine_read(me, after, limit);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    let mut items = rows
        .iter()
        .map(|r| {
            Ok((r.int("sort_key")?, MyTask { workspace_name: r.text("workspace_name")?, task: store::decode(r, now)? }))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let next_cursor = (items.len() as i64 > limit)
        .then(|| items.get(limit as usize - 1).map(|(key, t)| crate::api::paging::keyed(&key.to_string(), &t.task.id)))
        .flatten();
    items.truncate(limit as usize);
    Ok(json::ok(200, MyTaskPage { items: items.into_iter().map(|(_, t)| t).collect(), next_cursor }))
}
