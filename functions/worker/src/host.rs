//! What both Workers share: the environment read into a `Config`, the database (D1, or Postgres
//! through Hyperdrive), the publish queue, and the `Host` that lends one invocation's adapters to
//! the domain. Each Worker brings the adapters only it needs (the API its password hasher, the
//! API and AI Workers their rate limiter), so the publisher links neither.

use herald::mail::{DevMailbox, HttpMail, Mail, NoMail};
use herald::ports::{Config, Environment, PasswordHasher};
use herald::ratelimit::RateLimiter;
use herald::sql::Sql;
use worker::{Env, Result};

#[cfg(not(feature = "postgres"))]
use crate::d1::D1Sql;
use crate::platform::{FetchHttp, JsClock, JsRandom};
use crate::r2::R2Blobs;

pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|v| v.to_string()).or_else(|| var(env, name)).filter(|v| !v.is_empty())
}

/// Reads settings and secrets; `None` when the Worker cannot run safely (no JWT key).
pub(crate) fn config(env: &Env) -> Option<Config> {
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
    if let Some(problem) = config.read_accounts(|name| var(env, name)) {
        tracing::error!("{problem}");
    }
    // Cloudflare sets CF-Connecting-IP on every request it hands a Worker.
    config.trusted_ip_header.get_or_insert_with(|| "cf-connecting-ip".into());
    Some(config)
}

/// How a request reaches D1: a session of its read replication (the API: reads from the
/// nearest replica, consistent with the client's bookmark), or the database itself (the
/// publisher's cron and queue, which write).
pub enum D1Access {
    #[cfg_attr(not(feature = "publisher"), allow(dead_code))]
    Direct,
    /// The client's bookmark, if any, and whether the request only reads (D1 only).
    #[cfg(feature = "http")]
    #[cfg_attr(feature = "postgres", allow(dead_code))]
    Session { bookmark: Option<String>, read_only: bool },
    /// A session from the primary, whose bookmark tells another function where the writes are.
    #[cfg(feature = "publisher")]
    PrimarySession,
}

/// Postgres through Hyperdrive when the Worker has a HYPERDRIVE binding, D1 otherwise.
#[cfg(not(feature = "postgres"))]
async fn database(env: &Env, access: D1Access) -> Result<Database> {
    let Ok(hyperdrive) = env.hyperdrive("HYPERDRIVE") else {
        let db = env.d1("DB")?;
        return Ok(Database::D1(match access {
            D1Access::Direct => D1Sql::new(db),
            #[cfg(feature = "http")]
            D1Access::Session { bookmark, read_only } => D1Sql::session(db, bookmark.as_deref(), read_only),
            #[cfg(feature = "publisher")]
            D1Access::PrimarySession => D1Sql::primary_session(db),
        }));
    };
    Ok(Database::Other(postgres(hyperdrive).await?))
}

/// A Postgres build serves Postgres only: its HYPERDRIVE binding is required (its D1 binding
/// is declared for symmetry and unused), so D1's adapter is left out of its module.
#[cfg(feature = "postgres")]
async fn database(env: &Env, _access: D1Access) -> Result<Database> {
    Ok(Database::Other(postgres(env.hyperdrive("HYPERDRIVE")?).await?))
}

/// The database of one invocation.
pub enum Database {
    #[cfg(not(feature = "postgres"))]
    D1(D1Sql),
    Other(Box<dyn Sql>),
}

impl Database {
    pub fn sql(&self) -> &dyn Sql {
        match self {
            #[cfg(not(feature = "postgres"))]
            Database::D1(d1) => d1,
            Database::Other(other) => other.as_ref(),
        }
    }

    /// D1's session bookmark after the request, for the client to send back.
    #[cfg(any(feature = "http", feature = "publisher"))]
    pub fn bookmark(&self) -> Option<String> {
        match self {
            #[cfg(not(feature = "postgres"))]
            Database::D1(d1) => d1.bookmark(),
            Database::Other(_) => None,
        }
    }

    /// Where a later bookmark goes for D1's session to catch up with (none over Postgres).
    #[cfg(feature = "forward-private-sends")]
    fn catch_up(&self) -> Option<std::rc::Rc<std::cell::RefCell<Option<String>>>> {
        match self {
            #[cfg(not(feature = "postgres"))]
            Database::D1(d1) => Some(d1.catch_up()),
            Database::Other(_) => None,
        }
    }
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

/// The password hasher of a Worker that has no password to hash (the publisher, the AI Worker):
/// a call would be a bug, so it refuses rather than link Argon2 for nothing.
#[cfg_attr(all(feature = "api", not(feature = "publisher")), allow(dead_code))]
pub struct NoPasswords;

#[async_trait::async_trait(?Send)]
impl PasswordHasher for NoPasswords {
    async fn hash(&self, _password: &str, _salt: &[u8]) -> std::result::Result<String, herald::AppError> {
        Err(herald::AppError::Internal("this Worker hashes no password".into()))
    }

    async fn verify(&self, _password: &str, _stored: &str) -> bool {
        false
    }

    fn needs_rehash(&self, _stored: &str) -> bool {
        false
    }
}

/// The adapters of one invocation; the domain borrows them through a `Context`.
pub struct Host {
    pub config: Config,
    pub db: Database,
    hasher: Box<dyn PasswordHasher>,
    http: FetchHttp,
    mail_provider: Option<(String, String, String)>,
    pub blobs: R2Blobs,
    jobs: QueueJobs,
    limiter: Box<dyn RateLimiter>,
}

/// The publish queue (binding PUBLISH_QUEUE); without the binding the cron publishes inline.
/// The API Worker also reaches the publisher Worker (binding PUBLISHER) for private posts.
struct QueueJobs {
    queue: Option<worker::Queue>,
    #[cfg(feature = "forward-private-sends")]
    publisher: Option<worker::Fetcher>,
    /// D1's session, to catch up with the publisher's writes (`D1Sql::catch_up`).
    #[cfg(feature = "forward-private-sends")]
    catch_up: Option<std::rc::Rc<std::cell::RefCell<Option<String>>>>,
}

#[async_trait::async_trait(?Send)]
impl herald::ports::Jobs for QueueJobs {
    fn has_queue(&self) -> bool {
        self.queue.is_some()
    }

    async fn send(&self, messages: &[String]) -> std::result::Result<(), String> {
        let Some(queue) = &self.queue else { return Err("no PUBLISH_QUEUE binding".into()) };
        queue.send_batch(messages.to_vec()).await.map_err(|e| e.to_string())
    }

    /// The send, to the publisher Worker (which carries the engine), answered once published.
    #[cfg(feature = "forward-private-sends")]
    async fn publish_private(&self, body: &str, signature: &str) -> std::result::Result<(), String> {
        use herald::publishing::engine::{PRIVATE_SEND_PATH, PRIVATE_SEND_SIGNATURE};
        let Some(publisher) = &self.publisher else {
            return Err("no PUBLISHER service binding: private posts cannot be published".into());
        };
        let headers = worker::Headers::new();
        headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
        headers.set(PRIVATE_SEND_SIGNATURE, signature).map_err(|e| e.to_string())?;
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post)
            .with_headers(headers)
            .with_body(Some(wasm_bindgen::JsValue::from_str(body)));
        let request = worker::Request::new_with_init(&format!("https://publisher{PRIVATE_SEND_PATH}"), &init)
            .map_err(|e| e.to_string())?;
        let mut answer = publisher.fetch_request(request).await.map_err(|e| e.to_string())?;
        match answer.status_code() {
            200 => {
                // The publisher wrote from the primary: this request's later reads (its answer)
                // go to a replica that has those writes, the latest of its sends' bookmarks.
                let bookmark = answer.headers().get(herald::app::BOOKMARK_HEADER).ok().flatten();
                if let (Some(later), Some(bookmark)) = (&self.catch_up, bookmark) {
                    let mut later = later.borrow_mut();
                    if herald::app::is_d1_bookmark(&bookmark) && later.as_ref().is_none_or(|l| *l < bookmark) {
                        *later = Some(bookmark);
                    }
                }
                Ok(())
            }
            status => {
                let said = answer.text().await.unwrap_or_default();
                Err(format!("the publisher Worker answered {status}: {}", said.chars().take(200).collect::<String>()))
            }
        }
    }
}

impl Host {
    /// `None` (after logging why) when the Worker cannot serve. `hasher` and `limiter` are the
    /// Worker's own: the API hashes passwords and counts requests, the publisher does neither.
    pub async fn new(
        env: &Env,
        access: D1Access,
        hasher: Box<dyn PasswordHasher>,
        limiter: Box<dyn RateLimiter>,
    ) -> Option<Host> {
        let Some(config) = config(env) else {
            tracing::error!("JWT_SECRET is missing or shorter than 32 bytes");
            return None;
        };
        let db = match database(env, access).await {
            Ok(db) => db,
            Err(e) => {
                tracing::error!(cause = %e, "no database");
                return None;
            }
        };
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
        let jobs = QueueJobs {
            queue: env.queue("PUBLISH_QUEUE").ok(),
            #[cfg(feature = "forward-private-sends")]
            publisher: env.service("PUBLISHER").ok(),
            #[cfg(feature = "forward-private-sends")]
            catch_up: db.catch_up(),
        };
        Some(Host {
            db,
            hasher,
            http: FetchHttp { timeout_ms: config.platform_timeout_ms },
            mail_provider,
            config,
            blobs,
            jobs,
            limiter,
        })
    }

    /// Runs `work` with a Context over this host's adapters.
    pub async fn run<T>(&self, work: impl AsyncFnOnce(&herald::Context<'_>) -> T) -> T {
        let db = self.db.sql();
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
            hasher: self.hasher.as_ref(),
            mail,
            blobs: &self.blobs,
            http: &self.http,
            jobs: &self.jobs,
            limiter: self.limiter.as_ref(),
            config: &self.config,
            sink: None,
        };
        work(&ctx).await
    }
}
