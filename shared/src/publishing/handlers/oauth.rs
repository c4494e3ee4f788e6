//! Connecting an account through the platform's own login (OAuth 2.0 with PKCE where the
//! platform takes it): start hands out the address to send the person to, callback trades the
//! code for a grant and connects what it grants.

use crate::accounts::store::{self as accounts, Verified};
use crate::accounts::{AccountView, Credentials};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::identity::tokens;
use crate::publishing::oauth::*;
use crate::publishing::store as publications;
use crate::validate::rfc3339;

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/start", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = OAuthStartInput,
    responses((status = 200, description = "The authorize URL (with the state, and an S256 PKCE challenge where the platform takes one) to send the browser to", body = Envelope<OAuthStarted>),
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
        .seal(ctx.random.bytes(), verifier.as_bytes(), &state_hash)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let now = ctx.clock.now_ms();
    let redirect = input.redirect_uri.trim().to_string();
    let state_row = publications::NewOAuthState {
        state_hash: &state_hash,
        workspace_id: &ws,
        user_id: &me,
        platform: platform.as_str(),
        sealed_verifier: sealed,
        redirect_uri: &redirect,
        expires_at: now + STATE_TTL_MS,
        now,
    };
    publications::insert_oauth_state(ctx.db, state_row).await?;
    let client_param = if provider.flow == Flow::TikTok { "client_key" } else { "client_id" };
    let code_challenge = challenge(&verifier);
    let mut query = vec![
        ("response_type", "code"),
        (client_param, client_id.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("scope", provider.scopes),
        ("state", state.as_str()),
    ];
    if provider.pkce {
        query.extend([("code_challenge", code_challenge.as_str()), ("code_challenge_method", "S256")]);
    }
    let authorize_url =
        format!("{}{}?{}", base_for(ctx, platform, provider.authorize.0), provider.authorize.1, form(&query));
    Ok(json::ok(200, OAuthStarted { authorize_url, state, expires_at: rfc3339(now + STATE_TTL_MS) }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/callback", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = OAuthCallbackInput,
    responses((status = 201, description = "Connected: the account, or every Facebook Page the person granted in Facebook's dialog", body = Envelope<Vec<AccountView>>),
              (status = 200, description = "Reconnected: each grant replaces the stored one (a stored refresh token stays when the new grant has none)", body = Envelope<Vec<AccountView>>),
              (status = 400, description = "VALIDATION_ERROR: an unknown, used, expired or foreign state; a code the platform refused; a Facebook login that granted no Page", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more connected accounts; `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
              (status = 502, description = "EXTERNAL_API_ERROR", body = ErrorEnvelope)))]
pub async fn callback(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: OAuthCallbackInput = json::parse(&call.req.body)?;
    let me = call.caller()?.user_id.clone();
    let state_hash = tokens::token_hash(input.state.trim());
    let now = ctx.clock.now_ms();
    let bad_state = || AppError::field("state", "is unknown, used or expired: start the connection again");
    // The membership check and the state: one round trip.
    let read = publications::oauth_state_read(call.params.get("workspaceId")?, &state_hash);
    let (member, row) = call.admitted_one(ctx.db, read, publications::oauth_state_of).await?;
    let ws = member.workspace_id;
    let row = row.ok_or_else(bad_state)?;
    if row.used || row.expires_at <= now || row.user_id != me {
        return Err(bad_state());
    }
    // Spent before the exchange: a replayed state finds it used, even mid-exchange.
    ctx.db.batch(&publications::spend_oauth_state(&ws, &state_hash, now)).await.map_err(|_| bad_state())?;
    let (platform, provider) = oauth_platform(&row.platform)?;
    let verifier = ctx
        .config
        .token_keys
        .open(&row.sealed_verifier, &state_hash)
        .map_err(|e| AppError::Internal(format!("oauth verifier: {e}")))?;
    let verifier = String::from_utf8_lossy(&verifier).to_string();
    let redirect = row.redirect_uri;
    let code = input.code.trim();
    if code.is_empty() || code.len() > 2048 {
        return Err(AppError::Validation(vec![FieldError::new("code", "is required")]));
    }
    let refused = |(status, m): (u16, String)| match status {
        400 | 401 => AppError::field("code", format!("the platform refused the code: {m}")),
        _ => AppError::ExternalApi(m),
    };
    let mut grant = token_request(ctx, provider, Trade::Code { code, redirect: &redirect, verifier: &verifier })
        .await
        .map_err(refused)?;
    if matches!(provider.flow, Flow::Facebook | Flow::LongLived { .. }) {
        let short = grant.access.clone();
        let long = token_request(ctx, provider, Trade::LongLived(&short))
            .await
            .map_err(|(_, m)| AppError::ExternalApi(format!("{}: long-lived token: {m}", platform.as_str())))?;
        grant = Grant { user_id: long.user_id.or(grant.user_id), ..long };
    }
    let found = if provider.flow == Flow::Facebook {
        pages(ctx, provider, &grant.access).await?
    } else {
        let (id, handle, name) = profile(ctx, provider, &grant.access).await?;
        vec![Verified {
            external_id: id,
            handle,
            display_name: name,
            service_url: base_for(ctx, platform, provider.api),
            auth_kind: "oauth",
            credentials: Credentials {
                access_token: Some(grant.access),
                refresh_token: grant.refresh,
                app_password: None,
            },
            access_expires_at: grant.expires_at,
        }]
    };
    let stored = accounts::store_all(ctx, call, platform, found).await?;
    let created = stored.iter().any(|(status, _)| *status == 201);
    let connected: Vec<AccountView> = stored.into_iter().map(|(_, view)| view).collect();
    Ok(json::ok(if created { 201 } else { 200 }, connected))
}
