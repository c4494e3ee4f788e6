//! The only SQL on `clients` and `client_members`.

use crate::agency::model::clients::ClientView;
use crate::api::paging::{self, ByKey, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

fn decode(r: &Row) -> Result<ClientView, AppError> {
    Ok(ClientView {
        id: r.text("id")?,
        name: r.text("name")?,
        website: r.opt_text("website")?,
        industry: r.opt_text("industry")?,
        brand_profile: serde_json::from_value(r.json("brand_profile")?).unwrap_or_default(),
        archived: r.opt_int("archived_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

const COLUMNS: &str = "id, name, website, industry, brand_profile, archived_at, created_at, updated_at";
const VISIBLE: &str = crate::client_visible!("id", "?2");
/// What `?2`, the caller, sees of the clients of `?1`, before their role is known.
const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("id", "?1", "?2");

/// A client of the workspace the caller may see, or 404.
pub async fn visible(
    db: &dyn Sql,
    workspace_id: &str,
    limit_to: &str,
    client_id: &str,
) -> Result<ClientView, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3");
    let row = db.query_one(&sql, &params![workspace_id, limit_to, client_id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("client"))?)
}

/// The read of client `id` as `viewer` may see it, to send with the membership check in one
/// round trip; [`one_of`] reads its answer.
pub fn one_read(workspace_id: &str, viewer: &str, client_id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3"),
        params![workspace_id, viewer, client_id],
    )
}

/// The client [`one_read`] found, or 404.
pub fn one_of(rows: &[Row]) -> Result<ClientView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("client"))?)
}

/// The read of the client a row of `table` (a table with `workspace_id` and `client_id`: a
/// content block, a campaign) belongs to, whatever the caller's wall (the row was found behind
/// it), to send with the row's own read in one round trip; [`one_of`] reads its answer.
pub fn owner_of_read(workspace_id: &str, table: &'static str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 \
             AND id = (SELECT client_id FROM {table} WHERE workspace_id = ?1 AND id = ?2)"
        ),
        params![workspace_id, id],
    )
}

/// For references from other resources: the client exists in the workspace and is active.
pub async fn ensure_active(db: &dyn Sql, workspace_id: &str, client_id: &str) -> Result<(), String> {
    let row = db
        .query_one(
            "SELECT id FROM clients WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
            &params![workspace_id, client_id],
        )
        .await
        .map_err(|_| "could not be checked".to_string())?;
    row.map(|_| ()).ok_or_else(|| "is not an active client of this workspace".to_string())
}

/// The reads that find which of `ids` are active clients of the workspace, to send with
/// others in one round trip (`Sql::reads`); [`ids_of`] reads their answers.
pub fn active_among(workspace_id: &str, ids: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&params![workspace_id], ids, |list| {
        format!("SELECT id FROM clients WHERE workspace_id = ?1 AND archived_at IS NULL AND id IN ({list})")
    })
}

/// The ids [`active_among`]'s reads found.
pub fn ids_of(rows: &[Row]) -> Result<Vec<String>, AppError> {
    Ok(rows.iter().map(|r| r.text("id")).collect::<Result<_, _>>()?)
}

/// The read of one page of the clients by name that `viewer` may see (sent in the same round trip
/// as its membership check), after `paging`'s (name, id); [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, viewer: &str, archived: bool, paging: &ByKey) -> Statement {
    let (name, after) = paging.after.clone().unwrap_or_default();
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM clients WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} \
             AND (?3 = 1 OR archived_at IS NULL) AND (?4 = '' OR name > ?5 OR (name = ?5 AND id > ?4)) \
             ORDER BY name, id LIMIT ?6"
        ),
        params![workspace_id, viewer, i64::from(archived), after, name, paging.limit + 1],
    )
}

/// The page [`page_read`] found.
pub fn page_of(rows: &[Row], paging: &ByKey) -> Result<Page<ClientView>, AppError> {
    let (items, next_cursor) =
        paging::page(rows, paging.limit, decode, |r| Ok(paging::keyed(&r.text("name")?, &r.text("id")?)))?;
    Ok(Page { items, next_cursor })
}

fn profile_text(c: &ClientView) -> Result<String, AppError> {
    serde_json::to_string(&c.brand_profile).map_err(|e| AppError::Internal(e.to_string()))
}

pub fn insert(workspace_id: &str, c: &ClientView, now_ms: i64) -> Result<Statement, AppError> {
    Ok(Statement::new(
        "INSERT INTO clients (id, workspace_id, name, website, industry, brand_profile, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            c.id.as_str(),
            workspace_id,
            c.name.as_str(),
            c.website.clone(),
            c.industry.clone(),
            profile_text(c)?,
            now_ms
        ],
    ))
}

pub fn update(workspace_id: &str, c: &ClientView, now_ms: i64) -> Result<Statement, AppError> {
    Ok(Statement::new(
        "UPDATE clients SET name = ?3, website = ?4, industry = ?5, brand_profile = ?6, updated_at = ?7 \
         WHERE workspace_id = ?1 AND id = ?2",
        params![
            workspace_id,
            c.id.as_str(),
            c.name.as_str(),
            c.website.clone(),
            c.industry.clone(),
            profile_text(c)?,
            now_ms
        ],
    ))
}

pub fn archive(workspace_id: &str, client_id: &str, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE clients SET archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
        params![workspace_id, client_id, now_ms],
    )
}

/// Whether `user_id` is attached to the client.
pub async fn is_attached(db: &dyn Sql, workspace_id: &str, client_id: &str, user_id: &str) -> Result<bool, AppError> {
    let row = db
        .query_one(
            "SELECT user_id FROM client_members WHERE workspace_id = ?1 AND client_id = ?2 AND user_id = ?3",
            &params![workspace_id, client_id, user_id],
        )
        .await?;
    Ok(row.is_some())
}

/// Attaching twice is harmless.
pub fn attach(workspace_id: &str, client_id: &str, user_id: &str, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO client_members (workspace_id, client_id, user_id, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (client_id, user_id) DO NOTHING",
        params![workspace_id, client_id, user_id, now_ms],
    )
}

pub fn detach(workspace_id: &str, client_id: &str, user_id: &str) -> Statement {
    Statement::new(
        "DELETE FROM client_members WHERE workspace_id = ?1 AND client_id = ?2 AND user_id = ?3",
        params![workspace_id, client_id, user_id],
    )
}
