//! The workflow settings: read and replace the workspace's and each client's.

use super::store;
use super::{Workflow, WorkflowView};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};

async fn show(ctx: &Context<'_>, workspace_id: &str, client_id: Option<&str>) -> Result<WorkflowView, AppError> {
    let (workflow, configured) = match store::config(ctx.db, workspace_id, client_id.unwrap_or_default()).await? {
        Some(config) => (super::read(&config)?, true),
        None => (Workflow::default(), false),
    };
    Ok(WorkflowView { workflow, client_id: client_id.map(str::to_string), configured })
}

async fn client_param(ctx: &Context<'_>, call: &Call<'_>) -> Result<Option<String>, AppError> {
    match call.params.get("clientId") {
        Ok(id) => {
            let member = call.member()?;
            // A Client member reaches only the clients it is attached to: another's is 404.
            let limit = crate::agency::client_limit(call, member)?;
            crate::agency::clients::visible(ctx.db, &member.workspace_id, &limit, id).await?;
            Ok(Some(id.to_string()))
        }
        Err(_) => Ok(None),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/approval-workflow", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's workflow (or the default: no approval)", body = Envelope<WorkflowView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check, the workflow and (for a client's) the client as the caller may see
    // it: one round trip.
    let ws = call.params.get("workspaceId")?;
    let client = call.params.get("clientId").ok();
    let mut reads = vec![store::config_read(ws, client.unwrap_or_default())];
    if let Some(id) = client {
        reads.push(crate::agency::store::clients::one_read(ws, &call.caller()?.user_id, id));
    }
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    if client.is_some() {
        // A Client member reaches only the clients it is attached to: another's is 404.
        crate::agency::store::clients::one_of(answers.get(1).map_or(&[][..], Vec::as_slice))?;
    }
    let (workflow, configured) = match store::config_of(answers.first().map_or(&[][..], Vec::as_slice))? {
        Some(config) => (super::read(&config)?, true),
        None => (Workflow::default(), false),
    };
    Ok(json::ok(200, WorkflowView { workflow, client_id: client.map(str::to_string), configured }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)),
    responses((status = 200, description = "The client's own workflow (configured: false when the workspace's applies)", body = Envelope<WorkflowView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get_for_client(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    get(ctx, call).await
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/approval-workflow", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = Workflow,
    responses((status = 200, description = "Saved; applies to posts submitted from now on", body = Envelope<WorkflowView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners and admins only", body = ErrorEnvelope)))]
pub async fn put(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: Workflow = json::parse(&call.req.body)?;
    let member = call.member()?;
    let client = client_param(ctx, call).await?;
    let members: Vec<String> =
        crate::workspaces::members::list(ctx.db, &member.workspace_id).await?.into_iter().map(|m| m.user_id).collect();
    let workflow = super::parse(input, &members)?;
    let config = serde_json::to_string(&workflow).map_err(|e| AppError::Internal(e.to_string()))?;
    let before = show(ctx, &member.workspace_id, client.as_deref()).await?;
    let now = ctx.clock.now_ms();
    let key = client.clone().unwrap_or_default();
    let write = store::save(&member.workspace_id, &key, config, &call.caller()?.user_id, now);
    let view = WorkflowView { workflow, client_id: client, configured: true };
    let change = crate::activity::Change {
        action: "workflow.update",
        entity_type: "workflow",
        entity_id: if key.is_empty() { &member.workspace_id } else { &key },
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&view).ok(),
    };
    ctx.db.batch(&[write, crate::activity::record(ctx, call, &member.workspace_id, change)]).await?;
    Ok(json::ok(200, view))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", tag = "approvals", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("clientId" = String, Path)), request_body = Workflow,
    responses((status = 200, description = "Saved for this client's posts", body = Envelope<WorkflowView>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn put_for_client(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    put(ctx, call).await
}
