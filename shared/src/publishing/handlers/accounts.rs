//! Connected social accounts (SPEC PB-1). Manual credentials where the platform uses them —
//! Bluesky: handle + app password on its PDS; Mastodon: instance + access token — checked
//! against the platform before they are stored. Credentials are sealed (AES-256-GCM, bound to
//! the account id) and never returned. Connecting an account that is already connected
//! reconnects it: its credentials are replaced, a stored refresh token is kept when the new
//! grant brings none, and its status becomes active again.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::accounts::store::{self, load, Verified};
use crate::accounts::AccountView;
use crate::activity::{self, Change};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::platforms::Platform;
use crate::publishing::store as publications;
use crate::publishing::{bluesky, mastodon, server_url, Credentials};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectInput {
    /// `bluesky` or `mastodon` (the platforms connected with manual credentials).
    pub platform: String,
    /// Bluesky: the handle (`alice.bsky.social`) or DID.
    pub handle: Option<String>,
    /// Bluesky: an app password (Settings → App passwords), never the account password.
    pub app_password: Option<String>,
    /// Bluesky: the PDS; `https://bsky.social` when not given.
    pub service_url: Option<String>,
    /// Mastodon: the instance, like `https://mastodon.social`.
    pub instance_url: Option<String>,
    /// Mastodon: an access token with `read:accounts write:statuses write:media`. Facebook: a
    /// Page access token; Instagram: the professional account's token; Threads and TikTok: the
    /// user's token (`threads_content_publish`; `video.publish`).
    pub access_token: Option<String>,
    /// Facebook: the Page to publish to.
    pub page_id: Option<String>,
    /// Instagram: the professional account's Instagram user id.
    pub instagram_user_id: Option<String>,
}

fn required(value: &Option<String>, field: &str, errors: &mut Vec<FieldError>) -> String {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.len() <= 2048 => v.to_string(),
        Some(_) => {
            errors.push(FieldError::new(field, "is too long"));
            String::new()
        }
        None => {
            errors.push(FieldError::new(field, "is required"));
            String::new()
        }
    }
}

async fn verify(ctx: &Context<'_>, input: &ConnectInput) -> Result<Verified, AppError> {
    let mut errors = Vec::new();
    let allow = ctx.config.allow_private_hosts;
    match Platform::parse(&input.platform) {
        Some(Platform::Bluesky) => {
            let handle = required(&input.handle, "handle", &mut errors);
            let password = required(&input.app_password, "appPassword", &mut errors);
            let service = server_url(input.service_url.as_deref().unwrap_or("https://bsky.social"), allow)
                .map_err(|m| errors.push(FieldError::new("serviceUrl", m)))
                .unwrap_or_default();
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            bluesky::verify(ctx, &service, handle.trim_start_matches('@'), &password).await
        }
        Some(Platform::Mastodon) => {
            let token = required(&input.access_token, "accessToken", &mut errors);
            let instance = match input.instance_url.as_deref() {
                Some(u) => {
                    server_url(u, allow).map_err(|m| errors.push(FieldError::new("instanceUrl", m))).unwrap_or_default()
                }
                None => {
                    errors.push(FieldError::new("instanceUrl", "is required"));
                    String::new()
                }
            };
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            mastodon::verify(ctx, &instance, &token).await
        }
        Some(p @ (Platform::Facebook | Platform::Instagram | Platform::Threads | Platform::TikTok)) => {
            let token = required(&input.access_token, "accessToken", &mut errors);
            let id = match p {
                Platform::Facebook => Some(required(&input.page_id, "pageId", &mut errors)),
                Platform::Instagram => Some(required(&input.instagram_user_id, "instagramUserId", &mut errors)),
                _ => None,
            };
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            let default = if p == Platform::TikTok {
                crate::publishing::tiktok::DEFAULT_API
            } else {
                crate::publishing::meta::default_api(p)
            };
            let api = crate::publishing::oauth::base_for(ctx, p, default);
            let who = if p == Platform::TikTok {
                crate::publishing::tiktok::user(ctx, &api, &token).await
            } else {
                crate::publishing::meta::verify(ctx, p, &api, &token, id.as_deref()).await
            };
            let (external_id, handle, display_name) = who.map_err(|e| match e {
                None => AppError::field("accessToken", format!("{} refused this token", p.as_str())),
                Some(m) => AppError::ExternalApi(format!("{}: {m}", p.as_str())),
            })?;
            Ok(Verified {
                external_id,
                handle,
                display_name,
                service_url: api,
                auth_kind: "token",
                credentials: Credentials { access_token: Some(token), ..Credentials::default() },
                access_expires_at: None,
            })
        }
        Some(p) => Err(AppError::field("platform", format!("{} connects through OAuth: use oauth/start", p.as_str()))),
        None => Err(AppError::field(
            "platform",
            "must be one of bluesky, mastodon, x, linkedin, facebook, instagram, threads, tiktok",
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/social-accounts", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = ConnectInput,
    responses((status = 201, description = "Connected: the platform accepted the credentials", body = Envelope<AccountView>),
              (status = 200, description = "Reconnected: the account was connected already; its credentials are replaced", body = Envelope<AccountView>),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's plan allows no more connected accounts (reconnecting an active one always passes); `limit` says which limit, the plan, the limit and the usage", body = ErrorEnvelope),
              (status = 400, description = "VALIDATION_ERROR: a missing field, a server that is not public https, or credentials the platform refused (on the credential's field)", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners and admins connect accounts", body = ErrorEnvelope),
              (status = 502, description = "EXTERNAL_API_ERROR: the platform could not be reached or answered oddly", body = ErrorEnvelope),
              (status = 503, description = "SERVICE_UNAVAILABLE: no TOKEN_KEYS configured to seal credentials", body = ErrorEnvelope)))]
pub async fn connect(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ConnectInput = json::parse(&call.req.body)?;
    if ctx.config.token_keys.is_empty() {
        return Err(AppError::ServiceUnavailable("accounts cannot be connected: TOKEN_KEYS is not configured".into()));
    }
    let verified = verify(ctx, &input).await?;
    let platform = Platform::parse(&input.platform).unwrap_or(Platform::Mastodon);
    let stored = store::store_all(ctx, call, platform, vec![verified]).await?;
    let (status, view) = stored.into_iter().next().ok_or_else(|| AppError::Internal("no account stored".into()))?;
    Ok(json::ok(status, view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/social-accounts", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's accounts, oldest first; never their credentials", body = Envelope<Vec<AccountView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the accounts: one round trip.
    let read = store::connected_read(call.params.get("workspaceId")?);
    let (_, found) = call.admitted_one(ctx.db, read, store::views_of).await?;
    Ok(json::ok(200, found))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("accountId" = String, Path)),
    responses((status = 200, description = "The account", body = Envelope<AccountView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // The membership check and the account: one round trip.
    let reads = store::among(call.params.get("workspaceId")?, &[call.params.get("accountId")?.to_string()]);
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let found = store::views_of(answers.first().map_or(&[][..], Vec::as_slice))?;
    Ok(json::ok(200, found.into_iter().next().ok_or_else(|| AppError::not_found("social account"))?))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("accountId" = String, Path)),
    responses((status = 200, description = "Disconnected: its credentials are erased and its pending publications cancelled", body = Envelope<AccountView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn disconnect(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let account = load(ctx.db, &ws, call.params.get("accountId")?).await?;
    if account.view.status == "disconnected" {
        return Err(AppError::not_found("social account"));
    }
    let now = ctx.clock.now_ms();
    let empty = ctx
        .config
        .token_keys
        .seal(ctx.random.bytes(), b"{}", &account.view.id)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let change = Change {
        action: "social_account.disconnect",
        entity_type: "social_account",
        entity_id: &account.view.id,
        before: Some(activity::snapshot(&account.view)),
        after: None,
    };
    ctx.db
        .batch(&[
            store::disconnect(&ws, &account.view.id, empty, now),
            publications::cancel_for_account(&ws, &account.view.id, now),
            activity::record(ctx, call, &ws, change),
        ])
        .await?;
    Ok(json::ok(200, load(ctx.db, &ws, &account.view.id).await?.view))
}

/// What `connect` checks of every input, as the OpenAPI document states it (which credentials
/// each platform needs is in the field descriptions).
pub const DOCUMENTED: &[Documented] = &[field(
    "ConnectInput",
    "platform",
    Rule::OneOf(&["bluesky", "mastodon", "facebook", "instagram", "threads", "tiktok"]),
)];
