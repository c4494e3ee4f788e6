//! The ports: how the domain reaches the world. Each runtime supplies one adapter per port.
//! The domain never reads the system clock or the OS random source itself — on
//! wasm32-unknown-unknown both panic.

use async_trait::async_trait;

use crate::error::AppError;

pub use crate::ratelimit::RateLimiter;
pub use crate::sealed::KeyRing;
pub use crate::sql::Sql;

pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

pub trait Random {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]);
}

impl dyn Random + '_ {
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut buf = [0u8; N];
        self.fill(&mut buf);
        buf
    }
}

/// An outbound HTTP request (AI providers, social platforms, mail providers).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Other(String),
}

#[async_trait(?Send)]
pub trait Http {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;

    /// [`Http::send`], given up after `timeout_ms` when that is sooner than the host's own
    /// timeout (an AI generation's deadline). A host without timers of its own may ignore it.
    async fn send_within(&self, request: HttpRequest, timeout_ms: u64) -> Result<HttpResponse, HttpError> {
        let _ = timeout_ms;
        self.send(request).await
    }

    /// [`Http::send_within`] with the body read as it arrives (a provider's server-sent events):
    /// only the AI area reads answers so (the other builds keep their size).
    /// the answer's status and headers, and its body in chunks. `timeout_ms` bounds the wait for
    /// the answer's head. A host that cannot stream answers the whole body as one chunk.
    #[cfg(feature = "ai")]
    async fn send_streamed(&self, request: HttpRequest, timeout_ms: u64) -> Result<Streamed, HttpError> {
        let response = self.send_within(request, timeout_ms).await?;
        Ok(Streamed { status: response.status, headers: response.headers, body: Box::new(Whole(Some(response.body))) })
    }
}

/// An answer whose body is read as it arrives.
#[cfg(feature = "ai")]
pub struct Streamed {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn Chunks>,
}

/// A body in chunks.
#[cfg(feature = "ai")]
#[async_trait(?Send)]
pub trait Chunks {
    /// The next chunk; `None` at the end.
    async fn next(&mut self) -> Option<Result<Vec<u8>, HttpError>>;
}

/// A body read whole, as one chunk.
#[cfg(feature = "ai")]
struct Whole(Option<Vec<u8>>);

#[cfg(feature = "ai")]
#[async_trait(?Send)]
impl Chunks for Whole {
    async fn next(&mut self) -> Option<Result<Vec<u8>, HttpError>> {
        self.0.take().filter(|b| !b.is_empty()).map(Ok)
    }
}

/// Where a streamed answer goes as it is made (server-sent events): a host that can send an
/// answer before its handler ends lends one; without it the answer is sent whole at the end.
pub trait Sink {
    /// Sends the answer's head: status and headers. The handler's own answer is then ignored.
    fn open(&self, status: u16, headers: Vec<(String, String)>);
    /// Sends a chunk of the body; false once the client has gone.
    fn send(&self, chunk: Vec<u8>) -> bool;
}

/// The publish queue (SPEC PB-3). On Cloudflare a Queue; where there is none (Spin, the
/// native host), the tick publishes what it claimed itself: the publications table is then
/// the outbox.
#[async_trait(?Send)]
pub trait Jobs {
    /// Whether messages go to a queue whose consumer publishes them.
    fn has_queue(&self) -> bool;
    /// Sends each message (JSON) to the queue.
    async fn send(&self, messages: &[String]) -> Result<(), String>;

    /// Hands a private post's publication (`body`: a `publishing::engine::PrivateSend`, signed)
    /// to the function that publishes it. Asked only by a build with `forward-private-sends`
    /// (the API Worker, whose publisher Worker carries the engine); others publish it themselves.
    async fn publish_private(&self, _body: &str, _signature: &str) -> Result<(), String> {
        Err("this host publishes private posts itself".into())
    }
}

/// No queue: the tick publishes inline.
pub struct NoQueue;

#[async_trait(?Send)]
impl Jobs for NoQueue {
    fn has_queue(&self) -> bool {
        false
    }
    async fn send(&self, _messages: &[String]) -> Result<(), String> {
        Err("no queue on this host".into())
    }
}

/// A host without object storage: every operation answers 503.
pub struct NoBlobs;

fn no_storage() -> BlobError {
    BlobError::Unavailable("media storage is not configured on this server".into())
}

#[async_trait(?Send)]
impl Blobs for NoBlobs {
    async fn put(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), BlobError> {
        Err(no_storage())
    }
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Err(no_storage())
    }
    async fn head(&self, _: &str) -> Result<Option<BlobInfo>, BlobError> {
        Err(no_storage())
    }
    async fn delete(&self, _: &str) -> Result<(), BlobError> {
        Err(no_storage())
    }
    fn presign_put(&self, _: &str, _: &str, _: u64, _: u32, _: i64) -> Result<String, BlobError> {
        Err(no_storage())
    }
    fn presign_get(&self, _: &str, _: u32, _: i64) -> Result<String, BlobError> {
        Err(no_storage())
    }
}

/// No outbound HTTP (hosts and tests that reach no platform).
pub struct NoHttp;

#[async_trait(?Send)]
impl Http for NoHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Connect(format!("no outbound HTTP on this host ({})", request.url)))
    }
}

/// Which deployment this is; development unlocks the local mail catcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

impl Environment {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Environment::Development,
            "test" => Environment::Test,
            _ => Environment::Production,
        }
    }
}

/// Settings and secrets, read once by the adapter from its runtime's variables.
#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    /// HS256 key for access tokens. Never logged, never returned.
    pub jwt_secret: Vec<u8>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub invite_ttl_secs: i64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Origins allowed by CORS; empty means none.
    pub allowed_origins: Vec<String>,
    /// Where links in mails point (the frontend).
    pub app_url: String,
    /// Bearer secret of `POST /api/v1/internal/tick`; without it the route does not exist.
    pub tick_secret: Option<String>,
    /// The keys platform credentials are sealed under (`TOKEN_KEYS`); none means accounts
    /// cannot be connected (503).
    pub token_keys: crate::sealed::KeyRing,
    /// Whether account servers (a PDS, a Mastodon instance) may be on loopback or private
    /// addresses and plain http: development and tests only (`PLATFORM_ALLOW_PRIVATE`).
    pub allow_private_hosts: bool,
    /// Where each platform's API lives, when not at its public address (tests, proxies):
    /// `PLATFORM_URLS` = `x=http://127.0.0.1:9000,linkedin=…`.
    pub platform_urls: Vec<(String, String)>,
    /// OAuth clients: (platform, client id, client secret), from `OAUTH_<PLATFORM>_CLIENT_ID`
    /// and `OAUTH_<PLATFORM>_CLIENT_SECRET`.
    pub oauth_clients: Vec<(String, String, String)>,
    /// The first retry's delay; each next one doubles (`PUBLISH_RETRY_BASE_MS`, 30 s).
    pub publish_retry_base_ms: i64,
    /// This API's public address (`PUBLIC_URL`), for signed media links when the store cannot
    /// presign; none means no links.
    pub public_url: Option<String>,
    /// How long an outbound call to a platform may take before its outcome counts as unknown
    /// (`PLATFORM_TIMEOUT_MS`, 30 s), where the host sets timeouts from the config (the Worker).
    pub platform_timeout_ms: u64,
    /// The one request header trusted to name the client's address (`TRUSTED_IP_HEADER`): the
    /// Worker trusts `cf-connecting-ip`, which Cloudflare sets; elsewhere none unless a proxy
    /// in front is configured to set it (`x-forwarded-for`: its last entry, the proxy's own).
    /// Rate limits and the activity log use it; no other header can forge an address.
    pub trusted_ip_header: Option<String>,
    /// Whether a new account must prove its address before it may join anything
    /// (`REQUIRE_EMAIL_VERIFICATION`, on unless `0`, `false` or `off`). On, sign-up answers the
    /// same for a new and a taken address and hands out no tokens; off, it signs in at once.
    pub require_email_verification: bool,
    /// Inbound rate limits per class of route (SPEC PL-5).
    pub rate_limits: crate::ratelimit::RateLimits,
    /// The tiers' limits and new workspaces' tier (`PLAN_LIMITS`, `DEFAULT_PLAN`; SPEC BI-1).
    pub plans: crate::tiers::Plans,
    /// The payment provider (`STRIPE_*`; SPEC BI-3).
    pub stripe: crate::tiers::Stripe,
    /// Entries a part of a background export holds (one part a tick step); small in tests.
    pub export_part_entries: i64,
    /// The AI providers, their keys and prices (`AI_*`; SPEC AI-1).
    pub ai: crate::llm::Ai,
}

impl Config {
    /// Where the public reaches this API (`PUBLIC_URL`, else `APP_URL`), for links in mails.
    pub fn public_origin(&self) -> String {
        self.public_url.as_deref().unwrap_or(&self.app_url).trim_end_matches('/').to_string()
    }

    pub fn new(environment: Environment, jwt_secret: Vec<u8>) -> Self {
        Self {
            environment,
            jwt_secret,
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            invite_ttl_secs: 7 * 24 * 3600,
            max_body_bytes: 64 * 1024,
            allowed_origins: Vec::new(),
            app_url: "http://localhost:8787".into(),
            tick_secret: None,
            token_keys: Default::default(),
            allow_private_hosts: false,
            platform_urls: Vec::new(),
            publish_retry_base_ms: 30_000,
            oauth_clients: Vec::new(),
            public_url: None,
            platform_timeout_ms: 30_000,
            trusted_ip_header: None,
            require_email_verification: true,
            rate_limits: Default::default(),
            plans: Default::default(),
            stripe: Default::default(),
            export_part_entries: 5_000,
            ai: Default::default(),
        }
    }

    /// Reads the account settings through `get`, by their names on the Worker
    /// (`REQUIRE_EMAIL_VERIFICATION`, and the plans: `PLAN_LIMITS`, `DEFAULT_PLAN`); an empty
    /// value is unset. Returns what it could not read, for the host's log.
    pub fn read_accounts(&mut self, get: impl Fn(&str) -> Option<String>) -> Option<String> {
        if let Some(v) = get("REQUIRE_EMAIL_VERIFICATION").map(|v| v.trim().to_ascii_lowercase()) {
            if matches!(v.as_str(), "0" | "false" | "off" | "no") {
                self.require_email_verification = false;
            }
        }
        self.plans.read(|name| get(name).filter(|v| !v.trim().is_empty()))
    }
}

/// The platforms connected through OAuth, whose clients are `OAUTH_<PLATFORM>_CLIENT_ID` and
/// `OAUTH_<PLATFORM>_CLIENT_SECRET`.
pub const OAUTH_PLATFORMS: [&str; 6] = ["x", "linkedin", "facebook", "instagram", "threads", "tiktok"];

impl Config {
    /// Reads the publishing settings through `get`, by their names on the Worker (`TOKEN_KEYS`,
    /// `PLATFORM_ALLOW_PRIVATE`, `PLATFORM_URLS`, `PUBLISH_RETRY_BASE_MS`, `PUBLIC_URL`, the
    /// OAuth clients), and the request settings beside them (`TRUSTED_IP_HEADER`, the
    /// `RATE_LIMIT_*` policies); an empty value is unset. Answers what to log when `TOKEN_KEYS`
    /// or a rate limit is unusable.
    pub fn read_publishing(&mut self, get: impl Fn(&str) -> Option<String>) -> Option<String> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut problem = None;
        if let Some(keys) = get("TOKEN_KEYS") {
            match crate::sealed::KeyRing::parse(&keys) {
                Ok(ring) => self.token_keys = ring,
                Err(e) => problem = Some(format!("TOKEN_KEYS is unusable, accounts cannot be connected: {e}")),
            }
        }
        self.allow_private_hosts = get("PLATFORM_ALLOW_PRIVATE").is_some_and(|v| v == "1" || v == "true");
        // PLATFORM_URLS: x=http://127.0.0.1:9000,linkedin=… (proxies, local fakes).
        self.platform_urls = get("PLATFORM_URLS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|pair| pair.split_once('=').map(|(p, u)| (p.trim().to_string(), u.trim().to_string())))
            .collect();
        for platform in OAUTH_PLATFORMS {
            let upper = platform.to_ascii_uppercase();
            if let (Some(id), Some(secret)) =
                (get(&format!("OAUTH_{upper}_CLIENT_ID")), get(&format!("OAUTH_{upper}_CLIENT_SECRET")))
            {
                self.oauth_clients.push((platform.to_string(), id, secret));
            }
        }
        if let Some(ms) = get("PUBLISH_RETRY_BASE_MS").and_then(|v| v.parse::<i64>().ok()).filter(|v| *v > 0) {
            self.publish_retry_base_ms = ms;
        }
        if let Some(header) = get("TRUSTED_IP_HEADER") {
            self.trusted_ip_header = Some(header.to_ascii_lowercase());
        }
        self.public_url = get("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(ms) = get("PLATFORM_TIMEOUT_MS").and_then(|v| v.parse::<u64>().ok()).filter(|v| *v > 0) {
            self.platform_timeout_ms = ms;
        }
        let mut limits = self.rate_limits.read(get);
        limits.extend(self.stripe.read(get));
        // Only a build that generates reads the AI settings (the API Worker hands AI to its own).
        #[cfg(feature = "ai")]
        limits.extend(self.ai.read(get));
        if !limits.is_empty() {
            problem = Some(problem.into_iter().chain(limits).collect::<Vec<_>>().join("; "));
        }
        problem
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("jwt_secret", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// What a blob store knows of one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BlobError {
    /// This host has no store, or no way to presign for it (e.g. no S3 endpoint configured).
    #[error("{0}")]
    Unavailable(String),
    /// The store failed; the message is for the log only.
    #[error("{0}")]
    Failed(String),
}

impl From<BlobError> for crate::error::AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Unavailable(m) => crate::error::AppError::ServiceUnavailable(m),
            BlobError::Failed(m) => crate::error::AppError::ExternalApi(m),
        }
    }
}

/// Object storage for media (R2, any S3-compatible store, or memory in tests). Keys are made by
/// the domain; adapters never derive them from user input.
#[async_trait(?Send)]
pub trait Blobs {
    async fn put(&self, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), BlobError>;

    /// Stores the body of the request being served, which a host may leave unread so that it
    /// streams to storage without being held in memory. Answers `false` when this host holds no
    /// such body: the bytes are then in the request, for [`Blobs::put`].
    async fn put_request_body(&self, _key: &str, _content_type: &str, _length: u64) -> Result<bool, BlobError> {
        Ok(false)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;

    /// At most the first `length` bytes.
    async fn get_prefix(&self, key: &str, length: u64) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.get(key).await?.map(|mut bytes| {
            bytes.truncate(usize::try_from(length).unwrap_or(usize::MAX));
            bytes
        }))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError>;

    async fn delete(&self, key: &str) -> Result<(), BlobError>;

    /// A URL that lets its bearer PUT exactly `content_length` bytes of `content_type` at `key`
    /// (both are signed headers) until `expires_secs` after `now_ms`.
    fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires_secs: u32,
        now_ms: i64,
    ) -> Result<String, BlobError>;

    /// A URL that lets its bearer GET `key` until `expires_secs` after `now_ms`.
    fn presign_get(&self, key: &str, expires_secs: u32, now_ms: i64) -> Result<String, BlobError>;
}

/// Password hashing (the identity area supplies Argon2id, `identity::password`).
#[async_trait(?Send)]
pub trait PasswordHasher {
    /// Hashes `password` with the given random salt into a PHC string.
    async fn hash(&self, password: &str, salt: &[u8]) -> Result<String, AppError>;
    /// True when `password` matches the PHC string `stored`.
    async fn verify(&self, password: &str, stored: &str) -> bool;
    /// True when `stored` was made with other parameters than this hasher's.
    fn needs_rehash(&self, stored: &str) -> bool;
}

/// A mail to send (the `mail` module has the development catcher and an HTTP provider).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The sender's display name (a workspace's white-label brand); the address stays the
    /// configured sender's.
    pub sender_name: Option<String>,
    /// Where replies go (a workspace's support address).
    pub reply_to: Option<String>,
}

#[async_trait(?Send)]
pub trait Mail {
    async fn send(&self, message: &MailMessage) -> Result<(), AppError>;
}
