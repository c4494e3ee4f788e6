//! The Cloudflare Worker: one Worker serves every route, the cron trigger included. This file
//! only translates between workerd and the domain; the adapters of the ports live beside it.

mod d1;
mod limits;
mod platform;
mod r2;

use herald::app::routes::Reading;
use herald::identity::password::{Argon2Hasher, HashProfile};
use herald::mail::{DevMailbox, HttpMail, Mail, NoMail};
use herald::ports::{Config, Environment};
use herald::sql::Sql;
use worker::{
    event, Env, Headers, MessageBatch, MessageExt, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::d1::D1Sql;
use crate::platform::{FetchHttp, JsClock, JsRandom};
use crate::r2::R2Blobs;
use futures_util::StreamExt;

#[event(start)]
fn start() {
    use tracing_subscriber::prelude::*;
    let fmt_layer =
        tracing_subscriber::fmt::layer().with_ansi(false).without_time().with_writer(tracing_web::MakeConsoleWriter);
    let _ = tracing_subscriber::registry().with(fmt_layer).try_init();
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|v| v.to_string()).or_else(|| var(env, name)).filter(|v| !v.is_empty())
}

/// Reads settings and secrets; `None` when the Worker cannot run safely (no JWT key).
fn config(env: &Env) -> Option<Config> {
    let environment = Environment::parse(&var(env, "ENVIRONMENT").unwrap_or_default());
    let jwt_secret = secret(env, "JWT_SECRET").filter(|s| s.len() >= 32)?;
    let mut config = Config::new(environment, jwt_secret.into_bytes());
    if let Some(origins) = var(env, "ALLOWED_ORIGINS") {
        config.allowed_origins = origins.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
    }
    if let Some(url) = var(env, "APP_URL") {
        config.app_url = url;
    }
    config.tick_secret = secret(env, "TICK_SECRET").filter(|s| s.len() >= 16);
    // Secrets (TOKEN_KEYS, the OAuth client secrets) or plain vars alike.
    if let Some(problem) = config.read_publishing(|name| secret(env, name)) {
        tracing::error!("{problem}");
    }
    config.read_accounts(|name| var(env, name));
    // Cloudflare sets CF-Connecting-IP on every request it hands a Worker.
    config.trusted_ip_header.get_or_insert_with(|| "cf-connecting-ip".into());
    Some(config)
}

/// An answer given before the domain can serve: the envelope, a request id and the headers
/// every answer carries (`herald::app::finish`).
fn unavailable(message: &str) -> Result<Response> {
    let request_id = format!("req_{}", herald::api::new_id(&JsClock, &JsRandom));
    let mut answer =
        herald::app::error_response(&herald::AppError::ServiceUnavailable(message.into()), &request_id, None);
    herald::app::finish(&mut answer, request_id);
    to_worker(answer)
}

fn to_worker(answer: herald::Response) -> Result<Response> {
    let headers = Headers::new();
    for (k, v) in &answer.headers {
        headers.append(k, v)?;
    }
    Ok(Response::from_bytes(answer.body)?.with_status(answer.status).with_headers(headers))
}

/// Postgres through Hyperdrive when the Worker has a HYPERDRIVE binding, D1 otherwise.
async fn database(env: &Env) -> Result<Box<dyn Sql>> {
    let Ok(hyperdrive) = env.hyperdrive("HYPERDRIVE") else {
        return Ok(Box::new(D1Sql::new(env.d1("DB")?)));
    };
    postgres(hyperdrive).await
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_hyperdrive: worker::Hyperdrive) -> Result<Box<dyn Sql>> {
    // Refusing beats quietly serving D1 while the operator meant Postgres.
    Err(worker::Error::RustError(
        "HYPERDRIVE is bound but this build has no Postgres driver: build with `scripts/build-worker.sh postgres`"
            .into(),
    ))
}

#[cfg(feature = "postgres")]
async fn postgres(hyperdrive: worker::Hyperdrive) -> Result<Box<dyn Sql>> {
    let mut config = tokio_postgres::Config::new();
    config.user(hyperdrive.user()).password(hyperdrive.password()).dbname(hyperdrive.database());
    // The hop to Hyperdrive stays inside the runtime; Hyperdrive itself speaks TLS to the
    // database. tokio-postgres therefore never asks for TLS on this socket.
    let socket = worker::Socket::builder().connect(hyperdrive.host(), hyperdrive.port())?;
    let (client, connection) = config
        .connect_raw(socket, tokio_postgres::NoTls)
        .await
        .map_err(|e| worker::Error::RustError(format!("postgres: {}", herald_postgres::map_err(e))))?;
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = connection.await {
            tracing::error!(cause = %e, "postgres connection ended");
        }
    });
    Ok(Box::new(herald_postgres::PgSql::new(client)))
}

/// The adapters of one invocation; the domain borrows them through a `Context`.
struct Host {
    config: Config,
    db: Box<dyn Sql>,
    hasher: Argon2Hasher,
    http: FetchHttp,
    mail_provider: Option<(String, String, String)>,
    blobs: R2Blobs,
    jobs: QueueJobs,
    limiter: limits::WorkerLimiter,
}

/// The publish queue (binding PUBLISH_QUEUE); without the binding the cron publishes inline.
struct QueueJobs(Option<worker::Queue>);

#[async_trait::async_trait(?Send)]
impl herald::ports::Jobs for QueueJobs {
    fn has_queue(&self) -> bool {
        self.0.is_some()
    }

    async fn send(&self, messages: &[String]) -> std::result::Result<(), String> {
        let Some(queue) = &self.0 else { return Err("no PUBLISH_QUEUE binding".into()) };
        queue.send_batch(messages.to_vec()).await.map_err(|e| e.to_string())
    }
}

impl Host {
    /// `None` (after logging why) when the Worker cannot serve.
    async fn new(env: &Env) -> Option<Host> {
        let Some(config) = config(env) else {
            tracing::error!("JWT_SECRET is missing or shorter than 32 bytes");
            return None;
        };
        let db = match database(env).await {
            Ok(db) => db,
            Err(e) => {
                tracing::error!(cause = %e, "no database");
                return None;
            }
        };
        let profile =
            var(env, "PASSWORD_HASH_PROFILE").and_then(|p| HashProfile::parse(&p)).unwrap_or(HashProfile::FreePlan);
        let mail_provider = secret(env, "MAIL_API_KEY").map(|key| {
            let url = var(env, "MAIL_API_URL").unwrap_or_else(|| "https://api.resend.com".into());
            let from = var(env, "MAIL_FROM").unwrap_or_else(|| "Herald <no-reply@herald.invalid>".into());
            (url, key, from)
        });
        // Presigned URLs for the bucket's S3-compatible endpoint, when configured.
        let presign_as = match herald::media::s3::S3Settings::from_vars(|name| secret(env, name)) {
            Some(Ok(settings)) => Some(settings),
            Some(Err(e)) => {
                tracing::error!(cause = %e, "the S3_* settings are unusable: no presigned uploads");
                None
            }
            None => None,
        };
        let blobs = R2Blobs::new(env.bucket("MEDIA").ok(), presign_as);
        let jobs = QueueJobs(env.queue("PUBLISH_QUEUE").ok());
        Some(Host {
            db,
            hasher: Argon2Hasher::new(profile),
            http: FetchHttp { timeout_ms: config.platform_timeout_ms },
            mail_provider,
            config,
            blobs,
            jobs,
            limiter: limits::WorkerLimiter { env: env.clone() },
        })
    }

    /// Runs `work` with a Context over this host's adapters.
    async fn run<T>(&self, work: impl AsyncFnOnce(&herald::Context<'_>) -> T) -> T {
        let db = self.db.as_ref();
        let catcher = DevMailbox { db, clock: &JsClock, random: &JsRandom };
        let provider = self.mail_provider.as_ref().map(|(base_url, api_key, from)| HttpMail {
            http: &self.http,
            base_url: base_url.clone(),
            api_key: api_key.clone(),
            from: from.clone(),
        });
        // A configured provider, else the mail catcher in development, else refuse to send.
        let mail: &dyn Mail = match (&provider, self.config.environment) {
            (Some(p), _) => p,
            (None, Environment::Development) => &catcher,
            (None, _) => &NoMail,
        };
        let ctx = herald::Context {
            db,
            clock: &JsClock,
            random: &JsRandom,
            hasher: &self.hasher,
            mail,
            blobs: &self.blobs,
            http: &self.http,
            jobs: &self.jobs,
            limiter: &self.limiter,
            config: &self.config,
        };
        work(&ctx).await
    }
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let Some(host) = Host::new(&env).await else {
        return unavailable("the server is not configured or its database is unreachable");
    };
    let url = req.url()?;
    // The method as sent: workers-rs maps any method it does not know to GET, which would let
    // `QUERY /…` or `PROPFIND /…` act as a GET instead of answering 405.
    let method = req.inner().method();
    let mut domain = herald::Request::new(&method, url.path());
    domain.query = url.query().unwrap_or_default().to_string();
    domain.headers = req.headers().entries().collect();
    // A body declared too large is not read at all; the domain answers 413 from the header.
    let declared = req.headers().get("content-length")?.and_then(|l| l.parse::<usize>().ok());
    match herald::app::routes::reading(&host.config, &domain.method, &domain.path) {
        // A media file goes to R2 as it arrives, never whole in memory.
        Reading::Stream(_) => host.blobs.hold_body(req.inner().body()),
        Reading::Buffer(limit) if declared.is_none_or(|l| l <= limit) => {
            domain.body = read_at_most(&mut req, limit).await;
        }
        Reading::Buffer(_) => {}
    }

    let answer = host.run(async |ctx| herald::handle(ctx, domain).await).await;
    to_worker(answer)
}

/// The body, read until it passes `limit` (one byte over is enough for the domain to answer
/// 413): a body without a Content-Length, or one longer than declared, is never read whole.
async fn read_at_most(req: &mut Request, limit: usize) -> Vec<u8> {
    let Ok(mut stream) = req.stream() else { return Vec::new() };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            break;
        }
    }
    body
}

/// The cron trigger (every minute, see wrangler.toml): the same work as the tick route.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let Some(host) = Host::new(&env).await else { return };
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
    let Some(host) = Host::new(&env).await else {
        batch.retry_all();
        return Ok(());
    };
    // The batch's publications go out together (SPEC PB-7): one post's targets in parallel.
    let messages = batch.messages()?;
    if host.db.dialect() != herald::sql::Dialect::Postgres {
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
                match Host::new(env).await {
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
