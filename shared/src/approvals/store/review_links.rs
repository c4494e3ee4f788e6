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

/// The reads of a link's live posts with their targets (`values`: the workspace and the link),
/// as `posts::where_reads`, whose `where_of` reads their answers.
pub fn posts_reads(values: Vec<crate::sql::Value>) -> [Statement; 3] {
    crate::content::store::posts::where_reads(
        &format!("workspace_id = ?1 AND id IN ({LINK_POSTS}) AND deleted_at IS NULL"),
        values,
    )
}

/// The read of a link's posts and ideas, each in order, to send with others in one round trip;
/// [`items_from`] reads its answer.
fn items_read(workspace_id: &str, link_id: &str) -> Statement {
    Statement::new(
        "SELECT 'post' AS kind, post_id AS item, position FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2 \
         UNION ALL SELECT 'idea' AS kind, idea_id AS item, position FROM review_link_ideas \
         WHERE workspace_id = ?1 AND link_id = ?2 ORDER BY kind DESC, position",
        params![workspace_id, link_id],
    )
}

/// The posts and ideas [`items_read`] found.
fn items_from(rows: &[Row]) -> Result<(Vec<String>, Vec<String>), AppError> {
    let (mut posts, mut ideas) = (Vec::new(), Vec::new());
    for r in rows {
        let list = if r.text("kind")? == "post" { &mut posts } else { &mut ideas };
        list.push(r.text("item")?);
    }
    Ok((posts, ideas))
}

/// The posts a link holds (`?1` the workspace, `?2` the link), for a read's `IN (…)`.
pub const LINK_POSTS: &str = "SELECT post_id FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2";
/// The ideas a link holds, as [`LINK_POSTS`].
pub const LINK_IDEAS: &str = "SELECT idea_id FROM review_link_ideas WHERE workspace_id = ?1 AND link_id = ?2";
/// The clients of a link's posts, as [`LINK_POSTS`].
pub const LINK_CLIENTS: &str = "SELECT client_id FROM posts WHERE workspace_id = ?1 AND id IN \
     (SELECT post_id FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2)";
/// The accounts a link's posts are for, as [`LINK_POSTS`].
pub const LINK_ACCOUNTS: &str = "SELECT account_id FROM post_targets WHERE workspace_id = ?1 AND post_id IN \
     (SELECT post_id FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2)";
/// The files a link's posts use, as [`LINK_POSTS`].
pub const LINK_MEDIA: &str = "SELECT asset_id FROM post_target_media WHERE workspace_id = ?1 AND post_id IN \
     (SELECT post_id FROM review_link_items WHERE workspace_id = ?1 AND link_id = ?2)";

/// The link whose token hashes to `hash`, without its posts and ideas (see [`with_items`]).
pub async fn by_token_hash(db: &dyn Sql, hash: &str) -> Result<Option<Link>, AppError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM review_links WHERE token_hash = ?1");
    db.query_one(&sql, &params![hash]).await?.map(|r| decode(&r, Vec::new(), Vec::new())).transpose()
}

/// The link with its posts and ideas.
pub async fn with_items(db: &dyn Sql, link: Link) -> Result<Link, AppError> {
    let read = items_read(&link.workspace_id, &link.id);
    let (post_ids, idea_ids) = items_from(&db.query(&read.sql, &read.params).await?)?;
    Ok(Link { post_ids, idea_ids, ..link })
}

/// The reads [`opened`] decides from: the role the link's creator holds in its workspace while
/// the workspace is live, and the link's posts and ideas, to send with others in one round trip.
pub fn opening_reads(link: &Link) -> [Statement; 2] {
    [
        Statement::new(
            "SELECT m.role AS role, w.status AS status FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND w.archived_at IS NULL",
            params![link.workspace_id.as_str(), link.created_by.as_str()],
        ),
        items_read(&link.workspace_id, &link.id),
    ]
}

/// From what [`opening_reads`] found: the creator's role, if still a member of a live
/// workspace, and the link with its posts and ideas.
pub fn opened(link: Link, role: &[Row], items: &[Row]) -> Result<(Option<String>, Link), AppError> {
    let role = role.first().map(|r| r.text("role")).transpose()?;
    let (post_ids, idea_ids) = items_from(items)?;
    Ok((role, Link { post_ids, idea_ids, ..link }))
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

/// The read of a ready file one of the link's live posts uses, to send with the link's own
/// checks in one round trip; [`media_from`] reads its answer.
pub fn media_read(link: &Link, media_id: &str) -> Statement {
    Statement::new(
        "SELECT object_key, content_type, size_bytes FROM media_assets WHERE workspace_id = ?1 AND id = ?2 \
         AND status = 'ready' AND deleted_at IS NULL AND id IN (SELECT m.asset_id FROM post_target_media m \
         JOIN review_link_items i ON i.workspace_id = m.workspace_id AND i.post_id = m.post_id \
         JOIN posts p ON p.id = m.post_id AND p.workspace_id = m.workspace_id \
         WHERE m.workspace_id = ?1 AND i.link_id = ?3 AND p.deleted_at IS NULL)",
        params![link.workspace_id.as_str(), media_id, link.id.as_str()],
    )
}

/// The read of a ready image of the link's workspace, which its page shows when the brand names
/// it as the logo; [`media_from`] reads its answer.
pub fn logo_read(link: &Link, media_id: &str) -> Statement {
    Statement::new(
        "SELECT object_key, content_type, size_bytes FROM media_assets WHERE workspace_id = ?1 AND id = ?2 \
         AND status = 'ready' AND deleted_at IS NULL AND content_type LIKE 'image/%'",
        params![link.workspace_id.as_str(), media_id],
    )
}

/// The file [`media_read`] found: (object key, content type, size).
pub fn media_from(rows: &[Row]) -> Result<Option<(String, String, i64)>, AppError> {
    match rows.first() {
        Some(r) => Ok(Some((r.text("object_key")?, r.text("content_type")?, r.int("size_bytes")?))),
        None => Ok(None),
    }
}
