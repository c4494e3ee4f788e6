//! The HTTP fetch handler, shared by two Workers: the API Worker (`api`, wrangler.toml) serves
//! every area of its build and hands the AI and collaboration routes to the AI Worker; the AI
//! Worker (`ai`, wrangler.ai.toml) serves only `/health`, the AI area and collaboration's
//! (comments, notifications, Slack), so no other area's handlers are linked into it. This file only translates a workerd request into a `herald::Request` and the
//! answer back.

use futures_util::StreamExt;
use herald::app::routes::{Area, Reading};
use herald::ports::PasswordHasher;
use worker::{event, Env, Headers, Request, Response, Result};

use crate::d1::BOOKMARK_HEADER;
use crate::host::{D1Access, Host};
use crate::limits::WorkerLimiter;
use crate::platform::{JsClock, JsRandom};

/// The areas this Worker serves: every area of the build (the API Worker). `AREAS` is read at run
/// time: a static of this crate initialised from it would be a second copy of the route table and
/// every handler (ARCHITECTURE.md, the invariants).
#[cfg(feature = "api")]
fn served() -> &'static [Area] {
    herald::app::routes::AREAS
}

/// The AI Worker's areas: health, AI and collaboration (the API Worker's 1 MiB budget).
#[cfg(not(feature = "api"))]
fn served() -> &'static [Area] {
    static SERVED: &[Area] = &[herald::health::AREA, herald::ai::AREA, herald::collab::AREA];
    SERVED
}

/// The API Worker hashes passwords; the AI Worker has none to hash, so it links no Argon2.
#[cfg(feature = "api")]
fn hasher(env: &Env) -> Box<dyn PasswordHasher> {
    use herald::identity::password::{Argon2Hasher, HashProfile};
    let profile = crate::host::var(env, "PASSWORD_HASH_PROFILE")
        .and_then(|p| HashProfile::parse(&p))
        .unwrap_or(HashProfile::FreePlan);
    Box::new(Argon2Hasher::new(profile))
}

#[cfg(not(feature = "api"))]
fn hasher(_env: &Env) -> Box<dyn PasswordHasher> {
    Box::new(crate::host::NoPasswords)
}

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

/// `/api/v1/workspaces/{one segment}/ai` and everything under it, and the prompt template
/// catalogue: the AI Worker's paths.
#[cfg(all(feature = "api", not(feature = "ai")))]
fn is_ai_path(path: &str) -> bool {
    under(path, "/api/v1/ai") || workspace_part(path).is_some_and(|rest| matches!(rest.as_slice(), ["ai", ..]))
}

/// Collaboration's paths (`collab::AREA`): a post's or an idea's comments, the workspace's
/// notifications, Slack webhook and tasks, and one's notifications and tasks across workspaces. The AI Worker's
/// too when this build leaves collaboration's routes out (`collab-elsewhere`).
#[cfg(all(feature = "api", not(feature = "ai")))]
fn is_collab_path(path: &str) -> bool {
    under(path, "/api/v1/users/me/notifications")
        || under(path, "/api/v1/users/me/tasks")
        || workspace_part(path).is_some_and(|rest| match rest.as_slice() {
            ["slack"] | ["notifications", ..] | ["tasks", ..] => true,
            ["posts" | "ideas", id, "comments", ..] => !id.is_empty(),
            _ => false,
        })
}

/// `path` is `prefix` or under it.
#[cfg(all(feature = "api", not(feature = "ai")))]
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The segments after `/api/v1/workspaces/{one segment}/`.
#[cfg(all(feature = "api", not(feature = "ai")))]
fn workspace_part(path: &str) -> Option<Vec<&str>> {
    let (workspace, rest) = path.strip_prefix("/api/v1/workspaces/")?.split_once('/')?;
    (!workspace.is_empty()).then(|| rest.split('/').collect())
}

/// The AI area is a Worker of its own (wrangler.ai.toml, the API Worker's size and start time),
/// which serves collaboration's routes too: their requests, preflights included, go to it
/// unchanged through the `AI` service binding.
#[cfg(all(feature = "api", not(feature = "ai")))]
async fn to_ai(req: Request, env: &Env) -> Result<Response> {
    let Ok(ai) = env.service("AI") else {
        return unavailable("AI is not deployed on this server (no AI service binding)");
    };
    ai.fetch_request(req).await
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: worker::Context) -> Result<Response> {
    // Only the AI Worker streams (below); the others have no use for the invocation's context.
    #[cfg(not(feature = "ai"))]
    let _ = ctx;
    let url = req.url()?;
    #[cfg(all(feature = "api", not(feature = "ai")))]
    if is_ai_path(url.path()) || cfg!(feature = "collab-elsewhere") && is_collab_path(url.path()) {
        return to_ai(req, &env).await;
    }
    let limiter = WorkerLimiter { env: env.clone() };
    // The method as sent: workers-rs maps any method it does not know to GET, which would let
    // `QUERY /…` or `PROPFIND /…` act as a GET instead of answering 405.
    let method = req.inner().method();
    let bookmark = req.headers().get(BOOKMARK_HEADER)?;
    let access = D1Access::Session { bookmark, read_only: matches!(method.as_str(), "GET" | "HEAD") };
    let Some(host) = Host::new(&env, access, hasher(&env), Box::new(limiter)).await else {
        return unavailable("the server is not configured or its database is unreachable");
    };
    let mut domain = herald::Request::new(&method, url.path());
    domain.query = url.query().unwrap_or_default().to_string();
    domain.headers = req.headers().entries().collect();
    // A body declared too large is not read at all; the domain answers 413 from the header.
    let declared = req.headers().get("content-length")?.and_then(|l| l.parse::<usize>().ok());
    match herald::app::routes::reading_in(&host.config, served(), &domain.method, &domain.path) {
        // A media file goes to R2 as it arrives, never whole in memory.
        Reading::Stream(_) => host.blobs.hold_body(req.inner().body()),
        Reading::Buffer(limit) if declared.is_none_or(|l| l <= limit) => {
            domain.body = read_at_most(&mut req, limit).await;
        }
        Reading::Buffer(_) => {}
    }

    // An answer asked for as a stream of events (an AI generation: the AI Worker's) is sent as
    // it is made: the handler runs on (`waitUntil`) while the Worker answers with its head.
    #[cfg(feature = "ai")]
    if herald::api::stream::wanted(&domain) {
        return streamed(host, domain, &ctx).await;
    }
    let mut answer = host.run(async |ctx| herald::app::handle_with(ctx, domain, served()).await).await;
    if let Some(bookmark) = host.db.bookmark() {
        answer.headers.push((BOOKMARK_HEADER.into(), bookmark));
    }
    to_worker(answer)
}

#[cfg(feature = "ai")]
/// Serves `domain` with a sink: answers the stream as soon as the handler opens it (the handler
/// runs on until it has settled, also when the caller leaves), or the handler's own answer
/// when it did not stream (an error before the first event).
async fn streamed(host: Host, domain: herald::Request, ctx: &worker::Context) -> Result<Response> {
    use herald::api::stream::{self, Start};
    let (sink, head, body) = stream::channel();
    let (answer_tx, answer_rx) = futures_channel::oneshot::channel();
    ctx.wait_until(async move {
        let answer = host
            .run(async |lent| {
                let with_sink = herald::Context { sink: Some(&sink), ..*lent };
                herald::app::handle_with(&with_sink, domain, served()).await
            })
            .await;
        let _ = answer_tx.send(answer);
        drop(sink);
    });
    match stream::start(head, answer_rx).await {
        Start::Stream((status, headers)) => {
            let out = Headers::new();
            for (k, v) in &headers {
                out.append(k, v)?;
            }
            Ok(Response::from_stream(body.map(Ok::<Vec<u8>, worker::Error>))?.with_status(status).with_headers(out))
        }
        Start::Whole(answer) => to_worker(answer),
        Start::Lost => unavailable("the answer was lost"),
    }
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

#[cfg(all(test, feature = "api", not(feature = "ai")))]
mod tests {
    use super::{is_ai_path, is_collab_path};

    const WS: &str = "/api/v1/workspaces/00000000-0000-0000-0000-000000000000";

    #[test]
    fn the_ai_paths_are_a_workspace_s_ai_and_the_catalogue() {
        for path in
            [format!("{WS}/ai"), format!("{WS}/ai/"), format!("{WS}/ai/settings"), format!("{WS}/ai/generations/x")]
                .into_iter()
                .chain(["/api/v1/ai".into(), "/api/v1/ai/catalogue".into()])
        {
            assert!(is_ai_path(&path) && !is_collab_path(&path), "{path}");
        }
        for path in [
            format!("{WS}/aix"),
            format!("{WS}/posts/ai"),
            WS.to_string(),
            "/api/v1/workspaces//ai".into(),
            "/api/v1/workspaces/ai".into(),
            "/api/v1/aix".into(),
            "/health".into(),
        ] {
            assert!(!is_ai_path(&path), "{path}");
        }
    }

    #[test]
    fn collaboration_s_paths_are_comments_notifications_slack_and_tasks() {
        for path in [
            format!("{WS}/posts/p1/comments"),
            format!("{WS}/posts/p1/comments/c1"),
            format!("{WS}/ideas/i1/comments"),
            format!("{WS}/notifications"),
            format!("{WS}/notifications/read-all"),
            format!("{WS}/notifications/n1/read"),
            format!("{WS}/slack"),
            "/api/v1/users/me/notifications".into(),
            "/api/v1/users/me/notifications/read-all".into(),
            format!("{WS}/tasks"),
            format!("{WS}/tasks/t1"),
            "/api/v1/users/me/tasks".into(),
        ] {
            assert!(is_collab_path(&path) && !is_ai_path(&path), "{path}");
        }
        for path in [
            format!("{WS}/posts//comments"),
            format!("{WS}/posts/p1"),
            format!("{WS}/posts/p1/commentsx"),
            format!("{WS}/campaigns/c1/comments"),
            format!("{WS}/slack/x"),
            format!("{WS}/notificationsx"),
            "/api/v1/workspaces//slack".into(),
            "/api/v1/users/me/notificationsx".into(),
            "/api/v1/users/me".into(),
            "/api/v1/users/me/events".into(),
            format!("{WS}/tasksx"),
            "/api/v1/users/me/tasksx".into(),
        ] {
            assert!(!is_collab_path(&path), "{path}");
        }
    }
}
