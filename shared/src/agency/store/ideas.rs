//! The only SQL on `ideas` and the decisions on them (`idea_decisions`).

use crate::agency::model::ideas::{IdeaDecision, IdeaStatus, IdeaView};
use crate::api::paging::{self, ById, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

const COLUMNS: &str = "id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, post_id, \
     created_by, created_at, updated_at, stage_opened_at";

fn decode(r: &Row, decisions: Vec<IdeaDecision>) -> Result<IdeaView, AppError> {
    let list =
        |c: &str| -> Result<Vec<String>, AppError> { Ok(serde_json::from_value(r.json(c)?).unwrap_or_default()) };
    Ok(IdeaView {
        id: r.text("id")?,
        campaign_id: r.text("campaign_id")?,
        client_id: r.opt_text("client_id")?,
        kind: r.text("kind")?,
        title: r.text("title")?,
        hook: r.opt_text("hook")?,
        caption: r.opt_text("caption")?,
        hashtags: list("hashtags")?,
        platforms: list("platforms")?,
        status: IdeaStatus::parse(&r.text("status")?)
            .ok_or_else(|| AppError::Internal("stored idea status unknown".into()))?,
        post_id: r.opt_text("post_id")?,
        decisions,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
        stage_opened_at: r.int("stage_opened_at")?,
    })
}

/// An idea of `workspace_id` with every decision; `client_user` (when not empty) limits it to
/// the clients that Client member belongs to.
pub async fn load_in(db: &dyn Sql, workspace_id: &str, client_user: &str, id: &str) -> Result<IdeaView, AppError> {
    let visible = crate::client_visible!("client_id", "?2");
    let sql = format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id = ?3 AND {visible}");
    let row = db
        .query_one(&sql, &params![workspace_id, client_user, id])
        .await?
        .ok_or_else(|| AppError::not_found("idea"))?;
    let decisions = db
        .query(
            "SELECT user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
             WHERE workspace_id = ?1 AND idea_id = ?2 ORDER BY created_at, id",
            &params![workspace_id, row.text("id")?],
        )
        .await?
        .iter()
        .map(|d| {
            Ok(IdeaDecision {
                user_id: d.text("user_id")?,
                stage: d.text("stage")?,
                decision: d.text("decision")?,
                comment: d.opt_text("comment")?,
                review_link_id: d.opt_text("review_link_id")?,
                created_at: rfc3339(d.int("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    decode(&row, decisions)
}

/// The ideas `ids` of `workspace_id` that still exist, each with every decision, in one round
/// trip, in no particular order (the review page).
pub async fn load_many(db: &dyn Sql, workspace_id: &str, ids: &[String]) -> Result<Vec<IdeaView>, AppError> {
    let mut reads = Vec::new();
    for chunk in ids.chunks(crate::sql::MAX_IDS_PER_STATEMENT) {
        let mut values = params![workspace_id];
        values.extend(chunk.iter().map(crate::sql::Value::from));
        let list = crate::sql::placeholders(2, chunk.len());
        reads.push(Statement::new(
            format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id IN ({list})"),
            values.clone(),
        ));
        reads.push(Statement::new(
            format!(
                "SELECT idea_id, user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
                 WHERE workspace_id = ?1 AND idea_id IN ({list}) ORDER BY created_at, id"
            ),
            values,
        ));
    }
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let answers = db.reads(&reads).await?;
    let mut out = Vec::new();
    for pair in answers.chunks(2) {
        let (ideas, decisions) =
            (pair.first().map_or(&[][..], Vec::as_slice), pair.get(1).map_or(&[][..], Vec::as_slice));
        for row in ideas {
            let id = row.text("id")?;
            let mine = decisions
                .iter()
                .filter(|d| d.text("idea_id").is_ok_and(|i| i == id))
                .map(|d| {
                    Ok(IdeaDecision {
                        user_id: d.text("user_id")?,
                        stage: d.text("stage")?,
                        decision: d.text("decision")?,
                        comment: d.opt_text("comment")?,
                        review_link_id: d.opt_text("review_link_id")?,
                        created_at: rfc3339(d.int("created_at")?),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            out.push(decode(row, mine)?);
        }
    }
    Ok(out)
}

/// A campaign's ideas, oldest first, in `status` when it is not empty, one page after
/// `paging`'s id; listed without their decisions.
pub async fn page(
    db: &dyn Sql,
    workspace_id: &str,
    campaign_id: &str,
    status: &str,
    paging: &ById,
) -> Result<Page<IdeaView>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND campaign_id = ?2 AND (?3 = '' OR status = ?3) \
         AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5"
    );
    let values = params![workspace_id, campaign_id, status, paging.after.as_str(), paging.limit + 1];
    let rows = db.query(&sql, &values).await?;
    let (items, next_cursor) = paging::page(&rows, paging.limit, |r| decode(r, Vec::new()), |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

/// A new idea, proposed (`generated`).
pub fn insert(workspace_id: &str, idea: &IdeaView, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO ideas (id, workspace_id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, \
         created_by, created_at, updated_at, stage_opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'generated', ?11, \
         ?12, ?12, ?12)",
        params![
            idea.id.as_str(),
            workspace_id,
            idea.campaign_id.as_str(),
            idea.client_id.clone(),
            idea.kind.as_str(),
            idea.title.as_str(),
            idea.hook.clone(),
            idea.caption.clone(),
            serde_json::to_string(&idea.hashtags).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&idea.platforms).unwrap_or_else(|_| "[]".into()),
            idea.created_by.as_str(),
            now_ms
        ],
    )
}

/// The change of `before` into `idea`, applied only while the stored status is still the one
/// read, with a guard that fails the batch otherwise.
pub(crate) fn write(ws: &str, idea: &IdeaView, before: &IdeaView, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE ideas SET kind = ?3, title = ?4, hook = ?5, caption = ?6, hashtags = ?7, platforms = ?8, status = ?9, \
             post_id = ?10, updated_at = ?11, stage_opened_at = ?13 WHERE workspace_id = ?1 AND id = ?2 AND status = ?12",
            params![
                ws,
                idea.id.as_str(),
                idea.kind.as_str(),
                idea.title.as_str(),
                idea.hook.clone(),
                idea.caption.clone(),
                serde_json::to_string(&idea.hashtags).unwrap_or_else(|_| "[]".into()),
                serde_json::to_string(&idea.platforms).unwrap_or_else(|_| "[]".into()),
                idea.status.as_str(),
                idea.post_id.clone(),
                now,
                before.status.as_str(),
                idea.stage_opened_at
            ],
        ),
        // A concurrent decision wins; this one aborts.
        Statement::guard(
            "SELECT 1 FROM ideas WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND updated_at = ?4",
            params![ws, idea.id.as_str(), idea.status.as_str(), now],
        ),
    ]
}
