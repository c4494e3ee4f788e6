//! The approval workflow of a workspace, optionally overridden per client (SPEC AP-1): which
//! stages a post passes — none, internal, or internal then client — and, per stage, who
//! approves and whether any one of them or all of them must. Opening a post's review by it is
//! in `opening`; approvals and content build on this area.

pub mod handlers;
pub mod opening;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::permissions::Role;
use crate::error::{AppError, FieldError};
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
    effective_among(&store::configs(db, workspace_id, client_id.unwrap_or_default()).await?, client_id)
}

/// [`effective`] from stored (client id, config) pairs that include the workspace's own (`''`)
/// and the client's, when stored (`store::configs_reads` reads them for many clients at once).
pub fn effective_among(stored: &[(String, String)], client_id: Option<&str>) -> Result<Workflow, AppError> {
    let pick = |c: &str| stored.iter().find(|(of, _)| of == c);
    match client_id.and_then(pick).or_else(|| pick("")) {
        Some((_, config)) => read(config),
        None => Ok(Workflow::default()),
    }
}

/// A workflow as stored (JSON).
fn read(config: &str) -> Result<Workflow, AppError> {
    serde_json::from_str(config).map_err(|e| AppError::Internal(format!("stored workflow unreadable: {e}")))
}

/// The workflow that governs a post (or idea) of `client_id`, as [`effective`] answers, and
/// every member with their role and whether they are attached to that client, as
/// [`store::members_for_of`] answers: one round trip.
pub async fn governing(
    db: &dyn Sql,
    workspace_id: &str,
    client_id: Option<&str>,
) -> Result<(Workflow, Vec<(String, Role, bool)>), AppError> {
    let client = client_id.unwrap_or_default();
    let reads = [store::configs_for_read(workspace_id, client), store::members_for_read(workspace_id, client)];
    let mut answers = db.reads(&reads).await?.into_iter();
    let (configs, members) = (answers.next().unwrap_or_default(), answers.next().unwrap_or_default());
    Ok((effective_among(&store::configs_of(&configs)?, client_id)?, store::members_for_of(&members)?))
}

/// Who may decide a stage with `approvers`, among `members` (user id, role, attached to the
/// post's client: [`governing`] reads them).
pub fn eligible_among(
    members: Vec<(String, Role, bool)>,
    approvers: &StageApprovers,
    client_stage: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for (user, role, attached) in members {
        // A Client member decides only for the clients it is attached to.
        if role == Role::Client && !attached {
            continue;
        }
        if !client_stage && role == Role::Client {
            continue;
        }
        if approvers.roles.contains(&role) || approvers.user_ids.contains(&user) {
            out.push(user);
        }
    }
    out
}

pub fn parse(input: Workflow, members: &[String]) -> Result<Workflow, AppError> {
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

use crate::route;

/// The approval workflow settings, the workspace's and each client's.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "workflows",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/approval-workflow", getWorkflow, Workspace(WorkspaceRead), handlers::get).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/approval-workflow", putWorkflow, Workspace(WorkflowManage), handlers::put).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", getClientWorkflow, Workspace(WorkspaceRead), handlers::get_for_client).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow", putClientWorkflow, Workspace(WorkflowManage), handlers::put_for_client).trips(5),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};
