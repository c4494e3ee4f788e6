//! The approval workflow of a workspace, optionally overridden per client (SPEC AP-1): which
//! stages a post passes — none, internal, or internal then client — and, per stage, who
//! approves and whether any one of them or all of them must. Opening a post's review by it is
//! in `opening`; approvals and content build on this area.

pub mod opening;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::Sql;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stages {
    /// Submitting approves at once.
    None,
    Internal,
    InternalThenClient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// One approval closes the stage.
    Any,
    /// Every approver named when the stage opened must approve.
    All,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Any => "any",
            Rule::All => "all",
        }
    }
}

/// Who approves one stage: members holding any of `roles`, and the members named in `userIds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StageApprovers {
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub user_ids: Vec<String>,
    #[serde(default = "any")]
    pub rule: Rule,
}

fn any() -> Rule {
    Rule::Any
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Workflow {
    pub stages: Stages,
    /// Defaults to owners, admins and editors, any one of them.
    #[serde(default = "default_internal")]
    pub internal: StageApprovers,
    /// Defaults to the Client members attached to the post's client, any one of them.
    #[serde(default = "default_client")]
    pub client: StageApprovers,
    /// May the author of a post (or whoever submitted it) approve it?
    #[serde(default)]
    pub allow_self_approval: bool,
}

fn default_internal() -> StageApprovers {
    StageApprovers { roles: vec![Role::Owner, Role::Admin, Role::Editor], user_ids: Vec::new(), rule: Rule::Any }
}

fn default_client() -> StageApprovers {
    StageApprovers { roles: vec![Role::Client], user_ids: Vec::new(), rule: Rule::Any }
}

impl Default for Workflow {
    /// Without a workflow, posts need no approval.
    fn default() -> Self {
        Workflow {
            stages: Stages::None,
            internal: default_internal(),
            client: default_client(),
            allow_self_approval: false,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowView {
    #[serde(flatten)]
    pub workflow: Workflow,
    /// The client this workflow is for; none for the workspace's own.
    pub client_id: Option<String>,
    /// False when nothing was configured and the default (no approval) applies.
    pub configured: bool,
}

/// The workflow that governs a post of `client_id`: the client's own, else the workspace's.
pub async fn effective(db: &dyn Sql, workspace_id: &str, client_id: Option<&str>) -> Result<Workflow, AppError> {
    let rows = db
        .query(
            "SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 AND (client_id = '' OR client_id = ?2)",
            &params![workspace_id, client_id.unwrap_or_default()],
        )
        .await?;
    let pick = |c: &str| rows.iter().find(|r| r.text("client_id").is_ok_and(|x| x == c));
    let row = client_id.and_then(pick).or_else(|| pick(""));
    match row {
        Some(r) => serde_json::from_str(&r.text("config")?)
            .map_err(|e| AppError::Internal(format!("stored workflow unreadable: {e}"))),
        None => Ok(Workflow::default()),
    }
}

/// The members of `workspace_id` who may decide `approvers` for a post of `client_id`.
pub async fn eligible(
    db: &dyn Sql,
    workspace_id: &str,
    approvers: &StageApprovers,
    client_stage: bool,
    client_id: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let rows = db
        .query(
            "SELECT m.user_id AS user_id, m.role AS role, \
             CASE WHEN EXISTS (SELECT 1 FROM client_members c WHERE c.workspace_id = m.workspace_id \
                  AND c.user_id = m.user_id AND c.client_id = ?2) THEN 1 ELSE 0 END AS attached \
             FROM memberships m WHERE m.workspace_id = ?1 ORDER BY m.user_id",
            &params![workspace_id, client_id.unwrap_or_default()],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let user = r.text("user_id")?;
        let role = Role::parse(&r.text("role")?).ok_or_else(|| AppError::Internal("stored role is unknown".into()))?;
        // A Client member decides only for the clients it is attached to.
        if role == Role::Client && r.int("attached")? != 1 {
            continue;
        }
        if !client_stage && role == Role::Client {
            continue;
        }
        if approvers.roles.contains(&role) || approvers.user_ids.contains(&user) {
            out.push(user);
        }
    }
    Ok(out)
}

fn parse(input: Workflow, members: &[String]) -> Result<Workflow, AppError> {
    let mut errors = Vec::new();
    for (name, stage) in [("internal", &input.internal), ("client", &input.client)] {
        for (i, id) in stage.user_ids.iter().enumerate() {
            if !members.contains(id) {
                errors.push(FieldError::new(format!("{name}.userIds[{i}]"), "is not a member of this workspace"));
            }
        }
        if stage.roles.is_empty() && stage.user_ids.is_empty() {
            errors.push(FieldError::new(name, "must name approvers by role or by member"));
        }
    }
    if input.internal.roles.contains(&Role::Client) {
        errors.push(FieldError::new("internal.roles", "the client role approves only at the client stage"));
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AppError::Validation(errors))
    }
}

async fn show(ctx: &Context<'_>, workspace_id: &str, client_id: Option<&str>) -> Result<WorkflowView, AppError> {
    let row = ctx
        .db
        .query_one(
            "SELECT config FROM approval_workflows WHERE workspace_id = ?1 AND client_id = ?2",
            &params![workspace_id, client_id.unwrap_or_default()],
        )
        .await?;
    let (workflow, configured) = match row {
        Some(r) => (
            serde_json::from_str(&r.text("config")?)
                .map_err(|e| AppError::Internal(format!("stored workflow unreadable: {e}")))?,
            true,
        ),
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
    let client = client_param(ctx, call).await?;
    Ok(json::ok(200, show(ctx, &call.member()?.workspace_id, client.as_deref()).await?))
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
    let workflow = parse(input, &members)?;
    let config = serde_json::to_string(&workflow).map_err(|e| AppError::Internal(e.to_string()))?;
    let before = show(ctx, &member.workspace_id, client.as_deref()).await?;
    let now = ctx.clock.now_ms();
    let key = client.clone().unwrap_or_default();
    let write = crate::sql::Statement::new(
        "INSERT INTO approval_workflows (workspace_id, client_id, config, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id, client_id) DO UPDATE SET config = excluded.config, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
        params![member.workspace_id.as_str(), key.as_str(), config, call.caller()?.user_id.as_str(), now],
    );
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

use crate::route;

/// The approval workflow settings, the workspace's and each client's.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "workflows",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/approval-workflow", getWorkflow, Workspace(WorkspaceRead), get),
        route!(PUT "/api/v1/workspaces/{workspaceId}/approval-workflow", putWorkflow, Workspace(WorkflowManage), put),
        route!(GET "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", getClientWorkflow, Workspace(WorkspaceRead), get_for_client),
        route!(PUT "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", putClientWorkflow, Workspace(WorkflowManage), put_for_client),
    ],
    inputs: &[],
};
