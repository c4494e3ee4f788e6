//! Review links with their posts and ideas.

use crate::approvals::review_links::Link;
use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};

const LINK_COLUMNS: &str =
    "id, workspace_id, reviewer_name, reviewer_email, created_by, created_at, expires_at, revoked_at";

fn decode(r: &Row, post_ids: Vec<String>, idea_ids: Vec<String>) -> Result<Link, AppError> {
    Ok(Link {
        id: r.text("id")?,
        workspace_id: r.text("workspace_id")?,
        reviewer_name: r.opt_text("reviewer_name")?,
        reviewer_email: r.opt_text("reviewer_email")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        expires_at: r.int("expires_at")?,
        revoked_at: r.opt_int("revoked_at")?,
        post_ids,
        idea_ids,
    })
}

/// A link's posts and ideas, each in order.
async fn items_of(db: &dyn Sql, workspace_id: &str, link_id: &str) -> Result<(Vec<String>, Vec<String>), AppError> {
    let rows = db
        .query(
            "SELECT 'post' AS kind, post_id AS item, position FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2 \
             UNION ALL SELECT 'idea' AS kind, idea_id AS item, position FROM review_link_ideas \
             WHERE workspace_id = ?1 AND link_id = ?2 ORDER BY kind DESC, position",
            &params![workspace_id, link_id],
        )
        .await?;
    let (mut posts, mut ideas) = (Vec::new(), Vec::new());
    for r in &rows {
        let list = if r.text("kind")? == "post" { &mut posts } else { &mut ideas };
        list.push(r.text("item")?);
    }
    Ok((posts, ideas))
}

/// The link whose token hashes to `hash`, without its posts and ideas (see [`with_items`]).
pub async fn by_token_hash(db: &dyn Sql, hash: &str) -> Result<Option<Link>, AppError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE token_hash = ?1");
    db.query_one(&sql, &params![hash]).await?.map(|r| decode(&r, Vec::new(), Vec::new())).transpose()
}

/// The link with its posts and ideas.
pub async fn with_items(db: &dyn Sql, link: Link) -> Result<Link, AppError> {
    let (post_ids, idea_ids) = items_of(db, &link.workspace_id, &link.id).await?;
    Ok(Link { post_ids, idea_ids, ..link })
}

/// A link of the workspace, with its posts and ideas.
pub async fn one(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<Option<Link>, AppError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE workspace_id = ?1 AND id = ?2");
    match db.query_one(&sql, &params![workspace_id, id]).await? {
        Some(r) => Ok(Some(with_items(db, decode(&r, Vec::new(), Vec::new())?).await?)),
        None => Ok(None),
    }
}

/// The reads of the workspace's links, newest first (at most 200), and of their posts and
/// ideas, to send with the membership check in one round trip; [`newest_of`] reads their answers.
pub fn newest_reads(workspace_id: &str) -> [Statement; 2] {
    [
        Statement::new(
            format!("SELECT {LINK_COLUMNS} FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200"),
            params![workspace_id],
        ),
        Statement::new(
            "SELECT 'post' AS kind, link_id, post_id AS item, position FROM review_link_items WHERE workspace_id = ?1 \
             AND link_id IN (SELECT id FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200) \
             UNION ALL SELECT 'idea' AS kind, link_id, idea_id AS item, position FROM review_link_ideas WHERE workspace_id = ?1 \
             AND link_id IN (SELECT id FROM review_links WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 200) \
             ORDER BY link_id, kind DESC, position",
            params![workspace_id],
        ),
    ]
}

/// The links, each with its posts and ideas, that [`newest_reads`] found.
pub fn newest_of(answers: &[Vec<Row>]) -> Result<Vec<Link>, AppError> {
    let rows = answers.first().map_or(&[][..], Vec::as_slice);
    let items = answers.get(1).map_or(&[][..], Vec::as_slice);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r.text("id")?;
        let of = |kind: &str| {
            items
                .iter()
                .filter(|i| i.text("link_id").is_ok_and(|l| l == id) && i.text("kind").is_ok_and(|k| k == kind))
                .map(|i| i.text("item"))
                .collect::<Result<Vec<_>, DbError>>()
        };
        out.push(decode(r, of("post")?, of("idea")?)?);
    }
    Ok(out)
}

/// The role the link's creator holds in its workspace, while the workspace is live.
pub async fn creator_role(db: &dyn Sql, link: &Link) -> Result<Option<String>, AppError> {
    Ok(db
        .query_one(
            "SELECT m.role AS role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND w.archived_at IS NULL",
            &params![link.workspace_id.as_str(), link.created_by.as_str()],
        )
        .await?
        .map(|r| r.text("role"))
        .transpose()?)
}

/// Stores a new link with its posts and ideas in order; only the token's hash is kept.
pub fn insert(link: &Link, token_hash: &str) -> Vec<Statement> {
    let mut statements = vec![Statement::new(
        "INSERT INTO review_links (id, workspace_id, token_hash, reviewer_name, reviewer_email, created_by, \
         expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            link.id.as_str(),
            link.workspace_id.as_str(),
            token_hash,
            link.reviewer_name.clone(),
            link.reviewer_email.clone(),
            link.created_by.as_str(),
            link.expires_at,
            link.created_at
        ],
    )];
    for (i, post) in link.post_ids.iter().enumerate() {
        statements.push(Statement::new(
            "INSERT INTO review_link_items (workspace_id, link_id, post_id, position) VALUES (?1, ?2, ?3, ?4)",
            params![link.workspace_id.as_str(), link.id.as_str(), post.as_str(), i as i64],
        ));
    }
    for (i, idea) in link.idea_ids.iter().enumerate() {
        statements.push(Statement::new(
            "INSERT INTO review_link_ideas (workspace_id, link_id, idea_id, position) VALUES (?1, ?2, ?3, ?4)",
            params![link.workspace_id.as_str(), link.id.as_str(), idea.as_str(), i as i64],
        ));
    }
    statements
}

/// Revokes a link at `at` by `by`. Two revocations at once: the second finds the first's
/// time and its guard fails the batch.
pub fn revoke(workspace_id: &str, link_id: &str, at: i64, by: &str) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE review_links SET revoked_at = ?3, revoked_by = ?4 WHERE workspace_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![workspace_id, link_id, at, by],
        ),
        Statement::guard(
            "SELECT 1 FROM review_links WHERE workspace_id = ?1 AND id = ?2 AND revoked_at = ?3 AND revoked_by = ?4",
            params![workspace_id, link_id, at, by],
        ),
    ]
}

/// A ready file one of the link's live posts uses: (object key, content type, size).
pub async fn media_of(db: &dyn Sql, link: &Link, media_id: &str) -> Result<Option<(String, String, i64)>, AppError> {
    let row = db
        .query_one(
            "SELECT object_key, content_type, size_bytes FROM media_assets WHERE workspace_id = ?1 AND id = ?2 \
             AND status = 'ready' AND deleted_at IS NULL AND id IN (SELECT m.asset_id FROM post_target_media m \
             JOIN review_link_items i ON i.workspace_id = m.workspace_id AND i.post_id = m.post_id \
             JOIN posts p ON p.id = m.post_id AND p.workspace_id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND i.link_id = ?3 AND p.deleted_at IS NULL)",
            &params![link.workspace_id.as_str(), media_id, link.id.as_str()],
        )
        .await?;
    match row {
        Some(r) => Ok(Some((r.text("object_key")?, r.text("content_type")?, r.int("size_bytes")?))),
        None => Ok(None),
    }
}
