//! The only SQL on `personas`.

use crate::agency::model::personas::PersonaView;
use crate::api::paging::{self, ByKey, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

fn decode(r: &Row) -> Result<PersonaView, AppError> {
    Ok(PersonaView {
        id: r.text("id")?,
        name: r.text("name")?,
        client_id: r.opt_text("client_id")?,
        profile: serde_json::from_value(r.json("profile")?).unwrap_or_default(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

const VISIBLE: &str = crate::client_visible!("client_id", "?2");

/// A persona of the workspace the caller may see, or 404.
pub async fn visible(db: &dyn Sql, workspace_id: &str, limit_to: &str, id: &str) -> Result<PersonaView, AppError> {
    let sql = format!(
        "SELECT id, name, client_id, profile, created_at, updated_at FROM personas \
         WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3"
    );
    let row = db.query_one(&sql, &params![workspace_id, limit_to, id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("persona"))?)
}

/// What `?2`, the caller, sees of the personas of `?1`, before their role is known.
const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("client_id", "?1", "?2");

/// The read of persona `id` as `viewer` may see it, to send with the membership check in one
/// round trip; [`one_of`] reads its answer.
pub fn one_read(workspace_id: &str, viewer: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT id, name, client_id, profile, created_at, updated_at FROM personas \
             WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3"
        ),
        params![workspace_id, viewer, id],
    )
}

/// The persona [`one_read`] found, or 404.
pub fn one_of(rows: &[Row]) -> Result<PersonaView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("persona"))?)
}

/// The read of one page of personas by name that `viewer` may see, of one client when `client`
/// is not empty, after `paging`'s (name, id); [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, viewer: &str, client: &str, paging: &ByKey) -> Statement {
    let (name, after) = paging.after.clone().unwrap_or_default();
    Statement::new(
        format!(
            "SELECT id, name, client_id, profile, created_at, updated_at FROM personas \
             WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND (?3 = '' OR client_id = ?3) \
             AND (?4 = '' OR name > ?5 OR (name = ?5 AND id > ?4)) ORDER BY name, id LIMIT ?6"
        ),
        params![workspace_id, viewer, client, after, name, paging.limit + 1],
    )
}

/// The page [`page_read`] found.
pub fn page_of(rows: &[Row], paging: &ByKey) -> Result<Page<PersonaView>, AppError> {
    let (items, next_cursor) =
        paging::page(rows, paging.limit, decode, |r| Ok(paging::keyed(&r.text("name")?, &r.text("id")?)))?;
    Ok(Page { items, next_cursor })
}

fn profile_text(p: &PersonaView) -> Result<String, AppError> {
    serde_json::to_string(&p.profile).map_err(|e| AppError::Internal(e.to_string()))
}

pub fn insert(workspace_id: &str, p: &PersonaView, now_ms: i64) -> Result<Statement, AppError> {
    Ok(Statement::new(
        "INSERT INTO personas (id, workspace_id, client_id, name, profile, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![p.id.as_str(), workspace_id, p.client_id.clone(), p.name.as_str(), profile_text(p)?, now_ms],
    ))
}

pub fn update(workspace_id: &str, p: &PersonaView, now_ms: i64) -> Result<Statement, AppError> {
    Ok(Statement::new(
        "UPDATE personas SET name = ?3, profile = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, p.id.as_str(), p.name.as_str(), profile_text(p)?, now_ms],
    ))
}

pub fn delete(workspace_id: &str, id: &str) -> Statement {
    Statement::new("DELETE FROM personas WHERE workspace_id = ?1 AND id = ?2", params![workspace_id, id])
}
