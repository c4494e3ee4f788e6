//! The Spin glue: variables in, connections opened, `herald::handle` called, the answer sent.
//! Everything with logic in it lives in the plain modules beside this one.

use herald::app::routes::Reading;

use crate::components::SERVED;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use herald::identity::password::Argon2Hasher;
use herald::mail::{DevMailbox, HttpMail, Mail, NoMail};
#[cfg(feature = "blobs")]
use herald::media::s3::S3Blobs;
#[cfg(feature = "blobs")]
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

#[cfg(feature = "blobs")]
mod upload;

/// The body of a request whose route streams it, left unread for the media store.
#[cfg(feature = "blobs")]
type Held = Option<IncomingRequestBody>;
#[cfg(not(feature = "blobs"))]
type Held = Option<std::convert::Infallible>;
use herald::ports::{Clock, Config, Environment, Http, HttpError, HttpRequest, HttpResponse, Random};
use herald::ratelimit::{Decision, Policy, RateLimiter, Window};
use herald::sql::{DbError, Dialect, Raw, Row, Sql, Value};
use herald::AppError;
use http_body_util::{BodyExt, Full};
use spin_sdk::http::body::IncomingBodyExt;

use herald_postgres::{PgConnection, PgSql};

use crate::db::SqliteSql;
use crate::migrations;
use crate::settings::{present, MailProvider, Variables};
use crate::values::{pg_param, pg_row, pg_sdk_error, pg_typed, sqlite_error, sqlite_param, sqlite_row};

/// An answer's body: whole, or a stream of events as the handler writes them.
type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::convert::Infallible>;

fn whole(bytes: Bytes) -> Body {
    Full::new(bytes).boxed_unsync()
}

// ── Ports ───────────────────────────────────────────────────────────────────────────────

struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
}

struct WasiRandom;

impl Random for WasiRandom {
    fn fill(&self, buf: &mut [u8]) {
        // wasi:random cannot fail for a buffer this small; without it nothing secret can be made.
        getrandom::fill(buf).expect("wasi:random failed");
    }
}

/// Outbound HTTP through Spin; the host allows only `allowed_outbound_hosts`. An exchange,
/// answer and body, gets `timeout_ms` (`platform_timeout_ms`, as the Worker's fetch does);
/// past it the call is dropped and answers `Timeout`.
struct SpinHttp {
    pub timeout_ms: u64,
}

#[async_trait(?Send)]
impl Http for SpinHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.send_within(request, self.timeout_ms).await
    }

    async fn send_within(&self, request: HttpRequest, timeout_ms: u64) -> Result<HttpResponse, HttpError> {
        // The host does not say whether the request left before it failed: possibly sent.
        self.within(timeout_ms, async {
            let response = sent(request).await?;
            let status = response.status().as_u16();
            let headers = header_pairs(response.headers());
            let body = response.into_body().bytes().await.map_err(|e| HttpError::Other(format!("{e:?}")))?;
            Ok(HttpResponse { status, headers, body: body.to_vec() })
        })
        .await
    }

    /// Answers once the head of the answer is in, by `timeout_ms`; the body is read as it comes.
    #[cfg(feature = "ai")]
    async fn send_streamed(&self, request: HttpRequest, timeout_ms: u64) -> Result<herald::ports::Streamed, HttpError> {
        let response = self.within(timeout_ms, sent(request)).await?;
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        Ok(herald::ports::Streamed { status, headers, body: Box::new(SpinBody(response.into_body())) })
    }
}

impl SpinHttp {
    /// `exchange` by `timeout_ms` (at most the port's own): past it the exchange is dropped and
    /// answers `Timeout`.
    async fn within<T>(
        &self,
        timeout_ms: u64,
        exchange: impl std::future::Future<Output = Result<T, HttpError>>,
    ) -> Result<T, HttpError> {
        let timer = Box::pin(spin_sdk::time::sleep(std::time::Duration::from_millis(timeout_ms.min(self.timeout_ms))));
        match futures::future::select(Box::pin(exchange), timer).await {
            futures::future::Either::Left((answer, _)) => answer,
            futures::future::Either::Right(((), pending)) => {
                drop(pending);
                Err(HttpError::Timeout)
            }
        }
    }
}

/// `request` sent through the host, once the head of its answer is in.
async fn sent(request: HttpRequest) -> Result<spin_sdk::http::Response, HttpError> {
    let outgoing = crate::outbound::request(request)?;
    kicked(spin_sdk::http::send(outgoing)).await.map_err(|e| HttpError::Other(format!("{e:?}")))
}

/// An answer's body read as it arrives.
#[cfg(feature = "ai")]
struct SpinBody(spin_sdk::wasip3::http_compat::IncomingResponseBody);

#[cfg(feature = "ai")]
#[async_trait(?Send)]
impl herald::ports::Chunks for SpinBody {
    async fn next(&mut self) -> Option<Result<Vec<u8>, HttpError>> {
        loop {
            match self.0.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(Ok(data.to_vec()));
                    }
                }
                Err(e) => return Some(Err(HttpError::Other(format!("{e:?}")))),
            }
        }
    }
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// Spin's SQLite: one connection per request, foreign keys enforced (SQLite's default is off).
struct SpinSqlite(spin_sdk::sqlite::Connection);

impl SpinSqlite {
    async fn open() -> Result<Self, DbError> {
        let db = Self(spin_sdk::sqlite::Connection::open_default().await.map_err(sqlite_error)?);
        db.exec("PRAGMA foreign_keys = ON", &[]).await?;
        Ok(db)
    }
}

#[async_trait(?Send)]
impl Raw for SpinSqlite {
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let result = self.0.execute(sql, params.iter().map(sqlite_param)).await.map_err(sqlite_error)?;
        result.collect().await.map_err(sqlite_error)?;
        Ok(self.0.changes().await)
    }

    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let result = self.0.execute(sql, params.iter().map(sqlite_param)).await.map_err(sqlite_error)?;
        let columns = result.columns().to_vec();
        let rows = result.collect().await.map_err(sqlite_error)?;
        Ok(rows.into_iter().map(|r| sqlite_row(&columns, r.values)).collect())
    }
}

/// Spin's Postgres, a driver of herald-postgres's `PgSql`: the host lends one pooled connection
/// for the resource's lifetime, so the transactions of `PgSql` hold.
struct SpinPg(spin_sdk::pg::Connection);

impl SpinPg {
    async fn open(url: &str) -> Result<Self, DbError> {
        spin_sdk::pg::Connection::open(url).await.map(Self).map_err(pg_sdk_error)
    }
}

#[async_trait(?Send)]
impl Raw for SpinPg {
    async fn exec(&self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let sql = pg_typed(sql, params);
        let params: Vec<_> = params.iter().map(pg_param).collect();
        self.0.execute(&sql, params).await.map_err(pg_sdk_error)
    }

    async fn rows(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let sql = pg_typed(sql, params);
        let params: Vec<_> = params.iter().map(pg_param).collect();
        let result = self.0.query(&sql, params).await.map_err(pg_sdk_error)?;
        let (columns, rows, done) = result.into_inner();
        let rows = rows.collect().await;
        done.await.map_err(crate::values::pg_error)?;
        rows.into_iter().map(|r| pg_row(&columns, r)).collect()
    }
}

/// A statement at a time: Spin's pg runs one per call.
impl PgConnection for SpinPg {}

/// Rate-limit counters in Spin's default key-value store (`key_value_stores = ["default"]`),
/// one entry per caller (`window:count`, overwritten as windows pass). A read then a write:
/// requests of one caller served at the same instant may count from the same value, so a burst
/// can pass the limit by as many as run at once.
struct KvLimiter;

#[async_trait(?Send)]
impl RateLimiter for KvLimiter {
    async fn check(&self, key: &str, policy: Policy, now_ms: i64) -> Result<Decision, String> {
        let store = spin_sdk::key_value::Store::open_default().await.map_err(|e| format!("{e:?}"))?;
        let key = format!("ratelimit:{key}");
        let stored = store.get(&key).await.map_err(|e| format!("{e:?}"))?;
        let stored = stored.and_then(|bytes| String::from_utf8(bytes).ok()).and_then(|text| Window::decode(&text));
        let (decision, next) = herald::ratelimit::step(stored, policy, now_ms);
        if let Some(next) = next {
            store.set(&key, next.encode()).await.map_err(|e| format!("{e:?}"))?;
        }
        Ok(decision)
    }
}

enum Db {
    Sqlite(SqliteSql<SpinSqlite>),
    Pg(PgSql<SpinPg>),
}

impl Db {
    async fn open(vars: &Variables) -> Result<Db, DbError> {
        Ok(match &vars.database_url {
            Some(url) => Db::Pg(PgSql::over(SpinPg::open(url).await?)),
            None => Db::Sqlite(SqliteSql::new(SpinSqlite::open().await?)),
        })
    }

    fn sql(&self) -> &dyn Sql {
        match self {
            Db::Sqlite(db) => db,
            Db::Pg(db) => db,
        }
    }
}

// ── Variables ───────────────────────────────────────────────────────────────────────────

/// One variable of the component; unset, undeclared and empty all read as `None`.
/// scripts/check_spin_manifest.py finds every name read here in spin.toml.
async fn var(name: &str) -> Option<String> {
    present(spin_sdk::variables::get(name).await.ok())
}

async fn read_variables() -> Variables {
    Variables {
        jwt_secret: var("jwt_secret").await,
        environment: var("environment").await,
        password_hash_profile: var("password_hash_profile").await,
        allowed_origins: var("allowed_origins").await,
        app_url: var("app_url").await,
        tick_secret: var("tick_secret").await,
        mail_api_key: var("mail_api_key").await,
        mail_api_url: var("mail_api_url").await,
        mail_from: var("mail_from").await,
        database_url: var("database_url").await,
        migration_database_url: var("migration_database_url").await,
        publishing: vec![
            ("TOKEN_KEYS", var("token_keys").await),
            ("PLATFORM_ALLOW_PRIVATE", var("platform_allow_private").await),
            ("PLATFORM_URLS", var("platform_urls").await),
            ("PUBLISH_RETRY_BASE_MS", var("publish_retry_base_ms").await),
            ("PLATFORM_TIMEOUT_MS", var("platform_timeout_ms").await),
            ("PUBLIC_URL", var("public_url").await),
            ("TRUSTED_IP_HEADER", var("trusted_ip_header").await),
            ("REQUIRE_EMAIL_VERIFICATION", var("require_email_verification").await),
            ("PLAN_LIMITS", var("plan_limits").await),
            ("DEFAULT_PLAN", var("default_plan").await),
            ("STRIPE_SECRET_KEY", var("stripe_secret_key").await),
            ("STRIPE_WEBHOOK_SECRET", var("stripe_webhook_secret").await),
            ("STRIPE_PRICES", var("stripe_prices").await),
            ("PAST_DUE_GRACE_DAYS", var("past_due_grace_days").await),
            ("RATE_LIMIT_AUTH", var("rate_limit_auth").await),
            ("RATE_LIMIT_USER", var("rate_limit_user").await),
            ("RATE_LIMIT_PUBLIC", var("rate_limit_public").await),
            ("OAUTH_X_CLIENT_ID", var("oauth_x_client_id").await),
            ("OAUTH_X_CLIENT_SECRET", var("oauth_x_client_secret").await),
            ("OAUTH_LINKEDIN_CLIENT_ID", var("oauth_linkedin_client_id").await),
            ("OAUTH_LINKEDIN_CLIENT_SECRET", var("oauth_linkedin_client_secret").await),
            ("OAUTH_FACEBOOK_CLIENT_ID", var("oauth_facebook_client_id").await),
            ("OAUTH_FACEBOOK_CLIENT_SECRET", var("oauth_facebook_client_secret").await),
            ("OAUTH_INSTAGRAM_CLIENT_ID", var("oauth_instagram_client_id").await),
            ("OAUTH_INSTAGRAM_CLIENT_SECRET", var("oauth_instagram_client_secret").await),
            ("OAUTH_THREADS_CLIENT_ID", var("oauth_threads_client_id").await),
            ("OAUTH_THREADS_CLIENT_SECRET", var("oauth_threads_client_secret").await),
            ("OAUTH_TIKTOK_CLIENT_ID", var("oauth_tiktok_client_id").await),
            ("OAUTH_TIKTOK_CLIENT_SECRET", var("oauth_tiktok_client_secret").await),
            ("S3_ENDPOINT", var("s3_endpoint").await),
            ("S3_REGION", var("s3_region").await),
            ("S3_BUCKET", var("s3_bucket").await),
            ("S3_ACCESS_KEY_ID", var("s3_access_key_id").await),
            ("S3_SECRET_ACCESS_KEY", var("s3_secret_access_key").await),
            ("AI_PROVIDERS", var("ai_providers").await),
            ("AI_KEYS", var("ai_keys").await),
            ("AI_PRICES", var("ai_prices").await),
            ("AI_TIMEOUT_MS", var("ai_timeout_ms").await),
            ("AI_DEADLINE_MS", var("ai_deadline_ms").await),
        ],
    }
}

// ── Serving ─────────────────────────────────────────────────────────────────────────────

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

fn new_request_id() -> String {
    format!("req_{}", herald::api::new_id(&SystemClock, &WasiRandom))
}

fn unavailable(request_id: &str, message: &str) -> herald::Response {
    let err = AppError::ServiceUnavailable(message.into());
    let mut response = herald::app::error_response(&err, request_id, None);
    herald::app::finish(&mut response, request_id.to_string());
    response
}

/// The request as the domain sees it. A body declared too large is not read at all, and an
/// undeclared one is read only up to one byte past the limit: the domain answers 413. The body
/// of a streamed route (a media file) of declared length is left unread, for the store.
async fn domain_request(req: spin_sdk::http::Request, config: &herald::ports::Config) -> (herald::Request, Held) {
    let (parts, mut body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut domain = herald::Request::new(parts.method.as_str(), path_and_query);
    domain.headers = header_pairs(&parts.headers);
    let (max_body, streamed) = match herald::app::routes::reading_in(config, SERVED, &domain.method, &domain.path) {
        Reading::Buffer(limit) => (limit, false),
        Reading::Stream(limit) => (limit, true),
    };
    let declared = domain.header("content-length").and_then(|l| l.trim().parse::<usize>().ok());
    #[cfg(feature = "blobs")]
    if streamed && declared.is_some_and(|l| l <= max_body) {
        return (domain, Some(body));
    }
    #[cfg(not(feature = "blobs"))]
    let _ = streamed;
    if declared.is_none_or(|l| l <= max_body) {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                domain.body.extend_from_slice(&data);
                if domain.body.len() > max_body {
                    break;
                }
            }
        }
    }
    (domain, None)
}

fn to_http(answer: herald::Response) -> http::Response<Body> {
    with_head(answer.status, &answer.headers, whole(Bytes::from(answer.body)))
}

/// An answer of `status` and `headers` with `body`.
fn with_head(status: u16, headers: &[(String, String)], body: Body) -> http::Response<Body> {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    builder.body(body).unwrap_or_else(|e| {
        tracing::error!(cause = %e, "the answer could not be encoded");
        let mut fallback = http::Response::new(whole(Bytes::from_static(
            br#"{"success":false,"error":"an internal error occurred","code":"INTERNAL_ERROR","requestId":"none"}"#,
        )));
        *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json; charset=utf-8"));
        fallback
    })
}

/// Runs `work` with a Context over this request's adapters, mail chosen as the Worker does.
async fn with_context<T>(
    config: &Config,
    db: &dyn Sql,
    vars: &Variables,
    held: Held,
    work: impl AsyncFnOnce(&herald::Context<'_>) -> T,
) -> T {
    let hasher = Argon2Hasher::new(vars.hash_profile());
    let http = SpinHttp { timeout_ms: config.platform_timeout_ms };
    let catcher = DevMailbox { db, clock: &SystemClock, random: &WasiRandom };
    let provider = vars.mail_provider().map(|MailProvider { base_url, api_key, from }| HttpMail {
        http: &http,
        base_url,
        api_key,
        from,
    });
    // A configured provider, else the mail catcher in development, else refuse to send.
    let mail: &dyn Mail = match (&provider, config.environment) {
        (Some(p), _) => p,
        (None, Environment::Development) => &catcher,
        (None, _) => &NoMail,
    };
    // Media in any S3-compatible store (R2's S3 API, MinIO, AWS), over outbound HTTP with SigV4,
    // for the components that handle media.
    #[cfg(feature = "blobs")]
    let s3 = match vars.s3() {
        Some(Ok(settings)) => Some(upload::SpinS3 {
            store: S3Blobs { http: SpinHttp { timeout_ms: config.platform_timeout_ms }, clock: SystemClock, settings },
            body: std::cell::RefCell::new(held),
        }),
        Some(Err(e)) => {
            tracing::error!(cause = %e, "the s3_* variables are unusable: no media");
            None
        }
        None => None,
    };
    #[cfg(feature = "blobs")]
    let blobs: &dyn herald::ports::Blobs = match &s3 {
        Some(store) => store,
        None => &herald::ports::NoBlobs,
    };
    #[cfg(not(feature = "blobs"))]
    let blobs: &dyn herald::ports::Blobs = {
        let _ = held;
        &herald::ports::NoBlobs
    };
    let ctx = herald::Context {
        db,
        clock: &SystemClock,
        random: &WasiRandom,
        hasher: &hasher,
        mail,
        blobs,
        http: &http,
        // No queues on Spin: the tick publishes what it claims (the table is the outbox).
        jobs: &herald::ports::NoQueue,
        limiter: &KvLimiter,
        config,
        sink: None,
    };
    work(&ctx).await
}

async fn migrate(vars: &Variables, domain: &herald::Request, tick_secret: &str) -> herald::Response {
    let request_id = herald::app::request_id(domain, new_request_id);
    migrations::serve(domain, tick_secret, &request_id, async || match vars.migration_url() {
        Some(url) => Ok((Box::new(SpinPg::open(url).await?) as Box<dyn Raw>, Dialect::Postgres)),
        None => Ok((Box::new(SpinSqlite::open().await?) as Box<dyn Raw>, Dialect::Sqlite)),
    })
    .await
}

async fn serve(req: spin_sdk::http::Request, sink: Option<&dyn herald::ports::Sink>) -> herald::Response {
    init_logging();
    let vars = read_variables().await;
    let Some(config) = vars.config() else {
        tracing::error!("jwt_secret is missing or shorter than 32 bytes");
        return unavailable(&new_request_id(), "the server is not configured");
    };
    let (domain, held) = domain_request(req, &config).await;
    if migrations::is_migrate_request(&domain, config.tick_secret.as_deref()) {
        // authorize() refuses an empty secret; is_migrate_request says there is one.
        return migrate(&vars, &domain, config.tick_secret.as_deref().unwrap_or_default()).await;
    }
    let db = match Db::open(&vars).await {
        Ok(db) => db,
        Err(e) => {
            let request_id = new_request_id();
            tracing::error!(request_id, cause = %e, "no database");
            return unavailable(&request_id, "the database is not available");
        }
    };
    with_context(&config, db.sql(), &vars, held, async |ctx| {
        let ctx = herald::Context { sink, ..*ctx };
        herald::app::handle_with(&ctx, domain, SERVED).await
    })
    .await
}

#[spin_sdk::http_service]
async fn handle(req: spin_sdk::http::Request) -> http::Response<Body> {
    #[cfg(feature = "ai")]
    if req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"))
    {
        return streamed(req).await;
    }
    to_http(serve(req, None).await)
}

/// An answer sent as it is made: the handler runs on in a task of its own, writing to the sink,
/// until it has settled (also when the caller leaves); the head goes as soon as the first event
/// is written, or the whole answer if the handler answered without streaming.
#[cfg(feature = "ai")]
async fn streamed(req: spin_sdk::http::Request) -> http::Response<Body> {
    use futures::StreamExt;
    use herald::api::stream::{self, Start};
    let (sink, head, body) = stream::channel();
    let (answer_tx, answer_rx) = futures::channel::oneshot::channel();
    spin_sdk::wasip3::spawn(async move {
        let answer = serve(req, Some(&sink)).await;
        let _ = answer_tx.send(answer);
        drop(sink);
    });
    match kicked(stream::start(head, answer_rx)).await {
        Start::Stream((status, headers)) => {
            let frames = body.map(|chunk| Ok(http_body::Frame::data(Bytes::from(chunk))));
            with_head(status, &headers, http_body_util::StreamBody::new(frames).boxed_unsync())
        }
        Start::Whole(answer) => to_http(answer),
        Start::Lost => to_http(unavailable(&new_request_id(), "the answer was lost")),
    }
}

/// `F`, with its task woken once after its first pending poll. The SDK's executor (wit-bindgen
/// 0.57) queues a task spawned during a poll without waking anyone, so it first runs at the next
/// host event: the handler spawned for a stream, and the writer of an outbound request's body
/// (which `spin_sdk::http::send` spawns, and without which the provider never answers), would
/// wait for the timeout. One wake makes the executor poll again, and the new task with it.
struct Kicked<F> {
    inner: std::pin::Pin<Box<F>>,
    kicked: bool,
}

fn kicked<F: std::future::Future>(inner: F) -> Kicked<F> {
    Kicked { inner: Box::pin(inner), kicked: false }
}

impl<F: std::future::Future> std::future::Future for Kicked<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let poll = self.inner.as_mut().poll(cx);
        if poll.is_pending() && !self.kicked {
            self.kicked = true;
            cx.waker().wake_by_ref();
        }
        poll
    }
}
