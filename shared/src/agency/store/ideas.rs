//! The only SQL on `ideas` and the decisions on them (`idea_decisions`).

use crate::agency::model::ideas::{IdeaDecision, IdeaDetails, IdeaStatus, IdeaView};
use crate::api::paging::{self, ById, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{in_chunks, Row, Sql, Statement, Value};
use crate::validate::rfc3339;

const COLUMNS: &str = "id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, post_id, \
     created_by, created_at, updated_at, stage_opened_at, stage_round, details, source, generation_id";

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
        details: match r.opt_text("details")? {
            Some(d) => serde_json::from_str(&d).unwrap_or_default(),
            None => IdeaDetails::default(),
        },
        source: r.text("source")?,
        generation_id: r.opt_text("generation_id")?,
        status: IdeaStatus::parse(&r.text("status")?)
            .ok_or_else(|| AppError::Internal("stored idea status unknown".into()))?,
        post_id: r.opt_text("post_id")?,
        decisions,
        created_by: r.text("created_by")?,
        created_at: rfc3339(r.int("created_at")?),
        updated_at: rfc3339(r.int("updated_at")?),
        stage_opened_at: r.int("stage_opened_at")?,
        stage_round: r.int("stage_round")?,
    })
}

fn decision_of(d: &Row) -> Result<IdeaDecision, AppError> {
    Ok(IdeaDecision {
        user_id: d.text("user_id")?,
        stage: d.text("stage")?,
        decision: d.text("decision")?,
        comment: d.opt_text("comment")?,
        review_link_id: d.opt_text("review_link_id")?,
        created_at: rfc3339(d.int("created_at")?),
    })
}

/// An idea of `workspace_id` with every decision, in one round trip; `client_user` (when not
/// empty) limits it to the clients that Client member belongs to.
pub async fn load_in(db: &dyn Sql, workspace_id: &str, client_user: &str, id: &str) -> Result<IdeaView, AppError> {
    let answers = db.reads(&reads_of(workspace_id, client_user, id, crate::client_visible!("client_id", "?2"))).await?;
    idea_of(&answers)
}

/// The reads of idea `id` of the workspace, whoever asks (a review link), and its decisions, to
/// send with others in one round trip; [`idea_of`] reads their answers.
pub fn held_reads(workspace_id: &str, id: &str) -> [Statement; 2] {
    reads_of(workspace_id, "", id, crate::client_visible!("client_id", "?2"))
}

/// The reads of idea `id` (as the caller `viewer` may see it, before their role is known) and
/// its decisions, to send with the membership check in one round trip; [`idea_of`] reads their
/// answers.
pub fn load_reads(workspace_id: &str, viewer: &str, id: &str) -> [Statement; 2] {
    reads_of(workspace_id, viewer, id, crate::client_visible_to!("client_id", "?1", "?2"))
}

fn reads_of(workspace_id: &str, who: &str, id: &str, visible: &str) -> [Statement; 2] {
    [
        Statement::new(
            format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id = ?3 AND {visible}"),
            params![workspace_id, who, id],
        ),
        // Used only when the idea above was found, so visible to the caller.
        Statement::new(
            "SELECT user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
             WHERE workspace_id = ?1 AND idea_id = ?2 ORDER BY created_at, id",
            params![workspace_id, id],
        ),
    ]
}

/// The idea, with its decisions, that [`load_reads`] (or `load_in`'s reads) found, or 404.
pub fn idea_of(answers: &[Vec<Row>]) -> Result<IdeaView, AppError> {
    let row = answers.first().and_then(|rows| rows.first()).ok_or_else(|| AppError::not_found("idea"))?;
    let decisions = answers.get(1).map_or(&[][..], Vec::as_slice);
    decode(row, decisions.iter().map(decision_of).collect::<Result<Vec<_>, AppError>>()?)
}

/// The ideas `ids` of `workspace_id` that still exist, each with every decision, in one round
/// trip, in no particular order (the review page).
pub async fn load_many(db: &dyn Sql, workspace_id: &str, ids: &[String]) -> Result<Vec<IdeaView>, AppError> {
    let ws = params![workspace_id];
    let mut reads =
        in_chunks(&ws, ids, |list| format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id IN ({list})"));
    let n_ideas = reads.len();
    reads.extend(in_chunks(&ws, ids, |list| {
        format!(
            "SELECT idea_id, user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
             WHERE workspace_id = ?1 AND idea_id IN ({list}) ORDER BY created_at, id"
        )
    }));
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let answers = db.reads(&reads).await?;
    let ideas: Vec<Row> = answers.iter().take(n_ideas).flatten().cloned().collect();
    let decisions: Vec<Row> = answers.iter().skip(n_ideas).flatten().cloned().collect();
    many_of(&ideas, &decisions)
}

/// The reads of the ideas of `workspace_id` that `ids` (a subquery over `values`, `?1` being the
/// workspace) names, and of their decisions, to send with others in one round trip; [`many_of`]
/// reads their answers.
pub fn among_reads(ids: &str, values: Vec<Value>) -> [Statement; 2] {
    [
        Statement::new(
            format!("SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND id IN ({ids})"),
            values.clone(),
        ),
        Statement::new(
            format!(
                "SELECT idea_id, user_id, stage, decision, comment, created_at, review_link_id FROM idea_decisions \
                 WHERE workspace_id = ?1 AND idea_id IN ({ids}) ORDER BY created_at, id"
            ),
            values,
        ),
    ]
}

/// The ideas [`among_reads`] (or [`load_many`]) found, each with its decisions.
pub fn many_of(ideas: &[Row], decisions: &[Row]) -> Result<Vec<IdeaView>, AppError> {
    let mut out = Vec::with_capacity(ideas.len());
    for row in ideas {
        let id = row.text("id")?;
        let mine = decisions
            .iter()
            .filter(|d| d.text("idea_id").is_ok_and(|i| i == id))
            .map(|d| decision_of(d))
            .collect::<Result<Vec<_>, AppError>>()?;
        out.push(decode(row, mine)?);
    }
    Ok(out)
}

/// The read of a campaign's ideas, oldest first, in `status` when it is not empty, one page
/// after `paging`'s id, listed without their decisions: to send with the membership check and
/// the campaign's own read in one round trip; [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, campaign_id: &str, status: &str, paging: &ById) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ideas WHERE workspace_id = ?1 AND campaign_id = ?2 AND (?3 = '' OR status = ?3) \
             AND (?4 = '' OR id > ?4) ORDER BY id LIMIT ?5"
        ),
        params![workspace_id, campaign_id, status, paging.after.as_str(), paging.limit + 1],
    )
}

/// The page [`page_read`] found (without the ideas' decisions).
pub fn page_of(rows: &[Row], paging: &ById) -> Result<Page<IdeaView>, AppError> {
    let (items, next_cursor) = paging::page(rows, paging.limit, |r| decode(r, Vec::new()), |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

/// The stored form of an idea's details: none when empty.
fn details_json(d: &IdeaDetails) -> Option<String> {
    (!d.is_empty()).then(|| serde_json::to_string(d).ok()).flatten()
}

/// A new idea, proposed (`generated`).
pub fn insert(workspace_id: &str, idea: &IdeaView, now_ms: i64) -> Statement {
    Statement::new(
        "INSERT INTO ideas (id, workspace_id, campaign_id, client_id, kind, title, hook, caption, hashtags, platforms, status, \
         created_by, created_at, updated_at, stage_opened_at, details, source, generation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
         ?8, ?9, ?10, 'generated', ?11, ?12, ?12, ?12, ?13, ?14, ?15)",
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
            now_ms,
            details_json(&idea.details),
            idea.source.as_str(),
            idea.generation_id.clone()
        ],
    )
}

/// The change of `before` into `idea`, applied only while the stored status and stage round
/// are still the ones read, with a guard that fails the batch otherwise.
pub(crate) fn write(ws: &str, idea: &IdeaView, before: &IdeaView, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE ideas SET kind = ?3, title = ?4, hook = ?5, caption = ?6, hashtags = ?7, platforms = ?8, status = ?9, \
             post_id = ?10, updated_at = ?11, stage_opened_at = ?13, stage_round = ?14, details = ?16 \
             WHERE workspace_id = ?1 AND id = ?2 AND status = ?12 AND stage_round = ?15",
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
                idea.stage_opened_at,
                idea.stage_round,
                before.stage_round,
                details_json(&idea.details)
            ],
        ),
        // A concurrent decision or rework wins; this one aborts.
        Statement::guard(
            "SELECT 1 FROM ideas WHERE workspace_id = ?1 AND id = ?2 AND status = ?3 AND updated_at = ?4 AND stage_round = ?5",
            params![ws, idea.id.as_str(), idea.status.as_str(), now, idea.stage_round],
        ),
    ]
}
