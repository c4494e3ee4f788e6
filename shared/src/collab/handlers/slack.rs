//! The workspace's Slack webhook (see `collab::slack`): shown without its URL, saved after a
//! first message went through, removed.

use crate::activity::{self, Change};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::collab::model::{SlackInput, SlackRemoved, SlackView};
use crate::collab::slack::{self, Posted};
use crate::collab::store;
use crate::error::{AppError, ErrorEnvelope};
use crate::validate::rfc3339;

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/slack", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's Slack webhook: its host and kinds, never its URL; `connected` false when there is none", body = Envelope<SlackView>),
              (status = 403, description = "FORBIDDEN: only owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.params.get("workspaceId")?;
    // The membership check and the hook: one round trip.
    let (_, answers) = call.admitted_reads(ctx.db, vec![store::slack::read(ws)]).await?;
    Ok(json::ok(200, store::slack::view_of(answers.first().map_or(&[][..], Vec::as_slice))?))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/slack", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = SlackInput,
    responses((status = 200, description = "Saved (replacing the webhook the workspace had), after a first message was posted to it", body = Envelope<SlackView>),
              (status = 400, description = "VALIDATION_ERROR: webhookUrl (also when its server refused the first message, with its answer) or kinds", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: only owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 502, description = "EXTERNAL_API_ERROR: the webhook's server could not be reached, or was busy or failing", body = ErrorEnvelope),
              (status = 503, description = "SERVICE_UNAVAILABLE: webhooks cannot be sealed on this server (TOKEN_KEYS)", body = ErrorEnvelope)))]
pub async fn put(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: SlackInput = json::parse(&call.req.body)?;
    let hook = slack::parse(input, ctx.config.allow_private_hosts)?;
    if ctx.config.token_keys.is_empty() {
        return Err(AppError::ServiceUnavailable("webhooks cannot be stored: TOKEN_KEYS is not configured".into()));
    }
    let ws = &call.member()?.workspace_id;
    // A first message proves the webhook before it is kept.
    match slack::post(ctx, &hook.url, &slack::welcome(&hook.kinds)).await {
        Posted::Delivered => {}
        Posted::Refused(reason) => return Err(AppError::field("webhookUrl", format!("was refused: {reason}"))),
        Posted::Unreachable(reason) => return Err(AppError::ExternalApi(format!("the webhook's server: {reason}"))),
    }
    let sealed = ctx
        .config
        .token_keys
        .seal(ctx.random.bytes(), hook.url.as_bytes(), ws)
        .map_err(|e| AppError::Internal(format!("sealing a webhook: {e}")))?;
    let now = ctx.clock.now_ms();
    let view = SlackView {
        connected: true,
        host: Some(hook.host.clone()),
        kinds: hook.kinds.clone(),
        updated_at: Some(rfc3339(now)),
        last_failure: None,
    };
    let change = Change {
        action: "slack.connect",
        entity_type: "workspace",
        entity_id: ws,
        before: None,
        after: Some(serde_json::json!({ "host": hook.host, "kinds": hook.kinds })),
    };
    ctx.db
        .batch(&[
            store::slack::save(ws, &sealed, &hook.host, &hook.kinds, now),
            activity::record(ctx, call, ws, change),
        ])
        .await?;
    Ok(json::ok(200, view))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/slack", tag = "notifications", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The webhook forgotten; `removed` false when there was none", body = Envelope<SlackRemoved>),
              (status = 403, description = "FORBIDDEN: only owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn delete(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = &call.member()?.workspace_id;
    let change =
        Change { action: "slack.disconnect", entity_type: "workspace", entity_id: ws, before: None, after: None };
    let counts = ctx.db.batch(&[store::slack::remove(ws), activity::record(ctx, call, ws, change)]).await?;
    Ok(json::ok(200, SlackRemoved { removed: counts.first().is_some_and(|n| *n > 0) }))
}
