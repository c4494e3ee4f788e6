//! The HTTP API Worker (`wrangler.toml`): every route, one isolate. This file only translates a
//! workerd request into a `herald::Request` and the answer back.

use futures_util::StreamExt;
use herald::app::routes::Reading;
use herald::identity::password::{Argon2Hasher, HashProfile};
use worker::{event, Env, Headers, Request, Response, Result};

use crate::d1::BOOKMARK_HEADER;
use crate::host::{var, D1Access, Host};
use crate::limits::WorkerLimiter;
use crate::platform::{JsClock, JsRandom};

/// An answer given before the domain can serve: the envelope, a request id and the headers
/// every answer carries (`herald::app::finish`).
fn unavailable(message: &str) -> Result<Response> {
    let request_id = format!("req_{}", herald::api::new_id(&JsClock, &JsRandom));
    let mut answer =
        herald::app::error_response(&herald::AppError::ServiceUnavailable(message.into()), &request_id, None);
    herald::app::finish(&mut answer, request_id);
    to_worker(answer)
}

fn to_worker(answer: herald::Response) -> Result<Response> {
    let headers = Headers::new();
    for (k, v) in &answer.headers {
        headers.append(k, v)?;
    }
    Ok(Response::from_bytes(answer.body)?.with_status(answer.status).with_headers(headers))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let profile =
        var(&env, "PASSWORD_HASH_PROFILE").and_then(|p| HashProfile::parse(&p)).unwrap_or(HashProfile::FreePlan);
    let limiter = WorkerLimiter { env: env.clone() };
    // The method as sent: workers-rs maps any method it does not know to GET, which would let
    // `QUERY /…` or `PROPFIND /…` act as a GET instead of answering 405.
    let method = req.inner().method();
    let bookmark = req.headers().get(BOOKMARK_HEADER)?;
    let access = D1Access::Session { bookmark, read_only: matches!(method.as_str(), "GET" | "HEAD") };
    let Some(host) = Host::new(&env, access, Box::new(Argon2Hasher::new(profile)), Box::new(limiter)).await else {
        return unavailable("the server is not configured or its database is unreachable");
    };
    let url = req.url()?;
    let mut domain = herald::Request::new(&method, url.path());
    domain.query = url.query().unwrap_or_default().to_string();
    domain.headers = req.headers().entries().collect();
    // A body declared too large is not read at all; the domain answers 413 from the header.
    let declared = req.headers().get("content-length")?.and_then(|l| l.parse::<usize>().ok());
    match herald::app::routes::reading(&host.config, &domain.method, &domain.path) {
        // A media file goes to R2 as it arrives, never whole in memory.
        Reading::Stream(_) => host.blobs.hold_body(req.inner().body()),
        Reading::Buffer(limit) if declared.is_none_or(|l| l <= limit) => {
            domain.body = read_at_most(&mut req, limit).await;
        }
        Reading::Buffer(_) => {}
    }

    let mut answer = host.run(async |ctx| herald::handle(ctx, domain).await).await;
    if let Some(bookmark) = host.db.bookmark() {
        answer.headers.push((BOOKMARK_HEADER.into(), bookmark));
    }
    to_worker(answer)
}

/// The body, read until it passes `limit` (one byte over is enough for the domain to answer
/// 413): a body without a Content-Length, or one longer than declared, is never read whole.
async fn read_at_most(req: &mut Request, limit: usize) -> Vec<u8> {
    let Ok(mut stream) = req.stream() else { return Vec::new() };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            break;
        }
    }
    body
}
