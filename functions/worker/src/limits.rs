//! Inbound rate limits on Cloudflare. Each policy is enforced by the ratelimit binding named
//! after it, `LIMIT_<requests>_PER_<seconds>` (declared in wrangler.toml), so a binding cannot
//! disagree with the policy the headers announce. The binding only answers allowed or not: the
//! remaining count comes from this isolate's own counts, a lower bound of the binding's. A policy
//! without a binding (or with a period the binding does not take: only 10 and 60) is counted in
//! the isolate alone, which is exact under `wrangler dev` (one isolate) but per isolate in
//! production: declare the binding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;

use herald::ratelimit::{Decision, MemoryRateLimiter, Policy, RateLimiter};
use worker::Env;

/// This isolate's counts, kept between requests.
static LOCAL: LazyLock<MemoryRateLimiter> = LazyLock::new(MemoryRateLimiter::new);

static WARNED: AtomicBool = AtomicBool::new(false);

pub struct WorkerLimiter {
    pub env: Env,
}

/// The binding that enforces `policy`.
pub fn binding_name(policy: Policy) -> String {
    format!("LIMIT_{}_PER_{}", policy.limit, policy.window_secs)
}

#[async_trait::async_trait(?Send)]
impl RateLimiter for WorkerLimiter {
    async fn check(&self, key: &str, policy: Policy, now_ms: i64) -> Result<Decision, String> {
        let local = LOCAL.check_now(key, policy, now_ms);
        let name = binding_name(policy);
        let Ok(binding) = self.env.rate_limiter(&name) else {
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!("no ratelimit binding {name}: this policy is counted per isolate only");
            }
            return Ok(local);
        };
        let outcome = binding.limit(key.to_string()).await.map_err(|e| format!("{name}: {e}"))?;
        Ok(Decision { allowed: outcome.success, remaining: if outcome.success { local.remaining } else { 0 }, ..local })
    }
}
