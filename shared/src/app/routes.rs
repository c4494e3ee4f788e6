//! The router: the areas' route rows put together (SPEC PL-3 paths, IAM-9 access). Each row
//! is written once, by its area, with `route!`; the OpenAPI test checks the rows against the
//! document.

pub use crate::api::route::{is_id, Access, Area, Body, Limit, Params, Route};
use crate::error::AppError;
use crate::ports::{Config, Environment};
use crate::{activity, health, identity, mail, privacy};

/// Every area of this build, in the order a request is matched against their rows. A static,
/// not a const: a const's handler pointers are compiled again in every crate that uses it,
/// which put a second copy of every handler into the Worker.
pub static AREAS: &[Area] = &[
    health::AREA,
    // Cloudflare serves the document as a static asset (`public/`) before the Worker runs.
    #[cfg(not(feature = "document-asset"))]
    super::openapi::AREA,
    identity::AREA,
    privacy::AREA,
    privacy::FILES,
    activity::AREA,
    #[cfg(feature = "workspaces")]
    crate::workspaces::AREA,
    mail::AREA,
    #[cfg(feature = "maintenance")]
    crate::maintenance::AREA,
    #[cfg(feature = "agency")]
    crate::agency::AREA,
    #[cfg(feature = "workflows")]
    crate::workflows::AREA,
    #[cfg(feature = "content")]
    crate::content::AREA,
    #[cfg(feature = "media")]
    crate::media::AREA,
    #[cfg(feature = "approvals")]
    crate::approvals::AREA,
    // The API Worker hands collaboration's routes to the AI Worker.
    #[cfg(all(feature = "collab", not(feature = "collab-elsewhere")))]
    crate::collab::AREA,
    #[cfg(feature = "publishing")]
    crate::publishing::AREA,
    #[cfg(feature = "ai")]
    crate::ai::AREA,
];

/// Every route this build serves.
pub fn all() -> impl Iterator<Item = &'static Route> {
    AREAS.iter().flat_map(|area| area.routes.iter())
}

/// The largest body `route` accepts.
pub fn body_limit(config: &Config, route: &Route) -> usize {
    match route.body {
        Body::Json => config.max_body_bytes,
        Body::Large(limit) => limit.max(config.max_body_bytes),
        Body::Stream(limit) => limit,
    }
}

/// How a host reads a request's body before handing it to [`crate::handle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Read at most this many bytes (one more is enough for the domain to answer 413).
    Buffer(usize),
    /// Pass the stream on as it arrives (`Body::Stream`), up to this many bytes; never whole
    /// in memory.
    Stream(usize),
}

/// Looks the route up once for the host: its body mode, or the JSON limit when no route
/// matches (the domain then answers 404 or 405 without needing the body).
pub fn reading(config: &Config, method: &str, path: &str) -> Reading {
    reading_in(config, AREAS, method, path)
}

/// [`reading`] among the routes of `areas` (what [`crate::app::handle_with`] serves).
pub fn reading_in(config: &Config, areas: &'static [Area], method: &str, path: &str) -> Reading {
    match find_in(config, areas, method, path) {
        Ok((Route { body: Body::Stream(limit), .. }, _)) => Reading::Stream(*limit),
        Ok((route, _)) => Reading::Buffer(body_limit(config, route)),
        Err(_) => Reading::Buffer(config.max_body_bytes),
    }
}

/// Finds the route for a request: 404 when no path matches, 405 (with the methods the path
/// has) when the path exists under other methods, 400 when an id in the path is not an id.
pub fn find(config: &Config, method: &str, path: &str) -> Result<(&'static Route, Params), AppError> {
    find_in(config, AREAS, method, path)
}

/// [`find`] among the routes of `areas`.
pub fn find_in(
    config: &Config,
    areas: &'static [Area],
    method: &str,
    path: &str,
) -> Result<(&'static Route, Params), AppError> {
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    // Methods the path takes where its ids are ids, and where they are not: `PATCH
    // /posts/import` is a 405 (the literal path takes POST), not a malformed `postId`.
    let (mut allowed, mut allowed_any, mut bad_id) = (Vec::new(), Vec::new(), None);
    for route in areas.iter().flat_map(|area| area.routes.iter()) {
        if route.access == Access::Development && config.environment != Environment::Development {
            continue;
        }
        if route.access == Access::Scheduler && config.tick_secret.is_none() {
            continue;
        }
        if let Some(params) = matches(route.path, path) {
            let ids = params.check_ids();
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                match ids {
                    Ok(()) => return Ok((route, params)),
                    Err(e) => {
                        bad_id.get_or_insert(e);
                        continue;
                    }
                }
            }
            allowed_any.push(route.method);
            if ids.is_ok() {
                allowed.push(route.method);
            }
        }
    }
    let allowed = match (allowed.is_empty(), bad_id) {
        (false, _) => allowed,
        (true, Some(e)) => return Err(e),
        (true, None) if !allowed_any.is_empty() => allowed_any,
        (true, None) => return Err(AppError::NotFound(format!("no route for {method} {path}"))),
    };
    let mut allowed: Vec<&'static str> = allowed;
    allowed.dedup();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    allowed.push("OPTIONS");
    Err(AppError::MethodNotAllowed(allowed.join(", ")))
}

fn matches(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name, g.to_string()));
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(env: Environment) -> Config {
        Config::new(env, b"k".to_vec())
    }

    /// D1 allows one Worker invocation 50 queries on the free plan (1,000 on the paid one); a
    /// route's budget of round trips stays inside it, whatever the data. Only the scheduler's
    /// tick, which runs where there is no such limit, works through all that is due.
    #[test]
    fn every_routes_round_trips_fit_in_one_d1_invocation() {
        const D1_FREE_QUERIES_PER_INVOCATION: u8 = 50;
        let over: Vec<_> = AREAS
            .iter()
            .flat_map(|a| a.routes)
            .filter(|r| r.access != Access::Scheduler && r.trips > D1_FREE_QUERIES_PER_INVOCATION)
            .collect();
        assert!(over.is_empty(), "{over:?}");
    }

    /// A route that checks membership inside its handler's reads is a workspace's route whose
    /// handler admits the caller with its first read, before it writes. A POST among them is
    /// admitted on a round trip of its own when it carries an Idempotency-Key (`serve`): the key
    /// is reserved, or its answer replayed, only for a member.
    #[test]
    fn only_workspace_routes_fold_their_membership_check() {
        for route in AREAS.iter().flat_map(|a| a.routes).filter(|r| r.folds_membership) {
            assert!(["GET", "PATCH", "DELETE", "POST"].contains(&route.method), "{route:?}");
            assert!(matches!(route.access, Access::Workspace(_)), "{route:?}");
        }
    }

    #[test]
    fn paths_match_with_parameters() {
        let (w, u) = ("0190aaaa-0000-7000-8000-000000000001", "0190aaaa-0000-7000-8000-000000000002");
        let (route, params) =
            find(&cfg(Environment::Production), "PATCH", &format!("/api/v1/workspaces/{w}/members/{u}")).unwrap();
        assert_eq!(route.name, "updateMember");
        assert_eq!(params.get("workspaceId").unwrap(), w);
        assert_eq!(params.get("userId").unwrap(), u);
    }

    #[test]
    fn ids_in_paths_are_parsed_as_ids() {
        let c = cfg(Environment::Production);
        for bad in ["w1", "0190AAAA-0000-7000-8000-000000000001", "0190aaaa-0000-7000-8000-00000000000%00", "x\0y"] {
            match find(&c, "GET", &format!("/api/v1/workspaces/{bad}")) {
                Err(AppError::Validation(d)) => assert_eq!(d[0].field, "workspaceId"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_literal_path_under_another_method_is_not_allowed_rather_than_a_bad_id() {
        let c = cfg(Environment::Production);
        let path = "/api/v1/workspaces/0190aaaa-0000-7000-8000-000000000001/posts/import";
        match find(&c, "PATCH", path) {
            Err(AppError::MethodNotAllowed(allow)) => assert_eq!(allow, "POST, OPTIONS"),
            other => panic!("{other:?}"),
        }
        assert!(find(&c, "POST", path).is_ok());
    }

    #[test]
    fn a_known_path_with_another_method_is_not_allowed() {
        match find(&cfg(Environment::Production), "PUT", "/api/v1/workspaces") {
            Err(AppError::MethodNotAllowed(allow)) => assert_eq!(allow, "GET, POST, HEAD, OPTIONS"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_paths_and_methods_are_not_found() {
        let c = cfg(Environment::Production);
        assert!(find(&c, "GET", "/api/v1/nope").is_err());
        assert!(find(&c, "PUT", "/api/v1/workspaces").is_err());
        assert!(find(&c, "GET", "/api/v1/workspaces//members").is_err());
    }

    #[test]
    fn the_mailbox_exists_only_in_development() {
        assert!(find(&cfg(Environment::Production), "GET", "/api/v1/dev/mailbox").is_err());
        assert!(find(&cfg(Environment::Test), "GET", "/api/v1/dev/mailbox").is_err());
        assert!(find(&cfg(Environment::Development), "GET", "/api/v1/dev/mailbox").is_ok());
    }

    #[test]
    fn only_the_media_content_put_streams_and_an_import_reads_more_than_json() {
        let c = cfg(Environment::Production);
        let (w, m) = ("0190aaaa-0000-7000-8000-000000000001", "0190aaaa-0000-7000-8000-000000000002");
        let content = format!("/api/v1/workspaces/{w}/media/{m}/content");
        assert_eq!(reading(&c, "PUT", &content), Reading::Stream(crate::media::model::VIDEO_MAX_BYTES as usize));
        assert_eq!(
            reading(&c, "PUT", &format!("{content}/")),
            Reading::Stream(crate::media::model::VIDEO_MAX_BYTES as usize)
        );
        assert_eq!(reading(&c, "GET", &content), Reading::Buffer(c.max_body_bytes));
        assert_eq!(reading(&c, "PUT", &format!("/api/v1/workspaces/{w}/media/{m}")), Reading::Buffer(c.max_body_bytes));
        assert_eq!(reading(&c, "PUT", &format!("{content}/x")), Reading::Buffer(c.max_body_bytes));
        let import = format!("/api/v1/workspaces/{w}/posts/import");
        assert_eq!(reading(&c, "POST", &import), Reading::Buffer(crate::content::handlers::import::MAX_BYTES));
    }

    #[test]
    fn every_route_is_declared_once() {
        let mut seen = std::collections::HashSet::new();
        for route in all() {
            assert!(seen.insert((route.method, route.path)), "{route:?} twice");
        }
        let mut names = std::collections::HashSet::new();
        assert!(all().all(|r| names.insert(r.name)), "an operation id twice");
    }
}
