//! The black-box suite's harness. One API client, three kinds of target:
//! - in process over a fresh in-memory SQLite per client (the default);
//! - in process over Postgres at `HERALD_TEST_DATABASE_URL` (connected as the application role);
//! - remote: a real server at `HERALD_BASE_URL` (the Worker under `wrangler dev`, over D1 or
//!   over Postgres through Hyperdrive).
//! Tests speak HTTP-shaped requests only and never touch storage directly.

pub mod drain;
pub mod fake_ai;
pub mod fake_http;
pub mod fakes;
mod slow;
pub mod trips;

use std::path::PathBuf;
use std::time::Duration;

use herald::identity::password::{Argon2Hasher, HashProfile};
use herald::mail::{DevMailbox, HttpMail, Mail, NoMail};
use herald::ports::{Clock, Config, Environment};
use herald::sql::Sql;
use herald::{Context, Request};
use herald_native::{OsRandom, ReqwestHttp, SqliteDb, SystemClock};
use serde_json::{json, Value as Json};

/// The signing key the suite shares with every target it runs against.
pub const TEST_JWT_SECRET: &str = "herald-test-secret-0123456789abcdef-not-for-production";

/// The scheduler token the suite shares with every target.
pub const TEST_TICK_SECRET: &str = "herald-test-tick-secret-0123456789";
pub const TEST_STRIPE_KEY: &str = "sk_test_herald_0123456789";
/// The signing secret, and an older one still accepted while it is rotated out.
pub const TEST_STRIPE_WEBHOOK_SECRETS: &str = "whsec_herald_current,whsec_herald_previous";
pub const TEST_STRIPE_PRICES: &str = "pro=price_pro,agency=price_agency,enterprise=price_enterprise";
/// The AI providers of every target under test, all served by the fake platform server (`FAKE`
/// stands for its address: test.sh and spin-suite.sh put it in). `nokey` has no key; `cool` is
/// only ever in the chain of the test of cooling down, so its rest touches no other test.
pub const TEST_AI_PROVIDERS: &str = "openai=openai/gpt-test@FAKE/v1,claude=anthropic/claude-test@FAKE,gemini=gemini/gemini-test@FAKE,cool=openai/gpt-cool@FAKE/v1,nokey=gemini/gemini-nokey@FAKE";
pub const TEST_AI_KEYS: &str = "openai=sk-test-openai,claude=sk-ant-test,gemini=AIza-test-gemini,cool=sk-test-cool";
/// Dollars per million tokens in and out.
pub const TEST_AI_PRICES: &str = "gpt-test=10/20,claude-test=30/150,gemini-test=1/4,gpt-cool=10/20";
/// One provider call may take 1.5 s, a whole generation 4 s (the hang tests wait that long).
pub const TEST_AI_TIMEOUT_MS: &str = "1500";
pub const TEST_AI_DEADLINE_MS: &str = "4000";

pub fn migrations_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations/d1")
}

/// What the in-process target presigns for: a bucket nobody serves, so that the answer's shape
/// can be checked (the presigned URL tests use a real S3-compatible server).
pub fn in_process_presigning() -> herald::media::s3::S3Settings {
    herald::media::s3::S3Settings {
        endpoint: "http://127.0.0.1:9".into(),
        region: "auto".into(),
        bucket: "herald-test-media".into(),
        access_key_id: "HERALDTESTKEY".into(),
        secret_access_key: "herald-test-secret-not-for-production".into(),
    }
}

pub fn test_config(environment: Environment) -> Config {
    let mut config = Config::new(environment, TEST_JWT_SECRET.as_bytes().to_vec());
    config.allowed_origins = vec!["https://app.example.test".into()];
    config.tick_secret = Some(TEST_TICK_SECRET.into());
    // Background exports in parts of three entries, so that a small account's spans several.
    config.export_part_entries = 3;
    // As behind a proxy that sets X-Forwarded-For (the Worker trusts CF-Connecting-IP instead).
    config.trusted_ip_header = Some("x-forwarded-for".into());
    // The suite's requests come from many addresses (see `Api::send`), so the per-address
    // classes keep their defaults; one user's calls may pass 100 a minute (publishing tests
    // poll), so the per-user class is raised (the Worker under test gets the same, see test.sh).
    config.rate_limits.user = Some(herald::ratelimit::Policy { limit: TEST_USER_LIMIT, window_secs: 60 });
    config.token_keys = herald::ports::KeyRing::parse(TEST_TOKEN_KEYS).expect("test token keys");
    // The fake platforms and the local PDS listen on loopback.
    config.allow_private_hosts = true;
    // Accounts prove their address through the development mailbox; other environments have
    // no mailbox to read it from, so there sign-up signs in at once (REQUIRE_EMAIL_VERIFICATION=0).
    config.require_email_verification = environment == Environment::Development;
    // The suite's workspaces hold many members, accounts and publications: they start on the
    // unlimited tier (the Worker and Spin under test get the same, see test.sh and
    // spin-suite.sh); the plan tests move a workspace to a lower one.
    config.plans.default_plan = herald::plans::Plan::Enterprise;
    // Stripe is the fake platform server's too (the Worker and Spin get the same settings).
    config.stripe.read(|name| match name {
        "STRIPE_SECRET_KEY" => Some(TEST_STRIPE_KEY.into()),
        "STRIPE_WEBHOOK_SECRET" => Some(TEST_STRIPE_WEBHOOK_SECRETS.into()),
        "STRIPE_PRICES" => Some(TEST_STRIPE_PRICES.into()),
        _ => None,
    });
    // The AI providers are the fake platform server's too (the Worker and Spin get the same).
    let problems = config.ai.read(|name| {
        Some(match name {
            "AI_PROVIDERS" => TEST_AI_PROVIDERS.replace("FAKE", &fakes::FakeX::get().base),
            "AI_KEYS" => TEST_AI_KEYS.into(),
            "AI_PRICES" => TEST_AI_PRICES.into(),
            "AI_TIMEOUT_MS" => TEST_AI_TIMEOUT_MS.into(),
            "AI_DEADLINE_MS" => TEST_AI_DEADLINE_MS.into(),
            _ => return None,
        })
    });
    assert!(problems.is_empty(), "test AI settings: {problems:?}");
    // Retries in a test come within a second, not after 30.
    config.publish_retry_base_ms = TEST_RETRY_BASE_MS;
    // X is the process's fake X (the Worker under test is given the same, see test.sh).
    let platforms = fakes::FakeX::get().base;
    config.platform_urls = ["x", "linkedin", "facebook", "instagram", "threads", "tiktok", "stripe"]
        .iter()
        .map(|p| (p.to_string(), platforms.clone()))
        .collect();
    config.oauth_clients = fakes::OAUTH_CLIENTS
        .iter()
        .map(|(p, id, secret)| (p.to_string(), id.to_string(), secret.to_string()))
        .collect();
    config
}

pub const TEST_RETRY_BASE_MS: i64 = 300;

/// Requests a minute per user on the targets under test (`RATE_LIMIT_USER` on the Worker).
pub const TEST_USER_LIMIT: u32 = 1000;

/// The keys the tests seal platform credentials with (the Worker gets the same in .dev.vars).
pub const TEST_TOKEN_KEYS: &str = "test1:aGVyYWxkLXRlc3QtdG9rZW4ta2V5LTMyLWJ5dGVzISE";

enum Store {
    Sqlite(SqliteDb),
    /// Connected on first use, inside the test's runtime.
    Postgres(String, tokio::sync::OnceCell<herald_postgres::PgSql>),
}

impl Store {
    async fn sql(&self) -> &dyn Sql {
        match self {
            Store::Sqlite(db) => db,
            Store::Postgres(url, cell) => {
                cell.get_or_init(|| async {
                    herald_native::postgres::connect(url).await.expect("connect to the test database")
                })
                .await
            }
        }
    }
}

/// The Postgres database of the in-process Postgres target, if that is the target.
pub fn test_database_url() -> Option<String> {
    std::env::var("HERALD_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

struct LocalHost {
    db: Store,
    config: Config,
    hasher: Argon2Hasher,
    /// A Resend-style mail provider: (base URL, API key).
    mail_provider: Option<(String, String)>,
    /// Media storage: in memory unless a test brings an S3-compatible store.
    blobs: Box<dyn herald::ports::Blobs>,
    /// Rate-limit counters, as long-lived as the host.
    limiter: herald::ratelimit::MemoryRateLimiter,
}

enum Target {
    Local(Box<LocalHost>),
    Remote { base: String, http: reqwest::Client },
}

pub struct Api {
    target: Target,
}

/// The client of a served target. A connection idle longer than the server keeps it (Node's
/// HTTP server, in front of workerd under `wrangler dev`, closes idle ones after 5 s) is not
/// reused: a test that waits out a rate-limit window would otherwise send its next request on
/// a connection the server is closing, and read an incomplete answer.
fn remote_client() -> reqwest::Client {
    reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(2)).build().expect("a default HTTP client builds")
}

impl Api {
    /// The target chosen by the environment: `HERALD_BASE_URL` or in process.
    pub fn new() -> Api {
        match std::env::var("HERALD_BASE_URL") {
            Ok(base) if !base.is_empty() => {
                Api { target: Target::Remote { base: base.trim_end_matches('/').to_string(), http: remote_client() } }
            }
            _ => Api::local(Environment::Development),
        }
    }

    /// Always in process, with the given environment.
    pub fn local(environment: Environment) -> Api {
        let db = match test_database_url() {
            Some(url) => Store::Postgres(url, tokio::sync::OnceCell::new()),
            None => {
                Store::Sqlite(SqliteDb::in_memory(&migrations_dir()).expect("migrations apply to a fresh database"))
            }
        };
        Api {
            target: Target::Local(Box::new(LocalHost {
                db,
                config: test_config(environment),
                hasher: Argon2Hasher::new(HashProfile::FreePlan),
                mail_provider: None,
                blobs: Box::new(herald_native::MemoryBlobs::process_wide(Some(in_process_presigning()))),
                limiter: herald::ratelimit::MemoryRateLimiter::new(),
            })),
        }
    }

    /// In process, with media stored in `blobs` (an S3-compatible store in the presigned URL tests).
    pub fn local_with_blobs(environment: Environment, blobs: Box<dyn herald::ports::Blobs>) -> Api {
        let mut api = Api::local(environment);
        if let Target::Local(host) = &mut api.target {
            host.blobs = blobs;
        }
        api
    }

    /// In process, sending mail through a Resend-style provider at `base_url`.
    pub fn local_with_mail_provider(environment: Environment, base_url: &str, api_key: &str) -> Api {
        let mut api = Api::local(environment);
        if let Target::Local(host) = &mut api.target {
            host.mail_provider = Some((base_url.to_string(), api_key.to_string()));
        }
        api
    }

    /// Changes the in-process host's configuration (benchmarks); nothing on a remote target.
    pub fn configure(&mut self, change: impl FnOnce(&mut Config)) {
        if let Target::Local(host) = &mut self.target {
            change(&mut host.config);
        }
    }

    /// Whether `needle` is stored anywhere in the database, when the harness can look (in
    /// process, over SQLite or Postgres: every column of every table, as text); `None` elsewhere.
    pub async fn stored_anywhere(&self, needle: &str) -> Option<bool> {
        let Target::Local(host) = &self.target else { return None };
        let db = host.db.sql().await;
        let postgres = matches!(host.db, Store::Postgres(..));
        let before = db.scope();
        db.set_scope(herald::sql::Scope { system: true, ..herald::sql::Scope::default() });
        let found = Self::scan(db, postgres, needle).await;
        db.set_scope(before);
        Some(found)
    }

    async fn scan(db: &dyn Sql, postgres: bool, needle: &str) -> bool {
        let list = if postgres {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        };
        let tables = db.query(list, &[]).await.expect("list the tables");
        for t in tables {
            let name = t.text("name").expect("a table name");
            let sql = if postgres {
                format!("SELECT t::text AS row FROM \"{name}\" t")
            } else {
                format!("SELECT * FROM \"{name}\"")
            };
            let rows = match db.query(&sql, &[]).await {
                Ok(rows) => rows,
                // The application may only write some tables (batch_guard): nothing to find there.
                Err(e) if e.to_string().contains("permission denied") => continue,
                Err(e) => panic!("read {name}: {e}"),
            };
            if let Some(row) =
                rows.iter().find(|r| r.0.values().any(|v| v.as_str().is_some_and(|s| s.contains(needle))))
            {
                eprintln!("{needle} is stored in {name}: {:?}", row.0);
                return true;
            }
        }
        false
    }

    /// How many files storage holds under `prefix`, when the harness can look (in process,
    /// with the process-wide bucket); `None` elsewhere.
    pub fn files_under(&self, prefix: &str) -> Option<usize> {
        match &self.target {
            Target::Local(_) => Some(herald_native::MemoryBlobs::process_wide_count(prefix)),
            Target::Remote { .. } => None,
        }
    }

    /// Fires the scheduled work once, the host's own way: the Worker's cron trigger under
    /// `wrangler dev` remotely ([`fire_worker_cron`]), the tick route in process and on hosts
    /// without a cron trigger (`HERALD_SCHEDULER=tick`: Spin, whose scheduler calls the tick route).
    pub async fn run_cron(&self) {
        let tick = std::env::var("HERALD_SCHEDULER").is_ok_and(|s| s == "tick");
        match &self.target {
            Target::Remote { base, http } if !tick => {
                if let Err(e) = fire_worker_cron(http, base).await {
                    panic!("{e}");
                }
            }
            _ => {
                let r = self.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).send().await;
                assert_eq!(r.status, 200, "tick: {}", String::from_utf8_lossy(&r.body));
            }
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self.target, Target::Remote { .. })
    }

    /// Whether the target sends a streamed answer as it is made: a served one (the Worker, Spin).
    /// In process the events come in one answer at the end.
    pub fn streams_as_made(&self) -> bool {
        self.is_remote()
    }

    /// Whether the suite's other tests write to the same database at the same time (a remote
    /// target, or Postgres in process); in process over SQLite each client has its own.
    pub fn shares_its_database(&self) -> bool {
        self.is_remote() || test_database_url().is_some()
    }

    /// Whether the target's tick publishes over Postgres itself, one publication after another
    /// (one connection carries one tenant scope at a time): in process over Postgres, and a host
    /// without a queue over Postgres (Spin, `HERALD_SCHEDULER=tick` with `HERALD_TARGET_DB=postgres`).
    /// The Worker's queue consumer and the tick over SQLite publish a batch in parallel.
    pub fn publishes_one_at_a_time(&self) -> bool {
        let env = |name: &str, value: &str| std::env::var(name).is_ok_and(|v| v == value);
        match self.target {
            Target::Remote { .. } => env("HERALD_SCHEDULER", "tick") && env("HERALD_TARGET_DB", "postgres"),
            _ => test_database_url().is_some(),
        }
    }

    pub fn request(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            api: self,
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            slow: None,
            at: None,
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.request("GET", path)
    }
    pub fn post(&self, path: &str) -> Call<'_> {
        self.request("POST", path)
    }
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.request("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.request("DELETE", path)
    }

    async fn send(&self, call: Call<'_>) -> Resp {
        let (method, path) = (call.method.clone(), call.path.clone());
        let started = std::time::Instant::now();
        let r = self.send_once(call).await;
        trips::check(&method, &path, &r, started.elapsed());
        r
    }

    async fn send_once(&self, mut call: Call<'_>) -> Resp {
        // Each request comes from an address of its own unless the test names one: the suite
        // stands for many clients, and only the rate-limit tests play a single one.
        if !call.headers.iter().any(|(k, _)| ADDRESS_HEADERS.contains(&k.to_ascii_lowercase().as_str())) {
            call = call.from_address(&random_address("10"));
        }
        match &self.target {
            Target::Local(host) => {
                let db = host.db.sql().await;
                let catcher = DevMailbox { db, clock: &SystemClock, random: &OsRandom };
                let http = ReqwestHttp::new(Duration::from_secs(5));
                let provider = host.mail_provider.as_ref().map(|(base_url, api_key)| HttpMail {
                    http: &http,
                    base_url: base_url.clone(),
                    api_key: api_key.clone(),
                    from: "Herald <no-reply@herald.test>".into(),
                });
                // As on the Worker: a configured provider, else the catcher in development, else nothing.
                let mail: &dyn Mail = match (&provider, host.config.environment) {
                    (Some(p), _) => p,
                    (None, Environment::Development) => &catcher,
                    (None, _) => &NoMail,
                };
                let slow = call.slow.map(|delay| slow::SlowBlobs { inner: host.blobs.as_ref(), delay });
                let blobs: &dyn herald::ports::Blobs = match &slow {
                    Some(s) => s,
                    None => host.blobs.as_ref(),
                };
                let fixed = call.at.map(FixedClock);
                let clock: &dyn Clock = match &fixed {
                    Some(f) => f,
                    None => &SystemClock,
                };
                let ctx = Context {
                    db,
                    clock,
                    random: &OsRandom,
                    hasher: &host.hasher,
                    mail,
                    blobs,
                    http: &http,
                    jobs: &herald::ports::NoQueue,
                    limiter: &host.limiter,
                    config: &host.config,
                    sink: None,
                };
                let mut req = Request::new(&call.method, &call.path);
                req.headers = call.headers;
                req.body = call.body;
                let r = herald::handle(&ctx, req).await;
                Resp { status: r.status, headers: r.headers, body: r.body }
            }
            Target::Remote { base, http } => {
                let method = reqwest::Method::from_bytes(call.method.as_bytes()).expect("valid method");
                let body = match call.slow {
                    Some(delay) => reqwest::Body::wrap(slow::SlowBody::new(call.body, delay)),
                    None => reqwest::Body::from(call.body),
                };
                let mut rb = http.request(method, format!("{base}{}", call.path)).body(body);
                for (k, v) in &call.headers {
                    rb = rb.header(k, v);
                }
                let r = rb.send().await.expect("the server answers");
                let status = r.status().as_u16();
                let headers = r
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                    .collect();
                let body = r.bytes().await.expect("a body").to_vec();
                Resp { status, headers, body }
            }
        }
    }
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}

pub struct Call<'a> {
    api: &'a Api,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    slow: Option<Duration>,
    at: Option<i64>,
}

impl<'a> Call<'a> {
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sent from `ip`, in the header each target trusts: X-Forwarded-For in process (as behind
    /// a proxy), CF-Connecting-IP on the Worker (which `wrangler dev` passes through as given).
    pub fn from_address(self, ip: &str) -> Self {
        self.header("x-forwarded-for", ip).header("cf-connecting-ip", ip)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, body: Json) -> Self {
        self.body = serde_json::to_vec(&body).expect("serialisable");
        self.header("content-type", "application/json")
    }

    /// A body of any type.
    pub fn typed(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// A body sent as is, with whatever headers the caller set.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn raw(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", "application/json")
    }

    /// The body arrives slowly: remotely its second half is sent `delay` after its first; in
    /// process (where the body is whole before the request is handled) the request's writes to
    /// object storage wait `delay` first, as they would for a body still arriving.
    pub fn slow(mut self, delay: Duration) -> Self {
        self.slow = Some(delay);
        self
    }

    /// In process, the server's clock reads `ms` for this request, so several calls can happen
    /// in the same millisecond; remote targets keep their own clock.
    pub fn at(mut self, ms: i64) -> Self {
        self.at = Some(ms);
        self
    }

    pub async fn send(self) -> Resp {
        self.api.send(self).await
    }

    /// The answer of a served target as it arrives, for reading a stream piece by piece; `None`
    /// in process, where answers come whole.
    pub async fn open(mut self) -> Option<reqwest::Response> {
        let Target::Remote { base, http } = &self.api.target else { return None };
        if !self.headers.iter().any(|(k, _)| ADDRESS_HEADERS.contains(&k.to_ascii_lowercase().as_str())) {
            self = self.from_address(&random_address("10"));
        }
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("a method");
        let mut rb = http.request(method, format!("{base}{}", self.path)).body(self.body);
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        Some(rb.send().await.expect("the served target answers"))
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn data(&self) -> Json {
        let j = self.json();
        assert_eq!(j["success"], true, "expected success, got {j}");
        j["data"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts the error envelope with `status` and `code`; answers it.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Json {
        let j = self.json();
        assert_eq!((self.status, j["code"].as_str().unwrap_or("")), (status, code), "body: {j}");
        assert_eq!(j["success"], false);
        assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()), "error message missing: {j}");
        assert!(j["requestId"].as_str().is_some_and(|r| !r.is_empty()), "requestId missing: {j}");
        j
    }

    /// The `field`s named in a validation error's details.
    pub fn fields(&self) -> Vec<String> {
        self.expect_error(400, "VALIDATION_ERROR")["details"]
            .as_array()
            .map(|d| d.iter().filter_map(|f| f["field"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

/// A unique address, so tests can share one database on a remote target.
pub fn unique_email(label: &str) -> String {
    let mut r = [0u8; 6];
    getrandom_fill(&mut r);
    let suffix: String = r.iter().map(|b| format!("{b:02x}")).collect();
    format!("{label}-{suffix}@example.test")
}

/// The headers that name a client's address on some target.
const ADDRESS_HEADERS: [&str; 2] = ["x-forwarded-for", "cf-connecting-ip"];

/// A random IPv4 address under `first` (e.g. `"10"`, or `"198.18"` for the rate-limit tests).
pub fn random_address(first: &str) -> String {
    let mut r = [0u8; 3];
    getrandom_fill(&mut r);
    let octets = 4 - first.split('.').count();
    let rest: Vec<String> = r[..octets].iter().map(|b| b.to_string()).collect();
    format!("{first}.{}", rest.join("."))
}

fn getrandom_fill(buf: &mut [u8]) {
    use herald::ports::Random;
    OsRandom.fill(buf);
}

pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

/// Signs up a new account with a unique address and signs it in. Where addresses must be
/// verified (the default), that goes through the development mailbox, as a person would.
pub async fn signup(api: &Api, label: &str) -> User {
    let email = unique_email(label);
    let r =
        api.post("/api/v1/auth/signup").json(json!({"email": email, "password": PASSWORD, "name": label})).send().await;
    let d = match r.status {
        201 => r.data(),
        202 => {
            let token = mail_token(api, &email, "/api/v1/auth/verify-email").await;
            let r = api.post("/api/v1/auth/verify-email").json(json!({"token": token})).send().await;
            assert_eq!(r.status, 200, "verify: {}", String::from_utf8_lossy(&r.body));
            r.data()
        }
        _ => panic!("signup: {} {}", r.status, String::from_utf8_lossy(&r.body)),
    };
    User {
        id: d["user"]["id"].as_str().expect("user id").into(),
        email,
        access: d["accessToken"].as_str().expect("access token").into(),
        refresh: d["refreshToken"].as_str().expect("refresh token").into(),
    }
}

/// The mails to `email` in the development mailbox, newest first.
pub async fn mailbox(api: &Api, email: &str) -> Vec<Json> {
    let r = api.get(&format!("/api/v1/dev/mailbox?to={}", email.replace('@', "%40").replace('+', "%2B"))).send().await;
    r.data().as_array().cloned().unwrap_or_default()
}

/// The token that the newest mail to `email` says to send to `route` (the line after
/// "POST {route}:").
pub async fn mail_token(api: &Api, email: &str, route: &str) -> String {
    let mails = mailbox(api, email).await;
    let marker = format!("{route}:\n");
    mails
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find_map(|text| {
            text.find(&marker).map(|at| text[at + marker.len()..].lines().next().unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| panic!("no mail to {email} with a token for {route}: {mails:?}"))
}

pub async fn create_workspace(api: &Api, owner: &User, name: &str) -> String {
    let r = api.post("/api/v1/workspaces").bearer(&owner.access).json(json!({"name": name})).send().await;
    assert_eq!(r.status, 201, "create workspace: {}", String::from_utf8_lossy(&r.body));
    r.data()["id"].as_str().expect("workspace id").into()
}

/// The invitation token from the newest invitation mail to `email` in the development mailbox.
pub async fn invite_token(api: &Api, email: &str) -> String {
    mail_token(api, email, "/api/v1/invites/accept").await
}

/// Invites a new user with `role` (as `inviter`), who signs up and accepts.
pub async fn add_member(api: &Api, inviter: &User, workspace: &str, role: &str) -> User {
    let member = signup(api, role).await;
    let r = api
        .post(&format!("/api/v1/workspaces/{workspace}/invites"))
        .bearer(&inviter.access)
        .json(json!({"email": member.email, "role": role}))
        .send()
        .await;
    assert_eq!(r.status, 201, "invite: {}", String::from_utf8_lossy(&r.body));
    let token = invite_token(api, &member.email).await;
    let r = api.post("/api/v1/invites/accept").bearer(&member.access).json(json!({"token": token})).send().await;
    assert_eq!(r.status, 200, "accept: {}", String::from_utf8_lossy(&r.body));
    member
}

/// Attaches Client member `user_id` to `client` (as `owner`): it then sees that client's work.
pub async fn attach_to_client(api: &Api, owner: &User, workspace: &str, client: &str, user_id: &str) {
    let r = api
        .post(&format!("/api/v1/workspaces/{workspace}/clients/{client}/members"))
        .bearer(&owner.access)
        .json(serde_json::json!({"userId": user_id}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// Every item of a paged list at `path` (which may carry a query), walked `limit` at a time
/// through `nextCursor`. Every page but the last is full, and the last says there is no more.
pub async fn walk_pages(api: &Api, user: &User, path: &str, limit: u32) -> Vec<Json> {
    let join = if path.contains('?') { '&' } else { '?' };
    let (mut items, mut cursor) = (Vec::new(), String::new());
    for _ in 0..1000 {
        let page = api.get(&format!("{path}{join}limit={limit}{cursor}")).bearer(&user.access).send().await.data();
        let shown = page["items"].as_array().unwrap_or_else(|| panic!("{path}: no items in {page}")).clone();
        assert!(shown.len() <= limit as usize, "{path}: {} items on a page of {limit}", shown.len());
        items.extend(shown.iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => {
                assert_eq!(shown.len(), limit as usize, "{path}: a page before the last is full");
                cursor = format!("&cursor={c}");
            }
            None => {
                assert!(page["nextCursor"].is_null(), "{path}: nextCursor is null on the last page: {page}");
                return items;
            }
        }
    }
    panic!("{path}: the pages never end")
}

/// A list at `path` refuses a `limit` outside 1 to 100 and a cursor it did not make, naming the
/// parameter (400 VALIDATION_ERROR).
pub async fn refuses_bad_paging(api: &Api, user: &User, path: &str) {
    let join = if path.contains('?') { '&' } else { '?' };
    for (query, field) in
        [("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("cursor=nope", "cursor")]
    {
        let r = api.get(&format!("{path}{join}{query}")).bearer(&user.access).send().await;
        assert_eq!(r.fields(), [field], "{path}{join}{query}");
    }
}

/// Fires the cron trigger of the Worker served at `base` by `wrangler dev`, once. When the
/// publishing engine is a Worker of its own in the same session (`HERALD_PUBLISHER_WORKER` names
/// it: `herald-publisher`), through wrangler's local explorer, which dispatches a scheduled event
/// to any Worker of the session and answers with the handler's outcome; otherwise the served
/// Worker's own `/__scheduled` (`wrangler dev --test-scheduled`).
pub async fn fire_worker_cron(http: &reqwest::Client, base: &str) -> Result<(), String> {
    let sent = match std::env::var("HERALD_PUBLISHER_WORKER") {
        Ok(worker) if !worker.is_empty() => {
            http.post(format!("{base}/cdn-cgi/local/explorer/api/local/scheduled?worker={worker}"))
                .header("content-type", "application/json")
                .body(r#"{"cron":"* * * * *"}"#)
                .send()
                .await
        }
        _ => http.get(format!("{base}/__scheduled?cron=*+*+*+*+*")).send().await,
    };
    let answer = sent.map_err(|e| format!("the cron does not answer: {e}"))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("cron: {status} {body}"));
    }
    // The explorer answers 200 whatever the handler did; a handler that threw says so here.
    let outcome = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["result"]["outcome"].as_str().map(String::from));
    match outcome {
        Some(outcome) if outcome != "ok" => Err(format!("cron: the scheduled handler ended {outcome}: {body}")),
        _ => Ok(()),
    }
}

/// A clock stopped at one millisecond (`Call::at`).
struct FixedClock(i64);

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// A valid 1×1 PNG, in base64.
pub const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// An image (`base64_bytes`) uploaded into the workspace's media library through the API and
/// ready; answers its id.
pub async fn ready_image(api: &Api, user: &User, ws: &str, content_type: &str, base64_bytes: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(base64_bytes).expect("base64");
    let body = json!({"method": "stream", "filename": "dot", "contentType": content_type, "sizeBytes": bytes.len()});
    let r = api.post(&format!("/api/v1/workspaces/{ws}/media/uploads")).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.data()["asset"]["id"].as_str().expect("an asset id").to_string();
    let r = api
        .request("PUT", &format!("/api/v1/workspaces/{ws}/media/{id}/content"))
        .bearer(&user.access)
        .typed(content_type, bytes)
        .send()
        .await;
    assert_eq!(r.data()["status"], "ready");
    id
}

/// Connects `platform` account `user` of the fake OAuth platforms ([`fakes::FakeX`]) through
/// OAuth 2, as a browser would: start, the platform's consent, the callback.
pub async fn connect_oauth(api: &Api, owner: &User, ws: &str, platform: &str, user: &str) -> Resp {
    let x = fakes::FakeX::get();
    let started = api
        .post(&format!("/api/v1/workspaces/{ws}/social-accounts/oauth/start"))
        .bearer(&owner.access)
        .json(json!({"platform": platform, "redirectUri": "https://app.example.test/oauth/cb"}))
        .send()
        .await;
    assert_eq!(started.status, 200, "{}", String::from_utf8_lossy(&started.body));
    let started = started.data();
    let (code, state) = x.approve(started["authorizeUrl"].as_str().unwrap_or_default(), user);
    assert_eq!(state, started["state"].as_str().unwrap_or_default(), "the state travels through the browser");
    api.post(&format!("/api/v1/workspaces/{ws}/social-accounts/oauth/callback"))
        .bearer(&owner.access)
        .json(json!({"state": state, "code": code}))
        .send()
        .await
}
