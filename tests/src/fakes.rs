//! Local servers that follow a platform's documented contract, started by the tests, with
//! fault injection: a Mastodon instance (`/api/v1/accounts/verify_credentials`,
//! `/api/v2/media`, `/api/v1/statuses` honouring `Idempotency-Key` as Mastodon does).
//! They count what they created, so a test can prove zero duplicates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the next call to `/api/v1/statuses` does instead of (or besides) answering 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 before creating anything.
    UnavailableBefore,
    /// Creates the status, then answers 500: the caller cannot know it worked.
    ErrorAfter,
    /// Creates the status, then answers nothing for `secs`: past the caller's timeout.
    HangAfter(u64),
    /// Creates the status, then closes the connection without an answer.
    ResetAfter,
    /// 429 with `X-RateLimit-Reset` `secs` ahead.
    RateLimited(u64),
    /// 401: the token was revoked.
    Revoked,
    /// 422: the instance refuses the content.
    Unprocessable,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub id: String,
    /// The account it was posted as.
    pub account: String,
    pub text: String,
    pub idempotency_key: Option<String>,
    pub media_ids: Vec<String>,
}

#[derive(Default)]
struct State {
    token: String,
    /// Any token with this prefix is valid, for the account named by the rest (benchmarks).
    token_prefix: Option<String>,
    /// Calls to /api/v1/statuses answered from a known Idempotency-Key.
    replays: usize,
    statuses: Vec<Status>,
    /// Idempotency-Key → status id, as Mastodon keeps them.
    keys: HashMap<String, String>,
    faults: Vec<Fault>,
    /// 503 answers owed to the next media uploads.
    media_failures: usize,
    media: Vec<(String, usize)>,
    requests: usize,
    /// Calls to /api/v1/statuses being answered now, and the most seen at once.
    in_flight: usize,
    most_in_flight: usize,
    /// Each publish call waits (up to 2 s) until this many are in flight together.
    rendezvous: usize,
    /// New statuses are answered this long after they are made.
    answer_after_ms: u64,
}

/// A fake Mastodon instance on 127.0.0.1.
#[derive(Clone)]
pub struct FakeMastodon {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl FakeMastodon {
    /// Starts serving on its own thread and runtime, so that it outlives any one test's
    /// runtime and answers while the code under test blocks.
    pub fn start(token: &str) -> FakeMastodon {
        Self::serve(State { token: token.into(), ..State::default() })
    }

    /// An instance where every token `{prefix}{n}` belongs to account `n`.
    pub fn start_many(prefix: &str) -> FakeMastodon {
        Self::serve(State { token_prefix: Some(prefix.into()), ..State::default() })
    }

    fn serve(state: State) -> FakeMastodon {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", std_listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let _ = serve(stream, state).await;
                    });
                }
            });
        });
        FakeMastodon { base, state }
    }

    /// Queues faults for the next calls to `/api/v1/statuses`, in order.
    pub fn inject(&self, faults: &[Fault]) {
        self.state.lock().unwrap().faults.extend_from_slice(faults);
    }

    /// An hour passes at the instance: it forgets every `Idempotency-Key` it was sent (Mastodon
    /// keeps one for an hour), so a call repeated now would post again.
    pub fn forget_keys(&self) {
        self.state.lock().unwrap().keys.clear();
    }

    /// Every new status is made at once and answered `ms` later (0: at once), so that calls
    /// are in flight for a while: a publisher killed meanwhile never hears of what it made.
    pub fn answer_after(&self, ms: u64) {
        self.state.lock().unwrap().answer_after_ms = ms;
    }

    /// Calls to `/api/v1/statuses` in flight now.
    pub fn in_flight(&self) -> usize {
        self.state.lock().unwrap().in_flight
    }

    /// Each publish call waits up to 2 s for `n` of them to be in flight at once, so that
    /// calls made together are seen together (and calls made one after another are not).
    pub fn rendezvous(&self, n: usize) {
        self.state.lock().unwrap().rendezvous = n;
    }

    /// The most publish calls this instance saw in flight at once.
    pub fn most_in_flight(&self) -> usize {
        self.state.lock().unwrap().most_in_flight
    }

    /// The next `n` media uploads answer 503 (before anything is posted).
    pub fn fail_media(&self, n: usize) {
        self.state.lock().unwrap().media_failures += n;
    }

    pub fn statuses(&self) -> Vec<Status> {
        self.state.lock().unwrap().statuses.clone()
    }

    pub fn media_count(&self) -> usize {
        self.state.lock().unwrap().media.len()
    }

    /// Statuses posted more than once by the same account with the same text: duplicates.
    pub fn duplicates(&self) -> usize {
        let statuses = self.statuses();
        let mut seen = HashMap::new();
        for s in &statuses {
            *seen.entry((s.account.clone(), s.text.clone())).or_insert(0) += 1;
        }
        seen.values().map(|n| n - 1).sum()
    }

    pub fn status_count(&self) -> usize {
        self.state.lock().unwrap().statuses.len()
    }

    /// Calls answered from an Idempotency-Key already seen.
    pub fn replays(&self) -> usize {
        self.state.lock().unwrap().replays
    }
}

struct Incoming {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Incoming> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Incoming { method, path, headers, body })
}

async fn respond(stream: &mut TcpStream, status: u16, extra: &[(String, String)], body: &Value) {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> Option<()> {
    let req = read_request(&mut stream).await?;
    let account = {
        let s = state.lock().unwrap();
        let token = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
        match &s.token_prefix {
            Some(prefix) => token.strip_prefix(prefix.as_str()).filter(|n| !n.is_empty()).map(str::to_string),
            None => (!s.token.is_empty() && token == s.token).then(|| "109".to_string()),
        }
    };
    let authorized = account.is_some();
    let account = account.unwrap_or_default();
    let path = req.path.split('?').next().unwrap_or_default().to_string();
    if !authorized {
        respond(&mut stream, 401, &[], &json!({"error": "The access token is invalid"})).await;
        return Some(());
    }
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/api/v1/accounts/verify_credentials") => {
            let name = if account == "109" { "herald".to_string() } else { format!("bench{account}") };
            let v = json!({"id": account, "username": name, "acct": name, "display_name": "Herald Test", "url": "http://fake/@herald"});
            respond(&mut stream, 200, &[], &v).await;
        }
        ("POST", "/api/v2/media") => {
            let failing = {
                let mut s = state.lock().unwrap();
                let failing = s.media_failures > 0;
                s.media_failures = s.media_failures.saturating_sub(1);
                failing
            };
            if failing {
                return Some(respond(&mut stream, 503, &[], &json!({"error": "Service Unavailable"})).await);
            }
            let id = {
                let mut s = state.lock().unwrap();
                let id = format!("m{}", s.media.len() + 1);
                s.media.push((id.clone(), req.body.len()));
                id
            };
            respond(
                &mut stream,
                200,
                &[],
                &json!({"id": id, "type": "image", "url": format!("http://fake/media/{id}")}),
            )
            .await;
        }
        ("POST", "/api/v1/statuses") => {
            let wanted = {
                let mut s = state.lock().unwrap();
                s.in_flight += 1;
                s.most_in_flight = s.most_in_flight.max(s.in_flight);
                s.rendezvous
            };
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while wanted > 1 && state.lock().unwrap().most_in_flight < wanted && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let answered = publish_status(&mut stream, &req, &state, &account).await;
            state.lock().unwrap().in_flight -= 1;
            return answered;
        }
        _ => respond(&mut stream, 404, &[], &json!({"error": "Record not found"})).await,
    }
    Some(())
}

/// `POST /api/v1/statuses`, with the injected faults.
async fn publish_status(
    stream: &mut TcpStream,
    req: &Incoming,
    state: &Arc<Mutex<State>>,
    account: &str,
) -> Option<()> {
    let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let key = req.header("idempotency-key").map(str::to_string);
    // The fault for this call, then the Mastodon behaviour: a known key answers the
    // status it made, whatever happens.
    let (fault, known) = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        let known = key.as_ref().and_then(|k| s.keys.get(k).cloned());
        // Mastodon answers a known key from its record before anything else: the
        // injected faults meet new calls only.
        let fault = if s.faults.is_empty() || known.is_some() { None } else { Some(s.faults.remove(0)) };
        if known.is_some() {
            s.replays += 1;
        }
        (fault, known)
    };
    match fault {
        Some(Fault::UnavailableBefore) => {
            return Some(respond(stream, 503, &[], &json!({"error": "Service Unavailable"})).await);
        }
        Some(Fault::RateLimited(secs)) => {
            let reset = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs as i64);
            let headers = [("X-RateLimit-Reset".to_string(), reset.to_string())];
            return Some(respond(stream, 429, &headers, &json!({"error": "Too many requests"})).await);
        }
        Some(Fault::Revoked) => {
            return Some(respond(stream, 401, &[], &json!({"error": "The access token was revoked"})).await);
        }
        Some(Fault::Unprocessable) => {
            let v = json!({"error": "Validation failed: Text character limit of 500 exceeded"});
            return Some(respond(stream, 422, &[], &v).await);
        }
        _ => {}
    }
    let replay = known.is_some();
    let id = match known {
        Some(id) => id,
        None => {
            let mut s = state.lock().unwrap();
            let id = format!("{}", 1000 + s.statuses.len());
            let text = input["status"].as_str().unwrap_or_default().to_string();
            let media_ids = input["media_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            s.statuses.push(Status {
                id: id.clone(),
                account: account.to_string(),
                text,
                idempotency_key: key.clone(),
                media_ids,
            });
            if let Some(k) = &key {
                s.keys.insert(k.clone(), id.clone());
            }
            id
        }
    };
    let delay = state.lock().unwrap().answer_after_ms;
    if delay > 0 && !replay {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match fault {
        Some(Fault::ErrorAfter) => respond(stream, 500, &[], &json!({"error": "Internal Server Error"})).await,
        Some(Fault::HangAfter(secs)) => tokio::time::sleep(Duration::from_secs(secs)).await,
        Some(Fault::ResetAfter) => {
            let _ = stream.shutdown().await;
        }
        _ => {
            let v = json!({"id": id, "url": format!("http://fake/@herald/{id}"), "content": input["status"]});
            respond(stream, 200, &[], &v).await;
        }
    }
    Some(())
}

// ── X (API v2 with OAuth 2 + PKCE) ──────────────────────────────────────────────────────

pub const X_CLIENT_ID: &str = "herald-test-x-client";
pub const X_CLIENT_SECRET: &str = "herald-test-x-secret";
pub const LINKEDIN_CLIENT_ID: &str = "herald-test-linkedin-client";
pub const LINKEDIN_CLIENT_SECRET: &str = "herald-test-linkedin-secret";
pub const FACEBOOK_CLIENT_ID: &str = "herald-test-facebook-app";
pub const FACEBOOK_CLIENT_SECRET: &str = "herald-test-facebook-secret";
pub const INSTAGRAM_CLIENT_ID: &str = "herald-test-instagram-app";
pub const INSTAGRAM_CLIENT_SECRET: &str = "herald-test-instagram-secret";
pub const THREADS_CLIENT_ID: &str = "herald-test-threads-app";
pub const THREADS_CLIENT_SECRET: &str = "herald-test-threads-secret";
pub const TIKTOK_CLIENT_ID: &str = "herald-test-tiktok-key";
pub const TIKTOK_CLIENT_SECRET: &str = "herald-test-tiktok-secret";

/// The OAuth clients the fakes know: (platform, client id, client secret).
pub const OAUTH_CLIENTS: [(&str, &str, &str); 6] = [
    ("x", X_CLIENT_ID, X_CLIENT_SECRET),
    ("linkedin", LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET),
    ("facebook", FACEBOOK_CLIENT_ID, FACEBOOK_CLIENT_SECRET),
    ("instagram", INSTAGRAM_CLIENT_ID, INSTAGRAM_CLIENT_SECRET),
    ("threads", THREADS_CLIENT_ID, THREADS_CLIENT_SECRET),
    ("tiktok", TIKTOK_CLIENT_ID, TIKTOK_CLIENT_SECRET),
];

fn client_of(platform: &str) -> (&'static str, &'static str) {
    OAUTH_CLIENTS.iter().find(|c| c.0 == platform).map(|c| (c.1, c.2)).expect("a known platform")
}

/// A media file a platform fetched by URL.
#[derive(Debug, Clone)]
pub struct Pull {
    pub url: String,
    pub content_type: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// A consent given in the browser to TikTok or Meta, waiting for its code to be traded.
#[derive(Debug, Clone)]
struct Login {
    platform: &'static str,
    challenge: Option<String>,
    redirect: String,
    user: String,
}

#[derive(Debug, Clone)]
pub struct Tweet {
    pub id: String,
    pub user: String,
    pub text: String,
}

#[derive(Default)]
struct XState {
    /// code → (challenge, redirect uri, user)
    codes: HashMap<String, (String, String, String)>,
    /// access token → (user, expires at in ms)
    access: HashMap<String, (String, i64)>,
    /// live refresh token → user
    refresh: HashMap<String, String>,
    /// Users whose grants come without a refresh token.
    no_refresh: Vec<String>,
    /// Access token lifetime per user (seconds), else two hours.
    lifetimes: HashMap<String, i64>,
    /// How many Facebook Pages a user manages, else two.
    pages: HashMap<String, usize>,
    refreshes: usize,
    /// Refreshes (or renewals) per user.
    refreshed: HashMap<String, usize>,
    /// Spent X refresh tokens, by user, and how often one was presented again.
    spent: HashMap<String, String>,
    spent_presented: HashMap<String, usize>,
    /// TikTok's and Meta's pending codes.
    logins: HashMap<String, Login>,
    /// Media fetched by URL, as Instagram, Threads and TikTok do.
    pulls: Vec<Pull>,
    tweets: Vec<Tweet>,
    /// Faults for the next tweet whose text contains the key.
    faults: Vec<(String, Fault)>,
    counter: u64,
    /// Stripe: the forms of every Checkout and portal session made, by path.
    stripe_sessions: Vec<(String, HashMap<String, String>)>,
    /// Users whose grant was revoked (X, LinkedIn, TikTok).
    revoked: Vec<String>,
}

/// A fake X, one per test process (the Worker under test is pointed at its port), shared by
/// the tests: each test uses its own users and marks its texts to aim its faults.
#[derive(Clone)]
pub struct FakeX {
    pub base: String,
    state: Arc<Mutex<XState>>,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl FakeX {
    /// The process's fake X: on `HERALD_TEST_X_PORT` when set (the Worker knows that port),
    /// else on any free port.
    pub fn get() -> FakeX {
        static X: std::sync::OnceLock<FakeX> = std::sync::OnceLock::new();
        X.get_or_init(|| {
            let port: u16 = std::env::var("HERALD_TEST_X_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(0);
            let std_listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the fake X");
            std_listener.set_nonblocking(true).expect("nonblocking");
            let base = format!("http://{}", std_listener.local_addr().expect("addr"));
            let state = Arc::new(Mutex::new(XState::default()));
            let shared = state.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    while let Ok((stream, _)) = listener.accept().await {
                        let state = shared.clone();
                        tokio::spawn(async move {
                            let _ = serve_x(stream, state).await;
                        });
                    }
                });
            });
            FakeX { base, state }
        })
        .clone()
    }

    /// Whether `user`'s grant was revoked, and how many of its tokens still work.
    pub fn revoked(&self, user: &str) -> (bool, usize) {
        let s = self.state.lock().unwrap();
        let live =
            s.access.values().filter(|(u, _)| u == user).count() + s.refresh.values().filter(|u| *u == user).count();
        (s.revoked.iter().any(|u| u == user), live)
    }

    /// The forms of the Stripe sessions made so far at `path` whose form has `key` = `value`.
    pub fn stripe_sessions(&self, path: &str, key: &str, value: &str) -> Vec<HashMap<String, String>> {
        let s = self.state.lock().unwrap();
        s.stripe_sessions
            .iter()
            .filter(|(p, f)| p == path && f.get(key).is_some_and(|v| v == value))
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// The user consents in the browser: checks the authorize URL as the platform would and
    /// answers the code it would send to the redirect URI (with the state echoed).
    pub fn approve(&self, authorize_url: &str, user: &str) -> (String, String) {
        let (at, query) = authorize_url.split_once('?').unwrap_or((authorize_url, ""));
        let params: HashMap<String, String> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let path = at.strip_prefix(self.base.as_str()).unwrap_or_else(|| panic!("not this fake: {authorize_url}"));
        let client = params.get("client_id").or(params.get("client_key")).cloned().unwrap_or_default();
        let platform = match path {
            "/i/oauth2/authorize" => "x",
            "/oauth/v2/authorization" => "linkedin",
            "/v2/auth/authorize/" => "tiktok",
            "/v23.0/dialog/oauth" => "facebook",
            "/oauth/authorize" if client == INSTAGRAM_CLIENT_ID => "instagram",
            "/oauth/authorize" => "threads",
            other => panic!("no authorize endpoint at {other}"),
        };
        assert_eq!(client, client_of(platform).0, "{authorize_url}");
        if platform == "tiktok" {
            assert!(params.get("client_id").is_none(), "TikTok names its client client_key");
        }
        assert_eq!(params.get("response_type").map(String::as_str), Some("code"));
        let scope = match platform {
            "x" => "offline.access",
            "linkedin" => "w_member_social",
            "tiktok" => "video.publish",
            "facebook" => "pages_manage_posts",
            "instagram" => "instagram_business_content_publish",
            _ => "threads_content_publish",
        };
        assert!(params.get("scope").is_some_and(|s| s.contains(scope)), "{authorize_url}");
        let challenge = params.get("code_challenge").cloned();
        if matches!(platform, "x" | "linkedin" | "tiktok") {
            assert_eq!(params.get("code_challenge_method").map(String::as_str), Some("S256"));
            assert!(challenge.is_some(), "a PKCE challenge");
        }
        let redirect = params.get("redirect_uri").expect("a redirect").clone();
        let mut s = self.state.lock().unwrap();
        s.counter += 1;
        let code = format!("code-{}-{}", s.counter, user);
        match platform {
            "x" | "linkedin" => {
                s.codes.insert(code.clone(), (challenge.unwrap_or_default(), redirect, user.to_string()));
            }
            _ => {
                let login = Login { platform, challenge, redirect, user: user.to_string() };
                s.logins.insert(code.clone(), login);
            }
        }
        (code, params.get("state").cloned().unwrap_or_default())
    }

    /// Grants for `user` come without a refresh token.
    pub fn withhold_refresh_tokens(&self, user: &str) {
        self.state.lock().unwrap().no_refresh.push(user.into());
    }

    /// Access tokens for `user` last `secs`.
    pub fn token_lifetime(&self, user: &str, secs: i64) {
        self.state.lock().unwrap().lifetimes.insert(user.into(), secs);
    }

    /// Facebook user `user` manages `count` Pages (`page-{user}`, `page2-{user}`, …).
    pub fn pages(&self, user: &str, count: usize) {
        self.state.lock().unwrap().pages.insert(user.into(), count);
    }

    /// The next tweet containing `marker` meets `fault`.
    pub fn inject(&self, marker: &str, fault: Fault) {
        self.state.lock().unwrap().faults.push((marker.into(), fault));
    }

    pub fn tweets_of(&self, user: &str) -> Vec<Tweet> {
        self.state.lock().unwrap().tweets.iter().filter(|t| t.user == user).cloned().collect()
    }

    pub fn refreshes(&self) -> usize {
        self.state.lock().unwrap().refreshes
    }

    /// The person withdraws the app's access: every token issued for `user` stops working.
    pub fn revoke(&self, user: &str) {
        let mut s = self.state.lock().unwrap();
        s.access.retain(|_, (u, _)| u != user);
        s.refresh.retain(|_, u| u != user);
    }

    /// The media fetched by URL so far.
    pub fn pulls(&self) -> Vec<Pull> {
        self.state.lock().unwrap().pulls.clone()
    }

    /// How often `user`'s grant was refreshed or renewed.
    pub fn refreshes_of(&self, user: &str) -> usize {
        self.state.lock().unwrap().refreshed.get(user).copied().unwrap_or(0)
    }

    /// How often one of `user`'s spent (single-use) refresh tokens was presented again.
    pub fn spent_refreshes_of(&self, user: &str) -> usize {
        self.state.lock().unwrap().spent_presented.get(user).copied().unwrap_or(0)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn form_of(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

/// A grant; `rotate` (the refresh grant) always brings a new refresh token, as X does.
fn grant(s: &mut XState, user: &str, rotate: bool) -> Value {
    s.counter += 1;
    let access = format!("x-access-{}-{user}", s.counter);
    let life = s.lifetimes.get(user).copied().unwrap_or(7200);
    s.access.insert(access.clone(), (user.to_string(), now_ms() + life * 1000));
    let mut v = json!({"token_type": "bearer", "access_token": access, "expires_in": life, "scope": "tweet.read tweet.write users.read offline.access"});
    if rotate || !s.no_refresh.iter().any(|u| u == user) {
        let refresh = format!("x-refresh-{}-{user}", s.counter);
        s.refresh.insert(refresh.clone(), user.to_string());
        v["refresh_token"] = json!(refresh);
    }
    v
}

/// Stripe's API as documented for Checkout Sessions and the customer portal: form bodies under
/// the secret key (Bearer), JSON answers with the session's `id` and hosted `url`.
async fn serve_stripe(stream: &mut TcpStream, req: &Incoming, path: &str, state: &Arc<Mutex<XState>>) {
    if req.header("authorization") != Some(format!("Bearer {}", crate::TEST_STRIPE_KEY).as_str()) {
        let error = json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}});
        return respond(stream, 401, &[], &error).await;
    }
    if !req.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
        return respond(stream, 400, &[], &json!({"error": {"type": "invalid_request_error"}})).await;
    }
    let form = form_of(&req.body);
    let missing = if path == "/v1/checkout/sessions" {
        ["mode", "line_items[0][price]", "success_url"].into_iter().find(|k| !form.contains_key(*k))
    } else {
        ["customer"].into_iter().find(|k| !form.contains_key(*k))
    };
    if let Some(param) = missing {
        let error = json!({"error": {"type": "invalid_request_error", "message": format!("Missing required param: {param}."), "param": param}});
        return respond(stream, 400, &[], &error).await;
    }
    let answer = {
        let mut s = state.lock().unwrap();
        s.counter += 1;
        s.stripe_sessions.push((path.to_string(), form));
        if path == "/v1/checkout/sessions" {
            let id = format!("cs_test_{}", s.counter);
            json!({"id": id, "object": "checkout.session", "url": format!("https://checkout.stripe.com/c/pay/{id}")})
        } else {
            let id = format!("bps_{}", s.counter);
            json!({"id": id, "object": "billing_portal.session", "url": format!("https://billing.stripe.com/p/session/{id}")})
        }
    };
    respond(stream, 200, &[], &answer).await
}

async fn serve_x(mut stream: TcpStream, state: Arc<Mutex<XState>>) -> Option<()> {
    use base64::Engine;
    let req = read_request(&mut stream).await?;
    let path = req.path.split('?').next().unwrap_or_default().to_string();
    if crate::fake_ai::serve(&mut stream, &req.method, &path, &req.headers, &req.body).await {
        return Some(());
    }
    if path == "/v1/checkout/sessions" || path == "/v1/billing_portal/sessions" {
        return Some(serve_stripe(&mut stream, &req, &path, &state).await);
    }
    if path == "/2/oauth2/revoke" || path == "/oauth/v2/revoke" || path == "/v2/oauth/revoke/" {
        // RFC 7009 (X, the client in Basic), LinkedIn and TikTok (the client in the form): the
        // grant goes, every token of it with it; an unknown token is answered 200 as well.
        let form = form_of(&req.body);
        let field = |k: &str| form.get(k).map(String::as_str);
        let authenticated = match path.as_str() {
            "/2/oauth2/revoke" => {
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{X_CLIENT_ID}:{X_CLIENT_SECRET}"));
                req.header("authorization") == Some(format!("Basic {basic}").as_str())
            }
            "/oauth/v2/revoke" => {
                field("client_id") == Some(LINKEDIN_CLIENT_ID) && field("client_secret") == Some(LINKEDIN_CLIENT_SECRET)
            }
            _ => field("client_key") == Some(TIKTOK_CLIENT_ID) && field("client_secret") == Some(TIKTOK_CLIENT_SECRET),
        };
        if !authenticated {
            return Some(respond(&mut stream, 401, &[], &json!({"error": "invalid_client"})).await);
        }
        {
            let mut s = state.lock().unwrap();
            let token = field("token").unwrap_or_default().to_string();
            let user = s.refresh.remove(&token).or_else(|| s.access.remove(&token).map(|(u, _)| u));
            if let Some(user) = user {
                s.access.retain(|_, (u, _)| *u != user);
                s.refresh.retain(|_, u| *u != user);
                s.revoked.push(user);
            }
        }
        return Some(respond(&mut stream, 200, &[], &json!({})).await);
    }
    if path == "/2/oauth2/token" || path == "/oauth/v2/accessToken" {
        let form = form_of(&req.body);
        // X authenticates its confidential clients with Basic; LinkedIn takes the secret in the body.
        let authenticated = if path == "/2/oauth2/token" {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{X_CLIENT_ID}:{X_CLIENT_SECRET}"));
            req.header("authorization") == Some(format!("Basic {basic}").as_str())
        } else {
            form.get("client_id").map(String::as_str) == Some(LINKEDIN_CLIENT_ID)
                && form.get("client_secret").map(String::as_str) == Some(LINKEDIN_CLIENT_SECRET)
        };
        if !authenticated {
            return Some(respond(&mut stream, 401, &[], &json!({"error": "unauthorized_client"})).await);
        }
        let answer = {
            let mut s = state.lock().unwrap();
            match form.get("grant_type").map(String::as_str) {
                Some("authorization_code") => {
                    let code = form.get("code").cloned().unwrap_or_default();
                    match s.codes.remove(&code) {
                        Some((challenge, redirect, user)) => {
                            use sha2::Digest;
                            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                                .encode(sha2::Sha256::digest(verifier.as_bytes()));
                            if computed != challenge || form.get("redirect_uri") != Some(&redirect) {
                                (
                                    400,
                                    json!({"error": "invalid_grant", "error_description": "PKCE or redirect mismatch"}),
                                )
                            } else {
                                (200, grant(&mut s, &user, false))
                            }
                        }
                        None => (400, json!({"error": "invalid_grant", "error_description": "unknown or used code"})),
                    }
                }
                Some("refresh_token") => {
                    let token = form.get("refresh_token").cloned().unwrap_or_default();
                    // Rotation: a refresh token works once.
                    match s.refresh.remove(&token) {
                        Some(user) => {
                            s.refreshes += 1;
                            *s.refreshed.entry(user.clone()).or_default() += 1;
                            s.spent.insert(token, user.clone());
                            (200, grant(&mut s, &user, true))
                        }
                        None => {
                            if let Some(user) = s.spent.get(&token).cloned() {
                                *s.spent_presented.entry(user).or_default() += 1;
                            }
                            (
                                400,
                                json!({"error": "invalid_grant", "error_description": "Value passed for the token was invalid."}),
                            )
                        }
                    }
                }
                _ => (400, json!({"error": "unsupported_grant_type"})),
            }
        };
        return Some(respond(&mut stream, answer.0, &[], &answer.1).await);
    }
    if let Some((status, body)) = login_token(&state, &req, &path) {
        return Some(respond(&mut stream, status, &[], &body).await);
    }
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default().to_string();
    // Meta and TikTok take tokens the account owner pasted, `meta-{user}` and `tiktok-{user}`,
    // and the ones their logins issued, `meta~{n}~{user}` and `tiktok~{n}~{user}` (while they
    // live); a Facebook user token (`fbu~{n}~{user}`) lists its Pages.
    if let Some(user) = bearer.strip_prefix("meta-") {
        return serve_meta(&mut stream, &state, &req, &path, user).await;
    }
    if let Some(user) = bearer.strip_prefix("tiktok-") {
        return serve_tiktok(&mut stream, &state, &req, &path, user).await;
    }
    if bearer.starts_with("meta~") || bearer.starts_with("tiktok~") || bearer.starts_with("fbu~") {
        let live = {
            let s = state.lock().unwrap();
            s.access.get(&bearer).filter(|(_, exp)| *exp > now_ms()).map(|(u, _)| u.clone())
        };
        return match (live, bearer.split('~').next()) {
            (Some(user), Some("meta")) => serve_meta(&mut stream, &state, &req, &path, &user).await,
            (Some(user), Some("tiktok")) => serve_tiktok(&mut stream, &state, &req, &path, &user).await,
            (Some(user), _) if path == "/v23.0/me/accounts" => {
                let count = state.lock().unwrap().pages.get(&user).copied().unwrap_or(2);
                let pages: Vec<Value> = (1..=count)
                    .map(|n| if n == 1 { "page".to_string() } else { format!("page{n}") })
                    .map(|p| {
                        let token = issue(&mut *state.lock().unwrap(), "meta", &user, i64::MAX / 2000);
                        json!({"id": format!("{p}-{user}"), "name": format!("{p} of {user}"), "access_token": token,
                               "category": "Brand", "tasks": ["CREATE_CONTENT", "MANAGE"]})
                    })
                    .collect();
                Some(respond(&mut stream, 200, &[], &json!({"data": pages, "paging": {}})).await)
            }
            (_, Some("tiktok")) => {
                let v = json!({"error": {"code": "access_token_invalid", "message": "The access token is invalid or not found in the request."}});
                Some(respond(&mut stream, 401, &[], &v).await)
            }
            _ => {
                let v = json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190}});
                Some(respond(&mut stream, 400, &[], &v).await)
            }
        };
    }
    if path.starts_with("/v23.0/") || path.starts_with("/v1.0/") {
        let v = json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}});
        return Some(respond(&mut stream, 400, &[], &v).await);
    }
    let user = {
        let s = state.lock().unwrap();
        s.access.get(&bearer).filter(|(_, exp)| *exp > now_ms()).map(|(u, _)| u.clone())
    };
    let Some(user) = user else {
        return Some(
            respond(&mut stream, 401, &[], &json!({"title": "Unauthorized", "detail": "Unauthorized", "status": 401}))
                .await,
        );
    };
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/v2/userinfo") => {
            respond(&mut stream, 200, &[], &json!({"sub": format!("li-{user}"), "name": format!("Member {user}")}))
                .await
        }
        ("POST", "/rest/images") => {
            let n = {
                let mut s = state.lock().unwrap();
                s.counter += 1;
                s.counter
            };
            let base = format!("http://{}", req.header("host").unwrap_or("127.0.0.1"));
            let v = json!({"value": {"uploadUrl": format!("{base}/upload/{n}"), "image": format!("urn:li:image:{n}")}});
            respond(&mut stream, 200, &[], &v).await
        }
        ("PUT", p) if p.starts_with("/upload/") => respond(&mut stream, 201, &[], &json!({})).await,
        ("POST", "/rest/posts") | ("GET", "/rest/posts")
            if req.header("linkedin-version").is_none() || req.header("x-restli-protocol-version") != Some("2.0.0") =>
        {
            respond(&mut stream, 426, &[], &json!({"status": 426, "message": "A version header is required"})).await
        }
        ("POST", "/rest/posts") => {
            let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let text = input["commentary"].as_str().unwrap_or_default().to_string();
            if input["author"].as_str() != Some(format!("urn:li:person:li-{user}").as_str()) {
                return Some(
                    respond(&mut stream, 403, &[], &json!({"status": 403, "message": "author is not the member"}))
                        .await,
                );
            }
            let fault = {
                let mut s = state.lock().unwrap();
                s.faults.iter().position(|(m, _)| text.contains(m.as_str())).map(|i| s.faults.remove(i).1)
            };
            if fault == Some(Fault::UnavailableBefore) {
                return Some(
                    respond(&mut stream, 503, &[], &json!({"status": 503, "message": "Service Unavailable"})).await,
                );
            }
            if fault == Some(Fault::Unprocessable) {
                return Some(
                    respond(&mut stream, 422, &[], &json!({"status": 422, "message": "commentary is invalid"})).await,
                );
            }
            let urn = {
                let mut s = state.lock().unwrap();
                s.counter += 1;
                let urn = format!("urn:li:share:{}", 7_100_000 + s.counter);
                s.tweets.push(Tweet { id: urn.clone(), user: format!("li:{user}"), text });
                urn
            };
            match fault {
                Some(Fault::ErrorAfter) => respond(&mut stream, 500, &[], &json!({"status": 500})).await,
                Some(Fault::ResetAfter) => drop(stream),
                _ => respond(&mut stream, 201, &[("x-restli-id".to_string(), urn)], &json!({})).await,
            }
        }
        ("GET", "/rest/posts") => {
            let list: Vec<Value> = {
                let s = state.lock().unwrap();
                let me = format!("li:{user}");
                s.tweets
                    .iter()
                    .filter(|t| t.user == me)
                    .rev()
                    .map(|t| json!({"id": t.id, "commentary": t.text}))
                    .collect()
            };
            respond(&mut stream, 200, &[], &json!({"elements": list, "paging": {"count": list.len()}})).await
        }
        ("GET", "/2/users/me") => {
            respond(
                &mut stream,
                200,
                &[],
                &json!({"data": {"id": format!("id-{user}"), "username": user, "name": format!("User {user}")}}),
            )
            .await
        }
        ("POST", "/2/media/upload") => {
            let id = {
                let mut s = state.lock().unwrap();
                s.counter += 1;
                format!("{}", 7_000_000 + s.counter)
            };
            respond(&mut stream, 200, &[], &json!({"data": {"id": id, "media_key": format!("3_{id}")}})).await
        }
        ("POST", "/2/tweets") => {
            let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let text = input["text"].as_str().unwrap_or_default().to_string();
            let fault = {
                let mut s = state.lock().unwrap();
                s.faults.iter().position(|(m, _)| text.contains(m.as_str())).map(|i| s.faults.remove(i).1)
            };
            match fault {
                Some(Fault::UnavailableBefore) => {
                    return Some(respond(&mut stream, 503, &[], &json!({"title": "Service Unavailable"})).await)
                }
                Some(Fault::RateLimited(secs)) => {
                    let reset = (now_ms() / 1000 + secs as i64).to_string();
                    let h = [("x-rate-limit-reset".to_string(), reset)];
                    return Some(respond(&mut stream, 429, &h, &json!({"title": "Too Many Requests"})).await);
                }
                Some(Fault::Revoked) => {
                    return Some(respond(&mut stream, 401, &[], &json!({"title": "Unauthorized"})).await)
                }
                Some(Fault::Unprocessable) => {
                    let v = json!({"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content."});
                    return Some(respond(&mut stream, 403, &[], &v).await);
                }
                _ => {}
            }
            let id = {
                let mut s = state.lock().unwrap();
                s.counter += 1;
                let id = format!("{}", 1_900_000_000 + s.counter);
                s.tweets.push(Tweet { id: id.clone(), user: user.clone(), text: text.clone() });
                id
            };
            match fault {
                Some(Fault::ErrorAfter) => respond(&mut stream, 500, &[], &json!({"title": "Internal Error"})).await,
                Some(Fault::HangAfter(secs)) => tokio::time::sleep(Duration::from_secs(secs)).await,
                Some(Fault::ResetAfter) => drop(stream),
                _ => respond(&mut stream, 201, &[], &json!({"data": {"id": id, "text": text}})).await,
            }
        }
        ("GET", p) if p.starts_with("/2/users/") && p.ends_with("/tweets") => {
            let list: Vec<Value> = {
                let s = state.lock().unwrap();
                s.tweets.iter().filter(|t| t.user == user).rev().map(|t| json!({"id": t.id, "text": t.text})).collect()
            };
            respond(&mut stream, 200, &[], &json!({"data": list, "meta": {"result_count": list.len()}})).await
        }
        _ => respond(&mut stream, 404, &[], &json!({"title": "Not Found"})).await,
    }
    Some(())
}

/// The media URLs a container or upload request names (Instagram's `image_url`/`video_url`,
/// Threads' `image_url`, TikTok's `source_info`).
fn media_urls(input: &Value) -> Vec<String> {
    let mut urls: Vec<String> =
        ["image_url", "video_url"].iter().filter_map(|k| input[*k].as_str()).map(String::from).collect();
    let source = &input["source_info"];
    urls.extend(source["video_url"].as_str().map(String::from));
    urls.extend(source["photo_images"].as_array().into_iter().flatten().filter_map(|u| u.as_str()).map(String::from));
    urls
}

/// Fetches media by URL as the platforms do, and records what came; an error says why not.
/// URLs presigned for the in-process tests' bucket, which nobody serves, are recorded unread.
async fn pull(state: &Arc<Mutex<XState>>, urls: &[String]) -> Result<(), String> {
    use sha2::Digest;
    for url in urls {
        let (content_type, sha256) = if url.starts_with("http://127.0.0.1:9/") {
            (String::new(), String::new())
        } else {
            let r = reqwest::get(url.as_str()).await.map_err(|e| format!("could not fetch {url}: {e}"))?;
            let content_type =
                r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            if r.status() != 200 || !(content_type.starts_with("image/") || content_type.starts_with("video/")) {
                return Err(format!("{url} answered {} {content_type}", r.status()));
            }
            let bytes = r.bytes().await.map_err(|e| e.to_string())?;
            let hex: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            (content_type, hex)
        };
        state.lock().unwrap().pulls.push(Pull { url: url.clone(), content_type, sha256 });
    }
    Ok(())
}

/// Issues an access token `{prefix}~{n}~{user}` living `secs`.
fn issue(s: &mut XState, prefix: &str, user: &str, secs: i64) -> String {
    s.counter += 1;
    let token = format!("{prefix}~{}~{user}", s.counter);
    s.access.insert(token.clone(), (user.to_string(), now_ms() + secs * 1000));
    token
}

fn meta_error(message: &str, code: i64) -> (u16, Value) {
    (400, json!({"error": {"message": message, "type": "OAuthException", "code": code}}))
}

/// The token endpoints of TikTok's and Meta's logins, as their documents describe them;
/// `None` when the request is not for one.
fn login_token(state: &Arc<Mutex<XState>>, req: &Incoming, path: &str) -> Option<(u16, Value)> {
    use base64::Engine;
    let query = form_of(req.path.split_once('?').map(|(_, q)| q).unwrap_or_default().as_bytes());
    let form = form_of(&req.body);
    let get = |k: &str| query.get(k).or(form.get(k)).cloned().unwrap_or_default();
    let day = 24 * 3600;
    let mut s = state.lock().unwrap();
    let lifetime = |s: &XState, user: &str, default: i64| s.lifetimes.get(user).copied().unwrap_or(default);
    let live = |s: &XState, token: &str| s.access.get(token).filter(|(_, exp)| *exp > now_ms()).map(|(u, _)| u.clone());
    // A code, checked against its login: (user) or the refusal.
    let redeem = |s: &mut XState, platform: &str| -> Result<String, String> {
        let login = s.logins.remove(&get("code")).ok_or("unknown or used code")?;
        if login.platform != platform || login.redirect != get("redirect_uri") {
            return Err("redirect_uri or platform mismatch".into());
        }
        if let Some(challenge) = login.challenge {
            use sha2::Digest;
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(get("code_verifier").as_bytes()));
            if computed != challenge {
                return Err("code_verifier does not match".into());
            }
        }
        Ok(login.user)
    };
    let answer = match (req.method.as_str(), path) {
        ("POST", "/v2/oauth/token/") => {
            if get("client_key") != TIKTOK_CLIENT_ID || get("client_secret") != TIKTOK_CLIENT_SECRET {
                return Some((
                    401,
                    json!({"error": "invalid_client", "error_description": "Client key or secret is incorrect."}),
                ));
            }
            let user = match get("grant_type").as_str() {
                "authorization_code" => redeem(&mut *s, "tiktok"),
                "refresh_token" => match s.refresh.remove(&get("refresh_token")) {
                    Some(user) => {
                        s.refreshes += 1;
                        *s.refreshed.entry(user.clone()).or_default() += 1;
                        Ok(user)
                    }
                    None => Err("Refresh token is invalid or expired.".into()),
                },
                _ => Err("unsupported grant_type".into()),
            };
            match user {
                Ok(user) => {
                    let life = lifetime(&*s, &user, day);
                    let access = issue(&mut *s, "tiktok", &user, life);
                    s.counter += 1;
                    let refresh = format!("ttr~{}~{user}", s.counter);
                    s.refresh.insert(refresh.clone(), user.clone());
                    (
                        200,
                        json!({"access_token": access, "expires_in": life, "open_id": format!("tt-{user}"),
                                 "refresh_expires_in": 365 * day, "refresh_token": refresh,
                                 "scope": "user.info.basic,video.publish", "token_type": "Bearer"}),
                    )
                }
                Err(m) => (400, json!({"error": "invalid_grant", "error_description": m, "log_id": "fake"})),
            }
        }
        ("GET", "/v23.0/oauth/access_token") => {
            if get("client_id") != FACEBOOK_CLIENT_ID || get("client_secret") != FACEBOOK_CLIENT_SECRET {
                return Some(meta_error("Error validating client secret.", 1));
            }
            if get("grant_type") == "fb_exchange_token" {
                match live(&*s, &get("fb_exchange_token")).filter(|_| get("fb_exchange_token").starts_with("fbu~")) {
                    Some(user) => {
                        let token = issue(&mut *s, "fbu", &user, 60 * day);
                        (200, json!({"access_token": token, "token_type": "bearer", "expires_in": 60 * day}))
                    }
                    None => meta_error("Error validating access token", 190),
                }
            } else {
                match redeem(&mut *s, "facebook") {
                    Ok(user) => {
                        let token = issue(&mut *s, "fbu", &user, 3600);
                        (200, json!({"access_token": token, "token_type": "bearer", "expires_in": 3600}))
                    }
                    Err(m) => meta_error(&format!("Invalid verification code format: {m}"), 100),
                }
            }
        }
        ("POST", "/oauth/access_token") => {
            let platform = if get("client_id") == INSTAGRAM_CLIENT_ID { "instagram" } else { "threads" };
            if (get("client_id"), get("client_secret")) != (client_of(platform).0.into(), client_of(platform).1.into())
                || get("grant_type") != "authorization_code"
            {
                return Some(meta_error("Invalid client_id or grant_type", 101));
            }
            match redeem(&mut *s, platform) {
                Ok(user) => {
                    let token = issue(&mut *s, "meta", &user, 3600);
                    if platform == "instagram" {
                        let id = format!("ig-{user}");
                        (
                            200,
                            json!({"data": [{"access_token": token, "user_id": id, "permissions": "instagram_business_basic,instagram_business_content_publish"}]}),
                        )
                    } else {
                        (200, json!({"access_token": token, "user_id": format!("th-{user}")}))
                    }
                }
                Err(m) => meta_error(&format!("Invalid authorization code: {m}"), 36007),
            }
        }
        ("GET", "/access_token") => {
            let platform = if get("grant_type") == "ig_exchange_token" { "instagram" } else { "threads" };
            if get("client_secret") != client_of(platform).1 || !get("grant_type").ends_with("_exchange_token") {
                return Some(meta_error("Invalid client_secret or grant_type", 101));
            }
            match live(&*s, &get("access_token")) {
                Some(user) => {
                    let life = lifetime(&*s, &user, 60 * day);
                    let token = issue(&mut *s, "meta", &user, life);
                    (200, json!({"access_token": token, "token_type": "bearer", "expires_in": life}))
                }
                None => meta_error("Error validating access token", 190),
            }
        }
        ("GET", "/refresh_access_token") => {
            if !matches!(get("grant_type").as_str(), "ig_refresh_token" | "th_refresh_token") {
                return Some(meta_error("Unsupported grant_type", 100));
            }
            match live(&*s, &get("access_token")) {
                Some(user) => {
                    s.refreshes += 1;
                    *s.refreshed.entry(user.clone()).or_default() += 1;
                    let life = lifetime(&*s, &user, 60 * day);
                    let token = issue(&mut *s, "meta", &user, life);
                    (200, json!({"access_token": token, "token_type": "bearer", "expires_in": life}))
                }
                None => meta_error("Error validating access token", 190),
            }
        }
        _ => return None,
    };
    Some(answer)
}

/// Records a post of `owner` (a page, an Instagram or Threads user, a TikTok user) unless a fault
/// aimed at its text says otherwise; answers the id, or the status and body to answer instead.
fn create_post(state: &Arc<Mutex<XState>>, owner: &str, text: &str) -> Result<String, (u16, Value)> {
    let mut s = state.lock().unwrap();
    let fault = s.faults.iter().position(|(m, _)| text.contains(m.as_str())).map(|i| s.faults.remove(i).1);
    match fault {
        Some(Fault::UnavailableBefore) => {
            return Err((503, json!({"error": {"message": "Service unavailable", "code": 2}})))
        }
        Some(Fault::Unprocessable) => {
            return Err((400, json!({"error": {"message": "(#506) Duplicate status message", "code": 506}})));
        }
        _ => {}
    }
    s.counter += 1;
    let id = format!("{}", 8_800_000 + s.counter);
    s.tweets.push(Tweet { id: id.clone(), user: owner.to_string(), text: text.to_string() });
    if fault == Some(Fault::ErrorAfter) {
        return Err((
            500,
            json!({"error": {"message": "An unexpected error has occurred.", "code": 1, "is_transient": true}}),
        ));
    }
    Ok(id)
}

fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let marker = format!("name=\"{name}\"\r\n\r\n");
    let start = text.find(&marker)? + marker.len();
    let end = text[start..].find("\r\n--")? + start;
    Some(text[start..end].to_string())
}

async fn serve_meta(
    stream: &mut TcpStream,
    state: &Arc<Mutex<XState>>,
    req: &Incoming,
    path: &str,
    user: &str,
) -> Option<()> {
    let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    if let Err(why) = pull(state, &media_urls(&input)).await {
        let v = json!({"error": {"message": format!("Media download has failed: {why}"), "code": 9004, "error_subcode": 2207052}});
        respond(stream, 400, &[], &v).await;
        return Some(());
    }
    let page = format!("page-{user}");
    let page2 = format!("page2-{user}");
    let ig = format!("ig-{user}");
    let th = format!("th-{user}");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let answer = |r: Result<String, (u16, Value)>, ok: &dyn Fn(String) -> Value| match r {
        Ok(id) => (200, ok(id)),
        Err(e) => e,
    };
    let (status, body) = match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["v1.0", "me"]) => (200, json!({"id": th, "username": format!("{user}.threads")})),
        // Instagram Login's profile: `user_id` is the professional account, `id` app-scoped.
        ("GET", ["v23.0", "me"]) => {
            (200, json!({"id": format!("app-{user}"), "user_id": ig, "username": format!("{user}.ig"), "name": user}))
        }
        ("GET", ["v23.0", id]) if *id == page => (200, json!({"id": page, "name": format!("Page of {user}")})),
        ("GET", ["v23.0", id]) if *id == ig => (200, json!({"id": ig, "username": format!("{user}.ig")})),
        ("POST", ["v23.0", id, "feed"]) if *id == page || *id == page2 => {
            let text = input["message"].as_str().unwrap_or_default();
            answer(create_post(state, id, text), &|n| json!({"id": format!("{id}_{n}")}))
        }
        ("POST", ["v23.0", id, "photos"]) if *id == page => {
            let text = multipart_field(&req.body, "caption").unwrap_or_default();
            assert!(multipart_field(&req.body, "published").as_deref() == Some("true"));
            answer(
                create_post(state, &page, &text),
                &|n| json!({"id": format!("photo{n}"), "post_id": format!("{page}_{n}")}),
            )
        }
        ("POST", ["v23.0", id, "media"]) if *id == ig => {
            if input["image_url"].as_str().is_none_or(|u| !u.starts_with("http")) {
                (400, json!({"error": {"message": "image_url is required", "code": 100}}))
            } else {
                let mut s = state.lock().unwrap();
                s.counter += 1;
                let container = format!("container-{}", s.counter);
                s.codes.insert(
                    container.clone(),
                    (input["caption"].as_str().unwrap_or_default().to_string(), String::new(), ig.clone()),
                );
                (200, json!({"id": container}))
            }
        }
        ("POST", ["v1.0", id, "threads"]) if *id == th => {
            let mut s = state.lock().unwrap();
            s.counter += 1;
            let container = format!("container-{}", s.counter);
            s.codes.insert(
                container.clone(),
                (input["text"].as_str().unwrap_or_default().to_string(), String::new(), th.clone()),
            );
            (200, json!({"id": container}))
        }
        ("GET", [_, container]) if container.starts_with("container-") => {
            // Processing once, then finished.
            let mut s = state.lock().unwrap();
            let polled = s.counter % 2 == 0;
            s.counter += 1;
            (200, json!({"id": container, "status_code": if polled { "FINISHED" } else { "IN_PROGRESS" }}))
        }
        ("POST", [_, id, "media_publish" | "threads_publish"]) if *id == ig || *id == th => {
            let container = input["creation_id"].as_str().unwrap_or_default().to_string();
            let caption = state.lock().unwrap().codes.remove(&container).map(|c| c.0);
            match caption {
                Some(text) => answer(create_post(state, id, &text), &|n| json!({"id": n})),
                None => (400, json!({"error": {"message": "Media ID is not available", "code": 9007}})),
            }
        }
        ("GET", [_, id, "feed" | "media" | "threads"]) => {
            let field = match parts[2] {
                "feed" => "message",
                "media" => "caption",
                _ => "text",
            };
            let s = state.lock().unwrap();
            let list: Vec<Value> =
                s.tweets.iter().filter(|t| t.user == *id).rev().map(|t| json!({"id": t.id, field: t.text})).collect();
            (200, json!({"data": list}))
        }
        _ => (404, json!({"error": {"message": format!("Unknown path {path}"), "code": 803}})),
    };
    respond(stream, status, &[], &body).await;
    Some(())
}

async fn serve_tiktok(
    stream: &mut TcpStream,
    state: &Arc<Mutex<XState>>,
    req: &Incoming,
    path: &str,
    user: &str,
) -> Option<()> {
    let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let ok = json!({"code": "ok", "message": "", "log_id": "fake"});
    if let Err(why) = pull(state, &media_urls(&input)).await {
        let v = json!({"error": {"code": "invalid_params", "message": format!("media could not be downloaded: {why}"), "log_id": "fake"}});
        respond(stream, 400, &[], &v).await;
        return Some(());
    }
    let open_id = format!("tt-{user}");
    let (status, body) = match (req.method.as_str(), path) {
        ("GET", "/v2/user/info/") => (
            200,
            json!({"data": {"user": {"open_id": open_id, "display_name": format!("{user} on TikTok")}}, "error": ok}),
        ),
        ("POST", "/v2/post/publish/content/init/") | ("POST", "/v2/post/publish/video/init/") => {
            let urls = input["source_info"]["photo_images"].as_array().cloned().unwrap_or_default();
            let pulls = input["source_info"]["source"] == "PULL_FROM_URL"
                && (urls.iter().all(|u| u.as_str().is_some_and(|u| u.starts_with("http")))
                    || input["source_info"]["video_url"].is_string());
            if !pulls || input["post_info"]["privacy_level"].as_str().is_none() {
                (
                    400,
                    json!({"error": {"code": "invalid_params", "message": "source_info and privacy_level are required"}}),
                )
            } else {
                let text = input["post_info"]["description"]
                    .as_str()
                    .or(input["post_info"]["title"].as_str())
                    .unwrap_or_default()
                    .to_string();
                let mut s = state.lock().unwrap();
                s.counter += 1;
                let publish_id = format!("p_pub_url~v2.{}", s.counter);
                s.codes.insert(publish_id.clone(), (text, "0".into(), open_id.clone()));
                (200, json!({"data": {"publish_id": publish_id}, "error": ok}))
            }
        }
        ("POST", "/v2/post/publish/status/fetch/") => {
            let id = input["publish_id"].as_str().unwrap_or_default().to_string();
            let entry = state.lock().unwrap().codes.get(&id).cloned();
            match entry {
                // Downloading on the first two reads, then posted once.
                Some((text, polls, owner)) if polls.parse::<u32>().unwrap_or(0) < 2 => {
                    let next = polls.parse::<u32>().unwrap_or(0) + 1;
                    state.lock().unwrap().codes.insert(id.clone(), (text, next.to_string(), owner));
                    (200, json!({"data": {"status": "PROCESSING_DOWNLOAD"}, "error": ok}))
                }
                Some((text, polls, owner)) if polls != "done" => {
                    let posted = create_post(state, &owner, &text);
                    state.lock().unwrap().codes.insert(id.clone(), (text, "done".into(), owner));
                    match posted {
                        Ok(n) => (
                            200,
                            json!({"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [n.parse::<u64>().unwrap_or(0)]}, "error": ok}),
                        ),
                        Err(_) => (
                            200,
                            json!({"data": {"status": "FAILED", "fail_reason": "spam_risk_too_many_posts"}, "error": ok}),
                        ),
                    }
                }
                Some((_, _, owner)) => {
                    let s = state.lock().unwrap();
                    let n = s.tweets.iter().rev().find(|t| t.user == owner).map(|t| t.id.clone()).unwrap_or_default();
                    (
                        200,
                        json!({"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [n.parse::<u64>().unwrap_or(0)]}, "error": ok}),
                    )
                }
                None => (400, json!({"error": {"code": "invalid_publish_id", "message": "unknown publish_id"}})),
            }
        }
        _ => (404, json!({"error": {"code": "not_found", "message": path}})),
    };
    respond(stream, status, &[], &body).await;
    Some(())
}
