//! The only SQL on `comments` (on posts) and `idea_comments` (on ideas).

use crate::api::paging::{self, ById, Page};
use crate::collab::model::{CommentView, Subject, SubjectKind, Visibility};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

/// The table holding a subject's comments and the column naming the subject: fixed names,
/// never input.
fn thread(kind: SubjectKind) -> (&'static str, &'static str) {
    match kind {
        SubjectKind::Post => ("comments", "post_id"),
        SubjectKind::Idea => ("idea_comments", "idea_id"),
    }
}

fn decode(r: &Row, subject: &Subject) -> Result<CommentView, AppError> {
    Ok(CommentView {
        id: r.text("id")?,
        subject_type: subject.kind.as_str().to_string(),
        subject_id: subject.id.clone(),
        author_id: r.text("author_id")?,
        body: r.text("body")?,
        visibility: if r.text("visibility")? == "client" { Visibility::Client } else { Visibility::Internal },
        mentions: serde_json::from_value(r.json("mentions")?).unwrap_or_default(),
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// A member a new comment mentions: their role, address, and whether they are attached to the
/// subject's client (what a Client member must be to read it).
pub struct Mentioned {
    pub user_id: String,
    pub role: crate::api::permissions::Role,
    pub email: String,
    pub sees_subject: bool,
}

/// The reads of the members of the workspace among `ids`, each with what [`Mentioned`] says, for
/// a comment on the post or idea `subject_id`: to send with the subject's own read in one round
/// trip; [`mentioned_of`] reads their answers.
pub fn mentioned_reads(workspace_id: &str, kind: SubjectKind, subject_id: &str, ids: &[String]) -> Vec<Statement> {
    let subjects = match kind {
        SubjectKind::Post => "posts",
        SubjectKind::Idea => "ideas",
    };
    crate::sql::in_chunks(&params![workspace_id, subject_id], ids, |list| {
        format!(
            "SELECT m.user_id, m.role, u.email, {from}, CASE WHEN EXISTS (SELECT 1 FROM client_members c \
             WHERE c.workspace_id = ?1 AND c.user_id = m.user_id \
             AND c.client_id = (SELECT client_id FROM {subjects} WHERE workspace_id = ?1 AND id = ?2)) \
             THEN 1 ELSE 0 END AS sees_subject \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 AND m.user_id IN ({list})",
            from = super::notifications::FROM_COLUMNS
        )
    })
}

/// The members [`mentioned_reads`] found.
pub fn mentioned_of<'r>(rows: impl Iterator<Item = &'r Row>) -> Result<Vec<Mentioned>, AppError> {
    rows.map(|r| {
        let role = crate::api::permissions::Role::parse(&r.text("role")?)
            .ok_or_else(|| AppError::Internal("stored role is unknown".into()))?;
        Ok(Mentioned {
            user_id: r.text("user_id")?,
            role,
            email: r.text("email")?,
            sees_subject: r.int("sees_subject")? == 1,
        })
    })
    .collect()
}

/// The reads for a page of the thread on the post or idea `subject_id` as the caller `viewer`
/// sees it, to send with the membership check in one round trip: the subject (behind a Client
/// member's wall), then its comments that are not deleted (a Client member's: client-visible
/// ones only), after the id `after`. [`page_of`] reads their answers.
pub fn page_reads(
    workspace_id: &str,
    viewer: &str,
    kind: SubjectKind,
    subject_id: &str,
    paging: &ById,
) -> [Statement; 2] {
    let (table, column) = thread(kind);
    let subjects = match kind {
        SubjectKind::Post => "posts",
        SubjectKind::Idea => "ideas",
    };
    let deleted = if kind == SubjectKind::Post { " AND deleted_at IS NULL" } else { "" };
    [
        Statement::new(
            format!(
                "SELECT id, title, client_id FROM {subjects} WHERE workspace_id = ?1 AND id = ?3{deleted} AND {}",
                crate::client_visible_to!("client_id", "?1", "?2")
            ),
            params![workspace_id, viewer, subject_id],
        ),
        Statement::new(
            format!(
                "SELECT id, author_id, body, visibility, mentions, created_at FROM {table} \
                 WHERE workspace_id = ?1 AND {column} = ?3 AND deleted_at IS NULL \
                 AND (visibility = 'client' OR NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 \
                 AND user_id = ?2 AND role = 'client')) AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5"
            ),
            params![workspace_id, viewer, subject_id, paging.after.as_str(), paging.limit + 1],
        ),
    ]
}

/// The page [`page_reads`] found, or 404 when the caller does not see its subject.
pub fn page_of(kind: SubjectKind, answers: &[Vec<Row>], paging: &ById) -> Result<Page<CommentView>, AppError> {
    let found = answers.first().and_then(|rows| rows.first());
    let missing = || AppError::not_found(if kind == SubjectKind::Post { "post" } else { "idea" });
    let row = found.ok_or_else(missing)?;
    let on = Subject { kind, id: row.text("id")?, title: row.text("title")?, client_id: row.opt_text("client_id")? };
    let rows = answers.get(1).map_or(&[][..], Vec::as_slice);
    let (items, next_cursor) = paging::page(rows, paging.limit, |r| decode(r, &on), |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

/// A comment on `on` that is not deleted, client-visible when `client_only`, or 404.
pub async fn visible(
    db: &dyn Sql,
    workspace_id: &str,
    on: &Subject,
    id: &str,
    client_only: bool,
) -> Result<CommentView, AppError> {
    let (table, column) = thread(on.kind);
    let sql = format!(
        "SELECT id, author_id, body, visibility, mentions, created_at FROM {table} \
         WHERE workspace_id = ?1 AND {column} = ?2 AND id = ?3 AND deleted_at IS NULL AND (?4 = 0 OR visibility = 'client')"
    );
    let row = db
        .query_one(&sql, &params![workspace_id, on.id.as_str(), id, i64::from(client_only)])
        .await?
        .ok_or_else(|| AppError::not_found("comment"))?;
    decode(&row, on)
}

pub fn insert(workspace_id: &str, on: &Subject, c: &CommentView, now_ms: i64) -> Statement {
    let (table, column) = thread(on.kind);
    Statement::new(
        format!(
            "INSERT INTO {table} (id, workspace_id, {column}, author_id, body, visibility, mentions, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
        ),
        params![
            c.id.as_str(),
            workspace_id,
            on.id.as_str(),
            c.author_id.as_str(),
            c.body.as_str(),
            c.visibility.as_str(),
            serde_json::to_string(&c.mentions).unwrap_or_else(|_| "[]".into()),
            now_ms
        ],
    )
}

/// Comments are deleted softly: the row stays, no list shows it.
pub fn delete(workspace_id: &str, kind: SubjectKind, id: &str, now_ms: i64) -> Statement {
    let (table, _) = thread(kind);
    Statement::new(
        format!("UPDATE {table} SET deleted_at = ?3 WHERE workspace_id = ?1 AND id = ?2"),
        params![workspace_id, id, now_ms],
    )
}
