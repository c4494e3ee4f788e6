//! The area's store: the only SQL on `workspaces` (here), `memberships` (`members`) and
//! `invites` (`invites`). Every read of a workspace names the caller, so a workspace one does
//! not belong to is simply not found.

pub mod invites;
pub mod members;

use serde_json::{Map, Value as Json};

use super::model::WorkspaceView;
use super::permissions::Role;
use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};
use crate::validate::rfc3339;

const SELECT: &str = "SELECT w.id AS id, w.name AS name, w.timezone AS timezone, w.status AS status, \
     w.branding AS branding, w.settings AS settings, w.created_at AS created_at, \
     w.updated_at AS updated_at, m.role AS role \
     FROM workspaces w JOIN memberships m ON m.workspace_id = w.id";

fn object(row: &Row, col: &str) -> Result<Map<String, Json>, DbError> {
    Ok(match row.json(col)? {
        Json::Object(m) => m,
        _ => Map::new(),
    })
}

pub fn role_of(row: &Row) -> Result<Role, AppError> {
    Role::parse(&row.text("role")?).ok_or_else(|| AppError::Internal("stored role is unknown".into()))
}

fn decode(row: &Row) -> Result<WorkspaceView, AppError> {
    Ok(WorkspaceView {
        id: row.text("id")?,
        name: row.text("name")?,
        timezone: row.text("timezone")?,
        status: row.text("status")?,
        branding: object(row, "branding")?,
        settings: object(row, "settings")?,
        role: role_of(row)?,
        created_at: rfc3339(row.int("created_at")?),
        updated_at: rfc3339(row.int("updated_at")?),
    })
}

pub struct NewWorkspace<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub timezone: &'a str,
    pub branding: String,
    pub settings: String,
    pub owner_id: &'a str,
    pub now_ms: i64,
}

/// The workspace and its first owner, atomically.
pub fn create(w: NewWorkspace<'_>) -> [Statement; 2] {
    [
        Statement::new(
            "INSERT INTO workspaces (id, name, timezone, status, branding, settings, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7, ?7)",
            params![w.id, w.name, w.timezone, w.branding, w.settings, w.owner_id, w.now_ms],
        ),
        Statement::new(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at) VALUES (?1, ?2, 'owner', ?3, ?3)",
            params![w.id, w.owner_id, w.now_ms],
        ),
    ]
}

pub async fn list_for(db: &dyn Sql, user_id: &str) -> Result<Vec<WorkspaceView>, AppError> {
    let sql = format!("{SELECT} WHERE m.user_id = ?1 AND w.archived_at IS NULL ORDER BY w.created_at, w.id");
    db.query(&sql, &params![user_id]).await?.iter().map(decode).collect()
}

pub async fn get_for(db: &dyn Sql, workspace_id: &str, user_id: &str) -> Result<WorkspaceView, AppError> {
    let read = get_for_read(workspace_id, user_id);
    view_of(&db.query(&read.sql, &read.params).await?)
}

/// The read behind [`get_for`], to send with others in one round trip (`Sql::reads`).
pub fn get_for_read(workspace_id: &str, user_id: &str) -> Statement {
    Statement::new(
        format!("{SELECT} WHERE w.id = ?1 AND m.user_id = ?2 AND w.archived_at IS NULL"),
        params![workspace_id, user_id],
    )
}

/// What [`get_for_read`] answered: the workspace, or 404.
pub fn view_of(rows: &[Row]) -> Result<WorkspaceView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("workspace"))?)
}

pub struct WorkspaceChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub branding: Option<String>,
    pub settings: Option<String>,
}

pub fn update(workspace_id: &str, c: WorkspaceChange, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE workspaces SET name = COALESCE(?2, name), timezone = COALESCE(?3, timezone), \
         branding = COALESCE(?4, branding), settings = COALESCE(?5, settings), updated_at = ?6 \
         WHERE id = ?1 AND archived_at IS NULL",
        params![workspace_id, c.name, c.timezone, c.branding, c.settings, now_ms],
    )
}

/// The archive and a guard that fails the batch when the workspace was already archived.
pub fn archive(workspace_id: &str, now_ms: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE workspaces SET status = 'archived', archived_at = ?2, updated_at = ?2 \
             WHERE id = ?1 AND archived_at IS NULL",
            params![workspace_id, now_ms],
        ),
        Statement::guard("SELECT 1 FROM workspaces WHERE id = ?1 AND archived_at = ?2", params![workspace_id, now_ms]),
    ]
}

/// What erasing a workspace checks first: its name, and a paid plan still running at the
/// payment provider (`provider_subscription` while not cancelled).
pub fn erase_reads(workspace_id: &str) -> [Statement; 2] {
    [
        Statement::new("SELECT name FROM workspaces WHERE id = ?1 AND archived_at IS NULL", params![workspace_id]),
        Statement::new(
            "SELECT provider_subscription FROM subscriptions WHERE workspace_id = ?1 \
             AND provider_subscription IS NOT NULL AND status <> 'cancelled'",
            params![workspace_id],
        ),
    ]
}

use crate::privacy::store as erasure;

/// The erasure of a workspace: its files queued for deletion from storage and its platform
/// grants for revocation, then the workspace, whose every row (members, clients, posts, media,
/// accounts with their sealed credentials, review links, publications, the activity log, the
/// subscription) goes with it.
pub fn erase(workspace_id: &str, now_ms: i64) -> [Statement; 3] {
    [
        Statement::new(
            "INSERT INTO object_purges (object_key, queued_at) SELECT object_key, ?2 FROM media_assets \
             WHERE workspace_id = ?1 ON CONFLICT (object_key) DO NOTHING",
            params![workspace_id, now_ms],
        ),
        Statement::new(
            format!("{} WHERE workspace_id = ?1 {}", erasure::QUEUE_REVOCATIONS, erasure::AND_CONNECTED),
            params![workspace_id, now_ms],
        ),
        Statement::new("DELETE FROM workspaces WHERE id = ?1", params![workspace_id]),
    ]
}

/// The role of `user_id` in the workspace, if a member.
pub async fn role_in(db: &dyn Sql, workspace_id: &str, user_id: &str) -> Result<Option<Role>, AppError> {
    let read = role_read(workspace_id, user_id);
    db.query(&read.sql, &read.params).await?.first().map(role_of).transpose()
}

/// [`role_in`]'s read, to send with others in one round trip (`role_of` reads a row).
pub fn role_read(workspace_id: &str, user_id: &str) -> Statement {
    Statement::new(
        "SELECT role FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
        params![workspace_id, user_id],
    )
}

/// The read that answers a row when the workspace exists and is not archived, to send with
/// others in one round trip.
pub fn live_read(workspace_id: &str) -> Statement {
    Statement::new("SELECT id FROM workspaces WHERE id = ?1 AND archived_at IS NULL", params![workspace_id])
}

/// Whether the workspace keeps no post bodies (privacy mode on).
pub async fn privacy_mode(db: &dyn Sql, workspace_id: &str) -> Result<bool, AppError> {
    privacy_mode_of(&db.query(&privacy_mode_read(workspace_id).sql, &params![workspace_id]).await?)
}

/// The read behind [`privacy_mode`], to send with others in one round trip (`Sql::reads`).
pub fn privacy_mode_read(workspace_id: &str) -> Statement {
    Statement::new("SELECT settings FROM workspaces WHERE id = ?1", params![workspace_id])
}

/// What [`privacy_mode_read`] answered.
pub fn privacy_mode_of(rows: &[Row]) -> Result<bool, AppError> {
    Ok(rows.first().map(|r| r.json("settings")).transpose()?.is_some_and(|s| s["privacyMode"] == Json::Bool(true)))
}

/// [`name_and_timezone`]'s read, to send with others in one round trip; [`timezone_of`] reads
/// the time zone from its answer.
pub fn name_and_timezone_read(workspace_id: &str) -> Statement {
    Statement::new("SELECT name, timezone, branding FROM workspaces WHERE id = ?1", params![workspace_id])
}

/// The name and the white-label brand [`name_and_timezone_read`] found (what clients see).
pub fn brand_of(rows: &[Row]) -> Result<Option<(String, crate::workspaces::branding::Brand)>, AppError> {
    let Some(row) = rows.first() else { return Ok(None) };
    let brand = crate::workspaces::branding::Brand::from_text(&row.opt_text("branding")?.unwrap_or_default());
    Ok(Some((row.text("name")?, brand)))
}

/// The time zone [`name_and_timezone_read`] found, if the workspace was.
pub fn timezone_of(rows: &[Row]) -> Result<Option<String>, AppError> {
    Ok(rows.first().map(|r| r.text("timezone")).transpose()?)
}

/// The workspace's name and time zone, whoever asks (a template renders them).
pub async fn name_and_timezone(db: &dyn Sql, workspace_id: &str) -> Result<Option<(String, String)>, AppError> {
    let read = name_and_timezone_read(workspace_id);
    let row = db.query(&read.sql, &read.params).await?.into_iter().next();
    Ok(row.map(|r| Ok::<_, DbError>((r.text("name")?, r.text("timezone")?))).transpose()?)
}
