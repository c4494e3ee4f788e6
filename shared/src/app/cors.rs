//! CORS against an allow-list of origins (SPEC PL-6). Browsers from other origins get no
//! CORS headers and so cannot read answers.

use crate::api::{Request, Response};
use crate::ports::Config;

/// How an origin is allowed: a listed origin may send credentials (the refresh cookie); `*`
/// lets any origin read answers but never with credentials, as the Fetch standard requires,
/// so a page anywhere cannot ride a user's cookie.
enum Allowed<'o> {
    WithCredentials(&'o str),
    AnyWithoutCredentials,
}

fn allowed<'o>(config: &Config, origin: Option<&'o str>) -> Option<Allowed<'o>> {
    let origin = origin?;
    if config.allowed_origins.iter().any(|a| a == origin) {
        Some(Allowed::WithCredentials(origin))
    } else if config.allowed_origins.iter().any(|a| a == "*") {
        Some(Allowed::AnyWithoutCredentials)
    } else {
        None
    }
}

/// What a browser's script may read of an answer: its request id, its round trips to the
/// database, and (on the Worker over D1) the session bookmark to send back with the next request.
const EXPOSED: &str = "x-request-id, x-db-round-trips, x-d1-bookmark";

pub fn preflight(config: &Config, req: &Request) -> Response {
    let mut r = Response::empty(204);
    if allowed(config, req.header("origin")).is_some() {
        r.headers.extend([
            ("access-control-allow-methods".into(), "GET, POST, PATCH, PUT, DELETE, OPTIONS".into()),
            (
                "access-control-allow-headers".into(),
                "authorization, content-type, idempotency-key, x-request-id, x-d1-bookmark".into(),
            ),
            ("access-control-max-age".into(), "600".into()),
        ]);
    }
    r
}

pub fn decorate(config: &Config, origin: Option<&str>, r: &mut Response) {
    match allowed(config, origin) {
        Some(Allowed::WithCredentials(origin)) => r.headers.extend([
            ("access-control-allow-origin".into(), origin.to_string()),
            ("access-control-allow-credentials".into(), "true".into()),
            ("access-control-expose-headers".into(), EXPOSED.into()),
            ("vary".into(), "Origin".into()),
        ]),
        Some(Allowed::AnyWithoutCredentials) => r.headers.extend([
            ("access-control-allow-origin".into(), "*".to_string()),
            ("access-control-expose-headers".into(), EXPOSED.into()),
            ("vary".into(), "Origin".into()),
        ]),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Environment;

    fn answer(allowed_origins: &[&str], origin: &str) -> Response {
        let mut config = Config::new(Environment::Production, b"k".to_vec());
        config.allowed_origins = allowed_origins.iter().map(|o| o.to_string()).collect();
        let mut r = Response::empty(200);
        decorate(&config, Some(origin), &mut r);
        r
    }

    #[test]
    fn a_wildcard_never_allows_credentials() {
        let r = answer(&["*"], "https://evil.example");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(r.header("access-control-allow-credentials"), None);
        let r = answer(&["*", "https://app.example"], "https://app.example");
        assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            answer(&["https://app.example"], "https://evil.example").header("access-control-allow-origin"),
            None
        );
    }
}
