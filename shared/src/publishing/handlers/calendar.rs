//! The content calendar, and each person's iCalendar feed (SPEC CO-5; see
//! `publishing::calendar`).

use crate::api::documented::{query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::collab::store::events as event_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::identity::tokens;
use crate::publishing::calendar::{
    feed, CalendarEntry, FeedCreated, FeedOccurrence, FeedView, FEED_AHEAD_DAYS, FEED_MAX_EVENTS, FEED_PAST_DAYS,
    MAX_RANGE_DAYS,
};
use crate::publishing::store::calendar::{self as store, Range};
use crate::sql::Scope;
use crate::validate::rfc3339;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// What the calendar's query checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    query("contentCalendar", "from", Rule::DateTime),
    query("contentCalendar", "to", Rule::DateTime),
    query("contentCalendar", "accountId", Rule::Id),
    query("contentCalendar", "campaignId", Rule::Id),
];

/// An optional id of the query ("" when absent).
fn id(call: &Call<'_>, name: &str, errors: &mut Vec<FieldError>) -> String {
    let value = call.req.query_param(name).unwrap_or_default();
    if !value.is_empty() && !crate::api::route::is_id(&value) {
        errors.push(FieldError::new(name, "must be an id (a lower-case UUID)"));
    }
    value
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/calendar", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path),
           ("from" = String, Query, description = "RFC 3339: due at or after (required)"),
           ("to" = String, Query, description = "RFC 3339: due before (required; at most 92 days after `from`)"),
           ("accountId" = Option<String>, Query, description = "Only this account's publications"),
           ("campaignId" = Option<String>, Query, description = "Only the publications of this campaign's posts"),
           PageQuery),
    responses((status = 200, description = "The content calendar: every publication due in the range (scheduled, published, failed or cancelled), earliest first, with its post's title, account and campaign; a Client member sees their clients' posts only", body = Envelope<Page<CalendarEntry>>),
              (status = 400, description = "VALIDATION_ERROR: `from` or `to` missing or malformed, a range that is empty or over 92 days, a malformed id, limit or cursor", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // Every malformed parameter is named at once.
    let (paging, mut errors) = match paging::by_key(call.req) {
        Ok(paging) => (Some(paging), Vec::new()),
        Err(AppError::Validation(errors)) => (None, errors),
        Err(other) => return Err(other),
    };
    let (from, to) = paging::range(call.req, MAX_RANGE_DAYS, &mut errors);
    let account_id = id(call, "accountId", &mut errors);
    let campaign_id = id(call, "campaignId", &mut errors);
    let after = match paging.as_ref().and_then(|p| p.after.clone()) {
        Some((key, id)) => match paging::int_key(&key) {
            Ok(at) => Some((at, id)),
            Err(_) => {
                errors.push(FieldError::new("cursor", "must be the nextCursor of an earlier page"));
                None
            }
        },
        None => None,
    };
    let (Some(paging), true) = (paging, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let range = Range { from, to, account_id: &account_id, campaign_id: &campaign_id };
    // The membership check and the page: one round trip.
    let ws = call.params.get("workspaceId")?;
    let after = after.as_ref().map(|(at, id)| (*at, id.as_str()));
    let read = store::entries_read(ws, &call.caller()?.user_id, &range, after, paging.limit);
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    let rows = answers.first().map_or(&[][..], Vec::as_slice);
    let (items, next_cursor) = paging::page(rows, paging.limit, store::entry_of, |r| {
        Ok(paging::keyed(&r.int("due_at")?.to_string(), &r.text("id")?))
    })?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/users/me/calendar-feed", tag = "publishing", security(("bearer" = [])),
    responses((status = 200, description = "The caller's calendar feed: when its address was made (never the address: make a new one to see it)", body = Envelope<FeedView>),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no feed", body = ErrorEnvelope)))]
pub async fn get_feed(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let read = store::feed_read(&call.caller()?.user_id);
    let rows = ctx.db.query(&read.sql, &read.params).await?;
    let row = rows.first().ok_or_else(|| AppError::not_found("calendar feed"))?;
    Ok(json::ok(200, FeedView { created_at: rfc3339(row.int("created_at")?) }))
}

#[utoipa::path(put, path = "/api/v1/users/me/calendar-feed", tag = "publishing", security(("bearer" = [])),
    responses((status = 201, description = "A new feed address, the only time it is shown; any address made before stops working. A calendar app subscribes to `url` (RFC 5545, `text/calendar`): every publication of every workspace the caller belongs to (a Client member: their clients' posts) from 90 days back to a year ahead, at most 1,000, each an event at its due time in UTC", body = Envelope<FeedCreated>),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope)))]
pub async fn put_feed(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let token = tokens::opaque_token(ctx.random.bytes());
    let now = ctx.clock.now_ms();
    ctx.db.batch(&[store::put_feed(&call.caller()?.user_id, &tokens::token_hash(&token), now)]).await?;
    let path = format!("/calendar/{token}");
    let url = format!("{}{path}", ctx.config.public_origin());
    Ok(json::ok(201, FeedCreated { url, path, token, created_at: rfc3339(now) }))
}

#[utoipa::path(delete, path = "/api/v1/users/me/calendar-feed", tag = "publishing", security(("bearer" = [])),
    responses((status = 204, description = "The feed's address works no more"),
              (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no feed", body = ErrorEnvelope)))]
pub async fn delete_feed(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let deleted = ctx.db.batch(&[store::delete_feed(&call.caller()?.user_id)]).await?;
    if deleted.first().copied().unwrap_or_default() == 0 {
        return Err(AppError::not_found("calendar feed"));
    }
    Ok(Response::empty(204))
}

#[utoipa::path(get, path = "/calendar/{token}", tag = "publishing",
    params(("token" = String, Path, description = "The feed's token")),
    responses((status = 200, description = "The feed: an iCalendar document (RFC 5545)", content_type = "text/calendar"),
              (status = 404, description = "NOT_FOUND: an unknown, replaced or deleted feed", body = ErrorEnvelope)))]
pub async fn serve_feed(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let token = call.params.get("token")?;
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::not_found("calendar feed"));
    }
    let hash = tokens::token_hash(token);
    let now = ctx.clock.now_ms();
    // Across the owner's workspaces: the reads name their rows (the token's owner, their
    // memberships and client attachments) themselves. The owner, the publications and the
    // calendar events: one round trip.
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let (from, to) = (now - FEED_PAST_DAYS * DAY_MS, now + FEED_AHEAD_DAYS * DAY_MS);
    let reads = [
        store::feed_owner_read(&hash),
        store::feed_events_read(&hash, from, to, FEED_MAX_EVENTS),
        event_store::feed_read(&hash, from, to),
    ];
    let answers = ctx.db.reads(&reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let owner = answer(0).first().ok_or_else(|| AppError::not_found("calendar feed"))?;
    let events = answer(1).iter().map(store::event_of).collect::<Result<Vec<_>, _>>()?;
    // Calendar events: each occurrence in the window, at most as many as publications.
    let calendar = answer(2)
        .iter()
        .map(|row| Ok((event_store::decode(row)?, row.opt_text("workspace")?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    let mut occurrences = Vec::new();
    for (event, workspace) in &calendar {
        for span in crate::collab::events::spans(event, from, to) {
            occurrences.push(FeedOccurrence { event, span, workspace: workspace.as_deref() });
        }
    }
    occurrences.sort_by_key(|o| o.span.start_ms);
    occurrences.truncate(FEED_MAX_EVENTS as usize);
    let origin = ctx.config.public_origin();
    let host = origin.split("://").nth(1).unwrap_or(&origin).split(['/', ':']).next().unwrap_or("herald");
    let body = feed(&owner.text("name")?, host, now, &events, &occurrences);
    Ok(Response::new(200, "text/calendar; charset=utf-8", body.into_bytes())
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
        .with_header("x-robots-tag", "noindex, nofollow"))
}
