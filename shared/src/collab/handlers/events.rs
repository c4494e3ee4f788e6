//! Calendar events (SPEC CO-5; see `collab::events`): a workspace's, for its team (not its
//! Client members), and each person's own, under `/users/me/events`. The same handlers serve
//! both, told apart by [`Owner`].

use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::collab::events::{self, Event, EventInput, EventView, Occurrence};
use crate::collab::store::events::{self as store, Owner};
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Row;

/// The widest range one list may ask for.
pub const MAX_RANGE_DAYS: i64 = 92;

fn workspace<'a>(call: &'a Call<'_>) -> Result<Owner<'a>, AppError> {
    Ok(Owner::Workspace(call.params.get("workspaceId")?))
}

fn person<'a>(call: &'a Call<'_>) -> Result<Owner<'a>, AppError> {
    Ok(Owner::Person(&call.caller()?.user_id))
}

/// The reads of a call: a workspace's routes fold their membership check into them.
async fn read(
    ctx: &Context<'_>,
    call: &Call<'_>,
    owner: Owner<'_>,
    read: crate::sql::Statement,
) -> Result<Vec<Row>, AppError> {
    let mut answers = match owner {
        Owner::Workspace(_) => call.admitted_reads(ctx.db, vec![read]).await?.1,
        Owner::Person(_) => ctx.db.reads(&[read]).await?,
    };
    Ok(if answers.is_empty() { Vec::new() } else { answers.remove(0) })
}

async fn list(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Response, AppError> {
    // Every malformed parameter is named at once.
    let (paging, mut errors) = match paging::by_key(call.req) {
        Ok(paging) => (Some(paging), Vec::new()),
        Err(AppError::Validation(errors)) => (None, errors),
        Err(other) => return Err(other),
    };
    let (from, to) = paging::range(call.req, MAX_RANGE_DAYS, &mut errors);
    let after = match paging.as_ref().and_then(|p| p.after.clone()) {
        Some((key, id)) => match paging::int_key(&key) {
            Ok(at) => Some((at, id)),
            Err(AppError::Validation(mut e)) => {
                errors.append(&mut e);
                None
            }
            Err(other) => return Err(other),
        },
        None => None,
    };
    let (Some(paging), true) = (paging, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    // The membership check and the events of the range: one round trip.
    let rows = read(ctx, call, owner, store::range_read(owner, from, to)).await?;
    let mut all: Vec<(i64, Occurrence)> = Vec::new();
    for row in &rows {
        let e = store::decode(row)?;
        all.extend(events::spans(&e, from, to).iter().map(|s| (s.start_ms, s.occurrence(&e))));
    }
    all.sort_by(|a, b| (a.0, a.1.event_id.as_str()).cmp(&(b.0, b.1.event_id.as_str())));
    if let Some((at, id)) = &after {
        all.retain(|(t, o)| (*t, o.event_id.as_str()) > (*at, id.as_str()));
    }
    let limit = paging.limit as usize;
    let next_cursor = (all.len() > limit)
        .then(|| all.get(limit - 1).map(|(t, o)| paging::keyed(&t.to_string(), &o.event_id)))
        .flatten();
    let items = all.into_iter().take(limit).map(|(_, o)| o).collect();
    Ok(json::ok(200, Page { items, next_cursor }))
}

async fn create(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Response, AppError> {
    let input: EventInput = json::parse(&call.req.body)?;
    let me = call.caller()?.user_id.clone();
    let now = ctx.clock.now_ms();
    let mut e = Event {
        id: ctx.new_id(),
        workspace_id: None,
        user_id: None,
        title: String::new(),
        description: None,
        all_day: false,
        start: String::new(),
        end: String::new(),
        timezone: "UTC".into(),
        recurrence: None,
        created_by: me.clone(),
        created_at: now,
        updated_at: now,
    };
    match owner {
        Owner::Workspace(ws) => e.workspace_id = Some(ws.to_string()),
        Owner::Person(user) => e.user_id = Some(user.to_string()),
    }
    events::apply(&mut e, input, true)?;
    let (first, last) = events::bounds(&e).ok_or_else(|| AppError::field("start", "has no time in its zone"))?;
    let mut batch = vec![store::insert(&e, first, last)];
    if let Owner::Workspace(ws) = owner {
        batch.push(activity::record(ctx, call, ws, change("calendar_event.create", &e, None)));
    }
    ctx.db.batch(&batch).await?;
    Ok(json::ok(201, e.view()))
}

fn change<'a>(action: &'a str, e: &'a Event, before: Option<&Event>) -> Change<'a> {
    Change {
        action,
        entity_type: "calendar_event",
        entity_id: &e.id,
        before: before.and_then(|b| serde_json::to_value(b.view()).ok()),
        after: serde_json::to_value(e.view()).ok(),
    }
}

async fn one(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Event, AppError> {
    let rows = read(ctx, call, owner, store::one_read(owner, call.params.get("eventId")?)).await?;
    store::decode(rows.first().ok_or_else(|| AppError::not_found("event"))?)
}

async fn get(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Response, AppError> {
    Ok(json::ok(200, one(ctx, call, owner).await?.view()))
}

async fn update(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Response, AppError> {
    let input: EventInput = json::parse(&call.req.body)?;
    let before = one(ctx, call, owner).await?;
    let mut e = before.clone();
    events::apply(&mut e, input, false)?;
    e.updated_at = ctx.clock.now_ms().max(before.updated_at + 1);
    let (first, last) = events::bounds(&e).ok_or_else(|| AppError::field("start", "has no time in its zone"))?;
    let mut batch = vec![store::update(owner, &e, first, last, before.updated_at)];
    if let Owner::Workspace(ws) = owner {
        batch.push(activity::record(ctx, call, ws, change("calendar_event.update", &e, Some(&before))));
    }
    let written = ctx.db.batch(&batch).await?;
    if written.first().copied().unwrap_or_default() == 0 {
        return Err(AppError::Conflict("the event was changed by someone else; reload it".into()));
    }
    Ok(json::ok(200, e.view()))
}

async fn delete(ctx: &Context<'_>, call: &Call<'_>, owner: Owner<'_>) -> Result<Response, AppError> {
    let before = one(ctx, call, owner).await?;
    let mut batch = vec![store::delete(owner, &before.id)];
    if let Owner::Workspace(ws) = owner {
        let gone = Change {
            action: "calendar_event.delete",
            entity_type: "calendar_event",
            entity_id: &before.id,
            before: serde_json::to_value(before.view()).ok(),
            after: None,
        };
        batch.push(activity::record(ctx, call, ws, gone));
    }
    ctx.db.batch(&batch).await?;
    Ok(Response::empty(204))
}

// ── A workspace's events ────────────────────────────────────────────────────────────────

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/events", tag = "calendar", security(("bearer" = [])),
    params(("workspaceId" = String, Path),
           ("from" = String, Query, description = "RFC 3339: occurrences that end after this (required)"),
           ("to" = String, Query, description = "RFC 3339: occurrences that start before this (required; at most 92 days after `from`)"),
           PageQuery),
    responses((status = 200, description = "The occurrences of the workspace's events in the range, earliest first (a repeating event once per occurrence, at its wall-clock time in its zone); read from at most 500 events", body = Envelope<Page<Occurrence>>),
              (status = 400, description = "VALIDATION_ERROR: `from` or `to` missing or malformed, a range that is empty or over 92 days, a malformed limit or cursor", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: Client members see no team events", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list_workspace(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    list(ctx, call, workspace(call)?).await
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/events", tag = "calendar", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = EventInput,
    responses((status = 201, description = "The event", body = Envelope<EventView>),
              (status = 400, description = "VALIDATION_ERROR: a missing title, start or end, an end not after the start or over 31 days later, a start or end not of the event's kind, an unknown zone, a rule out of its ranges", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn create_workspace(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    create(ctx, call, workspace(call)?).await
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("eventId" = String, Path)),
    responses((status = 200, description = "The event, with its rule", body = Envelope<EventView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get_workspace(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    get(ctx, call, workspace(call)?).await
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("eventId" = String, Path)), request_body = EventInput,
    responses((status = 200, description = "Changed (a rule changes every occurrence)", body = Envelope<EventView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: changed by someone else meanwhile", body = ErrorEnvelope)))]
pub async fn update_workspace(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    update(ctx, call, workspace(call)?).await
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("eventId" = String, Path)),
    responses((status = 204, description = "Deleted, every occurrence"),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete_workspace(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    delete(ctx, call, workspace(call)?).await
}

// ── A person's own events ───────────────────────────────────────────────────────────────

#[utoipa::path(get, path = "/api/v1/users/me/events", tag = "calendar", security(("bearer" = [])),
    params(("from" = String, Query, description = "RFC 3339: occurrences that end after this (required)"),
           ("to" = String, Query, description = "RFC 3339: occurrences that start before this (required; at most 92 days after `from`)"),
           PageQuery),
    responses((status = 200, description = "The occurrences of the caller's own events in the range, earliest first; read from at most 500 events", body = Envelope<Page<Occurrence>>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn list_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    list(ctx, call, person(call)?).await
}

#[utoipa::path(post, path = "/api/v1/users/me/events", tag = "calendar", security(("bearer" = [])),
    request_body = EventInput,
    responses((status = 201, description = "The event", body = Envelope<EventView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn create_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    create(ctx, call, person(call)?).await
}

#[utoipa::path(get, path = "/api/v1/users/me/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("eventId" = String, Path)),
    responses((status = 200, description = "The event, with its rule", body = Envelope<EventView>),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    get(ctx, call, person(call)?).await
}

#[utoipa::path(patch, path = "/api/v1/users/me/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("eventId" = String, Path)), request_body = EventInput,
    responses((status = 200, description = "Changed", body = Envelope<EventView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: changed meanwhile", body = ErrorEnvelope)))]
pub async fn update_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    update(ctx, call, person(call)?).await
}

#[utoipa::path(delete, path = "/api/v1/users/me/events/{eventId}", tag = "calendar", security(("bearer" = [])),
    params(("eventId" = String, Path)),
    responses((status = 204, description = "Deleted, every occurrence"),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete_mine(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    delete(ctx, call, person(call)?).await
}
