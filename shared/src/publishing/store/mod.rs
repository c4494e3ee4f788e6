//! The only SQL on `publications` and their attempts: scheduling, cancelling and moving
//! them, reading them, the times an account is taken, OAuth states; what the engine claims
//! and records is in `engine`.

pub mod calendar;
pub mod engine;
pub mod revocations;

use crate::content::store::posts as post_store;
use crate::error::AppError;
use crate::params;
use crate::publishing::schedule::{AttemptView, PublicationView};
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

/// Cancels the account's publications still to go out (it was disconnected).
pub fn cancel_for_account(workspace_id: &str, account_id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'cancelled', reason = 'the account was disconnected', updated_at = ?3 \
         WHERE workspace_id = ?1 AND account_id = ?2 AND status IN ('scheduled', 'retrying')",
        params![workspace_id, account_id, now],
    )
}

/// The read of the due times the account already has from `from_ms` on (anything not
/// cancelled or ended badly), to send with others in one round trip; [`taken_of`] reads its
/// answer.
pub fn taken_read(ws: &str, account_id: &str, from_ms: i64) -> Statement {
    Statement::new(
        "SELECT due_at FROM publications WHERE workspace_id = ?1 AND account_id = ?2 AND due_at >= ?3 \
         AND status NOT IN ('cancelled', 'failed', 'dead')",
        params![ws, account_id, from_ms],
    )
}

/// The times [`taken_read`] found.
pub fn taken_of(rows: &[Row]) -> Result<Vec<i64>, AppError> {
    rows.iter().map(|r| r.int("due_at").map_err(AppError::from)).collect()
}

/// A publication due now and claimed at once (publish now): no tick or queue message can take
/// it meanwhile.
pub struct Claimed<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub post_id: &'a str,
    pub target_id: &'a str,
    pub account_id: &'a str,
    pub platform: &'a str,
    pub claim: &'a str,
    pub created_by: &'a str,
    pub now: i64,
}

pub fn insert_claimed(p: Claimed<'_>) -> Statement {
    Statement::new(
        "INSERT INTO publications (id, workspace_id, post_id, target_id, account_id, platform, due_at, timezone, status, \
         claim_id, claimed_at, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'UTC', 'queued', ?8, ?7, ?9, ?7, ?7)",
        params![p.id, p.workspace_id, p.post_id, p.target_id, p.account_id, p.platform, p.now, p.claim, p.created_by],
    )
}

const COLUMNS: &str =
    "id, post_id, target_id, account_id, platform, due_at, timezone, status, attempts, next_attempt_at, \
     reason, remote_id, remote_url, published_at, claimed_at, attempt_started_at";

/// When the engine takes over publications in flight that nobody answers for, at `now`.
#[derive(Debug, Clone, Copy)]
pub struct Leases {
    pub now: i64,
    pub queued_ms: i64,
    pub publishing_ms: i64,
}

impl Leases {
    pub fn of(ctx: &crate::api::Context<'_>) -> Leases {
        Leases {
            now: ctx.clock.now_ms(),
            queued_ms: crate::publishing::engine::queued_lease_ms(ctx.config),
            publishing_ms: crate::publishing::engine::publishing_lease_ms(ctx.config),
        }
    }
}

pub fn decode(r: &Row, leases: &Leases) -> Result<PublicationView, AppError> {
    let status = r.text("status")?;
    let started = r.opt_int("attempt_started_at")?;
    let recover_at = match status.as_str() {
        "queued" => r.opt_int("claimed_at")?.map(|t| t + leases.queued_ms),
        "publishing" => started.map(|t| t + leases.publishing_ms),
        _ => None,
    };
    let recovering = status == "unconfirmed" || recover_at.is_some_and(|t| t < leases.now);
    Ok(PublicationView {
        id: r.text("id")?,
        post_id: r.text("post_id")?,
        target_id: r.text("target_id")?,
        account_id: r.text("account_id")?,
        platform: r.text("platform")?,
        due_at: rfc3339(r.int("due_at")?),
        timezone: r.text("timezone")?,
        status,
        attempts: r.int("attempts")?,
        next_attempt_at: r.opt_int("next_attempt_at")?.map(rfc3339),
        last_attempt_at: started.map(rfc3339),
        recover_at: recover_at.map(rfc3339),
        recovering,
        reason: r.opt_text("reason")?,
        remote_id: r.opt_text("remote_id")?,
        remote_url: r.opt_text("remote_url")?,
        published_at: r.opt_int("published_at")?.map(rfc3339),
        attempt_log: None,
    })
}

/// The read of how many of a post's publications wait (scheduled or retrying) and how many are
/// under way, to send with others in one round trip; [`pending_of`] reads its answer.
pub fn pending_read(ws: &str, post_id: &str) -> Statement {
    Statement::new(
        "SELECT SUM(CASE WHEN status IN ('scheduled', 'retrying') THEN 1 ELSE 0 END) AS waiting, \
         SUM(CASE WHEN status IN ('queued', 'publishing', 'unconfirmed') THEN 1 ELSE 0 END) AS in_flight \
         FROM publications WHERE workspace_id = ?1 AND post_id = ?2",
        params![ws, post_id],
    )
}

/// How many of a post's publications wait and how many are in flight, from [`pending_read`].
pub fn pending_of(rows: &[Row]) -> (i64, i64) {
    let get = |c: &str| rows.first().and_then(|r| r.opt_int(c).ok().flatten()).unwrap_or(0);
    (get("waiting"), get("in_flight"))
}

/// The attempt logs of `publications`, oldest attempt first: one round trip, not one query per
/// publication (D1 counts queries per invocation).
pub async fn attach_attempts(db: &dyn Sql, ws: &str, publications: &mut [PublicationView]) -> Result<(), AppError> {
    let ids: Vec<String> = publications.iter().map(|p| p.id.clone()).collect();
    let reads = crate::sql::in_chunks(&crate::params![ws], &ids, |list| {
        format!(
            "SELECT publication_id, number, started_at, finished_at, outcome, http_status, detail \
             FROM publication_attempts WHERE workspace_id = ?1 AND publication_id IN ({list}) ORDER BY started_at, id"
        )
    });
    let answers = if reads.is_empty() { Vec::new() } else { db.reads(&reads).await? };
    attach_logs(answers.iter().flatten(), publications)
}

/// Gives each of `publications` its attempts among `rows` (attempt rows with their
/// `publication_id`, oldest first): its whole log.
pub fn attach_logs<'r>(
    rows: impl Iterator<Item = &'r Row>,
    publications: &mut [PublicationView],
) -> Result<(), AppError> {
    let mut logs: std::collections::BTreeMap<String, Vec<AttemptView>> = std::collections::BTreeMap::new();
    for r in rows {
        logs.entry(r.text("publication_id")?).or_default().push(AttemptView {
            number: r.int("number")?,
            started_at: rfc3339(r.int("started_at")?),
            finished_at: rfc3339(r.int("finished_at")?),
            outcome: r.text("outcome")?,
            http_status: r.opt_int("http_status")?,
            detail: r.opt_text("detail")?,
        });
    }
    for p in publications.iter_mut() {
        p.attempt_log = Some(logs.remove(&p.id).unwrap_or_default());
    }
    Ok(())
}

/// The post's publications in the order they were made, with their attempt logs if asked.
pub async fn list_of(
    db: &dyn Sql,
    ws: &str,
    post_id: &str,
    with_attempts: bool,
    leases: &Leases,
) -> Result<Vec<PublicationView>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND post_id = ?2 ORDER BY id");
    let mut out = db
        .query(&sql, &params![ws, post_id])
        .await?
        .iter()
        .map(|r| decode(r, leases))
        .collect::<Result<Vec<_>, _>>()?;
    if with_attempts {
        attach_attempts(db, ws, &mut out).await?;
    }
    Ok(out)
}

/// A publication to schedule: one (target, account) at one time.
pub struct Scheduled<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub post_id: &'a str,
    pub target_id: &'a str,
    pub account_id: &'a str,
    pub platform: &'a str,
    pub due_at: i64,
    pub timezone: &'a str,
    pub created_by: &'a str,
    pub now: i64,
}

pub fn insert_scheduled(p: Scheduled<'_>) -> Statement {
    Statement::new(
        "INSERT INTO publications (id, workspace_id, post_id, target_id, account_id, platform, due_at, timezone, status, \
         created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'scheduled', ?9, ?10, ?10)",
        params![p.id, p.workspace_id, p.post_id, p.target_id, p.account_id, p.platform, p.due_at, p.timezone, p.created_by, p.now],
    )
}

/// Cancels the post's waiting publications, then a guard that fails the batch when one was
/// claimed meanwhile (publishing has started).
pub fn cancel_waiting(workspace_id: &str, post_id: &str, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE publications SET status = 'cancelled', reason = 'the schedule was cancelled', updated_at = ?3 \
             WHERE workspace_id = ?1 AND post_id = ?2 AND status IN ('scheduled', 'retrying')",
            params![workspace_id, post_id, now],
        ),
        Statement::guard(
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM publications WHERE workspace_id = ?1 AND post_id = ?2 \
             AND status IN ('queued', 'publishing', 'unconfirmed'))",
            params![workspace_id, post_id],
        ),
    ]
}

/// A scheduled publication as a reschedule moves it: its id, its series (target, account),
/// due time and time zone.
pub type Waiting = (String, (String, String), i64, String);

/// The read of a post's publications still scheduled, by due time (each with its series),
/// to send with others in one round trip; [`waiting_of`] reads its answer.
pub fn waiting_read(workspace_id: &str, post_id: &str) -> Statement {
    Statement::new(
        "SELECT id, target_id, account_id, due_at, timezone FROM publications WHERE workspace_id = ?1 AND post_id = ?2 \
         AND status = 'scheduled' ORDER BY due_at, id",
        params![workspace_id, post_id],
    )
}

/// The publications [`waiting_read`] found.
pub fn waiting_of(rows: &[Row]) -> Result<Vec<Waiting>, AppError> {
    rows.iter()
        .map(|r| {
            let series = (r.text("target_id")?, r.text("account_id")?);
            Ok((r.text("id")?, series, r.int("due_at")?, r.text("timezone")?))
        })
        .collect()
}

/// Moves a publication that is still scheduled (one row changed when it was); one held back
/// for having missed its time is released.
pub fn move_due(workspace_id: &str, id: &str, due_at: i64, timezone: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET due_at = ?3, timezone = ?4, reason = NULL, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2 \
         AND status = 'scheduled'",
        params![workspace_id, id, due_at, timezone, now],
    )
}

/// The reads of the post's publications after the id `after`, in id order, `limit` + 1 of them
/// at most, and of their attempts (oldest first), to send with the membership and visibility
/// checks in one round trip; [`page_of`] reads the first answer, [`attach_logs`] the second.
pub fn page_of_post_reads(workspace_id: &str, post_id: &str, after: &str, limit: i64) -> [Statement; 2] {
    let page = "SELECT id FROM publications WHERE workspace_id = ?1 AND post_id = ?2 AND (?3 = '' OR id > ?3) \
         ORDER BY id LIMIT ?4";
    [
        Statement::new(
            format!(
                "SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND post_id = ?2 AND (?3 = '' OR id > ?3) \
                 ORDER BY id LIMIT ?4"
            ),
            params![workspace_id, post_id, after, limit + 1],
        ),
        Statement::new(
            format!(
                "SELECT publication_id, number, started_at, finished_at, outcome, http_status, detail \
                 FROM publication_attempts WHERE workspace_id = ?1 AND publication_id IN ({page}) ORDER BY started_at, id"
            ),
            params![workspace_id, post_id, after, limit + 1],
        ),
    ]
}

/// What a list of the workspace's publications selects (empty: everything).
pub struct Filter<'a> {
    pub status: &'a str,
    pub from: i64,
    pub to: i64,
}

/// The read of the workspace's publications before the id `after`, newest first, `limit` + 1
/// at most, that `viewer` may see (a Client member: those of their clients' posts), to send with
/// the membership check in one round trip; [`page_of`] reads its answer.
pub fn page_read(workspace_id: &str, viewer: &str, f: &Filter<'_>, after: &str, limit: i64) -> Statement {
    let sql = format!(
        "SELECT {COLUMNS} FROM publications WHERE workspace_id = ?1 AND (?3 = '' OR status = ?3) \
         AND (NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND role = 'client') \
         OR post_id IN (SELECT id FROM posts WHERE workspace_id = ?1 AND {})) \
         AND due_at >= ?4 AND due_at < ?5 AND (?6 = '' OR id < ?6) ORDER BY id DESC LIMIT ?7",
        post_store::VISIBLE_TO_CALLER
    );
    Statement::new(sql, params![workspace_id, viewer, f.status, f.from, f.to, after, limit + 1])
}

/// The publications [`page_read`] found.
pub fn page_of(rows: &[Row], leases: &Leases) -> Result<Vec<PublicationView>, AppError> {
    rows.iter().map(|r| decode(r, leases)).collect()
}

/// Purges the OAuth states that expired before `before`.
pub async fn purge_oauth_states(db: &dyn Sql, before: i64) -> Result<u64, AppError> {
    Ok(db.execute("DELETE FROM oauth_states WHERE expires_at < ?1", &params![before]).await?)
}

/// An OAuth connection under way: the state's hash (never the state), the PKCE verifier sealed
/// to it, and where the platform sends the person back.
pub struct NewOAuthState<'a> {
    pub state_hash: &'a str,
    pub workspace_id: &'a str,
    pub user_id: &'a str,
    pub platform: &'a str,
    pub sealed_verifier: String,
    pub redirect_uri: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

pub async fn insert_oauth_state(db: &dyn Sql, s: NewOAuthState<'_>) -> Result<(), AppError> {
    db.execute(
        "INSERT INTO oauth_states (state_hash, workspace_id, user_id, platform, verifier, redirect_uri, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &params![s.state_hash, s.workspace_id, s.user_id, s.platform, s.sealed_verifier, s.redirect_uri, s.expires_at, s.now],
    )
    .await?;
    Ok(())
}

/// An OAuth state as stored.
pub struct OAuthState {
    pub platform: String,
    pub sealed_verifier: String,
    pub redirect_uri: String,
    pub expires_at: i64,
    pub used: bool,
    pub user_id: String,
}

/// The read of the OAuth state whose token hashes to `state_hash`, to send with the membership
/// check in one round trip; [`oauth_state_of`] reads its answer.
pub fn oauth_state_read(workspace_id: &str, state_hash: &str) -> Statement {
    Statement::new(
        "SELECT platform, verifier, redirect_uri, expires_at, used_at, user_id FROM oauth_states \
         WHERE workspace_id = ?1 AND state_hash = ?2",
        params![workspace_id, state_hash],
    )
}

/// The state [`oauth_state_read`] found, if any.
pub fn oauth_state_of(rows: &[Row]) -> Result<Option<OAuthState>, AppError> {
    let Some(row) = rows.first() else { return Ok(None) };
    Ok(Some(OAuthState {
        platform: row.text("platform")?,
        sealed_verifier: row.text("verifier")?,
        redirect_uri: row.text("redirect_uri")?,
        expires_at: row.int("expires_at")?,
        used: row.opt_int("used_at")?.is_some(),
        user_id: row.text("user_id")?,
    }))
}

/// Spends the state at `now`, then a guard that fails the batch unless this spent it.
pub fn spend_oauth_state(workspace_id: &str, state_hash: &str, now: i64) -> [Statement; 2] {
    [
        Statement::new(
            "UPDATE oauth_states SET used_at = ?3 WHERE workspace_id = ?1 AND state_hash = ?2 AND used_at IS NULL",
            params![workspace_id, state_hash, now],
        ),
        Statement::guard(
            "SELECT 1 FROM oauth_states WHERE workspace_id = ?1 AND state_hash = ?2 AND used_at = ?3",
            params![workspace_id, state_hash, now],
        ),
    ]
}
