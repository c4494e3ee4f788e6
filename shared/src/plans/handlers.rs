//! A workspace's subscription, as its owners see it and as the operator changes it.

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, Standing};
use super::stripe;
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
        suspended: s.suspended_for.is_some(),
        suspended_for: s.suspended_for.clone(),
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
    /// The tier to move to; absent to leave it.
    pub plan: Option<Plan>,
    /// `trialing`, `active` (the default), `past_due` or `cancelled`.
    #[schema(pattern = "^(trialing|active|past_due|cancelled)$")]
    pub status: Option<String>,
    /// A downgrade applies when the period ends unless this is true; an upgrade applies at once.
    #[serde(default)]
    pub immediately: bool,
    /// `true` suspends the workspace (read-only, its publications waiting); `false` lifts any
    /// suspension, the operator's or billing's.
    pub suspended: Option<bool>,
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
    if input.plan.is_none() && input.suspended.is_none() {
        return Err(AppError::field("plan", "give a plan, or suspended"));
    }
    let status = input.status.as_deref().unwrap_or("active");
    if !matches!(status, "trialing" | "active" | "past_due" | "cancelled") {
        return Err(AppError::field("status", "must be trialing, active, past_due or cancelled"));
    }
    let workspace_id = call.params.get("workspaceId")?;
    ctx.db.set_scope(Scope { workspace_id: Some(workspace_id.to_string()), ..ctx.db.scope() });
    let now = ctx.clock.now_ms();
    let current = store::standing(ctx.db, workspace_id, now).await?.ok_or_else(|| AppError::not_found("workspace"))?;
    let mut writes = Vec::new();
    if let Some(plan) = input.plan {
        writes.push(if plan >= current.plan || input.immediately {
            store::change_now(workspace_id, plan, status, now)
        } else {
            store::change_at_period_end(workspace_id, plan, status, now)
        });
    }
    match input.suspended {
        Some(true) => writes.extend(store::suspend(workspace_id, "operator", now)),
        Some(false) => writes.extend(store::reactivate(workspace_id, None, now)),
        None => {}
    }
    ctx.db.batch(&writes).await?;
    let after = store::standing(ctx.db, workspace_id, now).await?.ok_or_else(|| AppError::not_found("workspace"))?;
    Ok(json::ok(200, view(&ctx.config.plans, &after)))
}

/// An upgrade through the payment provider's hosted checkout.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckoutInput {
    /// `pro`, `agency` or `enterprise`: a tier with a price (`STRIPE_PRICES`).
    pub plan: Plan,
}

/// Where to send the person next: the provider's hosted page.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redirect {
    /// The provider's id of the session (`cs_…`, `bps_…`).
    pub id: Option<String>,
    pub url: String,
}

/// Calls Stripe's API: a form POST under the secret key; answers the JSON, or 502 (the
/// provider's words stay in the log).
async fn stripe_post(ctx: &Context<'_>, path: &str, form: String) -> Result<serde_json::Value, AppError> {
    let key = ctx
        .config
        .stripe
        .secret_key
        .as_deref()
        .ok_or_else(|| AppError::ServiceUnavailable("payments are not configured here".into()))?;
    let base = ctx
        .config
        .platform_urls
        .iter()
        .find(|(p, _)| p == "stripe")
        .map_or(stripe::API, |(_, url)| url.trim_end_matches('/'));
    let request = crate::ports::HttpRequest {
        method: "POST".into(),
        url: format!("{base}{path}"),
        headers: vec![
            ("authorization".into(), format!("Bearer {key}")),
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: form.into_bytes(),
    };
    let answer = ctx.http.send(request).await.map_err(|e| AppError::ExternalApi(format!("Stripe {path}: {e}")))?;
    if !(200..300).contains(&answer.status) {
        return Err(AppError::ExternalApi(format!(
            "Stripe {path} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )));
    }
    serde_json::from_slice(&answer.body).map_err(|e| AppError::ExternalApi(format!("Stripe {path}: {e}")))
}

fn redirect_of(answer: &serde_json::Value) -> Result<Redirect, AppError> {
    let url = answer["url"].as_str().ok_or_else(|| AppError::ExternalApi("Stripe answered no url".into()))?;
    Ok(Redirect { id: answer["id"].as_str().map(str::to_string), url: url.to_string() })
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/billing/checkout", tag = "billing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    request_body = CheckoutInput,
    responses(
        (status = 201, description = "A hosted checkout for the plan (Stripe Checkout, a subscription): send the person to `url`. The plan applies when the provider confirms the payment (its webhook)", body = Envelope<Redirect>),
        (status = 400, description = "VALIDATION_ERROR: the free tier, or a tier without a price", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the payment provider refused or did not answer", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: payments are not configured (STRIPE_SECRET_KEY)", body = ErrorEnvelope),
    ))]
pub async fn checkout(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: CheckoutInput = json::parse(&call.req.body)?;
    let workspace_id = call.params.get("workspaceId")?;
    let read = store::standing_read(workspace_id, ctx.clock.now_ms());
    let (_, standing) = call.admitted_one(ctx.db, read, store::standing_of).await?;
    let standing = standing.ok_or_else(|| AppError::not_found("subscription"))?;
    let Some(price) = ctx.config.stripe.price_of(input.plan) else {
        return Err(AppError::field("plan", "has no price here: choose pro, agency or enterprise (STRIPE_PRICES)"));
    };
    let app = ctx.config.app_url.trim_end_matches('/');
    let success = format!("{app}/billing?workspace={workspace_id}&checkout=success");
    let cancel = format!("{app}/billing?workspace={workspace_id}&checkout=cancelled");
    let plan = input.plan.as_str();
    let mut pairs = vec![
        ("mode", "subscription"),
        ("line_items[0][price]", price),
        ("line_items[0][quantity]", "1"),
        ("success_url", success.as_str()),
        ("cancel_url", cancel.as_str()),
        ("client_reference_id", workspace_id),
        ("metadata[workspace_id]", workspace_id),
        ("metadata[plan]", plan),
        ("subscription_data[metadata][workspace_id]", workspace_id),
        ("subscription_data[metadata][plan]", plan),
    ];
    if let Some(customer) = standing.provider_customer.as_deref() {
        pairs.push(("customer", customer));
    }
    let answer = stripe_post(ctx, "/v1/checkout/sessions", crate::encoding::form(&pairs)).await?;
    Ok(json::ok(201, redirect_of(&answer)?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/billing/portal", tag = "billing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses(
        (status = 201, description = "The provider's customer portal (invoices, payment method, cancellation): send the person to `url`", body = Envelope<Redirect>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: owners only", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the workspace has not paid through checkout yet", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the payment provider refused or did not answer", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: payments are not configured (STRIPE_SECRET_KEY)", body = ErrorEnvelope),
    ))]
pub async fn portal(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let workspace_id = call.params.get("workspaceId")?;
    let read = store::standing_read(workspace_id, ctx.clock.now_ms());
    let (_, standing) = call.admitted_one(ctx.db, read, store::standing_of).await?;
    let standing = standing.ok_or_else(|| AppError::not_found("subscription"))?;
    let customer = standing
        .provider_customer
        .ok_or_else(|| AppError::Conflict("this workspace has not paid through checkout yet".into()))?;
    let back = format!("{}/billing?workspace={workspace_id}", ctx.config.app_url.trim_end_matches('/'));
    let form = crate::encoding::form(&[("customer", customer.as_str()), ("return_url", back.as_str())]);
    let answer = stripe_post(ctx, "/v1/billing_portal/sessions", form).await?;
    Ok(json::ok(201, redirect_of(&answer)?))
}

/// What the webhook answers Stripe.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub received: bool,
    /// The event was handled before (a redelivery): nothing changed.
    pub duplicate: bool,
}

#[utoipa::path(post, path = "/api/v1/billing/stripe/webhook", tag = "billing",
    params(("Stripe-Signature" = String, Header, description = "`t=…,v1=…`: Stripe's signature of `t.body`")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "A Stripe event, exactly as Stripe sent it"),
    responses(
        (status = 200, description = "Handled (checkout completed, subscription created, updated or deleted, invoice paid or failed; other types are recorded and change nothing). An event seen before, or older than one already applied, changes nothing", body = Envelope<Received>),
        (status = 400, description = "VALIDATION_ERROR: a missing or wrong signature, a timestamp outside five minutes, or a body that is not an event", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no signing secret is configured (STRIPE_WEBHOOK_SECRET)", body = ErrorEnvelope),
    ))]
pub async fn webhook(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let secrets = &ctx.config.stripe.webhook_secrets;
    if secrets.is_empty() {
        return Err(AppError::ServiceUnavailable("payment webhooks are not configured here".into()));
    }
    let now = ctx.clock.now_ms();
    let header = call.req.header("stripe-signature").unwrap_or_default();
    stripe::verify(header, &call.req.body, secrets, now.div_euclid(1000))
        .map_err(|m| AppError::field("Stripe-Signature", m))?;
    let value: serde_json::Value =
        serde_json::from_slice(&call.req.body).map_err(|_| AppError::field("body", "is not a Stripe event"))?;
    let event =
        stripe::read(&value, &ctx.config.stripe).ok_or_else(|| AppError::field("body", "is not a Stripe event"))?;
    // The event, and the subscription it is about, span tenants.
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let reads = vec![
        store::event_seen_read(&event.id),
        store::provider_subject_read(event.workspace_id.as_deref(), event.customer.as_deref()),
    ];
    let answers = ctx.db.reads(&reads).await?;
    let found = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let duplicate = || Ok(json::ok(200, Received { received: true, duplicate: true }));
    if !found(0).is_empty() {
        return duplicate();
    }
    let mut statements = Vec::new();
    if let Some(row) = found(1).first() {
        let ws = row.text("workspace_id")?;
        // The writes are the workspace's (row-level security checks them against it).
        ctx.db.set_scope(Scope { workspace_id: Some(ws.clone()), ..Scope::default() });
        let customer = event.customer.as_deref();
        let at = event.created_ms;
        statements.extend(match &event.effect {
            stripe::Effect::Linked { customer, subscription, plan } => {
                Some(store::linked(&ws, customer.as_deref(), subscription.as_deref(), *plan, at, now))
            }
            stripe::Effect::Mirrored { subscription, plan, status, period } => {
                Some(store::mirrored(&ws, customer, subscription, *plan, status, *period, at, now))
            }
            stripe::Effect::Ended => Some(store::ended(&ws, at, now)),
            stripe::Effect::PaymentFailed => Some(store::payment(&ws, true, at, now)),
            stripe::Effect::Paid => Some(store::payment(&ws, false, at, now)),
            stripe::Effect::Ignored => None,
        });
        // Paid again: a suspension for want of payment ends (never the operator's).
        if event.effect == stripe::Effect::Paid {
            statements.extend(store::reactivate(&ws, Some("billing"), now));
        }
    }
    statements.push(store::event_handled(&event.id, &event.kind, now));
    match ctx.db.batch(&statements).await {
        Ok(_) => Ok(json::ok(200, Received { received: true, duplicate: false })),
        Err(crate::sql::DbError::Unique(_)) => duplicate(),
        Err(e) => Err(e.into()),
    }
}
