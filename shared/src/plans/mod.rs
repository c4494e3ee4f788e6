//! Plans and their limits (SPEC BI-1, BI-2): the tiers in one table, a workspace's
//! subscription, and the guards that hold a limit inside the batch that creates the thing
//! limited, so two racing requests cannot both take the last free slot.

pub mod handlers;
pub mod store;
pub mod stripe;

pub use crate::tiers::{current_period, period_end, Metric, Plan, Plans, UNLIMITED};

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, LimitReached};

/// After a batch holding a [`store::within`] guard for `metric` failed: the limit it hit, when
/// that is why (`adding`: how many the batch would have added); `None` when the failure was
/// another guard's.
pub async fn refusal(
    ctx: &crate::api::Context<'_>,
    workspace_id: &str,
    metric: Metric,
    adding: i64,
) -> Result<Option<AppError>, AppError> {
    let Some(standing) = store::standing(ctx.db, workspace_id, ctx.clock.now_ms()).await? else {
        return Ok(None);
    };
    let used = standing.used(metric);
    Ok(match ctx.config.plans.limit(standing.plan, metric) {
        Some(limit) if used + adding > limit => Some(AppError::PlanLimit(Box::new(LimitReached {
            metric: metric.as_str().into(),
            plan: standing.plan.as_str().into(),
            limit,
            used,
        }))),
        _ => None,
    })
}

/// Why a batch that holds the plan's guard for `metric` failed on a constraint: the plan's
/// limit, when adding `adding` would pass it; else `otherwise` (the batch's other guards).
pub async fn explain(
    ctx: &crate::api::Context<'_>,
    workspace_id: &str,
    metric: Metric,
    adding: i64,
    otherwise: AppError,
) -> AppError {
    match refusal(ctx, workspace_id, metric, adding).await {
        Ok(Some(limit)) => limit,
        Ok(None) => otherwise,
        Err(e) => e,
    }
}

/// One counter of a subscription and its limit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub metric: Metric,
    /// Now (members, accounts, review links) or this period (posts scheduled, AI credits);
    /// absent for analytics history, which is a window, not a count.
    pub used: Option<i64>,
    /// `null`: unlimited.
    pub limit: Option<i64>,
}

/// A workspace's plan, where it stands in its period, and every counter with its limit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub plan: Plan,
    /// `trialing`, `active`, `past_due` or `cancelled`.
    pub status: String,
    pub period_start: String,
    /// When the period's counters start again, and a pending downgrade applies.
    pub period_end: String,
    /// A downgrade that applies when this period ends.
    pub next_plan: Option<Plan>,
    /// Whether the workspace is suspended: read-only, its publications waiting.
    pub suspended: bool,
    /// `billing` (past due beyond the grace period; paying lifts it) or `operator`.
    pub suspended_for: Option<String>,
    pub usage: Vec<Usage>,
}

/// Suspends every workspace past due for longer than the grace period (at most `limit` a
/// tick): each in its own scope, as row-level security wants. Returns how many.
pub async fn suspend_overdue(ctx: &crate::api::Context<'_>, now: i64, limit: i64) -> Result<u64, AppError> {
    let scope = ctx.db.scope();
    let due = store::overdue(ctx.db, now - ctx.config.stripe.grace_ms(), limit).await?;
    let mut suspended = 0;
    for workspace_id in &due {
        ctx.db
            .set_scope(crate::sql::Scope { workspace_id: Some(workspace_id.clone()), ..crate::sql::Scope::default() });
        let counts = ctx.db.batch(&store::suspend(workspace_id, "billing", now)).await?;
        suspended += counts.first().copied().unwrap_or(0);
    }
    ctx.db.set_scope(scope);
    Ok(suspended)
}
