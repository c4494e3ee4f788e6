//! The AI routes: settings, own keys, generating, the generations and the usage report; the
//! prompt templates' in [`templates`].

pub mod ideas;
mod streamed;
pub mod templates;

use serde_json::json;

use super::gateway::{self, Attempt, Candidate};
use super::prompt::{self, PostBrief};
use super::providers::Prompt;
use super::*;
use crate::agency::store::{campaigns, clients, personas};
use crate::ai::templates as prompts;
use crate::api::json::{self, Envelope};
use crate::api::paging::{self, Page, PageQuery};
use crate::api::permissions::Role;
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::llm::{Provider, MICROS_PER_CREDIT};
use crate::plans::{store as plans, Metric};
use crate::validate::{self, rfc3339};

fn provider_views(ctx: &Context<'_>) -> Vec<ProviderView> {
    ctx.config
        .ai
        .providers
        .iter()
        .map(|p| ProviderView {
            name: p.name.clone(),
            kind: p.kind.as_str().into(),
            model: p.model.clone(),
            available: p.key.is_some(),
        })
        .collect()
}

/// The providers a generation walks: the caller's for this request, else the workspace's,
/// else the operator's order; names no longer configured are passed over.
fn chain<'c>(ctx: &'c Context<'_>, asked: Option<&[String]>, settings: &AiSettings) -> Vec<&'c Provider> {
    let ai = &ctx.config.ai;
    match asked.filter(|a| !a.is_empty()).or(Some(settings.chain.as_slice()).filter(|c| !c.is_empty())) {
        Some(names) => names.iter().filter_map(|n| ai.provider(n)).collect(),
        None => ai.providers.iter().collect(),
    }
}

/// Each provider of `chain` with the key a call would use: the caller's own, else the
/// workspace's, else the operator's. A sealed key that no longer opens (its key ring entry is
/// gone) is passed over.
fn candidates<'c>(
    ctx: &Context<'_>,
    chain: &[&'c Provider],
    own: &[store::StoredKey],
    workspace_id: &str,
    user_id: &str,
) -> Vec<Candidate<'c>> {
    let open = |provider: &str, owner: &str| {
        let stored = own.iter().find(|k| k.provider == provider && k.user_id == owner)?;
        let binding = store::key_binding(workspace_id, provider, owner);
        match ctx.config.token_keys.open(&stored.sealed, &binding) {
            Ok(plain) => String::from_utf8(plain).ok(),
            Err(e) => {
                tracing::warn!(%provider, "an own AI key no longer opens: {e}");
                None
            }
        }
    };
    chain
        .iter()
        .map(|p| {
            let (key, source) = match (open(&p.name, user_id), open(&p.name, "")) {
                (Some(k), _) => (Some(k), "user"),
                (None, Some(k)) => (Some(k), "workspace"),
                (None, None) => (p.key.clone(), "operator"),
            };
            Candidate { provider: p, key, source, blocked: None }
        })
        .collect()
}

fn settings_view(ctx: &Context<'_>, settings: AiSettings) -> AiSettingsView {
    let effective_chain = chain(ctx, None, &settings).iter().map(|p| p.name.clone()).collect();
    AiSettingsView { settings, effective_chain, providers: provider_views(ctx) }
}

/// Names that are not providers of this server, as field errors of `field`.
fn unknown_names(ctx: &Context<'_>, field: &str, names: &[String], max: usize, errors: &mut Vec<FieldError>) {
    if names.len() > max {
        errors.push(FieldError::new(field, &format!("must have at most {max} items")));
    }
    for (i, name) in names.iter().enumerate() {
        if ctx.config.ai.provider(name).is_none() {
            errors.push(FieldError::new(&format!("{field}[{i}]"), "is not a provider of this server (see providers)"));
        }
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/settings", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's chain and privacy mode, with the providers this server offers", body = Envelope<AiSettingsView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn get_settings(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let read = store::settings_read(call.params.get("workspaceId")?);
    let (_, settings) = call.admitted_one(ctx.db, read, store::settings_of).await?;
    Ok(json::ok(200, settings_view(ctx, settings)))
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/ai/settings", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = AiSettings,
    responses((status = 200, description = "Saved", body = Envelope<AiSettingsView>),
              (status = 400, description = "VALIDATION_ERROR: a name that is no provider of this server, or a default template that is not one of its kind the caller may use", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn put_settings(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: AiSettings = json::parse(&call.req.body)?;
    let member = call.member()?;
    let mut errors = Vec::new();
    unknown_names(ctx, "chain", &input.chain, 10, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // A default template is a built-in one, the workspace's, the caller's or a shared one, of its kind.
    for (field, id, kind) in [
        ("defaultPostTemplate", &input.default_post_template, "post"),
        ("defaultReelTemplate", &input.default_reel_template, "reel"),
    ] {
        let Some(id) = id else { continue };
        let found_kind = match prompts::system_template(id) {
            Some(t) => Some(t.kind.to_string()),
            None if crate::api::route::is_id(id) => {
                let read = store::templates::usable_read(&member.workspace_id, &call.caller()?.user_id, id);
                let rows = ctx.db.query(&read.sql, &read.params).await?;
                rows.first().map(|r| r.text("kind")).transpose()?
            }
            None => None,
        };
        match found_kind {
            Some(k) if k == kind => {}
            Some(_) => errors.push(FieldError::new(field, &format!("is not a {kind} template"))),
            None => errors.push(FieldError::new(field, "is not a template you can use")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut seen = std::collections::BTreeSet::new();
    let settings = AiSettings { chain: input.chain.into_iter().filter(|n| seen.insert(n.clone())).collect(), ..input };
    ctx.db.batch(&[store::save_settings(&member.workspace_id, &settings, ctx.clock.now_ms())?]).await?;
    Ok(json::ok(200, settings_view(ctx, settings)))
}

fn key_view(k: &store::StoredKey) -> OwnKeyView {
    OwnKeyView {
        provider: k.provider.clone(),
        scope: if k.user_id.is_empty() { "workspace" } else { "user" }.into(),
        hint: k.hint.clone(),
        created_at: rfc3339(k.created_at),
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/keys", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    responses((status = 200, description = "The workspace's own keys and the caller's, by their hints", body = Envelope<Vec<OwnKeyView>>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list_keys(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let read = store::keys_read(call.params.get("workspaceId")?, &call.caller()?.user_id);
    let (_, keys) = call.admitted_one(ctx.db, read, |rows| store::keys_of(rows)).await?;
    Ok(json::ok(200, keys.iter().map(key_view).collect::<Vec<_>>()))
}

/// The provider of the path, and whose key the scope names (empty: the workspace's); a
/// workspace's key is its owners' and admins' to change.
fn key_target<'c>(
    ctx: &'c Context<'_>,
    call: &Call<'_>,
    scope: Option<&str>,
) -> Result<(&'c Provider, String), AppError> {
    let provider =
        ctx.config.ai.provider(call.params.get("provider")?).ok_or_else(|| AppError::not_found("provider"))?;
    let member = call.member()?;
    match scope.unwrap_or("user") {
        "user" => Ok((provider, call.caller()?.user_id.clone())),
        "workspace" if member.role.rank() >= Role::Admin.rank() => Ok((provider, String::new())),
        "workspace" => Err(AppError::Forbidden("owners and admins manage the workspace's keys".into())),
        _ => Err(AppError::field("scope", "must be user or workspace")),
    }
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/ai/keys/{provider}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("provider" = String, Path, description = "A provider of this server (see the AI settings)")),
    request_body = OwnKeyInput,
    responses((status = 200, description = "Checked with the provider and saved, sealed; answered by its hint", body = Envelope<OwnKeyView>),
              (status = 400, description = "VALIDATION_ERROR: the provider refused the key, or it is malformed", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: a workspace's key is its owners' and admins'", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such workspace or provider", body = ErrorEnvelope),
              (status = 502, description = "EXTERNAL_API_ERROR: the provider could not be reached to check the key", body = ErrorEnvelope),
              (status = 503, description = "SERVICE_UNAVAILABLE: keys cannot be sealed on this server (TOKEN_KEYS)", body = ErrorEnvelope)))]
pub async fn save_key(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: OwnKeyInput = json::parse(&call.req.body)?;
    let key = input.key.trim().to_string();
    if key.len() < 8 || key.len() > 500 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field("key", "must be 8 to 500 visible characters without spaces"));
    }
    let (provider, owner) = key_target(ctx, call, input.scope.as_deref())?;
    if ctx.config.token_keys.is_empty() {
        return Err(AppError::ServiceUnavailable("keys cannot be stored: TOKEN_KEYS is not configured".into()));
    }
    // A cheap call proves the key before it is kept.
    let checked = ctx.http.send_within(super::providers::check_request(provider, &key), ctx.config.ai.attempt_ms).await;
    match checked.map(|r| super::providers::check_answer(provider.kind, &r)) {
        Ok(Ok(())) | Ok(Err(super::providers::Failure::RateLimited { .. })) => {}
        Ok(Err(super::providers::Failure::InvalidKey)) => {
            return Err(AppError::field("key", &format!("was refused by {}", provider.name)))
        }
        _ => return Err(AppError::ExternalApi(format!("{} could not be reached to check a key", provider.name))),
    }
    let member = call.member()?;
    let binding = store::key_binding(&member.workspace_id, &provider.name, &owner);
    let sealed = ctx
        .config
        .token_keys
        .seal(ctx.random.bytes(), key.as_bytes(), &binding)
        .map_err(|e| AppError::Internal(format!("sealing an AI key: {e}")))?;
    let hint: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let stored = store::StoredKey {
        provider: provider.name.clone(),
        user_id: owner,
        sealed,
        hint,
        created_at: ctx.clock.now_ms(),
    };
    ctx.db.batch(&[store::save_key(&member.workspace_id, &stored, &call.caller()?.user_id)]).await?;
    Ok(json::ok(200, key_view(&stored)))
}

#[utoipa::path(delete, path = "/api/v1/workspaces/{workspaceId}/ai/keys/{provider}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("provider" = String, Path),
           ("scope" = Option<String>, Query, description = "`user` (the default) or `workspace`")),
    responses((status = 204, description = "Forgotten (also when there was none)"),
              (status = 400, description = "VALIDATION_ERROR: scope", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: a workspace's key is its owners' and admins'", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such workspace or provider", body = ErrorEnvelope)))]
pub async fn delete_key(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let scope = call.req.query_param("scope");
    let (provider, owner) = key_target(ctx, call, scope.as_deref())?;
    let member = call.member()?;
    ctx.db.batch(&[store::delete_key(&member.workspace_id, &provider.name, &owner)]).await?;
    Ok(Response::empty(204))
}

/// Credits to hold for a prompt: what the dearest callable provider of the chain could cost at
/// most (its whole output, `calls` times), at least one.
fn reservation(ctx: &Context<'_>, chain: &[Candidate<'_>], prompt: &Prompt, calls: i64) -> i64 {
    let tokens_in = ((prompt.system.len() + prompt.user.len()) / 3 + 16) as i64;
    let most = chain
        .iter()
        .filter(|c| c.key.is_some() && c.source == "operator")
        .map(|c| ctx.config.ai.cost_micros(&c.provider.model, tokens_in, prompt.max_tokens as i64))
        .max();
    match most {
        None => 0,
        Some(micros) => (calls * micros).div_euclid(MICROS_PER_CREDIT).max(0) + 1,
    }
}

/// Credits a provider's answer costs: at least one.
fn credits_for(cost_micros: i64) -> i64 {
    ((cost_micros + MICROS_PER_CREDIT - 1) / MICROS_PER_CREDIT).max(1)
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/posts", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = GeneratePostInput,
    responses((status = 200, description = "A post from the first provider of the chain that answered, or built-in content (`static`) when none did; with the exact prompt, every attempt and what it used. Asked with `Accept: text/event-stream`: the same as server-sent events, `delta` events as the provider writes, then `done` with this generation (a provider that fails before its first word passes the turn to the next; the generation is settled when the stream ends, or when the caller leaves)",
               content((Envelope<Generated> = "application/json"), (String = "text/event-stream"))),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's AI credits for this period are spent", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN, or WORKSPACE_SUSPENDED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn generate_post(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: GeneratePostInput = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let brief = input.brief.trim().to_string();
    if brief.is_empty() {
        errors.push(FieldError::new("brief", "must not be empty"));
    } else if brief.chars().count() > 2000 {
        errors.push(FieldError::new("brief", "must be at most 2000 characters"));
    }
    if input.template_version.is_some() && input.template_id.is_none() {
        errors.push(FieldError::new("templateVersion", "needs templateId"));
    }
    if input.template_version.is_some_and(|v| v < 1) {
        errors.push(FieldError::new("templateVersion", "must be 1 or more"));
    }
    let ids = [
        ("clientId", &input.client_id),
        ("personaId", &input.persona_id),
        ("campaignId", &input.campaign_id),
        ("templateId", &input.template_id),
    ];
    required_ids(&ids, &mut errors);
    let tone = match validate::opt_text(input.tone.clone(), 200) {
        Ok(t) => t,
        Err(e) => {
            errors.push(FieldError::new("tone", &e));
            None
        }
    };
    asked_providers(ctx, &input.providers, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let workspace_id = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.clone();
    let now = ctx.clock.now_ms();
    let id_of = |id: &Option<String>| id.clone().unwrap_or_default();
    // The membership check and everything the prompt is made from: one round trip.
    let reads = vec![
        crate::workspaces::store::name_and_timezone_read(workspace_id),
        store::settings_read(workspace_id),
        store::cooldowns_read(now),
        clients::one_read(workspace_id, &viewer, &id_of(&input.client_id)),
        personas::one_read(workspace_id, &viewer, &id_of(&input.persona_id)),
        campaigns::one_read(workspace_id, &viewer, &id_of(&input.campaign_id)),
        clients::owner_of_read(workspace_id, "campaigns", &id_of(&input.campaign_id)),
        store::keys_read(workspace_id, &viewer),
        store::templates::chosen_read(workspace_id, &viewer, &id_of(&input.template_id)),
        store::templates::version_read(workspace_id, &id_of(&input.template_id), input.template_version.unwrap_or(0)),
    ];
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let answer = |i: usize| answers.get(i).map_or(&[][..], Vec::as_slice);
    let workspace = answer(0).first().ok_or_else(|| AppError::not_found("workspace"))?.text("name")?;
    let settings = store::settings_of(answer(1))?;
    let resting = store::cooldowns_of(answer(2))?;
    let found = |i: usize, field: &str, what: &str, wanted: bool, errors: &mut Vec<FieldError>| {
        if wanted && answer(i).is_empty() {
            errors.push(FieldError::new(field, &format!("is not a {what} of this workspace")));
        }
    };
    found(3, "clientId", "client", input.client_id.is_some(), &mut errors);
    found(4, "personaId", "persona", input.persona_id.is_some(), &mut errors);
    found(5, "campaignId", "campaign", input.campaign_id.is_some(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let client = match (input.client_id.is_some(), input.campaign_id.is_some()) {
        (true, _) => Some(clients::one_of(answer(3))?),
        (false, true) if !answer(6).is_empty() => Some(clients::one_of(answer(6))?),
        _ => None,
    };
    let persona = if input.persona_id.is_some() { Some(personas::one_of(answer(4))?) } else { None };
    let campaign = if input.campaign_id.is_some() { Some(campaigns::one_of(answer(5))?) } else { None };
    let brief_of = PostBrief {
        brief: &brief,
        workspace: &workspace,
        platform: input.platform,
        client: client.as_ref(),
        persona: persona.as_ref(),
        campaign: campaign.as_ref(),
        tone: tone.as_deref(),
    };
    // The prompt template: the one asked for, else the workspace's default, else the built-in one.
    let (system, user, template) = match (input.template_id.as_deref(), answer(8).first()) {
        (Some(id), _) if prompts::system_template(id).is_some() => {
            let t = prompts::system_template(id).ok_or_else(|| AppError::Internal("built-in template".into()))?;
            if t.kind != "post" {
                return Err(AppError::field("templateId", "is a reel template"));
            }
            if input.template_version.is_some_and(|v| v != 1) {
                return Err(AppError::field("templateVersion", "a built-in template has version 1 only"));
            }
            (t.system.to_string(), t.prompt.to_string(), (t.id.to_string(), 1))
        }
        (given, Some(row)) => {
            let t = store::templates::decode(row)?;
            if t.kind != "post" {
                return Err(AppError::field(
                    if given.is_some() { "templateId" } else { "defaultPostTemplate" },
                    "is a reel template",
                ));
            }
            match input.template_version.filter(|v| *v != t.version) {
                None => (t.system, t.prompt, (t.id, t.version)),
                Some(number) => {
                    let own = row.text("workspace_id")? == member.workspace_id;
                    let version = answer(9).first().filter(|_| own).map(store::templates::version_of).transpose()?;
                    let version = version.ok_or_else(|| {
                        AppError::field("templateVersion", "is not a version of this workspace's template")
                    })?;
                    (version.system, version.prompt, (t.id, number))
                }
            }
        }
        (Some(_), None) => return Err(AppError::field("templateId", "is not a template you can use")),
        (None, None) => {
            let t = &prompts::SYSTEM[0];
            (t.system.to_string(), t.prompt.to_string(), (t.id.to_string(), 1))
        }
    };
    let first = prompts::prompt(&system, &user, &prompts::post_values(&brief_of), ctx.config.ai.max_tokens);
    let job = Job {
        template: Some(template),
        kind: "post",
        workspace_id: &member.workspace_id,
        viewer: &viewer,
        now,
        first,
        platform: input.platform,
        providers: input.providers.as_deref(),
        settings,
        resting,
        own_keys: store::keys_of(answer(7))?,
        private: input.private,
        fallback: prompt::static_post(&brief_of),
        check: None,
    };
    if crate::api::stream::wanted(call.req) {
        return streamed::generate(ctx, job).await;
    }
    Ok(json::ok(200, generate(ctx, job).await?))
}

/// One generation, whatever it makes: what the prompt is, for which platform, down which chain.
struct Job<'a> {
    kind: &'static str,
    workspace_id: &'a str,
    viewer: &'a str,
    now: i64,
    first: Prompt,
    platform: Option<crate::platforms::Platform>,
    providers: Option<&'a [String]>,
    settings: AiSettings,
    resting: Vec<gateway::Cooldown>,
    own_keys: Vec<store::StoredKey>,
    private: bool,
    /// The built-in content when no provider answers.
    fallback: String,
    /// The prompt template and version the prompt was made from.
    template: Option<(String, i64)>,
    /// The schema a structured answer must follow.
    check: Option<&'a super::ideas::Validator>,
}

/// Reserves the credits, walks the chain (asking once more, shorter, when the answer passes the
/// platform's length, then cutting), and settles: the generation as returned.
async fn generate(ctx: &Context<'_>, job: Job<'_>) -> Result<Generated, AppError> {
    let (generated, settle) = generation(ctx, job).await?;
    ctx.db.batch(&settle).await?;
    Ok(generated)
}

/// [`generate`] but for the settlement: answers the generation and the statements that settle
/// it, for the caller to write with its own. An answer that must follow a schema (`check`) is
/// asked once more with its errors, then the next provider is.
async fn generation(ctx: &Context<'_>, job: Job<'_>) -> Result<(Generated, Vec<crate::sql::Statement>), AppError> {
    let providers = chain(ctx, job.providers, &job.settings);
    let mut chain = candidates(ctx, &providers, &job.own_keys, job.workspace_id, job.viewer);
    let (first, now) = (&job.first, job.now);

    // Credits held before the first call (a re-ask may follow when the text must fit a platform).
    let generation_id = ctx.new_id();
    let calls = if job.platform.is_some() || job.check.is_some() { 2 } else { 1 };
    hold(ctx, &job, &mut chain, &generation_id, calls).await?;

    let deadline = now + ctx.config.ai.deadline_ms as i64;
    let owner = (job.workspace_id, job.viewer);
    let mut sent = first.clone();
    let mut warnings = Vec::new();
    let mut tally = Tally::default();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut cooldowns = Vec::new();
    // Down the chain; a provider whose answer does not follow the schema, even repaired, passes
    // the turn to the next.
    let mut from = 0;
    let result = loop {
        let mut walk = gateway::walk(ctx, &chain[from..], &job.resting, first, deadline, owner).await;
        attempts.append(&mut walk.attempts);
        cooldowns.append(&mut walk.cooldowns);
        let Some((provider, source, answer)) = walk.answer.take() else { break None };
        let candidate = chain[from + walk.answered_at].clone();
        from += walk.answered_at + 1;
        let answered = attempts.len() - 1;
        tally.add(ctx, &provider, source, &answer);
        let mut text = answer.text;
        if let Some(validator) = job.check {
            match validator.check(&text) {
                Ok(value) => text = value.to_string(),
                Err(errors) => {
                    invalid(&mut attempts[answered], &errors);
                    // One repair, asked of the provider that answered, carrying the errors.
                    let again = super::ideas::repair(first, &text, &errors);
                    let mut second =
                        gateway::walk(ctx, std::slice::from_ref(&candidate), &job.resting, &again, deadline, owner)
                            .await;
                    attempts.append(&mut second.attempts);
                    cooldowns.append(&mut second.cooldowns);
                    let repaired = match second.answer {
                        Some((_, _, fixed)) => {
                            tally.add(ctx, &provider, source, &fixed);
                            validator.check(&fixed.text).map_err(|e| Some(e))
                        }
                        None => Err(None),
                    };
                    match repaired {
                        Ok(value) => {
                            text = value.to_string();
                            sent = again;
                        }
                        Err(still) => {
                            if let Some(still) = still {
                                if let Some(last) = attempts.last_mut() {
                                    invalid(last, &still);
                                }
                            }
                            continue;
                        }
                    }
                }
            }
        }
        if let Some(platform) = job.platform {
            if let Some(over) = prompt::overflow(platform, &text) {
                // One re-ask, of the provider that answered, stating the overflow.
                let again = prompt::shorter(first, platform, &text, over);
                let mut second =
                    gateway::walk(ctx, std::slice::from_ref(&candidate), &job.resting, &again, deadline, owner).await;
                attempts.append(&mut second.attempts);
                cooldowns.append(&mut second.cooldowns);
                if let Some((_, _, shorter)) = second.answer {
                    tally.add(ctx, &provider, source, &shorter);
                    text = shorter.text;
                    sent = again;
                }
                if let Some((length, max)) = prompt::overflow(platform, &text) {
                    text = prompt::cut(platform, &text);
                    warnings.push(format!("cut from {length} to fit {platform}'s limit of {max}"));
                }
            }
        }
        break Some((provider, source, text));
    };
    let ended = Ended { result, sent, tally, attempts, cooldowns, warnings };
    settlement(ctx, &job, generation_id, ended)
}

/// How a generation ended: the provider that answered (whose key, and the text), else the
/// built-in content; the prompt last sent and what the answers used.
struct Ended {
    result: Option<(Provider, &'static str, String)>,
    sent: Prompt,
    tally: Tally,
    attempts: Vec<Attempt>,
    cooldowns: Vec<gateway::Cooldown>,
    warnings: Vec<String>,
}

/// The generation as returned, and the statements that settle it: its record (prompt and
/// output unless private), the credits it took and the rests providers asked for.
fn settlement(
    ctx: &Context<'_>,
    job: &Job<'_>,
    generation_id: String,
    ended: Ended,
) -> Result<(Generated, Vec<crate::sql::Statement>), AppError> {
    let Ended { result, sent, tally, attempts, cooldowns, warnings } = ended;
    let private = job.private || job.settings.privacy_mode;
    let Tally { tokens_in, tokens_out, cost, operator_cost, operator_answers } = tally;
    let latency_ms = ctx.clock.now_ms() - job.now;
    let (status, provider_name, model, text) = match &result {
        Some((p, _, text)) => ("done", p.name.clone(), Some(p.model.clone()), text.clone()),
        None => ("static", "static".to_string(), None, job.fallback.clone()),
    };
    // Only the operator's keys take credits.
    let credits = if operator_answers > 0 { credits_for(operator_cost) } else { 0 };
    let parameters = json!({
        "maxTokens": sent.max_tokens,
        "temperature": sent.temperature,
        "platform": job.platform.map(|p| p.as_str()),
    });
    let prompt_view = PromptView { system: sent.system.clone(), user: sent.user.clone() };
    let prompt_json = serde_json::to_value(&prompt_view).map_err(|e| AppError::Internal(e.to_string()))?;
    let attempts_json = serde_json::to_value(&attempts).map_err(|e| AppError::Internal(e.to_string()))?;
    let settled = store::Settled {
        status,
        provider: &provider_name,
        model: model.as_deref().unwrap_or_default(),
        parameters: &parameters,
        prompt: (!private).then_some(&prompt_json),
        output: (!private).then_some(text.as_str()),
        tokens_in,
        tokens_out,
        cost_micros: cost,
        credits,
        latency_ms,
        attempts: &attempts_json,
    };
    let mut statements = store::settle(job.workspace_id, &generation_id, &settled, ctx.clock.now_ms());
    statements.extend(cooldowns.iter().map(store::rest));
    let generated = Generated {
        kind: job.kind.to_string(),
        generation_id,
        text,
        is_static: result.is_none(),
        provider: provider_name,
        model,
        prompt: prompt_view,
        parameters,
        usage: UsageView { tokens_in, tokens_out, cost_usd: cost as f64 / 1_000_000.0, credits },
        attempts,
        stored: !private,
        warnings,
        template_id: job.template.as_ref().map(|t| t.0.clone()),
        template_version: job.template.as_ref().map(|t| t.1),
    };
    Ok((generated, statements))
}

/// Holds the credits `calls` calls down `chain` could cost, with the generation's record
/// (`running`). Out of credits, own keys still work: the operator's are then passed over
/// (`noCredits`) and nothing is held.
async fn hold(
    ctx: &Context<'_>,
    job: &Job<'_>,
    chain: &mut [Candidate<'_>],
    generation_id: &str,
    calls: i64,
) -> Result<(), AppError> {
    let reserved = reservation(ctx, chain, &job.first, calls);
    let template = job.template.as_ref().map(|(id, v)| (id.as_str(), *v));
    let (plans_table, now) = (&ctx.config.plans, job.now);
    let hold =
        store::reserve(plans_table, job.workspace_id, generation_id, job.viewer, job.kind, template, reserved, now);
    if let Err(e) = ctx.db.batch(&hold).await {
        let refusal = match e {
            crate::sql::DbError::Constraint(_) => {
                crate::plans::explain(ctx, job.workspace_id, Metric::AiCredits, reserved, e.into()).await
            }
            other => return Err(other.into()),
        };
        let own = chain.iter().any(|c| c.key.is_some() && c.source != "operator");
        if !matches!(refusal, AppError::PlanLimit(_)) || !own {
            return Err(refusal);
        }
        for c in chain.iter_mut().filter(|c| c.source == "operator") {
            c.blocked = Some("noCredits");
        }
        let hold = store::reserve(plans_table, job.workspace_id, generation_id, job.viewer, job.kind, template, 0, now);
        ctx.db.batch(&hold).await?;
    }
    Ok(())
}

/// What the answers of one generation used.
#[derive(Default)]
struct Tally {
    tokens_in: i64,
    tokens_out: i64,
    cost: i64,
    /// The part of `cost` on the operator's keys, and how many of its answers.
    operator_cost: i64,
    operator_answers: i64,
}

impl Tally {
    fn add(&mut self, ctx: &Context<'_>, provider: &Provider, source: &str, answer: &super::providers::Answer) {
        let cost = ctx.config.ai.cost_micros(&provider.model, answer.tokens_in, answer.tokens_out);
        self.tokens_in += answer.tokens_in;
        self.tokens_out += answer.tokens_out;
        self.cost += cost;
        if source == "operator" {
            self.operator_cost += cost;
            self.operator_answers += 1;
        }
    }
}

/// Marks an attempt whose answer did not follow the schema, with its first errors.
fn invalid(attempt: &mut Attempt, errors: &[String]) {
    attempt.outcome = "invalidOutput".into();
    let detail: String = errors.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    attempt.detail = Some(detail.chars().take(300).collect());
}

/// Owners and admins see every member's generations; others their own.
fn whose(member: &crate::api::Member, caller: &str) -> String {
    if member.role.rank() >= Role::Admin.rank() {
        String::new()
    } else {
        caller.to_string()
    }
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/generations", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), PageQuery),
    responses((status = 200, description = "Generations, newest first: the caller's own (every member's for owners and admins)", body = Envelope<Page<GenerationView>>),
              (status = 400, description = "VALIDATION_ERROR: limit or cursor", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn list_generations(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let paging = paging::by_key(call.req)?;
    let workspace_id = call.params.get("workspaceId")?;
    let caller = call.caller()?.user_id.clone();
    // Owners' and admins' view needs the role, which the same round trip admits: read every
    // member's, and keep the caller's own for the others.
    let read = store::page_read(workspace_id, "", &paging)?;
    let mine = store::page_read(workspace_id, &caller, &paging)?;
    let (member, answers) = call.admitted_reads(ctx.db, vec![read, mine]).await?;
    let rows = if whose(&member, &caller).is_empty() { answers.first() } else { answers.get(1) };
    let (items, next_cursor) = store::page_of(rows.map_or(&[][..], Vec::as_slice), paging.limit)?;
    Ok(json::ok(200, Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/generations/{generationId}", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("generationId" = String, Path)),
    responses((status = 200, description = "The generation: its prompt and output (null when private), attempts and usage", body = Envelope<GenerationView>),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND: no such generation of the caller's (of any member's, for owners and admins)", body = ErrorEnvelope)))]
pub async fn get_generation(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let workspace_id = call.params.get("workspaceId")?;
    let id = call.params.get("generationId")?;
    let caller = call.caller()?.user_id.clone();
    let reads = vec![store::one_read(workspace_id, "", id), store::one_read(workspace_id, &caller, id)];
    let (member, answers) = call.admitted_reads(ctx.db, reads).await?;
    let rows = if whose(&member, &caller).is_empty() { answers.first() } else { answers.get(1) };
    Ok(json::ok(200, store::one_of(rows.map_or(&[][..], Vec::as_slice))?))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/ai/usage", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path),
           ("from" = Option<String>, Query, description = "RFC 3339; the start of the plan's current period when absent"),
           ("to" = Option<String>, Query, description = "RFC 3339, exclusive; now when absent")),
    responses((status = 200, description = "Tokens, cost and credits per member, provider and model", body = Envelope<UsageReport>),
              (status = 400, description = "VALIDATION_ERROR: from or to", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN: owners and admins", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn usage(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let workspace_id = call.params.get("workspaceId")?;
    let now = ctx.clock.now_ms();
    let time = |name: &str| match call.req.query_param(name) {
        None => Ok(None),
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map(|t| Some(t.as_millisecond()))
            .map_err(|_| FieldError::new(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z")),
    };
    let (from, to) = match (time("from"), time("to")) {
        (Ok(from), Ok(to)) => (from, to.unwrap_or(now + 1)),
        (from, to) => return Err(AppError::Validation(from.err().into_iter().chain(to.err()).collect())),
    };
    // The period's start, when `from` is absent, and the usage since: with the membership check,
    // one round trip.
    let reads = vec![plans::standing_read(workspace_id, now), store::usage_read(workspace_id, from, to)];
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let from = match from {
        Some(ms) => ms,
        None => plans::standing_of(answers.first().map_or(&[][..], Vec::as_slice))?.map_or(0, |s| s.period_start),
    };
    let lines = store::usage_of(answers.get(1).map_or(&[][..], Vec::as_slice))?;
    let report = UsageReport {
        from: rfc3339(from),
        to: rfc3339(to),
        generations: lines.iter().map(|l| l.generations).sum(),
        tokens_in: lines.iter().map(|l| l.tokens_in).sum(),
        tokens_out: lines.iter().map(|l| l.tokens_out).sum(),
        cost_usd: lines.iter().map(|l| l.cost_usd).sum(),
        credits: lines.iter().map(|l| l.credits).sum(),
        lines,
    };
    Ok(json::ok(200, report))
}

/// Optional fields that, when given, must be ids.
fn required_ids(fields: &[(&str, &Option<String>)], errors: &mut Vec<FieldError>) {
    for (field, id) in fields {
        if id.as_deref().is_some_and(|id| !crate::api::route::is_id(id)) {
            errors.push(FieldError::new(*field, "must be an id"));
        }
    }
}

/// A required text field: trimmed, not empty, at most `max` characters.
fn required_text(field: &str, text: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if text.chars().count() > max {
        errors.push(FieldError::new(field, &format!("must be at most {max} characters")));
    }
    text.to_string()
}

fn asked_providers(ctx: &Context<'_>, providers: &Option<Vec<String>>, errors: &mut Vec<FieldError>) {
    if let Some(names) = providers {
        if names.is_empty() {
            errors.push(FieldError::new("providers", "must name at least one provider, or be left out"));
        }
        unknown_names(ctx, "providers", names, 10, errors);
    }
}

/// What every generation reads besides its own: the settings, the rests and the own keys (after
/// `extra`, with the membership check, in one round trip). Answers the member, `extra`'s
/// answers, and the three.
async fn common_reads(
    ctx: &Context<'_>,
    call: &Call<'_>,
    extra: Vec<crate::sql::Statement>,
) -> Result<
    (crate::api::Member, Vec<Vec<crate::sql::Row>>, AiSettings, Vec<gateway::Cooldown>, Vec<store::StoredKey>),
    AppError,
> {
    let workspace_id = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.clone();
    let n = extra.len();
    let mut reads = extra;
    reads.push(store::settings_read(workspace_id));
    reads.push(store::cooldowns_read(ctx.clock.now_ms()));
    reads.push(store::keys_read(workspace_id, &viewer));
    let (member, mut answers) = call.admitted_reads(ctx.db, reads).await?;
    let rest = answers.split_off(n.min(answers.len()));
    let answer = |i: usize| rest.get(i).map_or(&[][..], Vec::as_slice);
    Ok((member, answers, store::settings_of(answer(0))?, store::cooldowns_of(answer(1))?, store::keys_of(answer(2))?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/adapt", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = AdaptInput,
    responses((status = 200, description = "The text rewritten for the platform, within its length (asked again once, then cut, when the model wrote too much); the text itself, cut to fit, as static content when no provider answered", body = Envelope<Generated>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's AI credits for this period are spent", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN, or WORKSPACE_SUSPENDED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn adapt(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: AdaptInput = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let text = required_text("text", &input.text, 10_000, &mut errors);
    if input.client_id.as_deref().is_some_and(|id| !crate::api::route::is_id(id)) {
        errors.push(FieldError::new("clientId", "must be an id"));
    }
    let tone = validate::opt_text(input.tone.clone(), 200).unwrap_or_else(|e| {
        errors.push(FieldError::new("tone", &e));
        None
    });
    asked_providers(ctx, &input.providers, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let workspace_id = call.params.get("workspaceId")?;
    let viewer = call.caller()?.user_id.clone();
    let client_read = clients::one_read(workspace_id, &viewer, input.client_id.as_deref().unwrap_or_default());
    let (member, answers, settings, resting, own_keys) = common_reads(ctx, call, vec![client_read]).await?;
    let client = match &input.client_id {
        Some(_) => match clients::one_of(answers.first().map_or(&[][..], Vec::as_slice)) {
            Ok(c) => Some(c),
            Err(AppError::NotFound(_)) => return Err(AppError::field("clientId", "is not a client of this workspace")),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let platform = input.platform;
    let fallback = match prompt::overflow(platform, &text) {
        Some(_) => prompt::cut(platform, &text),
        None => text.clone(),
    };
    let job = Job {
        kind: "adapt",
        workspace_id: &member.workspace_id,
        viewer: &viewer,
        now: ctx.clock.now_ms(),
        first: prompt::adapt(&text, platform, client.as_ref(), tone.as_deref(), ctx.config.ai.max_tokens),
        platform: Some(platform),
        providers: input.providers.as_deref(),
        settings,
        resting,
        own_keys,
        private: input.private,
        fallback,
        template: None,
        check: None,
    };
    Ok(json::ok(200, generate(ctx, job).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/headlines", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = HeadlinesInput,
    responses((status = 200, description = "Headline suggestions (the text's own first sentences as static content when no provider answered)", body = Envelope<HeadlinesResult>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's AI credits for this period are spent", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN, or WORKSPACE_SUSPENDED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn headlines(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: HeadlinesInput = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let text = required_text("text", &input.text, 5_000, &mut errors);
    let count = input.count.unwrap_or(5);
    if !(1..=10).contains(&count) {
        errors.push(FieldError::new("count", "must be from 1 to 10"));
    }
    asked_providers(ctx, &input.providers, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let count = count as usize;
    let viewer = call.caller()?.user_id.clone();
    let (member, _, settings, resting, own_keys) = common_reads(ctx, call, Vec::new()).await?;
    let job = Job {
        kind: "headlines",
        workspace_id: &member.workspace_id,
        viewer: &viewer,
        now: ctx.clock.now_ms(),
        first: prompt::headlines(&text, count, 400.min(ctx.config.ai.max_tokens)),
        platform: None,
        providers: input.providers.as_deref(),
        settings,
        resting,
        own_keys,
        private: input.private,
        fallback: prompt::static_headlines(&text, count).join("\n"),
        template: None,
        check: None,
    };
    let generation = generate(ctx, job).await?;
    let headlines = prompt::lines(&generation.text, count);
    Ok(json::ok(200, HeadlinesResult { headlines, generation }))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/ai/seo", tag = "ai", security(("bearer" = [])),
    params(("workspaceId" = String, Path)), request_body = SeoInput,
    responses((status = 200, description = "Readability, length and keywords measured locally, with the model's suggestions (or the measures' own advice as static content when no provider answered)", body = Envelope<SeoResult>),
              (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
              (status = 402, description = "PLAN_LIMIT_REACHED: the workspace's AI credits for this period are spent", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN, or WORKSPACE_SUSPENDED", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn seo(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: SeoInput = json::parse(&call.req.body)?;
    let mut errors = Vec::new();
    let text = required_text("text", &input.text, 20_000, &mut errors);
    let keywords = validate::labels(input.keywords.clone(), 10).unwrap_or_else(|e| {
        errors.push(FieldError::new("keywords", &e));
        Vec::new()
    });
    asked_providers(ctx, &input.providers, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let analysis = super::seo::analyse(&text, &keywords);
    let viewer = call.caller()?.user_id.clone();
    let (member, _, settings, resting, own_keys) = common_reads(ctx, call, Vec::new()).await?;
    let job = Job {
        kind: "seo",
        workspace_id: &member.workspace_id,
        viewer: &viewer,
        now: ctx.clock.now_ms(),
        first: prompt::seo(&text, &analysis, 500.min(ctx.config.ai.max_tokens)),
        platform: None,
        providers: input.providers.as_deref(),
        settings,
        resting,
        own_keys,
        private: input.private,
        fallback: analysis.issues.join("\n"),
        template: None,
        check: None,
    };
    let generation = generate(ctx, job).await?;
    let suggestions = prompt::lines(&generation.text, 5);
    Ok(json::ok(200, SeoResult { analysis, suggestions, generation }))
}
