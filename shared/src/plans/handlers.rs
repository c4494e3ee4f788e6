//! A workspace's subscription, as its owners see it and as the operator changes it.

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, Standing};
use super::{Metric, Plan, Plans, SubscriptionView, Usage};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::sql::Scope;
use crate::validate::rfc3339;

fn view(plans: &Plans, s: &Standing) -> SubscriptionView {
    SubscriptionView {
        plan: s.plan,
        status: s.status.clone(),
        period_start: rfc3339(s.period_start),
        period_end: rfc3339(s.period_end),
        next_plan: s.next_plan,
        usage: Metric::ALL
            .into_iter()
            .map(|metric| Usage {
                metric,
                used: (metric != Metric::AnalyticsDays).then(|| s.used(metric)),
                limit: plans.limit(s.plan, metric),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/billing/subscription", tag = "billing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses(
        (status = 200, description = "The plan, its status and period, and every counter with its limit (owners and admins)", body = Envelope<SubscriptionView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let read = store::standing_read(call.params.get("workspaceId")?, ctx.clock.now_ms());
    let (_, standing) = call.admitted_one(ctx.db, read, store::standing_of).await?;
    let standing = standing.ok_or_else(|| AppError::not_found("subscription"))?;
    Ok(json::ok(200, view(&ctx.config.plans, &standing)))
}

/// An operator's change of a workspace's plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlanChange {
    pub plan: Plan,
    /// `trialing`, `active` (the default), `past_due` or `cancelled`.
    #[schema(pattern = "^(trialing|active|past_due|cancelled)$")]
    pub status: Option<String>,
    /// A downgrade applies when the period ends unless this is true; an upgrade applies at once.
    #[serde(default)]
    pub immediately: bool,
}

#[utoipa::path(put, path = "/api/v1/internal/workspaces/{workspaceId}/subscription", tag = "billing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    request_body = PlanChange,
    responses(
        (status = 200, description = "The subscription after the change. Authorized by the operator's TICK_SECRET bearer token; the route exists only when TICK_SECRET is set. An upgrade applies at once; a downgrade when the period ends (`nextPlan`), or at once with `immediately`; nothing is deleted when a workspace is over a lower limit, but new items are refused", body = Envelope<SubscriptionView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no such workspace", body = ErrorEnvelope),
    ))]
pub async fn change(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: PlanChange = json::parse(&call.req.body)?;
    let status = input.status.as_deref().unwrap_or("active");
    if !matches!(status, "trialing" | "active" | "past_due" | "cancelled") {
        return Err(AppError::field("status", "must be trialing, active, past_due or cancelled"));
    }
    let workspace_id = call.params.get("workspaceId")?;
    ctx.db.set_scope(Scope { workspace_id: Some(workspace_id.to_string()), ..ctx.db.scope() });
    let now = ctx.clock.now_ms();
    let current = store::standing(ctx.db, workspace_id, now).await?.ok_or_else(|| AppError::not_found("workspace"))?;
    let write = if input.plan >= current.plan || input.immediately {
        store::change_now(workspace_id, input.plan, status, now)
    } else {
        store::change_at_period_end(workspace_id, input.plan, status, now)
    };
    ctx.db.batch(&[write]).await?;
    let after = store::standing(ctx.db, workspace_id, now).await?.ok_or_else(|| AppError::not_found("workspace"))?;
    Ok(json::ok(200, view(&ctx.config.plans, &after)))
}
