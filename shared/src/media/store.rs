//! Media assets in SQL: `media_assets`, and `media_tags` to find assets by tag. Every statement
//! names the workspace.

use super::model::{MediaUsage, MediaView, UsageTarget};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};
use crate::validate::rfc3339;

/// An asset with where its bytes are.
#[derive(Debug, Clone)]
pub struct Stored {
    pub view: MediaView,
    pub key: String,
}

const COLUMNS: &str =
    "id, object_key, filename, content_type, size_bytes, width, height, duration_ms, alt_text, tags, \
     folder, status, uploaded_by, created_at, updated_at";

fn decode(r: &Row) -> Result<Stored, AppError> {
    Ok(Stored {
        key: r.text("object_key")?,
        view: MediaView {
            id: r.text("id")?,
            filename: r.text("filename")?,
            content_type: r.text("content_type")?,
            size_bytes: r.int("size_bytes")?,
            width: r.opt_int("width")?,
            height: r.opt_int("height")?,
            duration_ms: r.opt_int("duration_ms")?,
            alt_text: r.opt_text("alt_text")?,
            tags: serde_json::from_value(r.json("tags")?).unwrap_or_default(),
            folder: r.opt_text("folder")?,
            status: r.text("status")?,
            uploaded_by: r.text("uploaded_by")?,
            created_at: rfc3339(r.int("created_at")?),
            updated_at: rfc3339(r.int("updated_at")?),
            download_url: None,
        },
    })
}

/// A live (not deleted) asset of the workspace, or 404.
pub async fn find(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<Stored, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM media_assets WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL");
    let row = db.query_one(&sql, &params![workspace_id, id]).await?;
    decode(&row.ok_or_else(|| AppError::not_found("media asset"))?)
}

fn tags_text(tags: &[String]) -> Result<String, AppError> {
    serde_json::to_string(tags).map_err(|e| AppError::Internal(e.to_string()))
}

fn tag_rows(workspace_id: &str, id: &str, tags: &[String]) -> Vec<Statement> {
    tags.iter()
        .map(|tag| {
            Statement::new(
                "INSERT INTO media_tags (workspace_id, asset_id, tag) VALUES (?1, ?2, ?3)",
                params![workspace_id, id, tag.as_str()],
            )
        })
        .collect()
}

pub fn insert(workspace_id: &str, s: &Stored, now: i64) -> Result<Vec<Statement>, AppError> {
    let v = &s.view;
    let mut statements = vec![Statement::new(
        "INSERT INTO media_assets (workspace_id, id, object_key, filename, content_type, size_bytes, width, height, \
         duration_ms, alt_text, tags, folder, status, uploaded_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        params![
            workspace_id,
            v.id.as_str(),
            s.key.as_str(),
            v.filename.as_str(),
            v.content_type.as_str(),
            v.size_bytes,
            v.width,
            v.height,
            v.duration_ms,
            v.alt_text.clone(),
            tags_text(&v.tags)?,
            v.folder.clone(),
            v.status.as_str(),
            v.uploaded_by.as_str(),
            now
        ],
    )];
    statements.extend(tag_rows(workspace_id, &v.id, &v.tags));
    Ok(statements)
}

/// Writes alt text, tags and folder, and replaces the tag index.
pub fn update_metadata(workspace_id: &str, v: &MediaView, now: i64) -> Result<Vec<Statement>, AppError> {
    let mut statements = vec![
        Statement::new(
            "UPDATE media_assets SET alt_text = ?3, tags = ?4, folder = ?5, updated_at = ?6 \
             WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
            params![workspace_id, v.id.as_str(), v.alt_text.clone(), tags_text(&v.tags)?, v.folder.clone(), now],
        ),
        Statement::new(
            "DELETE FROM media_tags WHERE workspace_id = ?1 AND asset_id = ?2",
            params![workspace_id, v.id.as_str()],
        ),
    ];
    statements.extend(tag_rows(workspace_id, &v.id, &v.tags));
    Ok(statements)
}

/// Claims pending asset ?2 for upload ?3 at ?4, unless another upload holds it since after ?5
/// (a claim older than the lease may be taken over). One row changed when claimed.
pub fn claim_upload(workspace_id: &str, id: &str, claim: &str, now: i64, lease_ms: i64) -> Statement {
    Statement::new(
        "UPDATE media_assets SET upload_claim = ?3, upload_claimed_at = ?4 \
         WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending' AND deleted_at IS NULL \
         AND (upload_claim IS NULL OR upload_claimed_at <= ?5)",
        params![workspace_id, id, claim, now, now - lease_ms],
    )
}

/// Gives the asset back for another upload, if `claim` still holds it.
pub fn release_upload(workspace_id: &str, id: &str, claim: &str) -> Statement {
    Statement::new(
        "UPDATE media_assets SET upload_claim = NULL, upload_claimed_at = NULL \
         WHERE workspace_id = ?1 AND id = ?2 AND upload_claim = ?3",
        params![workspace_id, id, claim],
    )
}

/// Pending → ready, once, and only by the upload that still holds the claim: the statement
/// records `key` as where the asset's bytes are. Any other upload changes nothing.
pub fn mark_ready(workspace_id: &str, v: &MediaView, key: &str, claim: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE media_assets SET status = 'ready', object_key = ?7, upload_claim = NULL, upload_claimed_at = NULL, \
         width = ?3, height = ?4, duration_ms = ?5, updated_at = ?6 \
         WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending' AND upload_claim = ?8 AND deleted_at IS NULL",
        params![workspace_id, v.id.as_str(), v.width, v.height, v.duration_ms, now, key, claim],
    )
}

/// The targets of live (not deleted) posts that use asset ?2 of workspace ?1.
const ATTACHED: &str =
    "SELECT 1 FROM post_target_media m JOIN posts p ON p.id = m.post_id AND p.workspace_id = m.workspace_id \
     WHERE m.workspace_id = ?1 AND m.asset_id = ?2 AND p.deleted_at IS NULL";

/// Soft delete, refused by the statement itself while a live post's target uses the asset.
pub fn soft_delete(workspace_id: &str, id: &str, now: i64) -> Statement {
    Statement::new(
        format!(
            "UPDATE media_assets SET deleted_at = ?3, updated_at = ?3 \
         WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL \
         AND NOT EXISTS ({ATTACHED})"
        ),
        params![workspace_id, id, now],
    )
}

/// How many targets of live posts use the asset.
pub async fn attachments(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<i64, AppError> {
    let row = db.query_one(&format!("SELECT count(*) AS n FROM ({ATTACHED}) a"), &params![workspace_id, id]).await?;
    Ok(row.map(|r| r.int("n")).transpose()?.unwrap_or(0))
}

pub struct Filters {
    pub folder: String,
    pub tag: String,
    /// An exact content type, or "".
    pub content_type: String,
    /// `image/%` or `video/%`, or "".
    pub type_prefix: String,
    pub status: String,
    pub cursor: String,
    pub limit: i64,
    /// The caller: a Client member sees only assets used by its clients' posts (decided in the
    /// statement, which runs in the same round trip as the membership check).
    pub viewer: String,
}

/// Assets a Client member may see: those its clients' live posts use.
const CLIENT_ASSETS: &str = "SELECT ptm.asset_id FROM post_target_media ptm JOIN posts p ON p.id = ptm.post_id \
     WHERE ptm.workspace_id = ?1 AND p.deleted_at IS NULL \
     AND p.client_id IN (SELECT client_id FROM client_members WHERE user_id = ?9)";

/// The read of asset `id` as `viewer` may see it (a Client member: only what its clients' live
/// posts use), to send in the same round trip as the membership check; [`visible_of`] reads its
/// answer.
pub fn visible_read(workspace_id: &str, viewer: &str, id: &str) -> Statement {
    let sql = format!(
        "SELECT {COLUMNS} FROM media_assets WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL \
         AND (NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?3 AND role = 'client') \
              OR id IN ({}))",
        CLIENT_ASSETS.replace("?9", "?3")
    );
    Statement::new(sql, params![workspace_id, id, viewer])
}

/// The asset [`visible_read`] found, or 404.
pub fn visible_of(rows: &[Row]) -> Result<Stored, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("media asset"))?)
}

/// The read of the assets `f` asks for, newest first (empty filters match everything), to send
/// in the same round trip as the membership check; [`list_of`] reads its answer.
pub fn list_read(workspace_id: &str, f: &Filters) -> Statement {
    let sql = format!(
        "SELECT {COLUMNS} FROM media_assets WHERE workspace_id = ?1 AND deleted_at IS NULL \
         AND (?2 = '' OR folder = ?2) \
         AND (?3 = '' OR id IN (SELECT asset_id FROM media_tags WHERE workspace_id = ?1 AND tag = ?3)) \
         AND (?4 = '' OR content_type = ?4) AND (?5 = '' OR content_type LIKE ?5) \
         AND (?6 = '' OR status = ?6) AND (?7 = '' OR id < ?7) \
         AND (NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?9 AND role = 'client') \
              OR id IN ({CLIENT_ASSETS})) \
         ORDER BY id DESC LIMIT ?8"
    );
    let values: Vec<Value> = params![
        workspace_id,
        f.folder.as_str(),
        f.tag.as_str(),
        f.content_type.as_str(),
        f.type_prefix.as_str(),
        f.status.as_str(),
        f.cursor.as_str(),
        f.limit,
        f.viewer.as_str()
    ];
    Statement::new(sql, values)
}

/// The assets [`list_read`] found.
pub fn list_of(rows: &[Row]) -> Result<Vec<MediaView>, AppError> {
    rows.iter().map(|r| decode(r).map(|s| s.view)).collect()
}

/// The read of the live posts whose targets use the asset, with those targets, as `viewer` sees
/// them (a Client member: its clients' posts alone), to send with the membership check and the
/// asset's own read in one round trip; [`usage_of`] reads its answer.
pub fn usage_read(workspace_id: &str, id: &str, viewer: &str) -> Statement {
    Statement::new(
        concat!(
            "SELECT p.id AS post_id, p.title AS title, p.status AS status, m.target_id AS target_id, \
             t.platform AS platform, m.position AS position \
             FROM post_target_media m \
             JOIN posts p ON p.id = m.post_id AND p.workspace_id = m.workspace_id \
             JOIN post_targets t ON t.id = m.target_id AND t.workspace_id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND m.asset_id = ?2 AND p.deleted_at IS NULL \
             AND ",
            crate::client_visible_to!("p.client_id", "?1", "?3"),
            " ORDER BY p.id DESC, t.position, m.position"
        ),
        params![workspace_id, id, viewer],
    )
}

/// The posts [`usage_read`] found, each with its targets that use the asset.
pub fn usage_of(rows: &[Row]) -> Result<Vec<MediaUsage>, AppError> {
    let mut out: Vec<MediaUsage> = Vec::new();
    for r in rows {
        let post_id = r.text("post_id")?;
        let target = UsageTarget {
            target_id: r.text("target_id")?,
            platform: r.text("platform")?,
            position: r.int("position")?,
        };
        match out.last_mut() {
            Some(u) if u.post_id == post_id => u.targets.push(target),
            _ => out.push(MediaUsage {
                post_id,
                title: r.text("title")?,
                status: r.text("status")?,
                targets: vec![target],
            }),
        }
    }
    Ok(out)
}

/// The columns `activity::record` fills, in the order of its parameters ?1…?11.
const LOG_COLUMNS: &str = "INSERT INTO activity_log (id, workspace_id, actor_id, action, entity_type, entity_id, ip, \
     user_agent, before_state, after_state, created_at)";
/// The entry, written only if the statement before it in the batch made the asset ready at ?11.
pub const LOG_IF_READY: &str =
    "INSERT INTO activity_log (id, workspace_id, actor_id, action, entity_type, entity_id, ip, \
     user_agent, before_state, after_state, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, updated_at \
     FROM media_assets WHERE workspace_id = ?2 AND id = ?6 AND status = 'ready' AND updated_at = ?11";
/// The entry, written only if the statement before it in the batch deleted the asset at ?11.
pub const LOG_IF_DELETED: &str =
    "INSERT INTO activity_log (id, workspace_id, actor_id, action, entity_type, entity_id, ip, \
     user_agent, before_state, after_state, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, deleted_at \
     FROM media_assets WHERE workspace_id = ?2 AND id = ?6 AND deleted_at = ?11";

/// Turns `activity::record`'s entry into one that exists only if a guarded write in the same
/// batch happened at `now`: a write that loses a race leaves no entry claiming it.
pub fn log_if(record: Statement, sql: &'static str, now: i64) -> Result<Statement, AppError> {
    if !record.sql.starts_with(LOG_COLUMNS) || record.params.len() != 11 {
        return Err(AppError::Internal("activity::record no longer has the expected shape".into()));
    }
    let mut params = record.params;
    params[10] = Value::Int(now);
    Ok(Statement::new(sql, params))
}
