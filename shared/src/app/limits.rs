//! Which routes count against which rate limit, under which key, and the headers that say where
//! the caller stands (SPEC PL-5; draft-ietf-httpapi-ratelimit-headers). Applied once per
//! request in `serve`, before authorization's database work and before any handler, so a
//! refused call costs a counter lookup and nothing else.

use super::access;
use crate::api::route::{Access, Limit, Route};
use crate::api::{Context, Request, Response};
use crate::ratelimit::{Decision, Policy, RateLimits};

/// A class of route: one policy, one way of naming the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Where a password, a refresh token or an invitation or review token is tried: guessing is
    /// the attack, so per client address whatever the account.
    Auth,
    /// Signed-in calls: per user, wherever they come from.
    User,
    /// The other public routes: per client address.
    Public,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Auth => "auth",
            Class::User => "user",
            Class::Public => "public",
        }
    }

    pub fn policy(self, limits: &RateLimits) -> Option<Policy> {
        match self {
            Class::Auth => limits.auth,
            Class::User => limits.user,
            Class::Public => limits.public,
        }
    }

    /// The class of `route`; `None` for routes no client calls in bulk or that have their own
    /// guard: the health check (load balancers), the scheduler's tick (a secret), the
    /// development mailbox.
    pub fn of(route: &Route) -> Option<Class> {
        match (route.limit, route.access) {
            (Limit::None, _) | (_, Access::Development | Access::Scheduler) => None,
            (Limit::Credential, _) => Some(Class::Auth),
            (Limit::ByAccess, Access::Public) => Some(Class::Public),
            (Limit::ByAccess, Access::User | Access::Workspace(_)) => Some(Class::User),
        }
    }
}

/// The limit a request was checked against, for its response's headers.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    pub class: Class,
    pub window_secs: u32,
    pub decision: Decision,
}

/// Counts the request against its route's class. `None` when the route has no class, its class
/// is switched off, or the store failed (logged: an unreachable store must not take the API
/// down with it).
pub async fn check(ctx: &Context<'_>, req: &Request, route: &Route) -> Option<Applied> {
    let class = Class::of(route)?;
    let policy = class.policy(&ctx.config.rate_limits)?;
    let key = key(ctx, req, class);
    match ctx.limiter.check(&key, policy, ctx.clock.now_ms()).await {
        Ok(decision) => Some(Applied { class, window_secs: policy.window_secs, decision }),
        Err(cause) => {
            tracing::error!(class = class.name(), %cause, "the rate limiter failed; the request is let through");
            None
        }
    }
}

/// The caller as the class counts it. Without a trusted address header every caller shares
/// one address (`unknown`): limited together rather than not at all.
fn key(ctx: &Context<'_>, req: &Request, class: Class) -> String {
    let ip = || {
        let ip = req.client_ip(ctx.config).unwrap_or_default();
        let ip: String = ip.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect();
        if ip.is_empty() {
            "unknown".to_string()
        } else {
            ip
        }
    };
    match class {
        // A request without a valid token is not anybody's: it counts against its address.
        Class::User => match access::authenticate(ctx, req) {
            Ok(caller) => format!("user:{}", caller.user_id),
            Err(_) => format!("user:ip:{}", ip()),
        },
        Class::Auth | Class::Public => format!("{}:ip:{}", class.name(), ip()),
    }
}

/// `RateLimit-Policy` and `RateLimit` on every answer of a limited route, and `Retry-After` on
/// a refusal (the same instant as the reset).
pub fn decorate(response: &mut Response, applied: &Applied) {
    let Applied { class, window_secs, decision } = applied;
    let name = class.name();
    response.headers.push(("ratelimit-policy".into(), format!("\"{name}\";q={};w={window_secs}", decision.limit)));
    response
        .headers
        .push(("ratelimit".into(), format!("\"{name}\";r={};t={}", decision.remaining, decision.reset_secs)));
    if !decision.allowed {
        response.headers.push(("retry-after".into(), decision.reset_secs.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str) -> Option<Class> {
        crate::app::routes::all().find(|r| r.name == name).and_then(Class::of)
    }

    #[test]
    fn guessing_routes_are_limited_per_address_and_the_rest_per_caller() {
        for name in ["signup", "login", "refresh", "acceptInvite", "reviewApprove"] {
            assert_eq!(class(name), Some(Class::Auth), "{name}");
        }
        assert_eq!(class("listWorkspaces"), Some(Class::User));
        assert_eq!(class("createPost"), Some(Class::User));
        assert_eq!(class("reviewPage"), Some(Class::Public));
        assert_eq!(class("health"), None);
        assert_eq!(class("tick"), None);
    }

    #[test]
    fn headers_follow_the_draft() {
        let mut r = Response::empty(429);
        let decision = Decision { allowed: false, limit: 10, remaining: 0, reset_secs: 42 };
        decorate(&mut r, &Applied { class: Class::Auth, window_secs: 60, decision });
        assert_eq!(r.header("ratelimit-policy"), Some("\"auth\";q=10;w=60"));
        assert_eq!(r.header("ratelimit"), Some("\"auth\";r=0;t=42"));
        assert_eq!(r.header("retry-after"), Some("42"));
    }
}
