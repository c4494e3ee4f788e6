//! The gateway (SPEC AI-1, AI-2): a prompt goes down a chain of providers until one answers,
//! inside one deadline; a provider that said "too many requests" cools down for as long as it
//! asked, remembered across requests. Every attempt is recorded, whatever its outcome.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::providers::{self, Answer, Failure, Prompt};
use crate::api::Context;
use crate::llm::Provider;
use crate::ports::HttpError;

/// One try of one provider.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// `ok`, or why not: `timeout`, `unreachable`, `rateLimited`, `serverError`, `overloaded`,
    /// `invalidKey`, `refused`, `malformed`, `rejected`; or why it was not tried: `coolingDown`,
    /// `noKey`, `deadline`.
    pub outcome: String,
    /// The provider's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// How long the provider asked to be left alone (a 429).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
    /// Whose key the call used: `user` (the caller's own), `workspace` (the workspace's own;
    /// neither takes credits) or `operator` (this server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_source: Option<String>,
    /// A refusal's reason, as the provider gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A provider with the key a walk would call it with.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub provider: &'a Provider,
    /// None: it has no key and is passed over.
    pub key: Option<String>,
    /// `user`, `workspace` or `operator`.
    pub source: &'static str,
    /// Why it is not to be asked (`noCredits`), though it has a key.
    pub blocked: Option<&'static str>,
}

impl Candidate<'_> {
    /// What rests after a 429: the provider with this key (the operator's key is every
    /// workspace's, so its rest is too; an own key rests alone).
    pub fn rest_id(&self, owner: &str) -> String {
        match self.source {
            "operator" => self.provider.name.clone(),
            source => format!("{}:{source}:{owner}", self.provider.name),
        }
    }
}

/// A provider resting after a 429, until `until` (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Cooldown {
    pub provider: String,
    pub until: i64,
}

/// What a walk down the chain came to.
#[derive(Debug, Default)]
pub struct Walk {
    /// The provider that answered, whose key it used (`user`, `workspace`, `operator`), and
    /// its answer.
    pub answer: Option<(Provider, &'static str, Answer)>,
    /// Which candidate of the chain answered.
    pub answered_at: usize,
    pub attempts: Vec<Attempt>,
    /// Providers that asked to cool down during this walk.
    pub cooldowns: Vec<Cooldown>,
}

/// The record of a candidate that was not asked, and why.
pub fn skipped(c: &Candidate<'_>, outcome: &str) -> Attempt {
    Attempt {
        provider: c.provider.name.clone(),
        model: c.provider.model.clone(),
        outcome: outcome.into(),
        status: None,
        latency_ms: 0,
        retry_after_seconds: None,
        key_source: c.key.as_ref().map(|_| c.source.to_string()),
        detail: None,
    }
}

/// The key `candidate` is asked with, or why it is not asked now: resting after a 429
/// (`coolingDown`, by `resting`), without a key (`noKey`), blocked (`noCredits`), or the
/// deadline passed (`deadline`).
pub fn admit<'c>(
    candidate: &'c Candidate<'_>,
    resting: &[&[Cooldown]],
    owner: (&str, &str),
    now: i64,
    deadline: i64,
) -> Result<&'c str, &'static str> {
    let rest_id = candidate.rest_id(if candidate.source == "user" { owner.1 } else { owner.0 });
    if resting.iter().flat_map(|r| r.iter()).any(|c| c.provider == rest_id && c.until > now) {
        return Err("coolingDown");
    }
    let key = candidate.key.as_deref().ok_or("noKey")?;
    if let Some(why) = candidate.blocked {
        return Err(why);
    }
    if deadline <= now {
        return Err("deadline");
    }
    Ok(key)
}

/// What a failure puts in its attempt's record, and the rest a 429 asks for.
pub fn failed(attempt: &mut Attempt, failure: &Failure, rest_id: String, now: i64) -> Option<Cooldown> {
    attempt.outcome = failure.outcome().into();
    attempt.status = status_of(failure);
    match failure {
        Failure::RateLimited { retry_after_s } => {
            attempt.retry_after_seconds = Some(*retry_after_s);
            return Some(Cooldown { provider: rest_id, until: now + retry_after_s * 1000 });
        }
        Failure::Refused { reason } => attempt.detail = Some(reason.clone()),
        _ => {}
    }
    None
}

/// The status an answer carried, for the record (none when there was no answer).
fn status_of(failure: &Failure) -> Option<u16> {
    match failure {
        Failure::ServerError { status } | Failure::Rejected { status } => Some(*status),
        Failure::RateLimited { .. } => Some(429),
        Failure::InvalidKey => None,
        _ => None,
    }
}

/// Asks each candidate of `chain` in turn for `prompt` until one answers, by the deadline
/// `deadline` (ms). `resting` are the cooldowns in force when the walk began; `owner` names the
/// owners of own keys (`workspace id` and `user id`) for their rests.
pub async fn walk(
    ctx: &Context<'_>,
    chain: &[Candidate<'_>],
    resting: &[Cooldown],
    prompt: &Prompt,
    deadline: i64,
    owner: (&str, &str),
) -> Walk {
    let mut walk = Walk::default();
    for (at, candidate) in chain.iter().enumerate() {
        let provider = candidate.provider;
        let rest_id = candidate.rest_id(if candidate.source == "user" { owner.1 } else { owner.0 });
        let now = ctx.clock.now_ms();
        let key = match admit(candidate, &[resting, &walk.cooldowns], owner, now, deadline) {
            Ok(key) => key,
            Err(why) => {
                walk.attempts.push(skipped(candidate, why));
                continue;
            }
        };
        let left = deadline - now;
        let within = ctx.config.ai.attempt_ms.min(left as u64);
        let sent = ctx.http.send_within(providers::request(provider, key, prompt), within).await;
        let latency_ms = ctx.clock.now_ms() - now;
        let result = match sent {
            Err(HttpError::Timeout) => Err(Failure::Timeout),
            Err(_) => Err(Failure::Unreachable),
            Ok(response) => providers::answer(provider.kind, &response),
        };
        let mut attempt = Attempt {
            provider: provider.name.clone(),
            model: provider.model.clone(),
            outcome: "ok".into(),
            status: None,
            latency_ms,
            retry_after_seconds: None,
            key_source: Some(candidate.source.to_string()),
            detail: None,
        };
        match result {
            Ok(answer) => {
                attempt.status = Some(200);
                walk.attempts.push(attempt);
                walk.answer = Some((provider.clone(), candidate.source, answer));
                walk.answered_at = at;
                return walk;
            }
            Err(failure) => {
                walk.cooldowns.extend(failed(&mut attempt, &failure, rest_id, ctx.clock.now_ms()));
                walk.attempts.push(attempt);
            }
        }
    }
    walk
}
