//! Publishing (SPEC PB-1 … PB-7): connected social accounts, schedules, the cron that claims
//! what is due, the queue consumer that publishes through a platform adapter, and the status
//! and attempt log of every publication.
//!
//! One publication is one (post target, account) pair at one time. Its life:
//! `scheduled` → (cron claims it) `queued` → (the consumer takes the claim) `publishing` →
//! `published`, or `retrying` (a transient failure before the irreversible call; due again
//! after a backoff with jitter), or `unconfirmed` (the outcome is unknown: the tick reads the
//! platform to settle it, never re-posting blindly), or `failed` (a permanent refusal, with a
//! readable reason), or `dead` (retries exhausted: the dead-letter list). `cancelled` when the
//! schedule is withdrawn.

pub mod bluesky;
pub mod calendar;
pub mod engine;
pub mod handlers;
pub mod linkedin;
pub mod mastodon;
pub mod meta;
pub mod oauth;
pub mod reconnect;
pub mod revocation;
pub mod schedule;
pub use crate::sealed;
pub mod store;
pub mod tiktok;
pub mod x;

pub use crate::accounts::Credentials;
pub use crate::outbound::server_url;

use crate::ports::{HttpError, HttpRequest, HttpResponse};

/// A `multipart/form-data` POST with a bearer token: the text `fields`, then `file` under
/// `file_field`. The boundary is random (the Random port).
pub fn multipart_post(
    ctx: &crate::api::Context<'_>,
    url: String,
    token: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    file: &MediaFile,
) -> HttpRequest {
    let boundary = format!("herald-{}", hex::encode(ctx.random.bytes::<12>()));
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let filename: String = file.filename.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: {}\r\n\r\n",
            file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![
            ("authorization".into(), format!("Bearer {token}")),
            ("content-type".into(), format!("multipart/form-data; boundary={boundary}")),
            ("accept".into(), "application/json".into()),
        ],
        body,
    }
}

/// A JSON request.
pub fn json_request(method: &str, url: String, bearer: Option<&str>, body: Option<&serde_json::Value>) -> HttpRequest {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if let Some(token) = bearer {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    let body = match body {
        Some(b) => {
            headers.push(("content-type".into(), "application/json".into()));
            serde_json::to_vec(b).unwrap_or_default()
        }
        None => Vec::new(),
    };
    HttpRequest { method: method.into(), url, headers, body }
}

pub fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

pub fn body_json(r: &HttpResponse) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
}

/// A short, safe description of a platform's error answer for the attempt log: its status and
/// the platform's own error name and message, never tokens or headers.
pub fn describe(r: &HttpResponse) -> String {
    let v = body_json(r);
    let pick = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let name = pick("error").or_else(|| pick("code")).or_else(|| pick("title"));
    let message = pick("message").or_else(|| pick("error_description")).or_else(|| pick("detail"));
    let mut text = format!("HTTP {}", r.status);
    for part in [name, message].into_iter().flatten() {
        text.push_str(": ");
        text.push_str(&part.chars().take(300).collect::<String>());
    }
    text
}

/// One image to attach.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub alt: String,
    pub filename: String,
    /// A presigned GET URL, for platforms that pull media (Instagram, Threads, TikTok).
    pub url: Option<String>,
}

/// What a publication sends, whatever the platform.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub publication_id: &'a str,
    pub created_at_ms: i64,
    pub text: &'a str,
    pub media: Vec<MediaFile>,
}

/// An attempt's outcome, and the account's credentials when the attempt renewed them.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    pub credentials: Option<Credentials>,
}

/// What one try to publish came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Published {
        remote_id: String,
        url: Option<String>,
    },
    /// Failed before anything irreversible was sent: safe to try again (after `after_ms`
    /// when the platform said when).
    Retry {
        reason: String,
        status: Option<u16>,
        after_ms: Option<i64>,
    },
    /// The platform's rate limit: the account pauses until then.
    RateLimited {
        reason: String,
        until_ms: i64,
    },
    /// The publish call may have reached the platform: settle it by reading, never re-post.
    Unconfirmed {
        reason: String,
        status: Option<u16>,
    },
    /// Refused for good (content rejected, account suspended…), with the platform's reason.
    Failed {
        reason: String,
        status: Option<u16>,
    },
    /// The grant is revoked or the password changed: the account must be reconnected.
    Reconnect {
        reason: String,
        status: Option<u16>,
    },
    /// Accepted by the platform, which is still processing it under `remote_id`: later ticks
    /// read how it ended.
    Pending {
        remote_id: String,
        reason: String,
    },
}

/// Settles an unknown outcome from reading the account's posts back: `found` (id, URL) means
/// published; absent `grace_ms` after the last try means never written (send again); before
/// that, wait (`None`).
pub fn read_back(
    ctx: &crate::api::Context<'_>,
    found: Option<(String, Option<String>)>,
    last_try_ms: i64,
    grace_ms: i64,
) -> Option<Outcome> {
    match found {
        Some((remote_id, url)) => Some(Outcome::Published { remote_id, url }),
        None if ctx.clock.now_ms() - last_try_ms >= grace_ms => Some(Outcome::Retry {
            reason: "the platform has no such post: it was never written".into(),
            status: Some(200),
            after_ms: None,
        }),
        None => None,
    }
}

/// A transport error before any answer: the request may not have been sent (connect) or may
/// have been (timeout, reset).
pub fn transport(e: &HttpError, irreversible: bool) -> Outcome {
    match e {
        HttpError::Connect(m) => {
            Outcome::Retry { reason: format!("could not connect: {m}"), status: None, after_ms: None }
        }
        other if irreversible => {
            Outcome::Unconfirmed { reason: format!("no answer to the publish call ({other})"), status: None }
        }
        other => Outcome::Retry { reason: other.to_string(), status: None, after_ms: None },
    }
}

use crate::route;

/// Social accounts, posting slots, scheduling and publications.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "publishing",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts", listAccounts, Workspace(AccountsRead), handlers::accounts::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts", connectAccount, Workspace(AccountsManage), handlers::accounts::connect).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/start", oAuthStart, Workspace(AccountsManage), handlers::oauth::start),
        route!(POST "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/callback", oAuthCallback, Workspace(AccountsManage), handlers::oauth::callback).folds_membership().trips(5),
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", getAccount, Workspace(AccountsRead), handlers::accounts::get).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/slots", putSlots, Workspace(AccountsManage), handlers::slots::put).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/next-slot", nextSlot, Workspace(AccountsRead), handlers::slots::next).folds_membership().trips(1),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", disconnectAccount, Workspace(AccountsManage), handlers::accounts::disconnect).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", schedulePost, Workspace(PostsSchedule), handlers::schedule::schedule).folds_membership().trips(6),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/publish-now", publishNow, Workspace(PostsSchedule), handlers::publish_now::publish_now).folds_membership().trips(23),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", reschedulePost, Workspace(PostsSchedule), handlers::schedule::reschedule).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", cancelSchedule, Workspace(PostsSchedule), handlers::schedule::cancel).folds_membership().trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/publications", postPublications, Workspace(PostsRead), handlers::schedule::of_post).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/publications", listPublications, Workspace(PostsRead), handlers::schedule::list).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/calendar", contentCalendar, Workspace(PostsRead), handlers::calendar::list).folds_membership().trips(1),
        route!(GET "/api/v1/users/me/calendar-feed", getCalendarFeed, User, handlers::calendar::get_feed).trips(1),
        route!(PUT "/api/v1/users/me/calendar-feed", putCalendarFeed, User, handlers::calendar::put_feed).trips(1),
        route!(DELETE "/api/v1/users/me/calendar-feed", deleteCalendarFeed, User, handlers::calendar::delete_feed).trips(1),
        route!(GET "/calendar/{token}", calendarFeed, Public, handlers::calendar::serve_feed).trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/events", listWorkspaceEvents, Workspace(EventsRead), handlers::events::list_workspace).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/events", createWorkspaceEvent, Workspace(EventsWrite), handlers::events::create_workspace).trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/events/{eventId}", getWorkspaceEvent, Workspace(EventsRead), handlers::events::get_workspace).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/events/{eventId}", updateWorkspaceEvent, Workspace(EventsWrite), handlers::events::update_workspace).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/events/{eventId}", deleteWorkspaceEvent, Workspace(EventsWrite), handlers::events::delete_workspace).folds_membership().trips(2),
        route!(GET "/api/v1/users/me/events", listMyEvents, User, handlers::events::list_mine).trips(1),
        route!(POST "/api/v1/users/me/events", createMyEvent, User, handlers::events::create_mine).trips(1),
        route!(GET "/api/v1/users/me/events/{eventId}", getMyEvent, User, handlers::events::get_mine).trips(1),
        route!(PATCH "/api/v1/users/me/events/{eventId}", updateMyEvent, User, handlers::events::update_mine).trips(2),
        route!(DELETE "/api/v1/users/me/events/{eventId}", deleteMyEvent, User, handlers::events::delete_mine).trips(2),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[
        schedule::DOCUMENTED,
        handlers::slots::DOCUMENTED,
        handlers::publish_now::DOCUMENTED,
        oauth::DOCUMENTED,
        handlers::accounts::DOCUMENTED,
        handlers::calendar::DOCUMENTED,
        crate::collab::events::DOCUMENTED,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_never_erases_a_stored_refresh_token() {
        let stored =
            Credentials { refresh_token: Some("r1".into()), access_token: Some("a1".into()), ..Default::default() };
        let fresh = Credentials { access_token: Some("a2".into()), ..Default::default() };
        let merged = fresh.merged_over(&stored);
        assert_eq!((merged.access_token.as_deref(), merged.refresh_token.as_deref()), (Some("a2"), Some("r1")));
        let rotated =
            Credentials { access_token: Some("a3".into()), refresh_token: Some("r2".into()), ..Default::default() };
        assert_eq!(rotated.merged_over(&stored).refresh_token.as_deref(), Some("r2"));
    }
}
