//! CORS against an allow-list of origins (SPEC PL-6). Browsers from other origins get no
//! CORS headers and so cannot read answers.

use super::{Request, Response};
use crate::ports::Config;

fn allowed<'o>(config: &Config, origin: Option<&'o str>) -> Option<&'o str> {
    origin.filter(|o| config.allowed_origins.iter().any(|a| a == "*" || a == o))
}

pub fn preflight(config: &Config, req: &Request) -> Response {
    let mut r = Response::empty(204);
    if allowed(config, req.header("origin")).is_some() {
        r.headers.extend([
            ("access-control-allow-methods".into(), "GET, POST, PATCH, PUT, DELETE, OPTIONS".into()),
            (
                "access-control-allow-headers".into(),
                "authorization, content-type, idempotency-key, x-request-id".into(),
            ),
            ("access-control-max-age".into(), "600".into()),
        ]);
    }
    r
}

pub fn decorate(config: &Config, origin: Option<&str>, r: &mut Response) {
    if let Some(origin) = allowed(config, origin) {
        r.headers.extend([
            ("access-control-allow-origin".into(), origin.to_string()),
            ("access-control-allow-credentials".into(), "true".into()),
            ("access-control-expose-headers".into(), "x-request-id".into()),
            ("vary".into(), "Origin".into()),
        ]);
    }
}
