//! The publishing engine's Worker (`wrangler.publisher.toml`): the cron trigger runs the
//! scheduled work and the queue consumer publishes what it claimed. It serves no HTTP, so it
//! links no router, no password hashing and no OpenAPI document: only the domain's maintenance
//! and publishing areas and what they build on (`scripts/build-worker.sh` checks the wasm).

use futures_util::StreamExt;
use herald::ratelimit::Unlimited;
use worker::{event, Env, MessageBatch, MessageExt, Result, ScheduleContext, ScheduledEvent};

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
    // A Postgres connection (Hyperdrive) carries one scope and one transaction at a time: each
    // message gets its own, three at once — with their calls to the platforms, within the six
    // connections a Worker invocation may hold open.
    drop(host);
    futures_util::stream::iter(messages.iter())
        .for_each_concurrent(PG_CONSUMERS, |message| {
            let env = &env;
            async move {
                match engine_host(env).await {
                    Some(host) => consume_one(&host, message).await,
                    None => message.retry(),
                }
            }
        })
        .await;
    Ok(())
}

/// Messages consumed at once over Postgres, each on its own connection.
const PG_CONSUMERS: usize = 3;

async fn consume_one(host: &Host, message: &worker::Message<String>) {
    let parsed: std::result::Result<herald::publishing::engine::Message, _> = serde_json::from_str(message.body());
    let Ok(claim) = parsed else {
        tracing::error!("a publish message that is not a claim: dropped");
        message.ack();
        return;
    };
    match host.run(async |ctx| herald::publishing::engine::consume(ctx, &claim).await).await {
        Ok(_) => message.ack(),
        Err(e) => {
            tracing::error!(cause = %e, publication = %claim.publication_id, "publishing failed; the queue retries");
            message.retry();
        }
    }
}
