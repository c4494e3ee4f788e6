//! Scheduling handlers: schedule, publish-now's checks, cancel, reschedule, and the
//! publications of a post or a workspace.

use crate::accounts::store as accounts;
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::content::editing::save_edit;
use crate::content::posts::PostView;
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::publishing::schedule::*;
use crate::publishing::store as publications;
use crate::validate;
use crate::workflows::{self as workflow, Stages};

/// The accounts `account_ids` names, each once, at most 20 (1 to 20 must be named: `errors`
/// says so otherwise).
pub(crate) fn named_accounts(account_ids: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in account_ids.iter().map(|a| a.trim().to_string()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > 20 {
        errors.push(FieldError::new("accountIds", "name 1 to 20 connected accounts"));
    }
    ids.truncate(20);
    ids
}

/// The accounts named (`ids`, from [`named_accounts`]), each with the post's target for it (its
/// own, else its platform's), from the rows `accounts::among` found: connected, active accounts
/// only. Problems go to `errors`, field by field.
pub(crate) fn pairs_of<'r>(
    post: &PostView,
    ids: &[String],
    rows: impl Iterator<Item = &'r crate::sql::Row>,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<(String, crate::accounts::Account)>, AppError> {
    let found = rows.map(accounts::decode).collect::<Result<Vec<_>, _>>()?;
    let mut pairs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("accountIds[{i}]");
        match found.iter().find(|a| a.view.id == *id) {
            Some(a) if a.view.status != "active" => errors
                .push(FieldError::new(field, format!("is {}: reconnect it first", a.view.status.replace('_', " ")))),
            Some(a) => match target_for(post, a) {
                Some(t) => pairs.push((t.id.clone(), a.clone())),
                None => errors.push(FieldError::new(
                    field,
                    format!("the post has no {} target for this account", a.platform().as_str()),
                )),
            },
            None => errors.push(FieldError::new(field, "is not a connected account of this workspace")),
        }
    }
    Ok(pairs)
}

/// The status a post takes when it is scheduled: approved posts (and failed ones, again) are;
/// without a workflow a draft is approved on the way, as submitting it would be. Refused while
/// another schedule of the post waits or runs (`pending`: its waiting and in-flight
/// publications, `publications::pending_of`).
pub(crate) fn approved_on_the_way(
    post: &PostView,
    pending: (i64, i64),
    wf: &workflow::Workflow,
) -> Result<PostStatus, AppError> {
    let (waiting, in_flight) = pending;
    if waiting + in_flight > 0 {
        return Err(AppError::Conflict("the post is already scheduled: cancel or reschedule it".into()));
    }
    let approved_path = match post.status {
        PostStatus::Approved => vec![Event::Schedule],
        PostStatus::Draft if wf.stages == Stages::None => vec![Event::Submit, Event::Approve, Event::Schedule],
        PostStatus::Failed => vec![Event::Retry],
        _ if wf.stages != Stages::None => {
            return Err(AppError::Conflict(format!(
                "only approved posts can be scheduled under this workspace's workflow (this one is {})",
                post.status.as_str()
            )));
        }
        other => return Err(AppError::Conflict(format!("a {} post cannot be scheduled", other.as_str()))),
    };
    let mut status = post.status;
    for e in approved_path {
        status = status.apply(e).map_err(|e| AppError::Conflict(e.to_string()))?;
    }
    Ok(status)
}

/// What scheduling reads, in one round trip: the post with its targets, its pending
/// publications, the workflows that may govern it, the named accounts and (in slot mode) each
/// one's taken times.
pub(crate) struct Scheduling {
    pub post: PostView,
    pub pending: (i64, i64),
    pub workflow: workflow::Workflow,
    pub accounts: Vec<crate::sql::Row>,
    /// Per account id named, the times it has taken (slot mode only).
    pub taken: Vec<(String, Vec<i64>)>,
}

pub(crate) async fn read_scheduling(
    ctx: &Context<'_>,
    call: &Call<'_>,
    ws: &str,
    post_id: &str,
    ids: &[String],
    slot_mode: bool,
    now: i64,
) -> Result<Scheduling, AppError> {
    let mut reads = post_store::one_reads(ws, &call.caller()?.user_id, post_id).to_vec();
    reads.push(publications::pending_read(ws, post_id));
    reads.push(crate::workflows::store::configs_for_post_read(ws, post_id));
    let account_reads = accounts::among(ws, ids);
    let n_accounts = account_reads.len();
    reads.extend(account_reads);
    if slot_mode {
        reads.extend(ids.iter().map(|id| publications::taken_read(ws, id, now)));
    }
    // With the membership check: the caller is admitted by the same round trip.
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let mut answers = answers.into_iter();
    let mut next = || answers.next().unwrap_or_default();
    let post = post_store::one_of(&[next(), next(), next()])?;
    let pending = publications::pending_of(&next());
    let configs = crate::workflows::store::configs_of(&next())?;
    let workflow = workflow::effective_among(&configs, post.client_id.as_deref())?;
    let accounts = (0..n_accounts).flat_map(|_| next()).collect();
    let mut taken = Vec::new();
    if slot_mode {
        for id in ids {
            taken.push((id.clone(), publications::taken_of(&next())?));
        }
    }
    Ok(Scheduling { post, pending, workflow, accounts, taken })
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = ScheduleInput,
    responses((status = 201, description = "Scheduled: one publication per (target, account)", body = Envelope<Vec<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: accounts that are not connected or match no target, a time in the past, an unknown time zone", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more posts scheduled this period (a publication counts once, when scheduled); `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins and editors schedule", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: not approved, already scheduled, or written under privacy mode", body = ErrorEnvelope)))]
pub async fn schedule(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ScheduleInput = json::parse(&call.req.body)?;
    let ws = call.params.get("workspaceId")?.to_string();
    let me = call.caller()?.user_id.clone();
    let now = ctx.clock.now_ms();
    let slot_mode = input.at.as_deref().map(str::trim) == Some("next-free-slot");
    let mut named_errors = Vec::new();
    let ids = named_accounts(&input.account_ids, &mut named_errors);
    let read = read_scheduling(ctx, call, &ws, call.params.get("postId")?, &ids, slot_mode, now).await?;
    let post = read.post;
    let mut errors = Vec::new();
    let tz = match input.timezone.as_deref() {
        Some(t) => validate::timezone(t).map_err(|m| errors.push(FieldError::new("timezone", m))).unwrap_or_default(),
        None => "UTC".to_string(),
    };
    let due = match input.at.as_deref() {
        None => now,
        Some(_) if slot_mode => now,
        Some(at) if errors.is_empty() => match due_ms(at, &tz) {
            Ok(t) if t < now - PAST_TOLERANCE_MS => {
                errors.push(FieldError::new("at", "is in the past"));
                now
            }
            Ok(t) if t > now + MAX_AHEAD_MS => {
                errors.push(FieldError::new("at", "is more than two years ahead"));
                now
            }
            Ok(t) => t.max(now),
            Err(m) => {
                errors.push(FieldError::new("at", m));
                now
            }
        },
        Some(_) => now,
    };
    let repeat = match &input.repeat {
        None => None,
        Some(r) if !(2..=52).contains(&r.count) => {
            errors.push(FieldError::new("repeat.count", "must be 2 to 52"));
            None
        }
        Some(r) if !["day", "week", "month"].contains(&r.every.as_str()) => {
            errors.push(FieldError::new("repeat.every", "must be day, week or month"));
            None
        }
        Some(r) => Some((r.every.clone(), r.count)),
    };
    errors.append(&mut named_errors);
    let pairs = pairs_of(&post, &ids, read.accounts.iter(), &mut errors)?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if post.private {
        return Err(AppError::Conflict(
            "the post was written under privacy mode: Herald keeps no text to publish later; publish it now \
             with POST …/publish-now and its text"
                .into(),
        ));
    }
    let status = approved_on_the_way(&post, read.pending, &read.workflow)?;
    let mut statements = Vec::new();
    let mut created = Vec::new();
    let mut planned = Vec::new();
    for (i, (target_id, account)) in pairs.iter().enumerate() {
        let (first, zone) = if slot_mode {
            let times = read.taken.iter().find(|(id, _)| *id == account.view.id).map_or(&[][..], |(_, t)| t.as_slice());
            match crate::publishing::handlers::slots::next_for(&account.view, times, now) {
                Ok(at) => (at, account.view.slot_timezone.clone()),
                Err(AppError::Conflict(m)) => {
                    errors.push(FieldError::new(format!("accountIds[{i}]"), m));
                    continue;
                }
                Err(e) => return Err(e),
            }
        } else {
            (due, tz.clone())
        };
        let times = match &repeat {
            Some((every, count)) => {
                occurrences(first, &zone, every, *count).map_err(|m| AppError::field("repeat", m))?
            }
            None => vec![first],
        };
        for at in times {
            planned.push((target_id.clone(), account, at, zone.clone()));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    for (target_id, account, due, tz) in &planned {
        let (due, tz) = (*due, tz.clone());
        let id = ctx.new_id();
        statements.push(publications::insert_scheduled(publications::Scheduled {
            id: &id,
            workspace_id: &ws,
            post_id: &post.id,
            target_id,
            account_id: &account.view.id,
            platform: account.platform().as_str(),
            due_at: due,
            timezone: &tz,
            created_by: &me,
            now,
        }));
        created.push(id);
    }
    let after = PostView { status, ..post.clone() };
    let scheduled = created.len() as i64;
    statements.extend(counted(ctx, &ws, scheduled, now));
    let saved = save_edit(ctx, call, &post, after, None, None, "post.schedule", statements).await;
    refused_by_plan(ctx, &ws, scheduled, saved).await?;
    let list = publications::list_of(ctx.db, &ws, &post.id, false, &publications::Leases::of(ctx)).await?;
    Ok(json::ok(201, list.into_iter().filter(|p| created.contains(&p.id)).collect::<Vec<_>>()))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "Cancelled: its waiting publications are withdrawn and the post is approved again", body = Envelope<Vec<PublicationView>>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: nothing is scheduled, or publishing already started", body = ErrorEnvelope)))]
pub async fn cancel(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the post and its pending publications: one round trip.
    let (ws, post_id) = (call.params.get("workspaceId")?.to_string(), call.params.get("postId")?);
    let mut reads = post_store::one_reads(&ws, &call.caller()?.user_id, post_id).to_vec();
    reads.push(publications::pending_read(&ws, post_id));
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let post = post_store::one_of(answers.get(..3).unwrap_or_default())?;
    let (waiting, in_flight) = publications::pending_of(answers.get(3).map_or(&[][..], Vec::as_slice));
    if in_flight > 0 {
        return Err(AppError::Conflict("publishing has already started; it cannot be cancelled now".into()));
    }
    if waiting == 0 || post.status != PostStatus::Scheduled {
        return Err(AppError::Conflict("the post is not scheduled".into()));
    }
    let now = ctx.clock.now_ms();
    let status = post.status.apply(Event::Unschedule).map_err(|e| AppError::Conflict(e.to_string()))?;
    // A claim taken meanwhile makes the cancel lose: publishing has started.
    let statements = publications::cancel_waiting(&ws, &post.id, now).to_vec();
    let after = PostView { status, ..post.clone() };
    save_edit(ctx, call, &post, after, None, None, "post.unschedule", statements)
        .await
        .map_err(|_| AppError::Conflict("publishing started meanwhile; it cannot be cancelled now".into()))?;
    Ok(json::ok(200, publications::list_of(ctx.db, &ws, &post.id, false, &publications::Leases::of(ctx)).await?))
}
#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = RescheduleInput,
    responses((status = 200, description = "Rescheduled: its waiting publications move to the new time (and any held back for having missed its time while the workspace was suspended is released)", body = Envelope<Vec<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: nothing waits to be published", body = ErrorEnvelope)))]
pub async fn reschedule(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: RescheduleInput = json::parse(&call.req.body)?;
    // The membership check, the post and what of it waits: one round trip.
    let (ws, post_id) = (call.params.get("workspaceId")?.to_string(), call.params.get("postId")?);
    let reads =
        vec![post_store::visible_read(&ws, &call.caller()?.user_id, post_id), publications::waiting_read(&ws, post_id)];
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    post_store::found(answer(0))?;
    let tz = match input.timezone.as_deref() {
        Some(t) => Some(validate::timezone(t).map_err(|m| AppError::field("timezone", m))?),
        None => None,
    };
    let now = ctx.clock.now_ms();
    let waiting = publications::waiting_of(answer(1))?;
    if waiting.is_empty() {
        return Err(AppError::Conflict("nothing of this post waits to be published".into()));
    }
    // Each (target, account) series moves as a whole: its first occurrence goes to `at` and
    // the later ones keep their wall-clock distance from it, so a weekly repeat stays weekly.
    let mut statements = Vec::with_capacity(waiting.len());
    for (id, series, due, stored_tz) in &waiting {
        let Some((_, _, first, _)) = waiting.iter().find(|(_, s, _, _)| s == series) else { continue };
        let zone = tz.clone().unwrap_or_else(|| stored_tz.clone());
        let new_first = due_ms(&input.at, &zone).map_err(|m| AppError::field("at", m))?;
        if new_first < now - PAST_TOLERANCE_MS {
            return Err(AppError::field("at", "is in the past"));
        }
        let moved = shift(*due, *first, new_first, &zone).map_err(|m| AppError::field("at", m))?;
        if moved > now + MAX_AHEAD_MS {
            return Err(AppError::field("at", "puts an occurrence more than two years ahead"));
        }
        statements.push(publications::move_due(&ws, id, moved.max(now), &zone, now));
    }
    let moved: u64 = ctx.db.batch(&statements).await?.iter().sum();
    if moved == 0 {
        return Err(AppError::Conflict("publishing started meanwhile: nothing waits to be published".into()));
    }
    Ok(json::ok(200, publications::list_of(ctx.db, &ws, post_id, false, &publications::Leases::of(ctx)).await?))
}
#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/publications", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "The post's publications in the order they were made (a repeating schedule's by due time), each with its attempt log", body = Envelope<Page<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn of_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging::ById { limit, after } = paging::by_id(call.req)?;
    // The membership check, the post behind the caller's wall, the page and its attempts: one
    // round trip.
    let (ws, post) = (call.params.get("workspaceId")?, call.params.get("postId")?);
    let mut reads = vec![post_store::visible_read(ws, &call.caller()?.user_id, post)];
    reads.extend(publications::page_of_post_reads(ws, post, &after, limit));
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    post_store::found(answer(0))?;
    let mut items = publications::page_of(answer(1), &publications::Leases::of(ctx))?;
    let next_cursor = paging::next_cursor(&mut items, limit, |p| &p.id);
    publications::attach_logs(answer(2).iter(), &mut items)?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

/// An RFC 3339 time of the query, in milliseconds.
fn time_param(call: &Call<'_>, name: &str, default: i64, errors: &mut Vec<FieldError>) -> i64 {
    match call.req.query_param(name) {
        None => default,
        Some(t) => t.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or_else(|_| {
            errors.push(FieldError::new(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z"));
            default
        }),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/publications", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path),
           ("status" = Option<String>, Query, description = "Only this status: `dead` is the dead-letter list"),
           ("from" = Option<String>, Query, description = "RFC 3339: due at or after"),
           ("to" = Option<String>, Query, description = "RFC 3339: due before"),
           PageQuery),
    responses((status = 200, description = "The workspace's publications, newest first", body = Envelope<Page<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: an unknown status, a malformed time, limit or cursor", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let status = call.req.query_param("status").unwrap_or_default();
    const STATUSES: [&str; 9] =
        ["scheduled", "queued", "publishing", "retrying", "unconfirmed", "published", "failed", "dead", "cancelled"];
    // Every malformed parameter is named at once.
    let (paging, mut errors) = match paging::by_id(call.req) {
        Ok(paging) => (Some(paging), Vec::new()),
        Err(AppError::Validation(errors)) => (None, errors),
        Err(other) => return Err(other),
    };
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        errors.push(FieldError::new("status", format!("must be one of {}", STATUSES.join(", "))));
    }
    let from = time_param(call, "from", 0, &mut errors);
    let to = time_param(call, "to", i64::MAX, &mut errors);
    let (Some(paging), true) = (paging, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let filter = publications::Filter { status: &status, from, to };
    // The membership check and the page: one round trip. A Client member sees the publications
    // of their clients' posts only.
    let ws = call.params.get("workspaceId")?;
    let read = publications::page_read(ws, &call.caller()?.user_id, &filter, &paging.after, paging.limit);
    let (_, answers) = call.admitted_reads(ctx.db, vec![read]).await?;
    let mut items =
        publications::page_of(answers.first().map_or(&[][..], Vec::as_slice), &publications::Leases::of(ctx))?;
    let next_cursor = paging::next_cursor(&mut items, paging.limit, |p| &p.id);
    Ok(json::ok(200, Page { items, next_cursor }))
}

/// Counts `n` publications against the plan's posts a period, inside the batch that creates
/// them (SPEC BI-2): the counter goes up and the guard after it refuses what passes the limit.
pub fn counted(ctx: &Context<'_>, workspace_id: &str, n: i64, now: i64) -> [crate::sql::Statement; 2] {
    use crate::plans::{store, Metric};
    [
        store::spend(workspace_id, Metric::ScheduledPosts, n),
        store::within(&ctx.config.plans, workspace_id, Metric::ScheduledPosts, now),
    ]
}

/// A batch with [`counted`] in it that failed for a conflict: the plan's limit, when that is why.
pub async fn refused_by_plan<T>(
    ctx: &Context<'_>,
    workspace_id: &str,
    n: i64,
    saved: Result<T, AppError>,
) -> Result<T, AppError> {
    match saved {
        Err(AppError::Conflict(m)) => Err(crate::plans::explain(
            ctx,
            workspace_id,
            crate::plans::Metric::ScheduledPosts,
            n,
            AppError::Conflict(m),
        )
        .await),
        other => other,
    }
}
