//! Exports built in the background (SPEC PL-9): `POST /users/me/exports` asks for one; the
//! scheduled tick reads the lists a part at a time ([`advance`]: up to
//! `Config::export_part_entries` entries, however many lists that spans) into the bucket, one
//! line per entry; once whole, the export is offered by mail as a link that expires after
//! [`LINK_DAYS`] days ([`expire`] then queues its parts for deletion). Downloading assembles the
//! parts into the same document the inline export answers.

use std::collections::BTreeMap;

use super::store::{self, Job, LISTS};
use crate::api::Context;
use crate::error::AppError;
use crate::mail::MailMessage;

/// How long the mailed link works.
pub const LINK_DAYS: i64 = 7;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Parts written a tick: a part reads up to every list (eleven queries) and writes one file,
/// which with the tick's other work stays within an invocation's limits on D1.
const PARTS_PER_TICK: usize = 1;

/// What a tick did to the exports waiting.
#[derive(Debug, Default)]
pub struct Advanced {
    pub parts_written: u64,
    /// The exports that became ready, to announce in a workspace's notifications (the scheduled
    /// work does, where notifications live).
    pub ready: Vec<Job>,
}

/// Builds the next parts of the exports waiting.
pub async fn advance(ctx: &Context<'_>, now: i64) -> Result<Advanced, AppError> {
    let mut done = Advanced::default();
    for _ in 0..PARTS_PER_TICK {
        let Some((job, email)) = store::next_pending(ctx.db).await? else { break };
        let (wrote, ready) = step(ctx, &job, &email, now).await?;
        done.parts_written += wrote;
        done.ready.extend(ready);
    }
    Ok(done)
}

/// One part of `job`: up to the part's entries, across as many lists as that takes; the export
/// is ready once the last list is read. Answers the parts written and the export, when it became
/// ready.
async fn step(ctx: &Context<'_>, job: &Job, email: &str, now: i64) -> Result<(u64, Option<Job>), AppError> {
    let budget = ctx.config.export_part_entries.max(1);
    let mut next = job.clone();
    let mut lines = String::new();
    let mut taken = 0;
    while next.list < LISTS.len() && taken < budget {
        let list = &LISTS[next.list];
        let want = budget - taken;
        let read = list.after(&job.user_id, want, next.cursor_at, &next.cursor_key);
        let rows = ctx.db.query(&read.sql, &read.params).await?;
        for row in &rows {
            lines.push_str(list.name);
            lines.push('\t');
            lines.push_str(&store::entry(row).to_string());
            lines.push('\n');
        }
        taken += rows.len() as i64;
        match rows.last() {
            // As many as asked: there may be more of this list; the next part goes on from here.
            Some(last) if rows.len() as i64 == want => (next.cursor_at, next.cursor_key) = list.position(last),
            _ => (next.list, next.cursor_at, next.cursor_key) = (next.list + 1, -1, String::new()),
        }
    }
    let mut wrote = 0;
    if !lines.is_empty() {
        next.size_bytes += lines.len() as i64;
        ctx.blobs.put(&store::part_key(&job.id, job.parts), "application/jsonl", lines.into_bytes()).await?;
        next.parts += 1;
        next.entries += taken;
        wrote = 1;
    }
    let mut writes = vec![store::advanced(job, &next, now)];
    // Whole: ready, and offered by a link whose token only the mail carries.
    let link = (next.list >= LISTS.len()).then(|| {
        let token = crate::identity::tokens::opaque_token(ctx.random.bytes());
        let expires = now + LINK_DAYS * DAY_MS;
        writes.push(store::ready(&job.id, &crate::identity::tokens::token_hash(&token), now, expires));
        (token, expires)
    });
    let changed = ctx.db.batch(&writes).await?;
    if let (Some((token, expires)), Some(1)) = (link, changed.first()) {
        offer(ctx, email, &token, &next, expires).await;
        next.status = "ready".into();
        (next.ready_at, next.expires_at) = (Some(now), Some(expires));
        return Ok((wrote, Some(next)));
    }
    Ok((wrote, None))
}

/// Mails the link; a mail that cannot go is logged (the export is still there to download
/// with the account's own credentials).
async fn offer(ctx: &Context<'_>, email: &str, token: &str, job: &Job, expires: i64) {
    let link = format!("{}/api/v1/exports/{token}", ctx.config.public_origin());
    let message = MailMessage {
        to: email.to_string(),
        subject: "Your Herald data export is ready".into(),
        text: format!(
            "Everything Herald holds about you ({} entries, {} bytes) is ready as one JSON document:\n\n{link}\n\n\
             The link works until {}. Signed in, GET /api/v1/users/me/exports/{}/download answers the same.\n",
            job.entries,
            job.size_bytes,
            crate::validate::rfc3339(expires),
            job.id
        ),
        ..Default::default()
    };
    if let Err(err) = ctx.mail.send(&message).await {
        tracing::warn!(export = %job.id, %err, "the export's mail could not be sent");
    }
}

/// Ends the links that have expired and queues their parts for deletion.
pub async fn expire(ctx: &Context<'_>, now: i64) -> Result<u64, AppError> {
    let jobs = store::expired(ctx.db, now, 10).await?;
    let writes: Vec<_> = jobs.iter().flat_map(|job| store::expire(job, now)).collect();
    if !writes.is_empty() {
        ctx.db.batch(&writes).await?;
    }
    Ok(jobs.len() as u64)
}

/// The whole document of a ready export, from its parts: the inline export's shape.
pub async fn assemble(ctx: &Context<'_>, job: &Job) -> Result<Vec<u8>, AppError> {
    let mut lists: BTreeMap<&str, String> = BTreeMap::new();
    for n in 0..job.parts {
        let key = store::part_key(&job.id, n);
        let bytes =
            ctx.blobs.get(&key).await?.ok_or_else(|| AppError::Internal(format!("export part {key} is missing")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| AppError::Internal(format!("export part {key} is not text")))?;
        for line in text.lines() {
            let Some((name, entry)) = line.split_once('\t') else { continue };
            let Some(list) = LISTS.iter().find(|l| l.name == name) else { continue };
            let items = lists.entry(list.name).or_default();
            if !items.is_empty() {
                items.push(',');
            }
            items.push_str(entry);
        }
    }
    let at = serde_json::Value::String(crate::validate::rfc3339(job.ready_at.unwrap_or(job.created_at)));
    let mut out = format!("{{\"exportedAt\":{at}");
    for list in &LISTS {
        let items = lists.get(list.name).map_or("", String::as_str);
        if list.name == "user" {
            out.push_str(&format!(",\"user\":{}", if items.is_empty() { "null" } else { items }));
        } else {
            out.push_str(&format!(",\"{}\":[{items}]", list.name));
        }
    }
    out.push_str(",\"truncated\":[]}");
    Ok(out.into_bytes())
}
