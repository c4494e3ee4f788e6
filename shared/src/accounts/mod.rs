//! Connected social accounts (SPEC PB-1): who an account is on its platform, its sealed
//! credentials and status, and its posting slots. Content checks a target's account here,
//! the review page names it, and publishing connects, renews and posts through it; this area
//! builds on none of them. The store is the only module with SQL for `social_accounts`.

pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Context;
use crate::error::AppError;
use crate::platforms::Platform;

/// What a connected account's sealed credentials hold. Every field is optional: a platform
/// uses some of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl Credentials {
    /// A reconnect's credentials over the stored ones: a grant that brings no refresh token
    /// never erases the one stored.
    pub fn merged_over(self, stored: &Credentials) -> Credentials {
        Credentials {
            app_password: self.app_password.or_else(|| stored.app_password.clone()),
            access_token: self.access_token.or_else(|| stored.access_token.clone()),
            refresh_token: self.refresh_token.or_else(|| stored.refresh_token.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// mon … sun
    pub day: String,
    /// HH:MM, 24-hour, in the account's slot time zone.
    pub time: String,
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
    pub slots: Vec<Slot>,
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
