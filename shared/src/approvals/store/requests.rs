//! Approval requests and their votes.

use crate::approvals::requests::{RequestView, VoteView};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement, Value};
use crate::validate::rfc3339;
use crate::workflows::opening::Stage;
use crate::workflows::Rule;

/// A request as stored, with its votes and who wrote and who owns its post: the approvers
/// are those named when the stage opened (see `reviewing::requests_of`).
pub struct Stored {
    pub request: RequestView,
    pub post_client_id: Option<String>,
    pub post_author_id: String,
}

const COLUMNS: &str =
    "id, post_id, stage, status, rule, approvers, post_version, submitted_by, created_at, closed_at, \
     (SELECT p.client_id FROM posts p WHERE p.workspace_id = approval_requests.workspace_id \
      AND p.id = approval_requests.post_id) AS post_client_id, \
     (SELECT p.author_id FROM posts p WHERE p.workspace_id = approval_requests.workspace_id \
      AND p.id = approval_requests.post_id) AS post_author_id";

fn decode(r: &Row, votes: Vec<VoteView>) -> Result<RequestView, AppError> {
    Ok(RequestView {
        id: r.text("id")?,
        post_id: r.text("post_id")?,
        stage: if r.text("stage")? == "client" { Stage::Client } else { Stage::Internal },
        status: r.text("status")?,
        rule: if r.text("rule")? == "all" { Rule::All } else { Rule::Any },
        approvers: serde_json::from_str(&r.text("approvers")?).unwrap_or_default(),
        post_version: r.int("post_version")?,
        submitted_by: r.text("submitted_by")?,
        votes,
        created_at: rfc3339(r.int("created_at")?),
        closed_at: r.opt_int("closed_at")?.map(rfc3339),
    })
}

fn decode_vote(r: &Row) -> Result<VoteView, AppError> {
    Ok(VoteView {
        user_id: r.text("user_id")?,
        decision: r.text("decision")?,
        comment: r.opt_text("comment")?,
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// The requests `rows` (their `ids`) each with its own of `votes`.
fn assemble(rows: &[Row], ids: &[String], votes: &[Row]) -> Result<Vec<Stored>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for (r, id) in rows.iter().zip(ids) {
        let mine = votes
            .iter()
            .filter(|v| v.text("request_id").is_ok_and(|of| of == *id))
            .map(decode_vote)
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Stored {
            request: decode(r, mine)?,
            post_client_id: r.opt_text("post_client_id")?,
            post_author_id: r.opt_text("post_author_id")?.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Keeps the first `limit` rows of `limit + 1` fetched; the id of the last one shown is the
/// next page's cursor when there was more.
fn last_shown(rows: &mut Vec<Row>, limit: i64) -> Result<Option<String>, AppError> {
    if rows.len() as i64 <= limit {
        return Ok(None);
    }
    rows.truncate(limit as usize);
    Ok(rows.last().map(|r| r.text("id")).transpose()?)
}

/// The reads of the requests `page` selects (`FROM approval_requests WHERE …`, with its order
/// and limit, over `values`, `?1` being the workspace), of their votes, and of who may decide
/// them now (`workflows::store::governing_reads`), to send with others in one round trip;
/// [`page_of`] reads the first two answers, `reviewing::requests_of` all of them.
pub fn page_reads(page: &str, values: Vec<Value>) -> Vec<Statement> {
    let mut reads = vec![
        Statement::new(format!("SELECT {COLUMNS} {page}"), values.clone()),
        Statement::new(
            format!(
                "SELECT request_id, user_id, decision, comment, created_at FROM approval_votes \
                 WHERE workspace_id = ?1 AND request_id IN (SELECT id {page}) ORDER BY created_at, id"
            ),
            values.clone(),
        ),
    ];
    let clients =
        format!("SELECT p.client_id FROM posts p WHERE p.workspace_id = ?1 AND p.id IN (SELECT post_id {page})");
    reads.extend(crate::workflows::store::governing_reads(&clients, values));
    reads
}

/// The requests [`page_reads`] found (`rows`, then `votes`), the first `limit` of them, and the
/// next page's cursor when there were more.
pub fn page_of(mut rows: Vec<Row>, votes: &[Row], limit: i64) -> Result<(Vec<Stored>, Option<String>), AppError> {
    let next_cursor = last_shown(&mut rows, limit)?;
    let ids: Vec<String> = rows.iter().map(|r| r.text("id")).collect::<Result<_, _>>()?;
    Ok((assemble(&rows, &ids, votes)?, next_cursor))
}

/// The page of the review queue [`queue`] reads, for `viewer` (a Client member sees only its
/// clients' posts' requests), as [`page_reads`] to send with the membership check.
pub fn queue_reads(
    workspace_id: &str,
    status: &str,
    viewer: &str,
    me: &str,
    after: &str,
    limit: i64,
) -> Vec<Statement> {
    let page = format!(
        "FROM approval_requests WHERE workspace_id = ?1 AND status = ?2 \
         AND post_id IN (SELECT id FROM posts WHERE workspace_id = ?1 AND deleted_at IS NULL AND {}) \
         AND (?4 = '' OR (approvers LIKE ?5 AND NOT EXISTS (SELECT 1 FROM approval_votes v \
              WHERE v.workspace_id = ?1 AND v.request_id = approval_requests.id AND v.user_id = ?4))) \
         AND (?6 = '' OR id > ?6) ORDER BY id LIMIT ?7",
        crate::client_visible_to!("client_id", "?1", "?3")
    );
    // The pattern finds an id in the stored JSON array of ids: no user text, 40 bytes.
    page_reads(&page, params![workspace_id, status, viewer, me, format!("%\"{me}\"%"), after, limit + 1])
}

/// A post's requests, newest first before the cursor `after`, as [`page_reads`].
pub fn history_reads(workspace_id: &str, post_id: &str, after: &str, limit: i64) -> Vec<Statement> {
    page_reads(
        "FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 AND (?3 = '' OR id < ?3) ORDER BY id DESC LIMIT ?4",
        params![workspace_id, post_id, after, limit + 1],
    )
}

/// Request `id`, if it is on a post of the workspace that `viewer` may see, as [`page_reads`].
pub fn one_reads(workspace_id: &str, viewer: &str, id: &str) -> Vec<Statement> {
    let page = format!(
        "FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 \
         AND post_id IN (SELECT id FROM posts WHERE workspace_id = ?1 AND deleted_at IS NULL AND {})",
        crate::client_visible_to!("client_id", "?1", "?3")
    );
    page_reads(&page, params![workspace_id, id, viewer])
}

/// The reads of request `id`'s post as `viewer` may see it (the post, its targets, their
/// media), to send with the request's own read in one round trip; `posts::where_of` reads them.
pub fn post_reads(workspace_id: &str, viewer: &str, id: &str) -> [Statement; 3] {
    let filter = format!(
        "workspace_id = ?1 AND {} AND id = (SELECT post_id FROM approval_requests WHERE workspace_id = ?1 AND id = ?3) \
         AND deleted_at IS NULL",
        crate::content::store::posts::VISIBLE_TO_CALLER
    );
    crate::content::store::posts::where_reads(&filter, params![workspace_id, viewer, id])
}

/// The read of the addresses of the workspace's members and of request `id`'s post's author and
/// submitter (who may have left), to send with the request's own read in one round trip;
/// `notifications::addresses_of` reads it.
pub fn addresses_read(workspace_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT id, email, {} FROM users WHERE id IN (SELECT user_id FROM memberships WHERE workspace_id = ?1) \
         OR id = (SELECT submitted_by FROM approval_requests WHERE workspace_id = ?1 AND id = ?2) \
         OR id = (SELECT p.author_id FROM posts p JOIN approval_requests r ON r.post_id = p.id \
                  WHERE r.workspace_id = ?1 AND r.id = ?2 AND p.workspace_id = ?1)",
            crate::collab::store::notifications::FROM_COLUMNS
        ),
        params![workspace_id, id],
    )
}

/// The read of post `post_id`'s newest pending request, to send with others in one round trip;
/// [`pending_of`] reads its answer.
pub fn pending_read(workspace_id: &str, post_id: &str) -> Statement {
    Statement::new(
        "SELECT id, stage, post_version FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 \
         AND status = 'pending' ORDER BY created_at DESC, id DESC LIMIT 1",
        params![workspace_id, post_id],
    )
}

/// The pending request [`pending_read`] found, if any: (id, stage, post version).
pub fn pending_of(rows: &[Row]) -> Result<Option<(String, String, i64)>, AppError> {
    rows.first().map(|r| Ok((r.text("id")?, r.text("stage")?, r.int("post_version")?))).transpose()
}

/// The read that finds `user_id`'s vote on post `post_id`'s newest pending request (a row when
/// there is one), to send with [`pending_read`] in the same round trip.
pub fn voted_on_pending_read(workspace_id: &str, post_id: &str, user_id: &str) -> Statement {
    Statement::new(
        "SELECT 1 AS one FROM approval_votes WHERE workspace_id = ?1 AND user_id = ?3 AND request_id = \
         (SELECT id FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 AND status = 'pending' \
          ORDER BY created_at DESC, id DESC LIMIT 1)",
        params![workspace_id, post_id, user_id],
    )
}

/// The addresses a decision through a review link on post `post_id` tells: its author's and
/// the link's creator's (`creator`), with the workspace's brand.
pub fn link_decision_addresses_read(workspace_id: &str, post_id: &str, creator: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT id, email, {} FROM users WHERE id = ?3 \
             OR id = (SELECT author_id FROM posts WHERE workspace_id = ?1 AND id = ?2)",
            crate::collab::store::notifications::FROM_COLUMNS
        ),
        params![workspace_id, post_id, creator],
    )
}

/// The read of every request of the posts `post_ids` (at most 90), newest first per post, to
/// send with others in one round trip (`Sql::reads`); [`latest_of`] reads its answer.
pub fn of_posts(workspace_id: &str, post_ids: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&params![workspace_id], post_ids, of_posts_sql)
}

/// [`of_posts`] for the posts a subquery over `values` selects (`?1` being the workspace).
pub fn of_posts_in(post_ids: &str, values: Vec<Value>) -> Statement {
    Statement::new(of_posts_sql(post_ids), values)
}

fn of_posts_sql(post_ids: &str) -> String {
    format!(
        "SELECT id, post_id, stage, post_version, status FROM approval_requests WHERE workspace_id = ?1 \
         AND post_id IN ({post_ids}) ORDER BY post_id, created_at DESC, id DESC"
    )
}

/// What [`of_posts`] found for `post_id`: its newest pending request (id, stage, version), as
/// [`pending_request`] answers, and the status of its newest request, as [`last_status`] does.
pub fn latest_of(rows: &[Row], post_id: &str) -> Result<(Option<(String, String, i64)>, Option<String>), AppError> {
    let mine: Vec<&Row> = rows.iter().filter(|r| r.text("post_id").is_ok_and(|p| p == post_id)).collect();
    let last = mine.first().map(|r| r.text("status")).transpose()?;
    let pending = match mine.iter().find(|r| r.text("status").is_ok_and(|s| s == "pending")) {
        Some(r) => Some((r.text("id")?, r.text("stage")?, r.int("post_version")?)),
        None => None,
    };
    Ok((pending, last))
}

/// The status of the post's latest request, if it ever had one.
pub async fn last_status(db: &dyn Sql, workspace_id: &str, post_id: &str) -> Result<Option<String>, AppError> {
    Ok(db
        .query_one(
            "SELECT status FROM approval_requests WHERE workspace_id = ?1 AND post_id = ?2 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
            &params![workspace_id, post_id],
        )
        .await?
        .map(|r| r.text("status"))
        .transpose()?)
}

/// A vote on a request; `link_id` when it came through a review link.
#[allow(clippy::too_many_arguments)]
pub fn vote(
    id: String,
    workspace_id: &str,
    request_id: &str,
    user_id: &str,
    decision: &str,
    comment: Option<String>,
    at: i64,
    link_id: Option<&str>,
) -> Statement {
    Statement::new(
        "INSERT INTO approval_votes (id, workspace_id, request_id, user_id, decision, comment, created_at, review_link_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, workspace_id, request_id, user_id, decision, comment, at, link_id],
    )
}

/// Closes a request; the guard fails the batch when someone closed it first.
pub fn close(workspace_id: &str, request_id: &str, status: &str, at: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE approval_requests SET status = ?3, closed_at = ?4 WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending'",
            params![workspace_id, request_id, status, at],
        ),
        Statement::guard(
            "SELECT 1 FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND closed_at = ?4",
            params![workspace_id, request_id, status, at],
        ),
    ]
}

/// Fails the batch unless the request is still pending.
pub fn still_pending(workspace_id: &str, request_id: &str) -> Statement {
    Statement::guard(
        "SELECT 1 FROM approval_requests WHERE workspace_id = ?1 AND id = ?2 AND status = 'pending'",
        params![workspace_id, request_id],
    )
}

/// Fails the batch unless `user_id` still holds `role` in the workspace and, for a Client
/// member, is still attached to `client_id` (`""` at the internal stage).
pub fn still_entitled(workspace_id: &str, user_id: &str, role: &str, client_id: &str) -> Statement {
    Statement::guard(
        "SELECT 1 FROM memberships m WHERE m.workspace_id = ?1 AND m.user_id = ?2 AND m.role = ?3 \
         AND (m.role <> 'client' OR EXISTS (SELECT 1 FROM client_members c WHERE c.workspace_id = ?1 \
              AND c.user_id = ?2 AND c.client_id = ?4))",
        params![workspace_id, user_id, role, client_id],
    )
}
