//! Connected social accounts as stored: reading them, and storing a verified one (its
//! credentials sealed).

use super::{Account, AccountView, Credentials};
use crate::activity::{self, Change};
use crate::api::{Call, Context};
use crate::error::AppError;
use crate::params;
use crate::platforms::Platform;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;

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

/// The reads that find which of `ids` are accounts of the workspace, to send with others in one
/// round trip (`Sql::reads`); [`decode`] reads each row they answer.
pub fn among(workspace_id: &str, ids: &[String]) -> Vec<Statement> {
    crate::sql::in_chunks(&params![workspace_id], ids, among_sql)
}

/// [`among`] for the accounts a subquery over `values` selects (`?1` being the workspace).
pub fn among_in(ids: &str, values: Vec<crate::sql::Value>) -> Statement {
    Statement::new(among_sql(ids), values)
}

fn among_sql(ids: &str) -> String {
    format!("SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND id IN ({ids})")
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

/// Stores verified accounts of `platform` (the same platform account named twice, once): each a
/// new one (201), or the same platform account connected again (200), whose credentials are
/// replaced, keeping a stored refresh token the new grant lacks. What is stored of them is read
/// in one round trip and all are written in one batch, however many (a Facebook user's pages);
/// answers each as stored.
pub async fn store_all(
    ctx: &Context<'_>,
    call: &Call<'_>,
    platform: Platform,
    mut verified: Vec<Verified>,
) -> Result<Vec<(u16, AccountView)>, AppError> {
    let ws = call.member()?.workspace_id.clone();
    let me = call.caller()?.user_id.clone();
    let now = ctx.clock.now_ms();
    let mut seen = std::collections::HashSet::new();
    verified.retain(|v| seen.insert(v.external_id.clone()));
    let external_ids: Vec<String> = verified.iter().map(|v| v.external_id.clone()).collect();
    let reads = crate::sql::in_chunks(&params![ws.as_str(), platform.as_str()], &external_ids, |list| {
        format!("SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND platform = ?2 AND external_id IN ({list})")
    });
    let stored = ctx.db.reads(&reads).await?.iter().flatten().map(decode).collect::<Result<Vec<_>, _>>()?;
    let key_id = ctx.config.token_keys.current_id().unwrap_or_default().to_string();
    let (mut writes, mut records, mut out) = (Vec::new(), Vec::new(), Vec::new());
    let mut counted = 0;
    for v in verified {
        let existing = stored.iter().find(|a| a.view.external_id == v.external_id);
        let id = existing.map(|a| a.view.id.clone()).unwrap_or_else(|| ctx.new_id());
        let credentials = match existing {
            Some(a) => v.credentials.merged_over(&a.open(ctx).unwrap_or_default()),
            None => v.credentials,
        };
        let plain = serde_json::to_vec(&credentials).map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed = ctx
            .config
            .token_keys
            .seal(ctx.random.bytes(), &plain, &id)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let view = AccountView {
            handle: v.handle.clone(),
            display_name: v.display_name.clone(),
            service_url: v.service_url.clone(),
            auth_kind: v.auth_kind.to_string(),
            status: "active".into(),
            paused_until: None,
            last_error: None,
            updated_at: rfc3339(now),
            ..match existing {
                Some(a) => a.view.clone(),
                None => AccountView {
                    id: id.clone(),
                    platform,
                    external_id: v.external_id.clone(),
                    handle: String::new(),
                    display_name: None,
                    service_url: String::new(),
                    auth_kind: String::new(),
                    status: String::new(),
                    paused_until: None,
                    last_error: None,
                    slots: Vec::new(),
                    slot_timezone: NEW_SLOT_TIMEZONE.into(),
                    created_at: rfc3339(now),
                    updated_at: String::new(),
                },
            }
        };
        writes.push(match existing {
            None => Statement::new(
                "INSERT INTO social_accounts (id, workspace_id, platform, external_id, handle, display_name, service_url, auth_kind, \
                 credentials, key_id, status, created_by, created_at, updated_at, access_expires_at, slots, slot_timezone) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'active', ?11, ?12, ?12, ?13, '[]', ?14)",
                params![
                    id.as_str(),
                    ws.as_str(),
                    platform.as_str(),
                    v.external_id.as_str(),
                    v.handle.as_str(),
                    v.display_name.clone(),
                    v.service_url.as_str(),
                    v.auth_kind,
                    sealed,
                    key_id.as_str(),
                    me.as_str(),
                    now,
                    v.access_expires_at,
                    NEW_SLOT_TIMEZONE
                ],
            ),
            Some(_) => Statement::new(
                "UPDATE social_accounts SET handle = ?3, display_name = ?4, service_url = ?5, auth_kind = ?6, credentials = ?7, \
                 key_id = ?8, status = 'active', last_error = NULL, paused_until = NULL, updated_at = ?9, access_expires_at = ?10 \
                 WHERE workspace_id = ?1 AND id = ?2",
                params![
                    ws.as_str(),
                    id.as_str(),
                    v.handle.as_str(),
                    v.display_name.clone(),
                    v.service_url.as_str(),
                    v.auth_kind,
                    sealed,
                    key_id.as_str(),
                    now,
                    v.access_expires_at
                ],
            ),
        });
        let change = Change {
            action: if existing.is_some() { "social_account.reconnect" } else { "social_account.connect" },
            entity_type: "social_account",
            entity_id: &id,
            before: None,
            after: Some(
                serde_json::json!({ "platform": platform.as_str(), "handle": v.handle, "externalId": v.external_id }),
            ),
        };
        records.push(activity::record(ctx, call, &ws, change));
        // A new account (or a disconnected one back) counts against the plan's limit;
        // renewing an active account's credentials never does.
        counted += i64::from(existing.is_none_or(|a| a.view.status == "disconnected"));
        out.push((if existing.is_some() { 200 } else { 201 }, view));
    }
    // The plan's limit is held inside the batch (SPEC BI-2).
    let mut batch = Vec::with_capacity(writes.len() + records.len() + 2);
    if counted > 0 {
        batch.push(crate::plans::store::hold(&ws));
    }
    batch.append(&mut writes);
    if counted > 0 {
        batch.push(crate::plans::store::within(&ctx.config.plans, &ws, crate::plans::Metric::Accounts, now));
    }
    batch.append(&mut records);
    if let Err(e) = ctx.db.batch(&batch).await {
        return Err(match e {
            crate::sql::DbError::Constraint(_) if counted > 0 => {
                crate::plans::explain(ctx, &ws, crate::plans::Metric::Accounts, counted, e.into()).await
            }
            other => other.into(),
        });
    }
    Ok(out)
}

/// The posting times' zone of a new account, until its slots are set.
const NEW_SLOT_TIMEZONE: &str = "UTC";

/// The read of the workspace's accounts that are not disconnected, oldest first, to send with the
/// membership check in one round trip; [`views_of`] reads its answer.
pub fn connected_read(workspace_id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM social_accounts WHERE workspace_id = ?1 AND status <> 'disconnected' ORDER BY id LIMIT 500"
        ),
        params![workspace_id],
    )
}

/// The accounts [`connected_read`] (or [`among`]) found, as the API shows them.
pub fn views_of(rows: &[Row]) -> Result<Vec<AccountView>, AppError> {
    rows.iter().map(|r| decode(r).map(|a| a.view)).collect()
}

/// Disconnects the account: `sealed_empty` (an empty grant, sealed) replaces its credentials.
pub fn disconnect(workspace_id: &str, id: &str, sealed_empty: String, now: i64) -> Statement {
    Statement::new(
        "UPDATE social_accounts SET status = 'disconnected', credentials = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, id, sealed_empty, now],
    )
}

/// Replaces the account's posting slots (`slots`: their JSON) and their time zone.
pub fn set_slots(workspace_id: &str, id: &str, slots: String, timezone: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE social_accounts SET slots = ?3, slot_timezone = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, id, slots, timezone, now],
    )
}

/// Active OAuth accounts of Instagram and Threads whose long-lived token expires by `by`,
/// soonest first, at most `limit` (every workspace: the tick's renewal).
pub async fn long_lived_expiring(db: &dyn Sql, by: i64, limit: i64) -> Result<Vec<Account>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM social_accounts WHERE status = 'active' AND auth_kind = 'oauth' \
         AND platform IN ('instagram', 'threads') AND access_expires_at <= ?1 ORDER BY access_expires_at LIMIT ?2"
    );
    db.query(&sql, &params![by, limit]).await?.iter().map(decode).collect()
}

/// The account must be connected again (its grant was refused): only an active one turns.
pub fn needs_reconnect(workspace_id: &str, id: &str, reason: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE social_accounts SET status = 'needs_reconnect', last_error = ?3, updated_at = ?4 \
         WHERE workspace_id = ?1 AND id = ?2 AND status = 'active'",
        params![workspace_id, id, reason, now],
    )
}

/// The platform rate-limited the account: nothing is sent through it until `until`.
pub fn pause(workspace_id: &str, id: &str, until: i64, now: i64) -> Statement {
    Statement::new(
        "UPDATE social_accounts SET paused_until = ?3, updated_at = ?4 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, id, until, now],
    )
}

/// Stores credentials a publish renewed (sealed under key `key_id`), in the batch of its
/// outcome: never half-rotated.
pub fn set_credentials(workspace_id: &str, id: &str, sealed: String, key_id: String, now: i64) -> Statement {
    Statement::new(
        "UPDATE social_accounts SET credentials = ?3, key_id = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2",
        params![workspace_id, id, sealed, key_id, now],
    )
}

/// Takes the account's renewal lease until `until`, only over the credentials read and when no
/// live lease is held; 1 when taken.
pub async fn take_renewal_lease(
    db: &dyn Sql,
    workspace_id: &str,
    id: &str,
    credentials: &str,
    until: i64,
    now: i64,
) -> Result<u64, crate::sql::DbError> {
    db.execute(
        "UPDATE social_accounts SET renewal_lease_until = ?3 WHERE workspace_id = ?1 AND id = ?2 AND credentials = ?4 \
         AND (renewal_lease_until IS NULL OR renewal_lease_until < ?5)",
        &params![workspace_id, id, until, credentials, now],
    )
    .await
}

/// Gives back the lease taken until `until` (a renewal that failed).
pub async fn release_renewal_lease(
    db: &dyn Sql,
    workspace_id: &str,
    id: &str,
    until: i64,
) -> Result<u64, crate::sql::DbError> {
    db.execute(
        "UPDATE social_accounts SET renewal_lease_until = NULL WHERE workspace_id = ?1 AND id = ?2 \
         AND renewal_lease_until = ?3",
        &params![workspace_id, id, until],
    )
    .await
}

/// A renewed grant, sealed, to store over the one `account` was read with.
pub struct Renewed {
    pub sealed: String,
    pub key_id: String,
    pub access_expires_at: Option<i64>,
    pub now: i64,
}

/// Stores the renewed grant, access and refresh together, and frees the lease — only over the
/// credentials `account` was read with (a concurrent renewal wins); 1 when stored.
pub async fn store_renewed(db: &dyn Sql, account: &Account, r: Renewed) -> Result<u64, crate::sql::DbError> {
    db.execute(
        "UPDATE social_accounts SET credentials = ?3, key_id = ?4, access_expires_at = ?5, updated_at = ?6, \
         renewal_lease_until = NULL WHERE workspace_id = ?1 AND id = ?2 AND credentials = ?7",
        &params![
            account.workspace_id.as_str(),
            account.view.id.as_str(),
            r.sealed,
            r.key_id,
            r.access_expires_at,
            r.now,
            account.credentials.as_str()
        ],
    )
    .await
}
