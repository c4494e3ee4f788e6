//! The request kit every area builds on, independent of any server: the [`Context`] of adapters,
//! the [`Request`] and [`Response`], the [`Call`] a handler receives, JSON bodies and the
//! envelope, paging, the permission table, and what the OpenAPI document says of inputs. It
//! imports no area and no part of the app (`crate::app`), which routes requests to the areas.

mod call;
pub mod documented;
pub mod json;
pub mod paging;
pub mod permissions;
pub mod route;
pub mod store;
pub mod stream;

use crate::error::AppError;
use crate::ports::{Clock, Config, Mail, PasswordHasher, Random, Sql};
pub use call::{Call, Caller, Member};

pub use json::Envelope;

/// How long an Idempotency-Key's answer is kept (a day), and replayed to the same caller.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

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
    /// Where an answer streamed as it is made goes (server-sent events), on a host that can.
    pub sink: Option<&'a dyn crate::ports::Sink>,
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
        new_id(self.clock, self.random)
    }
}

/// A fresh id (UUIDv7, increasing within the process) from the clock and random ports; shells
/// use it for the request ids of answers they give outside `app::handle`.
pub fn new_id(clock: &dyn Clock, random: &dyn Random) -> String {
    let (ms, counter) = next_tick(u64::try_from(clock.now_ms()).unwrap_or(0));
    let mut rand: [u8; 10] = random.bytes();
    // The first 12 bits become rand_a: the counter.
    rand[0] = (counter >> 8) as u8 & 0x0F;
    rand[1] = counter as u8;
    uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid().to_string()
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

/// Compares secrets without an early exit that would time the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
