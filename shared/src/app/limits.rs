//! Which routes count against which rate limit, under which key, and the headers that say where
//! the caller stands (SPEC PL-5; draft-ietf-httpapi-ratelimit-headers). Applied once per
//! request in `serve`, before authorization's database work and before any handler, so a
//! refused call costs a counter lookup and nothing else.

use super::access;
use super::routes::{Access, Route, RouteId};
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
        use RouteId::*;
        match route.id {
            Signup
            | Login
            | Refresh
            | VerifyEmail
            | ForgotPassword
            | ResetPassword
            | ConfirmEmail
            | ChangePassword
            | ChangeEmail
            | AcceptInvite
            | ReviewApprove
            | ReviewRequestChanges
            | ReviewIdeaApprove
            | ReviewIdeaRequestChanges => Some(Class::Auth),
            Health | Tick | DevMailbox => None,
            _ => match route.access {
                Access::Public => Some(Class::Public),
                Access::User | Access::Workspace(_) => Some(Class::User),
                Access::Development | Access::Scheduler => None,
            },
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
    use crate::app::routes::ROUTES;

    fn class(id: RouteId) -> Option<Class> {
        ROUTES.iter().find(|r| r.id == id).and_then(Class::of)
    }

    #[test]
    fn guessing_routes_are_limited_per_address_and_the_rest_per_caller() {
        for id in [RouteId::Signup, RouteId::Login, RouteId::Refresh, RouteId::AcceptInvite, RouteId::ReviewApprove] {
            assert_eq!(class(id), Some(Class::Auth), "{id:?}");
        }
        assert_eq!(class(RouteId::ListWorkspaces), Some(Class::User));
        assert_eq!(class(RouteId::CreatePost), Some(Class::User));
        assert_eq!(class(RouteId::ReviewPage), Some(Class::Public));
        assert_eq!(class(RouteId::Health), None);
        assert_eq!(class(RouteId::Tick), None);
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
