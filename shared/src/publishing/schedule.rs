//! Schedules (SPEC PB-2, PB-6): publish a post now or at a time in an IANA time zone, to some
//! connected accounts — one publication per (target, account) — cancel, reschedule, and read
//! each publication's status and attempt log. Only approved posts are scheduled when the
//! workspace (or the post's client) has a workflow; without one, scheduling a draft approves
//! it on the way, as submitting would.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::store as accounts;
use crate::api::documented::{field, query, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::{Call, Context, Response};
use crate::content::editing::save_edit;
use crate::content::posts::{PostView, TargetView};
use crate::content::status::{Event, PostStatus};
use crate::content::store::posts as post_store;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::{self, rfc3339};
use crate::workflows::{self as workflow, Stages};

/// A schedule may not be more than this far back (a clock skew allowance); further back is
/// a mistake, not "now".
const PAST_TOLERANCE_MS: i64 = 5 * 60_000;
/// Nor more than two years ahead.
const MAX_AHEAD_MS: i64 = 2 * 366 * 24 * 3_600_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleInput {
    /// The accounts to publish to (1 to 20); each must be connected and have a target: its
    /// own (a target with its `accountId`), else its platform's (a target without one).
    #[serde(default)]
    pub account_ids: Vec<String>,
    /// When: RFC 3339 with an offset (`2026-12-01T09:00:00Z`), a wall-clock time
    /// (`2026-12-01T09:00`) in `timezone`, or `next-free-slot` (each account's next posting
    /// slot with nothing scheduled). Omit it to publish now.
    pub at: Option<String>,
    /// IANA time zone of a wall-clock `at` and of `repeat`; UTC by default.
    pub timezone: Option<String>,
    /// Publish again at a fixed interval (wall-clock in the time zone, so 09:00 stays 09:00).
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub repeat: Option<Repeat>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// `day`, `week` or `month`.
    pub every: String,
    /// How many times in all, 2 to 52.
    pub count: i64,
}

/// `count` due times from `first`, `every` apart in `tz`'s wall-clock time.
pub fn occurrences(first: i64, tz: &str, every: &str, count: i64) -> Result<Vec<i64>, String> {
    let zone = jiff::tz::db().get(tz).map_err(|_| format!("unknown IANA time zone `{tz}`"))?;
    let start = jiff::Timestamp::from_millisecond(first).map_err(|e| e.to_string())?.to_zoned(zone);
    (0..count)
        .map(|k| {
            let span = match every {
                "day" => jiff::Span::new().days(k),
                "week" => jiff::Span::new().weeks(k),
                "month" => jiff::Span::new().months(k),
                _ => return Err("must be day, week or month".to_string()),
            };
            start.checked_add(span).map(|z| z.timestamp().as_millisecond()).map_err(|e| e.to_string())
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub number: i64,
    pub started_at: String,
    pub finished_at: String,
    /// published, retry, rate_limited, unconfirmed, failed, reconnect or reconciled.
    pub outcome: String,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicationView {
    pub id: String,
    pub post_id: String,
    pub target_id: String,
    pub account_id: String,
    pub platform: String,
    pub due_at: String,
    pub timezone: String,
    /// scheduled, queued, publishing, retrying, unconfirmed, published, failed, dead
    /// (retries exhausted: the dead-letter list) or cancelled.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    /// Why it is retrying, unconfirmed, failed, dead or cancelled.
    pub reason: Option<String>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub published_at: Option<String>,
    /// Every attempt, oldest first (on a single publication or a post's list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<AttemptView>>,
}

const COLUMNS: &str =
    "id, post_id, target_id, account_id, platform, due_at, timezone, status, attempts, next_attempt_at, \
     reason, remote_id, remote_url, published_at";

fn decode(r: &Row) -> Result<PublicationView, AppError> {
    Ok(PublicationView {
        id: r.text("id")?,
        post_id: r.text("post_id")?,
        target_id: r.text("target_id")?,
        account_id: r.text("account_id")?,
        platform: r.text("platform")?,
        due_at: rfc3339(r.int("due_at")?),
        timezone: r.text("timezone")?,
        status: r.text("status")?,
        attempts: r.int("attempts")?,
        next_attempt_at: r.opt_int("next_attempt_at")?.map(rfc3339),
        reason: r.opt_text("reason")?,
        remote_id: r.opt_text("remote_id")?,
        remote_url: r.opt_text("remote_url")?,
        published_at: r.opt_int("published_at")?.map(rfc3339),
        attempt_log: None,
    })
}

/// `at` in `tz` as milliseconds: an offset in `at` wins; a wall-clock time is read in `tz`.
pub fn due_ms(at: &str, tz: &str) -> Result<i64, String> {
    let at = at.trim();
    if let Ok(ts) = at.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let civil: jiff::civil::DateTime = at
        .parse()
        .map_err(|_| "must be RFC 3339 (2026-12-01T09:00:00Z) or a wall-clock time (2026-12-01T09:00)".to_string())?;
    let zone = jiff::tz::db().get(tz).map_err(|_| format!("unknown IANA time zone `{tz}`"))?;
    civil.to_zoned(zone).map(|z| z.timestamp().as_millisecond()).map_err(|e| e.to_string())
}

async fn pending_count(ctx: &Context<'_>, ws: &str, post_id: &str) -> Result<(i64, i64), AppError> {
    let row = ctx
        .db
        .query_one(
            "SELECT SUM(CASE WHEN status IN ('scheduled', 'retrying') THEN 1 ELSE 0 END) AS waiting, \
             SUM(CASE WHEN status IN ('queued', 'publishing', 'unconfirmed') THEN 1 ELSE 0 END) AS in_flight \
             FROM publications WHERE workspace_id = ?1 AND post_id = ?2",
            &params![ws, post_id],
        )
        .await?;
    let get = |c: &str| row.as_ref().and_then(|r| r.opt_int(c).ok().flatten()).unwrap_or(0);
    Ok((get("waiting"), get("in_flight")))
}

/// The target an account publishes: its own when the post has one, else its platform's.
pub fn target_for<'a>(post: &'a PostView, account: &crate::accounts::Account) -> Option<&'a TargetView> {
    let own = post.targets.iter().find(|t| t.account_id.as_deref() == Some(account.view.id.as_str()));
    own.or_else(|| post.targets.iter().find(|t| t.platform == account.platform() && t.account_id.is_none()))
}

/// The accounts named, each with the post's target for it (its own, else its platform's): 1 to 20 connected, active
/// accounts. Problems go to `errors`, field by field.
pub(super) async fn account_pairs(
    ctx: &Context<'_>,
    ws: &str,
    post: &PostView,
    account_ids: &[String],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<(String, crate::accounts::Account)>, AppError> {
    let mut ids: Vec<String> = Vec::new();
    for id in account_ids.iter().map(|a| a.trim().to_string()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > 20 {
        errors.push(FieldError::new("accountIds", "name 1 to 20 connected accounts"));
    }
    let mut pairs = Vec::new();
    for (i, id) in ids.iter().enumerate().take(20) {
        let field = format!("accountIds[{i}]");
        match accounts::load(ctx.db, ws, id).await {
            Ok(a) if a.view.status != "active" => errors
                .push(FieldError::new(field, format!("is {}: reconnect it first", a.view.status.replace('_', " ")))),
            Ok(a) => match target_for(post, &a) {
                Some(t) => pairs.push((t.id.clone(), a)),
                None => errors.push(FieldError::new(
                    field,
                    format!("the post has no {} target for this account", a.platform().as_str()),
                )),
            },
            Err(AppError::NotFound(_)) => {
                errors.push(FieldError::new(field, "is not a connected account of this workspace"))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(pairs)
}

/// The status a post takes when it is scheduled: approved posts (and failed ones, again) are;
/// without a workflow a draft is approved on the way, as submitting it would be. Refused while
/// another schedule of the post waits or runs.
pub(super) async fn approve_on_the_way(ctx: &Context<'_>, ws: &str, post: &PostView) -> Result<PostStatus, AppError> {
    let (waiting, in_flight) = pending_count(ctx, ws, &post.id).await?;
    if waiting + in_flight > 0 {
        return Err(AppError::Conflict("the post is already scheduled: cancel or reschedule it".into()));
    }
    let wf = workflow::effective(ctx.db, ws, post.client_id.as_deref()).await?;
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

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = ScheduleInput,
    responses((status = 201, description = "Scheduled: one publication per (target, account)", body = Envelope<Vec<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: accounts that are not connected or match no target, a time in the past, an unknown time zone", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners, admins and editors schedule", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: not approved, already scheduled, or written under privacy mode", body = ErrorEnvelope)))]
pub async fn schedule(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ScheduleInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let post = post_store::load(ctx.db, &ws, "", call.params.get("postId")?).await?;
    let now = ctx.clock.now_ms();
    let mut errors = Vec::new();
    let tz = match input.timezone.as_deref() {
        Some(t) => validate::timezone(t).map_err(|m| errors.push(FieldError::new("timezone", m))).unwrap_or_default(),
        None => "UTC".to_string(),
    };
    let slot_mode = input.at.as_deref().map(str::trim) == Some("next-free-slot");
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
    let pairs = account_pairs(ctx, &ws, &post, &input.account_ids, &mut errors).await?;
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
    let status = approve_on_the_way(ctx, &ws, &post).await?;
    let mut statements = Vec::new();
    let mut created = Vec::new();
    let mut planned = Vec::new();
    for (i, (target_id, account)) in pairs.iter().enumerate() {
        let (first, zone) = if slot_mode {
            match super::handlers::slots::next_for(ctx.db, &ws, &account.view, now).await {
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
        statements.push(Statement::new(
            "INSERT INTO publications (id, workspace_id, post_id, target_id, account_id, platform, due_at, timezone, status, \
             created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'scheduled', ?9, ?10, ?10)",
            params![
                id.as_str(),
                ws.as_str(),
                post.id.as_str(),
                target_id.as_str(),
                account.view.id.as_str(),
                account.platform().as_str(),
                due,
                tz.as_str(),
                me.as_str(),
                now
            ],
        ));
        created.push(id);
    }
    let after = PostView { status, ..post.clone() };
    save_edit(ctx, call, &post, after, None, None, "post.schedule", statements).await?;
    let list = list_of(ctx, &ws, &post.id, false).await?;
    Ok(json::ok(201, list.into_iter().filter(|p| created.contains(&p.id)).collect::<Vec<_>>()))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)),
    responses((status = 200, description = "Cancelled: its waiting publications are withdrawn and the post is approved again", body = Envelope<Vec<PublicationView>>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: nothing is scheduled, or publishing already started", body = ErrorEnvelope)))]
pub async fn cancel(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let post = post_store::load(ctx.db, &ws, "", call.params.get("postId")?).await?;
    let (waiting, in_flight) = pending_count(ctx, &ws, &post.id).await?;
    if in_flight > 0 {
        return Err(AppError::Conflict("publishing has already started; it cannot be cancelled now".into()));
    }
    if waiting == 0 || post.status != PostStatus::Scheduled {
        return Err(AppError::Conflict("the post is not scheduled".into()));
    }
    let now = ctx.clock.now_ms();
    let status = post.status.apply(Event::Unschedule).map_err(|e| AppError::Conflict(e.to_string()))?;
    let statements = vec![
        Statement::new(
            "UPDATE publications SET status = 'cancelled', reason = 'the schedule was cancelled', updated_at = ?3 \
             WHERE workspace_id = ?1 AND post_id = ?2 AND status IN ('scheduled', 'retrying')",
            params![ws.as_str(), post.id.as_str(), now],
        ),
        // A claim taken meanwhile makes the cancel lose: publishing has started.
        Statement::guard(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM publications WHERE workspace_id = ?1 AND post_id = ?2 \
             AND status IN ('queued', 'publishing', 'unconfirmed'))",
            params![ws.as_str(), post.id.as_str()],
        ),
    ];
    let after = PostView { status, ..post.clone() };
    save_edit(ctx, call, &post, after, None, None, "post.unschedule", statements)
        .await
        .map_err(|_| AppError::Conflict("publishing started meanwhile; it cannot be cancelled now".into()))?;
    Ok(json::ok(200, list_of(ctx, &ws, &post.id, false).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The new time, as in scheduling. A repeating schedule moves as a whole: its first
    /// waiting occurrence goes here and the others keep their spacing.
    pub at: String,
    /// IANA time zone of a wall-clock `at`; by default each publication keeps its own.
    pub timezone: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path)), request_body = RescheduleInput,
    responses((status = 200, description = "Rescheduled: its waiting publications move to the new time", body = Envelope<Vec<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: nothing waits to be published", body = ErrorEnvelope)))]
pub async fn reschedule(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: RescheduleInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let post = post_store::load(ctx.db, &ws, "", call.params.get("postId")?).await?;
    let tz = match input.timezone.as_deref() {
        Some(t) => Some(validate::timezone(t).map_err(|m| AppError::field("timezone", m))?),
        None => None,
    };
    let now = ctx.clock.now_ms();
    let rows = ctx
        .db
        .query(
            "SELECT id, target_id, account_id, due_at, timezone FROM publications WHERE workspace_id = ?1 AND post_id = ?2 \
             AND status = 'scheduled' ORDER BY due_at, id",
            &params![ws.as_str(), post.id.as_str()],
        )
        .await?;
    let mut waiting = Vec::with_capacity(rows.len());
    for r in &rows {
        let series = (r.text("target_id")?, r.text("account_id")?);
        waiting.push((r.text("id")?, series, r.int("due_at")?, r.text("timezone")?));
    }
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
        statements.push(Statement::new(
            "UPDATE publications SET due_at = ?3, timezone = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2 \
             AND status = 'scheduled'",
            params![ws.as_str(), id.as_str(), moved.max(now), zone.as_str(), now],
        ));
    }
    let moved: u64 = ctx.db.batch(&statements).await?.iter().sum();
    if moved == 0 {
        return Err(AppError::Conflict("publishing started meanwhile: nothing waits to be published".into()));
    }
    Ok(json::ok(200, list_of(ctx, &ws, &post.id, false).await?))
}

/// Where occurrence `due` of a series lands when its first occurrence moves from `first` to
/// `new_first`: the same wall-clock distance in `tz` (days stay days across daylight saving).
pub fn shift(due: i64, first: i64, new_first: i64, tz: &str) -> Result<i64, String> {
    let zone = jiff::tz::db().get(tz).map_err(|_| format!("unknown IANA time zone `{tz}`"))?;
    let civil = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(zone.clone()).datetime()).map_err(|e| e.to_string())
    };
    let distance = civil(due)?.since(civil(first)?).map_err(|e| e.to_string())?;
    let landed = civil(new_first)?.checked_add(distance).map_err(|e| e.to_string())?;
    landed.to_zoned(zone.clone()).map(|z| z.timestamp().as_millisecond()).map_err(|e| e.to_string())
}

/// The attempt logs of `publications`, oldest attempt first: one query per chunk of ids, not
/// one per publication (D1 counts queries per invocation).
async fn attach_attempts(ctx: &Context<'_>, ws: &str, publications: &mut [PublicationView]) -> Result<(), AppError> {
    let mut logs: std::collections::BTreeMap<String, Vec<AttemptView>> = std::collections::BTreeMap::new();
    let ids: Vec<String> = publications.iter().map(|p| p.id.clone()).collect();
    for chunk in ids.chunks(crate::sql::MAX_IDS_PER_STATEMENT) {
        let sql = format!(
            "SELECT publication_id, number, started_at, finished_at, outcome, http_status, detail \
             FROM publication_attempts WHERE workspace_id = ?1 AND publication_id IN ({}) ORDER BY started_at, id",
            crate::sql::placeholders(2, chunk.len())
        );
        let mut values = vec![crate::sql::Value::from(ws)];
        values.extend(chunk.iter().map(|id| crate::sql::Value::from(id.as_str())));
        for r in ctx.db.query(&sql, &values).await? {
            logs.entry(r.text("publication_id")?).or_default().push(AttemptView {
                number: r.int("number")?,
                started_at: rfc3339(r.int("started_at")?),
                finished_at: rfc3339(r.int("finished_at")?),
                outcome: r.text("outcome")?,
                http_status: r.opt_int("http_status")?,
                detail: r.opt_text("detail")?,
            });
        }
    }
    for p in publications.iter_mut() {
        p.attempt_log = Some(logs.remove(&p.id).unwrap_or_default());
    }
    Ok(())
}

pub(super) async fn list_of(
    ctx: &Context<'_>,
    ws: &str,
    post_id: &str,
    with_attempts: bool,
) -> Result<Vec<PublicationView>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND post_id = ?2 ORDER BY id");
    let mut out = ctx.db.query(&sql, &params![ws, post_id]).await?.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    if with_attempts {
        attach_attempts(ctx, ws, &mut out).await?;
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/posts/{postId}/publications", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("postId" = String, Path), PageQuery),
    responses((status = 200, description = "The post's publications in the order they were made (a repeating schedule's by due time), each with its attempt log", body = Envelope<Page<PublicationView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn of_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let member = call.member()?;
    let paging::ById { limit, after } = paging::by_id(call.req)?;
    let post = post_store::load(
        ctx.db,
        &member.workspace_id,
        &crate::agency::client_limit(call, member)?,
        call.params.get("postId")?,
    )
    .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND post_id = ?2 AND (?3 = '' OR id > ?3) \
         ORDER BY id LIMIT ?4"
    );
    let rows = ctx.db.query(&sql, &params![member.workspace_id.as_str(), post.id.as_str(), after, limit + 1]).await?;
    let mut items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = paging::next_cursor(&mut items, limit, |p| &p.id);
    attach_attempts(ctx, &member.workspace_id, &mut items).await?;
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
    let member = call.member()?;
    let ws = member.workspace_id.as_str();
    // A Client member sees the publications of their clients' posts only.
    let limit_to = crate::agency::client_limit(call, member)?;
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
    let sql = format!(
        "SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND (?3 = '' OR status = ?3) \
         AND (?2 = '' OR post_id IN (SELECT id FROM posts WHERE workspace_id = ?1 AND {})) \
         AND due_at >= ?4 AND due_at < ?5 AND (?6 = '' OR id < ?6) ORDER BY id DESC LIMIT ?7",
        post_store::VISIBLE
    );
    let values = params![ws, limit_to.as_str(), status, from, to, paging.after.as_str(), paging.limit + 1];
    let rows = ctx.db.query(&sql, &values).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, decode, |r| Ok(r.text("id")?))?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

/// An RFC 3339 time with an offset, a wall-clock time, or `next-free-slot` (`due_ms`).
const WHEN_PATTERN: &str = r"^next-free-slot$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$";

/// What scheduling checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ScheduleInput", "accountIds", Rule::Items(1, 20, &Rule::Id)),
    field("ScheduleInput", "timezone", Rule::TimeZone),
    field("RescheduleInput", "timezone", Rule::TimeZone),
    field("ScheduleInput", "at", Rule::Pattern(WHEN_PATTERN, 64)),
    field("RescheduleInput", "at", Rule::Pattern(WHEN_PATTERN, 64)),
    field("Repeat", "every", Rule::OneOf(&["day", "week", "month"])),
    field("Repeat", "count", Rule::Range(2, 52)),
    query("listPublications", "from", Rule::DateTime),
    query("listPublications", "to", Rule::DateTime),
    query(
        "listPublications",
        "status",
        Rule::OneOf(&[
            "",
            "scheduled",
            "queued",
            "publishing",
            "retrying",
            "unconfirmed",
            "published",
            "failed",
            "dead",
            "cancelled",
        ]),
    ),
];

#[cfg(test)]
mod tests {
    use super::due_ms;

    #[test]
    fn schedule_times_read_offsets_and_wall_clocks_in_their_zone() {
        assert_eq!(due_ms("2026-12-01T09:00:00Z", "Europe/Paris").unwrap(), 1_796_115_600_000);
        assert_eq!(
            due_ms("2026-12-01T09:00", "Europe/Paris").unwrap(),
            1_796_112_000_000,
            "09:00 in Paris is 08:00 UTC"
        );
        assert_eq!(
            due_ms("2026-07-01T09:00", "Europe/Paris").unwrap() % 86_400_000,
            7 * 3_600_000,
            "summer time: UTC+2"
        );
        assert!(due_ms("tomorrow", "UTC").is_err());
        assert!(due_ms("2026-12-01T09:00", "Mars/Olympus").is_err());
    }

    #[test]
    fn repeats_keep_the_wall_clock_time_across_daylight_saving() {
        use super::occurrences;
        use crate::validate::rfc3339;
        let first = due_ms("2026-03-27T09:00", "Europe/Paris").unwrap();
        let days: Vec<String> =
            occurrences(first, "Europe/Paris", "day", 3).unwrap().into_iter().map(rfc3339).collect();
        assert_eq!(
            days,
            ["2026-03-27T08:00:00.000Z", "2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"],
            "09:00 each day"
        );
        let months = occurrences(due_ms("2027-01-31T12:00:00Z", "UTC").unwrap(), "UTC", "month", 2).unwrap();
        assert_eq!(rfc3339(months[1]), "2027-02-28T12:00:00.000Z", "clamped to the month's end");
        assert!(occurrences(first, "UTC", "fortnight", 2).is_err());
    }

    #[test]
    fn a_moved_series_keeps_its_wall_clock_spacing_across_daylight_saving() {
        use super::{occurrences, shift};
        use crate::validate::rfc3339;
        let first = due_ms("2026-03-20T09:00", "Europe/Paris").unwrap();
        let weekly = occurrences(first, "Europe/Paris", "week", 3).unwrap();
        let to = due_ms("2026-03-21T10:00", "Europe/Paris").unwrap();
        let moved: Vec<String> =
            weekly.iter().map(|d| rfc3339(shift(*d, first, to, "Europe/Paris").unwrap())).collect();
        assert_eq!(
            moved,
            ["2026-03-21T09:00:00.000Z", "2026-03-28T09:00:00.000Z", "2026-04-04T08:00:00.000Z"],
            "10:00 each Saturday"
        );
        assert!(shift(first, first, to, "Mars/Olympus").is_err());
    }
}
