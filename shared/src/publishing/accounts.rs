//! Connected social accounts (SPEC PB-1). Manual credentials where the platform uses them —
//! Bluesky: handle + app password on its PDS; Mastodon: instance + access token — checked
//! against the platform before they are stored. Credentials are sealed (AES-256-GCM, bound to
//! the account id) and never returned. Connecting an account that is already connected
//! reconnects it: its credentials are replaced, a stored refresh token is kept when the new
//! grant brings none, and its status becomes active again.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{bluesky, mastodon, server_url, Credentials};
use crate::activity::{self, Change};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::content::platforms::Platform;
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

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

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    pub platform: Platform,
    /// The platform's id of the account (a DID, an account id).
    pub external_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub service_url: String,
    /// `app_password`, `token` or `oauth`.
    pub auth_kind: String,
    /// `active`, `needs_reconnect` (publishing stops until it is connected again) or
    /// `disconnected`.
    pub status: String,
    /// A platform rate limit: nothing is sent for the account before then.
    pub paused_until: Option<String>,
    pub last_error: Option<String>,
    /// Posting times for "next free slot".
    pub slots: Vec<super::slots::Slot>,
    pub slot_timezone: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An account as stored, its credentials still sealed.
#[derive(Debug, Clone)]
pub struct Account {
    pub view: AccountView,
    pub workspace_id: String,
    pub credentials: String,
    pub paused_until: Option<i64>,
    pub access_expires_at: Option<i64>,
}

impl Account {
    pub fn platform(&self) -> Platform {
        self.view.platform
    }

    pub fn open(&self, ctx: &Context<'_>) -> Result<Credentials, AppError> {
        let bytes = ctx
            .config
            .token_keys
            .open(&self.credentials, &self.view.id)
            .map_err(|e| AppError::Internal(format!("account {} credentials: {e}", self.view.id)))?;
        serde_json::from_slice(&bytes).map_err(|e| AppError::Internal(format!("account credentials unreadable: {e}")))
    }
}

pub const COLUMNS: &str = "id, workspace_id, platform, external_id, handle, display_name, service_url, auth_kind, \
     credentials, status, paused_until, last_error, created_at, updated_at, access_expires_at, slots, slot_timezone";

pub fn decode(r: &Row) -> Result<Account, AppError> {
    let platform = r.text("platform")?;
    let paused_until = r.opt_int("paused_until")?;
    Ok(Account {
        view: AccountView {
            id: r.text("id")?,
            platform: Platform::parse(&platform)
                .ok_or_else(|| AppError::Internal(format!("stored platform {platform} unknown")))?,
            external_id: r.text("external_id")?,
            handle: r.text("handle")?,
            display_name: r.opt_text("display_name")?,
            service_url: r.text("service_url")?,
            auth_kind: r.text("auth_kind")?,
            status: r.text("status")?,
            paused_until: paused_until.map(rfc3339),
            last_error: r.opt_text("last_error")?,
            slots: serde_json::from_str(&r.text("slots")?).unwrap_or_default(),
            slot_timezone: r.text("slot_timezone")?,
            created_at: rfc3339(r.int("created_at")?),
            updated_at: rfc3339(r.int("updated_at")?),
        },
        workspace_id: r.text("workspace_id")?,
        credentials: r.text("credentials")?,
        paused_until,
        access_expires_at: r.opt_int("access_expires_at")?,
    })
}

pub async fn load(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<Account, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND id = ?2");
    let row =
        db.query_one(&sql, &params![workspace_id, id]).await?.ok_or_else(|| AppError::not_found("social account"))?;
    decode(&row)
}

/// Who the platform says the credentials belong to.
pub struct Verified {
    pub external_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub service_url: String,
    pub auth_kind: &'static str,
    pub credentials: Credentials,
    /// When the access token expires (OAuth grants).
    pub access_expires_at: Option<i64>,
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

/// TikTok's `GET /v2/user/info/`: (open_id, display name, display name).
pub(super) async fn tiktok_user(
    ctx: &Context<'_>,
    api: &str,
    token: &str,
) -> Result<(String, String, Option<String>), Option<String>> {
    let url = format!("{api}/v2/user/info/?fields=open_id,display_name");
    let r = ctx.http.send(super::json_request("GET", url, Some(token), None)).await.map_err(|e| Some(e.to_string()))?;
    if r.status == 401 {
        return Err(None);
    }
    let v = super::body_json(&r);
    let user = &v["data"]["user"];
    match (r.status, user["open_id"].as_str()) {
        (200, Some(id)) => {
            let name = user["display_name"].as_str().map(str::to_string);
            Ok((id.to_string(), name.clone().unwrap_or_else(|| id.to_string()), name))
        }
        _ => Err(Some(super::describe(&r))),
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
            let default = if p == Platform::TikTok { super::tiktok::DEFAULT_API } else { super::meta::default_api(p) };
            let api = super::oauth::base_for(ctx, p, default);
            let who = if p == Platform::TikTok {
                tiktok_user(ctx, &api, &token).await
            } else {
                super::meta::verify(ctx, p, &api, &token, id.as_deref()).await
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
    let (status, view) = store(ctx, call, platform, verified).await?;
    Ok(json::ok(status, view))
}

/// Stores a verified account: a new one (201), or the same platform account connected again
/// (200): its credentials are replaced, keeping a stored refresh token the new grant lacks.
pub async fn store(
    ctx: &Context<'_>,
    call: &Call<'_>,
    platform: Platform,
    verified: Verified,
) -> Result<(u16, AccountView), AppError> {
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let platform = platform.as_str();
    let now = ctx.clock.now_ms();
    let existing = ctx
        .db
        .query_one(
            &format!(
                "SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND platform = ?2 AND external_id = ?3"
            ),
            &params![ws.as_str(), platform, verified.external_id.as_str()],
        )
        .await?
        .map(|r| decode(&r))
        .transpose()?;
    let id = existing.as_ref().map(|a| a.view.id.clone()).unwrap_or_else(|| ctx.new_id());
    let credentials = match &existing {
        Some(a) => verified.credentials.merged_over(&a.open(ctx).unwrap_or_default()),
        None => verified.credentials,
    };
    let plain = serde_json::to_vec(&credentials).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed =
        ctx.config.token_keys.seal(ctx.random.bytes(), &plain, &id).map_err(|e| AppError::Internal(e.to_string()))?;
    let key_id = ctx.config.token_keys.current_id().unwrap_or_default().to_string();
    let write = match &existing {
        None => Statement::new(
            "INSERT INTO social_accounts (id, workspace_id, platform, external_id, handle, display_name, service_url, auth_kind, \
             credentials, key_id, status, created_by, created_at, updated_at, access_expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'active', ?11, ?12, ?12, ?13)",
            params![
                id.as_str(),
                ws.as_str(),
                platform,
                verified.external_id.as_str(),
                verified.handle.as_str(),
                verified.display_name.clone(),
                verified.service_url.as_str(),
                verified.auth_kind,
                sealed,
                key_id,
                me.as_str(),
                now,
                verified.access_expires_at
            ],
        ),
        Some(_) => Statement::new(
            "UPDATE social_accounts SET handle = ?3, display_name = ?4, service_url = ?5, auth_kind = ?6, credentials = ?7, \
             key_id = ?8, status = 'active', last_error = NULL, paused_until = NULL, updated_at = ?9, access_expires_at = ?10 \
             WHERE workspace_id = ?1 AND id = ?2",
            params![
                ws.as_str(),
                id.as_str(),
                verified.handle.as_str(),
                verified.display_name.clone(),
                verified.service_url.as_str(),
                verified.auth_kind,
                sealed,
                key_id,
                now,
                verified.access_expires_at
            ],
        ),
    };
    let change = Change {
        action: if existing.is_some() { "social_account.reconnect" } else { "social_account.connect" },
        entity_type: "social_account",
        entity_id: &id,
        before: None,
        after: Some(
            serde_json::json!({ "platform": platform, "handle": verified.handle, "externalId": verified.external_id }),
        ),
    };
    ctx.db.batch(&[write, activity::record(ctx, call, &ws, change)]).await?;
    let account = load(ctx.db, &ws, &id).await?;
    Ok((if existing.is_some() { 200 } else { 201 }, account.view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/social-accounts", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's accounts, oldest first; never their credentials", body = Envelope<Vec<AccountView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope)))]
pub async fn list(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.as_str();
    let sql = format!("SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND status <> 'disconnected' ORDER BY id LIMIT 500");
    let rows = ctx.db.query(&sql, &params![ws]).await?;
    Ok(json::ok(200, rows.iter().map(|r| decode(r).map(|a| a.view)).collect::<Result<Vec<_>, _>>()?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("accountId" = String, Path)),
    responses((status = 200, description = "The account", body = Envelope<AccountView>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let ws = call.member()?.workspace_id.as_str();
    Ok(json::ok(200, load(ctx.db, ws, call.params.get("accountId")?).await?.view))
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
            Statement::new(
                "UPDATE social_accounts SET status = 'disconnected', credentials = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
                params![ws.as_str(), account.view.id.as_str(), empty, now],
            ),
            Statement::new(
                "UPDATE publications SET status = 'cancelled', reason = 'the account was disconnected', updated_at = ?3 \
                 WHERE workspace_id = ?1 AND account_id = ?2 AND status IN ('scheduled', 'retrying')",
                params![ws.as_str(), account.view.id.as_str(), now],
            ),
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
