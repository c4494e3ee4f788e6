//! Scheduled work: what the Worker's cron trigger runs every minute, and what any other
//! scheduler runs through `POST /api/v1/internal/tick` (Spin has no cron of its own).

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::Context;
use crate::error::AppError;
use crate::sql::Scope;

pub mod handlers;
pub mod store;

/// Spent or expired refresh tokens are kept this long, so a replay is still recognised
/// as reuse (and revokes its family) rather than as an unknown token.
const REFRESH_GRACE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Expired, unaccepted invitations are kept this long for the activity trail.
const INVITE_GRACE_MS: i64 = 30 * DAY_MS;
const DAY_MS: i64 = 24 * 3600 * 1000;
// D1 counts every statement, batched or not, against an invocation's queries (50 on Workers
// Free), and a Worker's calls to its bucket against its subrequests (50 there too); the tick's
// own purges and the publishing engine's claim take about fifteen. The caps below keep a tick
// under forty; what is left follows a minute later.
/// Subscriptions moved to their next period a tick: one batch of updates.
const PERIODS_PER_TICK: i64 = 20;
/// Suspensions a tick: each its own batch of two (its workspace's scope).
const SUSPENSIONS_PER_TICK: i64 = 3;
/// Files of erased workspaces deleted from storage a tick: each is a call to the bucket.
const PURGES_PER_TICK: i64 = 25;
/// Platform grants of erased workspaces revoked a tick: each is a call to the platform.
const REVOCATIONS_PER_TICK: i64 = 5;
/// Tasks' due and overdue notices a tick: one read and one batch of about as many statements.
const TASK_REMINDERS_PER_TICK: i64 = 5;
/// AI generations whose request died, given back a tick: one batch.
const ABANDONED_PER_TICK: i64 = 20;
/// A generation still running this long after its deadline lost its request.
const ABANDONED_AFTER_MS: i64 = 60_000;

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    pub refresh_tokens_purged: u64,
    pub invites_purged: u64,
    pub idempotency_keys_purged: u64,
    /// Subscriptions whose period ended and started a new one (their counters start again,
    /// a pending downgrade applies).
    pub periods_started: u64,
    /// Workspaces past due beyond the grace period (`PAST_DUE_GRACE_DAYS`), now suspended.
    pub workspaces_suspended: u64,
    /// Parts of background exports written, and exports whose link expired.
    pub export_parts_written: u64,
    pub exports_expired: u64,
    /// Files of erased workspaces and expired exports deleted from storage.
    pub files_purged: u64,
    /// Platform grants of erased workspaces the platforms took back.
    pub grants_revoked: u64,
    /// AI generations whose request died before they were settled: their reserved credits are
    /// given back.
    pub generations_abandoned: u64,
    /// Assignees told a task is due within a day or overdue.
    pub task_reminders: u64,
    /// What the publishing engine did this tick.
    pub publishing: crate::publishing::engine::PublishReport,
}

pub async fn tick(ctx: &Context<'_>) -> Result<TickReport, AppError> {
    let now = ctx.clock.now_ms();
    // Maintenance spans every tenant.
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let refresh_tokens_purged = crate::identity::store::sessions::purge(ctx.db, now - REFRESH_GRACE_MS).await?;
    let invites_purged = crate::workspaces::store::invites::purge_expired(ctx.db, now - INVITE_GRACE_MS).await?;
    let idempotency_keys_purged = crate::api::store::purge_keys(ctx.db, now - crate::api::IDEMPOTENCY_TTL_MS).await?;
    // Mailed tokens live a day at most and count towards the hour's mail limit: a day later
    // nobody needs them. OAuth states live ten minutes; a day later nobody needs them either.
    crate::identity::store::email_tokens::purge(ctx.db, now - DAY_MS).await?;
    crate::publishing::store::purge_oauth_states(ctx.db, now - DAY_MS).await?;
    let periods_started = crate::plans::store::roll(ctx.db, now, PERIODS_PER_TICK).await?;
    let workspaces_suspended = crate::plans::suspend_overdue(ctx, now, SUSPENSIONS_PER_TICK).await?;
    let exports = crate::privacy::exports::advance(ctx, now).await?;
    announce_exports(ctx, &exports.ready, now).await?;
    let export_parts_written = exports.parts_written;
    let exports_expired = crate::privacy::exports::expire(ctx, now).await?;
    let files_purged = purge_files(ctx, PURGES_PER_TICK).await?;
    let grants_revoked = crate::publishing::revocation::revoke_queued(ctx, REVOCATIONS_PER_TICK).await?;
    let stale = now - ctx.config.ai.deadline_ms as i64 - ABANDONED_AFTER_MS;
    let generations_abandoned = crate::ai::store::abandon_stale(ctx.db, stale, ABANDONED_PER_TICK, now).await?;
    let task_reminders = crate::collab::tasks::remind(ctx, now, TASK_REMINDERS_PER_TICK).await?;
    let publishing = crate::publishing::engine::tick(ctx).await?;
    Ok(TickReport {
        refresh_tokens_purged,
        invites_purged,
        idempotency_keys_purged,
        periods_started,
        workspaces_suspended,
        export_parts_written,
        exports_expired,
        files_purged,
        grants_revoked,
        generations_abandoned,
        task_reminders,
        publishing,
    })
}

/// Announces the exports that became ready in the notifications of the workspace each named,
/// while its person is still a member there.
async fn announce_exports(ctx: &Context<'_>, ready: &[crate::privacy::store::Job], now: i64) -> Result<(), AppError> {
    use crate::collab::{model::Notice, store::notifications};
    let mut writes = Vec::new();
    for job in ready {
        let Some(workspace_id) = &job.notify_workspace_id else { continue };
        let notice = Notice {
            kind: "export.ready",
            title: "Your data export is ready".into(),
            body: format!(
                "{} entries, {} bytes: the link is in your mail, or download it from your exports.",
                job.entries, job.size_bytes
            ),
            subject_type: "export",
            subject_id: &job.id,
        };
        writes.push(notifications::insert_for_member(ctx.new_id(), workspace_id, &job.user_id, &notice, now));
    }
    if !writes.is_empty() {
        ctx.db.batch(&writes).await?;
    }
    Ok(())
}

/// Deletes up to `limit` queued files from storage and forgets them. A host without storage
/// keeps the queue; a failing delete stops this tick's share (the next tick tries again).
async fn purge_files(ctx: &Context<'_>, limit: i64) -> Result<u64, AppError> {
    let keys = store::queued_files(ctx.db, limit).await?;
    let mut gone = Vec::with_capacity(keys.len());
    for key in keys {
        match ctx.blobs.delete(&key).await {
            Ok(()) => gone.push(key),
            Err(err) => {
                if !matches!(err, crate::ports::BlobError::Unavailable(_)) {
                    tracing::warn!(%key, %err, "a file of an erased workspace could not be deleted");
                }
                break;
            }
        }
    }
    if !gone.is_empty() {
        ctx.db.batch(&store::purged(&gone)).await?;
    }
    Ok(gone.len() as u64)
}

use crate::route;

/// The scheduler's tick.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "maintenance",
    // The scheduler's tick works through everything due (inline where there is no queue: Spin,
    // whose databases have no limit per invocation), so its round trips grow with the work.
    routes: &[route!(POST "/api/v1/internal/tick", tick, Scheduler, handlers::tick_route).trips(u8::MAX)],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};
