//! OAuth 2 connections (SPEC PB-1). `handlers::oauth::start` keeps a single-use, expiring state in
//! `oauth_states` — its hash, and the PKCE code verifier sealed — and answers the platform's
//! authorize URL; the frontend receives the redirect and hands the code and state to
//! `handlers::oauth::callback`, which spends the state, exchanges the code and stores the account(s).
//!
//! Each platform's flow follows its documented contract ([`Flow`]): X and LinkedIn are RFC 6749
//! with PKCE (RFC 7636, S256) and the `refresh_token` grant; TikTok v2 the same with
//! `client_key`; Facebook Login trades the code for a user token, that for a long-lived one,
//! and that for the Pages the person granted (a Page token does not expire); Instagram (with
//! Instagram Login) and Threads trade the code for a short-lived token and that for a 60-day
//! one, which is refreshed with itself.
//!
//! Tokens are refreshed ahead of expiry. A refreshed grant (access token and, when the
//! platform rotates it, refresh token) is stored at once, in one sealed value, and only if
//! nobody refreshed meanwhile; a grant without a refresh token keeps the stored one; a refresh
//! the platform refuses asks for a reconnect.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{body_json, describe, json_request, Credentials, Outcome};
use crate::accounts::store::{self as accounts, Verified};
use crate::accounts::Account;
use crate::api::documented::{field, Documented, Rule};
use crate::api::Context;
use crate::error::AppError;
use crate::platforms::Platform;
use crate::ports::HttpRequest;

/// A state lives ten minutes.
pub const STATE_TTL_MS: i64 = 10 * 60_000;
/// Short-lived tokens are refreshed when they expire within five minutes…
pub const REFRESH_AHEAD_MS: i64 = 5 * 60_000;
/// …and 60-day tokens within a week (Meta renews a token that is at least a day old).
pub const LONG_LIVED_REFRESH_AHEAD_MS: i64 = 7 * 24 * 3_600_000;
/// A renewal that neither stored nor released its lease in this time died: another may try.
pub const RENEWAL_LEASE_MS: i64 = 60_000;

/// How a platform grants and renews tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// RFC 6749 with PKCE, renewed with the `refresh_token` grant. X authenticates a
    /// confidential client with HTTP Basic; LinkedIn takes the secret in the body.
    Standard { basic_auth: bool },
    /// TikTok v2: the same with `client_key`; an error may come in a 200 body.
    TikTok,
    /// Facebook Login: code → user token (a GET) → long-lived user token
    /// (`fb_exchange_token`) → the Pages it was granted, each with a Page token that does not
    /// expire.
    Facebook,
    /// Instagram Login and Threads: code → short-lived token (a form POST) → 60-day token
    /// (`exchange` grant), renewed with itself (`renew` grant).
    LongLived { exchange: &'static str, renew: &'static str },
}

/// Where a platform's OAuth and API live (its public addresses; `PLATFORM_URLS` can point a
/// platform at another base, keeping the paths).
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    pub platform: Platform,
    pub authorize: (&'static str, &'static str),
    pub token: (&'static str, &'static str),
    pub api: &'static str,
    /// As the platform wants them written: space- or comma-separated.
    pub scopes: &'static str,
    pub flow: Flow,
    /// Whether the platform takes a PKCE challenge (Meta's flows do not).
    pub pkce: bool,
}

pub const PROVIDERS: [Provider; 6] = [
    Provider {
        platform: Platform::X,
        authorize: ("https://x.com", "/i/oauth2/authorize"),
        token: ("https://api.x.com", "/2/oauth2/token"),
        api: "https://api.x.com",
        scopes: "tweet.read tweet.write users.read media.write offline.access",
        flow: Flow::Standard { basic_auth: true },
        pkce: true,
    },
    Provider {
        platform: Platform::LinkedIn,
        authorize: ("https://www.linkedin.com", "/oauth/v2/authorization"),
        token: ("https://www.linkedin.com", "/oauth/v2/accessToken"),
        api: "https://api.linkedin.com",
        scopes: "openid profile w_member_social",
        flow: Flow::Standard { basic_auth: false },
        pkce: true,
    },
    Provider {
        platform: Platform::TikTok,
        authorize: ("https://www.tiktok.com", "/v2/auth/authorize/"),
        token: ("https://open.tiktokapis.com", "/v2/oauth/token/"),
        api: super::tiktok::DEFAULT_API,
        scopes: "user.info.basic,video.publish",
        flow: Flow::TikTok,
        pkce: true,
    },
    Provider {
        platform: Platform::Facebook,
        authorize: ("https://www.facebook.com", "/v23.0/dialog/oauth"),
        token: ("https://graph.facebook.com", "/v23.0/oauth/access_token"),
        api: "https://graph.facebook.com",
        scopes: "pages_show_list,pages_read_engagement,pages_manage_posts",
        flow: Flow::Facebook,
        pkce: false,
    },
    Provider {
        platform: Platform::Instagram,
        authorize: ("https://www.instagram.com", "/oauth/authorize"),
        token: ("https://api.instagram.com", "/oauth/access_token"),
        api: "https://graph.instagram.com",
        scopes: "instagram_business_basic,instagram_business_content_publish",
        flow: Flow::LongLived { exchange: "ig_exchange_token", renew: "ig_refresh_token" },
        pkce: false,
    },
    Provider {
        platform: Platform::Threads,
        authorize: ("https://threads.net", "/oauth/authorize"),
        token: ("https://graph.threads.net", "/oauth/access_token"),
        api: "https://graph.threads.net",
        scopes: "threads_basic,threads_content_publish",
        flow: Flow::LongLived { exchange: "th_exchange_token", renew: "th_refresh_token" },
        pkce: false,
    },
];

pub fn provider(platform: Platform) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.platform == platform)
}

impl Provider {
    fn refresh_ahead_ms(&self) -> i64 {
        match self.flow {
            Flow::LongLived { .. } => LONG_LIVED_REFRESH_AHEAD_MS,
            _ => REFRESH_AHEAD_MS,
        }
    }
}

/// The base a platform is reached at: its override in `PLATFORM_URLS`, else `default`.
pub fn base_for(ctx: &Context<'_>, platform: Platform, default: &str) -> String {
    ctx.config
        .platform_urls
        .iter()
        .find(|(p, _)| p == platform.as_str())
        .map_or_else(|| default.to_string(), |(_, url)| url.trim_end_matches('/').to_string())
}

pub fn client(ctx: &Context<'_>, platform: Platform) -> Option<(String, String)> {
    ctx.config.oauth_clients.iter().find(|c| c.0 == platform.as_str()).map(|c| (c.1.clone(), c.2.clone()))
}

pub fn challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

pub use crate::encoding::form;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OAuthStartInput {
    /// `x`, `linkedin`, `facebook`, `instagram`, `threads` or `tiktok`.
    pub platform: String,
    /// Where the platform sends the browser back: the frontend's callback page, under
    /// `APP_URL` or an allowed origin. It hands the `code` and `state` it receives to the
    /// callback route.
    pub redirect_uri: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthStarted {
    /// Send the browser here.
    pub authorize_url: String,
    pub state: String,
    pub expires_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthCallbackInput {
    pub state: String,
    pub code: String,
}

pub fn redirect_allowed(ctx: &Context<'_>, uri: &str) -> bool {
    let starts = |base: &str| {
        let base = base.trim_end_matches('/');
        !base.is_empty() && (uri == base || uri.starts_with(&format!("{base}/")))
    };
    let secure = uri.starts_with("https://") || ctx.config.allow_private_hosts;
    secure && (starts(&ctx.config.app_url) || ctx.config.allowed_origins.iter().any(|o| starts(o)))
}

pub fn oauth_platform(name: &str) -> Result<(Platform, &'static Provider), AppError> {
    Platform::parse(name).and_then(|p| provider(p).map(|pr| (p, pr))).ok_or_else(|| {
        AppError::field("platform", "must be x, linkedin, facebook, instagram, threads or tiktok (OAuth platforms)")
    })
}

/// What a token call trades.
pub enum Trade<'a> {
    /// The authorization code.
    Code { code: &'a str, redirect: &'a str, verifier: &'a str },
    /// A refresh token (Standard, TikTok).
    Refresh(&'a str),
    /// A short-lived token for a long-lived one (Facebook, Instagram, Threads).
    LongLived(&'a str),
    /// A long-lived token for a fresh one (Instagram, Threads).
    Renew(&'a str),
}

/// A token endpoint's answer.
pub struct Grant {
    pub access: String,
    pub refresh: Option<String>,
    pub expires_at: Option<i64>,
    /// The account the platform names in the answer (Instagram's `user_id`, TikTok's `open_id`).
    pub user_id: Option<String>,
}

/// A form POST to a platform's OAuth endpoint, the client in HTTP Basic when `basic` names it.
fn form_post(url: String, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> HttpRequest {
    let mut headers = vec![
        ("content-type".to_string(), "application/x-www-form-urlencoded".to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    if let Some((id, secret)) = basic {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        headers.push(("authorization".into(), format!("Basic {basic}")));
    }
    HttpRequest { method: "POST".into(), url, headers, body: form(pairs).into_bytes() }
}

/// The call that takes a grant back, where the platform offers one: X (RFC 7009, the refresh
/// token when there is one, the client in HTTP Basic), LinkedIn (the access token, the client in
/// the body) and TikTok (likewise, as `client_key`). Meta's Page tokens, Instagram's and Threads'
/// have no revocation a server can make with what Herald holds.
pub fn revoke_call(
    ctx: &Context<'_>,
    provider: &Provider,
    id: &str,
    secret: &str,
    credentials: &crate::accounts::Credentials,
) -> Option<HttpRequest> {
    let base = base_for(ctx, provider.platform, provider.token.0);
    let access = credentials.access_token.as_deref();
    let (path, pairs, basic): (&str, Vec<(&str, &str)>, bool) = match provider.flow {
        Flow::Standard { basic_auth: true } => {
            let (token, hint) = match (credentials.refresh_token.as_deref(), access) {
                (Some(refresh), _) => (refresh, "refresh_token"),
                (None, Some(access)) => (access, "access_token"),
                (None, None) => return None,
            };
            ("/2/oauth2/revoke", vec![("token", token), ("token_type_hint", hint), ("client_id", id)], true)
        }
        Flow::Standard { basic_auth: false } => {
            ("/oauth/v2/revoke", vec![("client_id", id), ("client_secret", secret), ("token", access?)], false)
        }
        Flow::TikTok => {
            ("/v2/oauth/revoke/", vec![("client_key", id), ("client_secret", secret), ("token", access?)], false)
        }
        Flow::Facebook | Flow::LongLived { .. } => return None,
    };
    Some(form_post(format!("{base}{path}"), &pairs, basic.then_some((id, secret))))
}

/// The request a trade makes, as the platform documents it.
fn token_call(ctx: &Context<'_>, provider: &Provider, id: &str, secret: &str, trade: &Trade<'_>) -> HttpRequest {
    let token_url = format!("{}{}", base_for(ctx, provider.platform, provider.token.0), provider.token.1);
    let api = base_for(ctx, provider.platform, provider.api);
    let get = |url: String, pairs: &[(&str, &str)]| HttpRequest {
        method: "GET".into(),
        url: format!("{url}?{}", form(pairs)),
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
    };
    let post = |pairs: &[(&str, &str)], basic: bool| form_post(token_url.clone(), pairs, basic.then_some((id, secret)));
    match (provider.flow, trade) {
        (Flow::Standard { basic_auth }, trade) => {
            let mut pairs = match trade {
                Trade::Code { code, redirect, verifier } => vec![
                    ("grant_type", "authorization_code"),
                    ("code", *code),
                    ("redirect_uri", *redirect),
                    ("code_verifier", *verifier),
                ],
                Trade::Refresh(t) | Trade::LongLived(t) | Trade::Renew(t) => {
                    vec![("grant_type", "refresh_token"), ("refresh_token", *t)]
                }
            };
            pairs.push(("client_id", id));
            if !basic_auth {
                pairs.push(("client_secret", secret));
            }
            post(&pairs, basic_auth)
        }
        (Flow::TikTok, Trade::Code { code, redirect, verifier }) => post(
            &[
                ("client_key", id),
                ("client_secret", secret),
                ("code", code),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ],
            false,
        ),
        (Flow::TikTok, Trade::Refresh(t) | Trade::LongLived(t) | Trade::Renew(t)) => post(
            &[("client_key", id), ("client_secret", secret), ("grant_type", "refresh_token"), ("refresh_token", t)],
            false,
        ),
        (Flow::Facebook, Trade::Code { code, redirect, .. }) => {
            get(token_url, &[("client_id", id), ("redirect_uri", redirect), ("client_secret", secret), ("code", code)])
        }
        (Flow::Facebook, Trade::Refresh(t) | Trade::LongLived(t) | Trade::Renew(t)) => get(
            token_url,
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", id),
                ("client_secret", secret),
                ("fb_exchange_token", t),
            ],
        ),
        (Flow::LongLived { .. }, Trade::Code { code, redirect, .. }) => post(
            &[
                ("client_id", id),
                ("client_secret", secret),
                ("grant_type", "authorization_code"),
                ("redirect_uri", redirect),
                ("code", code),
            ],
            false,
        ),
        (Flow::LongLived { exchange, .. }, Trade::LongLived(t)) => get(
            format!("{api}/access_token"),
            &[("grant_type", exchange), ("client_secret", secret), ("access_token", t)],
        ),
        (Flow::LongLived { renew, .. }, Trade::Refresh(t) | Trade::Renew(t)) => {
            get(format!("{api}/refresh_access_token"), &[("grant_type", renew), ("access_token", t)])
        }
    }
}

/// Trades with the platform's token endpoint; a refusal answers (status, description).
pub async fn token_request(ctx: &Context<'_>, provider: &Provider, trade: Trade<'_>) -> Result<Grant, (u16, String)> {
    let (id, secret) = client(ctx, provider.platform).ok_or((503, "no OAuth client configured".to_string()))?;
    let request = token_call(ctx, provider, &id, &secret, &trade);
    let r = ctx.http.send(request).await.map_err(|e| (0, e.to_string()))?;
    let v = body_json(&r);
    // TikTok may answer an error with 200 and `error` in the body; Meta nests it.
    let refused = v.get("error").is_some_and(|e| match e {
        Value::String(s) => !s.is_empty() && s != "ok",
        Value::Object(o) => o.get("code").is_none_or(|c| c != "ok"),
        _ => false,
    });
    if r.status != 200 || refused {
        let message = match v["error"]["message"].as_str() {
            Some(m) => format!("HTTP {}: {m}", r.status),
            None => describe(&r),
        };
        return Err((if r.status == 200 { 400 } else { r.status }, message));
    }
    // Instagram answers its code exchange as `{"data": [{access_token, user_id, …}]}`.
    let v = match v.get("data").and_then(|d| d.get(0)) {
        Some(first) if v.get("access_token").is_none() => first.clone(),
        _ => v,
    };
    let text = |k: &str| match v.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let access = text("access_token").ok_or((502, "the token endpoint answered without access_token".to_string()))?;
    let expires_at =
        v.get("expires_in").and_then(Value::as_i64).map(|s| ctx.clock.now_ms().saturating_add(s.saturating_mul(1000)));
    Ok(Grant {
        access,
        refresh: text("refresh_token"),
        expires_at,
        user_id: text("user_id").or_else(|| text("open_id")),
    })
}

/// Who a token belongs to: (id, handle, name).
pub async fn profile(
    ctx: &Context<'_>,
    provider: &Provider,
    access: &str,
) -> Result<(String, String, Option<String>), AppError> {
    let platform = provider.platform;
    let api = base_for(ctx, platform, provider.api);
    let failed = |m: String| AppError::ExternalApi(format!("{} profile: {m}", platform.as_str()));
    if platform == Platform::TikTok {
        return super::tiktok::user(ctx, &api, access).await.map_err(|e| failed(e.unwrap_or("token refused".into())));
    }
    let url = match platform {
        Platform::X => format!("{api}/2/users/me"),
        Platform::LinkedIn => format!("{api}/v2/userinfo"),
        Platform::Instagram => format!("{api}/{}/me?fields=user_id,username,name", super::meta::GRAPH_VERSION),
        _ => format!("{api}/{}/me?fields=id,username,name", super::meta::THREADS_VERSION),
    };
    let r = ctx.http.send(json_request("GET", url, Some(access), None)).await.map_err(|e| failed(e.to_string()))?;
    if r.status != 200 {
        return Err(failed(describe(&r)));
    }
    let v = body_json(&r);
    let text = |v: &Value, k: &str| match v.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let found = match platform {
        Platform::X => {
            let d = &v["data"];
            text(d, "id").zip(text(d, "username")).map(|(id, handle)| (id, handle, text(d, "name")))
        }
        Platform::LinkedIn => text(&v, "sub").map(|id| (id.clone(), text(&v, "name").unwrap_or(id), text(&v, "name"))),
        // Instagram's `user_id` is the professional account's id, the one content is published
        // under; `id` is app-scoped.
        _ => text(&v, "user_id")
            .or_else(|| text(&v, "id"))
            .map(|id| (id.clone(), text(&v, "username").or_else(|| text(&v, "name")).unwrap_or(id), text(&v, "name"))),
    };
    found.ok_or_else(|| failed("answered without an id".into()))
}

/// The Facebook Pages a long-lived user token was granted, each as an account with its Page
/// token (which does not expire).
pub async fn pages(ctx: &Context<'_>, provider: &Provider, user_token: &str) -> Result<Vec<Verified>, AppError> {
    let api = base_for(ctx, provider.platform, provider.api);
    let url = format!("{api}/{}/me/accounts?fields=id,name,access_token&limit=100", super::meta::GRAPH_VERSION);
    let r = ctx
        .http
        .send(json_request("GET", url, Some(user_token), None))
        .await
        .map_err(|e| AppError::ExternalApi(format!("facebook pages: {e}")))?;
    if r.status != 200 {
        return Err(AppError::ExternalApi(format!("facebook pages: {}", describe(&r))));
    }
    let listed = body_json(&r)["data"].as_array().cloned().unwrap_or_default();
    let found: Vec<Verified> = listed
        .iter()
        .filter_map(|p| {
            let id = p["id"].as_str()?.to_string();
            let token = p["access_token"].as_str().filter(|t| !t.is_empty())?.to_string();
            let name = p["name"].as_str().map(str::to_string);
            Some(Verified {
                handle: name.clone().unwrap_or_else(|| id.clone()),
                external_id: id,
                display_name: name,
                service_url: api.clone(),
                auth_kind: "oauth",
                credentials: Credentials { access_token: Some(token), ..Credentials::default() },
                access_expires_at: None,
            })
        })
        .collect();
    if found.is_empty() {
        return Err(AppError::field(
            "code",
            "the login granted no Facebook Page: choose at least one in Facebook's dialog",
        ));
    }
    Ok(found)
}

/// Accounts renewed per tick when nothing publishes to them.
const RENEW_BATCH: i64 = 20;

/// Renews the long-lived tokens (Instagram, Threads) of accounts that publish nothing before they
/// lapse: a week ahead, a few per tick. A renewal the platform refuses asks for a reconnect, as a
/// publish would; anything else is tried again next tick.
pub async fn renew_idle(ctx: &Context<'_>, now: i64) -> Result<u64, AppError> {
    ctx.db.set_scope(crate::sql::Scope { system: true, ..Default::default() });
    let due = accounts::long_lived_expiring(ctx.db, now + LONG_LIVED_REFRESH_AHEAD_MS, RENEW_BATCH).await?;
    let mut renewed = 0;
    for account in &due {
        let ws = account.workspace_id.clone();
        ctx.db.set_scope(crate::sql::Scope { workspace_id: Some(ws.clone()), ..Default::default() });
        match fresh(ctx, &account).await {
            Ok(_) => renewed += 1,
            Err(Outcome::Reconnect { reason, .. }) => {
                ctx.db.batch(&[accounts::needs_reconnect(&ws, &account.view.id, &reason, now)]).await?;
                super::reconnect::notify(ctx, &ws, &account.view.id).await;
            }
            Err(other) => tracing::warn!(account = %account.view.id, outcome = ?other, "renewal postponed"),
        }
    }
    ctx.db.set_scope(crate::sql::Scope { system: true, ..Default::default() });
    Ok(renewed)
}

/// The account's credentials, refreshed first when the access token expires soon.
pub async fn fresh(ctx: &Context<'_>, account: &Account) -> Result<Credentials, Outcome> {
    let creds = account.open(ctx).map_err(|e| {
        tracing::error!(cause = %e, account = %account.view.id, "credentials do not open");
        Outcome::Reconnect { reason: "the stored credentials cannot be read".into(), status: None }
    })?;
    let now = ctx.clock.now_ms();
    let Some(provider) = provider(account.platform()).filter(|p| {
        account.view.auth_kind == "oauth" && account.access_expires_at.is_some_and(|t| t <= now + p.refresh_ahead_ms())
    }) else {
        return Ok(creds);
    };
    let trade = match (provider.flow, &creds.refresh_token, &creds.access_token) {
        (Flow::LongLived { .. }, _, Some(access)) => Trade::Renew(access),
        (Flow::Standard { .. } | Flow::TikTok, Some(refresh), _) => Trade::Refresh(refresh),
        _ => {
            return Err(Outcome::Reconnect {
                reason: "the access token expired and nothing is stored to renew it".into(),
                status: None,
            })
        }
    };
    // One renewal per account at a time: refresh tokens are single-use on X and TikTok, so a
    // second refresh running beside the first would spend the token the first just rotated —
    // and read as a revoked grant. Taken only over the credentials read; it lapses by itself.
    let (ws, id) = (account.workspace_id.as_str(), account.view.id.as_str());
    let lease_until = now + RENEWAL_LEASE_MS;
    let leased =
        accounts::take_renewal_lease(ctx.db, ws, id, &account.credentials, lease_until, now).await.map_err(|e| {
            Outcome::Retry { reason: format!("could not take the renewal lease: {e}"), status: None, after_ms: None }
        })?;
    if leased == 0 {
        return Err(Outcome::Retry {
            reason: "the grant is being renewed for another publication".into(),
            status: None,
            after_ms: Some(0),
        });
    }
    let renewed = renew(ctx, account, provider, trade, &creds, now).await;
    if renewed.is_err() {
        let _ = accounts::release_renewal_lease(ctx.db, ws, id, lease_until).await;
    }
    renewed
}

/// Trades the stored grant for a new one and stores it, access and refresh together.
async fn renew(
    ctx: &Context<'_>,
    account: &Account,
    provider: &Provider,
    trade: Trade<'_>,
    creds: &Credentials,
    now: i64,
) -> Result<Credentials, Outcome> {
    match token_request(ctx, provider, trade).await {
        Ok(grant) => {
            let renewed =
                Credentials { access_token: Some(grant.access), refresh_token: grant.refresh, app_password: None }
                    .merged_over(creds);
            let plain = serde_json::to_vec(&renewed).map_err(|e| Outcome::Retry {
                reason: e.to_string(),
                status: None,
                after_ms: None,
            })?;
            let sealed = ctx
                .config
                .token_keys
                .seal(ctx.random.bytes(), &plain, &account.view.id)
                .map_err(|e| Outcome::Retry { reason: e.to_string(), status: None, after_ms: None })?;
            // Stored now, access and refresh together, and only over what we read: a
            // concurrent refresh wins and this attempt uses its grant instead.
            let renewed_grant = accounts::Renewed {
                sealed,
                key_id: ctx.config.token_keys.current_id().unwrap_or_default().to_string(),
                access_expires_at: grant.expires_at,
                now,
            };
            let stored = accounts::store_renewed(ctx.db, account, renewed_grant).await.map_err(|e| Outcome::Retry {
                reason: format!("could not store the refreshed grant: {e}"),
                status: None,
                after_ms: None,
            })?;
            if stored == 1 {
                Ok(renewed)
            } else {
                Err(Outcome::Retry {
                    reason: "the grant was refreshed concurrently".into(),
                    status: None,
                    after_ms: Some(0),
                })
            }
        }
        Err((400 | 401, m)) => {
            // Someone may have rotated the refresh token a moment ago: then it is theirs to use.
            let current = accounts::load(ctx.db, &account.workspace_id, &account.view.id).await.ok();
            if current.is_some_and(|c| c.credentials != account.credentials) {
                return Err(Outcome::Retry {
                    reason: "the grant was refreshed concurrently".into(),
                    status: None,
                    after_ms: Some(0),
                });
            }
            Err(Outcome::Reconnect { reason: format!("the platform refused the refresh: {m}"), status: Some(400) })
        }
        Err((status, m)) => {
            Err(Outcome::Retry { reason: format!("token refresh failed: {m}"), status: Some(status), after_ms: None })
        }
    }
}

/// What `start` checks of its input, as the OpenAPI document states it (the redirect's origin
/// is checked against the configuration).
pub const DOCUMENTED: &[Documented] = &[
    field("OAuthStartInput", "platform", Rule::OneOf(&["x", "linkedin", "facebook", "instagram", "threads", "tiktok"])),
    field("OAuthStartInput", "redirectUri", Rule::Url(2000)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenges_follow_rfc_7636() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn forms_are_percent_encoded() {
        assert_eq!(
            form(&[("redirect_uri", "https://app.example/cb?x=1"), ("scope", "a b")]),
            "redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1&scope=a%20b"
        );
    }
}
