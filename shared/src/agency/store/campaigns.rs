//! The only SQL on `campaigns`.

use crate::agency::model::campaigns::{Budget, CampaignView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};
use crate::validate::rfc3339;

const COLUMNS: &str = "id, name, client_id, objective, start_date, end_date, budget_cents, currency, brand_tone, \
     themes, target_platforms, posts_planned, reels_planned, status, created_by, created_at, updated_at";
const VISIBLE: &str = crate::client_visible!("client_id", "?2");
/// What `?2`, the caller, sees of the campaigns of `?1`, before their role is known.
const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("client_id", "?1", "?2");

fn decode(r: &Row) -> Result<CampaignView, AppError> {
    let list =
        |col: &str| -> Result<Vec<String>, AppError> { Ok(serde_json::from_value(r.json(col)?).unwrap_or_default()) };
    let budget = match (r.opt_int("budget_cents")?, r.opt_text("currency")?) {
        (Some(amount_cents), Some(currency)) => Some(Budget { amount_cents, currency }),
        _ => None,
    };
    Ok(CampaignView {
        id: r.text("id")?,
        name: r.text("name")?,
        client_id: r.opt_text("client_id")?,
        objective: r.opt_text("objective")?,
        start_date: r.opt_text("start_date")?,
        end_date: r.opt_text("end_date")?,
        budget,
        brand_tone: r.opt_text("brand_tone")?,
        themes: list("themes")?,
        target_platforms: list("target_platforms")?,
        posts_planned: r.int("posts_planned")?,
        reels_planned: r.int("reels_planned")?,
        status: r.text("status")?,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// A campaign of the workspace the caller may see, or 404.
pub async fn visible(db: &dyn Sql, workspace_id: &str, limit_to: &str, id: &str) -> Result<CampaignView, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE} AND id = ?3");
    decode(
        &db.query_one(&sql, &params![workspace_id, limit_to, id])
            .await?
            .ok_or_else(|| AppError::not_found("campaign"))?,
    )
}

/// The read of campaign `id` as the caller `viewer` may see it, to send with the membership
/// check in one round trip; [`decode_all`] reads its answer.
pub fn one_read(workspace_id: &str, viewer: &str, id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3"),
        params![workspace_id, viewer, id],
    )
}

/// The campaign [`one_read`] found, or 404.
pub fn one_of(rows: &[Row]) -> Result<CampaignView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("campaign"))?)
}

/// The reads that find which of `ids` are campaigns of the workspace the caller (limited to
/// `limit_to`'s clients when not empty) may see, to send with others in one round trip
/// (`Sql::reads`); [`decode_all`] reads their answers.
pub fn visible_among(workspace_id: &str, limit_to: &str, ids: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&params![workspace_id, limit_to], ids, |list| {
        format!("SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE} AND id IN ({list})")
    })
}

/// The campaigns [`visible_among`]'s reads found.
pub fn decode_all(rows: &[Row]) -> Result<Vec<CampaignView>, AppError> {
    rows.iter().map(decode).collect()
}

/// What a campaign list asks for; an empty text asks for nothing.
pub struct CampaignFilter {
    /// Archived campaigns are listed only when this asks for them.
    pub status: String,
    pub client_id: String,
    /// The last id of the page before.
    pub cursor: String,
    pub limit: i64,
}

/// The read of the campaigns `viewer` may see (sent in the same round trip as its membership
/// check), newest first, one more than the limit (which tells whether a next page exists).
pub fn list_read(workspace_id: &str, viewer: &str, filter: &CampaignFilter) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM campaigns WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} \
             AND ((?3 = '' AND status <> 'archived') OR status = ?3) AND (?4 = '' OR client_id = ?4) \
             AND (?5 = '' OR id < ?5) ORDER BY id DESC LIMIT ?6"
        ),
        params![
            workspace_id,
            viewer,
            filter.status.as_str(),
            filter.client_id.as_str(),
            filter.cursor.as_str(),
            filter.limit + 1
        ],
    )
}

/// The 16 values the insert and the update of `c` both bind.
fn values(workspace_id: &str, c: &CampaignView, now_ms: i64) -> Result<Vec<Value>, AppError> {
    let themes = serde_json::to_string(&c.themes).map_err(|e| AppError::Internal(e.to_string()))?;
    let platforms = serde_json::to_string(&c.target_platforms).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(params![
        c.id.as_str(),
        workspace_id,
        c.name.as_str(),
        c.client_id.clone(),
        c.objective.clone(),
        c.start_date.clone(),
        c.end_date.clone(),
        c.budget.as_ref().map(|b| b.amount_cents),
        c.budget.as_ref().map(|b| b.currency.clone()),
        c.brand_tone.clone(),
        themes,
        platforms,
        c.posts_planned,
        c.reels_planned,
        c.status.as_str(),
        now_ms
    ])
}

pub fn insert(workspace_id: &str, c: &CampaignView, now_ms: i64) -> Result<Statement, AppError> {
    let mut values = values(workspace_id, c, now_ms)?;
    values.push(c.created_by.as_str().into());
    Ok(Statement::new(
        "INSERT INTO campaigns (id, workspace_id, name, client_id, objective, start_date, end_date, budget_cents, currency, \
         brand_tone, themes, target_platforms, posts_planned, reels_planned, status, updated_at, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?16)",
        values,
    ))
}

pub fn update(workspace_id: &str, c: &CampaignView, now_ms: i64) -> Result<Statement, AppError> {
    Ok(Statement::new(
        "UPDATE campaigns SET name = ?3, client_id = ?4, objective = ?5, start_date = ?6, end_date = ?7, budget_cents = ?8, \
         currency = ?9, brand_tone = ?10, themes = ?11, target_platforms = ?12, posts_planned = ?13, reels_planned = ?14, \
         status = ?15, updated_at = ?16 WHERE id = ?1 AND workspace_id = ?2",
        values(workspace_id, c, now_ms)?,
    ))
}

pub fn archive(workspace_id: &str, id: &str, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE campaigns SET status = 'archived', archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, id, now_ms],
    )
}
