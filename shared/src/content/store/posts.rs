//! The only SQL on `posts`, their targets, tags and versions. Content also reads what it
//! needs of the media library (`media_assets`, below it in no layer it may import) and
//! cancels the publications of a post edited after it was scheduled.

use serde_json::{Map, Value as Json};

use crate::api::Context;
use crate::content::posts::{Content, PostFilter, PostView, Sort, TargetView};
use crate::content::status::PostStatus;
use crate::error::AppError;
use crate::params;
use crate::platforms::{MediaInfo, Platform};
use crate::sql::{placeholders, Dialect, Row, Sql, Statement, Value, MAX_IDS_PER_STATEMENT};
use crate::validate::rfc3339;

pub const COLUMNS: &str =
    "id, title, body, content_hash, status, campaign_id, client_id, tags, author_id, version, private, \
     created_at, updated_at";
pub const VISIBLE: &str = crate::client_visible!("client_id", "?2");

pub fn decode(r: &Row, targets: Vec<TargetView>) -> Result<PostView, AppError> {
    let status =
        PostStatus::parse(&r.text("status")?).ok_or_else(|| AppError::Internal("stored status is unknown".into()))?;
    Ok(PostView {
        id: r.text("id")?,
        title: r.text("title")?,
        body: r.opt_text("body")?,
        content_hash: r.text("content_hash")?,
        status,
        campaign_id: r.opt_text("campaign_id")?,
        client_id: r.opt_text("client_id")?,
        tags: serde_json::from_value(r.json("tags")?).unwrap_or_default(),
        author_id: r.text("author_id")?,
        version: r.int("version")?,
        private: r.int("private")? != 0,
        targets,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
    })
}

/// What the caller sees of posts when the statement runs in the same round trip as their
/// membership check, before their role is known: `?1` the workspace, `?2` the caller.
pub const VISIBLE_TO_CALLER: &str = crate::client_visible_to!("client_id", "?1", "?2");

/// The reads of the targets, and of their media, of the posts `post_ids` names: a list of
/// placeholders or a subquery, over `values` (`?1` being the workspace).
fn targets_reads(post_ids: &str, values: Vec<Value>) -> [Statement; 2] {
    [
        Statement::new(
            format!(
                "SELECT id, post_id, platform, account_id, text, options FROM post_targets WHERE workspace_id = ?1 \
                 AND post_id IN ({post_ids}) ORDER BY post_id, position"
            ),
            values.clone(),
        ),
        Statement::new(
            format!(
                "SELECT target_id, asset_id FROM post_target_media WHERE workspace_id = ?1 AND post_id IN ({post_ids}) \
                 ORDER BY target_id, position"
            ),
            values,
        ),
    ]
}

/// The targets [`targets_reads`] found, with their post ids, in order, with their media in order.
fn decode_targets(rows: &[Row], media: &[Row]) -> Result<Vec<(String, TargetView)>, AppError> {
    rows.iter()
        .map(|r| {
            let id = r.text("id")?;
            let platform = Platform::parse(&r.text("platform")?)
                .ok_or_else(|| AppError::Internal("stored platform is unknown".into()))?;
            let assets = media
                .iter()
                .filter(|m| m.text("target_id").is_ok_and(|t| t == id))
                .map(|m| m.text("asset_id"))
                .collect::<Result<Vec<_>, _>>()?;
            let options = match r.json("options")? {
                Json::Object(m) => m,
                _ => Map::new(),
            };
            let target = TargetView {
                id,
                platform,
                account_id: r.opt_text("account_id")?,
                text: r.opt_text("text")?,
                options,
                media: assets,
            };
            Ok((r.text("post_id")?, target))
        })
        .collect()
}

/// The targets of some posts, in order, with their media in order: one round trip.
pub async fn targets_of(
    db: &dyn Sql,
    workspace_id: &str,
    post_ids: &[String],
) -> Result<Vec<(String, TargetView)>, AppError> {
    // A page's ids go in chunks: D1 refuses a statement binding more than 100 parameters.
    let reads: Vec<Statement> = post_ids
        .chunks(MAX_IDS_PER_STATEMENT)
        .flat_map(|chunk| {
            let mut values: Vec<Value> = vec![workspace_id.into()];
            values.extend(chunk.iter().map(Value::from));
            targets_reads(&placeholders(2, chunk.len()), values)
        })
        .collect();
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let answers = db.reads(&reads).await?;
    let (mut rows, mut media) = (Vec::new(), Vec::new());
    for pair in answers.chunks(2) {
        rows.extend(pair.first().into_iter().flatten().cloned());
        media.extend(pair.get(1).into_iter().flatten().cloned());
    }
    decode_targets(&rows, &media)
}

/// The reads of the posts `filter` (a `WHERE` clause over `values`, `ORDER BY` and `LIMIT`
/// included) selects, and of their targets and the targets' media, to send with others in one
/// round trip; [`where_of`] reads their answers.
pub fn where_reads(filter: &str, values: Vec<Value>) -> [Statement; 3] {
    let [targets, media] = targets_reads(&format!("SELECT id FROM posts WHERE {filter}"), values.clone());
    [Statement::new(format!("SELECT {COLUMNS} FROM posts WHERE {filter}"), values), targets, media]
}

/// The posts `filter` (a `WHERE` clause over `values`, `ORDER BY` and `LIMIT` included) selects,
/// each with its targets, after the rows of `first` (a membership check) when given: one
/// round trip.
async fn read_posts(
    db: &dyn Sql,
    first: Option<Statement>,
    filter: &str,
    values: Vec<Value>,
) -> Result<(Vec<Row>, Vec<PostView>), AppError> {
    let mut reads: Vec<Statement> = first.into_iter().collect();
    let skip = reads.len();
    reads.extend(where_reads(filter, values));
    let mut answers = db.reads(&reads).await?.into_iter();
    let first_rows = if skip == 1 { answers.next().unwrap_or_default() } else { Vec::new() };
    let (posts, targets, media) =
        (answers.next().unwrap_or_default(), answers.next().unwrap_or_default(), answers.next().unwrap_or_default());
    Ok((first_rows, where_of(&posts, &targets, &media)?))
}

/// The posts [`where_reads`] found (`posts`, `targets`, `media`: its answers), in order, each
/// with its targets.
pub fn where_of(posts: &[Row], targets: &[Row], media: &[Row]) -> Result<Vec<PostView>, AppError> {
    let mut targets = decode_targets(targets, media)?;
    let mut items = Vec::with_capacity(posts.len());
    for row in posts {
        let id = row.text("id")?;
        let mine = targets.iter().filter(|(p, _)| *p == id).map(|(_, t)| t.clone()).collect();
        targets.retain(|(p, _)| *p != id);
        items.push(decode(row, mine)?);
    }
    Ok(items)
}

/// One post of the workspace that the caller (limited to `limit_to`'s clients when not empty)
/// may see, with its targets, or 404: one round trip.
pub async fn load(db: &dyn Sql, workspace_id: &str, limit_to: &str, post_id: &str) -> Result<PostView, AppError> {
    let filter = format!("workspace_id = ?1 AND {VISIBLE} AND id = ?3 AND deleted_at IS NULL");
    let (_, posts) = read_posts(db, None, &filter, params![workspace_id, limit_to, post_id]).await?;
    posts.into_iter().next().ok_or_else(|| AppError::not_found("post"))
}

/// The reads of post `post_id` of the workspace, whoever asks (a review link), to send with others
/// in one round trip; [`one_of`] reads their three answers.
pub fn held_reads(workspace_id: &str, post_id: &str) -> [Statement; 3] {
    where_reads("workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL", params![workspace_id, post_id])
}

/// The reads of post `post_id` (the post, its targets, their media) as the caller `viewer` may
/// see it, before their role is known: to send with the membership check and others in one
/// round trip; [`one_of`] reads their three answers.
pub fn one_reads(workspace_id: &str, viewer: &str, post_id: &str) -> [Statement; 3] {
    let filter = format!("workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3 AND deleted_at IS NULL");
    where_reads(&filter, params![workspace_id, viewer, post_id])
}

/// The post [`one_reads`] found (`answers`: its three answers, in order), or 404.
pub fn one_of(answers: &[Vec<Row>]) -> Result<PostView, AppError> {
    let part = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    where_of(part(0), part(1), part(2))?.into_iter().next().ok_or_else(|| AppError::not_found("post"))
}

/// The read that finds post `post_id` if it exists and `viewer` may see it (a Client member:
/// only its clients' posts), to send with the membership check and the reads that depend on it
/// in one round trip; [`found`] reads its answer.
pub fn visible_read(workspace_id: &str, viewer: &str, post_id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT id FROM posts WHERE workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3 AND deleted_at IS NULL"
        ),
        params![workspace_id, viewer, post_id],
    )
}

/// Whether [`visible_read`] found the post: 404 when not.
pub fn found(rows: &[Row]) -> Result<(), AppError> {
    if rows.is_empty() {
        return Err(AppError::not_found("post"));
    }
    Ok(())
}

/// The posts `ids` of the workspace that still exist, with their targets, in no particular
/// order: one round trip per 90 ids (the review page).
pub async fn load_many(db: &dyn Sql, workspace_id: &str, ids: &[String]) -> Result<Vec<PostView>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_IDS_PER_STATEMENT) {
        let filter = format!("workspace_id = ?1 AND id IN ({}) AND deleted_at IS NULL", placeholders(2, chunk.len()));
        let mut values: Vec<Value> = vec![workspace_id.into()];
        values.extend(chunk.iter().map(Value::from));
        out.extend(read_posts(db, None, &filter, values).await?.1);
    }
    Ok(out)
}

/// [`load`] for `viewer`, after `membership` (the caller's membership check), in one round
/// trip: what the check answered, and the post if the viewer may see it.
pub async fn load_after(
    db: &dyn Sql,
    membership: Statement,
    workspace_id: &str,
    viewer: &str,
    post_id: &str,
) -> Result<(Vec<Row>, Option<PostView>), AppError> {
    let filter = format!("workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND id = ?3 AND deleted_at IS NULL");
    let (membership, posts) = read_posts(db, Some(membership), &filter, params![workspace_id, viewer, post_id]).await?;
    Ok((membership, posts.into_iter().next()))
}

/// The reads that find which of `ids` are ready assets of the workspace's media library, to
/// send with others in one round trip (`Sql::reads`); [`media_of`] reads their answers.
pub fn describe_media(workspace_id: &str, ids: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&params![workspace_id], ids, |list| {
        format!(
            "SELECT id, content_type, size_bytes, width, height, duration_ms FROM media_assets \
             WHERE workspace_id = ?1 AND status = 'ready' AND deleted_at IS NULL AND id IN ({list})"
        )
    })
}

/// What the media library knows of each asset [`describe_media`]'s reads found, by id.
pub fn media_of(rows: &[Row]) -> Result<Vec<(String, MediaInfo)>, AppError> {
    rows.iter()
        .map(|r| {
            Ok((
                r.text("id")?,
                MediaInfo {
                    mime: r.text("content_type")?,
                    bytes: u64::try_from(r.int("size_bytes")?).unwrap_or(0),
                    width: r.opt_int("width")?.and_then(|w| u32::try_from(w).ok()),
                    height: r.opt_int("height")?.and_then(|h| u32::try_from(h).ok()),
                    duration_seconds: r.opt_int("duration_ms")?.map(|ms| ms as f64 / 1000.0),
                },
            ))
        })
        .collect()
}

/// The statements that replace a post's targets.
pub fn write_targets(
    workspace_id: &str,
    post_id: &str,
    targets: &[TargetView],
    keep_text: bool,
    now: i64,
) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "DELETE FROM post_targets WHERE workspace_id = ?1 AND post_id = ?2",
        params![workspace_id, post_id],
    )];
    for (i, t) in targets.iter().enumerate() {
        let options = serde_json::to_string(&t.options).unwrap_or_else(|_| "{}".into());
        out.push(Statement::new(
            "INSERT INTO post_targets (id, workspace_id, post_id, position, platform, account_id, text, options, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                t.id.as_str(),
                workspace_id,
                post_id,
                i as i64,
                t.platform.as_str(),
                t.account_id.clone(),
                if keep_text { t.text.clone() } else { None },
                options,
                now
            ],
        ));
        for (j, asset) in t.media.iter().enumerate() {
            out.push(Statement::new(
                "INSERT INTO post_target_media (workspace_id, post_id, target_id, asset_id, position) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workspace_id, post_id, t.id.as_str(), asset.as_str(), j as i64],
            ));
        }
    }
    out
}

/// The statements that replace a post's rows in `post_tags`, which the tag filter reads.
pub fn write_tags(workspace_id: &str, post_id: &str, tags: &[String]) -> Vec<Statement> {
    let mut out = vec![Statement::new(
        "DELETE FROM post_tags WHERE workspace_id = ?1 AND post_id = ?2",
        params![workspace_id, post_id],
    )];
    out.extend(tags.iter().map(|tag| {
        Statement::new(
            "INSERT INTO post_tags (workspace_id, post_id, tag) VALUES (?1, ?2, ?3)",
            params![workspace_id, post_id, tag.as_str()],
        )
    }));
    out
}

/// The statement that records version `number` of a post.
pub fn write_version(
    ctx: &Context<'_>,
    workspace_id: &str,
    post_id: &str,
    number: i64,
    content: &Content,
    keep_text: bool,
    author_id: &str,
    note: Option<String>,
) -> Statement {
    let stored_targets: Vec<TargetView> = content
        .targets
        .iter()
        .map(|t| TargetView { text: if keep_text { t.text.clone() } else { None }, ..t.clone() })
        .collect();
    Statement::new(
        "INSERT INTO post_versions (id, workspace_id, post_id, number, title, body, targets, content_hash, author_id, note, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            ctx.new_id(),
            workspace_id,
            post_id,
            number,
            content.title.as_str(),
            if keep_text { Some(content.body.clone()) } else { None },
            serde_json::to_string(&stored_targets).unwrap_or_else(|_| "[]".into()),
            content.hash(),
            author_id,
            note,
            ctx.clock.now_ms()
        ],
    )
}

/// One page of the posts `filter` asks for that `viewer` may see, with their targets, and
/// whether more follow; read in one round trip after `membership` (the caller's membership
/// check), whose rows come first.
pub async fn list(
    db: &dyn Sql,
    membership: Statement,
    workspace_id: &str,
    viewer: &str,
    filter: &PostFilter,
) -> Result<(Vec<Row>, Vec<PostView>, bool), AppError> {
    let order = match filter.sort {
        Sort::Newest => "id DESC",
        Sort::Oldest => "id ASC",
        Sort::Updated => "updated_at DESC, id DESC",
        Sort::Title => "title ASC, id ASC",
    };
    let after = if filter.sort == Sort::Oldest { "id > ?12" } else { "id < ?12" };
    let search = match (filter.words.is_empty(), db.dialect()) {
        (true, _) => "",
        (false, Dialect::Sqlite) => "AND rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?14)",
        (false, Dialect::Postgres) => "AND search @@ to_tsquery('simple', ?14)",
    };
    // The targets are read by the same filter, in the same round trip.
    let sql = format!(
        "workspace_id = ?1 AND {VISIBLE_TO_CALLER} AND deleted_at IS NULL \
         AND (?3 = '' OR status = ?3) AND (?4 = '' OR campaign_id = ?4) AND (?5 = '' OR client_id = ?5) \
         AND (?6 = '' OR id IN (SELECT post_id FROM post_targets WHERE workspace_id = ?1 AND platform = ?6)) \
         AND (?7 = '' OR id IN (SELECT post_id FROM post_tags WHERE workspace_id = ?1 AND tag = ?7)) \
         AND (?8 = '' OR author_id = ?8) \
         AND created_at >= ?9 AND created_at < ?10 AND (?12 = '' OR {after}) {search} \
         ORDER BY {order} LIMIT ?11 OFFSET ?13"
    );
    let mut values: Vec<Value> = params![
        workspace_id,
        viewer,
        filter.status.map_or("", PostStatus::as_str),
        filter.campaign_id.as_str(),
        filter.client_id.as_str(),
        filter.platform.map_or("", Platform::as_str),
        filter.tag.as_str(),
        filter.author_id.as_str(),
        filter.from,
        filter.to,
        filter.limit + 1,
        filter.cursor.as_str(),
        filter.offset
    ];
    if !filter.words.is_empty() {
        values.push(search_query(&filter.words, db.dialect()).into());
    }
    let (membership, mut items) = read_posts(db, Some(membership), &sql, values).await?;
    // The row past the page only says whether there is a next page.
    let more = items.len() > filter.limit as usize;
    items.truncate(filter.limit as usize);
    Ok((membership, items, more))
}

/// Every word must match; the last one may be a prefix (search as you type).
fn search_query(words: &[String], dialect: Dialect) -> String {
    let last = words.len().saturating_sub(1);
    let terms = words.iter().enumerate().map(|(i, w)| match (dialect, i == last) {
        (Dialect::Sqlite, true) => format!("\"{w}\"*"),
        (Dialect::Sqlite, false) => format!("\"{w}\""),
        (Dialect::Postgres, true) => format!("{w}:*"),
        (Dialect::Postgres, false) => w.clone(),
    });
    match dialect {
        Dialect::Sqlite => terms.collect::<Vec<_>>().join(" "),
        Dialect::Postgres => terms.collect::<Vec<_>>().join(" & "),
    }
}

/// A new post, a draft at version 1 (its tags, targets and first version go in the same batch).
pub fn insert(workspace_id: &str, post: &PostView, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO posts (id, workspace_id, campaign_id, client_id, title, body, content_hash, status, tags, author_id, \
         version, private, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'draft', ?8, ?9, 1, ?10, ?11, ?11)",
        params![
            post.id.as_str(),
            workspace_id,
            post.campaign_id.clone(),
            post.client_id.clone(),
            post.title.as_str(),
            post.body.clone(),
            post.content_hash.as_str(),
            serde_json::to_string(&post.tags).unwrap_or_else(|_| "[]".into()),
            post.author_id.as_str(),
            i64::from(post.private),
            now
        ],
    )
}

/// Writes `after` over `before`: the update applies only while the post is still at
/// `before`'s version and status (a concurrent change wins), and the guard after it fails the
/// whole batch when it did not.
pub fn update(workspace_id: &str, before: &PostView, after: &PostView, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE posts SET title = ?3, body = ?4, content_hash = ?5, status = ?6, campaign_id = ?7, client_id = ?8, \
             tags = ?9, version = ?10, updated_at = ?11 \
             WHERE workspace_id = ?1 AND id = ?2 AND version = ?12 AND status = ?13 AND deleted_at IS NULL",
            params![
                workspace_id,
                after.id.as_str(),
                after.title.as_str(),
                after.body.clone(),
                after.content_hash.as_str(),
                after.status.as_str(),
                after.campaign_id.clone(),
                after.client_id.clone(),
                serde_json::to_string(&after.tags).unwrap_or_else(|_| "[]".into()),
                after.version,
                now,
                before.version,
                before.status.as_str()
            ],
        ),
        Statement::guard(
            "SELECT 1 FROM posts WHERE workspace_id = ?1 AND id = ?2 AND version = ?3 AND status = ?4 AND updated_at = ?5",
            params![workspace_id, after.id.as_str(), after.version, after.status.as_str(), now],
        ),
    ]
}

/// Cancels the post's publications still to go out: approved text is what was scheduled.
pub fn cancel_scheduled(workspace_id: &str, post_id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'cancelled', reason = 'the post was edited after it was scheduled', \
         updated_at = ?3 WHERE workspace_id = ?1 AND post_id = ?2 AND status IN ('scheduled', 'retrying')",
        params![workspace_id, post_id, now],
    )
}

/// Soft-deletes the post if it is still at `before`'s version and status (a post scheduled or
/// edited meanwhile is not deleted), and the guard after it fails the whole batch when it was not.
pub fn delete(workspace_id: &str, before: &PostView, now: i64) -> [Statement; 2] {
    let values = params![workspace_id, before.id.as_str(), now, before.version, before.status.as_str()];
    [
        Statement::new(
            "UPDATE posts SET deleted_at = ?3, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 \
             AND version = ?4 AND status = ?5 AND deleted_at IS NULL",
            values.clone(),
        ),
        Statement::guard(
            "SELECT 1 FROM posts WHERE workspace_id = ?1 AND id = ?2 AND deleted_at = ?3 AND version = ?4 AND status = ?5",
            values,
        ),
    ]
}
