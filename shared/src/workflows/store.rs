//! The only SQL on `approval_workflows`, and the statements that open and cancel a post's
//! review requests (`approval_requests`, which approvals then decides), so that content can
//! open or restart a review without importing approvals.

use crate::api::permissions::Role;
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};

/// The workspace's own workflow (client `''`) and `client_id`'s, as stored: (client, config).
pub async fn configs(db: &dyn Sql, workspace_id: &str, client_id: &str) -> Result<Vec<(String, String)>, AppError> {
    let read = configs_for_read(workspace_id, client_id);
    configs_of(&db.query(&read.sql, &read.params).await?)
}

/// [`configs`]' read, to send with others in one round trip; [`configs_of`] reads its answer.
pub fn configs_for_read(workspace_id: &str, client_id: &str) -> Statement {
    Statement::new(
        "SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 AND (client_id = '' OR client_id = ?2)",
        params![workspace_id, client_id],
    )
}

/// The workflows stored for the workspace and for post `post_id`'s client (through the post, so
/// it goes with the post's own read in one round trip); [`configs_of`] reads its answer.
pub fn configs_for_post_read(workspace_id: &str, post_id: &str) -> Statement {
    Statement::new(
        "SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 AND (client_id = '' \
         OR client_id = (SELECT client_id FROM posts WHERE workspace_id = ?1 AND id = ?2))",
        params![workspace_id, post_id],
    )
}

/// The reads of the workflows stored for the workspace and for the clients `client_ids`, to send
/// with others in one round trip (`Sql::reads`); [`configs_of`] reads their answers, together.
pub fn configs_reads(workspace_id: &str, client_ids: &[String]) -> Vec<Statement> {
    let ws = params![workspace_id];
    let mut reads = vec![Statement::new(
        "SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 AND client_id = ''",
        ws.clone(),
    )];
    reads.extend(crate::sql::in_chunks(&ws, client_ids, |list| {
        format!("SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 AND client_id IN ({list})")
    }));
    reads
}

/// The (client id, config) pairs [`configs_reads`] found.
pub fn configs_of(rows: &[Row]) -> Result<Vec<(String, String)>, AppError> {
    rows.iter().map(|r| Ok((r.text("client_id")?, r.text("config")?))).collect()
}

/// The workflow stored for exactly `client_id` (`''`: the workspace's own).
pub async fn config(db: &dyn Sql, workspace_id: &str, client_id: &str) -> Result<Option<String>, AppError> {
    let rows = db.reads(&[config_read(workspace_id, client_id)]).await?;
    config_of(rows.first().map_or(&[][..], Vec::as_slice))
}

/// The read of the workflow stored for `client_id` (`''`: the workspace's own), to send with
/// others in one round trip; [`config_of`] reads its answer.
pub fn config_read(workspace_id: &str, client_id: &str) -> Statement {
    Statement::new(
        "SELECT config FROM approval_workflows WHERE workspace_id = ?1 AND client_id = ?2",
        params![workspace_id, client_id],
    )
}

/// The stored workflow [`config_read`] found, if any.
pub fn config_of(rows: &[Row]) -> Result<Option<String>, AppError> {
    Ok(rows.first().map(|r| r.text("config")).transpose()?)
}

/// Stores the workflow of `client_id` (`''`: the workspace's own), replacing any.
pub fn save(workspace_id: &str, client_id: &str, config: String, updated_by: &str, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO approval_workflows (workspace_id, client_id, config, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace_id, client_id) DO UPDATE SET config = excluded.config, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
        params![workspace_id, client_id, config, updated_by, now],
    )
}

/// The read of the workflows stored for the workspace and for the clients `clients` selects (a
/// `SELECT` of client ids over `values`, `?1` being the workspace); [`configs_of`] reads its answer.
pub fn configs_among_read(clients: &str, values: Vec<Value>) -> Statement {
    Statement::new(
        format!(
            "SELECT client_id, config FROM approval_workflows WHERE workspace_id = ?1 \
             AND (client_id = '' OR client_id IN ({clients}))"
        ),
        values,
    )
}

/// The reads of what decides who may approve posts of the clients `clients` selects (a
/// `SELECT` of client ids over `values`, `?1` being the workspace): the workflows stored for the
/// workspace and those clients, every member with their role, and which of them are attached to
/// those clients, to send with others in one round trip. [`configs_of`] reads the first answer,
/// [`members_among`] the two others.
pub fn governing_reads(clients: &str, values: Vec<Value>) -> [Statement; 3] {
    let workspace: Vec<Value> = values.first().cloned().into_iter().collect();
    [
        configs_among_read(clients, values.clone()),
        Statement::new("SELECT user_id, role FROM memberships WHERE workspace_id = ?1 ORDER BY user_id", workspace),
        Statement::new(
            format!(
                "SELECT user_id, client_id FROM client_members WHERE workspace_id = ?1 AND client_id IN ({clients})"
            ),
            values,
        ),
    ]
}

/// [`configs_among_read`] for post `post_id`'s client (through the post, by subquery).
pub fn configs_of_post_read(workspace_id: &str, post_id: &str) -> Statement {
    configs_among_read(
        "SELECT client_id FROM posts WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, post_id],
    )
}

/// [`governing_reads`] for post `post_id`'s client (through the post, by subquery).
pub fn governing_post_reads(workspace_id: &str, post_id: &str) -> [Statement; 3] {
    governing_reads("SELECT client_id FROM posts WHERE workspace_id = ?1 AND id = ?2", params![workspace_id, post_id])
}

/// [`governing_reads`] for idea `idea_id`'s client (through the idea, by subquery).
pub fn governing_idea_reads(workspace_id: &str, idea_id: &str) -> [Statement; 3] {
    governing_reads("SELECT client_id FROM ideas WHERE workspace_id = ?1 AND id = ?2", params![workspace_id, idea_id])
}

/// From what [`governing_reads`] found: each member (user id, role, attached to `client_id`), as
/// [`members_for_of`] answers.
pub fn members_among(
    members: &[Row],
    attachments: &[Row],
    client_id: &str,
) -> Result<Vec<(String, Role, bool)>, AppError> {
    members
        .iter()
        .map(|r| {
            let user = r.text("user_id")?;
            let role =
                Role::parse(&r.text("role")?).ok_or_else(|| AppError::Internal("stored role is unknown".into()))?;
            let attached = attachments.iter().any(|a| {
                a.text("user_id").is_ok_and(|u| u == user) && a.text("client_id").is_ok_and(|c| c == client_id)
            });
            Ok((user, role, attached))
        })
        .collect()
}

/// The read of every member of the workspace with their role and whether they are attached to
/// `client_id`, to send with others in one round trip; [`members_for_of`] reads its answer.
pub fn members_for_read(workspace_id: &str, client_id: &str) -> Statement {
    Statement::new(
        "SELECT m.user_id AS user_id, m.role AS role, \
         CASE WHEN EXISTS (SELECT 1 FROM client_members c WHERE c.workspace_id = m.workspace_id \
              AND c.user_id = m.user_id AND c.client_id = ?2) THEN 1 ELSE 0 END AS attached \
         FROM memberships m WHERE m.workspace_id = ?1 ORDER BY m.user_id",
        params![workspace_id, client_id],
    )
}

/// The members [`members_for_read`] found.
pub fn members_for_of(rows: &[Row]) -> Result<Vec<(String, Role, bool)>, AppError> {
    rows.iter()
        .map(|r| {
            let role =
                Role::parse(&r.text("role")?).ok_or_else(|| AppError::Internal("stored role is unknown".into()))?;
            Ok((r.text("user_id")?, role, r.int("attached")? == 1))
        })
        .collect()
}

/// A pending review request for one stage of a post's version.
pub struct NewRequest<'a> {
    pub id: String,
    pub workspace_id: &'a str,
    pub post_id: &'a str,
    pub stage: &'a str,
    pub rule: &'a str,
    /// JSON list of user ids.
    pub approvers: String,
    pub post_version: i64,
    pub submitter: &'a str,
    pub now: i64,
}

pub fn open_request(r: NewRequest<'_>) -> Statement {
    Statement::new(
        "INSERT INTO approval_requests (id, workspace_id, post_id, stage, status, rule, approvers, post_version, \
         submitted_by, created_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9)",
        params![r.id, r.workspace_id, r.post_id, r.stage, r.rule, r.approvers, r.post_version, r.submitter, r.now],
    )
}

/// Cancels the post's pending requests (its review starts again).
pub fn cancel_pending(workspace_id: &str, post_id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE approval_requests SET status = 'cancelled', closed_at = ?3 \
         WHERE workspace_id = ?1 AND post_id = ?2 AND status = 'pending'",
        params![workspace_id, post_id, now],
    )
}
