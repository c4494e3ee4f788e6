//! The app: puts the areas together. A runtime turns its request into a [`Request`], calls
//! [`handle`] with its adapters in a [`Context`], and sends back the [`Response`]. Routing,
//! authorization, rate limits, idempotency, CORS, security headers, dispatch to the areas'
//! handlers and the OpenAPI document live here; the kit (`crate::api`) and the areas never
//! import this module.

pub mod access;
mod cors;
#[cfg(any(test, feature = "openapi"))]
pub mod documented;
pub mod idempotency;
pub mod limits;
pub mod openapi;
pub mod routes;

use crate::api::{json, percent_decode, Context, Request, Response};
use crate::error::AppError;

/// Serves one request with every area of this build. Never panics on input and never lets an
/// internal cause out.
pub async fn handle(ctx: &Context<'_>, req: Request) -> Response {
    handle_with(ctx, req, routes::AREAS).await
}

/// Serves one request with the routes of `areas` only: a host that serves a part of the API
/// (one Spin component per area) names its part, and the handlers of the others are left out
/// of its build.
pub async fn handle_with(ctx: &Context<'_>, req: Request, areas: &'static [routes::Area]) -> Response {
    let started = ctx.clock.now_ms();
    let counted = crate::sql::Counted::new(ctx.db);
    let request_id = request_id(&req, || format!("req_{}", ctx.new_id()));
    let origin = req.header("origin").map(str::to_string);
    // A streamed answer (only the AI area streams) carries what every answer does.
    #[cfg(feature = "ai")]
    let finishing = ctx.sink.map(|inner| Finishing {
        inner,
        request_id: request_id.clone(),
        origin: origin.clone(),
        config: ctx.config,
    });
    #[cfg(feature = "ai")]
    let sink = finishing.as_ref().map(|f| f as &dyn crate::ports::Sink);
    #[cfg(not(feature = "ai"))]
    let sink = ctx.sink;
    let ctx = &Context { db: &counted, sink, ..*ctx };
    let mut seen = Seen::default();
    let mut response = if req.method == "OPTIONS" {
        cors::preflight(ctx.config, &req)
    } else {
        match serve(ctx, &req, areas, &mut seen).await {
            Ok(r) => r,
            Err(err) => error_response(&err, &request_id, Some(&req)),
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
        db_round_trips = counted.trips(),
        request_id = %request_id,
        workspace = %seen.workspace.as_deref().unwrap_or("-"),
        "request"
    );
    response.headers.push((ROUND_TRIPS_HEADER.into(), counted.trips().to_string()));
    finish(&mut response, request_id);
    cors::decorate(ctx.config, origin.as_deref(), &mut response);
    response
}

/// How many round trips to the database serving the request took (each route has a budget of
/// them: `Route::trips`).
pub const ROUND_TRIPS_HEADER: &str = "x-db-round-trips";

/// The header a client sends back with the bookmark of its last answer (the Worker over D1).
pub const BOOKMARK_HEADER: &str = "x-d1-bookmark";

/// Whether `b` is a D1 session bookmark as D1 writes them (four groups of hexadecimal digits,
/// 8-8-8-32): anything else in `x-d1-bookmark` is refused (400) on every host.
pub fn is_d1_bookmark(b: &str) -> bool {
    let groups: Vec<&str> = b.split('-').collect();
    groups.len() == 4
        && groups.iter().zip([8, 8, 8, 32]).all(|(g, n)| g.len() == n && g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// What every answer carries, also those a runtime gives outside [`handle`] (a shell's own
/// routes, a server that is not configured): its request id, `no-store` unless the answer chose
/// otherwise (answers carry tenants' data and tokens), and the security headers.
pub fn finish(response: &mut Response, request_id: String) {
    response.headers.push(("x-request-id".into(), request_id));
    if response.header("cache-control").is_none() {
        response.headers.push(("cache-control".into(), "no-store".into()));
    }
    security_headers(response);
}

/// The host's sink, giving a streamed answer's head what [`handle_with`] gives every answer:
/// its request id, the security headers and CORS.
#[cfg(feature = "ai")]
struct Finishing<'a> {
    inner: &'a dyn crate::ports::Sink,
    request_id: String,
    origin: Option<String>,
    config: &'a crate::ports::Config,
}

#[cfg(feature = "ai")]
impl crate::ports::Sink for Finishing<'_> {
    fn open(&self, status: u16, headers: Vec<(String, String)>) {
        let mut head = Response { status, headers, body: Vec::new() };
        finish(&mut head, self.request_id.clone());
        cors::decorate(self.config, self.origin.as_deref(), &mut head);
        self.inner.open(head.status, head.headers);
    }

    fn send(&self, chunk: Vec<u8>) -> bool {
        self.inner.send(chunk)
    }
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

async fn serve(
    ctx: &Context<'_>,
    req: &Request,
    areas: &'static [routes::Area],
    seen: &mut Seen,
) -> Result<Response, AppError> {
    let (route, params) = routes::find_in(ctx.config, areas, &req.method, &req.path)?;
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
            // A key is reserved, or its answer replayed, only for a caller admitted first.
            if call.route.folds_membership {
                access::admit(ctx, &call).await?;
            }
            return idempotency::replay_or_run(ctx, &call, key).await;
        }
    }
    (call.route.handler)(ctx, &call).await
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
    // A D1 bookmark is D1's own text, handed out by an earlier answer, or nothing (an empty
    // header is nothing: a client without a bookmark yet), on every host.
    if req.header(BOOKMARK_HEADER).map(str::trim).is_some_and(|b| !b.is_empty() && !is_d1_bookmark(b)) {
        return Err(AppError::field(
            format!("header {BOOKMARK_HEADER}"),
            "must be a bookmark as an earlier answer gave it (four groups of 8, 8, 8 and 32 hexadecimal digits)",
        ));
    }
    Ok(())
}

/// The envelope of `err`; an internal cause goes to the log with the request id (and the
/// request's method and path when there is one), never out.
pub fn error_response(err: &AppError, request_id: &str, req: Option<&Request>) -> Response {
    if let AppError::Internal(cause) | AppError::ExternalApi(cause) = err {
        match req {
            Some(req) => tracing::error!(request_id, method = %req.method, path = %req.path, %cause, "request failed"),
            None => tracing::error!(request_id, %cause, "request failed"),
        }
    }
    let response = json::to_response(err.status(), &err.envelope(request_id));
    match err {
        AppError::MethodNotAllowed(allow) => response.with_header("allow", allow.as_str()),
        _ => response,
    }
}

/// The caller's `X-Request-Id` when it is sane, else `fresh()` (a UUIDv7, SPEC PL-7).
pub fn request_id(req: &Request, fresh: impl FnOnce() -> String) -> String {
    match req.header("x-request-id") {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            id.to_string()
        }
        _ => fresh(),
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
    fn d1_bookmarks_are_four_groups_of_hex_digits() {
        assert!(is_d1_bookmark("00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683"));
        for bad in [
            "",
            "0-0",
            "first-primary",
            "first-unconstrained",
            "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf89168",
            "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683-0",
            "0000008g-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683",
        ] {
            assert!(!is_d1_bookmark(bad), "{bad}");
        }
    }
}
