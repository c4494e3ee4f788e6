//! Inbound rate limits (SPEC PL-5): the port a host's counter store sits behind, the policies
//! read from the configuration, and the fixed-window arithmetic every store shares. Which
//! routes count against which policy is the API's business (`app::limits`).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

/// At most `limit` requests per `window_secs` seconds, per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window_secs: u32,
}

impl Policy {
    /// `"10/60"`: ten requests a minute. `"off"` (or `"none"`) disables the class: `Ok(None)`.
    pub fn parse(text: &str) -> Result<Option<Policy>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let (limit, window) = text.split_once('/').ok_or_else(|| format!("`{text}` is not <requests>/<seconds>"))?;
        let limit = limit.trim().parse::<u32>().ok().filter(|l| *l > 0);
        let window = window.trim().parse::<u32>().ok().filter(|w| (1..=86_400).contains(w));
        match (limit, window) {
            (Some(limit), Some(window_secs)) => Ok(Some(Policy { limit, window_secs })),
            _ => Err(format!("`{text}` is not <requests ≥ 1>/<seconds, 1 to 86400>")),
        }
    }

    /// The window `now_ms` falls in (windows are aligned on the epoch, as Cloudflare's local
    /// binding aligns them) and the whole seconds until it ends, at least one.
    pub fn window_at(&self, now_ms: i64) -> (i64, u32) {
        let width = i64::from(self.window_secs.max(1)) * 1000;
        let index = now_ms.div_euclid(width);
        let left_ms = (index + 1) * width - now_ms;
        (index, u32::try_from((left_ms + 999) / 1000).unwrap_or(self.window_secs).max(1))
    }
}

/// The policy of each class of route (`RATE_LIMIT_AUTH`, `RATE_LIMIT_USER`, `RATE_LIMIT_PUBLIC`);
/// `None` switches a class off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-up, login, refresh, invitation accept, review-link decisions: per client address.
    pub auth: Option<Policy>,
    /// Every route a signed-in user calls: per user.
    pub user: Option<Policy>,
    /// The other public routes (the review page, media links, logout…): per client address.
    pub public: Option<Policy>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth: Some(Policy { limit: 10, window_secs: 60 }),
            user: Some(Policy { limit: 100, window_secs: 60 }),
            public: Some(Policy { limit: 100, window_secs: 60 }),
        }
    }
}

impl RateLimits {
    /// Reads the settings through `get` (unset or empty: the default stays); answers what was
    /// unusable, which keeps its default.
    pub fn read(&mut self, get: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, slot) in [
            ("RATE_LIMIT_AUTH", &mut self.auth),
            ("RATE_LIMIT_USER", &mut self.user),
            ("RATE_LIMIT_PUBLIC", &mut self.public),
        ] {
            let Some(text) = get(name).filter(|t| !t.trim().is_empty()) else { continue };
            match Policy::parse(&text) {
                Ok(policy) => *slot = policy,
                Err(e) => problems.push(format!("{name}: {e}; the default applies")),
            }
        }
        problems
    }
}

/// What a store answers for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in this window after this one.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u32,
}

/// A counter store. `check` counts one request against `key` when `policy` still allows it,
/// and says where the key stands. Refused requests are not counted.
#[async_trait(?Send)]
pub trait RateLimiter {
    async fn check(&self, key: &str, policy: Policy, now_ms: i64) -> Result<Decision, String>;
}

/// Counts nothing and allows everything (tools that serve no public traffic).
pub struct Unlimited;

#[async_trait(?Send)]
impl RateLimiter for Unlimited {
    async fn check(&self, _key: &str, policy: Policy, now_ms: i64) -> Result<Decision, String> {
        let (_, reset_secs) = policy.window_at(now_ms);
        Ok(Decision { allowed: true, limit: policy.limit, remaining: policy.limit, reset_secs })
    }
}

/// One key's count in one window, as stores keep it: `count` requests in window `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub window: i64,
    pub count: u32,
}

impl Window {
    /// `"window:count"`, as the key-value store on Spin keeps it.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.window, self.count)
    }

    pub fn decode(text: &str) -> Option<Window> {
        let (window, count) = text.split_once(':')?;
        Some(Window { window: window.parse().ok()?, count: count.parse().ok()? })
    }
}

/// The fixed-window step every store takes: given what is stored for the key (if anything),
/// the decision and what to store next (`None`: leave it, the request was refused).
pub fn step(stored: Option<Window>, policy: Policy, now_ms: i64) -> (Decision, Option<Window>) {
    let (window, reset_secs) = policy.window_at(now_ms);
    let count = stored.filter(|s| s.window == window).map_or(0, |s| s.count);
    if count >= policy.limit {
        return (Decision { allowed: false, limit: policy.limit, remaining: 0, reset_secs }, None);
    }
    let next = Window { window, count: count + 1 };
    (Decision { allowed: true, limit: policy.limit, remaining: policy.limit - next.count, reset_secs }, Some(next))
}

/// Fixed windows in this process's memory: the in-process host's store, and the Worker's for a
/// policy without a binding (exact within one isolate).
#[derive(Default)]
pub struct MemoryRateLimiter {
    /// Each key's window and when that window ends (ms).
    counts: Mutex<HashMap<String, (Window, i64)>>,
}

/// Past this many keys, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The check without the async wrapper.
    pub fn check_now(&self, key: &str, policy: Policy, now_ms: i64) -> Decision {
        // A poisoned lock only means another request panicked mid-update: the counts stay usable.
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (decision, next) = step(counts.get(key).map(|(w, _)| *w), policy, now_ms);
        if let Some(next) = next {
            if counts.len() >= PRUNE_ABOVE && !counts.contains_key(key) {
                counts.retain(|_, (_, ends_ms)| *ends_ms > now_ms);
            }
            let ends_ms = (next.window + 1) * i64::from(policy.window_secs.max(1)) * 1000;
            counts.insert(key.to_string(), (next, ends_ms));
        }
        decision
    }
}

#[async_trait(?Send)]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, policy: Policy, now_ms: i64) -> Result<Decision, String> {
        Ok(self.check_now(key, policy, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Policy = Policy { limit: 3, window_secs: 60 };

    #[test]
    fn policies_parse_and_refuse_nonsense() {
        assert_eq!(Policy::parse(" 10/60 "), Ok(Some(Policy { limit: 10, window_secs: 60 })));
        assert_eq!(Policy::parse("off"), Ok(None));
        for bad in ["", "10", "0/60", "10/0", "ten/60", "10/-1", "10/100000"] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_request_past_the_limit_is_refused_until_the_window_ends() {
        let store = MemoryRateLimiter::new();
        let t0 = 28_333_334 * 60_000 + 40_000; // 40 s into a minute
        let seen: Vec<(bool, u32)> =
            (0..4).map(|_| store.check_now("k", MINUTE, t0)).map(|d| (d.allowed, d.remaining)).collect();
        assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0)]);
        assert_eq!(store.check_now("k", MINUTE, t0).reset_secs, 20);
        assert!(store.check_now("other", MINUTE, t0).allowed, "keys are counted apart");
        assert!(store.check_now("k", MINUTE, t0 + 20_000).allowed, "a new window starts afresh");
    }

    #[test]
    fn reset_is_whole_seconds_and_never_zero() {
        assert_eq!(MINUTE.window_at(59_999).1, 1);
        assert_eq!(MINUTE.window_at(60_000).1, 60);
        assert_eq!(MINUTE.window_at(60_001).1, 60);
    }

    #[test]
    fn stored_windows_round_trip() {
        let w = Window { window: 28_333_334, count: 7 };
        assert_eq!(Window::decode(&w.encode()), Some(w));
        assert_eq!(Window::decode("garbage"), None);
    }
}
