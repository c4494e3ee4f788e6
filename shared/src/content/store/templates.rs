//! The only SQL on `content_blocks` and `content_block_tags`: templates, snippets, hashtag
//! groups and signatures.

use crate::api::Member;
use crate::content::templates::{BlockKind, BlockView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

const COLUMNS: &str =
    "id, kind, name, title, body, platform_texts, hashtags, client_id, tags, created_by, archived_at, created_at, updated_at";
/// What `?2`, the caller, sees of the blocks of `?1`, before their role is known.
const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("client_id", "?1", "?2");

fn decode(r: &Row) -> Result<BlockView, AppError> {
    let kind =
        BlockKind::parse(&r.text("kind")?).ok_or_else(|| AppError::Internal("stored block kind is unknown".into()))?;
    let body = r.opt_text("body")?;
    Ok(BlockView {
        id: r.text("id")?,
        kind,
        name: r.text("name")?,
        title: r.opt_text("title")?,
        body: if kind == BlockKind::Template { body.clone() } else { None },
        platform_texts: serde_json::from_value(r.json("platform_texts")?).unwrap_or_default(),
        text: if kind.has_text() { body } else { None },
        hashtags: serde_json::from_value(r.json("hashtags")?).unwrap_or_default(),
        client_id: r.opt_text("client_id")?,
        tags: serde_json::from_value(r.json("tags")?).unwrap_or_default(),
        created_by: r.text("created_by")?,
        archived: r.opt_int("archived_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// The read of block `id` as `viewer` may see it (archived too), to send with the membership
/// check in one round trip; [`one_of`] reads its answer.
pub fn load_read(workspace_id: &str, viewer: &str, id: &str) -> Statement {
    Statement::new(
        format!("SELECT {COLUMNS} FROM content_blocks WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3"),
        params![workspace_id, viewer, id],
    )
}

/// The block [`load_read`] found, or 404.
pub fn one_of(rows: &[Row]) -> Result<BlockView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("template"))?)
}

/// The statements that store a block: its row, then its rows in `content_block_tags`, which the
/// tag filter reads.
pub fn write(member: &Member, v: &BlockView, now: i64, insert: bool) -> Vec<Statement> {
    let mut out = vec![write_block(member, v, now, insert)];
    if !insert {
        out.push(Statement::new(
            "DELETE FROM content_block_tags WHERE workspace_id = ?1 AND block_id = ?2",
            params![member.workspace_id.as_str(), v.id.as_str()],
        ));
    }
    out.extend(v.tags.iter().map(|tag| {
        Statement::new(
            "INSERT INTO content_block_tags (workspace_id, block_id, tag) VALUES (?1, ?2, ?3)",
            params![member.workspace_id.as_str(), v.id.as_str(), tag.as_str()],
        )
    }));
    out
}

fn write_block(member: &Member, v: &BlockView, now: i64, insert: bool) -> Statement {
    let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    let texts = serde_json::to_string(&v.platform_texts).unwrap_or_else(|_| "{}".into());
    let mut values = params![
        v.id.as_str(),
        member.workspace_id.as_str(),
        v.name.as_str(),
        v.title.clone(),
        v.stored_body(),
        texts,
        list(&v.hashtags),
        v.client_id.clone(),
        list(&v.tags),
        now
    ];
    if insert {
        values.extend(params![v.kind.as_str(), v.created_by.as_str()]);
        Statement::new(
            "INSERT INTO content_blocks (id, workspace_id, kind, name, title, body, platform_texts, hashtags, client_id, \
             tags, created_by, created_at, updated_at) VALUES (?1, ?2, ?11, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?12, ?10, ?10)",
            values,
        )
    } else {
        // Only an active block is edited; the guard after it fails the batch otherwise.
        Statement::new(
            "UPDATE content_blocks SET name = ?3, title = ?4, body = ?5, platform_texts = ?6, hashtags = ?7, \
             client_id = ?8, tags = ?9, updated_at = ?10 WHERE id = ?1 AND workspace_id = ?2 AND archived_at IS NULL",
            values,
        )
    }
}

/// One page of blocks in kind, name and id order, from `offset`, with one more row when
/// another page follows. Empty filters select everything.
pub struct BlockFilter<'a> {
    pub kind: &'a str,
    pub client_id: &'a str,
    pub include_archived: bool,
    pub tag: &'a str,
    pub limit: i64,
    pub offset: i64,
}

/// The read of one page of blocks `viewer` may see, to send with the membership check in one
/// round trip; [`list_of`] reads its answer.
pub fn list_read(workspace_id: &str, viewer: &str, f: &BlockFilter<'_>) -> Statement {
    let sql = format!(
        "SELECT {COLUMNS} FROM content_blocks WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND (?3 = '' OR kind = ?3) \
         AND (?4 = '' OR client_id = ?4) AND (?5 = 1 OR archived_at IS NULL) \
         AND (?6 = '' OR id IN (SELECT block_id FROM content_block_tags WHERE workspace_id = ?1 AND tag = ?6)) \
         ORDER BY kind, name, id LIMIT ?7 OFFSET ?8"
    );
    let values =
        params![workspace_id, viewer, f.kind, f.client_id, i64::from(f.include_archived), f.tag, f.limit + 1, f.offset];
    Statement::new(sql, values)
}

/// The blocks [`list_read`] found.
pub fn list_of(rows: &[Row]) -> Result<Vec<BlockView>, AppError> {
    rows.iter().map(decode).collect()
}

/// Fails the batch unless the block was updated at `now` and is still active.
pub fn updated_at(workspace_id: &str, id: &str, now: i64) -> Statement {
    Statement::guard(
        "SELECT 1 FROM content_blocks WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL AND updated_at = ?3",
        params![workspace_id, id, now],
    )
}

pub fn archive(workspace_id: &str, id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE content_blocks SET archived_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND archived_at IS NULL",
        params![workspace_id, id, now],
    )
}

/// The read of the active block of `kind` named `name` that a text for `client_id` (empty: none)
/// may include: the agency's own or that client's, never another client's. To send with the
/// other includes in one round trip; [`includable_of`] reads its answer.
pub fn includable_read(workspace_id: &str, kind: &str, name: &str, client_id: &str) -> Statement {
    Statement::new(
        "SELECT body, hashtags FROM content_blocks WHERE workspace_id = ?1 AND kind = ?2 AND name = ?3 \
         AND archived_at IS NULL AND (client_id IS NULL OR client_id = ?4)",
        params![workspace_id, kind, name, client_id],
    )
}

/// The body and hashtags of the block [`includable_read`] found, if it found one.
pub fn includable_of(rows: &[Row]) -> Result<Option<(Option<String>, Vec<String>)>, AppError> {
    let Some(row) = rows.first() else { return Ok(None) };
    Ok(Some((row.opt_text("body")?, serde_json::from_value(row.json("hashtags")?).unwrap_or_default())))
}
