//! The only SQL of the content calendar and of people's calendar feeds.

use crate::error::AppError;
use crate::params;
use crate::publishing::calendar::{CalendarEntry, FeedEvent};
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// What the calendar asks for: due times from `from` (inclusive) to `to` (exclusive), in ms,
/// optionally one account's or one campaign's ("" for any).
pub struct Range<'a> {
    pub from: i64,
    pub to: i64,
    pub account_id: &'a str,
    pub campaign_id: &'a str,
}

/// The read of a page of the workspace's calendar as `viewer` may see it (a Client member:
/// their clients' posts), by due time then id, after `after` (due time and id of the last entry
/// shown), `limit + 1` rows; to send with the membership check in one round trip.
pub fn entries_read(ws: &str, viewer: &str, r: &Range<'_>, after: Option<(i64, &str)>, limit: i64) -> Statement {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    Statement::new(
        format!(
            "SELECT p.id AS id, p.post_id AS post_id, p.account_id AS account_id, p.platform AS platform, \
             p.due_at AS due_at, p.timezone AS timezone, p.status AS status, p.published_at AS published_at, \
             p.remote_url AS remote_url, po.title AS title, po.campaign_id AS campaign_id, po.client_id AS client_id, \
             a.handle AS handle \
             FROM publications p JOIN posts po ON po.workspace_id = p.workspace_id AND po.id = p.post_id \
             JOIN social_accounts a ON a.workspace_id = p.workspace_id AND a.id = p.account_id \
             WHERE p.workspace_id = ?1 AND p.due_at >= ?3 AND p.due_at < ?4 AND po.deleted_at IS NULL \
             AND (?5 = '' OR p.account_id = ?5) AND (?6 = '' OR po.campaign_id = ?6) AND {} \
             AND (p.due_at > ?7 OR (p.due_at = ?7 AND p.id > ?8)) \
             ORDER BY p.due_at, p.id LIMIT ?9",
            crate::client_visible_to!("po.client_id", "?1", "?2")
        ),
        params![ws, viewer, r.from, r.to, r.account_id, r.campaign_id, after_at, after_id, limit + 1],
    )
}

/// One calendar entry as [`entries_read`] found it.
pub fn entry_of(r: &Row) -> Result<CalendarEntry, AppError> {
    Ok(CalendarEntry {
        publication_id: r.text("id")?,
        post_id: r.text("post_id")?,
        title: r.text("title")?,
        platform: r.text("platform")?,
        account_id: r.text("account_id")?,
        account_handle: r.text("handle")?,
        campaign_id: r.opt_text("campaign_id")?,
        client_id: r.opt_text("client_id")?,
        status: r.text("status")?,
        due_at: rfc3339(r.int("due_at")?),
        timezone: r.text("timezone")?,
        published_at: r.opt_int("published_at")?.map(rfc3339),
        remote_url: r.opt_text("remote_url")?,
    })
}

/// The read of the feed's owner (their name), by the token's hash: no row for an unknown or
/// replaced token.
pub fn feed_owner_read(token_hash: &str) -> Statement {
    Statement::new(
        "SELECT u.name AS name FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE f.token_hash = ?1",
        params![token_hash],
    )
}

/// The read of the feed's events by the token's hash: the publications due from `from` to
/// `to` of every live workspace its owner belongs to (a Client member: their clients' posts),
/// the first `limit` by due time. Reads across workspaces: run it in the system scope.
pub fn feed_events_read(token_hash: &str, from: i64, to: i64, limit: i64) -> Statement {
    Statement::new(
        "SELECT p.id AS id, p.platform AS platform, p.due_at AS due_at, p.status AS status, p.reason AS reason, \
         p.updated_at AS updated_at, p.remote_url AS remote_url, po.title AS title, a.handle AS handle, w.name AS workspace \
         FROM calendar_feeds f JOIN memberships m ON m.user_id = f.user_id \
         JOIN workspaces w ON w.id = m.workspace_id AND w.archived_at IS NULL \
         JOIN publications p ON p.workspace_id = m.workspace_id \
         JOIN posts po ON po.workspace_id = p.workspace_id AND po.id = p.post_id \
         JOIN social_accounts a ON a.workspace_id = p.workspace_id AND a.id = p.account_id \
         WHERE f.token_hash = ?1 AND p.due_at >= ?2 AND p.due_at < ?3 AND po.deleted_at IS NULL \
         AND (m.role <> 'client' OR po.client_id IN \
              (SELECT cm.client_id FROM client_members cm WHERE cm.user_id = f.user_id AND cm.workspace_id = m.workspace_id)) \
         ORDER BY p.due_at, p.id LIMIT ?4",
        params![token_hash, from, to, limit],
    )
}

/// One event as [`feed_events_read`] found it.
pub fn event_of(r: &Row) -> Result<FeedEvent, AppError> {
    Ok(FeedEvent {
        publication_id: r.text("id")?,
        title: r.text("title")?,
        platform: r.text("platform")?,
        account_handle: r.text("handle")?,
        workspace: r.text("workspace")?,
        status: r.text("status")?,
        due_at: r.int("due_at")?,
        updated_at: r.int("updated_at")?,
        remote_url: r.opt_text("remote_url")?,
        reason: r.opt_text("reason")?,
    })
}

/// The read of `user_id`'s feed: when it was made, if they have one.
pub fn feed_read(user_id: &str) -> Statement {
    Statement::new("SELECT created_at FROM calendar_feeds WHERE user_id = ?1", params![user_id])
}

/// Gives `user_id` a feed behind `token_hash`, replacing the one they had.
pub fn put_feed(user_id: &str, token_hash: &str, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
        params![user_id, token_hash, now],
    )
}

/// Ends `user_id`'s feed.
pub fn delete_feed(user_id: &str) -> Statement {
    Statement::new("DELETE FROM calendar_feeds WHERE user_id = ?1", params![user_id])
}
