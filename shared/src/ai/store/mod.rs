//! The only SQL on `ai_settings`, `ai_generations`, `ai_keys` and `ai_cooldowns`; the templates'
//! in [`templates`].

pub mod templates;

use super::gateway::Cooldown;
use super::{AiSettings, GenerationView, UsageLine};
use crate::api::paging::{self, ByKey};
use crate::error::AppError;
use crate::params;
use crate::plans::{store as plans, Metric, Plans};
use crate::sql::{Row, Statement};
use crate::validate::rfc3339;

/// The workspace's AI settings (none stored: the operator's chain, privacy off).
pub fn settings_read(workspace_id: &str) -> Statement {
    Statement::new(
        "SELECT chain, privacy_mode, default_post_template, default_reel_template, updated_at FROM ai_settings \
         WHERE workspace_id = ?1",
        params![workspace_id],
    )
}

pub fn settings_of(rows: &[Row]) -> Result<AiSettings, AppError> {
    let Some(row) = rows.first() else { return Ok(AiSettings::default()) };
    Ok(AiSettings {
        chain: serde_json::from_value(row.json("chain")?).unwrap_or_default(),
        privacy_mode: row.int("privacy_mode")? != 0,
        default_post_template: row.opt_text("default_post_template")?,
        default_reel_template: row.opt_text("default_reel_template")?,
    })
}

pub fn save_settings(workspace_id: &str, settings: &AiSettings, now: i64) -> Result<Statement, AppError> {
    let chain = serde_json::to_string(&settings.chain).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Statement::new(
        "INSERT INTO ai_settings (workspace_id, chain, privacy_mode, default_post_template, default_reel_template, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (workspace_id) DO UPDATE SET chain = excluded.chain, \
         privacy_mode = excluded.privacy_mode, default_post_template = excluded.default_post_template, \
         default_reel_template = excluded.default_reel_template, updated_at = excluded.updated_at",
        params![
            workspace_id,
            chain,
            settings.privacy_mode as i64,
            settings.default_post_template.as_deref(),
            settings.default_reel_template.as_deref(),
            now
        ],
    ))
}

/// The workspace's own keys and the caller's (`?2`): provider, owner (empty for the
/// workspace's), sealed key and hint.
pub fn keys_read(workspace_id: &str, user_id: &str) -> Statement {
    Statement::new(
        "SELECT provider, user_id, sealed, hint, created_at FROM ai_keys WHERE workspace_id = ?1 \
         AND (user_id = '' OR user_id = ?2) ORDER BY provider, user_id",
        params![workspace_id, user_id],
    )
}

/// One own key as stored.
pub struct StoredKey {
    pub provider: String,
    /// Empty for the workspace's key.
    pub user_id: String,
    pub sealed: String,
    pub hint: String,
    pub created_at: i64,
}

pub fn keys_of(rows: &[Row]) -> Result<Vec<StoredKey>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(StoredKey {
                provider: r.text("provider")?,
                user_id: r.text("user_id")?,
                sealed: r.text("sealed")?,
                hint: r.text("hint")?,
                created_at: r.int("created_at")?,
            })
        })
        .collect()
}

/// What a key is sealed for: it opens only as the key of this workspace, provider and owner.
pub fn key_binding(workspace_id: &str, provider: &str, user_id: &str) -> String {
    format!("ai-key:{workspace_id}:{provider}:{user_id}")
}

pub fn save_key(workspace_id: &str, key: &StoredKey, by: &str) -> Statement {
    Statement::new(
        "INSERT INTO ai_keys (workspace_id, provider, user_id, sealed, hint, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (workspace_id, provider, user_id) DO UPDATE \
         SET sealed = excluded.sealed, hint = excluded.hint, created_by = excluded.created_by, created_at = excluded.created_at",
        params![workspace_id, key.provider.as_str(), key.user_id.as_str(), key.sealed.as_str(), key.hint.as_str(), by, key.created_at],
    )
}

pub fn delete_key(workspace_id: &str, provider: &str, user_id: &str) -> Statement {
    Statement::new(
        "DELETE FROM ai_keys WHERE workspace_id = ?1 AND provider = ?2 AND user_id = ?3",
        params![workspace_id, provider, user_id],
    )
}

/// The providers resting at `now` (`?1`).
pub fn cooldowns_read(now: i64) -> Statement {
    Statement::new("SELECT provider, until_at FROM ai_cooldowns WHERE until_at > ?1", params![now])
}

pub fn cooldowns_of(rows: &[Row]) -> Result<Vec<Cooldown>, AppError> {
    rows.iter().map(|r| Ok(Cooldown { provider: r.text("provider")?, until: r.int("until_at")? })).collect()
}

/// Remembers that `c.provider` rests until `c.until` (a later rest wins).
pub fn rest(c: &Cooldown) -> Statement {
    Statement::new(
        "INSERT INTO ai_cooldowns (provider, until_at) VALUES (?1, ?2) ON CONFLICT (provider) DO UPDATE \
         SET until_at = CASE WHEN excluded.until_at > ai_cooldowns.until_at THEN excluded.until_at ELSE ai_cooldowns.until_at END",
        params![c.provider.as_str(), c.until],
    )
}

/// A generation begins: its row, and `reserved` credits taken from the workspace's period,
/// refused past the plan's limit (the batch fails on the guard).
#[allow(clippy::too_many_arguments)]
pub fn reserve(
    plans_table: &Plans,
    workspace_id: &str,
    generation_id: &str,
    user_id: &str,
    kind: &str,
    template: Option<(&str, i64)>,
    reserved: i64,
    now: i64,
) -> Vec<Statement> {
    let mut out = Vec::with_capacity(4);
    if reserved > 0 {
        out.push(plans::hold(workspace_id));
    }
    out.push(Statement::new(
        "INSERT INTO ai_generations (id, workspace_id, user_id, kind, status, reserved, created_at, template_id, template_version) \
         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8)",
        params![generation_id, workspace_id, user_id, kind, reserved, now, template.map(|t| t.0), template.map(|t| t.1)],
    ));
    if reserved > 0 {
        out.push(plans::spend(workspace_id, Metric::AiCredits, reserved));
        out.push(plans::within(plans_table, workspace_id, Metric::AiCredits, now));
    }
    out
}

/// Where a generation ended, to settle.
pub struct Settled<'a> {
    pub status: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub parameters: &'a serde_json::Value,
    /// `None` in privacy mode.
    pub prompt: Option<&'a serde_json::Value>,
    pub output: Option<&'a str>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub cost_micros: i64,
    pub credits: i64,
    pub latency_ms: i64,
    pub attempts: &'a serde_json::Value,
}

/// Settles a running generation once: the workspace's counter moves by what it cost less what
/// was reserved, and the row records the outcome. A generation already settled (a retry, the
/// sweeper) changes nothing: both statements are guarded by its `running` status, in one batch.
pub fn settle(workspace_id: &str, generation_id: &str, s: &Settled<'_>, now: i64) -> Vec<Statement> {
    let running = "SELECT 1 FROM ai_generations g WHERE g.id = ?3 AND g.status = 'running'";
    vec![
        plans::spend_if(
            workspace_id,
            Metric::AiCredits,
            "COALESCE((SELECT CAST(?4 AS BIGINT) - g.reserved FROM ai_generations g WHERE g.id = ?3), 0)",
            running,
            params![generation_id, s.credits],
        ),
        Statement::new(
            "UPDATE ai_generations SET status = ?3, provider = ?4, model = ?5, parameters = ?6, prompt = ?7, output = ?8, \
             tokens_in = ?9, tokens_out = ?10, cost_micros = ?11, credits = ?12, latency_ms = ?13, attempts = ?14, \
             private = ?15, settled_at = ?16 WHERE id = ?1 AND workspace_id = ?2 AND status = 'running'",
            params![
                generation_id,
                workspace_id,
                s.status,
                s.provider,
                s.model,
                s.parameters.to_string(),
                s.prompt.map(|p| p.to_string()),
                s.output,
                s.tokens_in,
                s.tokens_out,
                s.cost_micros,
                s.credits,
                s.latency_ms,
                s.attempts.to_string(),
                s.prompt.is_none() as i64,
                now
            ],
        ),
    ]
}

/// Generations still running past `before` (their request died): each gives its reservation
/// back and ends `abandoned`, a few at a time.
pub async fn abandon_stale(db: &dyn crate::sql::Sql, before: i64, limit: i64, now: i64) -> Result<u64, AppError> {
    let rows = db
        .query(
            "SELECT id, workspace_id FROM ai_generations WHERE status = 'running' AND created_at < ?1 \
             ORDER BY created_at LIMIT ?2",
            &params![before, limit],
        )
        .await?;
    let mut statements = Vec::with_capacity(rows.len() * 2);
    let (empty, none) = (serde_json::json!({}), serde_json::json!([]));
    for row in &rows {
        let settled = Settled {
            status: "abandoned",
            provider: "",
            model: "",
            parameters: &empty,
            prompt: None,
            output: None,
            tokens_in: 0,
            tokens_out: 0,
            cost_micros: 0,
            credits: 0,
            latency_ms: 0,
            attempts: &none,
        };
        statements.extend(settle(&row.text("workspace_id")?, &row.text("id")?, &settled, now));
    }
    if statements.is_empty() {
        return Ok(0);
    }
    db.batch(&statements).await?;
    Ok(rows.len() as u64)
}

const COLUMNS: &str = "id, user_id, kind, status, provider, model, parameters, prompt, output, private, tokens_in, \
    tokens_out, cost_micros, reserved, credits, latency_ms, attempts, template_id, template_version, created_at, settled_at";

fn decode(r: &Row) -> Result<GenerationView, AppError> {
    let prompt = match r.opt_text("prompt")? {
        Some(text) => serde_json::from_str(&text).ok(),
        None => None,
    };
    Ok(GenerationView {
        id: r.text("id")?,
        user_id: r.opt_text("user_id")?,
        kind: r.text("kind")?,
        status: r.text("status")?,
        provider: r.opt_text("provider")?.filter(|p| !p.is_empty()),
        model: r.opt_text("model")?.filter(|m| !m.is_empty()),
        parameters: match r.opt_text("parameters")? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => serde_json::Value::Null,
        },
        prompt,
        output: r.opt_text("output")?,
        private: r.int("private")? != 0,
        tokens_in: r.int("tokens_in")?,
        tokens_out: r.int("tokens_out")?,
        cost_usd: r.int("cost_micros")? as f64 / 1_000_000.0,
        credits_reserved: r.int("reserved")?,
        credits: r.int("credits")?,
        latency_ms: r.int("latency_ms")?,
        attempts: serde_json::from_value(r.json("attempts")?).unwrap_or_default(),
        template_id: r.opt_text("template_id")?,
        template_version: r.opt_int("template_version")?,
        created_at: rfc3339(r.int("created_at")?),
        settled_at: r.opt_int("settled_at")?.map(rfc3339),
    })
}

/// One generation of the workspace made by `?3` (any member's when `?3` is empty).
pub fn one_read(workspace_id: &str, user_id: &str, id: &str) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_generations WHERE workspace_id = ?1 AND id = ?2 AND (?3 = '' OR user_id = ?3)"
        ),
        params![workspace_id, id, user_id],
    )
}

pub fn one_of(rows: &[Row]) -> Result<GenerationView, AppError> {
    decode(rows.first().ok_or_else(|| AppError::not_found("generation"))?)
}

/// A page of the generations of `user_id` (every member's when empty), newest first.
pub fn page_read(workspace_id: &str, user_id: &str, paging: &ByKey) -> Result<Statement, AppError> {
    let (at, after) = match &paging.after {
        Some((key, id)) => (paging::int_key(key)?, id.clone()),
        None => (i64::MAX, String::new()),
    };
    Ok(Statement::new(
        format!(
            "SELECT {COLUMNS} FROM ai_generations WHERE workspace_id = ?1 AND (?2 = '' OR user_id = ?2) \
             AND (?4 = '' OR created_at < ?3 OR (created_at = ?3 AND id < ?4)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5"
        ),
        params![workspace_id, user_id, at, after, paging.limit + 1],
    ))
}

pub fn page_of(rows: &[Row], limit: i64) -> Result<(Vec<GenerationView>, Option<String>), AppError> {
    paging::page(rows, limit, decode, |r| Ok(paging::keyed(&r.int("created_at")?.to_string(), &r.text("id")?)))
}

/// What the workspace's generations from `from` (the start of its plan's period when `None`) to
/// `to` (ms) used, per member, provider and model.
pub fn usage_read(workspace_id: &str, from: Option<i64>, to: i64) -> Statement {
    Statement::new(
        "SELECT user_id, COALESCE(provider, '') AS provider, COALESCE(model, '') AS model, COUNT(*) AS generations, \
         CAST(COALESCE(SUM(tokens_in), 0) AS BIGINT) AS tokens_in, CAST(COALESCE(SUM(tokens_out), 0) AS BIGINT) AS tokens_out, \
         CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros, CAST(COALESCE(SUM(credits), 0) AS BIGINT) AS credits \
         FROM ai_generations WHERE workspace_id = ?1 AND created_at < ?3 AND status <> 'running' AND created_at >= \
         CASE WHEN CAST(?2 AS BIGINT) < 0 THEN COALESCE((SELECT s.period_start FROM subscriptions s WHERE s.workspace_id = ?1), 0) \
         ELSE CAST(?2 AS BIGINT) END \
         GROUP BY user_id, provider, model ORDER BY user_id, provider, model LIMIT 1000",
        params![workspace_id, from.map_or(-1, |f| f.max(0)), to],
    )
}

pub fn usage_of(rows: &[Row]) -> Result<Vec<UsageLine>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(UsageLine {
                user_id: r.opt_text("user_id")?,
                provider: r.text("provider")?,
                model: r.text("model")?,
                generations: r.int("generations")?,
                tokens_in: r.int("tokens_in")?,
                tokens_out: r.int("tokens_out")?,
                cost_usd: r.int("cost_micros")? as f64 / 1_000_000.0,
                credits: r.int("credits")?,
            })
        })
        .collect()
}
