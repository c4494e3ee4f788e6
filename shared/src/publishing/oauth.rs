//! OAuth 2 connections (SPEC PB-1) with PKCE (RFC 7636, S256): `start` keeps a single-use,
//! expiring state in `oauth_states` — its hash, and the code verifier sealed — and answers the
//! platform's authorize URL; the frontend receives the redirect and hands the code and state to
//! `callback`, which spends the state, exchanges the code and stores the account.
//!
//! Tokens are refreshed shortly before they expire. A refreshed grant (access token and, when
//! the platform rotates it, refresh token) is stored at once, in one sealed value, and only if
//! nobody refreshed meanwhile; a grant without a refresh token keeps the stored one; a refresh
//! the platform refuses (`invalid_grant`) asks for a reconnect.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::accounts::{self, Account, AccountView, Verified};
use super::{body_json, describe, json_request, Credentials, Outcome};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::content::platforms::Platform;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::identity::tokens;
use crate::media::sigv4::uri_encode;
use crate::params;
use crate::ports::HttpRequest;
use crate::sql::Statement;
use crate::validate::rfc3339;

/// A state lives ten minutes.
pub const STATE_TTL_MS: i64 = 10 * 60_000;
/// Tokens are refreshed when they expire within five minutes.
pub const REFRESH_AHEAD_MS: i64 = 5 * 60_000;

/// Where a platform's OAuth and API live (its public addresses; `PLATFORM_URLS` can point a
/// platform at another base, keeping the paths).
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    pub platform: Platform,
    pub authorize: (&'static str, &'static str),
    pub token: (&'static str, &'static str),
    pub api: &'static str,
    pub scopes: &'static str,
    /// Confidential clients authenticate with HTTP Basic (X), or with the secret in the body
    /// (LinkedIn).
    pub basic_auth: bool,
}

pub const PROVIDERS: [Provider; 2] = [
    Provider {
        platform: Platform::X,
        authorize: ("https://x.com", "/i/oauth2/authorize"),
        token: ("https://api.x.com", "/2/oauth2/token"),
        api: "https://api.x.com",
        scopes: "tweet.read tweet.write users.read media.write offline.access",
        basic_auth: true,
    },
    Provider {
        platform: Platform::LinkedIn,
        authorize: ("https://www.linkedin.com", "/oauth/v2/authorization"),
        token: ("https://www.linkedin.com", "/oauth/v2/accessToken"),
        api: "https://api.linkedin.com",
        scopes: "openid profile w_member_social",
        basic_auth: false,
    },
];

pub fn provider(platform: Platform) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.platform == platform)
}

/// The base a platform is reached at: its override in `PLATFORM_URLS`, else `default`.
pub fn base_for(ctx: &Context<'_>, platform: Platform, default: &str) -> String {
    ctx.config
        .platform_urls
        .iter()
        .find(|(p, _)| p == platform.as_str())
        .map_or_else(|| default.to_string(), |(_, url)| url.trim_end_matches('/').to_string())
}

fn client(ctx: &Context<'_>, platform: Platform) -> Option<(String, String)> {
    ctx.config.oauth_clients.iter().find(|c| c.0 == platform.as_str()).map(|c| (c.1.clone(), c.2.clone()))
}

pub fn challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OAuthStartInput {
    /// `x` or `linkedin`.
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

fn redirect_allowed(ctx: &Context<'_>, uri: &str) -> bool {
    let starts = |base: &str| {
        let base = base.trim_end_matches('/');
        !base.is_empty() && (uri == base || uri.starts_with(&format!("{base}/")))
    };
    let secure = uri.starts_with("https://") || ctx.config.allow_private_hosts;
    secure && (starts(&ctx.config.app_url) || ctx.config.allowed_origins.iter().any(|o| starts(o)))
}

fn oauth_platform(name: &str) -> Result<(Platform, &'static Provider), AppError> {
    Platform::parse(name)
        .and_then(|p| provider(p).map(|pr| (p, pr)))
        .ok_or_else(|| AppError::field("platform", "must be x or linkedin (OAuth platforms)"))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/start", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = OAuthStartInput,
    responses((status = 200, description = "The authorize URL (with state and an S256 PKCE challenge) to send the browser to", body = Envelope<OAuthStarted>),
              (status = 400, description = "VALIDATION_ERROR: not an OAuth platform, or a redirect URI outside APP_URL and the allowed origins", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 503, description = "SERVICE_UNAVAILABLE: no OAuth client or no TOKEN_KEYS configured for the platform", body = ErrorEnvelope)))]
pub async fn start(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: OAuthStartInput = json::parse(&call.req.body)?;
    let (platform, provider) = oauth_platform(&input.platform)?;
    if !redirect_allowed(ctx, input.redirect_uri.trim()) {
        return Err(AppError::field("redirectUri", "must be under APP_URL or an allowed origin (https)"));
    }
    let Some((client_id, _)) = client(ctx, platform) else {
        return Err(AppError::ServiceUnavailable(format!("no OAuth client is configured for {}", platform.as_str())));
    };
    if ctx.config.token_keys.is_empty() {
        return Err(AppError::ServiceUnavailable("accounts cannot be connected: TOKEN_KEYS is not configured".into()));
    }
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let state = tokens::opaque_token(ctx.random.bytes());
    let verifier = tokens::opaque_token(ctx.random.bytes());
    let state_hash = tokens::token_hash(&state);
    let sealed = ctx
        .config
        .token_keys
        .seal(ctx.random, verifier.as_bytes(), &state_hash)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let now = ctx.clock.now_ms();
    let redirect = input.redirect_uri.trim().to_string();
    ctx.db
        .execute(
            "INSERT INTO oauth_states (state_hash, workspace_id, user_id, platform, verifier, redirect_uri, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &params![state_hash.as_str(), ws.as_str(), me.as_str(), platform.as_str(), sealed, redirect.as_str(), now + STATE_TTL_MS, now],
        )
        .await?;
    let authorize_url = format!(
        "{}{}?{}",
        base_for(ctx, platform, provider.authorize.0),
        provider.authorize.1,
        form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect),
            ("scope", provider.scopes),
            ("state", &state),
            ("code_challenge", &challenge(&verifier)),
            ("code_challenge_method", "S256"),
        ])
    );
    Ok(json::ok(200, OAuthStarted { authorize_url, state, expires_at: rfc3339(now + STATE_TTL_MS) }))
}

/// A token endpoint's answer: (access, refresh, expires at).
async fn token_request(
    ctx: &Context<'_>,
    platform: Platform,
    provider: &Provider,
    grant: &[(&str, &str)],
) -> Result<(String, Option<String>, Option<i64>), (u16, String)> {
    let (client_id, secret) = client(ctx, platform).ok_or((503, "no OAuth client configured".to_string()))?;
    let mut pairs = grant.to_vec();
    pairs.push(("client_id", &client_id));
    if !provider.basic_auth {
        pairs.push(("client_secret", &secret));
    }
    let mut headers = vec![
        ("content-type".to_string(), "application/x-www-form-urlencoded".to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    if provider.basic_auth {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
        headers.push(("authorization".into(), format!("Basic {basic}")));
    }
    let url = format!("{}{}", base_for(ctx, platform, provider.token.0), provider.token.1);
    let request = HttpRequest { method: "POST".into(), url, headers, body: form(&pairs).into_bytes() };
    let r = ctx.http.send(request).await.map_err(|e| (0, e.to_string()))?;
    if r.status != 200 {
        return Err((r.status, describe(&r)));
    }
    let v = body_json(&r);
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let access = text("access_token").ok_or((502, "the token endpoint answered without access_token".to_string()))?;
    let expires = v.get("expires_in").and_then(Value::as_i64).map(|s| ctx.clock.now_ms() + s * 1000);
    Ok((access, text("refresh_token"), expires))
}

/// Who the token belongs to: (id, handle, name).
async fn profile(
    ctx: &Context<'_>,
    platform: Platform,
    provider: &Provider,
    access: &str,
) -> Result<(String, String, Option<String>), AppError> {
    let api = base_for(ctx, platform, provider.api);
    let url = match platform {
        Platform::X => format!("{api}/2/users/me"),
        _ => format!("{api}/v2/userinfo"),
    };
    let r = ctx
        .http
        .send(json_request("GET", url, Some(access), None))
        .await
        .map_err(|e| AppError::ExternalApi(e.to_string()))?;
    if r.status != 200 {
        return Err(AppError::ExternalApi(format!("{} profile: {}", platform.as_str(), describe(&r))));
    }
    let v = body_json(&r);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let found = match platform {
        Platform::X => {
            let d = &v["data"];
            text(d, "id").zip(text(d, "username")).map(|(id, handle)| (id, handle, text(d, "name")))
        }
        _ => text(&v, "sub").map(|id| (id.clone(), text(&v, "name").unwrap_or(id), text(&v, "name"))),
    };
    found.ok_or_else(|| AppError::ExternalApi(format!("{} profile answered without an id", platform.as_str())))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/callback", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = OAuthCallbackInput,
    responses((status = 201, description = "Connected", body = Envelope<AccountView>),
              (status = 200, description = "Reconnected: the grant replaces the stored one (a stored refresh token stays when the new grant has none)", body = Envelope<AccountView>),
              (status = 400, description = "VALIDATION_ERROR: an unknown, used, expired or foreign state; a code the platform refused", body = ErrorEnvelope),
              (status = 502, description = "EXTERNAL_API_ERROR", body = ErrorEnvelope)))]
pub async fn callback(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: OAuthCallbackInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let state_hash = tokens::token_hash(input.state.trim());
    let now = ctx.clock.now_ms();
    let row = ctx
        .db
        .query_one(
            "SELECT platform, verifier, redirect_uri, expires_at, used_at, user_id FROM oauth_states \
             WHERE workspace_id = ?1 AND state_hash = ?2",
            &params![ws.as_str(), state_hash.as_str()],
        )
        .await?;
    let bad_state = || AppError::field("state", "is unknown, used or expired: start the connection again");
    let row = row.ok_or_else(bad_state)?;
    if row.opt_int("used_at")?.is_some() || row.int("expires_at")? <= now || row.text("user_id")? != me {
        return Err(bad_state());
    }
    // Spent before the exchange: a replayed state finds it used, even mid-exchange.
    ctx.db
        .batch(&[
            Statement::new(
                "UPDATE oauth_states SET used_at = ?3 WHERE workspace_id = ?1 AND state_hash = ?2 AND used_at IS NULL",
                params![ws.as_str(), state_hash.as_str(), now],
            ),
            Statement::guard(
                "SELECT 1 FROM oauth_states WHERE workspace_id = ?1 AND state_hash = ?2 AND used_at = ?3",
                params![ws.as_str(), state_hash.as_str(), now],
            ),
        ])
        .await
        .map_err(|_| bad_state())?;
    let (platform, provider) = oauth_platform(&row.text("platform")?)?;
    let verifier = ctx
        .config
        .token_keys
        .open(&row.text("verifier")?, &state_hash)
        .map_err(|e| AppError::Internal(format!("oauth verifier: {e}")))?;
    let verifier = String::from_utf8_lossy(&verifier).to_string();
    let redirect = row.text("redirect_uri")?;
    let code = input.code.trim();
    if code.is_empty() || code.len() > 2048 {
        return Err(AppError::Validation(vec![FieldError::new("code", "is required")]));
    }
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &redirect),
        ("code_verifier", &verifier),
    ];
    let (access, refresh, expires) =
        token_request(ctx, platform, provider, &grant).await.map_err(|(status, m)| match status {
            400 | 401 => AppError::field("code", format!("the platform refused the code: {m}")),
            _ => AppError::ExternalApi(m),
        })?;
    let (id, handle, name) = profile(ctx, platform, provider, &access).await?;
    let verified = Verified {
        external_id: id,
        handle,
        display_name: name,
        service_url: base_for(ctx, platform, provider.api),
        auth_kind: "oauth",
        credentials: Credentials { access_token: Some(access), refresh_token: refresh, app_password: None },
        access_expires_at: expires,
    };
    let (status, view) = accounts::store(ctx, call, platform, verified).await?;
    Ok(json::ok(status, view))
}

/// The account's credentials, refreshed first when the access token expires soon.
pub async fn fresh(ctx: &Context<'_>, account: &Account) -> Result<Credentials, Outcome> {
    let creds = account
        .open(ctx)
        .map_err(|_| Outcome::Reconnect { reason: "the stored credentials cannot be read".into(), status: None })?;
    let now = ctx.clock.now_ms();
    let due =
        account.view.auth_kind == "oauth" && account.access_expires_at.is_some_and(|t| t <= now + REFRESH_AHEAD_MS);
    let Some(provider) = provider(account.platform()).filter(|_| due) else {
        return Ok(creds);
    };
    let Some(refresh) = creds.refresh_token.clone() else {
        return Err(Outcome::Reconnect {
            reason: "the access token expired and no refresh token is stored".into(),
            status: None,
        });
    };
    let grant = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    match token_request(ctx, account.platform(), provider, &grant).await {
        Ok((access, rotated, expires)) => {
            let renewed = Credentials { access_token: Some(access), refresh_token: rotated, app_password: None }
                .merged_over(&creds);
            let plain = serde_json::to_vec(&renewed).map_err(|e| Outcome::Retry {
                reason: e.to_string(),
                status: None,
                after_ms: None,
            })?;
            let sealed = ctx
                .config
                .token_keys
                .seal(ctx.random, &plain, &account.view.id)
                .map_err(|e| Outcome::Retry { reason: e.to_string(), status: None, after_ms: None })?;
            // Stored now, access and refresh together, and only over what we read: a
            // concurrent refresh wins and this attempt uses its grant instead.
            let stored = ctx
                .db
                .execute(
                    "UPDATE social_accounts SET credentials = ?3, key_id = ?4, access_expires_at = ?5, updated_at = ?6 \
                     WHERE workspace_id = ?1 AND id = ?2 AND credentials = ?7",
                    &params![
                        account.workspace_id.as_str(),
                        account.view.id.as_str(),
                        sealed,
                        ctx.config.token_keys.current_id().unwrap_or_default(),
                        expires,
                        now,
                        account.credentials.as_str()
                    ],
                )
                .await
                .map_err(|e| Outcome::Retry { reason: format!("could not store the refreshed grant: {e}"), status: None, after_ms: None })?;
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
