//! The only SQL on `notifications`. Every read and mark names the recipient: a member never
//! reaches another's notifications.

use crate::collab::model::{InboxItem, MailFrom, Notice, NotificationView, Recipients, SlackHook, WorkspaceUnread};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

fn decode(r: &Row) -> Result<NotificationView, AppError> {
    Ok(NotificationView {
        id: r.text("id")?,
        kind: r.text("kind")?,
        title: r.text("title")?,
        body: r.text("body")?,
        subject_type: r.text("subject_type")?,
        subject_id: r.text("subject_id")?,
        read: r.opt_int("read_at")?.is_some(),
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// [`insert`], while the user is a member of the workspace (else nothing).
pub fn insert_for_member(id: String, workspace_id: &str, user_id: &str, notice: &Notice<'_>, now_ms: i64) -> Statement {
    written(
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS \
         (SELECT 1 FROM memberships m WHERE m.workspace_id = ?2 AND m.user_id = ?3)",
        id,
        workspace_id,
        user_id,
        notice,
        now_ms,
    )
}

pub fn insert(id: String, workspace_id: &str, user_id: &str, notice: &Notice<'_>, now_ms: i64) -> Statement {
    written("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", id, workspace_id, user_id, notice, now_ms)
}

/// A notification's insert, its row given by `rows` (`VALUES …` or a `SELECT`) over the nine
/// parameters.
fn written(rows: &str, id: String, workspace_id: &str, user_id: &str, notice: &Notice<'_>, now_ms: i64) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO notifications (id, workspace_id, user_id, kind, title, body, subject_type, subject_id, created_at) {rows}"
        ),
        params![
            id,
            workspace_id,
            user_id,
            notice.kind,
            notice.title.as_str(),
            notice.body.as_str(),
            notice.subject_type,
            notice.subject_id,
            now_ms
        ],
    )
}

/// The reads of the user's notifications, newest first, only unread ones when `only_unread`,
/// after the id `after` (none when empty): one more than `limit`, which tells whether a next page
/// exists; and of how many are unread. Sent with the membership check in one round trip;
/// [`list_of`] reads their answers.
pub fn list_reads(workspace_id: &str, user_id: &str, only_unread: bool, after: &str, limit: i64) -> [Statement; 2] {
    [
        Statement::new(
            "SELECT id, kind, title, body, subject_type, subject_id, read_at, created_at FROM notifications \
             WHERE workspace_id = ?1 AND user_id = ?2 AND (?3 = 0 OR read_at IS NULL) AND (?4 = '' OR id < ?4) \
             ORDER BY id DESC LIMIT ?5",
            params![workspace_id, user_id, i64::from(only_unread), after, limit + 1],
        ),
        Statement::new(
            "SELECT COUNT(*) AS n FROM notifications WHERE workspace_id = ?1 AND user_id = ?2 AND read_at IS NULL",
            params![workspace_id, user_id],
        ),
    ]
}

/// The page and the unread count [`list_reads`] found.
pub fn list_of(answers: &[Vec<Row>]) -> Result<(Vec<NotificationView>, i64), AppError> {
    let items = answers.first().map_or(&[][..], Vec::as_slice).iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let unread = answers.get(1).and_then(|rows| rows.first()).map(|r| r.int("n")).transpose()?.unwrap_or(0);
    Ok((items, unread))
}

/// Where a notification of the user's is one they may read across workspaces: of a workspace
/// they are still a member of, and not archived (`n` the notification, `w` its workspace).
const IN_MY_WORKSPACES: &str = "FROM notifications n JOIN workspaces w ON w.id = n.workspace_id \
     WHERE n.user_id = ?1 AND w.archived_at IS NULL \
     AND n.workspace_id IN (SELECT m.workspace_id FROM memberships m WHERE m.user_id = ?1)";

/// The reads of the user's notifications in every workspace they are a member of, newest first,
/// only unread ones when `only_unread`, after the id `after` (none when empty), one more than
/// `limit`; and of each such workspace's unread count. One round trip; [`inbox_of`] reads them.
pub fn inbox_reads(user_id: &str, only_unread: bool, after: &str, limit: i64) -> [Statement; 2] {
    [
        Statement::new(
            format!(
                "SELECT n.id, n.workspace_id, w.name AS workspace_name, n.kind, n.title, n.body, n.subject_type, \
                 n.subject_id, n.read_at, n.created_at {IN_MY_WORKSPACES} \
                 AND (?2 = 0 OR n.read_at IS NULL) AND (?3 = '' OR n.id < ?3) ORDER BY n.id DESC LIMIT ?4"
            ),
            params![user_id, i64::from(only_unread), after, limit + 1],
        ),
        Statement::new(
            format!(
                "SELECT n.workspace_id, w.name AS workspace_name, COUNT(*) AS n {IN_MY_WORKSPACES} \
                 AND n.read_at IS NULL GROUP BY n.workspace_id, w.name ORDER BY w.name, n.workspace_id"
            ),
            params![user_id],
        ),
    ]
}

/// The page and the unread counts [`inbox_reads`] found.
pub fn inbox_of(answers: &[Vec<Row>]) -> Result<(Vec<InboxItem>, Vec<WorkspaceUnread>), AppError> {
    let rows = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let items = rows(0)
        .iter()
        .map(|r| {
            Ok(InboxItem {
                workspace_id: r.text("workspace_id")?,
                workspace_name: r.text("workspace_name")?,
                notification: decode(r)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let unread = rows(1)
        .iter()
        .map(|r| {
            Ok(WorkspaceUnread {
                workspace_id: r.text("workspace_id")?,
                workspace_name: r.text("workspace_name")?,
                unread: r.int("n")?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok((items, unread))
}

/// Marks every unread notification of the user read in every workspace they are a member of;
/// how many there were.
pub async fn mark_inbox_read(db: &dyn Sql, user_id: &str, now_ms: i64) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL \
             AND workspace_id IN (SELECT m.workspace_id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = ?1 AND w.archived_at IS NULL)",
            &params![user_id, now_ms],
        )
        .await?)
}

/// Whether the user has the notification.
pub async fn exists(db: &dyn Sql, workspace_id: &str, user_id: &str, id: &str) -> Result<bool, AppError> {
    let row = db
        .query_one(
            "SELECT id FROM notifications WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
            &params![workspace_id, user_id, id],
        )
        .await?;
    Ok(row.is_some())
}

/// Marks one notification read; how many were unread (0 or 1).
pub async fn mark_read(
    db: &dyn Sql,
    workspace_id: &str,
    user_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications SET read_at = ?4 WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3 AND read_at IS NULL",
            &params![workspace_id, user_id, id, now_ms],
        )
        .await?)
}

/// Marks every unread notification of the user read; how many there were.
pub async fn mark_all_read(db: &dyn Sql, workspace_id: &str, user_id: &str, now_ms: i64) -> Result<u64, AppError> {
    Ok(db
        .execute(
            "UPDATE notifications SET read_at = ?3 WHERE workspace_id = ?1 AND user_id = ?2 AND read_at IS NULL",
            &params![workspace_id, user_id, now_ms],
        )
        .await?)
}

/// The read of the addresses of the workspace's members (whom notices go to), to send with a
/// change's own reads in one round trip; [`addresses_of`] reads it.
pub fn member_addresses_read(workspace_id: &str) -> Statement {
    Statement::new(
        format!("SELECT id, email, {FROM_COLUMNS} FROM users WHERE id IN (SELECT user_id FROM memberships WHERE workspace_id = ?1)"),
        crate::params![workspace_id],
    )
}

/// What a read of addresses adds to each row so that its mails go out under the workspace's
/// brand, and its notices to its Slack channel (`?1` is the workspace); [`from_of`] reads it.
pub const FROM_COLUMNS: &str = "(SELECT w.name FROM workspaces w WHERE w.id = ?1) AS ws_name, \
     (SELECT w.branding FROM workspaces w WHERE w.id = ?1) AS ws_branding, \
     (SELECT s.url_sealed FROM slack_hooks s WHERE s.workspace_id = ?1) AS slack_url, \
     (SELECT s.kinds FROM slack_hooks s WHERE s.workspace_id = ?1) AS slack_kinds";

/// The workspace's brand on its own (for recipients whose addresses come from elsewhere).
pub fn from_read(workspace_id: &str) -> Statement {
    Statement::new(format!("SELECT {FROM_COLUMNS}"), crate::params![workspace_id])
}

/// Who mails from the workspace are from, as the first row of a read with [`FROM_COLUMNS`] says.
pub fn from_of(rows: &[Row]) -> MailFrom {
    let Some(row) = rows.first() else { return MailFrom::default() };
    let text = |col: &str| row.opt_text(col).ok().flatten().unwrap_or_default();
    let brand = crate::workspaces::branding::Brand::for_mail(&text("ws_branding"));
    let name = text("ws_name");
    let slack = row
        .opt_text("slack_url")
        .ok()
        .flatten()
        .map(|sealed| SlackHook { sealed, kinds: serde_json::from_str(&text("slack_kinds")).unwrap_or_default() });
    MailFrom {
        workspace: brand.name_or(&name).to_string(),
        sender_name: brand.sender(),
        reply_to: brand.support_email,
        slack,
    }
}

/// (user id, address) of each user an addresses read found, and who their mails are from.
pub fn addresses_of(rows: &[Row]) -> Result<Recipients, AppError> {
    let people = rows.iter().map(|r| Ok((r.text("id")?, r.text("email")?))).collect::<Result<_, AppError>>()?;
    Ok(Recipients { people, from: from_of(rows) })
}
