//! The publishing engine's Worker (`wrangler.publisher.toml`): the cron trigger runs the
//! scheduled work and the queue consumer publishes what it claimed. It serves no API: its one
//! fetch handler takes a private post's publication from the API Worker (through the API's
//! `PUBLISHER` binding; the Worker has no route of its own), so it links no router, no password
//! hashing and no OpenAPI document: only the domain's maintenance and publishing areas and what
//! they build on (`scripts/build-worker.sh` checks the wasm).

use herald::publishing::engine::{self, PrivateSend, PRIVATE_SEND_PATH, PRIVATE_SEND_SIGNATURE};
use herald::ratelimit::Unlimited;
use worker::{event, Env, MessageBatch, MessageExt, Request, Response, Result, ScheduleContext, ScheduledEvent};

use crate::host::{D1Access, Host, NoPasswords};

/// The adapters of one invocation; no inbound request, so nothing to rate-limit.
async fn engine_host(env: &Env) -> Option<Host> {
    Host::new(env, D1Access::Direct, Box::new(NoPasswords), Box::new(Unlimited)).await
}

/// The cron trigger (every minute, see wrangler.publisher.toml): the same work as the tick route.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let Some(host) = engine_host(&env).await else { return };
    match host.run(async |ctx| herald::maintenance::tick(ctx).await).await {
        Ok(report) => tracing::info!(?report, "scheduled run done"),
        Err(e) => tracing::error!(cause = %e, "scheduled run failed"),
    }
}

/// The publish queue's consumer: each message is a claim on one publication. A message whose
/// claim was taken or replaced does nothing; an error leaves it for the queue to retry (the
/// claim makes a retry harmless).
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: worker::Context) -> Result<()> {
    let Some(host) = engine_host(&env).await else {
        batch.retry_all();
        return Ok(());
    };
    // The batch's publications go out together (SPEC PB-7): one post's targets in parallel.
    let messages = batch.messages()?;
    if host.db.sql().dialect() != herald::sql::Dialect::Postgres {
        // D1 takes concurrent statements.
        futures_util::future::join_all(messages.iter().map(|m| consume_one(&host, m))).await;
        return Ok(());
    }
    // A Postgres connection (Hyperdrive) carries one scope and one transaction at a time: the
    // batch is dealt to a few lanes, each on its own connection, one message after another —
    // with their calls to the platforms, within the six connections a Worker invocation may
    // hold open. A lane opens its connection once (again only after an error).
    drop(host);
    let lanes = PG_CONSUMERS.min(messages.len());
    futures_util::future::join_all((0..lanes).map(|lane| {
        let (env, messages) = (&env, &messages);
        async move {
            let mut host = None;
            for message in messages.iter().skip(lane).step_by(lanes) {
                if host.is_none() {
                    host = engine_host(env).await;
                }
                match &host {
                    Some(open) => {
                        if !consume_one(open, message).await {
                            host = None;
                        }
                    }
                    None => message.retry(),
                }
            }
        }
    }))
    .await;
    Ok(())
}

/// Messages consumed at once over Postgres, each on its own connection.
const PG_CONSUMERS: usize = 3;

/// Consumes one message and acks it, or leaves it for the queue to retry; false when that
/// failed (the connection may be broken).
async fn consume_one(host: &Host, message: &worker::Message<String>) -> bool {
    let parsed: std::result::Result<herald::publishing::engine::Message, _> = serde_json::from_str(message.body());
    let Ok(claim) = parsed else {
        tracing::error!("a publish message that is not a claim: dropped");
        message.ack();
        return true;
    };
    match host.run(async |ctx| herald::publishing::engine::consume(ctx, &claim).await).await {
        Ok(_) => {
            message.ack();
            true
        }
        Err(e) => {
            tracing::error!(cause = %e, publication = %claim.publication_id, "publishing failed; the queue retries");
            message.retry();
            false
        }
    }
}

/// A private post's publication, handed over by the API Worker (`publishing::handlers::
/// publish_now`) with its text, which exists only in this request: published and recorded
/// before the answer (200, with D1's bookmark after the writes). Taken only signed under the
/// server's secret; anything else is 404.
#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    if req.method() != worker::Method::Post || req.path() != PRIVATE_SEND_PATH {
        return Response::error("not found", 404);
    }
    // The signature is checked before the database is opened: an unsigned call costs nothing.
    let Some(config) = crate::host::config(&env) else {
        return Response::error("the publisher is not configured", 503);
    };
    let signature = req.headers().get(PRIVATE_SEND_SIGNATURE)?.unwrap_or_default();
    let body = req.bytes().await?;
    if !engine::private_send_verified(&config, &body, &signature) {
        return Response::error("not found", 404);
    }
    let Ok(send) = serde_json::from_slice::<PrivateSend>(&body) else {
        return Response::error("not a private send", 400);
    };
    let Some(host) = Host::new(&env, D1Access::PrimarySession, Box::new(NoPasswords), Box::new(Unlimited)).await else {
        return Response::error("the publisher is not configured or its database is unreachable", 503);
    };
    match host.run(async |ctx| engine::publish_private(ctx, &send.message, &send.text).await).await {
        // Where the writes can be read (D1): the API Worker's session catches up with it.
        Ok(_) => {
            let answer = Response::ok("published")?;
            match host.db.bookmark() {
                Some(bookmark) => {
                    let headers = worker::Headers::new();
                    headers.set(herald::app::BOOKMARK_HEADER, &bookmark)?;
                    Ok(answer.with_headers(headers))
                }
                None => Ok(answer),
            }
        }
        Err(e) => {
            tracing::error!(cause = %e, publication = %send.message.publication_id, "a private publication failed");
            Response::error("the publication could not be recorded", 500)
        }
    }
}
