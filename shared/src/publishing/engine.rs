//! The publishing engine (SPEC PB-3 … PB-6): the tick claims what is due and hands each
//! claimed publication to the queue (or, on a host without one, publishes it inline: the
//! publications table is the outbox); the consumer takes a claim, publishes through the
//! platform's adapter and records the outcome with its attempt in one batch.
//!
//! Exactly once rests on three rules:
//! 1. a claim is atomic — one conditional UPDATE moves due rows to `queued` under a fresh
//!    claim id — and a message acts only while its claim id is the publication's current one
//!    and the publication is still `queued`, so a duplicate or stale message does nothing;
//! 2. only failures known to precede the irreversible call are retried (with exponential
//!    backoff and jitter); anything that may have reached the platform becomes `unconfirmed`;
//! 3. `unconfirmed` is settled by reading the platform (a record key or an idempotency key
//!    the publication owns), never by posting again blindly.
//!
//! Recovery after a crash rests on what was written before any platform call: the statement
//! that takes a publication to `publishing` records when its attempt started (and its first
//! one). A publisher that dies mid-call leaves `publishing` behind: once its attempt is older
//! than the longest a live one takes ([`publishing_lease_ms`]) the tick turns it `unconfirmed`
//! and settles it by reading the platform, counting the platform's idempotency window from the
//! first try. A queued claim whose messages were lost (no progress for [`queued_lease_ms`]) is
//! claimed again.

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::engine::{self as store, AttemptRow, Publication};
use super::{bluesky, mastodon, Attempt, Draft, MediaFile, Outcome};
use crate::accounts::{store as accounts, Account};
use crate::api::Context;
use crate::error::AppError;
use crate::platforms::Platform;
use crate::ports::Config;
use crate::sql::{Dialect, Scope};

pub const MAX_ATTEMPTS: i64 = 5;

/// How long a claim may make no progress (none of its publications taken or settled) before
/// its messages count as lost and it is claimed again: a consumer batch's calls run together,
/// each within the platform timeout, so a live queue moves at least this often (the timeout,
/// plus a margin for the batch's database work and delivery). 45 s with the default 30 s timeout.
pub fn queued_lease_ms(config: &Config) -> i64 {
    timeout_ms(config) + 15_000
}

/// How long an attempt may stay `publishing` before its publisher counts as dead and its outcome
/// as unknown: an attempt makes a few platform calls (files, then the post), each within the
/// platform timeout. 90 s with the default 30 s timeout; never under 30 s.
pub fn publishing_lease_ms(config: &Config) -> i64 {
    (3 * timeout_ms(config)).max(30_000)
}

fn timeout_ms(config: &Config) -> i64 {
    i64::try_from(config.platform_timeout_ms).unwrap_or(i64::MAX / 4).min(10 * 60_000)
}

/// Unconfirmed publications settled per tick at most: each takes a few database statements and
/// one or two platform calls, within a Worker invocation's subrequest limit (1,000 on the paid
/// plan). After a crash, N stalled publications are settled within N / 100 minutes.
pub const RECONCILE_PER_TICK: i64 = 100;
/// Accounts whose unconfirmed publications are settled at once (each account's one after another).
pub const RECONCILE_AT_ONCE: usize = 8;

/// How many unconfirmed publications of one account a tick settles: what its platform lets an
/// account call per minute with room to spare for the account's own publishing (README,
/// "Crash recovery").
pub fn reconcile_per_account(platform: Platform) -> i64 {
    match platform {
        // 300 calls per 5 minutes per account: the replay is a call.
        Platform::Mastodon => 30,
        // Reads of the account's repository, 3,000 per 5 minutes per address.
        Platform::Bluesky => 30,
        // The user timeline: 900 reads per 15 minutes per user (Basic and Pro).
        Platform::X => 10,
        // The Graph APIs: 200 calls per hour per user.
        Platform::Facebook | Platform::Instagram | Platform::Threads => 3,
        // The member's posts: a daily application quota.
        Platform::LinkedIn => 5,
        // The publish status: 30 a minute per user.
        Platform::TikTok => 10,
    }
}

/// [`reconcile_per_account`] as an SQL expression over a `platform` column.
fn per_account_sql() -> String {
    let mut sql = String::from("CASE platform");
    for p in Platform::ALL {
        sql.push_str(&format!(" WHEN '{}' THEN {}", p.as_str(), reconcile_per_account(p)));
    }
    sql.push_str(" ELSE 1 END");
    sql
}
/// An unconfirmed publication nobody could settle in this time fails, saying so: it is never
/// left in flight for ever, and never posted again blindly.
pub const UNCONFIRMED_GIVE_UP_MS: i64 = 24 * 3_600_000;
/// At most this many publications per tick (the rest wait for the next minute).
pub const CLAIM_BATCH: i64 = 10_000;
/// Fewer where the tick publishes them itself, inside one request.
pub const INLINE_CLAIM_BATCH: i64 = 200;
/// Queue messages per send (Cloudflare Queues take up to 100 per batch).
pub const SEND_BATCH: usize = 100;
/// Publications published at once by a tick on a host without a queue (over SQLite).
pub const INLINE_AT_ONCE: usize = 8;

/// One queue message: a claim on one publication.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub publication_id: String,
    pub workspace_id: String,
    pub claim_id: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishReport {
    /// Publications claimed by this tick.
    pub claimed: u64,
    /// Sent to the queue.
    pub queued: u64,
    /// Published by this tick itself (hosts without a queue).
    pub published_inline: u64,
    /// Publishers that went silent: now unconfirmed.
    pub stalled: u64,
    /// Unconfirmed publications settled by reading the platform.
    pub reconciled: u64,
    /// Idle accounts whose long-lived tokens were renewed before they lapse.
    pub renewed: u64,
}

/// The scheduled half: what the cron runs every minute.
pub async fn tick(ctx: &Context<'_>) -> Result<PublishReport, AppError> {
    let now = ctx.clock.now_ms();
    let mut report = PublishReport::default();
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    report.stalled = store::mark_stalled(ctx.db, now, now - publishing_lease_ms(ctx.config)).await?;
    report.reconciled = reconcile_some(ctx, now).await?;
    report.renewed = super::oauth::renew_idle(ctx, now).await?;
    ctx.db.set_scope(Scope { system: true, ..Scope::default() });
    let claim_id = ctx.new_id();
    let limit = if ctx.jobs.has_queue() { CLAIM_BATCH } else { INLINE_CLAIM_BATCH };
    report.claimed = store::claim_due(ctx.db, &claim_id, now, now - queued_lease_ms(ctx.config), limit).await?;
    if report.claimed == 0 {
        return Ok(report);
    }
    let messages: Vec<Message> = store::claimed(ctx.db, &claim_id)
        .await?
        .into_iter()
        .map(|(publication_id, workspace_id)| Message { publication_id, workspace_id, claim_id: claim_id.clone() })
        .collect();
    if ctx.jobs.has_queue() {
        for chunk in messages.chunks(SEND_BATCH) {
            let bodies: Vec<String> = chunk.iter().filter_map(|m| serde_json::to_string(m).ok()).collect();
            // A failed send leaves its publications queued: the next ticks claim them again.
            match ctx.jobs.send(&bodies).await {
                Ok(()) => report.queued += bodies.len() as u64,
                Err(e) => tracing::error!(cause = %e, "the publish queue refused a batch"),
            }
        }
    } else if ctx.db.dialect() == Dialect::Postgres {
        // One connection carries one tenant scope at a time: one publication after another.
        for m in &messages {
            if consume(ctx, m).await? == Consumed::Published {
                report.published_inline += 1;
            }
        }
    } else {
        // No scope to mix up on SQLite: a post's targets go out together (SPEC PB-7), a few
        // publications at a time, their platform calls overlapping.
        for chunk in messages.chunks(INLINE_AT_ONCE) {
            for done in futures_util::future::join_all(chunk.iter().map(|m| consume(ctx, m))).await {
                if done? == Consumed::Published {
                    report.published_inline += 1;
                }
            }
        }
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumed {
    /// A duplicate or stale message: someone else has (or had) the claim.
    Skipped,
    Published,
    /// Recorded another outcome (retrying, unconfirmed, failed…).
    Recorded,
}

/// The queue consumer: takes the message's claim and publishes. Safe to call twice with the
/// same message: the second finds the claim taken.
pub async fn consume(ctx: &Context<'_>, m: &Message) -> Result<Consumed, AppError> {
    consume_with(ctx, m, None).await
}

/// Publishes a private post's publication (SPEC CT-7) within the request that carries its
/// `text`: the text is in memory only, so nothing can send it later. What would wait for a
/// later try (a retry, a rate limit, a paused account) fails instead, saying to send it again;
/// an unknown outcome stays `unconfirmed` for the ticks to settle where they can.
pub async fn publish_private(ctx: &Context<'_>, m: &Message, text: &str) -> Result<Consumed, AppError> {
    consume_with(ctx, m, Some(text)).await
}

/// Why a private post's publication ends failed where another would wait and try again.
fn only_now(outcome: Outcome) -> Outcome {
    let again = "a private post is published only within its request: publish it now again";
    match outcome {
        Outcome::Retry { reason, status, .. } => Outcome::Failed { reason: format!("{reason} ({again})"), status },
        Outcome::RateLimited { reason, .. } => {
            Outcome::Failed { reason: format!("rate limited: {reason} ({again})"), status: Some(429) }
        }
        other => other,
    }
}

async fn consume_with(ctx: &Context<'_>, m: &Message, text: Option<&str>) -> Result<Consumed, AppError> {
    ctx.db.set_scope(Scope { workspace_id: Some(m.workspace_id.clone()), ..Scope::default() });
    let now = ctx.clock.now_ms();
    let Some(taken) = store::take(ctx.db, &m.workspace_id, &m.publication_id, &m.claim_id, now).await? else {
        return Ok(Consumed::Skipped);
    };
    let publication = taken.publication.clone();
    let attempt = match prepare(ctx, taken, text).await {
        Ok((account, draft)) if account.paused_until.is_some_and(|t| t > now) => {
            let until = account.paused_until.unwrap_or(now);
            drop(draft);
            if text.is_some() {
                let reason = format!("the account is paused by a rate limit until {}", crate::validate::rfc3339(until));
                Attempt { outcome: Outcome::RateLimited { reason, until_ms: until }, credentials: None }
            } else {
                // Paused by a rate limit: wait, without spending an attempt.
                return record_pause(ctx, &publication, until).await.map(|_| Consumed::Recorded);
            }
        }
        Ok((account, draft)) => send(ctx, &account, &draft.as_draft(&publication)).await,
        Err(outcome) => Attempt { outcome, credentials: None },
    };
    let attempt = match text {
        Some(_) => Attempt { outcome: only_now(attempt.outcome), ..attempt },
        None => attempt,
    };
    let published = matches!(attempt.outcome, Outcome::Published { .. });
    record(ctx, &publication, attempt, now, "publish").await?;
    Ok(if published { Consumed::Published } else { Consumed::Recorded })
}

/// The text and files a publication sends.
pub struct Prepared {
    text: String,
    media: Vec<MediaFile>,
}

impl Prepared {
    fn as_draft<'a>(&'a self, p: &'a Publication) -> Draft<'a> {
        Draft { publication_id: &p.id, created_at_ms: p.created_at, text: &self.text, media: self.media.clone() }
    }
}

/// Checks what [`store::take`] read with the publication: its account, the target's text and
/// its files. A problem here is known before anything is sent. A private post's text is not
/// stored: `text` brings it, or nothing is sent.
async fn prepare(ctx: &Context<'_>, taken: store::Taken, text: Option<&str>) -> Result<(Account, Prepared), Outcome> {
    let fail = |reason: String| Outcome::Failed { reason, status: None };
    let p = &taken.publication;
    let account = taken.account.ok_or_else(|| fail("the account was removed".into()))?;
    match account.view.status.as_str() {
        "active" => {}
        "needs_reconnect" => {
            return Err(Outcome::Reconnect { reason: "the account must be reconnected".into(), status: None })
        }
        _ => return Err(fail("the account was disconnected".into())),
    }
    let Some(post) = taken.post else { return Err(fail("the post was deleted".into())) };
    let Some(target) = post.targets.iter().find(|t| t.id == p.target_id) else {
        return Err(fail("the post no longer has this target".into()));
    };
    let text = match (post.private, text) {
        (false, _) => target.text.clone().or(post.body.clone()).unwrap_or_default(),
        (true, Some(text)) => text.to_string(),
        (true, None) => {
            return Err(fail(
                "the post was written under privacy mode: Herald keeps no text to publish (publish it now instead)"
                    .into(),
            ))
        }
    };
    let mut media = Vec::new();
    for asset in &target.media {
        let (key, content_type, filename, alt) = taken
            .files
            .iter()
            .find(|(id, _)| id == asset)
            .map(|(_, file)| file.clone())
            .ok_or_else(|| fail(format!("the media {asset} was deleted")))?;
        let bytes = ctx
            .blobs
            .get(&key)
            .await
            .map_err(|e| Outcome::Retry { reason: format!("media storage: {e}"), status: None, after_ms: None })?
            .ok_or_else(|| fail(format!("the file of media {asset} is missing")))?;
        media.push(MediaFile {
            // Presigned at the store when it can; else a link Herald signs and serves.
            url: ctx
                .blobs
                .presign_get(&key, 3600, ctx.clock.now_ms())
                .ok()
                .or_else(|| crate::media::links::link(ctx, &account.workspace_id, asset, 3600)),
            bytes,
            content_type,
            filename,
            alt: alt.unwrap_or_default(),
        });
    }
    Ok((account, Prepared { text, media }))
}

async fn send(ctx: &Context<'_>, account: &Account, draft: &Draft<'_>) -> Attempt {
    // Opened, and renewed first when an OAuth grant expires soon.
    let creds = match super::oauth::fresh(ctx, account).await {
        Ok(c) => c,
        Err(outcome) => return Attempt { outcome, credentials: None },
    };
    let service = account.view.service_url.as_str();
    let token = creds.access_token.clone().unwrap_or_default();
    let external_id = account.view.external_id.as_str();
    match account.platform() {
        Platform::Bluesky => bluesky::publish(ctx, service, external_id, creds, draft).await,
        Platform::Mastodon => mastodon::publish(ctx, service, &creds, draft).await,
        Platform::X => super::x::publish(ctx, service, &token, draft).await,
        Platform::LinkedIn => super::linkedin::publish(ctx, service, &token, external_id, draft).await,
        p @ (Platform::Facebook | Platform::Instagram | Platform::Threads) => {
            super::meta::publish(ctx, p, service, &token, external_id, draft).await
        }
        Platform::TikTok => super::tiktok::publish(ctx, service, &token, draft).await,
    }
}

/// Backoff before attempt `n + 1`: `first` (30 s by default) doubling, at most 30 minutes,
/// ±20 % jitter.
pub fn backoff_ms(attempts: i64, jitter: u32, first: i64) -> i64 {
    let base = (first.max(1) << (attempts.clamp(1, 7) - 1)).min(30 * 60_000);
    let spread = base / 5;
    base - spread + (i64::from(jitter) % (2 * spread + 1))
}

async fn record_pause(ctx: &Context<'_>, p: &Publication, until: i64) -> Result<(), AppError> {
    store::pause(ctx.db, p, until, ctx.clock.now_ms()).await
}

/// Writes an attempt's outcome: the attempt row, the publication, the account (rate limit,
/// reconnect, renewed credentials) and — once no publication of the post is in flight — the
/// post's own status, in one batch.
async fn record(
    ctx: &Context<'_>,
    p: &Publication,
    attempt: Attempt,
    started: i64,
    kind: &str,
) -> Result<(), AppError> {
    let now = ctx.clock.now_ms();
    let ws = p.workspace_id.as_str();
    let attempts = p.attempts.max(1);
    let (outcome_name, http_status, detail) = match &attempt.outcome {
        Outcome::Published { remote_id, .. } => {
            (if kind == "reconcile" { "reconciled" } else { "published" }, None, Some(remote_id.clone()))
        }
        Outcome::Retry { reason, status, .. } => ("retry", *status, Some(reason.clone())),
        Outcome::RateLimited { reason, .. } => ("rate_limited", Some(429), Some(reason.clone())),
        Outcome::Unconfirmed { reason, status } => ("unconfirmed", *status, Some(reason.clone())),
        Outcome::Failed { reason, status } => ("failed", *status, Some(reason.clone())),
        Outcome::Reconnect { reason, status } => ("reconnect", *status, Some(reason.clone())),
        Outcome::Pending { remote_id, reason } => ("pending", None, Some(format!("{reason} ({remote_id})"))),
    };
    let log_attempt = store::log_attempt(
        p,
        AttemptRow {
            id: ctx.new_id(),
            number: attempts,
            started_at: started,
            finished_at: now,
            outcome: outcome_name,
            http_status: http_status.map(i64::from),
            detail,
        },
    );
    let mut statements = Vec::with_capacity(4);
    let set = |status: &str, reason: Option<String>, next: Option<i64>| store::settle(p, status, reason, next, now);
    match &attempt.outcome {
        Outcome::Published { remote_id, url } => statements.push(store::published(p, remote_id, url.clone(), now)),
        Outcome::Retry { reason, after_ms, .. } if attempts >= MAX_ATTEMPTS => {
            let _ = after_ms;
            statements.push(set("dead", Some(format!("gave up after {attempts} attempts: {reason}")), None));
        }
        Outcome::Retry { reason, after_ms, .. } => {
            let jitter = u32::from_be_bytes(ctx.random.bytes::<4>());
            let next = now + after_ms.unwrap_or_else(|| backoff_ms(attempts, jitter, ctx.config.publish_retry_base_ms));
            statements.push(set("retrying", Some(reason.clone()), Some(next)));
        }
        Outcome::RateLimited { reason, until_ms } => {
            statements.push(store::rate_limited(p, format!("rate limited: {reason}"), *until_ms, now));
            statements.push(accounts::pause(ws, &p.account_id, *until_ms, now));
        }
        Outcome::Unconfirmed { reason, .. } => statements.push(set("unconfirmed", Some(reason.clone()), None)),
        Outcome::Pending { remote_id, reason } => statements.push(store::processing(p, remote_id, reason, now)),
        Outcome::Failed { reason, .. } => statements.push(set("failed", Some(reason.clone()), None)),
        Outcome::Reconnect { reason, .. } => {
            statements.push(set("failed", Some(format!("the account must be reconnected: {reason}")), None));
            statements.push(accounts::needs_reconnect(ws, &p.account_id, reason, now));
        }
    }
    statements.push(log_attempt);
    if let Some(creds) = &attempt.credentials {
        // Renewed tokens are stored with the outcome, in the same batch: never half-rotated.
        let plain = serde_json::to_vec(creds).map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed = ctx
            .config
            .token_keys
            .seal(ctx.random.bytes(), &plain, &p.account_id)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let key_id = ctx.config.token_keys.current_id().unwrap_or_default().to_string();
        statements.push(accounts::set_credentials(ws, &p.account_id, sealed, key_id, now));
    }
    statements.push(store::post_follows(ws, &p.post_id, now));
    ctx.db.batch(&statements).await?;
    if let Outcome::Reconnect { .. } = attempt.outcome {
        super::reconnect::notify(ctx, &p.workspace_id, &p.account_id).await;
    }
    Ok(())
}

/// Settles unconfirmed publications by reading their platform: those nearest the end of their
/// platform's idempotency window first, within each platform's rate limits, accounts in parallel
/// (over Postgres one after another: one connection carries one tenant scope at a time).
async fn reconcile_some(ctx: &Context<'_>, now: i64) -> Result<u64, AppError> {
    let unconfirmed = store::unconfirmed(ctx.db, RECONCILE_PER_TICK, &per_account_sql()).await?;
    let mut by_account: Vec<Vec<(Publication, Option<i64>)>> = Vec::new();
    for item in unconfirmed {
        match by_account.iter_mut().find(|g| g[0].0.account_id == item.0.account_id) {
            Some(group) => group.push(item),
            None => by_account.push(vec![item]),
        }
    }
    let at_once = if ctx.db.dialect() == Dialect::Postgres { 1 } else { RECONCILE_AT_ONCE };
    let results: Vec<Result<u64, AppError>> = futures_util::stream::iter(by_account)
        .map(|group| async move {
            let mut settled = 0;
            for (p, last) in group {
                if reconcile_one(ctx, &p, last, now).await? {
                    settled += 1;
                }
            }
            Ok(settled)
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    let mut settled = 0;
    for r in results {
        settled += r?;
    }
    Ok(settled)
}

/// Settles one unconfirmed publication if its platform can say what became of it; true when it
/// recorded an outcome.
async fn reconcile_one(ctx: &Context<'_>, p: &Publication, last: Option<i64>, now: i64) -> Result<bool, AppError> {
    ctx.db.set_scope(Scope { workspace_id: Some(p.workspace_id.clone()), ..Scope::default() });
    // Its first try, recorded before any call: the idempotency window runs from there.
    let first = p.first_attempt_at.or(p.attempt_started_at).unwrap_or(p.created_at);
    let last = last.or(p.attempt_started_at).unwrap_or(first);
    let prepared = match store::sent_with(ctx.db, p).await {
        Ok(taken) => prepare(ctx, taken, None).await,
        Err(e) => Err(Outcome::Retry { reason: format!("could not prepare: {e}"), status: None, after_ms: None }),
    };
    let (account, prepared) = match prepared {
        Ok(prepared) => prepared,
        Err(_) => {
            // Nothing to read the platform with (a private post's text is not kept; the post,
            // its target or the account is gone): said once the wait is over, rather than left
            // in flight for ever.
            if now - first > UNCONFIRMED_GIVE_UP_MS {
                let reason = "the platform never confirmed whether it was published, and Herald cannot check it: \
                     look at the account before publishing it again";
                let outcome = Outcome::Failed { reason: reason.into(), status: None };
                record(ctx, p, Attempt { outcome, credentials: None }, now, "reconcile").await?;
                return Ok(true);
            }
            return Ok(false);
        }
    };
    let creds = if account.view.auth_kind == "oauth" {
        super::oauth::fresh(ctx, &account).await.ok()
    } else {
        account.open(ctx).ok()
    };
    let Some(creds) = creds else { return Ok(false) };
    let draft = prepared.as_draft(p);
    let service = account.view.service_url.as_str();
    let token = creds.access_token.clone().unwrap_or_default();
    let owner = account.view.external_id.as_str();
    // Absent this long after the last try: never written (ten retry periods).
    let grace = ctx.config.publish_retry_base_ms * 10;
    let outcome = match account.platform() {
        Platform::Bluesky => bluesky::reconcile(ctx, service, owner, &p.id, p.created_at).await,
        Platform::Mastodon => mastodon::reconcile(ctx, service, &creds, &draft, first).await,
        Platform::X => super::x::reconcile(ctx, service, &token, owner, &draft, first, last, grace).await,
        Platform::LinkedIn => super::linkedin::reconcile(ctx, service, &token, owner, &draft, last, grace).await,
        // Still processing: nothing new to record.
        Platform::TikTok => match &p.remote_id {
            Some(id) => match super::tiktok::status(ctx, service, &token, id).await {
                Some(Outcome::Pending { .. }) => None,
                other => other,
            },
            None => None,
        },
        pl @ (Platform::Facebook | Platform::Instagram | Platform::Threads) => {
            super::meta::reconcile(ctx, pl, service, &token, owner, &draft, last, grace).await
        }
    };
    let give_up = match account.platform() {
        Platform::Mastodon => mastodon::IDEMPOTENCY_WINDOW_MS,
        _ => UNCONFIRMED_GIVE_UP_MS,
    };
    let outcome = match outcome {
        Some(o) => o,
        None if now - first > give_up => Outcome::Failed {
            reason:
                "the platform never confirmed whether it was published: check the account before publishing it again"
                    .into(),
            status: None,
        },
        None => return Ok(false),
    };
    // Known not written: the next tick sends it again (as a retry, counted).
    let outcome = match outcome {
        Outcome::Retry { reason, status, .. } => Outcome::Retry { reason, status, after_ms: Some(0) },
        other => other,
    };
    record(ctx, p, Attempt { outcome, credentials: None }, now, "reconcile").await?;
    Ok(true)
}

/// A private post's publication handed to the function that publishes it (on Cloudflare the
/// publisher Worker, through the API Worker's `PUBLISHER` binding; see
/// `publishing::handlers::publish_now`): its claim, and its text, which exists only in the
/// request that carries it. No `Debug`: the text is never logged.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateSend {
    pub message: Message,
    pub text: String,
}

/// Where the publisher Worker takes a private send.
pub const PRIVATE_SEND_PATH: &str = "/internal/publish-private";

/// The header with a private send's signature.
pub const PRIVATE_SEND_SIGNATURE: &str = "x-herald-signature";

fn private_send_mac(config: &Config, body: &[u8]) -> Option<hmac::Hmac<sha2::Sha256>> {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&config.jwt_secret).ok()?;
    mac.update(b"herald private send v1\0");
    mac.update(body);
    Some(mac)
}

/// HMAC-SHA-256 of `body` under the server's secret, in hex: only a function holding the secret
/// can hand a send over.
pub fn private_send_signature(config: &Config, body: &[u8]) -> String {
    use hmac::Mac;
    private_send_mac(config, body).map(|mac| hex::encode(mac.finalize().into_bytes())).unwrap_or_default()
}

/// Whether `signature` is `body`'s, compared in constant time.
pub fn private_send_verified(config: &Config, body: &[u8], signature: &str) -> bool {
    use hmac::Mac;
    match (private_send_mac(config, body), hex::decode(signature.trim())) {
        (Some(mac), Ok(given)) => mac.verify_slice(&given).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_send_is_taken_only_as_signed_under_the_servers_secret() {
        let config = Config::new(crate::ports::Environment::Development, b"s".repeat(32));
        let body = br#"{"message":{"publicationId":"p","workspaceId":"w","claimId":"c"},"text":"hi"}"#;
        let signature = private_send_signature(&config, body);
        assert_eq!(signature.len(), 64);
        assert!(private_send_verified(&config, body, &signature));
        assert!(!private_send_verified(&config, br#"{"text":"other"}"#, &signature), "another body");
        let other = Config::new(crate::ports::Environment::Development, b"t".repeat(32));
        assert!(!private_send_verified(&other, body, &signature), "another secret");
        for bad in ["", "zz", &signature[..62]] {
            assert!(!private_send_verified(&config, body, bad), "{bad:?}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        for (attempts, base) in [(1, 30_000), (2, 60_000), (3, 120_000), (7, 1_800_000), (20, 1_800_000)] {
            for jitter in [0, 1, 12_345, u32::MAX] {
                let d = backoff_ms(attempts, jitter, 30_000);
                assert!((base - base / 5..=base + base / 5).contains(&d), "{attempts}: {d}");
            }
        }
        assert_ne!(backoff_ms(3, 1, 30_000), backoff_ms(3, 99_999, 30_000), "jitter spreads retries");
    }
}
