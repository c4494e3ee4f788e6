//! The engine's SQL: claiming due publications, taking a claim, recording what an attempt
//! did, and reading what the reconciler needs. Every write that settles a publication is
//! guarded by its status, so two workers settling one publication leave one outcome.

use crate::accounts::{store as accounts, Account};
use crate::content::posts::PostView;
use crate::content::store::posts as post_store;
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};

/// A publication as the engine needs it.
#[derive(Debug, Clone)]
pub struct Publication {
    pub id: String,
    pub workspace_id: String,
    pub post_id: String,
    pub target_id: String,
    pub account_id: String,
    pub attempts: i64,
    pub created_at: i64,
    /// What the platform named it while processing (TikTok's publish_id).
    pub remote_id: Option<String>,
    /// When its first attempt started (recorded as it was taken, before any call).
    pub first_attempt_at: Option<i64>,
    /// When its latest attempt started.
    pub attempt_started_at: Option<i64>,
}

const COLUMNS: &str =
    "id, workspace_id, post_id, target_id, account_id, attempts, created_at, remote_id, first_attempt_at, attempt_started_at";

fn decode(r: &Row) -> Result<Publication, AppError> {
    Ok(Publication {
        id: r.text("id")?,
        workspace_id: r.text("workspace_id")?,
        post_id: r.text("post_id")?,
        target_id: r.text("target_id")?,
        account_id: r.text("account_id")?,
        attempts: r.int("attempts")?,
        created_at: r.int("created_at")?,
        remote_id: r.opt_text("remote_id")?,
        first_attempt_at: r.opt_int("first_attempt_at")?,
        attempt_started_at: r.opt_int("attempt_started_at")?,
    })
}

/// What a tick may claim at `?2` (now): scheduled and due (unless held back, its time having
/// passed while its workspace was suspended: `plans::store::MISSED_WHILE_SUSPENDED`), retrying and due, or queued by a
/// claim older than `?3` that has made no progress since `?3`: none of its publications was
/// taken or settled since, so its messages were lost (a crash between claim and send, or a
/// local queue that died with its process). A claim whose queue is still draining is left be.
const DUE: &str =
    "((status = 'scheduled' AND due_at <= ?2 AND reason IS NULL) OR (status = 'retrying' AND next_attempt_at <= ?2) \
     OR (status = 'queued' AND claimed_at < ?3 AND NOT EXISTS (SELECT 1 FROM publications m \
     WHERE m.claim_id = publications.claim_id AND m.updated_at >= ?3 AND m.status <> 'queued')))";

/// Publishers that went silent (an attempt started before `stale_before` and still publishing)
/// become unconfirmed, their attempt logged as such: the two in one batch.
pub async fn mark_stalled(db: &dyn Sql, now: i64, stale_before: i64) -> Result<u64, AppError> {
    let stalled = "status = 'publishing' AND COALESCE(attempt_started_at, updated_at) < ?2";
    let log = Statement::new(
        format!(
            "INSERT INTO publication_attempts (id, workspace_id, publication_id, number, started_at, finished_at, outcome, detail) \
             SELECT 'stalled_' || id || '_' || CAST(attempts AS TEXT), workspace_id, id, attempts, \
             COALESCE(attempt_started_at, updated_at), CAST(?1 AS BIGINT), 'unconfirmed', \
             'the publisher stopped without an answer' FROM publications WHERE {stalled} ON CONFLICT (id) DO NOTHING"
        ),
        params![now, stale_before],
    );
    let mark = Statement::new(
        format!(
            "UPDATE publications SET status = 'unconfirmed', reason = 'the publisher stopped without an answer', \
             updated_at = ?1 WHERE {stalled}"
        ),
        params![now, stale_before],
    );
    let counts = db.batch(&[log, mark]).await?;
    Ok(counts.last().copied().unwrap_or(0))
}

/// Claims at most `limit` due publications, earliest first, under `claim_id`: queued, so no
/// other tick takes them; a claim older than `lost_before` is taken again. A suspended
/// workspace's publications wait (SPEC IAM-5) until it is reactivated.
pub async fn claim_due(db: &dyn Sql, claim_id: &str, now: i64, lost_before: i64, limit: i64) -> Result<u64, AppError> {
    let claim = format!(
        "UPDATE publications SET status = 'queued', claim_id = ?1, claimed_at = ?2, updated_at = ?2 \
         WHERE id IN (SELECT id FROM publications WHERE {DUE} AND NOT EXISTS (SELECT 1 FROM workspaces w \
         WHERE w.id = publications.workspace_id AND w.status = 'suspended') ORDER BY due_at LIMIT ?4) AND {DUE}"
    );
    Ok(db.execute(&claim, &params![claim_id, now, lost_before, limit]).await?)
}

/// What a claim took, earliest due first: (publication id, workspace id).
pub async fn claimed(db: &dyn Sql, claim_id: &str) -> Result<Vec<(String, String)>, AppError> {
    let rows = db
        .query("SELECT id, workspace_id FROM publications WHERE claim_id = ?1 ORDER BY due_at", &params![claim_id])
        .await?;
    rows.iter().map(|r| Ok((r.text("id")?, r.text("workspace_id")?))).collect()
}

/// What a taken publication is sent with, read in the round trip that takes it.
pub struct Taken {
    pub publication: Publication,
    /// Its account (`None`: gone).
    pub account: Option<Account>,
    /// Its post with its targets (`None`: deleted).
    pub post: Option<PostView>,
    /// The ready, live files among its target's media, by asset id.
    pub files: Vec<(String, ReadyFile)>,
}

/// Takes a queued publication under its claim to publish it (one attempt more), recording when
/// the attempt starts (and, the first time, when the first did) before any platform call, and
/// its post's start when it is the first to go; reads with it everything it is sent with: one
/// round trip. `None` when the claim is no longer this one's (a duplicate or stale message).
pub async fn take(
    db: &dyn Sql,
    workspace_id: &str,
    id: &str,
    claim_id: &str,
    now: i64,
) -> Result<Option<Taken>, AppError> {
    let mut reads = vec![
        Statement::new(
            format!(
                "UPDATE publications SET status = 'publishing', attempts = attempts + 1, updated_at = ?4, \
                 attempt_started_at = ?4, first_attempt_at = COALESCE(first_attempt_at, ?4) \
                 WHERE workspace_id = ?1 AND id = ?2 AND claim_id = ?3 AND status = 'queued' RETURNING {COLUMNS}"
            ),
            params![workspace_id, id, claim_id, now],
        ),
        // A scheduled post starts publishing with its first publication.
        Statement::new(
            "UPDATE posts SET status = 'publishing', updated_at = ?4 WHERE workspace_id = ?1 AND status = 'scheduled' \
             AND id = (SELECT post_id FROM publications WHERE workspace_id = ?1 AND id = ?2 AND claim_id = ?3 \
             AND status = 'publishing' AND attempt_started_at = ?4) RETURNING id",
            params![workspace_id, id, claim_id, now],
        ),
    ];
    reads.extend(sent_with_reads(workspace_id, id));
    let answers = db.reads(&reads).await?;
    let Some(row) = answers.first().and_then(|rows| rows.first()) else { return Ok(None) };
    Ok(Some(sent_with_of(decode(row)?, answers.get(2..).unwrap_or_default())?))
}

/// What publication `p` is sent with (to read the platform back with): one round trip.
pub async fn sent_with(db: &dyn Sql, p: &Publication) -> Result<Taken, AppError> {
    let answers = db.reads(&sent_with_reads(&p.workspace_id, &p.id)).await?;
    sent_with_of(p.clone(), &answers)
}

/// The reads of publication `id`'s account, post (with its targets) and its target's ready
/// files, each found through the publication.
fn sent_with_reads(workspace_id: &str, id: &str) -> Vec<Statement> {
    let of = |column: &str| format!("(SELECT {column} FROM publications WHERE workspace_id = ?1 AND id = ?2)");
    let mut reads = vec![accounts::among_in(&of("account_id"), params![workspace_id, id])];
    reads.extend(post_store::where_reads(
        &format!("workspace_id = ?1 AND id = {} AND deleted_at IS NULL", of("post_id")),
        params![workspace_id, id],
    ));
    reads.push(Statement::new(
        format!(
            "SELECT id, object_key, content_type, filename, alt_text FROM media_assets WHERE workspace_id = ?1 \
             AND status = 'ready' AND deleted_at IS NULL AND id IN (SELECT asset_id FROM post_target_media \
             WHERE workspace_id = ?1 AND target_id = {})",
            of("target_id")
        ),
        params![workspace_id, id],
    ));
    reads
}

/// What [`sent_with_reads`] answered, in order.
fn sent_with_of(publication: Publication, answers: &[Vec<Row>]) -> Result<Taken, AppError> {
    let part = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let files = part(4)
        .iter()
        .map(|r| {
            let file = (r.text("object_key")?, r.text("content_type")?, r.text("filename")?, r.opt_text("alt_text")?);
            Ok((r.text("id")?, file))
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Taken {
        publication,
        account: part(0).first().map(accounts::decode).transpose()?,
        post: post_store::where_of(part(1), part(2), part(3))?.into_iter().next(),
        files,
    })
}

/// Unconfirmed publications to settle now, in every workspace, oldest first try first (the
/// nearest to the end of its platform's idempotency window): at most `limit`, and at most
/// `per_account` (an SQL expression over `platform`) of any one account, so reading a platform
/// back stays within its rate limits. Each comes with when its last try ended, if one did.
pub async fn unconfirmed(
    db: &dyn Sql,
    limit: i64,
    per_account: &str,
) -> Result<Vec<(Publication, Option<i64>)>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT MAX(a.finished_at) FROM publication_attempts a WHERE a.workspace_id = u.workspace_id \
         AND a.publication_id = u.id) AS last_finished FROM (SELECT {COLUMNS}, platform, updated_at, \
         ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY COALESCE(first_attempt_at, updated_at), id) AS turn \
         FROM publications WHERE status = 'unconfirmed') u WHERE u.turn <= {per_account} \
         ORDER BY COALESCE(u.first_attempt_at, u.updated_at), u.id LIMIT ?1"
    );
    db.query(&sql, &params![limit]).await?.iter().map(|r| Ok((decode(r)?, r.opt_int("last_finished")?))).collect()
}

/// A ready, live file to send: (object key, content type, filename, alt text).
pub type ReadyFile = (String, String, String, Option<String>);

/// A publication paused by its account's rate limit waits until `until` without spending an
/// attempt.
pub async fn pause(db: &dyn Sql, p: &Publication, until: i64, now: i64) -> Result<(), AppError> {
    db.execute(
        "UPDATE publications SET status = 'retrying', attempts = attempts - 1, next_attempt_at = ?3, \
         reason = 'the account is paused by a rate limit', updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2 AND status = 'publishing'",
        &params![p.workspace_id.as_str(), p.id.as_str(), until, now],
    )
    .await?;
    Ok(())
}

/// One attempt of the publication, as its log keeps it.
pub struct AttemptRow<'a> {
    pub id: String,
    pub number: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub outcome: &'a str,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
}

/// Logs an attempt only if its batch's guarded update moved the publication (that update set
/// `updated_at` to `finished_at`): two ticks settling one publication at once leave one entry.
pub fn log_attempt(p: &Publication, a: AttemptRow<'_>) -> Statement {
    Statement::new(
        "INSERT INTO publication_attempts (id, workspace_id, publication_id, number, started_at, finished_at, outcome, http_status, detail) \
         SELECT CAST(?1 AS TEXT), p.workspace_id, p.id, CAST(?4 AS BIGINT), CAST(?5 AS BIGINT), CAST(?6 AS BIGINT), \
         CAST(?7 AS TEXT), CAST(?8 AS BIGINT), CAST(?9 AS TEXT) FROM publications p \
         WHERE p.workspace_id = ?2 AND p.id = ?3 AND p.updated_at = ?6",
        params![
            a.id,
            p.workspace_id.as_str(),
            p.id.as_str(),
            a.number,
            a.started_at,
            a.finished_at,
            a.outcome,
            a.http_status,
            a.detail
        ],
    )
}

/// Settles a publication in flight (publishing or unconfirmed) as `status`.
pub fn settle(
    p: &Publication,
    status: &str,
    reason: Option<String>,
    next_attempt_at: Option<i64>,
    now: i64,
) -> Statement {
    Statement::new(
        "UPDATE publications SET status = ?3, reason = ?4, next_attempt_at = ?5, updated_at = ?6 \
         WHERE workspace_id = ?1 AND id = ?2 AND status IN ('publishing', 'unconfirmed')",
        params![p.workspace_id.as_str(), p.id.as_str(), status, reason, next_attempt_at, now],
    )
}

/// Settles a publication in flight as published, where the platform put it.
pub fn published(p: &Publication, remote_id: &str, url: Option<String>, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'published', remote_id = ?3, remote_url = ?4, reason = NULL, published_at = ?5, \
         updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2 AND status IN ('publishing', 'unconfirmed')",
        params![p.workspace_id.as_str(), p.id.as_str(), remote_id, url, now],
    )
}

/// A rate-limited publication waits until `until` without spending the attempt.
pub fn rate_limited(p: &Publication, reason: String, until: i64, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'retrying', attempts = attempts - 1, reason = ?3, next_attempt_at = ?4, updated_at = ?5 \
         WHERE workspace_id = ?1 AND id = ?2 AND status IN ('publishing', 'unconfirmed')",
        params![p.workspace_id.as_str(), p.id.as_str(), reason, until, now],
    )
}

/// The platform took it and is still processing it as `remote_id`: unconfirmed until it says.
pub fn processing(p: &Publication, remote_id: &str, reason: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE publications SET status = 'unconfirmed', remote_id = ?3, reason = ?4, updated_at = ?5 \
         WHERE workspace_id = ?1 AND id = ?2 AND status IN ('publishing', 'unconfirmed')",
        params![p.workspace_id.as_str(), p.id.as_str(), remote_id, reason, now],
    )
}

/// The post follows its publications: published when all are, failed when any ended failed,
/// and only once none is still in flight (publishing → published | failed).
pub fn post_follows(workspace_id: &str, post_id: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE posts SET status = CASE WHEN EXISTS (SELECT 1 FROM publications WHERE workspace_id = ?1 AND post_id = ?2 \
         AND status IN ('failed', 'dead')) THEN 'failed' ELSE 'published' END, updated_at = ?3 \
         WHERE workspace_id = ?1 AND id = ?2 AND status IN ('scheduled', 'publishing') AND NOT EXISTS (SELECT 1 FROM publications \
         WHERE workspace_id = ?1 AND post_id = ?2 AND status IN ('scheduled', 'queued', 'publishing', 'retrying', 'unconfirmed'))",
        params![workspace_id, post_id, now],
    )
}
