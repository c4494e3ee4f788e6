//! The HTTP API, independent of any server: a runtime turns its request into a [`Request`],
//! calls [`handle`] with its adapters in a [`Context`], and sends back the [`Response`].

mod access;
pub use access::Call;
mod cors;
mod dispatch;
pub mod documented;
mod idempotency;
pub mod json;
pub mod limits;
pub mod openapi;
pub mod paging;
pub mod routes;

use crate::error::AppError;
use crate::ports::{Clock, Config, Mail, PasswordHasher, Random, Sql};

pub use access::{Caller, Member};
pub use idempotency::TTL_MS as IDEMPOTENCY_TTL_MS;
pub use json::Envelope;

/// Every adapter a request may need, borrowed for the request's lifetime.
pub struct Context<'a> {
    pub db: &'a dyn Sql,
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub hasher: &'a dyn PasswordHasher,
    pub mail: &'a dyn Mail,
    /// Object storage for media.
    pub blobs: &'a dyn crate::ports::Blobs,
    /// Outbound HTTP: social platforms.
    pub http: &'a dyn crate::ports::Http,
    /// The publish queue.
    pub jobs: &'a dyn crate::ports::Jobs,
    /// The counters of inbound rate limits.
    pub limiter: &'a dyn crate::ports::RateLimiter,
    pub config: &'a Config,
}

/// The last (milliseconds << 12 | counter) handed out by [`Context::new_id`] in this process.
static LAST_ID_TICK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The next (milliseconds, counter) not before `now_ms`: within one millisecond the 12-bit
/// counter counts up, and when it runs out the time moves on by one (RFC 9562, method 1).
fn next_tick(now_ms: u64) -> (u64, u16) {
    use std::sync::atomic::Ordering;
    let mut last = LAST_ID_TICK.load(Ordering::Relaxed);
    loop {
        let next = (now_ms << 12).max(last + 1);
        match LAST_ID_TICK.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return (next >> 12, (next & 0xFFF) as u16),
            Err(seen) => last = seen,
        }
    }
}

impl Context<'_> {
    /// A new UUIDv7: time-ordered, and within one process strictly increasing even inside one
    /// millisecond, so ids sort by creation and suit cursors.
    pub fn new_id(&self) -> String {
        let (ms, counter) = next_tick(u64::try_from(self.clock.now_ms()).unwrap_or(0));
        let mut rand: [u8; 10] = self.random.bytes();
        // The first 12 bits become rand_a: the counter.
        rand[0] = (counter >> 8) as u8 & 0x0F;
        rand[1] = counter as u8;
        uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid().to_string()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        Self { method: method.to_ascii_uppercase(), path: path.into(), query: query.into(), ..Default::default() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A cookie's value from the `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The client's address, from the one header the configuration trusts (`None` without one):
    /// see [`Config::trusted_ip_header`].
    pub fn client_ip(&self, config: &Config) -> Option<String> {
        let value = self.header(config.trusted_ip_header.as_deref()?)?;
        let ip = value.rsplit(',').next().unwrap_or(value).trim();
        (!ip.is_empty()).then(|| ip.chars().take(64).collect())
    }

    /// A boolean query parameter: absent is false; `true` or `false` once, anything else is a
    /// field error (so `?mine=yes` is refused rather than read as false).
    pub fn query_flag(&self, name: &str) -> Result<bool, AppError> {
        let mut values = self
            .query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v));
        let first = values.next();
        if values.next().is_some() {
            return Err(AppError::field(name, "must be given once"));
        }
        match first.as_deref() {
            None => Ok(false),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(AppError::field(name, "must be true or false")),
        }
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    }
}

/// `%XX` and `+` decoded (query strings and form bodies).
pub(crate) fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self { status, headers: vec![("content-type".into(), content_type.into())], body }
    }

    pub fn empty(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Serves one request. Never panics on input and never lets an internal cause out.
pub async fn handle(ctx: &Context<'_>, req: Request) -> Response {
    let started = ctx.clock.now_ms();
    let request_id = request_id(ctx, &req);
    let origin = req.header("origin").map(str::to_string);
    let mut seen = Seen::default();
    let mut response = if req.method == "OPTIONS" {
        cors::preflight(ctx.config, &req)
    } else {
        match serve(ctx, &req, &mut seen).await {
            Ok(r) => r,
            Err(err) => error_response(&err, &request_id, &req),
        }
    };
    if let Some(applied) = &seen.limited {
        limits::decorate(&mut response, applied);
    }
    // One line per request (SPEC PL-7): the route's pattern, never the raw path (review and
    // media-link tokens live in paths), and never a body, a header or a secret.
    tracing::info!(
        method = %req.method,
        route = seen.route.unwrap_or("unmatched"),
        status = response.status,
        latency_ms = ctx.clock.now_ms().saturating_sub(started),
        request_id = %request_id,
        workspace = %seen.workspace.as_deref().unwrap_or("-"),
        "request"
    );
    response.headers.push(("x-request-id".into(), request_id));
    // Answers carry tenants' data and tokens: no cache, shared or private, keeps them, unless a
    // handler chose otherwise for its own answer.
    if response.header("cache-control").is_none() {
        response.headers.push(("cache-control".into(), "no-store".into()));
    }
    security_headers(&mut response);
    cors::decorate(ctx.config, origin.as_deref(), &mut response);
    response
}

/// What the request log may say about a request, as serving learns it.
#[derive(Default)]
struct Seen {
    route: Option<&'static str>,
    workspace: Option<String>,
    /// The rate limit the request was counted against, for the answer's headers whatever it
    /// turns out to be.
    limited: Option<limits::Applied>,
}

async fn serve(ctx: &Context<'_>, req: &Request, seen: &mut Seen) -> Result<Response, AppError> {
    let (route, params) = routes::find(ctx.config, &req.method, &req.path)?;
    seen.route = Some(route.path);
    seen.workspace = params.get("workspaceId").ok().map(str::to_string);
    seen.limited = limits::check(ctx, req, route).await;
    if let Some(applied) = seen.limited.as_ref().filter(|a| !a.decision.allowed) {
        return Err(AppError::RateLimited(format!(
            "too many requests; try again in {} seconds",
            applied.decision.reset_secs
        )));
    }
    check_text_inputs(req)?;
    let limit = routes::body_limit(ctx.config, route);
    let declared = req.header("content-length").and_then(|l| l.trim().parse::<usize>().ok());
    if req.body.len() > limit || declared.is_some_and(|l| l > limit) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    // A handle may serve many requests: nothing of the previous caller's scope survives.
    ctx.db.set_scope(crate::sql::Scope::default());
    let call = access::authorize(ctx, req, route, params).await?;
    if req.method == "POST" {
        if let Some(key) = req.header("idempotency-key") {
            return idempotency::replay_or_run(ctx, &call, key).await;
        }
    }
    dispatch::dispatch(ctx, &call).await
}

/// Every query parameter and header comes in as text without control characters (tab allowed
/// in headers), checked once here so that no database sees them (JSON bodies: `json::parse`;
/// path parameters: `routes::find`, which parses ids as ids).
fn check_text_inputs(req: &Request) -> Result<(), AppError> {
    let refused = |s: &str| s.chars().any(json::is_refused_char) || s.contains('\n');
    for pair in req.query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), percent_decode(value));
        if refused(&name) || refused(&value) {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(AppError::field(shown, "must not contain control characters"));
        }
    }
    for (name, value) in &req.headers {
        if value.chars().any(|c| c.is_control() && c != '\t') {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(AppError::field(format!("header {shown}"), "must not contain control characters"));
        }
    }
    Ok(())
}

fn error_response(err: &AppError, request_id: &str, req: &Request) -> Response {
    match err {
        AppError::Internal(cause) | AppError::ExternalApi(cause) => {
            tracing::error!(request_id, method = %req.method, path = %req.path, %cause, "request failed")
        }
        _ => {}
    }
    let response = json::to_response(err.status(), &err.envelope(request_id));
    match err {
        AppError::MethodNotAllowed(allow) => response.with_header("allow", allow.as_str()),
        _ => response,
    }
}

/// The caller's `X-Request-Id` when it is sane, a fresh UUIDv7 otherwise (SPEC PL-7).
fn request_id(ctx: &Context<'_>, req: &Request) -> String {
    match req.header("x-request-id") {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            id.to_string()
        }
        _ => format!("req_{}", ctx.new_id()),
    }
}

/// SPEC PL-6. The API serves JSON, so the policy forbids everything a page could load.
fn security_headers(r: &mut Response) {
    let csp = if r.header("content-type").is_some_and(|t| t.starts_with("text/html")) {
        // The review page: its own inline style, its media from this origin, forms only to itself.
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    for (k, v) in [
        ("content-security-policy", csp),
        ("strict-transport-security", "max-age=31536000; includeSubDomains"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        r.headers.push((k.into(), v.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_within_one_millisecond() {
        let ticks: Vec<(u64, u16)> = (0..5000).map(|_| next_tick(1_700_000_000_000)).collect();
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));
        let ids: Vec<String> = ticks
            .iter()
            .map(|(ms, c)| {
                let mut r = [0xFFu8; 10];
                r[0] = (c >> 8) as u8 & 0x0F;
                r[1] = *c as u8;
                uuid::Builder::from_unix_timestamp_millis(*ms, &r).into_uuid().to_string()
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "string order follows creation order");
    }

    #[test]
    fn query_params_are_decoded() {
        let r = Request::new("GET", "/x?to=a%40b.test&x=1+2&flag");
        assert_eq!(r.query_param("to").as_deref(), Some("a@b.test"));
        assert_eq!(r.query_param("x").as_deref(), Some("1 2"));
        assert_eq!(r.query_param("flag").as_deref(), Some(""));
        assert_eq!(r.query_param("none"), None);
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut r = Request::new("GET", "/");
        r.headers.push(("Cookie".into(), "a=1; herald_refresh=tok; b=2".into()));
        assert_eq!(r.cookie("herald_refresh"), Some("tok"));
        assert_eq!(r.cookie("c"), None);
    }
}
